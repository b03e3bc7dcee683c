"""Pareto fronts of a finite set of payoff (or cost) vectors.

A point is dominated when another is at least as good in every objective and
strictly better in one. Equal points do not dominate each other, so duplicates
on the front are all kept. The filter is one broadcast [k, k, d] comparison:
fine for the thousands of points an equilibrium or sweep table has.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.payoffs import _as_numbers, check_finite, is_concrete


def _senses(maximize, d: int) -> np.ndarray:
    """+1 for an objective to maximise, -1 to minimise."""
    flags = np.broadcast_to(np.asarray(maximize), (d,)) if np.ndim(maximize) == 0 else np.asarray(maximize)
    if flags.dtype != bool or flags.shape != (d,):
        raise InputError(f"maximize = {maximize!r} must be True/False or a sequence of {d} of them, "
                         "one per objective")
    return np.where(flags, 1.0, -1.0)


@functools.partial(jax.jit, static_argnames="senses")
def _mask(values, senses: tuple):
    v = values * jnp.asarray(senses, values.dtype)
    geq = jnp.all(v[None, :, :] >= v[:, None, :], axis=-1)  # [i, j]: j at least as good as i
    gt = jnp.any(v[None, :, :] > v[:, None, :], axis=-1)
    return ~jnp.any(geq & gt, axis=1)


def _check(values, maximize):
    vals = _as_numbers("values", values)
    if np.ndim(vals) != 2 or 0 in np.shape(vals):
        raise InputError(f"values has shape {tuple(np.shape(vals))}; expected [k points, d objectives] "
                         "with k, d >= 1")
    check_finite("values", vals)
    vals = jnp.asarray(vals)
    return vals.astype(jnp.result_type(vals, float)), tuple(_senses(maximize, vals.shape[1]).tolist())


def pareto_mask(values, *, maximize=True) -> jax.Array:
    """Bool [k]: which of the k points (rows of values [k, d]) are non-dominated.

    maximize: True (more is better), False (costs), or one flag per objective.
    jit- and vmap-able (values need not be concrete).
    """
    return _mask(*_check(values, maximize))


def pareto_front(values, *, maximize=True) -> np.ndarray:
    """Indices of the non-dominated points, sorted along the front.

    The order is ascending in the first objective, ties by the next objectives,
    then by index: for two objectives this walks the front from one end to the
    other (the second objective then moves monotonically).
    """
    vals, senses = _check(values, maximize)
    if not is_concrete(vals):
        raise InputError("pareto_front returns a variable number of indices; use pareto_mask "
                         "inside jit or vmap")
    keep = np.flatnonzero(np.asarray(_mask(vals, senses)))
    v = np.asarray(vals)[keep]
    order = np.lexsort(tuple(v[:, c] for c in range(v.shape[1] - 1, -1, -1)))
    return keep[order]
