"""The tables of Sections 4.2 and 4.3 at the 17-GEMM composition, rebuilt.

What the printed tables turn out to be (docs/liquidity.md has the derivation):

* Section 4.2's 2 x 4 table ("L+High, L+low, s+high, s+low") is the induced
  normal form of the one-sided Bayesian game at p = 0.35: its columns are
  player 2's *plans* (action if large, action if small), in the order
  (high, high), (high, low), (low, high), (low, low), not type-action pairs.
* Section 4.3's 4 x 4 table ("both players of uncertain type") multiplies
  that table's row for player 1's action by the probability of player 1's
  type: row (t, a) = P(t) x row a. It is a table of ex-ante contributions,
  not a game: a player does not choose its type. `two_sided_game` in
  `bayesian.py` is the Bayesian game it stands for.
* Printed numbers are rounded half up to one decimal (1.75 prints 1.8,
  4.35 prints 4.4); the quadrant sums and the total are sums of the rounded
  entries.

Display order here is the paper's: high before low, large before small.
"""

from __future__ import annotations

import decimal

import numpy as np

from jaxmarkets.core import check_choice, check_range
from jaxmarkets.liquidity.bayesian import TYPES, one_sided_game

COMPOSITION = 0.35  # the paper's "close to 35%" large GEMMs; 6 of 17 is 0.353
GEMMS, LARGE_GEMMS = 17, 6
HIT_RATIOS = ("cells", "weighted")

# The paper's display order of player 2's plans ("L+High", "L+low", "s+high",
# "s+low") as (action if large, action if small), action 1 = high.
PAPER_PLAN_ORDER = ((1, 1), (1, 0), (0, 1), (0, 0))
PAPER_COLUMN_LABELS = ("L+High", "L+low", "s+high", "s+low")
PAPER_ROW_LABELS_43 = ("L+H", "L+l", "s+H", "s+l")

# Every number the paper prints in these tables, in its layout: [row][col] = (u1, u2).
PRINTED_42 = (((3.5, 3.5), (3.5, 3.5), (0, 0), (0, 0)),
              ((5.4, 5.4), (2.1, 2.1), (5, 4.4), (1.8, 1.8)))
PRINTED_43 = (((1.2, 1.2), (1.2, 1.2), (0, 0), (0, 0)),
              ((1.9, 1.6), (0.7, 0.7), (1.8, 1.5), (0.6, 0.6)),
              ((2.3, 2.3), (2.3, 2.3), (0, 0), (0, 0)),
              ((3.5, 3.1), (1.4, 1.4), (3.3, 2.8), (1.1, 1.1)))
PRINTED_SUMS = {"top_left": 9.7, "bottom_right": 8.3, "total": 41.1}
PRINTED_HIT_RATIO = 0.75
PRINTED_THRESHOLD = 5 / 9
PRINTED_ONE_MINUS_THRESHOLD = 4 / 5  # "(1 - p) = 4/5": 1 - 5/9 is 4/9


def round_half_up(x, decimals: int = 1):
    """Rounding as the paper prints (decimal half up on the shortest repr)."""
    q = decimal.Decimal(1).scaleb(-decimals)
    f = np.vectorize(lambda v: float(decimal.Decimal(repr(float(v))).quantize(q, decimal.ROUND_HALF_UP)))
    return f(np.asarray(x, np.float64))


def plan_index(game, plan) -> int:
    """Index in the shared induced normal form of player 2's plan (a_large, a_small)."""
    return int(np.flatnonzero(np.all(game.plans[1] == np.asarray(plan), axis=1))[0])


def bilateral_table(pay: np.ndarray, p: float = COMPOSITION, player1_type: int = 0) -> dict:
    """Section 4.2's table: [2 (player 1 high, low), 4 plans, 2 players], unrounded."""
    game = one_sided_game(pay, p, player1_type)
    U = np.moveaxis(np.asarray(game.payoffs, np.float64), 0, -1)  # [a1, plan, player]
    cols = [plan_index(game, plan) for plan in PAPER_PLAN_ORDER]
    table = U[::-1][:, cols]  # rows high, low
    return {
        "table": table,
        "rows": ["high", "low"],
        "cols": [game.names[1][c] for c in cols],
        "paper_cols": list(PAPER_COLUMN_LABELS),
        "prior": float(p),
    }


def both_uncertain_table(pay: np.ndarray, p: float = COMPOSITION) -> dict:
    """Section 4.3's table: row (type t, action a) of player 1 is P(t) times
    the ex-ante payoff of a large-or-small player 1 of type t playing a."""
    check_range("composition", p, 0.0, 1.0)
    rows, labels = [], []
    for t, weight in zip(range(2), (p, 1.0 - p)):
        # player 1 of type t facing player 2 of an uncertain type, as in 4.2
        rows.append(weight * bilateral_table(pay, p, player1_type=t)["table"])
        labels += [f"{TYPES[t]}+{a}" for a in ("high", "low")]
    return {
        "table": np.concatenate(rows),
        "rows": labels,
        "paper_rows": list(PAPER_ROW_LABELS_43),
        "cols": bilateral_table(pay, p)["cols"],
        "paper_cols": list(PAPER_ROW_LABELS_43),
        "composition": float(p),
    }


