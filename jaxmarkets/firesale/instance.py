"""INSTANCE.json: a user's fire-sale game, loaded and validated before any compile.

Schema (one JSON object):

    holdings      N x M list of lists, entries in [0, 1], each column sum <= 1
    illiquid      N numbers in [0, 1e15]  (a^I)
    liabilities   N numbers in [0, 1e15]  (l)
    prices0       M numbers in (0, 1e15]  (p0)
    leverage_cap  number in (1, 1e6]      (lambda)
    alpha         number in [0, 1]        (implementation shortfall; default 1)
    impact        {"kind": "linear"}
                  {"kind": "power", "exponent": k or [k_1..k_M]}       (k > 0)
                  {"kind": "piecewise_linear", "knots": [...], "levels": [...]}
                      knots: unsold amounts of the tipping points, strictly
                      increasing in (0, 1); levels: p / p0 there, strictly
                      increasing in (0, 1); one list for every asset, or a list
                      of lists (one per asset, all of the same length)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from jaxmarkets.core import InputError, check_choice
from jaxmarkets.firesale.game import IMPACTS, FireSaleGame, FireSaleParams, make_params, validate_params

REQUIRED = ("holdings", "illiquid", "liabilities", "prices0", "leverage_cap")
OPTIONAL = ("alpha", "impact")


def _numbers(name, value):
    """A JSON number or (nested, rectangular) list of numbers as float64; an error
    names the field, and the entry, that is not a number or a ragged list."""

    def walk(label, v):
        if isinstance(v, bool) or not isinstance(v, (int, float, list)):
            raise InputError(f"{label} = {v!r} is not a number")
        if isinstance(v, list):
            rows = [walk(f"{label}[{i}]", x) for i, x in enumerate(v)]
            shapes = {np.shape(r) for r in rows}
            if len(shapes) > 1:
                raise InputError(
                    f"{name} = {value!r} is ragged: its lists must all have the same length"
                )
            return np.array(rows, dtype=np.float64).reshape(len(rows), *(shapes.pop() if rows else ()))
        try:
            return np.float64(v)
        except OverflowError:  # an integer beyond float64: out of every range
            return np.float64(np.inf if v > 0 else -np.inf)

    return np.asarray(walk(name, value), dtype=np.float64)


def _array(name, value, ndim):
    arr = _numbers(name, value)
    if arr.ndim != ndim:
        kind = {0: "a number", 1: "a list of numbers", 2: "a list of lists of numbers"}[ndim]
        raise InputError(f"{name} has shape {arr.shape}; expected {kind}")
    return arr


def instance_from_dict(data) -> tuple[FireSaleGame, FireSaleParams]:
    """(game, params) from the parsed JSON; every error names the field."""
    if not isinstance(data, dict):
        raise InputError("the instance must be a JSON object with fields " + ", ".join(REQUIRED + OPTIONAL))
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise InputError(f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}")
    x = _array("holdings", data["holdings"], 2)
    n, m = x.shape
    if n < 1 or m < 1:
        raise InputError(f"holdings has shape {x.shape}; expected at least one agent and one asset")
    aI = _array("illiquid", data["illiquid"], 1)
    li = _array("liabilities", data["liabilities"], 1)
    p0 = _array("prices0", data["prices0"], 1)
    for name, arr, size, what in (("illiquid", aI, n, "N"), ("liabilities", li, n, "N"), ("prices0", p0, m, "M")):
        if arr.shape[0] != size:
            raise InputError(
                f"{name} has {arr.shape[0]} entries; expected {what} = {size} (holdings is {n} x {m})"
            )
    lam = _array("leverage_cap", data["leverage_cap"], 0)
    alpha = _array("alpha", data.get("alpha", 1.0), 0)
    impact = data.get("impact", {"kind": "linear"})
    if not isinstance(impact, dict) or "kind" not in impact:
        raise InputError(f"impact = {impact!r} must be an object with a 'kind' (one of {', '.join(IMPACTS)})")
    kind = impact["kind"]
    check_choice("impact.kind", kind, IMPACTS)
    allowed = {"linear": {"kind"}, "power": {"kind", "exponent"}, "piecewise_linear": {"kind", "knots", "levels"}}
    extra = sorted(set(impact) - allowed[kind])
    if extra:
        raise InputError(f"impact has unknown field(s) {', '.join(extra)} for kind {kind!r}")
    exponent, knots, levels = None, None, None
    if kind == "power":
        if "exponent" not in impact:
            raise InputError("impact.exponent is missing (power impact: p = p0 z ** exponent)")
        exponent = _numbers("impact.exponent", impact["exponent"])
        if exponent.ndim > 1 or (exponent.ndim == 1 and exponent.shape[0] != m):
            raise InputError(f"impact.exponent has shape {exponent.shape}; expected a number or M = {m} numbers")
    if kind == "piecewise_linear":
        for key in ("knots", "levels"):
            if key not in impact:
                raise InputError(f"impact.{key} is missing (piecewise_linear impact)")
        knots = _numbers("impact.knots", impact["knots"])
        levels = _numbers("impact.levels", impact["levels"])
        for key, arr in (("knots", knots), ("levels", levels)):
            if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[0] != m):
                raise InputError(f"impact.{key} has shape {arr.shape}; expected K numbers or M = {m} lists of K")
        if knots.shape[-1] != levels.shape[-1]:
            raise InputError(
                f"impact.knots has {knots.shape[-1]} entries per asset but impact.levels has {levels.shape[-1]}"
            )
        if knots.shape[-1] == 0:
            raise InputError("impact.knots is empty; use {\"kind\": \"linear\"} for no tipping points")
    # validated as float64 on the host, before the cast to the device dtype, and
    # after it (float32 may round a valid number out of its range: 1 + 1e-12 to 1)
    host = make_params(x, aI, li, p0, lam, alpha, exponent=exponent, knots=knots, levels=levels, host=True)
    _validate_naming_impact(host, kind)
    params = make_params(x, aI, li, p0, lam, alpha, exponent=exponent, knots=knots, levels=levels)
    _validate_naming_impact(params, kind)
    k = 0 if knots is None else knots.shape[-1]
    return FireSaleGame(n_agents=n, n_assets=m, impact=kind, n_knots=k), params


def _validate_naming_impact(params, kind) -> None:
    try:
        validate_params(params, kind)
    except ValueError as err:
        msg = str(err)
        if msg.startswith(("exponent", "knots", "levels")):
            msg = "impact." + msg
        raise InputError(msg) from None


def load_instance(path) -> tuple[FireSaleGame, FireSaleParams]:
    """Read and validate INSTANCE.json; malformed JSON is a ValueError naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise InputError(f"cannot read instance file {str(path)!r}: {err.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
    return instance_from_dict(data)
