"""Everything the compiled program needs to know about one game's shape,
derived once from the game's static configuration (`CatGame`).

The clearing-house schedule: a round is split into `blocks` equal shares of its
shout opportunities (1 unless some clearing house calls more often than once a
round), and `call_table[r, b, s]` says whether specialist s's clearing house
is called after block b of round r.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from jaxmarkets.cat import gd
from jaxmarkets.cat.spec import ACCEPTING, CHARGING, CLEARING, PRICING, SpecialistSpec, layout


@dataclasses.dataclass(frozen=True, eq=False)
class Static:
    n_buyers: int
    n_traders: int
    n_markets: int
    entitlement: int
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
    call_table: np.ndarray  # [R, blocks, S] bool
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


def call_schedule(specs: tuple[SpecialistSpec, ...], rounds: int) -> tuple[int, np.ndarray]:
    per_round = [s.calls_per_day(rounds) // rounds if s.clearing == "round" and s.calls_per_day(rounds) > rounds
                 else 1 for s in specs]
    blocks = max(per_round)
    table = np.zeros((rounds, blocks, len(specs)), bool)
    for j, s in enumerate(specs):
        if s.clearing != "round":
            continue
        calls = s.calls_per_day(rounds)
        if calls <= rounds:
            for r in range(rounds):
                table[r, blocks - 1, j] = (r + 1) * calls // rounds > r * calls // rounds
        else:
            m = calls // rounds
            for b in range(blocks):
                table[:, b, j] = (b + 1) * m // blocks > b * m // blocks
    return blocks, table


def build(game) -> Static:
    lay = layout(game.buyers, game.sellers)
    t = lay.n_traders
    specs = game.specialists
    blocks, table = call_schedule(specs, game.rounds)
    has_gd = "gd" in lay.present
    capacity = game.gd_capacity if has_gd else 1
    return Static(
        n_buyers=lay.n_buyers, n_traders=t, n_markets=len(specs), entitlement=game.entitlement,
        rounds=game.rounds, days=game.days, strategy=lay.strategy, present=lay.present,
        zip_members=lay.members("zip"), zip_slot=lay.slot("zip"), re_members=lay.members("re"),
        re_slot=lay.slot("re"), subscriber=lay.subscribes(),
        clearing=np.asarray([CLEARING.index(s.clearing) for s in specs], np.int32),
        accepting=np.asarray([ACCEPTING.index(s.accepting) for s in specs], np.int32),
        pricing=np.asarray([PRICING.index(s.pricing) for s in specs], np.int32),
        cutting=np.asarray([s.charging == CHARGING[1] for s in specs], bool),
        blocks=blocks, block_size=math.ceil(t / blocks), call_table=table,
        gd_capacity=capacity, gd_memory=game.gd_memory, gd_max_price=float(game.gd_max_price),
        gd_candidates=gd.n_candidates(game.gd_max_price, capacity), gd_reading=game.gd_reading,
        re_actions=game.re_actions,
        eq_window=game.eq_window, selection=game.selection, redraw_values=game.redraw_values,
        assessment=game.assessment, record=game.record,
    )
