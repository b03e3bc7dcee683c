"""`jaxmarkets reproduce cat`: paper 004 (CAT).

(a) efficiency and price convergence of every trader strategy in a single
CDA and in a single clearing house, and the clearing house's efficiency
against its number of calls; (b) a tournament of fixed specialist families
for a mixed trader population; (c) a learned specialist (a gradient bandit
over a fee menu, trained over thousands of vmapped games) against the fixed
families, together and head to head.

--quick (the default): 30 + 30 traders, 8 games of 8 days per cell, a
tournament of 4 games x 20 days, (c) 3 runs of 25 x 128 training games; a
few minutes on a 2-core CPU. --full: 100 + 100 traders, 50 games of 20 days,
40 tournament games of 40 days, (c) 9 runs of 30 x 192 training games of 20 days
and 100 evaluation games. --parts a,b,c runs only some parts; --learned-mix mixed
plays (c) with (b)'s population, --learned-* size (c). Every cell is written when it finishes: --resume
continues a killed run.
"""

from __future__ import annotations

import argparse
import dataclasses

from jaxmarkets.core import check_int
from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="paper 004: CAT strategies in single markets, fixed specialists' tournament, a learned specialist",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reproduce_arguments(p, name, quick="30 + 30 traders, 8 games per cell, a few minutes on a CPU",
                            full="100 + 100 traders, 50 games of 20 days per cell")
    p.add_argument("--seeds", type=int, default=None, help="games per cell (overrides the mode)")
    p.add_argument("--parts", default="a,b,c", help="which parts to run, a subset of a,b,c (default all)")
    p.add_argument("--learned-mix", default=None,
                   help="(c)'s trader population: 'zic' (the default), 'mixed' (part (b)'s zic,zip,gd,re) "
                        "or a comma list of strategies, equal shares per side")
    p.add_argument("--learned-runs", default=None, help="(c)'s runs, comma separated (e.g. tournament,cutter)")
    p.add_argument("--learned-iterations", type=int, default=None, help="(c)'s bandit iterations")
    p.add_argument("--learned-games", type=int, default=None, help="(c)'s training games per iteration")
    p.add_argument("--learned-group", type=int, default=None, help="(c)'s games sharing a key (divides games)")
    p.add_argument("--learned-eval-games", type=int, default=None, help="(c)'s evaluation games")
    p.add_argument("--learned-days", type=int, default=None, help="(c)'s days per game")
    p.set_defaults(func=run)


def learned_overrides(cfg, args):
    """Part (c)'s config with the --learned-* options applied (validated by cfg.validate)."""
    lc = cfg.learned
    if args.learned_mix is not None:
        mix = cfg.tournament_mix if args.learned_mix == "mixed" else tuple(
            s.strip() for s in args.learned_mix.split(",") if s.strip())
        lc = dataclasses.replace(lc, mix=mix)
    if args.learned_runs is not None:
        lc = dataclasses.replace(lc, runs=tuple(r.strip() for r in args.learned_runs.split(",") if r.strip()))
    if args.learned_days is not None:
        lc = dataclasses.replace(lc, days=args.learned_days)
    if args.learned_eval_games is not None:
        lc = dataclasses.replace(lc, eval_games=args.learned_eval_games)
    bandit = {k: getattr(args, "learned_" + k) for k in ("iterations", "games", "group")
              if getattr(args, "learned_" + k) is not None}
    return dataclasses.replace(lc, bandit=dataclasses.replace(lc.bandit, **bandit)) if bandit else lc


def run(args) -> int:
    from sweeps.studies.cat.reproduction import FULL, QUICK, run_study

    out = results_dir(args, "cat")
    cfg = dataclasses.replace(QUICK if args.mode == "quick" else FULL, seed=args.seed)
    if args.seeds is not None:
        check_int("--seeds", args.seeds, 2)
        cfg = dataclasses.replace(cfg, seeds=args.seeds, tournament_seeds=args.seeds)
    cfg = dataclasses.replace(cfg, parts=tuple(p.strip() for p in args.parts.split(",") if p.strip()))
    cfg = dataclasses.replace(cfg, learned=learned_overrides(cfg, args))
    cfg.validate()
    manifest = run_study(cfg, out, force=args.force, resume=args.resume)
    print(f"results in {out}: " + ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings_s"].items()))
    return 0
