"""Daily metrics: the competitive benchmark, efficiency, price convergence and
the specialists' scores (overview Section 3.2).

Competitive allocation of the day's registered traders, truthful units: every
trader offers its `entitlement` units at its value; sorting buyers down and
sellers up, the q-th pair trades while bid >= ask. p* is the midpoint of the
competitive price interval [max(last traded cost, first excluded value),
min(last traded value, first excluded cost)].

    efficiency  = 100 x realised surplus / competitive surplus
    Smith alpha = 100 x sqrt(mean (price - p*)^2) / p*
    score       = (profit share + market share + transaction success rate) / 3
    profit share     = a specialist's fees today / all specialists' (0 if all are 0)
    market share     = its registered traders / all registered traders
    transaction success rate = matched shouts / accepted new shouts
                     = 2 x transactions / accepted new shouts (0 when none);
                     revisions and rejected shouts are not counted
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class DayMetrics(NamedTuple):
    efficiency: jax.Array  # () percent (NaN when no gains from trade exist)
    alpha: jax.Array  # () Smith's alpha, percent (NaN without trades)
    mean_price: jax.Array  # () (NaN without trades)
    p_star: jax.Array  # () competitive equilibrium price
    trades: jax.Array  # () int32
    traders: jax.Array  # [S] registered traders
    market_share: jax.Array  # [S]
    profit: jax.Array  # [S] fees collected
    profit_share: jax.Array  # [S]
    tsr: jax.Array  # [S] transaction success rate
    score: jax.Array  # [S]
    fees: jax.Array  # [S, 5] the day's announced fees
    income: jax.Array  # [S, 5] collected, by kind
    new_shouts: jax.Array  # [S]
    transactions: jax.Array  # [S]
    strategy_profit: jax.Array  # [P] mean net profit of a trader of each strategy present
    assessed: jax.Array  # () bool an assessment day


def competitive(value, n_buyers: int, entitlement: int):
    """(maximal surplus, p*) of truthful traders with `entitlement` units each."""
    b = -jnp.sort(-value[:n_buyers])
    s = jnp.sort(value[n_buyers:])
    n = min(b.shape[0], s.shape[0])
    gap = b[:n] - s[:n]
    q = (gap >= 0).sum()
    surplus = entitlement * jnp.where(gap >= 0, gap, 0.0).sum()
    b_ext = jnp.concatenate([b, jnp.full(1, -jnp.inf)])
    s_ext = jnp.concatenate([s, jnp.full(1, jnp.inf)])
    last = jnp.maximum(q - 1, 0)
    low = jnp.maximum(s_ext[last], b_ext[q])
    high = jnp.minimum(b_ext[last], s_ext[q])
    return surplus, jnp.where(q > 0, 0.5 * (low + high), jnp.nan)


def scores(traders, profit, new_shouts, transactions):
    """(market share, profit share, tsr, score), each [S]."""
    total_traders = traders.sum()
    market_share = jnp.where(total_traders > 0, traders / jnp.maximum(total_traders, 1), 0.0)
    total_profit = profit.sum()
    profit_share = jnp.where(total_profit > 0, profit / jnp.where(total_profit > 0, total_profit, 1.0), 0.0)
    tsr = jnp.where(new_shouts > 0, 2.0 * transactions / jnp.maximum(new_shouts, 1), 0.0)
    return market_share, profit_share, tsr, (market_share + profit_share + tsr) / 3.0


def day_metrics(carry, max_surplus, strategy, present_codes, n_markets, assessed) -> DayMetrics:
    tr, mk, t = carry.traders, carry.markets, carry.tally
    traders = jnp.zeros(n_markets, jnp.float32).at[tr.market].add(1.0)
    profit = mk.income.sum(1)
    market_share, profit_share, tsr, score = scores(traders, profit, mk.new_shouts.astype(jnp.float32),
                                                    mk.trades.astype(jnp.float32))
    n = t.trades.astype(jnp.float32)
    has_trades = t.trades > 0
    efficiency = jnp.where(max_surplus > 0, 100.0 * t.surplus / jnp.where(max_surplus > 0, max_surplus, 1.0), jnp.nan)
    rms = jnp.sqrt(t.dev_sq / jnp.maximum(n, 1.0))
    alpha = jnp.where(has_trades, 100.0 * rms / carry.p_star, jnp.nan)
    mean_price = jnp.where(has_trades, t.price_sum / jnp.maximum(n, 1.0), jnp.nan)
    per = jnp.stack([jnp.where(strategy == c, tr.profit, 0.0).sum() / max(int((strategy == c).sum()), 1)
                     for c in present_codes]) if present_codes else jnp.zeros(0)
    return DayMetrics(
        efficiency=efficiency, alpha=alpha, mean_price=mean_price, p_star=carry.p_star, trades=t.trades,
        traders=traders, market_share=market_share, profit=profit, profit_share=profit_share, tsr=tsr,
        score=score, fees=mk.fees, income=mk.income, new_shouts=mk.new_shouts, transactions=mk.trades,
        strategy_profit=per, assessed=assessed,
    )
