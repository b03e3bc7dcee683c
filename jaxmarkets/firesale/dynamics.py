"""Best-response dynamics: `run_dynamics` for one instance (a `lax.while_loop`;
vmap it over a few), `run_many` / `many_solver` for large batches (compacted
between rounds; see `_compacted`).

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
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.firesale.best_response import (
    alpha_one_linear,
    alpha_one_response,
    alpha_one_simplified,
    best_response,
    best_response_of,
    holdings_values,
    simplified_response,
)
from jaxmarkets.core import InputError, check_int
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


class Update(NamedTuple):
    """One step of the dynamics for profiles y [N, lanes], one instance per lane
    (the problem's lane axis is last too; see `problem_of`).

    prepare(problem, y) -> what the step needs of y that is worth keeping in
    the loop state (the holdings' values for alpha = 1, else nothing);
    step(problem, y, prepared) -> the next profile."""

    prepare: Callable
    step: Callable


def _updater(impact, rule, mode, order, alpha_one, lanes=True) -> Update:
    """`lanes` False: profiles y [N] of a single instance, no lane axis."""
    if alpha_one:  # agent axis first, lanes after: no vmap needed
        step = alpha_one_response if rule == "best_response" else alpha_one_simplified
        return Update(holdings_values, step)
    if mode == "simultaneous":
        if rule == "best_response":
            one = lambda params, y: best_response(impact, params, y).y  # noqa: E731
        else:
            one = lambda params, y: simplified_response(impact, params, y)  # noqa: E731
    else:

        def one(params, y):
            def move(y, i):
                if rule == "best_response":
                    yi = best_response_of(impact, params, y, i)[0]
                else:
                    yi = simplified_response(impact, params, y)[i]
                return y.at[i].set(yi), None

            return jax.lax.scan(move, y, order)[0]

    batched = jax.vmap(one, in_axes=-1, out_axes=-1) if lanes else one
    return Update(lambda problem, y: (), lambda problem, y, _: batched(problem, y))


def problem_of(params: FireSaleParams, alpha_one: bool):
    """What a step reads of an instance, computed once before the loop."""
    return alpha_one_linear(params) if alpha_one else params


class Carry(NamedTuple):
    """The loop state of a block of instances, one per lane (the last axis),
    or of a single instance (no lane axis: `run_dynamics`, which vmaps well)."""

    t: jax.Array  # [L] int32
    y: jax.Array  # [N, L]
    hist: jax.Array  # [HISTORY or 0, N, L]
    done: jax.Array  # [L]
    converged: jax.Array  # [L]
    period: jax.Array  # [L] int32
    max_change: jax.Array  # [max(record, 1), L]
    mean_change: jax.Array  # [max(record, 1), L]


def _check(rule, mode):
    if rule not in RULES:
        raise InputError(f"rule = {rule!r} is not one of {RULES}")
    if mode not in MODES:
        raise InputError(f"mode = {mode!r} is not one of {MODES}")


def init_carry(y0, record: int = 0, history: int = HISTORY) -> Carry:
    """The state before the first step from profiles y0 [N, L] (or [N])."""
    n, lanes = y0.shape[0], y0.shape[1:]
    hist = jnp.zeros((history, n, *lanes), y0.dtype)
    if history:
        hist = hist.at[0].set(y0)
    zeros = jnp.zeros((max(int(record), 1), *lanes), y0.dtype)
    none = jnp.zeros(lanes, bool)
    count = jnp.zeros(lanes, jnp.int32)
    return Carry(count, y0, hist, none, none, count, zeros, zeros)


def _loop(update: Update, problem, carry: Carry, until, tol, record, ctol, min_active=1) -> Carry:
    """Advance every lane until a step changes it less than `tol`, a cycle
    shows, or its step count reaches `until` [L]; stop early once fewer than
    `min_active` lanes are still running (after at least one step)."""
    history = carry.hist.shape[0]
    lane_axes = (1,) * carry.t.ndim
    ks = jnp.arange(history).reshape(history, *lane_axes)
    slots = jnp.arange(carry.max_change.shape[0]).reshape(-1, *lane_axes)

    def running(c):
        return (~c.done) & (c.t < until)

    def cond(state):
        c, _, first = state
        n = running(c).sum()
        return (n > 0) & (first | (n >= min_active))

    def body(state):
        c, prepared, _ = state
        go = running(c)
        new = update.step(problem, c.y, prepared)
        d = jnp.abs(new - c.y)
        change = d.max(0)
        conv = change < tol
        mx, mn = c.max_change, c.mean_change
        if record:
            write = (slots == c.t) & go
            mx = jnp.where(write, change, mx)
            mn = jnp.where(write, d.mean(0), mn)
        hist, cyc, period = c.hist, jnp.zeros_like(conv), jnp.zeros_like(c.period)
        if history:
            # hist[k] is the profile k + 1 steps before `new`; hist[0] (= y) is
            # skipped because equality with it is convergence, not a cycle.
            diffs = jnp.abs(c.hist - new).max(1)
            hit = (diffs <= ctol) & (ks <= c.t) & (ks > 0)
            cyc = (~conv) & hit.any(0)
            period = jnp.where(cyc, jnp.min(jnp.where(hit, ks, history), 0) + 1, 0).astype(jnp.int32)
            hist = jnp.where(go, jnp.concatenate([new[None], c.hist[:-1]], 0), c.hist)
        y = jnp.where(go, new, c.y)
        c = Carry(
            c.t + go,
            y,
            hist,
            c.done | (go & (conv | cyc)),
            jnp.where(go, conv, c.converged),
            jnp.where(go, period, c.period),
            mx,
            mn,
        )
        return c, update.prepare(problem, y), jnp.bool_(False)

    state = (carry, update.prepare(problem, carry.y), jnp.bool_(True))
    return jax.lax.while_loop(cond, body, state)[0]


def _cycle_tol(tol, cycle_tol):
    return min(tol, 1e-9) if cycle_tol is None else cycle_tol


def finish(carry: Carry, record: int = 0) -> DynamicsResult:
    """Results from the carry of one instance, or of many with the instance axis first."""
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
    """Iterate the dynamics of one instance from y0 (default y = 1) until a step
    changes less than tol. `impact`, `rule`, `mode`, `max_steps` and `record`
    are static; vmap over params/y0, or use `run_many` for large batches.
    """
    _check(rule, mode)
    n = params.illiquid.shape[-1]
    order = jnp.arange(n) if order is None else jnp.asarray(order, jnp.int32)
    dtype = params.illiquid.dtype
    y0 = jnp.ones((n,), dtype) if y0 is None else jnp.asarray(y0, dtype)
    update = _updater(impact, rule, mode, order, False, lanes=False)
    carry = _loop(update, params, init_carry(y0, record), max_steps, tol, record, _cycle_tol(tol, cycle_tol))
    return finish(carry, record)


def _compacted(update, problems, carry: Carry, *, max_steps, tol, record, ctol, blocks):
    """The dynamics of a batch: instances on the leading axis of `problems`
    (see `problem_of`), one per lane (the last axis) of `carry`.

    Step counts are heavy-tailed, and lanes in one loop run until the slowest
    stops. So the batch runs in rounds: each round lists the unfinished
    instances first and runs them in blocks of `blocks[0]` lanes, gathered so a
    block fits in cache; a block stops once half of its lanes have finished,
    and the rest go on in the next round, packed densely again. Once no more
    than `blocks[1]` instances are left, the smaller blocks take over (and so
    on), so the few slowest run on few lanes. All of it is one compiled program.
    A block's problems are gathered and turned lanes-last in cache: along the
    lanes XLA:CPU vectorises the per-agent arithmetic.
    """
    batch = carry.t.shape[-1]
    positions = jnp.arange(batch)

    def unfinished(c):
        return (~c.done) & (c.t < max_steps)

    def run_rounds(c, block, leave):
        block = min(block, batch)

        def round_body(c):
            todo = unfinished(c)
            n_todo = todo.sum()
            # unfinished instances first, in order (a stable partition)
            rank = jnp.where(todo, jnp.cumsum(todo) - 1, n_todo + jnp.cumsum(~todo) - 1)
            order = jnp.zeros_like(positions).at[rank].set(positions, unique_indices=True)

            def run_block(b, c):
                # the last block is shifted to fit; lanes a block before it ran are frozen
                start = jnp.minimum(b * block, batch - block)
                idx = jax.lax.dynamic_slice(order, (start,), (block,))
                lanes = lambda tree: jax.tree.map(lambda v: v[..., idx], tree)  # noqa: E731
                sub = lanes(c)
                fresh = (start + jnp.arange(block)) >= b * block
                until = jnp.where(fresh, max_steps, sub.t)
                running = (fresh & unfinished(sub)).sum()
                problem = last_axis(jax.tree.map(lambda v: v[idx], problems))
                out = _loop(update, problem, sub, until, tol, record, ctol, min_active=(running + 1) // 2)
                return jax.tree.map(lambda v, s: v.at[..., idx].set(s, unique_indices=True), c, out)

            n_blocks = (n_todo + block - 1) // block
            return jax.lax.fori_loop(0, n_blocks, run_block, c)

        return jax.lax.while_loop(lambda c: unfinished(c).sum() > leave, round_body, c)

    for block, leave in zip(blocks, (*blocks[1:], 0)):
        carry = run_rounds(carry, block, leave)
    return carry


@functools.lru_cache(maxsize=64)
def compacted_solver(impact, rule, tol, max_steps, record, alpha_one, blocks):
    """`solve(params, valid) -> DynamicsResult`: the simultaneous dynamics from
    y = 1 for a batch of instances (leading axis), compacted between rounds
    (`_compacted`). Lanes where `valid` is False (a device's padding) start
    finished and cost nothing. Cached, so one configuration is one function
    object and compiles once wherever it is placed
    (`sweeps.engine.shard_batch` splits a batch over devices)."""
    update = _updater(impact, rule, "simultaneous", None, alpha_one)
    ctol = _cycle_tol(tol, None)
    history = 0 if alpha_one else HISTORY

    def solve(params, valid):
        n = params.illiquid.shape[-1]
        local = valid.shape[0]
        carry = init_carry(jnp.ones((n, local), params.illiquid.dtype), record, history)
        carry = carry._replace(done=~valid)
        problems = jax.vmap(lambda p: problem_of(p, alpha_one))(params)
        carry = _compacted(update, problems, carry, max_steps=max_steps, tol=tol, record=record,
                           ctol=ctol, blocks=blocks)
        return finish(first_axis(carry), record)

    return solve


def many_solver(
    impact: str,
    params: FireSaleParams,
    rule: str = "best_response",
    tol: float = 1e-5,
    max_steps: int = 100_000,
    record: int = 0,
    blocks: tuple[int, ...] = (512, 32),
):
    """The validated `compacted_solver` for this batch of instances."""
    _check(rule, "simultaneous")
    if not blocks:
        raise InputError("blocks is empty; give one or more block sizes, e.g. (512, 32)")
    for b in blocks:
        check_int("blocks", b, 1)
    # alpha = 1 for the whole batch (checked here, in Python) selects the closed
    # form of Proposition 4; results agree with the general path to rounding.
    # From y = 1 both dynamics then decrease monotonically (Theorems 2 and 7),
    # so no cycle can occur and no history is kept.
    alpha_one = impact == "linear" and bool(np.all(np.asarray(params.alpha) == 1.0))
    return compacted_solver(impact, rule, float(tol), int(max_steps), int(record), alpha_one,
                            tuple(int(b) for b in blocks))


@functools.lru_cache(maxsize=64)
def _jitted(solver):
    return jax.jit(solver)


def run_many(impact: str, params: FireSaleParams, *args, **kwargs) -> DynamicsResult:
    """Simultaneous dynamics from y = 1 for a batch of instances (leading axis),
    on one device; arguments as `many_solver`. To split a batch over every
    device (every CPU core, say):
    `sweeps.engine.shard_batch(many_solver(impact, params, ...), params)`."""
    solver = many_solver(impact, params, *args, **kwargs)
    batch = int(np.shape(params.illiquid)[0])
    return _jitted(solver)(params, jnp.ones(batch, bool))


def first_axis(tree):
    """Lane axis (last) to the front."""
    return jax.tree.map(lambda v: jnp.moveaxis(v, -1, 0), tree)


def last_axis(tree):
    """Leading axis to the back (the lane axis of `_loop`)."""
    return jax.tree.map(lambda v: jnp.moveaxis(v, 0, -1), tree)
