"""The notes' benchmarks as policies in the environment, and the exact social planner.

Every benchmark meets the need the same mechanical way and differs only in
*which* asset it sells. Each step a bank aims to raise its remaining need
(at current prices) spread evenly over the remaining steps, and sells the
smallest level of its chosen asset whose value at the current price reaches
that target (the top level if none does; nothing once the need is met):

  myopic                   the most liquid asset it holds (smallest impact_coef)
  random                   a held asset drawn uniformly
  proportional             deterministic pro rata: with the grid action set the
                           same level of every held asset (its book sold pro
                           rata); with one_asset the largest position at current
                           prices (so the book stays close to its initial mix)
  proportional_stochastic  a held asset drawn with probability pro rata to its
                           value at current prices

The social planner chooses the joint open-loop sequence of sale rows that
maximises welfare (the sum of the banks' objective values), by enumerating
all n_sales^(N T) sequences: exact, and only for small instances. Dynamics are
deterministic given the reset, so open-loop is optimal.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.liquidation.game import LiquidationGame

POLICIES = ("myopic", "random", "proportional", "proportional_stochastic")
MAX_PLANNER_SEQUENCES = 2**20


def _level_for(target, unit_value, n_levels: int):
    """Smallest level k in 1..K whose sale (k / K of unit_value) reaches target; K if none."""
    k = jnp.ceil(target / jnp.where(unit_value > 0, unit_value, 1.0) * n_levels)
    return jnp.clip(k, 1, n_levels).astype(jnp.int32)


def policy_actions(kind: str, env: LiquidationGame, state, params, key):
    """Actions [N] (int32) of benchmark `kind` at `state`."""
    M, K = env.n_assets, env.n_levels
    held = state.holdings > 0
    values = state.holdings * state.prices  # [N, M] at current prices
    # value of the top level per asset at current prices (a sale is then capped at
    # what is left, so a level chosen from it never sells more than intended)
    top = params.max_sale * state.holdings0 * state.prices
    steps_left = jnp.maximum(env.horizon - state.t, 1)
    target = env.need_left(state.cash, state.holdings, state.prices, params) / steps_left
    active = (target > 0) & held.any(1)

    if kind == "proportional" and env.action_set == "grid":
        k = _level_for(target, jnp.where(held, top, 0.0).sum(1), K)
        digits = jnp.where(held, k[:, None], 0)
        place = (K + 1) ** np.arange(M - 1, -1, -1)
        sale = (digits * place).sum(1)
        return (jnp.where(active, sale, 0) * env.messages_per_action).astype(jnp.int32)

    if kind == "myopic":
        asset = jnp.argmin(jnp.where(held, params.impact_coef, jnp.inf), axis=1)
    elif kind == "random":
        logits = jnp.where(held, 0.0, -jnp.inf)
        asset = jax.random.categorical(key, logits, axis=1)
    elif kind == "proportional":
        asset = jnp.argmax(jnp.where(held, values, -jnp.inf), axis=1)
    elif kind == "proportional_stochastic":
        logits = jnp.where(held & (values > 0), jnp.log(jnp.where(values > 0, values, 1.0)), -jnp.inf)
        asset = jax.random.categorical(key, logits, axis=1)
    else:
        raise InputError(f"policy = {kind!r} is not one of the allowed values: {', '.join(POLICIES)}")
    unit = jnp.take_along_axis(top, asset[:, None], 1)[:, 0]
    k = _level_for(target, unit, K)
    if env.action_set == "one_asset":
        sale = 1 + asset * K + (k - 1)
    else:
        sale = k * (K + 1) ** (M - 1 - asset)
    return (jnp.where(active, sale, 0) * env.messages_per_action).astype(jnp.int32)


def run_policy(env: LiquidationGame, params, key, kind: str) -> dict:
    """One episode of benchmark `kind` for every bank."""
    k_reset, k_play = jax.random.split(key)
    _, state = env.reset(k_reset, params)

    def body(state, key):
        k_act, k_step = jax.random.split(key)
        actions = policy_actions(kind, env, state, params, k_act)
        out = env.step(k_step, state, actions, params)
        return out.state, (actions, out.info["sales"], out.info["prices"])

    final, (actions, sales, path) = jax.lax.scan(body, state, jax.random.split(k_play, env.horizon))
    return {"welfare": final.value.sum(), "values": final.value, "defaulted": final.defaulted,
            "prices": final.prices, "price_path": path, "actions": actions, "sales": sales}


@functools.partial(jax.jit, static_argnums=(0, 3, 4))
def policy_outcomes(env: LiquidationGame, params, key, kind: str, episodes: int) -> dict:
    """`episodes` independent episodes of benchmark `kind` (vmapped over keys)."""
    return jax.vmap(lambda k: run_policy(env, params, k, kind))(jax.random.split(key, episodes))


@functools.partial(jax.jit, static_argnums=(0, 3))
def benchmark_outcomes(env: LiquidationGame, params, key, episodes: int) -> dict:
    """Every benchmark's `episodes` episodes in one program, {kind: outcomes}; the
    same keys for every kind (common random numbers)."""
    keys = jax.random.split(key, episodes)
    return {kind: jax.vmap(lambda k, kind=kind: run_policy(env, params, k, kind))(keys) for kind in POLICIES}


def planner_size(env: LiquidationGame) -> int:
    return env.n_sales ** (env.n_banks * env.horizon)


def check_planner_size(env: LiquidationGame) -> None:
    size = planner_size(env)
    if size > MAX_PLANNER_SEQUENCES:
        raise InputError(
            f"horizon = {env.horizon}: the exact planner enumerates n_sales^(n_banks horizon) = "
            f"{env.n_sales}^{env.n_banks * env.horizon} = {size} joint sequences; allowed at most "
            f"{MAX_PLANNER_SEQUENCES} (fewer banks, steps or levels; or planner.search_planner, a numerical optimum)"
        )


def _sequence(env: LiquidationGame, index):
    """Joint sale rows [T, N] of sequence number `index` (base n_sales digits)."""
    n = env.n_banks * env.horizon
    digits = (index // (env.n_sales ** jnp.arange(n - 1, -1, -1))) % env.n_sales
    return digits.reshape(env.horizon, env.n_banks).astype(jnp.int32)


@functools.partial(jax.jit, static_argnums=0)
def _planner(env: LiquidationGame, params, key):
    _, state0 = env.reset(key, params)
    keys = jax.random.split(jax.random.key(0), env.horizon)  # the dynamics do not read step keys

    def play(index):
        actions = _sequence(env, index) * env.messages_per_action

        def body(state, inputs):
            a, k = inputs
            return env.step(k, state, a, params).state, None

        return jax.lax.scan(body, state0, (actions, keys))[0]

    size = planner_size(env)
    values = jax.lax.map(lambda i: play(i).value.sum(), jnp.arange(size), batch_size=min(size, 4096))
    best = jnp.argmax(values)  # the first of tied optima
    return best, values[best], play(best)


def social_planner(env: LiquidationGame, params, key=None) -> dict:
    """The welfare-maximising joint sequence (exact enumeration) and its outcome."""
    check_planner_size(env)
    key = jax.random.key(0) if key is None else key
    best, welfare, final = _planner(env, params, key)
    return {"welfare": welfare, "sale_rows": _sequence(env, best), "values": final.value,
            "defaulted": final.defaulted, "prices": final.prices}
