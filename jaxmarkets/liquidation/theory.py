"""The 2x2 reduction: two banks, two assets, one period, one sale size.

Each bank sells q_ij = max_sale * h_ij units of one asset (strategy 0: asset 1,
strategy 1: asset 2). With X_j the units both choices put on asset j and
p_j = p0_j f_j(X_j) (impact.py), a bank that sold asset k ends with

    equity, post   c_i + sum_j h_ij p_j - L_i          (its sale's cash equals the
                                                        marked value it replaces)
    equity, pre    the same + q_ik (p0_k - p_k)
    cash, post     q_ik p_k
    cash, pre      q_ik p0_k                            (the other bank is irrelevant)

or -default_penalty if it defaults (equity < 0, or its need unmet). These are
the environment's rules for N = 2, M = 2, T = 1, one sale level (`reduction_game`),
written out per profile; tests hold them against the environment and, for linear
impact, against hand-derived matrices.

`classify` reads the game's kind off its best responses; `preference_thresholds`
gives the closed-form boundaries in the liquidity ratio r = a_2 / a_1 for linear
and power impact and the symmetric instance (both banks hold h units of each asset at equal prices,
sale q = phi h, nobody defaults): see docs/liquidation.md.
"""

from __future__ import annotations

import numpy as np

from jaxmarkets.equilibria import Bimatrix, bimatrix_equilibria
from jaxmarkets.liquidation.game import LiquidationGame
from jaxmarkets.liquidation.impact import price_fraction

STRATEGIES = ("sell asset 1", "sell asset 2")
REDUCTION_STATIC = ("impact", "execution", "objective", "need", "on_default")
KINDS = ("dominant_strategy", "coordination", "anti_coordination", "matching_pennies", "one_dominant",
         "degenerate")
TIE_RTOL = 1e-9  # payoff differences below this share of the largest payoff are ties


def reduction_game(**static) -> LiquidationGame:
    """The environment whose one step is the 2x2 game: the sale table's rows 1 and
    2 are strategies 0 and 1."""
    unknown = set(static) - set(REDUCTION_STATIC)
    if unknown:
        raise ValueError(f"the 2x2 reduction fixes every static field but {REDUCTION_STATIC}; got {sorted(unknown)}")
    return LiquidationGame(n_banks=2, n_assets=2, horizon=1, n_levels=1, action_set="one_asset", **static)


def _host(params) -> dict[str, np.ndarray]:
    from dataclasses import fields

    return {f.name: np.asarray(getattr(params, f.name), np.float64) for f in fields(params)}


def profile_outcome(game: LiquidationGame, params, s_row: int, s_col: int) -> dict:
    """Prices, cash, equity, defaults and objective values at one pure profile."""
    v = _host(params)
    h, p0 = v["holdings"], v["prices0"]
    q = np.zeros((2, 2))
    q[0, s_row] = v["max_sale"] * h[0, s_row]
    q[1, s_col] = v["max_sale"] * h[1, s_col]
    X = q.sum(0)
    p = p0 * price_fraction(game.impact, X, v["impact_coef"], v["exponent"], xp=np)
    paid = p if game.execution == "post" else p0
    cash = v["cash"] + (q * paid).sum(1)
    risky = ((h - q) * p).sum(1)
    equity = cash + risky - v["liabilities"]
    met = cash >= v["withdrawal"] if game.need == "withdrawal" else risky <= v["leverage_cap"] * equity
    default = (equity < 0) | ~met
    value = equity if game.objective == "equity" else cash - v["cash"]
    value = np.where(default, -v["default_penalty"], value) + 0.0  # no -0.0 in reports
    return {"sales": q, "prices": p, "cash": cash, "equity": equity, "defaulted": default, "value": value}


def payoff_matrices(game: LiquidationGame, params) -> tuple[Bimatrix, np.ndarray]:
    """(Bimatrix of objective values [2, 2] each, defaults [2, 2, 2] per profile and bank)."""
    row, col, dead = np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2, 2), bool)
    for i in range(2):
        for j in range(2):
            out = profile_outcome(game, params, i, j)
            row[i, j], col[i, j] = out["value"]
            dead[i, j] = out["defaulted"]
    return Bimatrix(row, col), dead


