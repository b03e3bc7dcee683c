"""The games every API-conformance test runs through.

To enter a game, add a `GameSpec`: how to build the environment, how many steps to
roll, and a float params field to vary for the vmap-over-params check.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from jaxmarkets.core import Environment
from jaxmarkets.execution.game import TIMINGS, ExecutionGame


@dataclasses.dataclass(frozen=True)
class GameSpec:
    name: str
    make_env: Callable[[], Environment]
    horizon: int  # steps rolled per trajectory
    vary: str  # a params field scaled to build a batch of parameter regimes


GAMES = [
    GameSpec(f"execution-{t}", lambda t=t: ExecutionGame(n_agents=3, n_steps=5, timing=t), 5, "sigma")
    for t in TIMINGS
]
