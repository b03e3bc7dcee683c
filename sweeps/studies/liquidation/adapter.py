"""How the liquidation game (notes 000) plugs into the shared learners.

Game side (`LiquidationAdapter`): the environment's reset and step, one key per
step, and the learner's reward: the step's change of the bank's objective value
over its initial total assets A0_i (a positive constant per bank, so each
bank's optimal policy is unchanged and rewards stay O(1) for the networks).

`rows` optionally restricts the learners to some rows of the sale table (e.g.
(1, 2) in the 2x2 reduction: sell asset 1 or asset 2, never nothing); learner
action k is then sale row `rows[k]`. With cheap talk every row comes with every
message, as in the environment's own action integer.

Q-learner side (`LiquidationGrid`): the DQN grid has one candidate per learner
action (feature -1 + 2 k / (n - 1)); exploration maps a standard normal through
its CDF to a uniform action, so an exploring bank picks every action alike.
Policy side: `agents.policy.DiscreteActions` over the same learner actions.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import struct

from agents.dqn import QActionGrid
from agents.pg import PGConfig, PolicyGradient
from agents.policy import DiscreteActions
from agents.protocol import GameAdapter, MetricSpec
from agents.recurrent_dqn import RecurrentDQN, RecurrentDQNConfig
from jaxmarkets.core import InputError
from jaxmarkets.liquidation.game import LiquidationGame, LiquidationParams


@struct.dataclass
class AdapterParams:
    game: LiquidationParams
    scale: jax.Array  # [N] A0_i, each bank's initial total assets at initial prices


class LiquidationAdapter(GameAdapter):
    def __init__(self, game: LiquidationGame, rows: tuple[int, ...] | None = None):
        super().__init__(game, game.horizon, n_obs=game.obs_size)
        self.game = game
        if rows is None:
            rows = tuple(range(game.n_sales))
        rows = tuple(rows)
        if len(rows) < 2 or len(set(rows)) != len(rows) or not all(
                isinstance(r, int) and 0 <= r < game.n_sales for r in rows):
            raise InputError(f"rows = {rows!r} must be at least two distinct sale rows in [0, {game.n_sales - 1}]")
        self.rows = rows
        self.n_actions = len(rows) * game.messages_per_action
        # learner action k -> environment action (sale row, message)
        msgs = game.messages_per_action
        self._env_actions = jnp.asarray([r * msgs + m for r in rows for m in range(msgs)], jnp.int32)

    def make_params(self, game_params: LiquidationParams) -> AdapterParams:
        """Validates (one line, before anything compiles) and fixes the reward scale."""
        self.game.validate(game_params)
        scale = game_params.cash + (game_params.holdings * game_params.prices0).sum(1)
        return AdapterParams(game_params, jnp.where(scale > 0, scale, 1.0))

    def env_params(self, params):
        return params.game

    def env_action(self, index):
        """Environment actions [N] from learner action indices [N]."""
        return self._env_actions[jnp.clip(index, 0, self.n_actions - 1)]

    def step(self, state, actions, noise_t, params):
        return self.game.step(noise_t, state, self.env_action(actions), params.game)

    def reward(self, rewards, info, state, params):
        return rewards / params.scale

    def episode_metrics(self, infos):
        sales = infos["sales"]  # [T, N, M]
        return {
            "welfare": infos["welfare"][-1],
            "value": infos["value"][-1],
            "defaults": infos["defaulted"][-1].sum().astype(jnp.float32),
            "sold": sales.sum(0),
            "first_asset": jnp.argmax(sales[0], -1).astype(jnp.float32)
            * (sales[0].sum(-1) > 0),
            "first_sale": first_sale(sales),
            "prices": infos["prices"],
        }

    def episode_metrics_spec(self):
        n, m = self.n_agents, self.game.n_assets
        return {
            "welfare": MetricSpec((), "sum of the banks' final objective values"),
            "value": MetricSpec((n,), "each bank's final objective value"),
            "defaults": MetricSpec((), "banks in default at the end"),
            "sold": MetricSpec((n, m), "units each bank sold of each asset over the episode"),
            "first_asset": MetricSpec((n,), "index of the asset sold most at the first step (0 if none)"),
            "first_sale": MetricSpec((n, m), "one-hot of the asset each bank sold most at the first step "
                                             "it sold anything (all zero if it never sold)"),
            "prices": MetricSpec((self.game.horizon, m), "each asset's price after each step"),
        }


def first_sale(sales):
    """[T, N, M] units sold -> [N, M]: one-hot of the asset each bank sold most at
    the first step it sold anything, zeros if it never sold (forced sales of a
    defaulted bank count: they are what its book did)."""
    any_t = sales.sum(-1) > 0  # [T, N]
    t0 = jnp.argmax(any_t, 0)  # first step with a sale (0 if none)
    at = jnp.take_along_axis(sales, t0[None, :, None], 0)[0]  # [N, M]
    return jax.nn.one_hot(jnp.argmax(at, -1), sales.shape[-1]) * any_t.any(0)[:, None]


class LiquidationGrid(QActionGrid):
    """DQN features on the grid linspace(-1, 1, n): feature k is learner action k."""

    def __init__(self, adapter: LiquidationAdapter):
        self.adapter = adapter
        self.n = adapter.n_actions

    def _index(self, features):
        return jnp.clip(jnp.round((features + 1.0) * 0.5 * (self.n - 1)), 0, self.n - 1).astype(jnp.int32)

    def _feature(self, index):
        return -1.0 + 2.0 * index.astype(jnp.float32) / (self.n - 1)

    def explore(self, z, t, state, params):
        u = jax.scipy.stats.norm.cdf(z)
        return self._feature(jnp.clip(jnp.floor(u * self.n), 0, self.n - 1))

    def env_action(self, features, state, params):
        return self._index(features)  # the adapter's step maps it to the environment's


def dqn(game: LiquidationGame, config: RecurrentDQNConfig | None = None, rows=None):
    """Recurrent Double-DQN banks: (adapter, learner); the grid is one candidate per action."""
    adapter = LiquidationAdapter(game, rows)
    config = config or RecurrentDQNConfig()
    config = dataclasses.replace(config, n_actions=adapter.n_actions)
    return adapter, RecurrentDQN(adapter, LiquidationGrid(adapter), config)


def policy_gradient(game: LiquidationGame, config: PGConfig | None = None, rows=None):
    """PPO (or REINFORCE) banks over the discrete actions: (adapter, learner)."""
    adapter = LiquidationAdapter(game, rows)
    return adapter, PolicyGradient(adapter, DiscreteActions(adapter.n_actions), config)
