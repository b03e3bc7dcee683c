"""`jaxmarkets reproduce liquidity`: paper 002's tables rebuilt and its claims
checked, and classic learners in repeated play (the paper's further work).

--quick (the default): 256 seeds x 2,000 rounds for the pair and size games,
48 seeds per prior for N in {3, 5, 10} (fictitious play and regret matching),
compiled for a fast start: a few minutes on a 2-core CPU. --full: 4,096 seeds
x 20,000 rounds, 512 seeds per prior, N up to 20, every learner, optimised
compiles. The shared PPO and DQN makers (agents/) run after the classic
learners at their own, smaller sizes: quick 16 seeds x 3,200 rounds, N = 3, 5;
full 64 seeds x 12,800 rounds, N up to 10 (--shared-seeds). Each batch of
runs is written when it finishes: --resume continues a killed run. See sweeps/studies/liquidity/reproduction.py for what is written.
"""

from __future__ import annotations

import argparse
import dataclasses

from jaxmarkets.core import check_int
from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="paper 002: tables, claims, and learning in repeated play",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reproduce_arguments(p, name, quick="256 seeds, 2,000 rounds, N up to 10: a few minutes on a CPU",
                            full="4,096 seeds, 20,000 rounds, N up to 20, every learner")
    p.add_argument("--seeds", type=int, default=None, help="seeds per regime (overrides the mode)")
    p.add_argument("--rounds", type=int, default=None, help="rounds of the N = 2 games (overrides the mode)")
    p.add_argument("--shared-seeds", type=int, default=None,
                   help="seeds per regime of the shared PPO / DQN makers (overrides the mode; "
                        "a quarter of it per prior in the population runs)")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.studies.liquidity.reproduction import FULL, QUICK, run_study

    out = results_dir(args, "liquidity")
    cfg = dataclasses.replace(QUICK if args.mode == "quick" else FULL, seed=args.seed)
    if args.seeds is not None:
        check_int("--seeds", args.seeds, 1)
        cfg = dataclasses.replace(cfg, seeds=args.seeds, population_seeds=max(1, args.seeds // 4))
    if args.shared_seeds is not None:
        check_int("--shared-seeds", args.shared_seeds, 1)
        cfg = dataclasses.replace(cfg, shared_seeds=args.shared_seeds,
                                  shared_population_seeds=max(1, args.shared_seeds // 4))
    if args.rounds is not None:
        check_int("--rounds", args.rounds, 1)
        cfg = dataclasses.replace(cfg, rounds=args.rounds, record_every=min(cfg.record_every, args.rounds))
    cfg.validate()
    manifest = run_study(cfg, out, force=args.force, resume=args.resume)
    print(f"results in {out}: " + ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings_s"].items()))
    return 0
