"""A clearing-house call: every called market's book matched at once.

The maximal-volume matching of each book (JCAT's FourHeapShoutEngine): bids
sorted down, asks up (ties by time of placement), the r-th bid paired with the
r-th ask for r < q, q the largest count with bid_r >= ask_r. Pricing of each
pair: `discriminatory` k bid + (1 - k) ask; `uniform` one price for the call,
the k-point of the book's quote interval [max(ask_q, bid_{q+1}), min(ask_{q+1},
bid_q)] (the M-th and (M+1)-st prices), clamped into each pair's [ask, bid]
(JCAT's UniformPricingPolicy); `standing` the price of the pair's earlier shout.

All markets are matched in one sort of the bids and one of the asks (keyed by
market), so a call costs O(T log T) whatever the number of markets.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxmarkets.cat import gd, rng, zip_trader
from jaxmarkets.cat.event import STANDING, UNIFORM, charge
from jaxmarkets.cat.spec import ACCEPTING
from jaxmarkets.cat.state import DayCarry


def _ranked(market_key, price_key, seq, n_markets):
    """Sort by (market, price key, seq); each entry's market, rank in it and index."""
    n = market_key.shape[0]
    mk, pk, _, idx = jax.lax.sort((market_key, price_key, seq, jnp.arange(n)), num_keys=3)
    counts = jnp.zeros(n_markets + 1, jnp.int32).at[market_key].add(1)
    start = jnp.cumsum(counts) - counts
    return mk, jnp.arange(n) - start[mk], pk, idx


def _table(rows, cols, values, fill, shape):
    return jnp.full(shape, fill, values.dtype).at[rows, cols].set(values)


