"""Thin entry point: `python scripts/bench.py execution` is `jaxmarkets bench execution`."""

import sys

from sweeps.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
