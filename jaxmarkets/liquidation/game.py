"""The multi-bank liquidation game (notes 000) as an `Environment`.

N banks hold M assets of different liquidity and must each raise a liquidity
need within T steps; every step each picks a sale from a discretised set,
simultaneous sales move prices through a per-asset impact function of
cumulative sales, and banks that become insolvent or miss the need default.
The model, every parameter and every reading are defined in docs/liquidation.md;
the step order is:

  1. decode actions (sale row, cheap-talk message); defaulted banks' remaining
     portfolios are sold now under on_default = liquidate;
  2. cumulative sales X += sum of sales, prices p = p0 f(X);
  3. sellers get q x (post-impact price, or the step's pre-trade price);
  4. mark to market; equity < 0, or at t = T an unmet need, is a default.

Rewards are changes of the objective value (final equity, or cash raised; minus
`default_penalty` once defaulted), so an episode's rewards sum to V(T) - V(0).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import Box, Environment, StepResult, check_choice, check_int
from jaxmarkets.liquidation import signals
from jaxmarkets.liquidation.actions import ACTION_SETS, sale_table
from jaxmarkets.liquidation.impact import IMPACTS, prices as impact_prices
from jaxmarkets.liquidation.params import PARAM_RANGES, LiquidationParams, make_params
from jaxmarkets.liquidation.validation import validate

EXECUTIONS = ("post", "pre")
OBJECTIVES = ("equity", "cash")
NEEDS = ("withdrawal", "leverage")
ON_DEFAULT = ("liquidate", "freeze")
INFORMATION = ("own", "full")
COMMUNICATION = ("none", "cheap_talk", "planner_public", "planner_private")
PORTFOLIOS = ("explicit", "random")
OBS_CLIP = 1e6  # normalised observations of a bank with near-zero assets stay finite


class LiquidationState(NamedTuple):
    t: jax.Array  # steps done (int32)
    holdings: jax.Array  # [N, M] units held now
    holdings0: jax.Array  # [N, M] units held at the start (drawn for random portfolios)
    cash: jax.Array  # [N]
    sold: jax.Array  # [M] cumulative units sold by everyone, X
    prices: jax.Array  # [M] after the last step's sales
    defaulted: jax.Array  # [N] bool
    value: jax.Array  # [N] objective value after the last step
    messages: jax.Array  # [N] int32, last step's cheap talk (-1: none)
    recommendation: jax.Array  # [N] int32, the planner's asset for the coming step


def _ratio(num, den):
    """num / den, 0 where den is 0 (a float32 subnormal price flushes to 0)."""
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), 0.0)


@dataclasses.dataclass(frozen=True)
class LiquidationGame(Environment):
    n_banks: int = 2
    n_assets: int = 2
    horizon: int = 2
    impact: str = "linear"
    execution: str = "post"
    objective: str = "equity"
    need: str = "withdrawal"
    on_default: str = "liquidate"
    information: str = "own"
    communication: str = "none"
    n_messages: int = 2
    action_set: str = "one_asset"
    n_levels: int = 2
    portfolios: str = "explicit"
    diversification: int = 1

    def __post_init__(self):
        check_int("n_banks", self.n_banks, 2)
        check_int("n_assets", self.n_assets, 1)
        check_int("horizon", self.horizon, 1)
        check_choice("impact", self.impact, IMPACTS)
        check_choice("execution", self.execution, EXECUTIONS)
        check_choice("objective", self.objective, OBJECTIVES)
        check_choice("need", self.need, NEEDS)
        check_choice("on_default", self.on_default, ON_DEFAULT)
        check_choice("information", self.information, INFORMATION)
        check_choice("communication", self.communication, COMMUNICATION)
        check_int("n_messages", self.n_messages, 1)
        check_choice("action_set", self.action_set, ACTION_SETS)
        check_int("n_levels", self.n_levels, 1)
        check_choice("portfolios", self.portfolios, PORTFOLIOS)
        check_int("diversification", self.diversification, 1, self.n_assets)

    # ------------------------------------------------------------------ sizes
    @property
    def n_agents(self) -> int:
        return self.n_banks

    @property
    def messages_per_action(self) -> int:
        return self.n_messages if self.communication == "cheap_talk" else 1

    @property
    def table(self) -> np.ndarray:
        """Sale levels [n_sales, M] (see actions.py)."""
        return sale_table(self.action_set, self.n_assets, self.n_levels)

    @property
    def n_sales(self) -> int:
        return self.table.shape[0]

    @property
    def n_actions(self) -> int:
        return self.n_sales * self.messages_per_action

    @property
    def obs_size(self) -> int:
        N, M = self.n_banks, self.n_assets
        size = 2 * M + 5
        if self.information == "full":
            size += N * M + N
        size += {"none": 0, "cheap_talk": N * self.n_messages, "planner_public": N * M,
                 "planner_private": M}[self.communication]
        return size

    # ------------------------------------------------------------------ params
    def default_params(self) -> LiquidationParams:
        return make_params(self.n_banks, self.n_assets)

    def make_params(self, **fields) -> LiquidationParams:
        return make_params(self.n_banks, self.n_assets, **fields)

    def validate(self, params: LiquidationParams) -> None:
        validate(self, params)

    def param_ranges(self):
        return PARAM_RANGES

    # ------------------------------------------------------------------ spaces
    def observation_space(self, params) -> Box:
        return Box(-OBS_CLIP, OBS_CLIP, (self.n_banks, self.obs_size))

    def action_space(self, params) -> Box:
        """One action index per bank as a float in [0, n_actions), floored:
        sale row * messages_per_action + message."""
        return Box(0.0, float(self.n_actions), (self.n_banks,))

    def decode(self, actions):
        """(sale row [N], message [N]) from policy outputs (floats are floored, clipped)."""
        a = jnp.asarray(actions)
        if not jnp.issubdtype(a.dtype, jnp.integer):
            a = jnp.floor(a)
        a = jnp.clip(a, 0, self.n_actions - 1).astype(jnp.int32)
        return a // self.messages_per_action, a % self.messages_per_action

    # ------------------------------------------------------------------ balance sheets
    def initial_holdings(self, key, params: LiquidationParams):
        if self.portfolios == "explicit":
            return params.holdings
        # CSMF: each bank invests equally in `diversification` distinct random assets
        N, M, d = self.n_banks, self.n_assets, self.diversification
        rank = jnp.argsort(jnp.argsort(jax.random.uniform(key, (N, M)), axis=1), axis=1)
        chosen = rank < d
        size = (params.holdings * params.prices0).sum(1, keepdims=True)
        return jnp.where(chosen, _ratio(size, d * params.prices0), 0.0)

    def equity(self, cash, holdings, prices, params):
        return cash + (holdings * prices).sum(1) - params.liabilities

    def need_left(self, cash, holdings, prices, params):
        """Cash still to raise at current prices [N] (0 once met)."""
        if self.need == "withdrawal":
            return jnp.maximum(0.0, params.withdrawal - cash)
        risky = (holdings * prices).sum(1)
        return jnp.maximum(0.0, risky - params.leverage_cap * self.equity(cash, holdings, prices, params))

    def objective_value(self, cash, holdings, prices, defaulted, params):
        if self.objective == "equity":
            v = self.equity(cash, holdings, prices, params)
        else:
            v = cash - params.cash
        return jnp.where(defaulted, -params.default_penalty, v)

    # ------------------------------------------------------------------ dynamics
    def reset(self, key, params: LiquidationParams):
        k_port, k_signal = jax.random.split(key)
        h0 = self.initial_holdings(k_port, params).astype(params.cash.dtype)
        N = self.n_banks
        defaulted = jnp.zeros((N,), bool)
        prices = params.prices0
        state = LiquidationState(
            t=jnp.zeros((), jnp.int32), holdings=h0, holdings0=h0, cash=params.cash,
            sold=jnp.zeros_like(params.prices0), prices=prices, defaulted=defaulted,
            value=self.objective_value(params.cash, h0, prices, defaulted, params),
            messages=jnp.full((N,), -1, jnp.int32),
            recommendation=signals.draw(k_signal, params.signal_weights, N),
        )
        return self.observe(state, params), state

    def step(self, key, state: LiquidationState, actions, params: LiquidationParams) -> StepResult:
        running = state.t < self.horizon
        sale, message = self.decode(actions)
        levels = jnp.asarray(self.table, params.cash.dtype)[sale]
        active = ~state.defaulted & running
        wanted = jnp.minimum(state.holdings, levels * params.max_sale * state.holdings0)
        forced = state.defaulted & running if self.on_default == "liquidate" else jnp.zeros_like(active)
        q = jnp.where(active[:, None], wanted, jnp.where(forced[:, None], state.holdings, 0.0))

        sold = state.sold + q.sum(0)
        prices = impact_prices(self.impact, sold, params.prices0, params.impact_coef, params.exponent)
        exec_price = prices if self.execution == "post" else state.prices
        proceeds = (q * exec_price).sum(1)
        cash = state.cash + jnp.where(active, proceeds, 0.0)  # a defaulted bank's sales pay its creditors
        holdings = state.holdings - q

        t = state.t + jnp.where(running, 1, 0).astype(jnp.int32)
        equity = self.equity(cash, holdings, prices, params)
        unmet = self.need_left(cash, holdings, prices, params) > 0
        new_default = active & ((equity < 0) | ((t >= self.horizon) & unmet))
        defaulted = state.defaulted | new_default
        value = self.objective_value(cash, holdings, prices, defaulted, params)
        rewards = jnp.where(active, value - state.value, 0.0)

        messages = jnp.where(active, message, -1).astype(jnp.int32) if self.communication == "cheap_talk" \
            else state.messages
        new = LiquidationState(
            t=t, holdings=holdings, holdings0=state.holdings0, cash=cash, sold=sold, prices=prices,
            defaulted=defaulted, value=value, messages=messages,
            recommendation=signals.draw(key, params.signal_weights, self.n_banks),
        )
        done = t >= self.horizon
        info = {
            "sales": q,
            "exec_price": exec_price,
            "prices": prices,
            "cash": cash,
            "equity": equity,
            "value": value,
            "defaulted": defaulted,
            "new_defaults": new_default,
            "welfare": value.sum(),
            "terminated": done,  # the deadline: nothing is left to decide
            "truncated": jnp.zeros_like(done),
        }
        return StepResult(self.observe(new, params), new, rewards, done, info)

    # ------------------------------------------------------------------ observations
    def observe(self, state: LiquidationState, params: LiquidationParams) -> jax.Array:
        N, M = self.n_banks, self.n_assets
        dtype = params.cash.dtype
        positions0 = state.holdings0 * params.prices0
        scale = params.cash + positions0.sum(1)  # A0_i: the bank's initial total assets
        scale = jnp.where(scale > 0, scale, 1.0)
        own_positions = state.holdings * params.prices0 / scale[:, None]
        cols = [
            jnp.broadcast_to(state.t / self.horizon, (N, 1)).astype(dtype),
            jnp.broadcast_to(_ratio(state.prices, params.prices0), (N, M)),
            own_positions,
            (state.cash / scale)[:, None],
            (self.equity(state.cash, state.holdings, state.prices, params) / scale)[:, None],
            (self.need_left(state.cash, state.holdings, state.prices, params) / scale)[:, None],
            state.defaulted[:, None].astype(dtype),
        ]
        if self.information == "full":
            cols.append(jnp.broadcast_to(own_positions.reshape(-1), (N, N * M)))
            cols.append(jnp.broadcast_to(state.defaulted.astype(dtype), (N, N)))
        if self.communication == "cheap_talk":
            said = jax.nn.one_hot(state.messages, self.n_messages, dtype=dtype)  # -1 gives zeros
            cols.append(jnp.broadcast_to(said.reshape(-1), (N, N * self.n_messages)))
        elif self.communication == "planner_public":
            told = jax.nn.one_hot(state.recommendation, M, dtype=dtype)
            cols.append(jnp.broadcast_to(told.reshape(-1), (N, N * M)))
        elif self.communication == "planner_private":
            cols.append(jax.nn.one_hot(state.recommendation, M, dtype=dtype))
        obs = jnp.concatenate([jnp.asarray(c, dtype) for c in cols], axis=1)
        return jnp.clip(obs, -OBS_CLIP, OBS_CLIP).astype(jnp.float32)