def make_call(st, params):
    """call(carry, called [S] bool, counter) -> (carry, trade records)."""
    T, B, S = st.n_traders, st.n_buyers, st.n_markets
    E = params.entitlement.astype(jnp.float32)
    n_sell = T - B
    width = max(B, n_sell) + 1  # one empty column past the longest book side
    prc = jnp.asarray(st.pricing)[:, None]
    present = set(st.present)
    eq_present = bool((st.accepting == ACCEPTING.index("equilibrium_beating")).any())
    is_buyer = jnp.arange(T) < B
    zip_members = jnp.asarray(st.zip_members)
    zip_seller = jnp.asarray(st.zip_members >= B)

    def call(c: DayCarry, called, counter):
        tr, book, mk = c.traders, c.book, c.markets
        bp = book.price
        b_key = jnp.where(jnp.isfinite(bp[:B]) & called[tr.market[:B]], tr.market[:B], S)
        a_key = jnp.where(jnp.isfinite(bp[B:]) & called[tr.market[B:]], tr.market[B:], S)
        bm, br, b_neg, b_id = _ranked(b_key, -bp[:B], book.seq[:B], S)
        am, arank, a_pr, a_id = _ranked(a_key, bp[B:], book.seq[B:], S)
        shape = (S + 1, width)
        bids = _table(bm, br, -b_neg, -jnp.inf, shape)[:S]
        asks = _table(am, arank, a_pr, jnp.inf, shape)[:S]
        bid_id = _table(bm, br, b_id, T, shape)[:S]
        ask_id = _table(am, arank, B + a_id, T, shape)[:S]
        bid_seq = _table(bm, br, book.seq[:B][b_id], 0, shape)[:S]
        ask_seq = _table(am, arank, book.seq[B:][a_id], 0, shape)[:S]
        cross = bids >= asks  # [S, width]; true exactly for ranks < q
        q = cross.sum(1)

        k = params.k[:, None]
        price = k * bids + (1.0 - k) * asks
        price = jnp.where(prc == STANDING, jnp.where(bid_seq < ask_seq, bids, asks), price)
        if bool((st.pricing == UNIFORM).any()):
            at = lambda table, col: jnp.take_along_axis(table, col[:, None], 1)  # noqa: E731
            last = jnp.maximum(q - 1, 0)
            ask_q = jnp.minimum(at(asks, q), at(bids, last))
            bid_q = jnp.maximum(at(asks, last), at(bids, q))
            mid = jnp.clip(k * bid_q + (1.0 - k) * ask_q, jnp.minimum(ask_q, bid_q), jnp.maximum(ask_q, bid_q))
            price = jnp.where(prc == UNIFORM, jnp.clip(mid, asks, bids), price)
        price = jnp.where(cross, price, 0.0)

        # each trader's trade price (NaN: none)
        flat_p = price.reshape(-1)
        flat_c = cross.reshape(-1)
        tp = jnp.full(T + 1, jnp.nan, jnp.float32).at[jnp.where(flat_c, bid_id.reshape(-1), T)].set(flat_p)
        tp = tp.at[jnp.where(flat_c, ask_id.reshape(-1), T)].set(flat_p)[:T]
        traded = ~jnp.isnan(tp)
        tp0 = jnp.where(traded, tp, 0.0)
        gain = jnp.where(is_buyer, tr.value - tp0, tp0 - tr.value)
        fees = mk.fees[tr.market]
        balance = tr.value * E + tr.profit + gain
        t_paid = jnp.where(traded, charge(fees[:, 3], balance), 0.0)
        p_paid = jnp.where(traded, charge(fees[:, 4] * jnp.abs(bp - tp0), balance - t_paid), 0.0)
        net = jnp.where(traded, gain - t_paid - p_paid, 0.0)
        traders = tr._replace(
            remaining=tr.remaining - traded.astype(jnp.int32), traded_round=tr.traded_round | traded,
            profit=tr.profit + net, last_trade=jnp.where(traded, net, tr.last_trade))
        book = book._replace(price=jnp.where(traded, jnp.where(is_buyer, -jnp.inf, jnp.inf), bp))
        income = mk.income.at[:, 3].add(jax.ops.segment_sum(t_paid, tr.market, S))
        income = income.at[:, 4].add(jax.ops.segment_sum(p_paid, tr.market, S))
        markets = mk._replace(trades=mk.trades + q.astype(jnp.int32), income=income)
        if eq_present:
            # JCAT executes a call's pairs from rank q-1 down to 0: the last W are ranks < W
            w = st.eq_window
            ranks = jnp.arange(min(w, width))
            slot = (mk.eq_seen[:, None] + q[:, None] - 1 - ranks[None, :]) % w
            keep = ranks[None, :] < q[:, None]
            rows = jnp.where(keep, jnp.arange(S)[:, None], S)
            markets = markets._replace(
                eq_prices=markets.eq_prices.at[rows, slot].set(price[:, : ranks.size], mode="drop"),
                eq_seen=markets.eq_seen + q.astype(jnp.int32))
        t = c.tally
        tally = t._replace(
            surplus=t.surplus + jnp.where(traded, gain, 0.0).sum(), trades=t.trades + q.sum().astype(jnp.int32),
            price_sum=t.price_sum + price.sum(),
            dev_sq=t.dev_sq + jnp.where(cross, (price - c.p_star) ** 2, 0.0).sum())
        mem = c.gd
        if "gd" in present:
            mem = gd.mark_traded(mem, traded, tr.market, q.astype(jnp.int32))
        zp = c.zip
        if "zip" in present:
            mean = price.sum(1) / jnp.maximum(q, 1)
            zm = traders.market[zip_members]
            prefix = rng.event_seed(c.seed, counter, rng.ZIP_CALL)
            zp = zip_trader.observe_call(zp, traders.value[zip_members], zip_seller,
                                         traders.remaining[zip_members] > 0, q[zm] > 0, mean[zm], params, prefix)
        carry = c._replace(traders=traders, book=book, markets=markets, tally=tally, gd=mem, zip=zp)
        record = (cross, bid_id, ask_id, price) if st.record else None
        return carry, record

    return call
