"""What the learning runs did, in NumPy: equilibria reached, speed, who earns what,
and how the learned play compares with the Bayesian prediction.

Every function takes an experiment's result dict (`experiments.run_experiment`).
NashConv values are per round and unscaled (payoff units of the scale-1 game).
"""

from __future__ import annotations

import math

import numpy as np

TYPE_NAMES = ("large", "small")


def action_label(model: str, a: int) -> str:
    return ("low", "high")[a] if model == "printed" else f"size {a + 1}"


def final_nash_conv(res) -> np.ndarray:
    return res["nash_conv_average"][:, -1]


def rounds_to(res, tol: float) -> np.ndarray:
    """[runs] rounds until the time-average's NashConv first fell below tol (nan: never)."""
    below = res["nash_conv_average"] < tol
    first = np.argmax(below, axis=1)
    return np.where(below.any(axis=1), res["record_rounds"][first], np.nan)


def _pair_nash_conv(P, x, y):
    u1, u2 = P[..., 0], P[..., 1]
    return (np.max(u1 @ y) - x @ u1 @ y) + (np.max(x @ u2) - x @ u2 @ y)


def pair_outcomes(res, model: str, form: str, tol: float) -> list[dict]:
    """N = 2: per run and directed pair (initiator -> responder), the type pair
    and the equilibrium its time-averaged play sits at ("none" if the pair's
    NashConv is above tol; in the Stackelberg form, the path played)."""
    out = []
    pay = res["payoffs"]
    for r in range(res["types"].shape[0]):
        types, avg = res["types"][r], res["average"][r]
        for i, j in ((0, 1), (1, 0)):
            P = pay[types[i], types[j]]
            x = avg[i, 0, 0]
            a = int(np.argmax(x))
            if form == "stackelberg":
                y = avg[j, 1, a]
                settled = res["nash_conv_average"][r, -1] < tol
            else:
                y = avg[j, 1, 0]
                settled = _pair_nash_conv(P, x, y) < tol
            b = int(np.argmax(y))
            label = f"{action_label(model, a)}/{action_label(model, b)}" if settled else "none"
            out.append({"run": r, "initiator_type": TYPE_NAMES[types[i]],
                        "responder_type": TYPE_NAMES[types[j]], "label": label,
                        "volume": float(P[a, b, 0]) if settled else np.nan})
    return out


def outcome_shares(outcomes: list[dict], initiator_type=None, responder_type=None) -> dict[str, float]:
    sel = [o for o in outcomes if (initiator_type is None or o["initiator_type"] == initiator_type)
           and (responder_type is None or o["responder_type"] == responder_type)]
    labels = sorted({o["label"] for o in sel})
    return {lab: sum(o["label"] == lab for o in sel) / len(sel) for lab in labels} if sel else {}


def per_type_rewards(res) -> dict[str, float]:
    """Mean reward (unscaled) per round in each role, by the maker's type, and
    the small makers' share of all rewards against their share of the makers."""
    reward = res["reward"] / res["scale"][:, None, None]  # unscaled payoff units
    rounds = res["rounds_in_role"]
    types = res["types"]
    out = {}
    for t, name in enumerate(TYPE_NAMES):
        mask = types == t
        for role, rname in enumerate(("initiator", "responder")):
            num = np.where(mask, reward[..., role], 0).sum()
            den = np.where(mask, rounds[..., role], 0).sum()
            out[f"{name}_{rname}_reward"] = float(num / den) if den else np.nan
        total_rounds = rounds.sum(axis=-1)  # rounds a maker played, either role
        num = np.where(mask, reward.sum(-1), 0).sum()
        den = np.where(mask, total_rounds, 0).sum()
        out[f"{name}_reward_per_active_round"] = float(num / den) if den else np.nan
    out["small_share_of_makers"] = float((types == 1).mean())
    total = reward.sum()
    out["small_share_of_rewards"] = float(np.where(types == 1, reward.sum(-1), 0).sum() / total) if total else np.nan
    return out


def others_large_share(types: np.ndarray) -> np.ndarray:
    large = (types == 0).astype(float)
    n = types.shape[-1]
    return (large.sum(-1, keepdims=True) - large) / (n - 1)


def bayesian_agreement(res, threshold: float) -> dict[str, float]:
    """Share of makers whose learned initiator play (the modal action of the
    time-average) is the Bayesian best response to the makers they can meet
    (high iff the share of large makers among the others exceeds the
    threshold, responders playing their dominant high); makers exactly at the
    threshold are left out."""
    f = others_large_share(res["types"])
    learned_high = res["average"][..., 0, 0, -1] > 0.5
    decided = np.abs(f - threshold) > 1e-9
    predicted_high = f > threshold
    agree = (learned_high == predicted_high) & decided
    return {"agreement": float(agree.sum() / max(decided.sum(), 1)),
            "learned_high_share": float(learned_high.mean()),
            "predicted_high_share": float(predicted_high[decided].mean()) if decided.any() else np.nan}


def predicted_high_share(n_makers: int, prior: float, threshold: float) -> float:
    """P(the share of large makers among N - 1 others > threshold), others
    large independently with prior p: the Bayesian prediction of how many
    initiators play high (exactly-at-threshold makers count half)."""
    m = n_makers - 1
    total = 0.0
    for k in range(m + 1):
        w = math.comb(m, k) * prior ** k * (1 - prior) ** (m - k)
        f = k / m
        total += w * (1.0 if f > threshold + 1e-12 else 0.5 if abs(f - threshold) <= 1e-12 else 0.0)
    return total
