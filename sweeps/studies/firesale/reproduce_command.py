"""`jaxmarkets reproduce firesale`: paper 003, Section 5.3 (Figures 2 and 3) and
the mechanical cascades beyond it.

--quick (the default) uses a few hundred instances per point and n up to 10:
about a minute or two on a 2-core CPU. --full uses 10^5 instances per point as
in the paper. Every figure states its mode and instance count. Each point is
written when it finishes: --resume continues a killed run.
"""

from __future__ import annotations

import argparse
import dataclasses

from jaxmarkets.core import check_int
from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="paper 003: convergence of best-response and simplified dynamics (Figures 2-3)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reproduce_arguments(p, name, quick="few instances per point, about a minute on a CPU",
                            full="10^5 instances per point, as in the paper")
    p.add_argument("--instances", type=int, default=None, help="instances per point (overrides the mode)")
    p.add_argument("--no-cascades", action="store_true", help="skip the cascade phase diagrams")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.studies.firesale.reproduction import FULL, QUICK, run_study

    out = results_dir(args, "firesale")
    cfg = QUICK if args.mode == "quick" else FULL
    cfg = dataclasses.replace(cfg, seed=args.seed, cascades=cfg.cascades and not args.no_cascades)
    if args.instances is not None:
        check_int("--instances", args.instances, 1)
        cfg = dataclasses.replace(cfg, instances=args.instances, instances_fig2=args.instances)
    cfg.validate()
    manifest = run_study(cfg, out, force=args.force, resume=args.resume)
    print(f"results in {out}: " + ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings_s"].items()))
    return 0
