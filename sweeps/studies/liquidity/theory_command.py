"""`jaxmarkets theory liquidity`: the stage game for B sizes, or the Bayesian game.

    jaxmarkets theory liquidity --sizes B [--set ...] [--json]
    jaxmarkets theory liquidity --bayesian [--prior P] [--set ...] [--json]

`--sizes B` (B in [2, 12]): both payoff matrices (rows: player 1's size,
increasing), the pure equilibria ([i, j], 0-based: size i + 1), every extreme
equilibrium, the continua they span, and the Stackelberg outcome. Fields for
--set: scale (> 0), ties (trade | no_trade), payoffs.row and payoffs.col (a
user's square B x B matrices, JSON; col defaults to row: both get the volume).
Equilibria come from the shared vertex enumeration for B <= 7 and from the
closed form (tested against it) beyond.

`--bayesian`: Section 4.2's game at prior P (default 0.35): the threshold in p,
the induced normal form over plans, every extreme Bayesian equilibrium, and the
17-GEMM tables with the quadrant sums and the hit ratio. Fields for --set:
scale, reading (printed | rule), composition (default 0.35), hit_ratio (cells |
weighted), large.row, large.col, small.row, small.col (2 x 2 overrides of
player 2's type matrices; rows player 1 low, high; columns player 2 low, high).
"""

from __future__ import annotations

import argparse

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int, check_range
from sweeps.cli.options import parse_assignments, print_json

MAX_SIZES = 12  # 2^B - 1 extreme equilibria are listed: 4095 at B = 12
SIZES_FIELDS = ("scale", "ties", "payoffs.row", "payoffs.col")
BAYESIAN_FIELDS = ("scale", "reading", "composition", "hit_ratio", "large.row", "large.col",
                   "small.row", "small.col")


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="liquidity game between market makers (paper 002)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--sizes", type=int, default=None, metavar="B", help=f"bond sizes 1..B, B in [2, {MAX_SIZES}]")
    p.add_argument("--bayesian", action="store_true", help="Section 4.2's Bayesian game instead")
    p.add_argument("--prior", type=float, default=None, metavar="P",
                   help="probability that player 2 is large, in [0, 1] (default 0.35)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", default=[], help="see above")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def _fields(assignments, allowed, mode):
    values = parse_assignments(assignments)
    for name in values:
        if name not in allowed:
            raise InputError(f"unknown field {name!r} for {mode}; allowed fields: {', '.join(allowed)}")
    return values


def _eq_json(eqs):
    return [{"row": e["row"].tolist(), "col": e["col"].tolist(), "payoffs": e["payoffs"].tolist()} for e in eqs]


def _subsets_json(analysis, describe=None):
    out = []
    for s in analysis["subsets"]:
        item = {
            "rows": [r.tolist() for r in s["rows"]],
            "cols": [c.tolist() for c in s["cols"]],
            "extreme_equilibria": s["extreme_equilibria"],
            "continuum": s["continuum"],
            "payoffs": analysis["equilibria"][s["extreme_equilibria"][0]]["payoffs"].tolist(),
        }
        if describe:
            item["description"] = describe(s)
        out.append(item)
    return out


# ---------------------------------------------------------------- sizes


def sizes_game(B, fields: dict):
    """(payoffs Bimatrix, ties, scale, custom) from --sizes and --set, validated."""
    from jaxmarkets.equilibria.payoffs import Bimatrix, check_matrix
    from jaxmarkets.liquidity.rules import DEFAULT_TIES, TIES, stage_payoffs

    ties = fields.get("ties", DEFAULT_TIES)
    check_choice("ties", ties, TIES)
    scale = fields.get("scale", 1.0)
    check_range("scale", scale, 0.0, low_open=True)
    custom = "payoffs.row" in fields or "payoffs.col" in fields
    if not custom:
        if B is None:
            raise InputError(f"--sizes: give the number of bond sizes B (an integer in [2, {MAX_SIZES}]) "
                             "or --bayesian")
        check_int("sizes", B, 2, MAX_SIZES)
        return stage_payoffs(B, ties, scale), ties, float(scale), False
    mats = {}
    for side in ("row", "col"):
        name = f"payoffs.{side}"
        if name in fields:
            M = np.asarray(check_matrix(name, fields[name]), np.float64)
            if M.shape[0] != M.shape[1]:
                raise InputError(f"{name} has shape {M.shape}; expected a square matrix [B, B]: "
                                 "both players choose among the same sizes")
            mats[side] = M
    row = mats.get("row", mats.get("col"))
    col = mats.get("col", row)
    if col.shape != row.shape:
        raise InputError(f"payoffs.col has shape {col.shape}; expected {row.shape}, the shape of payoffs.row")
    n = row.shape[0]
    check_int("sizes", n, 2, MAX_SIZES)
    if B is not None and B != n:
        raise InputError(f"sizes = {B} but payoffs.row is {n} x {n}; give one or make them agree")
    return Bimatrix(row * scale, col * scale), ties, float(scale), True


