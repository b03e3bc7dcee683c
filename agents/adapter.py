"""How a game plugs into a learner: the learner knows nothing of any game.

A learner acts in a space of *action features* in [-1, 1]: the grid of
candidate actions is `linspace(-1, 1, n_actions)`, exploration returns features,
and the Q-network sees features. An adapter, written by whoever brings the game
(a study in `sweeps/`), says what those features mean:

- `candidate_features(obs, grid)`: the feature each grid action has *as
  executed* from an observation (a game may make some infeasible; the same
  clipped feature then appears more than once and the argmax takes the first).
  It must depend on the observation alone: the learner calls it on replayed
  next observations, whose environment state is gone.
- `explore(z, t, state, params)`: the feature of an exploratory action of
  each agent from standard normals `z` [n] drawn by the learner.
- `fixed_action(t, state, params)`: the features of agents that play a fixed
  policy instead of learning (`DQNConfig.fixed_agents`).
- `env_action(features, state, params)`: the environment's actions [n].
- `reward(rewards, info, state, params)`: the learner's reward [n], e.g. a
  shaping that leaves the optimal policy unchanged.
- `episode_metrics(infos)`: from the step infos stacked over the episode, the
  per-episode metrics (a pytree of arrays).
- `reset`, `noise` (all of an episode's randomness at once: drawing it in bulk
  is much faster than one key per step) and `step`.

`params` is whatever pytree the adapter needs (the game's params and, say, an
equilibrium schedule computed once outside the compiled program).

The defaults below drive any `jaxmarkets.core.Environment` through its
`reset`/`step` with one key per step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


class EnvAdapter:
    n_obs: int  # observation features per agent
    n_steps: int  # fixed episode length

    def __init__(self, env, n_steps: int):
        self.env = env
        self.n_agents = env.n_agents
        self.n_steps = n_steps

    def env_params(self, params):
        return params

    def reset(self, key, params):
        return self.env.reset(key, self.env_params(params))

    def noise(self, key, params):
        return jax.random.split(key, self.n_steps)

    def step(self, state, actions, noise_t, params):
        return self.env.step(noise_t, state, actions, self.env_params(params))

    def candidate_features(self, obs, grid):
        return jnp.broadcast_to(grid, (*obs.shape[:-1], grid.shape[-1]))

    def explore(self, z, t, state, params):
        return jnp.clip(z, -1.0, 1.0)

    def fixed_action(self, t, state, params):
        raise ValueError("this adapter has no fixed policy; leave DQNConfig.fixed_agents empty")

    def env_action(self, features, state, params):
        return features

    def reward(self, rewards, info, state, params):
        return rewards

    def episode_metrics(self, infos):
        return {}
