"""`jaxmarkets reproduce execution`: paper 001's Double-DQN traders, Figures 1-14.

--quick (the default) trains fewer runs for fewer iterations and finishes in a
few minutes on a laptop CPU; every figure says so. --full is the paper's
setting (3 sigmas x 20 runs, 5,000 training + 2,500 test iterations): minutes
on a GPU, an hour or more on a CPU. All runs of one experiment are one
compiled, vmapped program, checkpointed after every chunk: --resume continues
a killed run.
"""

from __future__ import annotations

import argparse
import dataclasses

from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="paper 001: Double-DQN agents in the execution game (Figures 1-14, summary)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reproduce_arguments(p, name, quick="few runs and iterations, minutes on a CPU",
                            full="the paper's setting")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.studies.execution.reproduction import FULL, QUICK, run_study

    out = results_dir(args, "execution")
    cfg = dataclasses.replace(QUICK if args.mode == "quick" else FULL, seed=args.seed)
    cfg.validate()
    result = run_study(cfg, out, force=args.force, resume=args.resume)
    print(f"{'experiment':<20} {'σ train':>8} {'σ test':>8} {'runs':>4} {'rect':>4} "
          f"{'q1':>3} {'q2':>3} {'q3':>3} {'q4':>3} {'dist':>6} {'mean IS':>8} {'Nash':>7} {'Pareto':>7}")
    for r in result["rows"]:
        print(f"{r['experiment']:<20} {r['sigma_train']:>8.0e} {r['sigma_test']:>8.0e} {r['runs']:>4} "
              f"{r['in_rectangle']:>4} {r['q1']:>3} {r['q2']:>3} {r['q3']:>3} {r['q4']:>3} "
              f"{r['mean_distance_to_front']:>6.2f} {r['mean_is']:>8.2f} {r['nash_is']:>7.2f} "
              f"{r['pareto_is']:>7.2f}")
    return 0
