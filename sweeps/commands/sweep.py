"""`jaxmarkets sweep STUDY`: any grid of params and seeds through the sweep engine."""

from __future__ import annotations

import argparse
import importlib
import os

from jaxmarkets.core import InputError, parse_assignments

STUDIES = {"execution": "sweeps.execution_sweep"}


def add_parser(subparsers) -> None:
    # `sweep` is a group of its own: register the studies as its subcommands.
    for name, module in STUDIES.items():
        p = subparsers.add_parser(name, help=f"sweep of the {name} study")
        p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="a grid axis: a params or hparams field and its values")
        p.add_argument("--zip", action="store_true", help="zip the axes instead of their product")
        p.add_argument("--seeds", type=int, default=1, help="seeds 0..SEEDS-1 per grid point")
        p.add_argument("--seed-offset", type=int, default=0)
        p.add_argument("--config", action="append", default=[], metavar="NAME=VALUE",
                       help="a static field of the whole sweep (sizes, timing, chunk)")
        p.add_argument("--out", help="results directory (default results/sweep-STUDY)")
        p.add_argument("--resume", metavar="DIR", help="continue the sweep in DIR")
        p.add_argument("--force", action="store_true", help="overwrite an existing --out")
        p.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
        p.add_argument("--quiet", action="store_true", help="no progress line")
        p.set_defaults(func=run, module=module, study=name)


def run(args: argparse.Namespace) -> int:
    from sweeps import driver, engine
    from sweeps.grid import Grid

    engine.use_all_cpu_cores()  # before JAX's first computation

    if args.seeds < 1:
        raise InputError(f"--seeds = {args.seeds} is outside the allowed range [1, inf)")
    if args.resume and args.out and os.path.abspath(args.out) != os.path.abspath(args.resume):
        raise InputError("give either --out or --resume, not two different directories")
    study = importlib.import_module(args.module)
    grid = Grid.from_assignments(args.set, "zip" if args.zip else "product")
    seeds = list(range(args.seed_offset, args.seed_offset + args.seeds))
    config = study.parse_config(parse_assignments(args.config))
    out_dir = args.resume or args.out or os.path.join("results", f"sweep-{args.study}")
    ident = driver.identity(args.study, grid, seeds, config)
    setup = study.setup(grid, seeds, config)  # validates every field before anything runs
    driver.prepare_dir(out_dir, ident, resume=bool(args.resume), force=args.force)

    import jax

    if os.environ.get("JAX_COORDINATOR_ADDRESS"):
        jax.distributed.initialize()
    rows = driver.run_study(
        args.study, grid, seeds, config, setup, out_dir,
        resume=bool(args.resume), progress=not args.quiet, stop_after=args.stop_after,
    )
    print(driver.describe(out_dir) if rows is not None else f"stopped; resume with --resume {out_dir}")
    return 0