def sizes_report(B, fields: dict) -> dict:
    from jaxmarkets.equilibria import pure_equilibrium_profiles
    from jaxmarkets.liquidity import stage, stackelberg

    game, ties, scale, custom = sizes_game(B, fields)
    n = game.row.shape[0]
    by_solver = n <= stage.SOLVER_MAX_SIZES
    if not by_solver and (custom or ties != "trade"):
        raise InputError(f"sizes = {n}: every extreme equilibrium of a general {n} x {n} game needs the "
                         f"vertex enumeration, which takes B <= {stage.SOLVER_MAX_SIZES} (the closed form "
                         "beyond covers the trade rule with ties = trade only)")
    if by_solver:
        analysis = stage.analyse(game)
    else:
        eqs = stage.closed_form_equilibria(n)
        for e in eqs:
            e["payoffs"] = e["payoffs"] * scale
        analysis = {"pure_equilibria": [list(p) for p in pure_equilibrium_profiles(game)],
                    "equilibria": eqs, **stage.describe_subsets(eqs)}
    rule_game = not custom and ties == "trade"

    def describe(s):
        if rule_game:
            k = int(np.argmax(s["rows"][0])) + 1
            return stage.component_description(k, n, scale)
        return ("a continuum: every mix of its extreme row strategies against every mix of its "
                "extreme column strategies" if s["continuum"] else "an isolated equilibrium")

    pure_c = stackelberg.pure_commitment(game.row, game.col)
    mixed_c = stackelberg.mixed_commitment(game.row, game.col) if n <= stage.SOLVER_MAX_SIZES else None
    return {
        "game": "liquidity",
        "sizes": n,
        "ties": ties,
        "scale": scale,
        "custom_payoffs": custom,
        "method": "vertex_enumeration" if by_solver else "closed_form",
        "payoffs": {"row": game.row.tolist(), "col": game.col.tolist()},
        "pure_equilibria": analysis["pure_equilibria"],
        "equilibria": _eq_json(analysis["equilibria"]),
        "continua": _subsets_json(analysis, describe),
        "has_continuum": any(s["continuum"] for s in analysis["subsets"]),
        "stackelberg": {
            "pure": _stackelberg_json(pure_c),
            "mixed": _stackelberg_json(mixed_c) if mixed_c else None,
        },
    }


def _stackelberg_json(s):
    return {"leader": s["leader"].tolist(), "responses": s["responses"], "payoffs": s["payoffs"].tolist()}


# ---------------------------------------------------------------- bayesian


def bayesian_report(prior, fields: dict) -> dict:
    from jaxmarkets.liquidity import bayesian as bz
    from jaxmarkets.liquidity import stackelberg, stage, tables

    p = tables.COMPOSITION if prior is None else prior
    check_range("prior", p, 0.0, 1.0)
    reading = fields.get("reading", bz.DEFAULT_READING)
    composition = fields.get("composition", tables.COMPOSITION)
    check_range("composition", composition, 0.0, 1.0)
    hit = fields.get("hit_ratio", "cells")
    check_choice("hit_ratio", hit, tables.HIT_RATIOS)
    overrides = {k: v for k, v in fields.items() if "." in k}
    pay = bz.type_payoffs(reading, fields.get("scale", 1.0), overrides)

    game = bz.one_sided_game(pay, p)
    analysis = stage.analyse(bz.bimatrix_of(game))
    closed = bz.threshold_closed_form(pay)
    numerical = bz.threshold_numerical(pay)
    dominant = bz.dominant_responses(pay)
    U = np.asarray(game.payoffs, np.float64)
    t = tables.tables_report(pay, composition, hit)

    def matrices(table):
        return {"row": table[..., 0].tolist(), "col": table[..., 1].tolist()}

    two = bz.two_sided_game(pay, composition, composition)
    two_eqs = bz.bayesian_equilibria(two)
    leader = stackelberg.mixed_commitment(pay[0, :, :, :, 0], pay[0, :, :, :, 1], [p, 1 - p])
    return {
        "game": "liquidity-bayesian",
        "prior": float(p),
        "reading": reading,
        "threshold": closed if closed is not None else numerical,
        "threshold_closed_form": closed,
        "threshold_numerical": numerical,
        "dominant_responses": {name: (bz.ACTIONS[d] if d is not None else None)
                               for name, d in zip(bz.TYPES, dominant)},
        "payoffs": {"row": U[0].tolist(), "col": U[1].tolist()},
        "row_strategies": list(game.names[0]),
        "col_strategies": list(game.names[1]),
        "equilibria": _eq_json(analysis["equilibria"]),
        "pure_equilibria": analysis["pure_equilibria"],
        "continua": _subsets_json(analysis),
        "stackelberg": _stackelberg_json(leader),
        "tables": {
            "composition": float(composition),
            "bilateral": {"rows": t["bilateral"]["rows"], "cols": t["bilateral"]["cols"],
                          "paper_cols": t["bilateral"]["paper_cols"], **matrices(t["bilateral"]["table"]),
                          "rounded": matrices(t["bilateral"]["rounded"])},
            "both_uncertain": {"rows": t["both_uncertain"]["rows"], "cols": t["both_uncertain"]["cols"],
                               "paper_rows": t["both_uncertain"]["paper_rows"],
                               **matrices(t["both_uncertain"]["table"]),
                               "rounded": matrices(t["both_uncertain"]["rounded"])},
            "quadrant_sums": t["quadrant_sums"],
            "quadrant_sums_of_rounded": t["quadrant_sums_of_rounded"],
            "hit_ratio": t["hit_ratio"],
            "hit_ratio_reading": hit,
        },
        "hit_ratio": t["hit_ratio"],
        "two_sided": {
            "composition": float(composition),
            "payoffs": {"row": np.asarray(two.payoffs[0]).tolist(), "col": np.asarray(two.payoffs[1]).tolist()},
            "row_strategies": list(two.names[0]),
            "col_strategies": list(two.names[1]),
            "equilibria": _eq_json(two_eqs),
        },
    }


