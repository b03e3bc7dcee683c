"""CONFIG.json: a user's CAT game, loaded and validated before anything compiles.

Every field is optional except `traders.buyers`, `traders.sellers` and
`specialists`; defaults are JCAT 0.20's (docs/cat.md). Form:

    {"days": 20, "rounds": 10, "price_cap": 1000,
     "traders": {"buyers": {"zic": 100}, "sellers": {"zic": 100},
                 "values": [50, 150], "entitlement": 3, "redraw_values": false},
     "market_selection": {"kind": "epsilon_greedy", "epsilon": 0.1,
                          "temperature": 0.2, "tie_tolerance": 0.01},
     "specialists": [{"name": "cda", "clearing": "continuous",
                      "accepting": "quote_beating",
                      "pricing": {"kind": "discriminatory", "k": 0.5},
                      "fees": {"registration": 0, "information": 0, "shout": 0,
                               "transaction": 0, "profit": 0},
                      "charging": {"kind": "fixed"}, "calls": 10, "delta": 0}],
     "assessment": {"kind": "all"},
     "strategies": {"zic": {"markup": 50},
                    "zip": {"margin": [0.05, 0.35], "rate": 0.85, "momentum": 0.5,
                            "relative": 0.05, "absolute": 5},
                    "gd": {"memory": 5, "capacity": 32, "max_price": 300, "reading": "overview"},
                    "re": {"actions": 100, "recency": 0.1, "experimentation": 0.2,
                           "scaling": 1, "markup_scale": 1}}}

Strategies: zic, zip, gd, re, truth. Clearing: continuous, round (a clearing
house; `calls` per day, default one at each round's end). Accepting: always,
quote_beating, equilibrium_beating (`delta`), self_beating. Pricing:
discriminatory, uniform, standing. Charging: fixed, cutting (`scale`).
Market selection: epsilon_greedy, softmax. Assessment: all, sampled (`prob`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int, check_range
from jaxmarkets.cat.game import CatGame
from jaxmarkets.cat.params import RANGE, CatParams, with_fees
from jaxmarkets.cat.spec import (ACCEPTING, ASSESSMENT, CHARGING, CLEARING, FEES, GD_READINGS, PRICING, SELECTION,
                                 STRATEGIES, SpecialistSpec, as_population)


def _object(name: str, value, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{name} must be a JSON object with fields {', '.join(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InputError(f"{name}: unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise InputError(f"{name}: missing field {missing[0]!r}")
    return value


def _number(name: str, value, low=None, high=None, **kw) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name} = {value!r} must be a number")
    check_range(name, value, low, high, **kw)
    return float(value)


def _ranged(name: str, value, field: str) -> float:
    """A number within the documented range of params field `field` (params.RANGES)."""
    r = RANGE[field]
    return _number(name, value, r.low, r.high, low_open=r.low_open, high_open=r.high_open)


def _integer(name: str, value, low: int, high: int | None = None) -> int:
    check_int(name, value, low, high)
    return int(value)


def _kind(name: str, value, choices, extra: tuple[str, ...] = ()) -> tuple[str, dict]:
    """A policy given as "name" or {"kind": "name", ...options}."""
    if isinstance(value, str):
        check_choice(name, value, choices)
        return value, {}
    body = _object(name, value, ("kind", *extra), ("kind",))
    check_choice(f"{name}.kind", body["kind"], choices)
    return body["kind"], body


def _population(name: str, value) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict):
        raise InputError(f"{name} must be an object of strategy: count, strategies {', '.join(STRATEGIES)}")
    return as_population(name, value)


def _specialist(j: int, raw) -> tuple[SpecialistSpec, dict[str, Any]]:
    name = f"specialists[{j}]"
    body = _object(name, raw, ("name", "clearing", "accepting", "pricing", "fees", "charging", "calls", "delta"))
    label = body.get("name", f"s{j}")
    if not isinstance(label, str) or not label:
        raise InputError(f"{name}.name = {label!r} must be a non-empty string")
    clearing = body.get("clearing", "continuous")
    check_choice(f"{name}.clearing", clearing, CLEARING)
    accepting = body.get("accepting", "quote_beating")
    check_choice(f"{name}.accepting", accepting, ACCEPTING)
    pricing, p_opts = _kind(f"{name}.pricing", body.get("pricing", "discriminatory"), PRICING, ("k",))
    k = _ranged(f"{name}.pricing.k", p_opts.get("k", 0.5), "k")
    charging, c_opts = _kind(f"{name}.charging", body.get("charging", "fixed"), CHARGING, ("scale",))
    scale = _ranged(f"{name}.charging.scale", c_opts.get("scale", 0.8), "cut_scale")
    fees_raw = _object(f"{name}.fees", body.get("fees", {}), FEES)
    fees = [_ranged(f"{name}.fees.{f}", fees_raw.get(f, 0.0), "profit_fee" if f == "profit" else "flat_fees")
            for f in FEES]
    calls = _integer(f"{name}.calls", body.get("calls", 0), 0)
    delta = _ranged(f"{name}.delta", body.get("delta", 0.0), "eq_delta")
    spec = SpecialistSpec(name=label, clearing=clearing, accepting=accepting, pricing=pricing, charging=charging,
                          calls=calls)
    return spec, {"fees": fees, "k": k, "cut_scale": scale, "eq_delta": delta}


TOP = ("days", "rounds", "price_cap", "traders", "market_selection", "specialists", "assessment", "strategies")


def game_from_dict(data) -> tuple[CatGame, CatParams]:
    """(game, params) from the parsed JSON; every error names the field and its range."""
    data = _object("CONFIG.json", data, TOP, ("traders", "specialists"))
    days = _integer("days", data.get("days", 20), 1)
    rounds = _integer("rounds", data.get("rounds", 10), 1)
    traders = _object("traders", data["traders"],
                      ("buyers", "sellers", "values", "entitlement", "redraw_values"), ("buyers", "sellers"))
    buyers = _population("traders.buyers", traders["buyers"])
    sellers = _population("traders.sellers", traders["sellers"])
    values = traders.get("values", [50, 150])
    if not isinstance(values, list) or len(values) != 2:
        raise InputError(f"traders.values = {values!r} must be a list [low, high]")
    cap = _ranged("price_cap", data.get("price_cap", 1000.0), "price_cap")
    low = _number("traders.values[0]", _ranged("traders.values[0]", values[0], "value_low"), 0.0, cap)
    high = _number("traders.values[1]", _ranged("traders.values[1]", values[1], "value_high"), low, cap)
    entitlement = _integer("traders.entitlement", traders.get("entitlement", 3), 1)
    redraw = traders.get("redraw_values", False)
    if not isinstance(redraw, bool):
        raise InputError(f"traders.redraw_values = {redraw!r} must be true or false")

    selection, s_opts = _kind("market_selection", data.get("market_selection", "epsilon_greedy"), SELECTION,
                              ("epsilon", "temperature", "tie_tolerance"))
    epsilon = _ranged("market_selection.epsilon", s_opts.get("epsilon", 0.1), "epsilon")
    temperature = _ranged("market_selection.temperature", s_opts.get("temperature", 0.2), "temperature")
    tie = _ranged("market_selection.tie_tolerance", s_opts.get("tie_tolerance", 0.01), "tie_tolerance")

    raw_specs = data["specialists"]
    if not isinstance(raw_specs, list) or not raw_specs:
        raise InputError("specialists must be a non-empty list of specialist objects; allowed range [1, inf) entries")
    parsed = [_specialist(j, s) for j, s in enumerate(raw_specs)]
    names = [s.name for s, _ in parsed]
    if len(set(names)) != len(names):
        raise InputError(f"specialists: names {names} must be distinct")

    assessment, a_opts = _kind("assessment", data.get("assessment", "all"), ASSESSMENT, ("prob",))
    prob = _ranged("assessment.prob", a_opts.get("prob", 0.9), "assessment_prob")

    strategies = _object("strategies", data.get("strategies", {}), ("zic", "zip", "gd", "re"))
    zic = _object("strategies.zic", strategies.get("zic", {}), ("markup",))
    zp = _object("strategies.zip", strategies.get("zip", {}), ("margin", "rate", "momentum", "relative", "absolute"))
    gd = _object("strategies.gd", strategies.get("gd", {}), ("memory", "capacity", "max_price", "reading"))
    re_ = _object("strategies.re", strategies.get("re", {}),
                  ("actions", "recency", "experimentation", "scaling", "markup_scale"))
    margin = zp.get("margin", [0.05, 0.35])
    if not isinstance(margin, list) or len(margin) != 2:
        raise InputError(f"strategies.zip.margin = {margin!r} must be a list [low, high]")
    m_low = _ranged("strategies.zip.margin[0]", margin[0], "zip_margin_low")
    m_high = _number("strategies.zip.margin[1]", _ranged("strategies.zip.margin[1]", margin[1], "zip_margin_high"),
                     m_low)
    reading = gd.get("reading", "overview")
    check_choice("strategies.gd.reading", reading, GD_READINGS)

    game = CatGame(
        days=days, rounds=rounds, buyers=buyers, sellers=sellers, specialists=tuple(s for s, _ in parsed),
        selection=selection, redraw_values=redraw, assessment=assessment,
        gd_capacity=_integer("strategies.gd.capacity", gd.get("capacity", 32), 1, 4096),
        gd_memory=_integer("strategies.gd.memory", gd.get("memory", 5), 1),
        gd_max_price=_number("strategies.gd.max_price", gd.get("max_price", 300.0), 1.0, 10_000.0),
        gd_reading=reading, re_actions=_integer("strategies.re.actions", re_.get("actions", 100), 2, 10_000),
    )
    f = lambda v: jnp.asarray(v, jnp.float32)  # noqa: E731
    per = {k: np.asarray([opts[k] for _, opts in parsed], np.float64) for k in ("fees", "k", "cut_scale", "eq_delta")}
    params = with_fees(game.default_params(), f(per["fees"])).replace(
        value_low=f(low), value_high=f(high), price_cap=f(cap), k=f(per["k"]),
        cut_scale=f(per["cut_scale"]), eq_delta=f(per["eq_delta"]), epsilon=f(epsilon), temperature=f(temperature),
        tie_tolerance=f(tie), zic_markup=f(_ranged("strategies.zic.markup", zic.get("markup", 50.0), "zic_markup")),
        zip_margin_low=f(m_low), zip_margin_high=f(m_high),
        zip_rate=f(_ranged("strategies.zip.rate", zp.get("rate", 0.85), "zip_rate")),
        zip_momentum=f(_ranged("strategies.zip.momentum", zp.get("momentum", 0.5), "zip_momentum")),
        zip_relative=f(_ranged("strategies.zip.relative", zp.get("relative", 0.05), "zip_relative")),
        zip_absolute=f(_ranged("strategies.zip.absolute", zp.get("absolute", 5.0), "zip_absolute")),
        re_recency=f(_ranged("strategies.re.recency", re_.get("recency", 0.1), "re_recency")),
        re_experimentation=f(_ranged("strategies.re.experimentation", re_.get("experimentation", 0.2),
                                      "re_experimentation")),
        re_scaling=f(_ranged("strategies.re.scaling", re_.get("scaling", 1.0), "re_scaling")),
        re_markup_scale=f(_ranged("strategies.re.markup_scale", re_.get("markup_scale", 1.0), "re_markup_scale")),
        assessment_prob=f(prob), entitlement=jnp.asarray(entitlement, jnp.int32),
    )
    game.validate(params)
    return game, params


def load_game(path) -> tuple[CatGame, CatParams]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"CONFIG.json {path}: no such file")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"CONFIG.json {path}: not valid JSON ({err.msg} at line {err.lineno}, "
                         f"column {err.colno})") from None
    return game_from_dict(data)
