"""The arguments every `jaxmarkets reproduce STUDY` command shares."""

from __future__ import annotations

import argparse


def add_study_parser(subparsers, name: str, help: str, description: str, quick: str, full: str):
    """A parser with --quick (the default) / --full, --out, --force and --seed;
    `quick` and `full` say what each mode runs."""
    p = subparsers.add_parser(
        name, help=help, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help=f"{quick} (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help=full)
    p.set_defaults(mode="quick")
    p.add_argument("--out", default=None, help=f"results directory (default results/{name}-MODE)")
    p.add_argument("--force", action="store_true", help="overwrite an existing results directory")
    p.add_argument("--seed", type=int, default=0)
    return p
