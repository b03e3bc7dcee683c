"""The games under their names: adding a game is one `GameEntry` line here.

`jaxmarkets.make(name, **static)` builds a game's environment from its static
sizes; the conformance and property tests and the command line walk `GAMES`,
so a game listed here is tested and reachable from its first day.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from jaxmarkets.core import Environment, InputError


@dataclasses.dataclass(frozen=True)
class GameEntry:
    name: str
    target: str  # "module:Class", imported when first used so `import jaxmarkets` stays cheap
    paper: str  # the source document in the papers folder
    summary: str
    # small static configurations the conformance and property tests run
    examples: tuple[dict[str, Any], ...]
    horizon: int  # steps a conformance rollout takes
    vary: str  # a float params field scaled to build a batch of parameter regimes

    def factory(self):
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)


GAMES: dict[str, GameEntry] = {
    entry.name: entry
    for entry in (
        GameEntry(
            "execution", "jaxmarkets.execution.game:ExecutionGame", "001",
            "Almgren-Chriss optimal execution, n agents, four timing readings",
            tuple({"n_agents": 3, "n_steps": 5, "timing": t}
                  for t in ("simultaneous", "inclusive", "sequential", "aggregate")),
            horizon=5, vary="sigma",
        ),
        GameEntry(
            "firesale", "jaxmarkets.firesale.game:FireSaleGame", "003",
            "fire sales among leveraged banks with overlapping portfolios",
            ({"n_agents": 4, "n_assets": 3},
             {"n_agents": 3, "n_assets": 2, "impact": "piecewise_linear", "n_knots": 2}),
            horizon=2, vary="liabilities",
        ),
        GameEntry(
            "liquidity", "jaxmarkets.liquidity.game:LiquidityGame", "002",
            "market makers offloading bond parcels to each other, types large / small",
            # one example, the longer code path (two steps a round, sizes); the
            # default printed simultaneous game is tested in test_liquidity_game.py
            ({"n_makers": 3, "n_actions": 3, "model": "sizes", "form": "stackelberg", "n_rounds": 2},),
            horizon=4, vary="scale",
        ),
        GameEntry(
            "liquidation", "jaxmarkets.liquidation.game:LiquidationGame", "000",
            "banks meeting liquidity needs by selling assets of different liquidity; talk, planner signals",
            ({"n_banks": 3, "n_assets": 2, "horizon": 3, "information": "full", "communication": "cheap_talk"},
             {"n_banks": 2, "n_assets": 3, "horizon": 2, "impact": "power", "execution": "pre",
              "objective": "cash", "need": "leverage", "communication": "planner_private",
              "action_set": "grid", "portfolios": "random", "diversification": 2}),
            horizon=4, vary="impact_coef",
        ),
        GameEntry(
            "cat", "jaxmarkets.cat.game:CatGame", "004",
            "CAT market design: specialists' exchanges (fees, CDA / clearing house) compete for traders",
            # tiny and cheap to compile: ZI-C and Roth-Erev traders, a CDA and a clearing house
            ({"days": 3, "rounds": 2, "buyers": (("zic", 2), ("re", 1)), "sellers": (("zic", 2), ("re", 1)),
              "specialists": ({"name": "cda"},
                              {"name": "ch", "clearing": "round", "accepting": "always", "pricing": "uniform"})},),
            horizon=3, vary="epsilon",
        ),
    )
}


def make(name: str, **static) -> Environment:
    """The environment of game `name` with the given static sizes (defaults otherwise)."""
    if name not in GAMES:
        raise InputError(f"game = {name!r} is not one of {', '.join(GAMES)}")
    cls = GAMES[name].factory()
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(static) - fields)
    if unknown:
        raise InputError(
            f"{name}: unknown static field {unknown[0]!r}; allowed: {', '.join(sorted(fields))}"
        )
    return cls(**static)
