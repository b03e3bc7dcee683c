"""The calling convention: how a game's payoffs and a mixed profile are passed.

Every solver takes the game first, as `payoffs`:

* a two-player (bimatrix) game is a `Bimatrix(row=A, col=B)`, or any pair
  `(A, B)`, with A[i, j] and B[i, j] the row and column player's payoffs when
  row plays i and column plays j (both [m, n]);
* an n-player game is a payoff tensor u[n_players, a_1, ..., a_n], u[p, s] the
  payoff of player p at the pure profile s. A bimatrix game is u = [A, B].

A mixed profile is a tuple of one probability vector per player. Functions that
only need the tensor accept a `Bimatrix` too.

Shapes are checked at trace time (they are static); values (finite payoffs,
probabilities that sum to 1) are checked in plain Python before `jit` whenever
the inputs are concrete arrays, and are skipped for tracers, so a function
called inside the caller's own `jit`/`vmap` trusts its inputs. Every failure is
a `jaxmarkets.core.InputError` that names the field.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError, _fmt
from jaxmarkets.equilibria.tolerances import PROBABILITY_SUM


class Bimatrix(NamedTuple):
    """A two-player game: row[i, j], col[i, j] for row action i, column action j."""

    row: Any
    col: Any

    def tensor(self):
        """The same game as a payoff tensor u[2, m, n]."""
        return jnp.stack([jnp.asarray(self.row), jnp.asarray(self.col)])


def is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _as_numbers(name: str, value):
    if not is_concrete(value):
        return value
    try:
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise TypeError
    except (TypeError, ValueError):
        raise InputError(f"{name} = {value!r} is not an array of numbers") from None
    return arr


def check_finite(name: str, value) -> None:
    if not is_concrete(value):
        return
    arr = np.asarray(value)
    bad = ~np.isfinite(arr)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{name} contains a non-finite value ({arr[idx]} at index {idx}); "
            "every entry must be a finite number"
        )


def check_matrix(name: str, value, batch_dims: int = 0):
    """A finite [..., m, n] array with m, n >= 1 (and `batch_dims` leading axes)."""
    arr = _as_numbers(name, value)
    shape = tuple(np.shape(arr))
    want = batch_dims + 2
    if len(shape) != want or 0 in shape:
        lead = "[batch, " * batch_dims
        raise InputError(
            f"{name} has shape {shape}; expected a matrix {lead}[m, n]{']' * batch_dims} "
            "with m, n >= 1"
        )
    check_finite(name, arr)
    return arr


def as_bimatrix(payoffs, name: str = "payoffs", batch_dims: int = 0) -> Bimatrix:
    """Check a bimatrix game (a `Bimatrix`, an (A, B) pair or u[2, m, n])."""
    if isinstance(payoffs, Bimatrix):
        row, col = payoffs
    elif isinstance(payoffs, (tuple, list)) and len(payoffs) == 2:
        row, col = payoffs
    else:
        arr = _as_numbers(name, payoffs)
        shape = tuple(np.shape(arr))
        if len(shape) != 3 + batch_dims or shape[batch_dims] != 2:
            raise InputError(
                f"{name} has shape {shape}; expected a Bimatrix(row, col), an (A, B) pair "
                "or an array [2, m, n]"
            )
        row, col = arr[(slice(None),) * batch_dims + (0,)], arr[(slice(None),) * batch_dims + (1,)]
    row = check_matrix(f"{name}.row", row, batch_dims)
    col = check_matrix(f"{name}.col", col, batch_dims)
    if np.shape(col) != np.shape(row):
        raise InputError(
            f"{name}.col has shape {tuple(np.shape(col))}; expected {tuple(np.shape(row))}, "
            f"the shape of {name}.row"
        )
    return Bimatrix(row, col)


def as_tensor(payoffs, name: str = "payoffs"):
    """Check an n-player game and return its payoff tensor u[n, a_1, ..., a_n]."""
    if isinstance(payoffs, Bimatrix) or (isinstance(payoffs, (tuple, list)) and len(payoffs) == 2
                                         and all(np.ndim(p) == 2 for p in payoffs)):
        return as_bimatrix(payoffs, name).tensor()
    u = _as_numbers(name, payoffs)
    shape = tuple(np.shape(u))
    if len(shape) < 2 or shape[0] != len(shape) - 1 or 0 in shape:
        raise InputError(
            f"{name} has shape {shape}; expected [n_players, a_1, ..., a_n]: one action axis "
            "per player after the player axis, each with at least one action"
        )
    check_finite(name, u)
    return jnp.asarray(u)


def check_strategies(strategies, action_counts: Sequence[int], name: str = "strategies"):
    """A tuple of probability vectors, one per player, of the game's action counts."""
    n = len(action_counts)
    if isinstance(strategies, (jax.Array, np.ndarray)) or not isinstance(strategies, Sequence):
        raise InputError(
            f"{name} is a {type(strategies).__name__}; expected a tuple of {n} probability "
            "vectors, one per player"
        )
    if len(strategies) != n:
        raise InputError(f"{name} has {len(strategies)} entries; expected {n}, one per player")
    out = []
    for p, (s, a) in enumerate(zip(strategies, action_counts)):
        field = f"{name}[{p}]"
        s = _as_numbers(field, s)
        if tuple(np.shape(s)) != (a,):
            raise InputError(f"{field} has shape {tuple(np.shape(s))}; expected ({a},), one "
                             f"probability per action of player {p}")
        check_finite(field, s)
        if is_concrete(s):
            s64 = np.asarray(s, np.float64)
            if s64.min() < -PROBABILITY_SUM:
                raise InputError(f"{field} = {_fmt(s64)} has a negative entry; probabilities "
                                 "must lie in [0, 1]")
            if abs(s64.sum() - 1.0) > PROBABILITY_SUM:
                raise InputError(f"{field} = {_fmt(s64)} sums to {s64.sum():.10g}; expected 1 "
                                 f"(within {PROBABILITY_SUM:g})")
        out.append(jnp.asarray(s))
    return tuple(out)


def check_flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} = {value!r} must be True or False")
    return bool(value)
