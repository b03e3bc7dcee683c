"""`jaxmarkets cat game CONFIG.json [--seeds K] [--json]`: one CAT game
configuration (paper 004) played over K seeds, all seeds in one program.

CONFIG.json's form and defaults (JCAT 0.20's) are in jaxmarkets/cat/config.py
and docs/cat.md; examples/cat_game.json is an example. --json writes one
object: efficiency and efficiency_sd (percent; mean and sd over seeds of a
game's mean daily efficiency), equilibrium_price, mean_price, smith_alpha,
trades_per_day, trader_profit_per_day (by strategy) and specialists, a list of
{name, score, profit_share, market_share, tsr, traders_per_day,
profit_per_day} (means over days and seeds; scores over assessment days).
"""

from __future__ import annotations

import argparse
import time

from jaxmarkets.core import check_int
from sweeps.cli.options import print_json


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="play one CONFIG.json over K seeds", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", metavar="CONFIG.json", help="the game (see examples/cat_game.json)")
    p.add_argument("--seeds", type=int, default=10, help="games played, one seed each (default 10)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from jaxmarkets.cat.config import load_game
    from jaxmarkets.cat.report import summarise
    from sweeps.studies.cat.runs import run_games

    check_int("--seeds", args.seeds, 1)
    check_int("--seed", args.seed, 0)
    game, params = load_game(args.config)
    t0 = time.perf_counter()
    summary = summarise(game, run_games(game, params, args.seeds, args.seed))
    summary["seconds"] = time.perf_counter() - t0
    if args.json:
        print_json(summary)
        return 0
    s = summary
    print(f"{s['seeds']} games x {s['days']} days: efficiency {s['efficiency']:.2f} +- {s['efficiency_sd']:.2f} %, "
          f"p* {s['equilibrium_price']:.2f}, mean price {s['mean_price']:.2f}, Smith's alpha "
          f"{s['smith_alpha']:.2f} %, {s['trades_per_day']:.1f} trades a day ({s['seconds']:.1f} s)")
    print(f"{'specialist':<16} {'score':>7} {'profit':>7} {'market':>7} {'tsr':>7} {'traders':>8} {'income':>9}")
    for r in s["specialists"]:
        print(f"{r['name']:<16} {r['score']:>7.3f} {r['profit_share']:>7.3f} {r['market_share']:>7.3f} "
              f"{r['tsr']:>7.3f} {r['traders_per_day']:>8.1f} {r['profit_per_day']:>9.2f}")
    profits = ", ".join(f"{k} {v:.2f}" for k, v in s["trader_profit_per_day"].items())
    print(f"trader net profit per day: {profits}")
    return 0
