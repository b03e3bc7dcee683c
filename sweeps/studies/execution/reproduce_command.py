"""`jaxmarkets reproduce execution`: paper 001's Double-DQN traders, Figures 1-14.

--quick (the default) trains fewer runs for fewer iterations and finishes in a
few minutes on a laptop CPU; every figure says so. --full is the paper's
setting (3 sigmas x 20 runs, 5,000 training + 2,500 test iterations): minutes
on a GPU, an hour or more on a CPU. All runs of one experiment are one
compiled, vmapped program, checkpointed after every chunk: --resume continues
a killed run.

--learner ppo runs the same experiment with PPO traders on the continuous
action (the fraction of the remaining inventory sold each step): the same
sigmas, Figures 1-12 and summary (no Figures 13-14: they are DDQN
experiments), and Figure 15, both learners' run centroids with Nash, TWAP and
the Pareto front. Its DDQN side comes from --ddqn-results DIR (a finished
`reproduce execution` of the same game) or, without it, from the DDQN main
experiment of the same mode and seed, run first in the same results directory.
Its default directory is results/execution-ppo-MODE.
"""

from __future__ import annotations

import argparse
import dataclasses

from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="paper 001: Double-DQN (or --learner ppo) traders in the execution game (Figures 1-15, summary)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_reproduce_arguments(p, name, quick="few runs and iterations, minutes on a CPU",
                            full="the paper's setting")
    p.add_argument("--learner", choices=("ddqn", "ppo"), default="ddqn",
                   help="the traders: Double DQN on a grid of volumes (the paper's), or PPO on the "
                        "continuous fraction of inventory")
    p.add_argument("--ddqn-results", metavar="DIR", default=None,
                   help="with --learner ppo: a finished DDQN reproduction of the same game to compare "
                        "with (default: run DDQN's main experiment of the same mode here)")
    p.set_defaults(func=run)


def run(args) -> int:
    from jaxmarkets.core import InputError
    from sweeps.studies.execution.reproduction import CONFIGS, run_study

    if args.ddqn_results and args.learner == "ddqn":
        raise InputError("--ddqn-results is for --learner ppo (a DDQN run needs no DDQN to compare with)")
    out = results_dir(args, "execution" if args.learner == "ddqn" else f"execution-{args.learner}")
    cfg = dataclasses.replace(CONFIGS[args.learner, args.mode], seed=args.seed)
    cfg.validate()
    result = run_study(cfg, out, force=args.force, resume=args.resume, ddqn=args.ddqn_results)
    print(f"{'learner':<8} {'experiment':<20} {'σ train':>8} {'σ test':>8} {'runs':>4} {'rect':>4} "
          f"{'q1':>3} {'q2':>3} {'q3':>3} {'q4':>3} {'dist':>6} {'mean IS':>8} {'Nash':>7} {'Pareto':>7}")
    for r in result["rows"]:
        print(f"{r['learner']:<8} {r['experiment']:<20} {r['sigma_train']:>8.0e} {r['sigma_test']:>8.0e} {r['runs']:>4} "
              f"{r['in_rectangle']:>4} {r['q1']:>3} {r['q2']:>3} {r['q3']:>3} {r['q4']:>3} "
              f"{r['mean_distance_to_front']:>6.2f} {r['mean_is']:>8.2f} {r['nash_is']:>7.2f} "
              f"{r['pareto_is']:>7.2f}")
    return 0
