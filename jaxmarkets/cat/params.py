"""The CAT game's traced numbers, their defaults (JCAT 0.20's) and their ranges.

Every field is an array leaf, so `vmap` over a batch of params runs many
regimes (fees, k, value ranges, learning rates...) in one program. The defaults
and where each comes from are listed in docs/cat.md.

`RANGES` is the one table of the documented ranges: `validate_params`
enforces exactly it (plus the structural rules: low <= high pairs, integer
fields, shapes), the property tests draw from it (`CatGame.param_ranges`) and
CONFIG.json loading (config.py) reads its bounds. An error starts with the
params field (what the property tests require) and ends with the CONFIG.json
name of the element, e.g. `k = 1.5 is outside the allowed range [0, 1]
(specialists[0].pricing.k, 'cda')`.

The state is float32, so every range is closed and finite: an open end (or
one at infinity) would let a float64 value inside the range round onto the
excluded end, or past float32's largest number, when the game casts it.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import InputError, ParamRange, check_range
from jaxmarkets.cat.spec import FEES

FLAT_FEES = FEES[:4]  # registration, information, shout, transaction: amounts per charge
# Prices, values and fees live in float32 state arrays: up to 1e6 a price keeps a
# resolution of 0.06, and a day's sums over thousands of traders stay finite.
PRICE_MAX = 1e6
_PRICE_WHY = "prices, values and fees are float32 in the state: bounded at 1e6 (resolution 0.06 there)"


class CatRange(NamedTuple):
    """One row of the table: the params field's range and its CONFIG.json name.
    `label` may hold {j} (the specialist) and {fee} (a flat fee's kind)."""

    range: ParamRange
    label: str


RANGES: tuple[CatRange, ...] = (
    CatRange(ParamRange("value_low", 0.0, PRICE_MAX, why=_PRICE_WHY), "traders.values[0]"),
    CatRange(ParamRange("value_high", 0.0, PRICE_MAX, why=_PRICE_WHY), "traders.values[1]"),
    CatRange(ParamRange("price_cap", 0.01, PRICE_MAX, why=_PRICE_WHY + "; at least one cent"), "price_cap"),
    CatRange(ParamRange("flat_fees", 0.0, PRICE_MAX, why=_PRICE_WHY), "specialists[{j}].fees.{fee}"),
    CatRange(ParamRange("profit_fee", 0.0, 1.0, why="a share of the trader's gain"), "specialists[{j}].fees.profit"),
    CatRange(ParamRange("k", 0.0, 1.0), "specialists[{j}].pricing.k"),
    CatRange(ParamRange("cut_scale", 0.0, 1.0, why="a cut never raises a fee"), "specialists[{j}].charging.scale"),
    CatRange(ParamRange("eq_delta", 0.0, PRICE_MAX, why=_PRICE_WHY), "specialists[{j}].delta"),
    CatRange(ParamRange("epsilon", 0.0, 1.0), "market_selection.epsilon"),
    CatRange(ParamRange("temperature", 1e-3, PRICE_MAX,
                        why="returns / temperature stays finite in float32 (returns are at most ~1e6 x entitlement)"),
             "market_selection.temperature"),
    CatRange(ParamRange("tie_tolerance", 0.0, PRICE_MAX, why=_PRICE_WHY), "market_selection.tie_tolerance"),
    CatRange(ParamRange("zic_markup", 0.0, PRICE_MAX, why=_PRICE_WHY), "strategies.zic.markup"),
    CatRange(ParamRange("zip_margin_low", 0.0, 1.0, why="a buyer's margin lies in (-1, 0] (Cliff 1997)"),
             "strategies.zip.margin[0]"),
    CatRange(ParamRange("zip_margin_high", 0.0, 1.0, why="a buyer's margin lies in (-1, 0] (Cliff 1997)"),
             "strategies.zip.margin[1]"),
    CatRange(ParamRange("zip_rate", 0.0, 1.0, why="0: no learning"), "strategies.zip.rate"),
    CatRange(ParamRange("zip_momentum", 0.0, 1.0, why="1: no learning"), "strategies.zip.momentum"),
    CatRange(ParamRange("zip_relative", 0.0, 1.0, why="a perturbation of at most the price itself"),
             "strategies.zip.relative"),
    CatRange(ParamRange("zip_absolute", 0.0, PRICE_MAX, why=_PRICE_WHY), "strategies.zip.absolute"),
    CatRange(ParamRange("re_recency", 0.0, 1.0), "strategies.re.recency"),
    CatRange(ParamRange("re_experimentation", 0.0, 1.0), "strategies.re.experimentation"),
    CatRange(ParamRange("re_scaling", 0.0, PRICE_MAX, why="0: every propensity 0, a uniform choice"),
             "strategies.re.scaling"),
    CatRange(ParamRange("re_markup_scale", 0.0, PRICE_MAX, why=_PRICE_WHY), "strategies.re.markup_scale"),
    CatRange(ParamRange("assessment_prob", 0.0, 1.0, why="0: only the end day is assessed"), "assessment.prob"),
)
RANGE = {r.range.field: r.range for r in RANGES}


@struct.dataclass
class CatParams:
    value_low: jax.Array  # () private values and costs ~ U[value_low, value_high]
    value_high: jax.Array  # ()
    price_cap: jax.Array  # () shouts lie in [0, price_cap]
    flat_fees: jax.Array  # [S, 4] registration, information, shout, transaction (amounts)
    profit_fee: jax.Array  # [S] the profit fee: a share of the trader's gain
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
        flat_fees=f(np.zeros((s, len(FLAT_FEES)))), profit_fee=f(np.zeros(s)), k=f(np.full(s, 0.5)), cut_scale=f(np.full(s, 0.8)),
        eq_delta=f(np.zeros(s)), epsilon=f(0.1), temperature=f(0.2), tie_tolerance=f(0.01),
        zic_markup=f(50.0), zip_margin_low=f(0.05), zip_margin_high=f(0.35), zip_rate=f(0.85),
        zip_momentum=f(0.5), zip_relative=f(0.05), zip_absolute=f(5.0), re_recency=f(0.1),
        re_experimentation=f(0.2), re_scaling=f(1.0), re_markup_scale=f(1.0), assessment_prob=f(0.9),
        entitlement=jnp.asarray(3, jnp.int32), calls=jnp.asarray(calls, jnp.int32),
    )


