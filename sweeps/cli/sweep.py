"""`jaxmarkets sweep STUDY`: any grid of params and seeds through the sweep engine.

`--set` names the study's traced fields (game params, learner hparams) and
`--config` its static ones; both lists come from the study's dataclasses.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from jaxmarkets.core import InputError, check_int
from sweeps.cli.options import build_config, flat_fields, parse_assignments, parse_grid, traced_fields


def add_parser(subparsers, study) -> None:
    module = study.module("sweep")
    static = sorted(flat_fields(module.SweepConfig, module.CONFIG_EXCLUDE))
    traced = traced_fields(module.PARAMS, module.HPARAMS)
    p = subparsers.add_parser(study.name, help=f"sweep of the {study.name} study ({study.summary})")
    p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2,...",
                   help=f"a grid axis, one of: {', '.join(traced)}")
    p.add_argument("--zip", action="store_true", help="zip the axes instead of their product")
    p.add_argument("--seeds", type=int, default=1, help="seeds SEED_OFFSET.. per grid point")
    p.add_argument("--seed-offset", type=int, default=0)
    p.add_argument("--config", action="append", default=[], metavar="NAME=VALUE",
                   help=f"a static field of the whole sweep, one of: {', '.join(static)}")
    p.add_argument("--out", help=f"results directory (default results/sweep-{study.name})")
    p.add_argument("--resume", metavar="DIR", help="continue the sweep in DIR")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out")
    p.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run, study=study)


def run(args: argparse.Namespace) -> int:
    from sweeps.engine import results

    study = args.study
    module = study.module("sweep")
    check_int("--seeds", args.seeds, 1)
    check_int("--seed-offset", args.seed_offset, 0)
    if args.resume and args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
        raise InputError("give either --out or --resume, not two different directories")
    if args.resume and args.force:
        raise InputError("--resume and --force exclude each other")
    grid = parse_grid(args.set, "zip" if args.zip else "product")
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    config = build_config(module.SweepConfig, parse_assignments(args.config, "--config"),
                          exclude=module.CONFIG_EXCLUDE)
    out_dir = args.resume or args.out or os.path.join("results", f"sweep-{study.name}")
    setup = module.setup(grid, seeds, config)  # validates every field before anything runs
    ident = results.sweep_identity(grid, seeds, dataclasses.asdict(config))
    target = results.ResultsDir(out_dir, study.name, "sweep", ident, resume=bool(args.resume), force=args.force)
    rows = results.run_sweep(grid, seeds, setup, target,
                             resume=bool(args.resume), progress=not args.quiet, stop_after=args.stop_after)
    import jax

    if jax.process_index() == 0:
        print(results.describe(out_dir) if rows is not None else f"stopped; resume with --resume {out_dir}")
    return 0
