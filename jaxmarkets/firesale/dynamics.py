"""Best-response dynamics as one `lax.while_loop` (vmap it over instances).

Rules: `best_response` (Phi) or `simplified` (Psi, Definition 3).
Modes:
  simultaneous  y <- Phi(y): every agent moves at once (Theorem 2).
  sequential    agents move one at a time in `order` (agent indices, any
                sequence, repeated cyclically); each mover answers the profile
                left by the movers before it.

Step counting (used by the study and `theory firesale`): a step is one
application of the update to the whole profile: one Phi(y) (or Psi(y)) in the
simultaneous mode, one pass through `order` in the sequential mode. The change
of a step is max_i |y_i^new - y_i^old|. The run stops at the first step whose
change is below `tol`; `steps` counts the steps before it, i.e. the steps that
changed some y_i by at least `tol` (an equilibrium start gives 0 steps).
`converged` is False when `max_steps` ran out first, or when a cycle was
detected: the new profile equals (within `cycle_tol`) one of the last
`HISTORY` profiles other than the previous one.

`trace` (length `record`) holds each step's change (inf-norm) and mean |change|
over agents, zero after the run stopped: Figure 2's step size over time.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.firesale.best_response import (
    best_response,
    best_response_of,
    linear_alpha_one_response,
    linear_alpha_one_simplified,
    simplified_response,
)
from jaxmarkets.firesale.game import FireSaleParams

RULES = ("best_response", "simplified")
MODES = ("simultaneous", "sequential")
HISTORY = 8


class DynamicsResult(NamedTuple):
    y: jax.Array  # [N] final profile
    steps: jax.Array  # int32: steps with change >= tol
    converged: jax.Array  # bool
    cycle_period: jax.Array  # int32: 0, or the period (in steps) of a detected cycle
    max_change: jax.Array  # [record] per-step inf-norm change
    mean_change: jax.Array  # [record] per-step mean |change|


def _update(impact, params, y, rule, mode, order, alpha_one=False, aux=None):
    if mode == "simultaneous":
        if rule == "best_response" and alpha_one and impact == "linear":
            return linear_alpha_one_response(params, y, *aux)
        if alpha_one and impact == "linear":
            return linear_alpha_one_simplified(params, y, aux[0])
        if rule == "best_response":
            return best_response(impact, params, y).y
        return simplified_response(impact, params, y)

    def move(y, i):
        if rule == "best_response":
            yi = best_response_of(impact, params, y, i)[0]
        else:
            yi = simplified_response(impact, params, y)[i]
        return y.at[i].set(yi), None

    y, _ = jax.lax.scan(move, y, order)
    return y


class Carry(NamedTuple):
    """The loop state; resumable, so a batch can be compacted between chunks."""

    t: jax.Array
    y: jax.Array
    hist: jax.Array
    done: jax.Array
    converged: jax.Array
    period: jax.Array
    max_change: jax.Array
    mean_change: jax.Array


def _check(rule, mode):
    if rule not in RULES:
        raise ValueError(f"rule = {rule!r} is not one of {RULES}")
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r} is not one of {MODES}")


def init_carry(params: FireSaleParams, y0=None, record: int = 0, history: int = HISTORY) -> Carry:
    """`history` profiles are kept for cycle detection (0: none)."""
    n = params.illiquid.shape[-1]
    dtype = params.illiquid.dtype
    y0 = jnp.ones((n,), dtype) if y0 is None else jnp.asarray(y0, dtype)
    hist = jnp.zeros((history, n), dtype)
    if history:
        hist = hist.at[0].set(y0)
    zeros = jnp.zeros((max(int(record), 1),), dtype)
    return Carry(jnp.int32(0), y0, hist, jnp.bool_(False), jnp.bool_(False), jnp.int32(0), zeros, zeros)


def advance(
    impact: str,
    params: FireSaleParams,
    carry: Carry,
    until,
    rule: str = "best_response",
    mode: str = "simultaneous",
    order=None,
    tol: float = 1e-5,
    record: int = 0,
    cycle_tol: float | None = None,
    alpha_one: bool = False,
) -> Carry:
    """Run the loop from `carry` until it stops or its step count reaches `until`."""
    _check(rule, mode)
    n = params.illiquid.shape[-1]
    order = jnp.arange(n) if order is None else jnp.asarray(order, jnp.int32)
    ctol = min(tol, 1e-9) if cycle_tol is None else cycle_tol
    history = carry.hist.shape[-2]

    aux = None
    if alpha_one:
        xp = params.holdings * params.prices0  # hoisted out of the loop body
        aux = (xp, (xp * params.holdings).sum(-1))

    def cond(c):
        return (~c.done) & (c.t < until)

    def body(c):
        new = _update(impact, params, c.y, rule, mode, order, alpha_one, aux)
        d = jnp.abs(new - c.y)
        change = d.max()
        mx, mn = c.max_change, c.mean_change
        if record:
            slot = jnp.minimum(c.t, mx.shape[0] - 1)
            keep = c.t < record
            mx = mx.at[slot].set(jnp.where(keep, change, mx[slot]))
            mn = mn.at[slot].set(jnp.where(keep, d.mean(), mn[slot]))
        conv = change < tol
        hist, cyc, period = c.hist, jnp.bool_(False), c.period
        if history:
            # hist[k] is the profile k + 1 steps before `new`; hist[0] (= y) is
            # skipped because equality with it is convergence, not a cycle.
            diffs = jnp.abs(c.hist - new[None, :]).max(-1)
            ks = jnp.arange(history)
            hit = (diffs <= ctol) & (ks <= c.t) & (ks > 0)
            cyc = (~conv) & jnp.any(hit)
            period = jnp.where(cyc, jnp.min(jnp.where(hit, ks, history)) + 1, 0).astype(jnp.int32)
            hist = jnp.concatenate([new[None, :], c.hist[:-1]], 0)
        return Carry(c.t + 1, new, hist, conv | cyc, conv, period, mx, mn)

    return jax.lax.while_loop(cond, body, carry)


def finish(carry: Carry, record: int = 0) -> DynamicsResult:
    steps = jnp.where(carry.converged, carry.t - 1, carry.t).astype(jnp.int32)
    mx, mn = carry.max_change, carry.mean_change
    if record == 0:
        mx, mn = mx[..., :0], mn[..., :0]
    return DynamicsResult(carry.y, steps, carry.converged, carry.period, mx, mn)


@functools.partial(
    jax.jit, static_argnames=("impact", "rule", "mode", "tol", "max_steps", "record", "cycle_tol")
)
def run_dynamics(
    impact: str,
    params: FireSaleParams,
    y0=None,
    rule: str = "best_response",
    mode: str = "simultaneous",
    order=None,
    tol: float = 1e-5,
    max_steps: int = 100_000,
    record: int = 0,
    cycle_tol: float | None = None,
) -> DynamicsResult:
    """Iterate the dynamics from y0 (default y = 1) until a step changes less than tol.

    `impact`, `rule`, `mode`, `max_steps` and `record` are static; vmap over
    params/y0.
    """
    _check(rule, mode)
    carry = init_carry(params, y0, record)
    carry = advance(impact, params, carry, max_steps, rule, mode, order, tol, record, cycle_tol)
    return finish(carry, record)


@functools.lru_cache(maxsize=64)
def _batched_advance(impact: str, rule: str, tol: float, record: int, alpha_one: bool):
    """One jitted, vmapped `advance` per configuration (so repeated calls reuse
    the compiled program for each batch shape)."""
    return jax.jit(jax.vmap(
        lambda p, c, u: advance(impact, p, c, u, rule, "simultaneous", None, tol, record, None, alpha_one)
    ))


def run_many(
    impact: str,
    params: FireSaleParams,
    rule: str = "best_response",
    tol: float = 1e-5,
    max_steps: int = 100_000,
    record: int = 0,
    chunk: int = 8,
    min_bucket: int = 256,
) -> DynamicsResult:
    """Simultaneous dynamics from y = 1 for a batch of instances (leading axis).

    Step counts are heavy-tailed, and a vmapped while-loop runs every lane until
    the slowest stops. Past `min_bucket` instances the batch is advanced in
    rounds of `chunk`, 2 `chunk`, 4 `chunk`... steps, and after each round the
    unfinished instances are gathered into a bucket of the next power-of-4 size
    (one compile per size), so the tail runs on few lanes.
    """
    _check(rule, "simultaneous")
    batch = int(np.shape(params.illiquid)[0])
    # alpha = 1 for the whole batch (checked here, in Python) selects the closed
    # form of Proposition 4; results agree with the general path to rounding.
    # From y = 1 both dynamics then decrease monotonically (Theorems 2 and 7),
    # so no cycle can occur and no history is kept.
    alpha_one = impact == "linear" and bool(np.all(np.asarray(params.alpha) == 1.0))
    history = 0 if alpha_one else HISTORY
    carry = jax.vmap(lambda p: init_carry(p, None, record, history))(params)
    step = _batched_advance(impact, rule, float(tol), int(record), alpha_one)
    if batch <= min_bucket:
        carry = step(params, carry, jnp.full((batch,), max_steps, jnp.int32))
        return finish(carry, record)
    carry = jax.tree.map(np.array, carry)  # writable host copies
    host_params = jax.tree.map(np.asarray, params)  # gathers on the host: eager device gathers are slow
    active = np.arange(batch)
    rounds = 0
    while active.size:
        # bucket sizes are powers of 4: few compiles (each size compiles once)
        size = max(min_bucket, 1 << (2 * int(np.ceil(np.log2(active.size) / 2))))
        size = min(size, batch)
        if active.size == batch:  # nothing finished yet: no gather
            idx = active
            sub_p = params
        else:
            idx = np.concatenate([active, np.full(size - active.size, active[0])])
            sub_p = jax.tree.map(lambda v: v[idx], host_params)
        sub_c = jax.tree.map(lambda v: v[idx], carry)
        # rounds double in length: the heavy tail costs few host round trips, and
        # lanes idle after their instance stopped stay a small share (simulated
        # on Section 5.3 step counts: about 2.5 lane-steps per useful step)
        steps_now = chunk << min(rounds, 20)
        rounds += 1
        until = np.minimum(sub_c.t.astype(np.int64) + steps_now, max_steps).astype(np.int32)
        out = jax.tree.map(np.asarray, step(sub_p, sub_c, until))
        n_act = active.size
        for leaf_all, leaf_new in zip(carry, out):
            leaf_all[active] = leaf_new[:n_act]
        still = (~carry.done[active]) & (carry.t[active] < max_steps)
        active = active[still]
    return finish(jax.tree.map(jnp.asarray, carry), record)