def fee_table(params: CatParams) -> jax.Array:
    """[..., S, 5] the five fees in the order of FEES (what a day announces)."""
    return jnp.concatenate([jnp.asarray(params.flat_fees), jnp.asarray(params.profit_fee)[..., None]], -1)


def with_fees(params: CatParams, fees) -> CatParams:
    """params with the five fees of `fees` [..., S, 5] (in the order of FEES)."""
    fees = jnp.asarray(fees, jnp.asarray(params.flat_fees).dtype)
    return params.replace(flat_fees=fees[..., : len(FLAT_FEES)], profit_fee=fees[..., len(FLAT_FEES)])


def param_ranges() -> tuple[ParamRange, ...]:
    return tuple(r.range for r in RANGES)


def _labels(row: CatRange, shape, n_specialists: int, names) -> list[tuple[tuple, str]]:
    """(index into the field's trailing axes, CONFIG.json name) for each element."""
    if "{fee}" in row.label:
        return [((j, f), row.label.format(j=j, fee=fee) + f", {names[j]!r}")
                for j in range(n_specialists) for f, fee in enumerate(FLAT_FEES)]
    if "{j}" in row.label:
        return [((j,), row.label.format(j=j) + f", {names[j]!r}") for j in range(n_specialists)]
    return [((), row.label)]


def check_ranges(params: CatParams, n_specialists: int, names: tuple[str, ...]) -> None:
    """Every row of RANGES, element by element (any leading batch axes)."""
    for row in RANGES:
        value = np.asarray(getattr(params, row.range.field))
        for index, label in _labels(row, value.shape, n_specialists, names):
            element = value[(Ellipsis, *index)] if index else value
            try:
                row.range.check(element)
            except InputError as err:
                raise InputError(f"{err} ({label})") from None


def validate_params(params: CatParams, n_specialists: int, names: tuple[str, ...] | None = None,
                    max_calls: tuple[int, ...] | None = None) -> None:
    """The ranges of RANGES and the structural rules, in plain Python before
    anything is compiled; works on a batch (leading axes) too. Errors start
    with the params field and name the CONFIG.json field and the range.
    names: the specialists' names; max_calls: per specialist, the most calls a
    day its schedule allows (0 for a continuous market, whose `calls` is unused)."""
    names = names or tuple(f"s{j}" for j in range(n_specialists))
    max_calls = max_calls or (0,) * n_specialists
    for name, integral in (("entitlement", params.entitlement), ("calls", params.calls)):
        arr = np.asarray(integral)
        if arr.dtype.kind not in "iu" or (name == "calls" and arr.shape[-1:] != (n_specialists,)):
            raise InputError(f"{name} has dtype {arr.dtype} and shape {arr.shape}; expected integers"
                             + (f", shape (..., {n_specialists})" if name == "calls" else ""))
    check_range("entitlement", params.entitlement, 1.0)
    shapes = {"flat_fees": (n_specialists, len(FLAT_FEES)), "profit_fee": (n_specialists,),
              "k": (n_specialists,), "cut_scale": (n_specialists,), "eq_delta": (n_specialists,)}
    for name, want in shapes.items():
        got = np.shape(getattr(params, name))
        if got[len(got) - len(want):] != want:
            raise InputError(f"{name} has shape {got}; expected (..., {', '.join(map(str, want))})")
    check_ranges(params, n_specialists, names)
    for j in range(n_specialists):
        if max_calls[j]:
            check_range("calls", np.asarray(params.calls)[..., j], 1.0, max_calls[j])
    lo, hi, cap = (np.asarray(x, np.float64) for x in (params.value_low, params.value_high, params.price_cap))
    if np.any(hi < lo):
        raise InputError(f"value_high = {hi.min():g} must be at least value_low = {lo.max():g} "
                         "(traders.values: low <= high)")
    if np.any(hi > cap):
        raise InputError(f"value_high = {hi.max():g} must be at most price_cap = {cap.min():g} "
                         "(traders.values[1] <= price_cap)")
    if np.any(np.asarray(params.zip_margin_high) < np.asarray(params.zip_margin_low)):
        raise InputError("zip_margin_high must be at least zip_margin_low (strategies.zip.margin: low <= high)")
