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
[[h11, h12], [h21, h22]]), cash, liabilities, prices0, impact_coef ([a1, a2]),
exponent, withdrawal, leverage_cap, max_sale, default_penalty. Defaults and
meanings: docs/liquidation.md. In JSON, a null band end is unbounded.

The full game at the same params (two banks, two assets, `horizon` steps,
`n_levels` sale levels, `action_set`: further --set fields, defaults 2, 2,
one_asset) is played by the four benchmarks (--episodes each, --seed) and
solved by the exact social planner (enumeration of every joint sequence, up to
2^20 of them): `full_game` in the output, welfare = the sum of the banks'
objective values.

`--banks 3,5,10`: the one-period game of N banks alike to bank 1 (same book,
same sale) for each N: the payoffs u_k(n) of selling asset k when n others sell
asset 1, from the environment, and every symmetric equilibrium p (probability of
selling asset 1): `symmetric_n_banks` in the output.
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
    p.add_argument("--banks", default="", metavar="N1,N2,...",
                   help="also the symmetric one-period game of N alike banks (bank 1's book) for each N >= 2")
    p.add_argument("--episodes", type=int, default=256, help="episodes per benchmark (default 256)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


FULL_STATIC = ("horizon", "n_levels", "action_set")


def build(assignments: list[str]):
    """The reduction's game and float64 params from --set pairs, validated before any compile."""
    from jaxmarkets.liquidation.game import LiquidationGame
    from jaxmarkets.liquidation.params import LiquidationParams
    from jaxmarkets.liquidation.theory import REDUCTION_STATIC, reduction_game

    static, overrides = split_game_fields(parse_assignments(assignments), LiquidationGame, LiquidationParams,
                                          REDUCTION_STATIC + FULL_STATIC)
    full_static = {k: static.pop(k) for k in FULL_STATIC if k in static}
    game = reduction_game(**static)
    params = with_overrides(game.default_params(), overrides)
    game.validate(params)
    full = dataclasses.replace(game, horizon=2, n_levels=2)
    full = dataclasses.replace(full, **full_static)  # __post_init__ checks the values
    full.validate(params)
    return game, full, params


def full_game_report(full, params, episodes: int, seed: int) -> dict:
    """Benchmarks' and the planner's welfare in the multi-step game (the exact
    enumeration where it fits, else the coordinate-ascent search)."""
    import jax

    from jaxmarkets.core import InputError
    from jaxmarkets.liquidation import benchmarks as bm
    from jaxmarkets.liquidation.planner import planner as social_planner

    out = jax.tree.map(np.asarray, bm.benchmark_outcomes(full, params, jax.random.key(seed), episodes))
    benchmarks = {}
    for kind, o in out.items():
        sold = o["sales"].sum(axis=(1, 2))  # [episodes, M] units of each asset sold by the banks
        benchmarks[kind] = {
            "welfare": float(o["welfare"].mean()),
            "welfare_se": float(o["welfare"].std() / np.sqrt(episodes)),
            "defaults": float(o["defaulted"].sum(1).mean()),
            "sold": sold.mean(0).tolist(),
            "final_prices": o["prices"].mean(0).tolist(),
        }
    try:
        plan = social_planner(full, params, jax.random.key(seed))
        method = plan.pop("method")
        plan = {k: np.asarray(v) for k, v in plan.items() if k in ("welfare", "values", "defaulted", "sale_rows",
                                                                  "prices")}
        planner, planner_error = {
            "method": method, "welfare": float(plan["welfare"]), "values": plan["values"].tolist(),
            "defaulted": plan["defaulted"].tolist(), "sale_rows": plan["sale_rows"].tolist(),
            "final_prices": plan["prices"].tolist(),
        }, None
    except InputError as err:
        planner, planner_error = None, str(err)
    return {"static": {f: getattr(full, f) for f in FULL_STATIC}, "episodes": episodes, "seed": seed,
            "sale_table": full.table.tolist(), "benchmarks": benchmarks, "planner": planner,
            "planner_error": planner_error}


def parse_banks(text: str) -> list[int]:
    from jaxmarkets.core import InputError, check_int

    if not text:
        return []
    try:
        banks = [int(x) for x in text.split(",")]
    except ValueError:
        raise InputError(f"--banks = {text!r} must be integers N >= 2 separated by commas") from None
    for n in banks:
        check_int("--banks", n, 2, 1000)
    return banks


def report(game, params, full=None, episodes: int = 256, seed: int = 0, banks=()) -> dict:
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
        "classification_map": result["map"],
        "full_game": None if full is None else full_game_report(full, params, episodes, seed),
        "symmetric_n_banks": [symmetric_report(game, params, n) for n in banks],
    }


def symmetric_report(game, params, n_banks: int) -> dict:
    from jaxmarkets.liquidation import symmetric

    static = {f: getattr(game, f) for f in ("impact", "execution", "objective", "need", "on_default")}
    return symmetric.analyse(n_banks, static, params)


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
        lines.append(f"closed form (impact exponent {cf['impact_exponent']:g}, symmetric, sale fraction "
                     f"{cf['sale_fraction']:g}): {cf['kind']}; {where}")
    m = r["classification_map"]
    symbol = {"dominant_strategy": "D", "coordination": "C", "anti_coordination": "A", "matching_pennies": "M",
              "one_dominant": "O", "degenerate": "."}
    lines.append(f"classification map over r = a2/a1 from {m['ratios'][0]:g} to {m['ratios'][-1]:g} "
                 f"(log grid, a1 = {m['impact_coef_1']:g}; D dominant, C coordination, A anti-coordination, "
                 "M matching pennies, O one dominant, . tie):")
    lines += [f"  {reading:<12} {''.join(symbol[k] for k in kinds)}" for reading, kinds in m["kinds"].items()]
    for sym in r["symmetric_n_banks"]:
        eqs = ", ".join("every p (all ties)" if p is None or p != p else f"{p:.6g}" for p in sym["equilibria"])
        lines.append(f"{sym['n_banks']} alike banks, one period: symmetric equilibria p(sell asset 1) = {eqs}")
    f = r["full_game"]
    if f:
        st = f["static"]
        lines.append(f"full game: {st['horizon']} steps, {st['n_levels']} levels, {st['action_set']}; welfare "
                     f"(sum of objective values), mean of {f['episodes']} episodes:")
        for kind, b in f["benchmarks"].items():
            lines.append(f"  {kind:<24} {b['welfare']:12.6g} (se {b['welfare_se']:.3g})  defaults {b['defaults']:.3g}"
                         f"  sold {fmt(b['sold'])}")
        if f["planner"]:
            lines.append(f"  {'social planner (' + f['planner']['method'] + ')':<24} {f['planner']['welfare']:12.6g}"
                         "  sale rows by step "
                         f"{f['planner']['sale_rows']}")
        else:
            lines.append(f"  social planner: {f['planner_error']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from jaxmarkets.core import check_int

    check_int("--episodes", args.episodes, 1, 1_000_000)
    check_int("--seed", args.seed, 0)
    banks = parse_banks(args.banks)
    import jax

    with jax.enable_x64(True):
        game, full, params = build(args.set)
        r = report(game, params, full, args.episodes, args.seed, banks)
    print_json(r) if args.json else print(text(r))
    return 0
