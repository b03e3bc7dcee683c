"""Learning dynamics in `lax.scan`: fictitious play and discrete-time replicator.

Both run on a payoff tensor u[n, a_1, ..., a_n] (a `Bimatrix` is [A, B]) and
return a `LearningResult`: the time-average and the last iterate after n_steps,
and NashConv of both every `record_every` steps (the trajectory is downsampled
inside the scan, so a million steps keep only n_steps // record_every numbers).

Fictitious play (simultaneous): the initial profile counts as the first
observation; at every step each player plays a pure best response (lowest index
on ties) to the others' empirical averages, and the averages take the new play
in with weight 1/(t+1). The *average* is the object of the convergence theorems
(Robinson 1951 for zero-sum games); the last iterate is the pure profile played.

Replicator (discrete time, Maynard Smith's form with background fitness 1/eta):
each player's payoffs are first mapped affinely onto [0, 1] (f_p = (u_p - min
u_p) / range), then x_p(a) <- x_p(a) (1 + eta f_p(a, x_-p)) / (1 + eta f_p(x)).
This stays on the simplex for every eta > 0, never revives an action played with
probability 0, and for small eta follows the continuous replicator equation with
time eta. The average is of the iterates, initial included.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from jaxmarkets.core import check_int, check_range
from jaxmarkets.equilibria.normal_form import _action_values
from jaxmarkets.equilibria.payoffs import as_tensor, check_strategies, is_concrete


class LearningResult(NamedTuple):
    average: tuple  # per player, the time-average strategy after n_steps
    last: tuple  # per player, the last iterate
    nash_conv_average: jax.Array  # [n_records] NashConv of the average at `steps`
    nash_conv_last: jax.Array  # [n_records] NashConv of the last iterate at `steps`
    steps: jax.Array  # [n_records] steps taken at each record: record_every * (1, 2, ...)


def _nash_conv(u, strategies):
    vals = _action_values(u, strategies)
    return sum(jnp.max(v) - v @ s for v, s in zip(vals, strategies))


def _run(step, measure, carry, n_steps: int, record_every: int):
    def inner(c, _):
        return step(c), None

    def outer(c, _):
        c, _ = lax.scan(inner, c, None, length=record_every)
        return c, measure(c)

    n_records = n_steps // record_every
    carry, records = lax.scan(outer, carry, None, length=n_records)
    tail = n_steps - n_records * record_every
    if tail:
        carry, _ = lax.scan(inner, carry, None, length=tail)
    return carry, records, record_every * jnp.arange(1, n_records + 1)


def _average_in(avg, new, t):
    return tuple(a + (b - a) / (t + 1) for a, b in zip(avg, new))


@functools.partial(jax.jit, static_argnames=("n_steps", "record_every"))
def _fictitious_play(u, initial, n_steps: int, record_every: int) -> LearningResult:
    def step(carry):
        avg, _, t = carry
        vals = _action_values(u, avg)
        br = tuple(jax.nn.one_hot(jnp.argmax(v), v.shape[0], dtype=u.dtype) for v in vals)
        return _average_in(avg, br, t), br, t + 1

    def measure(carry):
        avg, last, _ = carry
        return _nash_conv(u, avg), _nash_conv(u, last)

    carry = (initial, initial, jnp.ones((), u.dtype))
    (avg, last, _), (nc_avg, nc_last), steps = _run(step, measure, carry, n_steps, record_every)
    return LearningResult(avg, last, nc_avg, nc_last, steps)


@functools.partial(jax.jit, static_argnames=("n_steps", "record_every"))
def _replicator(u, initial, step_size, n_steps: int, record_every: int) -> LearningResult:
    axes = tuple(range(1, u.ndim))
    lo, hi = jnp.min(u, axis=axes, keepdims=True), jnp.max(u, axis=axes, keepdims=True)
    fitness = jnp.where(hi > lo, (u - lo) / jnp.where(hi > lo, hi - lo, 1), 0)

    def step(carry):
        x, avg, t = carry
        vals = _action_values(fitness, x)
        new = tuple(s * (1 + step_size * v) / (1 + step_size * (v @ s)) for s, v in zip(x, vals))
        return new, _average_in(avg, new, t), t + 1

    def measure(carry):
        x, avg, _ = carry
        return _nash_conv(u, avg), _nash_conv(u, x)

    carry = (initial, initial, jnp.ones((), u.dtype))
    (x, avg, _), (nc_avg, nc_last), steps = _run(step, measure, carry, n_steps, record_every)
    return LearningResult(avg, x, nc_avg, nc_last, steps)


def _prepare(payoffs, n_steps, record_every, initial):
    u = as_tensor(payoffs)
    u = u.astype(jnp.result_type(u, float))
    check_int("n_steps", n_steps, 1)
    if record_every is None:
        record_every = max(1, n_steps // 100)
    check_int("record_every", record_every, 1, n_steps)
    if initial is None:
        initial = tuple(jnp.full(k, 1 / k, u.dtype) for k in u.shape[1:])
    else:
        initial = tuple(s.astype(u.dtype) for s in check_strategies(initial, u.shape[1:], "initial"))
    return u, initial, record_every


def fictitious_play(payoffs, n_steps: int, *, record_every: int | None = None,
                    initial=None) -> LearningResult:
    """Simultaneous fictitious play for n_steps (static); see the module docstring.

    record_every: static, default max(1, n_steps // 100); initial: a mixed
    profile, default uniform.
    """
    u, initial, record_every = _prepare(payoffs, n_steps, record_every, initial)
    return _fictitious_play(u, initial, n_steps=n_steps, record_every=record_every)


def replicator_dynamics(payoffs, n_steps: int, *, step_size: float = 1.0,
                        record_every: int | None = None, initial=None) -> LearningResult:
    """Discrete-time replicator dynamics for n_steps (static); see the module docstring.

    step_size: eta > 0; initial: a mixed profile, default uniform (an action
    with probability 0 stays at 0, so start in the interior to explore).
    """
    u, initial, record_every = _prepare(payoffs, n_steps, record_every, initial)
    if is_concrete(step_size):
        check_range("step_size", step_size, 0, None, low_open=True)
    return _replicator(u, initial, jnp.asarray(step_size, u.dtype), n_steps=n_steps,
                       record_every=record_every)
