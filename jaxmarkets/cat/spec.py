"""Names of the CAT game's families and the static layout of one game.

Everything here fixes array shapes or code paths, so it is static (part of the
environment object); every number a user may sweep lives in `CatParams`.

Traders are one array axis of length T = buyers + sellers: buyers first, then
sellers, and within each side grouped by strategy in the order of `STRATEGIES`.
So a strategy's traders are static index sets, and a strategy absent from the
population is never compiled.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int

STRATEGIES = ("truth", "zic", "zip", "gd", "re")
CLEARING = ("continuous", "round")
ACCEPTING = ("always", "quote_beating", "equilibrium_beating", "self_beating")
PRICING = ("discriminatory", "uniform", "standing")
CHARGING = ("fixed", "cutting")
SELECTION = ("epsilon_greedy", "softmax")
ASSESSMENT = ("all", "sampled")
GD_READINGS = ("overview", "jcat")
FEES = ("registration", "information", "shout", "transaction", "profit")
# strategies that read their market's shouts and so subscribe to it every day
# (JCAT: strategies with `requiresAuctionHistory`), paying its information fee
SUBSCRIBERS = ("zip", "gd")


@dataclasses.dataclass(frozen=True)
class SpecialistSpec:
    """One specialist's policy families (static: each is a code path).

    `calls` is the clearing house's number of calls per day (clearing "round"):
    spread evenly over the day, the last at its end; `calls = rounds` (0 means
    that) is JCAT's call at every round's end. Above R, each round is split
    into ceil(calls / R) equal blocks of shout opportunities, a call possible
    after each. The number actually used is the traced `CatParams.calls` (this
    value by default), anything from 1 to the schedule's blocks per day.
    """

    name: str = "cda"
    clearing: str = "continuous"
    accepting: str = "quote_beating"
    pricing: str = "discriminatory"
    charging: str = "fixed"
    calls: int = 0

    def validate(self, where: str, rounds: int, traders: int) -> None:
        check_choice(f"{where}.clearing", self.clearing, CLEARING)
        check_choice(f"{where}.accepting", self.accepting, ACCEPTING)
        check_choice(f"{where}.pricing", self.pricing, PRICING)
        check_choice(f"{where}.charging", self.charging, CHARGING)
        check_int(f"{where}.calls", self.calls, 0, rounds * traders)


    def calls_per_day(self, rounds: int) -> int:
        return self.calls or rounds

    def blocks_per_round(self, rounds: int) -> int:
        return -(-self.calls_per_day(rounds) // rounds) if self.clearing == "round" else 1


def as_spec(s) -> SpecialistSpec:
    if isinstance(s, SpecialistSpec):
        return s
    if isinstance(s, Mapping):
        return SpecialistSpec(**s)
    raise InputError(f"specialist {s!r} must be a mapping of policy names")


def as_population(name: str, value) -> tuple[tuple[str, int], ...]:
    """(("zic", 100), ...) from a mapping or pairs, in the order of STRATEGIES."""
    pairs = dict(value.items() if isinstance(value, Mapping) else value)
    for strategy, count in pairs.items():
        check_choice(f"{name} strategy", strategy, STRATEGIES)
        check_int(f"{name}.{strategy}", count, 0)
    out = tuple((s, int(pairs[s])) for s in STRATEGIES if pairs.get(s, 0) > 0)
    if sum(c for _, c in out) < 1:
        raise InputError(f"{name} = {dict(pairs)} has {sum(c for _, c in out)} traders; allowed range [1, inf)")
    return out


@dataclasses.dataclass(frozen=True)
class Layout:
    """Static index sets of the trader axis (numpy, baked into the program)."""

    n_buyers: int
    n_sellers: int
    strategy: np.ndarray  # [T] index into STRATEGIES
    present: tuple[str, ...]  # strategies with at least one trader

    @property
    def n_traders(self) -> int:
        return self.n_buyers + self.n_sellers

    def members(self, strategy: str) -> np.ndarray:
        return np.flatnonzero(self.strategy == STRATEGIES.index(strategy))

    def slot(self, strategy: str) -> np.ndarray:
        """[T] each trader's row in its strategy's state arrays (0 for others)."""
        out = np.zeros(self.n_traders, np.int32)
        idx = self.members(strategy)
        out[idx] = np.arange(idx.size)
        return out

    def subscribes(self) -> np.ndarray:
        return np.isin(self.strategy, [STRATEGIES.index(s) for s in SUBSCRIBERS])


def layout(buyers, sellers) -> Layout:
    codes = [STRATEGIES.index(s) for side in (buyers, sellers) for s, n in side for _ in range(n)]
    strategy = np.asarray(codes, np.int32)
    present = tuple(s for s in STRATEGIES if np.any(strategy == STRATEGIES.index(s)))
    return Layout(sum(n for _, n in buyers), sum(n for _, n in sellers), strategy, present)
