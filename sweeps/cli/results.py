"""`jaxmarkets results DIR`: the summary of any study's results directory."""

from __future__ import annotations


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="a results directory (of reproduce or sweep)")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.engine.results import describe

    print(describe(args.dir))
    return 0
