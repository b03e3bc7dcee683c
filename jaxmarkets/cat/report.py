"""Summaries of simulated CAT games (plain NumPy, for commands and studies).

Efficiency is averaged over a game's days first, then over seeds (its sd is
over seeds); prices are weighted by trades; scores are averaged over the
assessment days (every day unless the game samples them).
"""

from __future__ import annotations

import numpy as np

from jaxmarkets.cat.metrics import DayMetrics


def _mean(x):
    x = np.asarray(x, np.float64)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def summarise(game, out: DayMetrics) -> dict:
    """out: DayMetrics with leading (seed, day) axes."""
    eff = np.asarray(out.efficiency, np.float64)
    per_seed = np.nanmean(np.where(np.isfinite(eff), eff, np.nan), axis=1)
    trades = np.asarray(out.trades, np.float64)
    prices = np.nan_to_num(np.asarray(out.mean_price, np.float64)) * trades
    assessed = np.asarray(out.assessed, bool)[..., None]
    n_assessed = np.maximum(assessed.sum(axis=(0, 1)), 1)

    def over_assessed(x):
        return np.where(assessed, np.asarray(x, np.float64), 0.0).sum(axis=(0, 1)) / n_assessed

    score, ps, ms, tsr = (over_assessed(x) for x in (out.score, out.profit_share, out.market_share, out.tsr))
    traders = np.asarray(out.traders, np.float64).mean(axis=(0, 1))
    profit = np.asarray(out.profit, np.float64).mean(axis=(0, 1))
    strategies = dict(zip(game.static.present, np.asarray(out.strategy_profit, np.float64).mean(axis=(0, 1))))
    return {
        "seeds": int(eff.shape[0]),
        "days": int(eff.shape[1]),
        "efficiency": _mean(per_seed),
        "efficiency_sd": float(np.nanstd(per_seed, ddof=1)) if np.isfinite(per_seed).sum() > 1 else 0.0,
        "equilibrium_price": _mean(out.p_star),
        "mean_price": float(prices.sum() / trades.sum()) if trades.sum() > 0 else float("nan"),
        "smith_alpha": _mean(out.alpha),
        "trades_per_day": float(trades.mean()),
        "trader_profit_per_day": {k: float(v) for k, v in strategies.items()},
        "specialists": [
            {"name": name, "score": float(score[j]), "profit_share": float(ps[j]), "market_share": float(ms[j]),
             "tsr": float(tsr[j]), "traders_per_day": float(traders[j]), "profit_per_day": float(profit[j])}
            for j, name in enumerate(game.names)
        ],
    }
