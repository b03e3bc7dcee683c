"""Everything the compiled program needs to know about one game's shape,
derived once from the game's static configuration (`CatGame`).

The clearing-house schedule: a round is split into `blocks` equal shares of its
shout opportunities (1 unless some clearing house may call more often than
once a round); when each clearing house is called is computed from the traced
`CatParams.calls` (`day.called`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jaxmarkets.cat import gd
from jaxmarkets.cat.spec import ACCEPTING, CHARGING, CLEARING, PRICING, layout


@dataclasses.dataclass(frozen=True, eq=False)
class Static:
    n_buyers: int
    n_traders: int
    n_markets: int
    rounds: int
    days: int
    strategy: np.ndarray  # [T] index into STRATEGIES
    present: tuple[str, ...]
    zip_members: np.ndarray  # trader indices of ZIP traders
    zip_slot: np.ndarray  # [T]
    re_members: np.ndarray
    re_slot: np.ndarray  # [T]
    subscriber: np.ndarray  # [T] bool pays its market's information fee daily
    clearing: np.ndarray  # [S] index into CLEARING
    accepting: np.ndarray  # [S]
    pricing: np.ndarray  # [S]
    cutting: np.ndarray  # [S] bool
    blocks: int
    block_size: int
    max_calls: tuple[int, ...]  # per specialist: rounds x blocks for a clearing house, 0 if continuous
    gd_capacity: int
    gd_memory: int
    gd_max_price: float
    gd_candidates: int
    gd_reading: str
    re_actions: int
    eq_window: int
    selection: str
    redraw_values: bool
    assessment: str
    record: bool


def build(game) -> Static:
    lay = layout(game.buyers, game.sellers)
    t = lay.n_traders
    specs = game.specialists
    blocks = max(s.blocks_per_round(game.rounds) for s in specs)
    has_gd = "gd" in lay.present
    capacity = game.gd_capacity if has_gd else 1
    return Static(
        n_buyers=lay.n_buyers, n_traders=t, n_markets=len(specs), rounds=game.rounds, days=game.days, strategy=lay.strategy, present=lay.present,
        zip_members=lay.members("zip"), zip_slot=lay.slot("zip"), re_members=lay.members("re"),
        re_slot=lay.slot("re"), subscriber=lay.subscribes(),
        clearing=np.asarray([CLEARING.index(s.clearing) for s in specs], np.int32),
        accepting=np.asarray([ACCEPTING.index(s.accepting) for s in specs], np.int32),
        pricing=np.asarray([PRICING.index(s.pricing) for s in specs], np.int32),
        cutting=np.asarray([s.charging == CHARGING[1] for s in specs], bool),
        blocks=blocks, block_size=math.ceil(t / blocks),
        max_calls=tuple(game.rounds * blocks if s.clearing == "round" else 0 for s in specs),
        gd_capacity=capacity, gd_memory=game.gd_memory, gd_max_price=float(game.gd_max_price),
        gd_candidates=gd.n_candidates(game.gd_max_price, capacity), gd_reading=game.gd_reading,
        re_actions=game.re_actions,
        eq_window=game.eq_window, selection=game.selection, redraw_values=game.redraw_values,
        assessment=game.assessment, record=game.record,
    )
