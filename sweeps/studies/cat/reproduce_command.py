"""`jaxmarkets reproduce cat`: paper 004 (placeholder until the study lands)."""

from __future__ import annotations


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="paper 004: CAT study", description=__doc__)
    p.set_defaults(func=lambda args: 0)
