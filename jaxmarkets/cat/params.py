"""The CAT game's traced numbers, their defaults (JCAT 0.20's) and their ranges.

Every field is an array leaf, so `vmap` over a batch of params runs many
regimes (fees, k, value ranges, learning rates...) in one program. The defaults
and where each comes from are listed in docs/cat.md.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import InputError, check_range
from jaxmarkets.cat.spec import FEES


@struct.dataclass
class CatParams:
    value_low: jax.Array  # () private values and costs ~ U[value_low, value_high]
    value_high: jax.Array  # ()
    price_cap: jax.Array  # () shouts lie in [0, price_cap]
    fees: jax.Array  # [S, 5] registration, information, shout, transaction, profit (a share)
    k: jax.Array  # [S] k-pricing: price = k bid + (1 - k) ask
    cut_scale: jax.Array  # [S] charge cutting: undercut the cheapest rival's fee by this factor
    eq_delta: jax.Array  # [S] equilibrium beating: slack around the estimated price
    epsilon: jax.Array  # () market selection: exploration probability (epsilon-greedy)
    temperature: jax.Array  # () market selection: softmax temperature
    tie_tolerance: jax.Array  # () market selection: returns this close count as tied
    zic_markup: jax.Array  # () ZI-C: markup ~ U(0, zic_markup)
    zip_margin_low: jax.Array  # () ZIP: initial margin ~ U(low, high)
    zip_margin_high: jax.Array  # ()
    zip_rate: jax.Array  # () ZIP: Widrow-Hoff learning rate
    zip_momentum: jax.Array  # () ZIP: momentum
    zip_relative: jax.Array  # () ZIP: target perturbation U(0, relative) x price + ...
    zip_absolute: jax.Array  # () ... + U(0, absolute)
    re_recency: jax.Array  # () Roth-Erev: recency (forgetting)
    re_experimentation: jax.Array  # () Roth-Erev: experimentation
    re_scaling: jax.Array  # () Roth-Erev: initial propensities scaling / actions
    re_markup_scale: jax.Array  # () Roth-Erev: price = value -+ action x scale
    assessment_prob: jax.Array  # () sampled assessment: P(a day between start and end counts)
    entitlement: jax.Array  # () int32 units each trader may trade per day
    calls: jax.Array  # [S] int32 a clearing house's calls per day (continuous markets: unused)


def default_params(n_specialists: int, dtype=jnp.float32, calls=None) -> CatParams:
    f = lambda v: jnp.asarray(v, dtype)  # noqa: E731
    s = n_specialists
    calls = np.zeros(s) if calls is None else np.asarray(calls)
    return CatParams(
        value_low=f(50.0), value_high=f(150.0), price_cap=f(1000.0),
        fees=f(np.zeros((s, len(FEES)))), k=f(np.full(s, 0.5)), cut_scale=f(np.full(s, 0.8)),
        eq_delta=f(np.zeros(s)), epsilon=f(0.1), temperature=f(0.2), tie_tolerance=f(0.01),
        zic_markup=f(50.0), zip_margin_low=f(0.05), zip_margin_high=f(0.35), zip_rate=f(0.85),
        zip_momentum=f(0.5), zip_relative=f(0.05), zip_absolute=f(5.0), re_recency=f(0.1),
        re_experimentation=f(0.2), re_scaling=f(1.0), re_markup_scale=f(1.0), assessment_prob=f(0.9),
        entitlement=jnp.asarray(3, jnp.int32), calls=jnp.asarray(calls, jnp.int32),
    )


def validate_params(params: CatParams, n_specialists: int, names: tuple[str, ...] | None = None,
                    max_calls: tuple[int, ...] | None = None) -> None:
    """Every range, in plain Python before anything is compiled; works on a
    batch (leading axes) too. Errors name the field, the value and the range.
    max_calls: per specialist, the most calls a day its schedule allows (0 for
    a continuous market, whose `calls` is unused)."""
    names = names or tuple(f"specialists[{i}]" for i in range(n_specialists))
    max_calls = max_calls or (0,) * n_specialists
    for name, integral in (("entitlement", params.entitlement), ("calls", params.calls)):
        arr = np.asarray(integral)
        if arr.dtype.kind not in "iu" or (name == "calls" and arr.shape[-1:] != (n_specialists,)):
            raise InputError(f"{name} has dtype {arr.dtype} and shape {arr.shape}; expected integers"
                             + (f", shape (..., {n_specialists})" if name == "calls" else ""))
    check_range("traders.entitlement", params.entitlement, 1.0)
    fees = np.asarray(params.fees, np.float64)
    if fees.shape[-2:] != (n_specialists, len(FEES)):
        raise InputError(f"fees has shape {fees.shape}; expected (..., {n_specialists}, {len(FEES)})")
    for name in ("k", "cut_scale", "eq_delta"):
        got = np.shape(getattr(params, name))
        if got[-1:] != (n_specialists,):
            raise InputError(f"{name} has shape {got}; expected (..., {n_specialists})")
    for j, spec_name in enumerate(names):
        for f, fee in enumerate(FEES):
            high = 1.0 if fee == "profit" else None
            check_range(f"{spec_name}.fees.{fee}", fees[..., j, f], 0.0, high)
        check_range(f"{spec_name}.pricing.k", np.asarray(params.k)[..., j], 0.0, 1.0)
        check_range(f"{spec_name}.cut_scale", np.asarray(params.cut_scale)[..., j], 0.0, 1.0)
        check_range(f"{spec_name}.delta", np.asarray(params.eq_delta)[..., j], 0.0)
        if max_calls[j]:
            check_range(f"{spec_name}.calls", np.asarray(params.calls)[..., j], 1.0, max_calls[j])
    check_range("price_cap", params.price_cap, 0.0, low_open=True)
    check_range("values[0]", params.value_low, 0.0)
    check_range("values[1]", params.value_high, 0.0)
    lo, hi, cap = (np.asarray(x, np.float64) for x in (params.value_low, params.value_high, params.price_cap))
    if np.any(hi < lo):
        raise InputError(f"values = [{lo.max():g}, {hi.min():g}] must satisfy low <= high")
    if np.any(hi > cap):
        raise InputError(f"values[1] = {hi.max():g} is outside the allowed range [0, price_cap = {cap.min():g}]")
    check_range("market_selection.epsilon", params.epsilon, 0.0, 1.0)
    check_range("market_selection.temperature", params.temperature, 0.0, low_open=True)
    check_range("market_selection.tie_tolerance", params.tie_tolerance, 0.0)
    check_range("zic.markup", params.zic_markup, 0.0)
    check_range("zip.margin_low", params.zip_margin_low, 0.0)
    check_range("zip.margin_high", params.zip_margin_high, 0.0)
    if np.any(np.asarray(params.zip_margin_high) < np.asarray(params.zip_margin_low)):
        raise InputError("zip.margin_high must be at least zip.margin_low")
    check_range("zip.rate", params.zip_rate, 0.0, 1.0, low_open=True)
    check_range("zip.momentum", params.zip_momentum, 0.0, 1.0, high_open=True)
    check_range("zip.relative", params.zip_relative, 0.0)
    check_range("zip.absolute", params.zip_absolute, 0.0)
    check_range("re.recency", params.re_recency, 0.0, 1.0)
    check_range("re.experimentation", params.re_experimentation, 0.0, 1.0)
    check_range("re.scaling", params.re_scaling, 0.0, low_open=True)
    check_range("re.markup_scale", params.re_markup_scale, 0.0, low_open=True)
    check_range("assessment.prob", params.assessment_prob, 0.0, 1.0, low_open=True)
