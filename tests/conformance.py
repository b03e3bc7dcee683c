"""The games every API-conformance test runs through, generated from the registry.

A game enters by its `GameEntry` in `jaxmarkets/registry.py`: each of its
`examples` (static sizes) becomes one case here.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jaxmarkets
from jaxmarkets.core import Environment


@dataclasses.dataclass(frozen=True)
class GameSpec:
    name: str
    make_env: Callable[[], Environment]
    horizon: int  # steps rolled per trajectory
    vary: str  # a float params field scaled to build a batch of parameter regimes


def _label(static: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in static.items())


GAMES = [
    GameSpec(f"{entry.name}[{_label(static)}]",
             lambda name=entry.name, static=static: jaxmarkets.make(name, **static),
             entry.horizon, entry.vary)
    for entry in jaxmarkets.GAMES.values()
    for static in entry.examples
]
