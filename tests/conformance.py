"""The games every API-conformance test runs through.

To enter a game, add a `GameSpec`: how to build the environment, how many steps to
roll, and a float params field to vary for the vmap-over-params check.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from jaxmarkets.core import Environment
from jaxmarkets.execution.game import TIMINGS, ExecutionGame
from jaxmarkets.firesale.game import FireSaleGame


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
GAMES += [
    GameSpec("firesale-linear", lambda: FireSaleGame(n_agents=4, n_assets=3), 2, "liabilities"),
    GameSpec("firesale-piecewise", lambda: FireSaleGame(n_agents=3, n_assets=2, impact="piecewise_linear", n_knots=2), 2, "liabilities"),
]
