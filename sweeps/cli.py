"""`jaxmarkets`: the one command-line entry point.

    jaxmarkets theory GAME ...      analytic companions of a game
    jaxmarkets reproduce STUDY ...  a paper reproduction
    jaxmarkets bench WHAT ...       benchmarks
    jaxmarkets sweep STUDY ...      a grid of params and seeds through the sweep engine
    jaxmarkets results DIR          the summary of a results directory

Every command validates its input before anything is compiled: a bad value
prints one line naming the field and the allowed range, and exits with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (group, module): each module adds one subcommand to its group.
COMMANDS = [
    ("theory", "sweeps.commands.theory_execution"),
    ("theory", "sweeps.commands.theory_firesale"),
    ("reproduce", "sweeps.commands.reproduce_firesale"),
    ("bench", "sweeps.commands.bench_firesale"),
    ("bench", "sweeps.commands.bench_execution"),
    ("sweep", "sweeps.commands.sweep"),
    ("bench", "sweeps.commands.bench_sweep"),
    ("results", "sweeps.commands.results"),
    ("bench", "sweeps.commands.bench_ddqn"),
    ("reproduce", "sweeps.commands.reproduce_execution"),
]

GROUPS = {
    "theory": "analytic companions of a game (equilibria, expected costs, fronts)",
    "reproduce": "reproduce a paper's figures and tables",
    "bench": "benchmarks: compile and run time against a plain reference",
    "sweep": "run a study over a grid of params and seeds (sharded, chunked, resumable)",
    "results": "print the summary of a results directory",
}
GROUPS_WITHOUT_TARGETS = {"results"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxmarkets", description="JAX simulator of strategic market games"
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    subparsers = {}
    for name, help_text in GROUPS.items():
        sub = groups.add_parser(name, help=help_text, description=help_text)
        if name in GROUPS_WITHOUT_TARGETS:
            subparsers[name] = sub
        else:
            subparsers[name] = sub.add_subparsers(dest="target", required=True, metavar="NAME")
    for group, module in COMMANDS:
        importlib.import_module(module).add_parser(subparsers[group])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"jaxmarkets: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