def quadrant_sums(table: np.ndarray) -> dict:
    """Both players' payoffs summed per quadrant of a 4 x 4 table, and in all."""
    t = np.asarray(table, np.float64).sum(axis=-1)  # u1 + u2 per cell
    return {
        "top_left": float(t[:2, :2].sum()), "top_right": float(t[:2, 2:].sum()),
        "bottom_left": float(t[2:, :2].sum()), "bottom_right": float(t[2:, 2:].sum()),
        "total": float(t.sum()),
    }


def hit_ratio(table: np.ndarray, reading: str = "cells", row_weights=None, col_weights=None) -> float:
    """Share of interactions with a non-zero payoff (the paper's "hit ratio").

    cells     share of the table's cells where some payoff is non-zero (this is
              the paper's 75%: 6 of the 8 cells of the 4.2 table);
    weighted  the "probability weighted frequency of success": cells weighted
              by row and column probabilities (uniform where none are given).
    """
    check_choice("hit_ratio", reading, HIT_RATIOS)
    t = np.asarray(table, np.float64)
    hit = np.any(t != 0, axis=-1).astype(np.float64)
    if reading == "cells":
        return float(hit.mean())
    r = np.full(hit.shape[0], 1 / hit.shape[0]) if row_weights is None else np.asarray(row_weights, np.float64)
    c = np.full(hit.shape[1], 1 / hit.shape[1]) if col_weights is None else np.asarray(col_weights, np.float64)
    return float(r @ hit @ c)


def interaction_hit_ratio(pay: np.ndarray, p: float = COMPOSITION) -> float:
    """The probability that a random interaction trades when every action is
    equally likely and types follow the composition: the "weighted" reading
    on the type level, player 1 of either type, player 2 of either type."""
    w = np.array([p, 1.0 - p])
    hit = np.any(pay != 0, axis=-1).astype(np.float64).mean(axis=(2, 3))  # [t1, t2]
    return float(w @ hit @ w)


def tables_report(pay: np.ndarray, composition: float = COMPOSITION, hit_reading: str = "cells") -> dict:
    """Both tables (exact and as printed), quadrant sums of both, hit ratio."""
    t42 = bilateral_table(pay, composition)
    t43 = both_uncertain_table(pay, composition)
    rounded43 = round_half_up(t43["table"])
    return {
        "composition": composition,
        "bilateral": {**t42, "table": t42["table"], "rounded": round_half_up(t42["table"])},
        "both_uncertain": {**t43, "rounded": rounded43},
        "quadrant_sums": quadrant_sums(t43["table"]),
        "quadrant_sums_of_rounded": quadrant_sums(rounded43),
        "hit_ratio": hit_ratio(t42["table"], hit_reading),
        "hit_ratio_reading": hit_reading,
    }


def paper_comparison(pay: np.ndarray, composition: float = COMPOSITION) -> list[dict]:
    """Every printed number of the two tables and their sums next to the
    reconstruction (rounded as printed) and whether they agree."""
    rows = []
    for name, printed, ours in (("table_4.2", PRINTED_42, bilateral_table(pay, composition)),
                                ("table_4.3", PRINTED_43, both_uncertain_table(pay, composition))):
        exact = ours["table"]
        shown = round_half_up(exact)
        row_labels = ours["rows"]
        for i, prow in enumerate(printed):
            for j, cell in enumerate(prow):
                for player in range(2):
                    rows.append({
                        "item": name, "row": row_labels[i], "col": ours["paper_cols"][j],
                        "plan": ours["cols"][j], "player": player + 1,
                        "printed": float(cell[player]), "exact": float(exact[i, j, player]),
                        "rounded": float(shown[i, j, player]),
                        "agrees": bool(abs(shown[i, j, player] - cell[player]) < 1e-9),
                    })
    sums = quadrant_sums(round_half_up(both_uncertain_table(pay, composition)["table"]))
    exact_sums = quadrant_sums(both_uncertain_table(pay, composition)["table"])
    for key, printed in PRINTED_SUMS.items():
        rows.append({"item": "quadrant_sum", "row": key, "col": "", "plan": "", "player": 0,
                     "printed": printed, "exact": exact_sums[key], "rounded": round(sums[key], 10),
                     "agrees": bool(abs(sums[key] - printed) < 1e-9)})
    hr = hit_ratio(bilateral_table(pay, composition)["table"], "cells")
    rows.append({"item": "hit_ratio", "row": "cells", "col": "", "plan": "", "player": 0,
                 "printed": PRINTED_HIT_RATIO, "exact": hr, "rounded": hr,
                 "agrees": bool(abs(hr - PRINTED_HIT_RATIO) < 1e-12)})
    return rows

