"""Thin entry point: `python scripts/reproduce.py execution` is `jaxmarkets reproduce execution`."""

import sys

from sweeps.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", *sys.argv[1:]]))
