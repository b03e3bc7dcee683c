"""One module per command of `jaxmarkets`; each has `add_parser(subparsers)`.

A module sets `func=run` on its parser; `run(args)` returns an exit code.
"""
