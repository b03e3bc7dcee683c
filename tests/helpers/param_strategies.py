"""Hypothesis strategies that draw a game's params from its documented ranges.

The ranges are the game's own declaration (`env.param_ranges()`, a tuple of
`jaxmarkets.core.ParamRange`), the one `validate` checks, so a game added to
`jaxmarkets.GAMES` is drawn from without any code here. Values are drawn in
float64: the edges of each range (an open end's nearest float inside it),
plain floats across it (hypothesis favours zero, tiny and huge ones),
log-uniform magnitudes over its positive part, and the default value scaled by
a power of ten (mixed scales between fields). An array field is the default,
one value repeated, independent values (sorted or not), or the scaled default.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

from jaxmarkets.core import ParamRange

TOP = 1e300  # stands in for an unbounded end of a range


def inner_ends(r: ParamRange) -> tuple[float, float]:
    """The smallest and largest float64 inside the range."""
    lo = -TOP if r.low is None else float(r.low)
    hi = TOP if r.high is None else float(r.high)
    if r.low is not None and r.low_open:
        lo = float(np.nextafter(lo, np.inf))
    if r.high is not None and r.high_open:
        hi = float(np.nextafter(hi, -np.inf))
    return lo, hi


def outside_values(r: ParamRange) -> list[float]:
    """Values just past each finite end, and the non-finite ones."""
    out = [float("nan"), float("inf"), float("-inf")]
    if r.low is not None:
        out.append(float(r.low) if r.low_open else float(r.low) - max(1.0, abs(float(r.low))))
    if r.high is not None:
        out.append(float(r.high) if r.high_open else float(r.high) + max(1.0, abs(float(r.high))))
    return out


def elements(r: ParamRange):
    lo, hi = inner_ends(r)
    parts = [st.sampled_from(sorted({lo, hi}))]
    parts.append(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    pos_lo = max(lo, np.finfo(np.float64).tiny)
    if hi > pos_lo:
        parts.append(
            st.floats(np.log10(pos_lo), np.log10(hi)).map(lambda e: float(np.clip(10.0**e, lo, hi)))
        )
    return st.one_of(*parts)


@st.composite
def field_values(draw, r: ParamRange, default) -> np.ndarray:
    default = np.asarray(default, np.float64)
    lo, hi = inner_ends(r)
    if default.size == 0:
        return default
    how = draw(st.sampled_from(("default", "same", "each", "sorted", "scaled")))
    if how == "default":
        return default
    if how == "same":
        return np.full(default.shape, draw(elements(r)))
    if how in ("each", "sorted"):
        flat = draw(st.lists(elements(r), min_size=default.size, max_size=default.size))
        out = np.asarray(flat, np.float64).reshape(default.shape)
        return np.sort(out, axis=-1) if how == "sorted" and out.ndim else out
    factor = 10.0 ** draw(st.integers(-12, 12))
    return np.clip(default * factor, lo, hi)


@st.composite
def param_updates(draw, ranges, default_params) -> dict[str, np.ndarray]:
    """float64 values for every ranged field, shaped like the default's."""
    return {r.field: draw(field_values(r, getattr(default_params, r.field)), label=r.field) for r in ranges}


def with_values(params, updates: dict):
    """params with `updates` cast to each field's dtype (float32 overflow gives inf,
    which validate rejects)."""
    new = {}
    with np.errstate(over="ignore", under="ignore"):
        for name, value in updates.items():
            old = getattr(params, name)
            new[name] = jnp.asarray(np.asarray(value).astype(np.asarray(old).dtype))
    return params.replace(**new)


def params_fields(params) -> set[str]:
    return {f.name for f in dataclasses.fields(params)}
