"""`jaxmarkets theory liquidation`: the 2x2 reduction of the liquidation game.

    jaxmarkets theory liquidation [--set NAME=VALUE ...] [--json]

Two banks, two assets, one period: each bank sells max_sale of its position in
one asset. Prints both payoff matrices (rows: bank 1 sells asset 1 / asset 2;
columns: bank 2), every extreme equilibrium (shared vertex enumeration) and the
classification (dominant_strategy, coordination, anti_coordination,
matching_pennies, one_dominant, degenerate), with the closed-form band in the
liquidity ratio a_2 / a_1 for linear impact and the symmetric instance.

Fields for --set: the static readings impact (linear | exponential | power),
execution (post | pre), objective (equity | cash), need (withdrawal | leverage),
on_default (liquidate | freeze); and any params field: holdings (a number or
[[h11, h12], [h21, h22]]), cash, liabilities, prices0, impact ([a1, a2]),
exponent, withdrawal, leverage_cap, max_sale, default_penalty. Defaults and
meanings: docs/liquidation.md. In JSON, a null band end is unbounded.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from jaxmarkets.core import params_to_dict, with_overrides
from sweeps.cli.options import parse_assignments, print_json, split_game_fields


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="multi-bank liquidation game, its 2x2 reduction (notes 000)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--set", action="append", metavar="NAME=VALUE", default=[], help="see above")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def build(assignments: list[str]):
    """The reduction's game and float64 params from --set pairs, validated before any compile."""
    from jaxmarkets.liquidation.game import LiquidationGame
    from jaxmarkets.liquidation.params import LiquidationParams
    from jaxmarkets.liquidation.theory import REDUCTION_STATIC, reduction_game

    static, overrides = split_game_fields(parse_assignments(assignments), LiquidationGame, LiquidationParams,
                                          REDUCTION_STATIC)
    game = reduction_game(**static)
    params = with_overrides(game.default_params(), overrides)
    game.validate(params)
    return game, params


def report(game, params) -> dict:
    from jaxmarkets.liquidation.theory import STRATEGIES, analyse

    result = analyse(game, params)
    pay = result["payoffs"]
    return {
        "game": "liquidation-2x2",
        "static": {f: getattr(game, f) for f in ("impact", "execution", "objective", "need", "on_default")},
        "params": params_to_dict(params),
        "strategies": list(STRATEGIES),
        "payoffs": {"row": np.asarray(pay.row).tolist(), "col": np.asarray(pay.col).tolist()},
        "defaults": np.asarray(result["defaults"]).tolist(),
        "equilibria": [{"row": e["row"].tolist(), "col": e["col"].tolist(), "payoffs": e["payoffs"].tolist()}
                       for e in result["equilibria"]],
        "classification": result["classification"],
    }


def text(r: dict) -> str:
    s, c = r["static"], r["classification"]
    lines = [f"liquidation 2x2: impact {s['impact']}, execution {s['execution']}, objective {s['objective']}, "
             f"need {s['need']}",
             "payoffs (bank 1, bank 2); rows bank 1, columns bank 2:",
             " " * 16 + "".join(f"{name:>22}" for name in r["strategies"])]
    for name, row, col, dead in zip(r["strategies"], r["payoffs"]["row"], r["payoffs"]["col"], r["defaults"]):
        cells = [f"({a:.6g}, {b:.6g})" + ("*" if any(d) else " ") for a, b, d in zip(row, col, dead)]
        lines.append(f"  {name:<14}" + "".join(f"{x:>22}" for x in cells))
    lines.append("  (* a bank defaults there)")
    fmt = lambda v: "[" + ", ".join(f"{x:.4g}" for x in v) + "]"  # noqa: E731
    lines.append(f"{len(r['equilibria'])} extreme equilibria:")
    lines += [f"  bank 1 {fmt(e['row'])}  bank 2 {fmt(e['col'])}  payoffs {fmt(e['payoffs'])}"
              for e in r["equilibria"]]
    ratio = c["liquidity_ratio"]
    lines.append(f"classification: {c['kind']} (liquidity ratio a2/a1 = "
                 f"{'undefined' if ratio is None else f'{ratio:.6g}'}; dominant: {c['dominant']})")
    if c["closed_form"]:
        cf = c["closed_form"]
        band = cf["band"]
        where = ("never strategic" if band is None else
                 f"{band['kind']} for {band['ratio_low']:.6g} < r < {band['ratio_high']:.6g}, dominant outside")
        lines.append(f"closed form (linear, symmetric, sale fraction {cf['sale_fraction']:g}): {cf['kind']}; {where}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import jax

    with jax.enable_x64(True):
        game, params = build(args.set)
        r = report(game, params)
    print_json(r) if args.json else print(text(r))
    return 0
