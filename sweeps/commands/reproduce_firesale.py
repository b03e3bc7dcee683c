"""`jaxmarkets reproduce firesale`: paper 003, Section 5.3 (Figures 2 and 3) and
the mechanical cascades beyond it.

--quick (the default) uses a few hundred instances per point and n up to 10:
about a minute or two on a 2-core CPU. --full uses 10^5 instances per point as
in the paper. Every figure states its mode and instance count.
"""

from __future__ import annotations

import dataclasses

from jaxmarkets.core import check_int
from sweeps.commands.reproduce_args import add_study_parser
from sweeps.engine import use_all_cpu_cores


def add_parser(subparsers) -> None:
    p = add_study_parser(
        subparsers, "firesale",
        help="paper 003: convergence of best-response and simplified dynamics (Figures 2-3)",
        description=__doc__, quick="few instances per point, about a minute on a CPU",
        full="10^5 instances per point, as in the paper",
    )
    p.add_argument("--instances", type=int, default=None, help="instances per point (overrides the mode)")
    p.add_argument("--no-cascades", action="store_true", help="skip the cascade phase diagrams")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.firesale import FULL, QUICK, run_study

    cfg = QUICK if args.mode == "quick" else FULL
    check_int("--seed", args.seed, 0)
    cfg = dataclasses.replace(cfg, seed=args.seed, cascades=cfg.cascades and not args.no_cascades)
    if args.instances is not None:
        check_int("--instances", args.instances, 1)
        cfg = dataclasses.replace(cfg, instances=args.instances, instances_fig2=args.instances)
    cfg.validate()
    use_all_cpu_cores()  # before JAX's first computation: run_many splits batches over the cores
    out = args.out or f"results/firesale-{args.mode}"
    manifest = run_study(cfg, out, force=args.force)
    t = manifest["timings"]
    print(f"results in {out}: " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()))
    return 0
