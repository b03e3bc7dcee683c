"""The Bayesian liquidity game of Section 4.2: is my counterparty large or small?

Types: large (index 0) and small (index 1); actions: trade a low or a high
proportion of one's holding (index 0 = low, 1 = high: increasing size, as in
the stage game). A type-payoff tensor is

    pay[t1, t2, a1, a2, player]     (player 0 = player 1, 1 = player 2)

Two readings of where the numbers come from (`READINGS`):

  printed  the paper's two matrices (Section 4.2, "a type" and "b type"), for
           a large player 1; following Section 4.3, which multiplies the same
           matrix by the share of small players 1, a small player 1 gets the
           same payoffs. These are the numbers behind every later table.
  rule     Section 3's trade rule applied to holdings (large 10, small 5) with
           "high" the whole holding and "low" half of it: trade iff player 1's
           parcel <= player 2's, both then get player 1's parcel. It is the
           only reading consistent with Eq. (1); 14 of the 16 printed numbers
           agree with it (see docs/liquidity.md for the other two).

Section 4.2's game: player 1 has one type (large), player 2 is large with
probability p. Its Bayesian Nash equilibria are the Nash equilibria of the
induced normal form over type-contingent plans (`jaxmarkets.equilibria`).
"""

from __future__ import annotations

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_range
from jaxmarkets.equilibria import (
    bimatrix_equilibria,
    induced_normal_form,
)
from jaxmarkets.equilibria.payoffs import Bimatrix, check_matrix
from jaxmarkets.liquidity.rules import DEFAULT_TIES, accepts

TYPES = ("large", "small")
ACTIONS = ("low", "high")
READINGS = ("printed", "rule")
DEFAULT_READING = "printed"

# The printed matrices as the paper lays them out: rows player 1 high, low;
# columns player 2 high, low; entries (u1, u2).
PRINTED_LARGE = (((10, 10), (0, 0)), ((6, 6), (5, 5)))  # "a type": p, player 2 large
PRINTED_SMALL = (((0, 0), (0, 0)), ((5, 4), (0, 0)))  # "b type": 1 - p, player 2 small

# The rule reading's holdings and proportions (low, high).
RULE_HOLDINGS = (10.0, 5.0)
RULE_PROPORTIONS = (0.5, 1.0)


def _from_paper_layout(printed) -> np.ndarray:
    """[a1, a2, player] in our order (low first) from the paper's (high first)."""
    m = np.asarray(printed, np.float64)  # [row high/low, col high/low, player]
    return m[::-1, ::-1, :].copy()


def printed_type_payoffs() -> np.ndarray:
    """pay[t1, t2, a1, a2, player] of the printed matrices (same for both t1)."""
    by_responder = np.stack([_from_paper_layout(PRINTED_LARGE), _from_paper_layout(PRINTED_SMALL)])
    return np.stack([by_responder, by_responder])


def rule_type_payoffs(holdings=RULE_HOLDINGS, proportions=RULE_PROPORTIONS,
                      ties: str = DEFAULT_TIES) -> np.ndarray:
    """pay[t1, t2, a1, a2, player] from the trade rule: sizes holding x proportion."""
    h = np.asarray(holdings, np.float64)
    r = np.asarray(proportions, np.float64)
    check_range("holdings", h, 0.0, low_open=True)
    check_range("proportions", r, 0.0, 1.0, low_open=True)
    size = h[:, None] * r[None, :]  # [type, action]
    s1 = size[:, None, :, None]
    s2 = size[None, :, None, :]
    volume = np.where(accepts(s1, s2, ties), s1, 0.0) * np.ones_like(s2)
    return np.stack([volume, volume], axis=-1)


def type_payoffs(reading: str = DEFAULT_READING, scale: float = 1.0, overrides: dict | None = None) -> np.ndarray:
    """The type-payoff tensor of a reading, scaled; `overrides` replaces player 2
    type matrices: {"large.row": M, "large.col": M, "small.row": ..., "small.col": ...},
    each 2 x 2 in our order (rows player 1 low, high; columns player 2 low, high)."""
    check_choice("reading", reading, READINGS)
    check_range("scale", scale, 0.0, low_open=True)
    pay = printed_type_payoffs() if reading == "printed" else rule_type_payoffs()
    for name, value in (overrides or {}).items():
        t_name, _, side = name.partition(".")
        if t_name not in TYPES or side not in ("row", "col"):
            raise InputError(f"unknown field {name!r}; allowed: large.row, large.col, small.row, small.col")
        M = np.asarray(check_matrix(name, value), np.float64)
        if M.shape[0] != M.shape[1]:
            raise InputError(f"{name} has shape {M.shape}; expected a square matrix (2, 2): "
                             "rows player 1 low, high; columns player 2 low, high")
        if M.shape != (2, 2):
            raise InputError(f"{name} has shape {M.shape}; expected (2, 2): the actions are low, high")
        t = TYPES.index(t_name)
        # the override is for player 2 of that type, whoever player 1 is
        pay[:, t, :, :, 0 if side == "row" else 1] = M
    return pay * float(scale)


