"""`jaxmarkets`: the one command-line entry point, generated from the registries.

    jaxmarkets theory GAME ...      analytic companions of a game
    jaxmarkets reproduce STUDY ...  a paper reproduction
    jaxmarkets sweep STUDY ...      a grid of params and seeds through the sweep engine
    jaxmarkets bench WHAT ...       benchmarks
    jaxmarkets results DIR          the summary of any results directory
    jaxmarkets STUDY NAME ...       a study's own commands (jaxmarkets cat game CONFIG.json)

Every command validates its input before anything is compiled: a bad value
prints one line naming the field and the allowed range and exits with code 2.
Any other error is a bug: it keeps its traceback and exits with code 1.
"""

from __future__ import annotations

import argparse
import sys

from jaxmarkets.core import InputError

GROUPS = {
    "theory": "analytic companions of a game (equilibria, expected costs, fronts)",
    "reproduce": "reproduce a paper's figures and tables",
    "sweep": "run a study over a grid of params and seeds (sharded, chunked, resumable)",
    "bench": "benchmarks: compile and run time against a plain reference",
    "results": "print the summary of any results directory",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors: one line, exit 2, like ours
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from sweeps.cli import bench_equilibria, bench_sweep, results, sweep
    from sweeps.studies import STUDIES

    parser = _Parser(prog="jaxmarkets", description="JAX simulator of strategic market games")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND", parser_class=_Parser)
    sub = {}
    for name, help_text in GROUPS.items():
        p = groups.add_parser(name, help=help_text, description=help_text)
        if name == "results":
            results.add_arguments(p)
        else:
            sub[name] = p.add_subparsers(dest="target", required=True, metavar="NAME", parser_class=_Parser)
    for study in STUDIES.values():
        for group in ("theory", "reproduce"):
            if getattr(study, group):
                study.module(group).add_parser(sub[group], study.name)
        if study.sweep:
            sweep.add_parser(sub["sweep"], study)
        for bench_name, module in study.benches:
            __import__(module, fromlist=["add_parser"]).add_parser(sub["bench"], bench_name)
        if study.commands:  # a study's own commands: `jaxmarkets STUDY NAME ...`
            own = groups.add_parser(study.name, help=study.summary, description=study.summary)
            own_sub = own.add_subparsers(dest="target", required=True, metavar="NAME", parser_class=_Parser)
            for command_name, module in study.commands:
                __import__(module, fromlist=["add_parser"]).add_parser(own_sub, command_name)
    bench_sweep.add_parser(sub["bench"], "sweep")
    bench_equilibria.add_parser(sub["bench"], "equilibria")
    return parser


def main(argv: list[str] | None = None) -> int:
    from sweeps.engine.devices import initialize_distributed, use_all_cpu_cores

    args = build_parser().parse_args(argv)
    try:
        if args.group != "results":
            # before anything touches a JAX device: one device per core, and
            # a multi-process run joined when JAX's coordinator variables are set
            use_all_cpu_cores()
            initialize_distributed()
        return int(args.func(args) or 0)
    except InputError as err:
        print(f"jaxmarkets: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