# ---------------------------------------------------------------- printing


def _fmt_matrix(row, col, rows, cols, width=13):
    head = " " * 22 + "".join(f"{c[:width]:>{width + 2}}" for c in cols)
    lines = [head]
    for name, r, c in zip(rows, row, col):
        lines.append(f"  {name[:20]:<20}" + "".join(f"{f'({a:g}, {b:g})':>{width + 2}}" for a, b in zip(r, c)))
    return lines


def _eq_lines(eqs):
    fmt = lambda v: "[" + ", ".join(f"{x:.4g}" for x in v) + "]"  # noqa: E731
    return [f"  row {fmt(e['row'])}  col {fmt(e['col'])}  payoffs {fmt(e['payoffs'])}" for e in eqs]


def sizes_text(r: dict) -> str:
    n = r["sizes"]
    labels = [f"size {k}" for k in range(1, n + 1)]
    lines = [f"liquidity stage game: sizes 1..{n}, ties {r['ties']}, scale {r['scale']:g}"
             + (" (custom payoffs)" if r["custom_payoffs"] else ""),
             "payoffs (player 1, player 2); rows player 1, columns player 2:"]
    lines += _fmt_matrix(r["payoffs"]["row"], r["payoffs"]["col"], labels, labels, 9)
    lines.append("pure equilibria (sizes): " + ", ".join(f"({i + 1}, {j + 1})" for i, j in r["pure_equilibria"]))
    lines.append(f"{len(r['equilibria'])} extreme equilibria ({r['method']}):")
    lines += _eq_lines(r["equilibria"])
    lines.append("maximal Nash subsets:")
    lines += [f"  {c['description']}" for c in r["continua"]]
    s = r["stackelberg"]
    lines.append(f"Stackelberg (player 1 commits, pure): leader {s['pure']['leader']}, payoffs {s['pure']['payoffs']}")
    return "\n".join(lines)


def bayesian_text(r: dict) -> str:
    t = r["tables"]
    lines = [f"Bayesian liquidity game (Section 4.2), reading {r['reading']}, prior p = {r['prior']:g}",
             f"player 2's dominant responses: {r['dominant_responses']}",
             f"threshold p* = {r['threshold']:.12g} (closed form {r['threshold_closed_form']}, "
             f"numerical {r['threshold_numerical']})",
             "induced normal form (player 1 action x player 2 plan):"]
    lines += _fmt_matrix(r["payoffs"]["row"], r["payoffs"]["col"], r["row_strategies"], r["col_strategies"], 22)
    lines.append(f"{len(r['equilibria'])} extreme Bayesian equilibria:")
    lines += _eq_lines(r["equilibria"])
    lines.append(f"tables at the 17-GEMM composition {t['composition']:g} (rounded half up, as printed):")
    lines += _fmt_matrix(t["bilateral"]["rounded"]["row"], t["bilateral"]["rounded"]["col"],
                         t["bilateral"]["rows"], t["bilateral"]["cols"], 22)
    lines += _fmt_matrix(t["both_uncertain"]["rounded"]["row"], t["both_uncertain"]["rounded"]["col"],
                         t["both_uncertain"]["rows"], t["both_uncertain"]["cols"], 22)
    q, qr = t["quadrant_sums"], t["quadrant_sums_of_rounded"]
    lines.append("quadrant sums (exact / of rounded entries): " + ", ".join(
        f"{k} {q[k]:.4g} / {qr[k]:.4g}" for k in q))
    lines.append(f"hit ratio ({t['hit_ratio_reading']}): {t['hit_ratio']:.4g}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.bayesian:
        if args.sizes is not None:
            raise InputError("--sizes and --bayesian exclude each other")
        fields = _fields(args.set, BAYESIAN_FIELDS, "--bayesian")
        if args.prior is not None:
            check_range("prior", args.prior, 0.0, 1.0)
    else:
        if args.prior is not None:
            raise InputError("--prior belongs to --bayesian")
        fields = _fields(args.set, SIZES_FIELDS, "--sizes")
    import jax

    with jax.enable_x64(True):
        if args.bayesian:
            report = bayesian_report(args.prior, fields)
        else:
            report = sizes_report(args.sizes, fields)
    if args.json:
        print_json(report)
    else:
        print(bayesian_text(report) if args.bayesian else sizes_text(report))
    return 0
