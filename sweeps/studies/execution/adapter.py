"""How the execution game (paper 001) plugs into the learners.

Game side (`ExecutionGameAdapter`): reset, the episode's price noise and trading
orders drawn at once, step, and the learner's reward (the step's -IS).
Q-learner side (`ExecutionGrid`): actions are volumes on a grid over [0, q0]
as in Eq. (22), given to the learner as features 2 v / q0 - 1 and to the game
as fractions of the remaining inventory. Policy side (`ExecutionFractions`): a
sample in (0, 1) is that fraction itself.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.dqn import DQN, DQNConfig, QActionGrid
from agents.pg import PGConfig, PolicyGradient
from agents.policy import UnitIntervalActions
from agents.recurrent_dqn import RecurrentDQN, RecurrentDQNConfig
from agents.protocol import GameAdapter, MetricSpec
from jaxmarkets.core import InputError
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import ExecutionGame, ExecutionParams

EXPLORATIONS = ("twap", "nash")


@struct.dataclass
class AdapterParams:
    game: ExecutionParams
    nash: jax.Array  # [n, N] Nash sells of the game's timing, computed before jit


class ExecutionGameAdapter(GameAdapter):
    def __init__(self, game: ExecutionGame):
        super().__init__(game, game.n_steps, n_obs=3)
        self.game = game

    def make_params(self, game_params: ExecutionParams) -> AdapterParams:
        """Validates, and solves the discrete Nash schedule once, outside jit."""
        self.game.validate(game_params)
        return AdapterParams(game_params, theory.nash_discrete(self.game, game_params))

    def env_params(self, params):
        return params.game

    def noise(self, key, params):
        return self.game.draw_noise(key, (self.n_steps,))

    def step(self, state, actions, noise_t, params):
        return self.game.step_with_noise(state, actions, noise_t, params.game)

    def reward(self, rewards, info, state, params):
        # Cash minus the volume's arrival value: the step's -IS. The episode's sum
        # differs from the cash by the constant S0 q0, so the optimal policy is the
        # same, and the values stay O(1) for the network.
        return rewards - params.game.S0 * info["volume"]

    def episode_metrics(self, infos):
        return {"is": infos["shortfall"][-1], "volume": infos["volume"].T}

    def episode_metrics_spec(self):
        n, t = self.n_agents, self.n_steps
        return {
            "is": MetricSpec((n,), "implementation shortfall of the episode, per agent"),
            "volume": MetricSpec((n, t), "shares each agent sold at each step"),
        }


class ExecutionGrid(QActionGrid):
    """exploration "twap": v ~ N(q_t / (N - t), |q_t / (N - t)|) (Eq. 22);
    "nash": v ~ N(v^N_t, |v^N_t|) (Eq. 26, Appendix A). Either is clipped to
    [0, q_t], the feasible sells; the last step sells what is left. The fixed
    policy (Figure 14's opponent) is the discrete Nash schedule."""

    def __init__(self, game: ExecutionGame, exploration: str = "twap"):
        if exploration not in EXPLORATIONS:
            raise InputError(f"exploration = {exploration!r} is not one of {', '.join(EXPLORATIONS)}")
        self.n_steps = game.n_steps
        self.exploration = exploration

    def _is_last(self, t_obs):
        # t_obs = 2 t / N - 1; the last step has t = N - 1
        return t_obs > 1.0 - 3.0 / self.n_steps

    def candidate_features(self, obs, grid):
        t_obs, q_obs = obs[..., 0:1], obs[..., 1:2]
        executed = jnp.minimum(grid, q_obs)  # a sell above the inventory sells it all
        return jnp.where(self._is_last(t_obs), q_obs, executed)

    def _feature(self, v, t, state, params):
        v = jnp.where(t >= self.n_steps - 1, state.q, jnp.clip(v, 0.0, state.q))
        return 2.0 * v / params.game.q0 - 1.0

    def explore(self, z, t, state, params):
        if self.exploration == "twap":
            mu = state.q / (self.n_steps - t)
        else:
            mu = params.nash[:, t]
        return self._feature(mu + jnp.abs(mu) * z, t, state, params)

    def fixed_action(self, t, state, params):
        return self._feature(params.nash[:, t], t, state, params)

    def env_action(self, features, state, params):
        v = (features + 1.0) * 0.5 * params.game.q0
        return jnp.clip(jnp.where(state.q > 0, v / jnp.where(state.q > 0, state.q, 1.0), 0.0), 0.0, 1.0)


def dqn(game: ExecutionGame, config: DQNConfig | None = None, exploration: str = "twap"):
    """Double-DQN traders in the execution game: (game adapter, learner); a
    `RecurrentDQNConfig` gives the recurrent learner on the same grid."""
    adapter = ExecutionGameAdapter(game)
    learner = RecurrentDQN if isinstance(config, RecurrentDQNConfig) else DQN
    return adapter, learner(adapter, ExecutionGrid(game, exploration), config)


class ExecutionFractions(UnitIntervalActions):
    """A policy's actions in the execution game: a sample u in (0, 1) is the
    fraction of the remaining inventory to sell this step (the game's own
    action), so every sample is feasible and no grid is needed. The last step
    sells what is left whatever the sample (the game enforces it): that sample
    changes nothing, and its policy-gradient term is zero in expectation."""

    def env_action(self, sample, state, params):
        return sample


def policy_gradient(game: ExecutionGame, config: PGConfig | None = None):
    """Policy-gradient traders (PPO or REINFORCE) on the continuous action: (adapter, learner)."""
    adapter = ExecutionGameAdapter(game)
    return adapter, PolicyGradient(adapter, ExecutionFractions(), config)