def check_prior(p) -> float:
    check_range("prior", p, 0.0, 1.0)
    return float(p)


def one_sided_game(pay: np.ndarray, p: float, player1_type: int = 0):
    """Section 4.2: player 1 of a known type (large by default, as in the
    paper), player 2 large w.p. p. Returns the shared `InducedNormalForm`
    (player 1's plans are its two actions)."""
    p = check_prior(p)
    t1 = int(player1_type)
    u = np.moveaxis(pay[t1:t1 + 1], -1, 0)  # [player, t1 = 1, t2, a1, a2]
    prior = np.array([[p, 1.0 - p]])
    return induced_normal_form(u, prior, types=[(TYPES[t1],), TYPES], actions=[ACTIONS, ACTIONS])


def two_sided_game(pay: np.ndarray, p1: float, p2: float):
    """Both players' types uncertain (Section 4.3 done as a Bayesian game):
    player i large w.p. p_i, independently. Plans for both players."""
    p1, p2 = check_prior(p1), check_prior(p2)
    u = np.moveaxis(pay, -1, 0)  # [player, t1, t2, a1, a2]
    prior = np.outer([p1, 1 - p1], [p2, 1 - p2])
    return induced_normal_form(u, prior, types=[TYPES, TYPES], actions=[ACTIONS, ACTIONS])


def bimatrix_of(game) -> Bimatrix:
    U = np.asarray(game.payoffs, np.float64)
    return Bimatrix(U[0], U[1])


def bayesian_equilibria(game) -> list[dict]:
    """Every extreme Bayesian Nash equilibrium (over plans) by the shared solver."""
    return bimatrix_equilibria(bimatrix_of(game))


# ---------------------------------------------------------------- the threshold


def dominant_responses(pay: np.ndarray) -> list[int | None]:
    """Per player-2 type, an action weakly dominant against a large player 1's
    actions (the paper's "high is weakly dominant for player 2"), or None."""
    out = []
    for t in range(len(TYPES)):
        u2 = pay[0, t, :, :, 1]  # [a1, a2]
        best = [b for b in range(u2.shape[1]) if np.all(u2[:, b] >= u2.max(axis=1))]
        out.append(best[-1] if best else None)
    return out


def threshold_closed_form(pay: np.ndarray) -> float | None:
    """The p at which player 1's best response changes, player 2 playing its
    dominant responses r_L, r_S: with d_t = u1(high, r_t | t) - u1(low, r_t | t),
    player 1 plays high iff p d_L + (1 - p) d_S > 0, so p* = d_S / (d_S - d_L).
    None when player 2 has no dominant response or the sign never changes in [0, 1]."""
    r = dominant_responses(pay)
    if None in r:
        return None
    d = [pay[0, t, 1, r[t], 0] - pay[0, t, 0, r[t], 0] for t in range(2)]
    if not d[0] * d[1] < 0:  # a strict change of sign inside (0, 1)
        return None
    return float(d[1] / (d[1] - d[0]))


def _undominated_plans(U2: np.ndarray) -> np.ndarray:
    """Player 2's plans that no other pure plan weakly dominates (one round)."""
    keep = []
    for j in range(U2.shape[1]):
        dominated = any(np.all(U2[:, k] >= U2[:, j]) and np.any(U2[:, k] > U2[:, j])
                        for k in range(U2.shape[1]) if k != j)
        keep.append(not dominated)
    return np.flatnonzero(keep)


def high_in_every_equilibrium(pay: np.ndarray, p: float) -> bool:
    """Whether player 1 plays high for sure in every Bayesian equilibrium once
    player 2's weakly dominated plans are removed (all by the shared solver)."""
    U = np.asarray(one_sided_game(pay, p).payoffs, np.float64)
    keep = _undominated_plans(U[1])
    eqs = bimatrix_equilibria(Bimatrix(U[0][:, keep], U[1][:, keep]))
    return all(e["row"][1] >= 1.0 - 1e-9 for e in eqs)


def threshold_numerical(pay: np.ndarray, tol: float = 1e-12) -> float | None:
    """The same threshold found by bisection on `high_in_every_equilibrium`,
    i.e. from the equilibria the solver returns rather than from a formula."""
    lo, hi = 0.0, 1.0
    at_lo, at_hi = high_in_every_equilibrium(pay, lo), high_in_every_equilibrium(pay, hi)
    if at_lo == at_hi:
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if high_in_every_equilibrium(pay, mid) == at_hi:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)
