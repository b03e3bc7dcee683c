"""Tiny games, written for the learner tests as `GameAdapter`s, with answers
known by hand.

- `MatrixGame`: a one-shot two-player 2x2 game as a one-step episode.
- `CueGame`: a memory task. A cue (0 or 1) is shown at the first step only;
  at the last step the agent is paid 1 for the action equal to the cue. Every
  other observation is the same whatever the cue, so a feed-forward policy can
  do no better than chance (1/2) and a policy with memory can score 1.

Both read an action as "choice 1" when it is positive: a DQN grid of two
features (-1, 1) and a policy's index (0, 1) then mean the same.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from agents.protocol import GameAdapter, MetricSpec
from jaxmarkets.core import StepResult


class MatrixGame(GameAdapter):
    """The params are the payoffs [2, 2, 2]: params[k, i, j] is player k's payoff
    when the row player (0) plays i and the column player (1) plays j (so one
    compiled learner plays every 2x2 game). The observation is a constant."""

    def __init__(self):
        self.env = None
        self.n_agents, self.n_steps, self.n_obs = 2, 1, 1

    def reset(self, key, params):
        return jnp.ones((2, 1)), jnp.zeros((), jnp.int32)

    def noise(self, key, params):
        return jnp.zeros((self.n_steps,))

    def step(self, state, actions, noise_t, params):
        choice = (actions > 0).astype(jnp.int32)
        rewards = params[:, choice[0], choice[1]]
        done = jnp.ones((), bool)
        info = {"terminated": done, "choice": choice}
        return StepResult(jnp.ones((2, 1)), state + 1, rewards, done, info)

    def episode_metrics(self, infos):
        return {"choice": infos["choice"][-1].astype(jnp.float32)}

    def episode_metrics_spec(self):
        return {"choice": MetricSpec((2,), "each player's action (0 or 1)")}


class CueGame(GameAdapter):
    """One agent, `n_steps` steps; observation (cue shown, step) with the cue
    shown as -1 / +1 at the first step and 0 afterwards."""

    def __init__(self, n_steps: int = 4):
        self.env = None
        self.n_agents, self.n_steps, self.n_obs = 1, n_steps, 2

    def _obs(self, t, cue):
        shown = jnp.where(t == 0, 2.0 * cue - 1.0, 0.0)
        return jnp.stack([shown, 2.0 * t / self.n_steps - 1.0])[None, :].astype(jnp.float32)

    def reset(self, key, params):
        cue = jax.random.bernoulli(key).astype(jnp.int32)
        state = (jnp.zeros((), jnp.int32), cue)
        return self._obs(state[0], cue), state

    def noise(self, key, params):
        return jnp.zeros((self.n_steps,))

    def step(self, state, actions, noise_t, params):
        t, cue = state
        last = t == self.n_steps - 1
        correct = last & ((actions[0] > 0).astype(jnp.int32) == cue)
        reward = correct.astype(jnp.float32)[None]
        done = last
        info = {"terminated": done, "correct": correct.astype(jnp.float32)}
        return StepResult(self._obs(t + 1, cue), (t + 1, cue), reward, done, info)

    def episode_metrics(self, infos):
        return {"correct": infos["correct"][-1]}

    def episode_metrics_spec(self):
        return {"correct": MetricSpec((), "1 if the last action matched the cue")}


def nash_conv(payoffs, p_row, p_col) -> float:
    """Sum over both players of what a best response gains over their mixed
    strategy (probabilities of action 1): 0 exactly at a Nash equilibrium."""
    pay = np.asarray(payoffs, np.float64)
    x = np.array([1.0 - p_row, p_row])
    y = np.array([1.0 - p_col, p_col])
    row_values, col_values = pay[0] @ y, x @ pay[1]
    return float(row_values.max() - x @ row_values + col_values.max() - col_values @ y)
