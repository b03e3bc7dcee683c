"""One shout opportunity: the hot loop of the simulation.

The acting trader i (from the round's random order) makes its strategy's
shout, its market m accepts or rejects it, a continuous market matches it on
arrival, fees are charged and the observers learn. Each step is written for
XLA:CPU's strengths: the book is one price array (+-inf for no shout), so a
market's quote is one max and one min; an index is found as the least index
holding the best value (XLA's argmin is several times slower); and per-trader
arrays change by two-element scatters.

Accepting (JCAT's policies): `always`; `quote_beating` - a bid must be at
least the market's bid quote and an ask at most its ask quote, the trader's
own standing shout included; the quotes are the 4-heap's M-th and (M+1)-st
highest prices of the book (M = its asks), which in a continuous market are
the best ask and bid; `equilibrium_beating` - quote beating, and once W
transaction prices are known a bid must be at least their mean - delta and an
ask at most mean + delta; `self_beating` - a revision must improve the
trader's own standing shout.

Continuous clearing: an accepted shout that crosses the best opposite shout
trades with it at once (the maximal-volume matching of a book that was not
crossed before it). Pricing of that pair: `discriminatory` k bid + (1 - k) ask;
`uniform` the k-point of the book's quote interval after the shout, clamped
into [ask, bid] (JCAT's UniformPricingPolicy); `standing` the price of the
shout that was already in the book.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxmarkets.cat import gd, roth_erev, rng, zip_trader
from jaxmarkets.cat.spec import ACCEPTING, PRICING, STRATEGIES
from jaxmarkets.cat.state import DayCarry

ZIC, ZIP, GD, RE = (STRATEGIES.index(s) for s in ("zic", "zip", "gd", "re"))
QUOTE, EQUILIBRIUM, SELF = (ACCEPTING.index(s) for s in ("quote_beating", "equilibrium_beating", "self_beating"))
DISCRIMINATORY, UNIFORM, STANDING = (PRICING.index(s) for s in PRICING)


def charge(amount, balance):
    """JCAT's payFundAvailable: a fee is paid up to what the trader has left."""
    return jnp.minimum(amount, jnp.maximum(balance, 0.0))