def best_response_signs(game: Bimatrix):
    """(row's preference for strategy 0 against col's 0 and 1, col's against row's
    0 and 1) as signs in {-1, 0, 1}; 0 is a tie within TIE_RTOL."""
    A, B = np.asarray(game.row, np.float64), np.asarray(game.col, np.float64)
    scale = max(np.abs(A).max(), np.abs(B).max(), 1e-300)
    d_row = A[0, :] - A[1, :]
    d_col = B[:, 0] - B[:, 1]
    sign = lambda d: np.where(np.abs(d) <= TIE_RTOL * scale, 0, np.sign(d)).astype(int)  # noqa: E731
    return sign(d_row), sign(d_col)


def classify(game: Bimatrix) -> dict:
    """The kind of the 2x2 game and each bank's dominant strategy (None if none)."""
    r, c = best_response_signs(game)
    dominant = {
        "row": (0 if r[0] > 0 else 1) if r[0] == r[1] != 0 else None,
        "col": (0 if c[0] > 0 else 1) if c[0] == c[1] != 0 else None,
    }
    if (r == 0).any() or (c == 0).any():
        kind = "degenerate"
    elif dominant["row"] is not None and dominant["col"] is not None:
        kind = "dominant_strategy"
    elif dominant["row"] is not None or dominant["col"] is not None:
        kind = "one_dominant"
    else:
        # no dominance: each bank either matches (prefers 0 against 0, 1 against 1) or differs
        row_match, col_match = r[0] > 0, c[0] > 0
        kind = ("coordination" if row_match and col_match else
                "anti_coordination" if not row_match and not col_match else "matching_pennies")
    return {"kind": kind, "dominant": dominant}


def preference_thresholds(objective: str, execution: str, phi: float, delta: float = 1.0):
    """Closed form, symmetric instance, power impact p = 1 - a X^delta (linear at
    delta = 1; no price at its floor): (t_1, t_2) such that a bank strictly prefers
    asset 1 against the other's asset k iff r > t_k; None for cash, pre (the other
    bank does not matter). Per unit of the sale q = phi h, with own / other asset:

      cash, post    same asset q (1 - a_k (2q)^d), apart q (1 - a_k q^d):
                    t_1 = 2^d, t_2 = 2^-d
      equity, post  own choice changes the loss h sum_j a_j X_j^d:
                    t_1 = 2^d - 1, t_2 = 1 / (2^d - 1)
      equity, pre   unsold (h - q) bears the step's impact, the sale does not:
                    t_1 = 2^d - 1/(1 - phi), t_2 = (1 - phi)/((1 - phi) 2^d - 1)
                    (+inf where that denominator is <= 0: asset 1 never preferred)
    """
    if objective == "cash" and execution == "post":
        return 2.0**delta, 2.0**-delta
    if objective == "equity" and execution == "post":
        g = 2.0**delta - 1.0
        return g, (1.0 / g if g > 0 else np.inf)
    if objective == "equity" and execution == "pre":
        keep = 1.0 - phi
        den = keep * 2.0**delta - 1.0
        return 2.0**delta - 1.0 / keep, (keep / den if den > 0 else np.inf)
    return None


def closed_form_band(objective: str, execution: str, phi: float, delta: float = 1.0):
    """(kind inside, lo, hi): the strategic kind for lo < r < hi and a dominant
    strategy outside; None where the game is never strategic (equal thresholds,
    or cash, pre). Linear (delta = 1): cash, post anti-coordination on (1/2, 2);
    equity, pre coordination on ((1 - 2 phi)/(1 - phi), (1 - phi)/(1 - 2 phi)),
    everywhere for phi >= 1/2; equity, post never (dominant unless r = 1).
    Concave impact (delta < 1) makes equity, post a coordination game near r = 1:
    an extra sale on an asset already sold moves its price less."""
    t = preference_thresholds(objective, execution, phi, delta)
    if t is None or t[0] == t[1]:
        return None
    kind = "coordination" if t[0] < t[1] else "anti_coordination"
    return kind, max(0.0, min(t)), max(t)


