"""The social planner for instances too large to enumerate: a numerical optimum.

The planner's problem is a search over joint open-loop sequences of sale rows
(the dynamics are deterministic after the reset, so open-loop is optimal), of
which there are n_sales^(N T): 5^80 at N = 40, T = 2. `search_planner` runs
coordinate ascent on *welfare*: for one bank at a time it tries every one of
that bank's n_sales^T own sequences, the others' held fixed, and keeps the one
that raises the total most (strictly), sweeping over the banks until a sweep
changes nothing. Each candidate is one environment rollout, all of a bank's
candidates vmapped; several starts are vmapped too:

  * the realised sale rows of the deterministic benchmarks (myopic and
    proportional), so the result is never below either of them;
  * no sale at all, and every *symmetric* sequence (all banks the same rows:
    the planner's answer when banks are alike and splitting does not pay);
  * random joint sequences.

The result is a local optimum in the sense that no single bank's change of
plan raises welfare; the tests hold it to the exact enumeration
(`benchmarks.social_planner`) wherever that runs. `planner` picks the exact
one when it fits and says which it used.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError, check_int
from jaxmarkets.liquidation import benchmarks
from jaxmarkets.liquidation.game import LiquidationGame

MAX_OWN_SEQUENCES = 4096  # a bank's n_sales^T candidates per coordinate move
MAX_SYMMETRIC_STARTS = 64
METHODS = ("auto", "exact", "search")


def own_sequences(env: LiquidationGame) -> int:
    return env.n_sales ** env.horizon


def check_search(env: LiquidationGame, random_starts: int, max_sweeps: int) -> None:
    size = own_sequences(env)
    if size > MAX_OWN_SEQUENCES:
        raise InputError(
            f"horizon = {env.horizon}: the planner's search tries each bank's n_sales^horizon = "
            f"{env.n_sales}^{env.horizon} = {size} own sequences per move; allowed at most "
            f"{MAX_OWN_SEQUENCES} (fewer steps, levels or assets)")
    check_int("random_starts", random_starts, 0, 4096)
    check_int("max_sweeps", max_sweeps, 1, 1000)


@functools.partial(jax.jit, static_argnums=(0, 3, 4))
def _search(env: LiquidationGame, params, key, random_starts: int, max_sweeps: int):
    # the reset from `key` itself, as the exact planner's: both plan the same draw
    _, state0 = env.reset(key, params)
    k_starts = jax.random.fold_in(key, 1)
    step_keys = jax.random.split(jax.random.key(0), env.horizon)  # the dynamics do not read step keys
    N, T, S = env.n_banks, env.horizon, own_sequences(env)
    place = env.n_sales ** jnp.arange(T - 1, -1, -1)  # base n_sales digits: own rows [T] <-> number
    own = ((jnp.arange(S)[:, None] // place) % env.n_sales).astype(jnp.int32)  # [S, T] every own sequence

    def play(rows):  # rows [T, N] -> final state
        def body(state, inputs):
            a, k = inputs
            return env.step(k, state, a * env.messages_per_action, params).state, None

        return jax.lax.scan(body, state0, (rows, step_keys))[0]

    welfare = lambda rows: play(rows).value.sum()  # noqa: E731

    def move(rows, i):
        """Bank i's best own sequence given the others; only a strict gain moves it."""
        cand = jax.vmap(lambda seq: rows.at[:, i].set(seq))(own)  # [S, T, N]
        w = jax.vmap(welfare)(cand)
        now = w[(rows[:, i] * place).sum()]  # the bank's current sequence is one of the candidates
        best = jnp.argmax(w)
        better = w[best] > now + 1e-6 * jnp.maximum(1.0, jnp.abs(now))
        return jnp.where(better, cand[best], rows), better

    def sweep(carry):
        rows, _, n = carry
        rows, changed = jax.lax.scan(lambda r, i: move(r, i), rows, jnp.arange(N))
        return rows, changed.any(), n + 1

    def ascend(rows):
        rows, _, n = jax.lax.while_loop(lambda c: c[1] & (c[2] < max_sweeps), sweep, (rows, True, 0))
        return rows, welfare(rows), n

    def benchmark_rows(kind):  # the deterministic benchmark's rows from this reset
        def body(state, k):
            a = benchmarks.policy_actions(kind, env, state, params, k)
            return env.step(k, state, a, params).state, a // env.messages_per_action

        return jax.lax.scan(body, state0, step_keys)[1].astype(jnp.int32)

    starts = [jnp.zeros((1, T, N), jnp.int32)]
    starts += [benchmark_rows(kind)[None] for kind in ("myopic", "proportional")]
    k_sym, k_rand = jax.random.split(k_starts)
    sym = jnp.arange(S) if S <= MAX_SYMMETRIC_STARTS else jax.random.choice(
        k_sym, S, (MAX_SYMMETRIC_STARTS,), replace=False)
    starts.append(jnp.broadcast_to(own[sym][:, :, None], (sym.shape[0], T, N)))
    if random_starts:
        starts.append(jax.random.randint(k_rand, (random_starts, T, N), 0, env.n_sales, jnp.int32))
    starts = jnp.concatenate(starts)
    rows, values, sweeps = jax.lax.map(ascend, starts)
    best = jnp.argmax(values)
    return rows[best], values[best], play(rows[best]), sweeps, values


def search_planner(env: LiquidationGame, params, key=None, random_starts: int = 16,
                   max_sweeps: int = 20) -> dict:
    """The best joint sequence coordinate ascent finds, and its outcome (the
    same fields as `benchmarks.social_planner`, plus the search's diagnostics)."""
    check_search(env, random_starts, max_sweeps)
    key = jax.random.key(0) if key is None else key
    rows, welfare, final, sweeps, values = _search(env, params, key, random_starts, max_sweeps)
    return {"welfare": welfare, "sale_rows": rows, "values": final.value, "defaulted": final.defaulted,
            "prices": final.prices, "method": "search", "starts": int(values.shape[0]),
            "max_sweeps_used": int(np.max(np.asarray(sweeps))),
            "starts_at_best": int(np.sum(np.asarray(values) >= np.asarray(welfare) - 1e-6 * max(
                1.0, abs(float(welfare)))))}


def planner(env: LiquidationGame, params, key=None, method: str = "auto", **search) -> dict:
    """The social planner: exact enumeration where it fits (`auto`), else the search."""
    if method not in METHODS:
        raise InputError(f"method = {method!r} is not one of the allowed values: {', '.join(METHODS)}")
    fits = benchmarks.planner_size(env) <= benchmarks.MAX_PLANNER_SEQUENCES
    if method == "exact" or (method == "auto" and fits):
        return {**benchmarks.social_planner(env, params, key), "method": "exact"}
    return search_planner(env, params, key, **search)