def make_event(st, params):
    """event(carry, (trader, uniform, counter)) -> (carry, trade record)."""
    T, B, S = st.n_traders, st.n_buyers, st.n_markets
    E = params.entitlement.astype(jnp.float32)
    n_sell = T - B
    strategy = jnp.asarray(st.strategy)
    cont = jnp.asarray(st.clearing == 0)
    acc = jnp.asarray(st.accepting)
    prc = jnp.asarray(st.pricing)
    present = set(st.present)
    accepting_present = {ACCEPTING[a] for a in st.accepting}
    any_cont, any_round = bool((st.clearing == 0).any()), bool((st.clearing == 1).any())
    uniform_cont = bool(((st.clearing == 0) & (st.pricing == UNIFORM)).any())
    zip_members = jnp.asarray(st.zip_members)
    zip_seller = jnp.asarray(st.zip_members >= B)
    zip_slot, re_slot = jnp.asarray(st.zip_slot), jnp.asarray(st.re_slot)
    ar_b, ar_s = jnp.arange(B), jnp.arange(n_sell)

    def event(c: DayCarry, xs):
        i_raw, u, counter = xs
        tr, book, mk = c.traders, c.book, c.markets
        valid = i_raw < T
        i = jnp.minimum(i_raw, T - 1)
        buyer = i < B
        v, m = tr.value[i], tr.market[i]
        active = valid & (tr.remaining[i] > 0) & ~tr.traded_round[i]
        own = book.price[i]
        has_own = jnp.isfinite(own)

        # ---- market m's book: its best standing bid and ask
        if S > 1:
            in_m = tr.market == m
            bids = jnp.where(in_m[:B], book.price[:B], -jnp.inf)
            asks = jnp.where(in_m[B:], book.price[B:], jnp.inf)
        else:
            bids, asks = book.price[:B], book.price[B:]
        best_bid, best_ask = bids.max(), asks.min()
        is_cont = cont[m]

        # ---- the trader's shout
        code = strategy[i]
        price, wants = v, jnp.asarray(True)
        if "zic" in present:
            markup = u * params.zic_markup
            price = jnp.where(code == ZIC, jnp.where(buyer, v - markup, v + markup), price)
        if "zip" in present:
            price = jnp.where(code == ZIP, c.zip.price[zip_slot[i]], price)
        if "gd" in present:
            g_price, g_wants = gd.shout(c.gd, m, buyer, v, st.gd_max_price, st.gd_memory, st.gd_candidates,
                                        best_bid, best_ask, is_cont & (st.gd_reading == "overview"))
            price = jnp.where(code == GD, g_price, price)
            wants = jnp.where(code == GD, g_wants, wants)
        if "re" in present:
            action = roth_erev.choose(c.re.propensity[re_slot[i]], u)
            markup = action.astype(jnp.float32) * params.re_markup_scale
            price = jnp.where(code == RE, jnp.where(buyer, v - markup, v + markup), price)
        # a bid never above the value (nor below 0), an ask never below the cost
        price = jnp.where(buyer, jnp.clip(price, 0.0, v), jnp.clip(price, v, params.price_cap))

        # ---- accepting
        ok = jnp.asarray(True)
        if accepting_present & {"quote_beating", "equilibrium_beating"}:
            quote_ok = jnp.where(buyer, price >= best_bid, price <= best_ask)
            if any_round:  # a clearing house's book may be crossed: 4-heap quotes by counting
                live_asks = jnp.isfinite(asks)
                n_asks = live_asks.sum()
                above = (bids > price).sum() + (live_asks & (asks > price)).sum()
                at_least = (bids >= price).sum() + (live_asks & (asks >= price)).sum()
                round_ok = jnp.where(buyer, above <= n_asks, at_least >= n_asks)
                quote_ok = jnp.where(is_cont, quote_ok, round_ok)
            ok = jnp.where((acc[m] == QUOTE) | (acc[m] == EQUILIBRIUM), quote_ok, ok)
        if "equilibrium_beating" in accepting_present:
            estimate = mk.eq_prices[m].mean()
            ready = mk.eq_seen[m] >= st.eq_window
            delta = params.eq_delta[m]
            eq_ok = ~ready | jnp.where(buyer, price >= estimate - delta, price <= estimate + delta)
            ok = jnp.where(acc[m] == EQUILIBRIUM, ok & eq_ok, ok)
        if "self_beating" in accepting_present:
            self_ok = ~has_own | jnp.where(buyer, price > own, price < own)
            ok = jnp.where(acc[m] == SELF, self_ok, ok)
        place = active & wants & ok
        new = place & ~has_own

        # ---- continuous clearing on arrival
        if any_cont:
            cross = place & is_cont & jnp.where(buyer, price >= best_ask, price <= best_bid)
            ja = jnp.min(jnp.where(asks == best_ask, ar_s, n_sell))
            jb = jnp.min(jnp.where(bids == best_bid, ar_b, B))
            j = jnp.where(buyer, B + ja, jb)
            bid_p = jnp.where(buyer, price, best_bid)
            ask_p = jnp.where(buyer, best_ask, price)
            k = params.k[m]
            trade_price = k * bid_p + (1.0 - k) * ask_p
            trade_price = jnp.where(prc[m] == STANDING, jnp.where(buyer, ask_p, bid_p), trade_price)
            if uniform_cont:
                # the quote interval once the pair is matched: the other asks
                # (without the matched one or the trader's replaced one) and bids
                drop_a = jnp.where(buyer, ja, i - B)
                drop_b = jnp.where(buyer, i, jb)
                ask2 = jnp.where(ar_s == drop_a, jnp.inf, asks).min()
                bid2 = jnp.where(ar_b == drop_b, -jnp.inf, bids).max()
                ask_q = jnp.minimum(ask2, bid_p)
                bid_q = jnp.maximum(ask_p, bid2)
                mid = jnp.clip(k * bid_q + (1.0 - k) * ask_q, jnp.minimum(ask_q, bid_q), jnp.maximum(ask_q, bid_q))
                trade_price = jnp.where(prc[m] == UNIFORM, jnp.clip(mid, ask_p, bid_p), trade_price)
            trade_price = jnp.where(cross, trade_price, 0.0)
        else:
            cross, j, trade_price = jnp.asarray(False), jnp.asarray(0, jnp.int32), jnp.asarray(0.0, jnp.float32)

        # ---- fees (each capped by the trader's balance) and profits of i and j
        fees = mk.fees[m]
        ids = jnp.stack([i, j])
        values = tr.value[ids]
        budget = values * E + tr.profit[ids]
        shout_paid = jnp.where(new, charge(fees[2], budget[0]), 0.0)
        is_buy = jnp.stack([buyer, ~buyer])
        gain = jnp.where(is_buy, values - trade_price, trade_price - values)
        shouts = jnp.stack([price, book.price[j]])
        balance = budget - jnp.stack([shout_paid, 0.0]) + gain
        t_paid = charge(fees[3], balance)
        p_paid = charge(fees[4] * jnp.abs(shouts - trade_price), balance - t_paid)
        net = jnp.where(cross, gain - t_paid - p_paid, 0.0)
        t_paid, p_paid = jnp.where(cross, t_paid, 0.0), jnp.where(cross, p_paid, 0.0)

        none = jnp.where(is_buy, -jnp.inf, jnp.inf)
        new_price = jnp.stack([jnp.where(place, price, own), book.price[j]])
        where_to = jnp.stack([jnp.where(valid, i, T), jnp.where(cross, j, T + 1)])

        def put(a, vals):
            return a.at[where_to].set(vals, mode="drop", unique_indices=True)

        crossed = jnp.stack([cross, cross])
        traders = tr._replace(
            remaining=put(tr.remaining, tr.remaining[ids] - crossed.astype(jnp.int32)),
            traded_round=put(tr.traded_round, tr.traded_round[ids] | crossed),
            profit=put(tr.profit, tr.profit[ids] - jnp.stack([shout_paid, 0.0]) + net),
            last_trade=put(tr.last_trade, jnp.where(crossed, net, tr.last_trade[ids])),
        )
        book = book._replace(
            price=put(book.price, jnp.where(crossed, none, new_price)),
            seq=put(book.seq, jnp.stack([jnp.where(place, c.clock, book.seq[i]), book.seq[j]])),
        )
        income = jnp.stack([0.0, 0.0, shout_paid, t_paid.sum(), p_paid.sum()])
        markets = mk._replace(
            new_shouts=mk.new_shouts.at[m].add(new.astype(jnp.int32)),
            trades=mk.trades.at[m].add(cross.astype(jnp.int32)),
            income=mk.income.at[m].add(income),
        )
        if "equilibrium_beating" in accepting_present:
            slot = mk.eq_seen[m] % st.eq_window
            markets = markets._replace(
                eq_prices=markets.eq_prices.at[m, slot].set(jnp.where(cross, trade_price, mk.eq_prices[m, slot])),
                eq_seen=markets.eq_seen.at[m].add(cross.astype(jnp.int32)),
            )
        t = c.tally
        tally = t._replace(
            surplus=t.surplus + jnp.where(cross, gain.sum(), 0.0),
            trades=t.trades + cross.astype(jnp.int32),
            price_sum=t.price_sum + trade_price,
            dev_sq=t.dev_sq + jnp.where(cross, (trade_price - c.p_star) ** 2, 0.0),
        )

        # ---- what observers learn
        mem = c.gd
        if "gd" in present:
            mem = gd.post(mem, m, price, buyer, i, c.clock, place)
            mem = gd.mark_pair(mem, m, ids, cross)
        zp = c.zip
        if "zip" in present:
            prefix = rng.event_seed(c.seed, counter, rng.ZIP)
            sees = place & (traders.market[zip_members] == m) & (zip_members != i)
            zp = zip_trader.observe(zp, traders.value[zip_members], zip_seller,
                                    traders.remaining[zip_members] > 0, sees, price, buyer, cross, params, prefix)
        re = c.re
        if "re" in present:
            chose = valid & active & (code == RE)
            slot = jnp.where(chose, re_slot[i], re.last_action.shape[0])
            re = re._replace(last_action=re.last_action.at[slot].set(action, mode="drop"))

        carry = c._replace(traders=traders, book=book, markets=markets, tally=tally, gd=mem, zip=zp, re=re,
                           clock=c.clock + place.astype(jnp.int32))
        record = (cross, jnp.where(buyer, i, j), jnp.where(buyer, j, i), trade_price) if st.record else None
        return carry, record

    return event