def predicted_kind(objective: str, execution: str, phi: float, ratio: float, delta: float = 1.0) -> str:
    """The closed-form classification of the symmetric instance; a ratio on a
    threshold (within `TIE_RTOL`) is a tie: degenerate."""
    t = preference_thresholds(objective, execution, phi, delta)
    if t is None:
        return "degenerate"
    if any(np.isfinite(b) and abs(ratio - b) <= TIE_RTOL * max(abs(b), 1e-300) for b in t):
        return "degenerate"
    first_vs_1, first_vs_2 = ratio > t[0], ratio > t[1]
    if first_vs_1 == first_vs_2:
        return "dominant_strategy"
    return "coordination" if first_vs_1 else "anti_coordination"


def mixed_probability_cash_post(ratio: float) -> float:
    """Probability of selling asset 1 in the symmetric mixed equilibrium of cash, post:
    indifference p (1 - 2 a_1 q) + (1 - p)(1 - a_1 q) = p (1 - a_2 q) + (1 - p)(1 - 2 a_2 q)."""
    return (2 * ratio - 1) / (1 + ratio)


def closed_form_delta(game: LiquidationGame, params) -> float | None:
    """The impact exponent of the closed-form thresholds (1 for linear), or None
    where they do not apply: exponential impact, a different exponent per asset,
    or not the symmetric instance (both banks alike with equal units of both
    assets at equal prices, asset 1's impact positive)."""
    v = _host(params)
    h = v["holdings"]
    delta = {"linear": 1.0, "power": float(v["exponent"][0])}.get(game.impact)
    if delta is None or (game.impact == "power" and v["exponent"][1] != v["exponent"][0]):
        return None
    alike = (np.all(h == h[0, 0]) and v["prices0"][0] == v["prices0"][1]
             and v["cash"][0] == v["cash"][1] and v["liabilities"][0] == v["liabilities"][1]
             and v["impact_coef"][0] > 0 and h[0, 0] > 0)
    return delta if alike else None


MAP_RATIOS = 2.0 ** np.linspace(-3, 3, 49)  # 1/8 .. 8; 1/2, 1 and 2 exactly
READINGS = (("equity", "post"), ("equity", "pre"), ("cash", "post"), ("cash", "pre"))


def classification_map(game: LiquidationGame, params, ratios=MAP_RATIOS) -> dict:
    """The kind of the 2x2 game at each liquidity ratio r (impact_coef = [a_1, r a_1])
    for each objective and execution timing, the rest of the instance as given:
    the data of the map in (ratio, objective)."""
    import dataclasses

    a1 = np.asarray(params.impact_coef, np.float64)[0]
    kinds = {}
    for objective, execution in READINGS:
        reading = dataclasses.replace(game, objective=objective, execution=execution)
        row = []
        for r in ratios:
            scaled = params.replace(impact_coef=np.array([a1, r * a1]))
            row.append(classify(payoff_matrices(reading, scaled)[0])["kind"])
        kinds[f"{objective}/{execution}"] = row
    return {"ratios": [float(r) for r in ratios], "impact_coef_1": float(a1), "kinds": kinds}


def _above_floor(game: LiquidationGame, v: dict, delta: float) -> bool:
    """The thresholds assume no price at its floor 0: both banks' sales of the more
    impacted asset leave it above."""
    x = 2.0 * v["max_sale"] * v["holdings"][0, 0]
    return bool(v["impact_coef"].max() * x**delta < 1.0)


def analyse(game: LiquidationGame, params) -> dict:
    """Payoffs, every extreme equilibrium and the classification of the 2x2 game."""
    bimatrix, dead = payoff_matrices(game, params)
    v = _host(params)
    a1, a2 = v["impact_coef"]
    ratio = a2 / a1 if a1 > 0 else None
    classification = {**classify(bimatrix), "liquidity_ratio": ratio, "closed_form": None}
    delta = closed_form_delta(game, params)
    if delta is not None and not dead.any() and _above_floor(game, v, delta):
        phi = float(v["max_sale"])
        band = closed_form_band(game.objective, game.execution, phi, delta)
        classification["closed_form"] = {
            "kind": predicted_kind(game.objective, game.execution, phi, ratio, delta),
            "impact_exponent": delta,
            "band": None if band is None else {"kind": band[0], "ratio_low": band[1], "ratio_high": band[2]},
            "sale_fraction": phi,
        }
    return {
        "payoffs": bimatrix,
        "defaults": dead,
        "equilibria": bimatrix_equilibria(bimatrix),
        "classification": classification,
        "map": classification_map(game, params),
    }
