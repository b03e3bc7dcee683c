"""`jaxmarkets results DIR`: the summary of any results directory."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    subparsers.add_argument("dir", metavar="DIR", help="a results directory")
    subparsers.set_defaults(func=run)


def run(args) -> int:
    from sweeps.driver import describe

    print(describe(args.dir))
    return 0
