"""Gjerstad-Dickhaut traders (overview Section 4.1.3, JCAT's GDStrategy).

Belief from the shouts behind the market's last L transactions (`state.Gd`):

    buyer  q(b) = (TBL(b) + AL(b)) / (TBL(b) + AL(b) + RBG(b))
    seller p(a) = (TAG(a) + BG(a)) / (TAG(a) + BG(a) + RAL(a))

TBL: accepted bids <= b, AL: asks <= b, RBG: rejected (unmatched) bids >= b;
TAG: accepted asks >= a, BG: bids >= a, RAL: rejected asks <= a (all
inclusive). Knots: (0, 0) for a buyer or (0, 1) for a seller, each distinct
price in memory, and (max_price, 1) or (max_price, 0). Between two knots the
belief is the cubic with zero slope at both ends (Eq. 6; written here in its
Hermite form p1 + (p2 - p1) s^2 (3 - 2 s), the same polynomial). The shout is
the price maximising belief x surplus on JCAT's grid: within each segment
from its start in steps of 1 (a fifth of the segment if it is shorter than 5,
at least 0.01), a buyer's segment cut at its value and a seller's raised to
its cost; the first maximum wins; no shout when no expected surplus is
positive.

Vectorised: the candidate grid of all segments is one array of static length
(max_price + 1 + 6 (H + 1)), each candidate finding its segment by a
cumulative count, so one shout costs one pass over a few hundred candidates.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from jaxmarkets.cat.state import Gd

MIN_POINTS = 5  # JCAT's MIN_INTERPOLATION_POINTS
MIN_STEP = 0.01  # JCAT's MIN_PRICE_DIFFERENCE


def init(n_markets: int, capacity: int, n_traders: int) -> Gd:
    s, h = n_markets, capacity
    return Gd(
        price=jnp.zeros((s, h), jnp.float32), is_bid=jnp.zeros((s, h), bool), matched=jnp.zeros((s, h), bool),
        posted_at=jnp.zeros((s, h), jnp.int32), tag=jnp.full((s, h), -1, jnp.int32),
        ptr=jnp.zeros(s, jnp.int32), tx=jnp.zeros(s, jnp.int32),
        own_slot=jnp.zeros(n_traders, jnp.int32), own_tag=jnp.full(n_traders, -2, jnp.int32),
    )


def n_candidates(max_price: float, capacity: int) -> int:
    """A bound on the grid points over all segments: one per unit of price
    range, plus for each segment its rounding point and its short-segment points."""
    return int(math.ceil(max_price)) + 1 + (MIN_POINTS + 1) * (capacity + 1)


def _tie_bounds(x):
    """For sorted x: index of the first and one past the last element equal to x[k]."""
    n = x.shape[0]
    idx = jnp.arange(n)
    is_start = jnp.concatenate([jnp.ones(1, bool), x[1:] != x[:-1]])
    is_end = jnp.concatenate([x[1:] != x[:-1], jnp.ones(1, bool)])
    first = jax.lax.cummax(jnp.where(is_start, idx, 0))
    last = jax.lax.cummin(jnp.where(is_end, idx, n), reverse=True)
    return first, last + 1


def beliefs(mem: Gd, m, buyer, memory_len: int):
    """Knots (x [H+2], belief [H+2]) of trader side `buyer` in market m."""
    live = (mem.tag[m] >= 0) & (mem.tx[m] - mem.posted_at[m] < memory_len)
    key = jnp.where(live, mem.price[m], jnp.inf)
    x, is_bid, matched, live_s = jax.lax.sort((key, mem.is_bid[m], mem.matched[m], live), num_keys=1)
    first, end = _tie_bounds(x)
    ask = live_s & ~is_bid
    bid = live_s & is_bid

    def le(flag):  # number of flagged entries with price <= x_k
        return jnp.concatenate([jnp.zeros(1, jnp.int32), jnp.cumsum(flag, dtype=jnp.int32)])[end]

    def ge(flag):  # ... with price >= x_k
        c = jnp.concatenate([jnp.zeros(1, jnp.int32), jnp.cumsum(flag, dtype=jnp.int32)])
        return c[-1] - c[first]

    buy_num = le(bid & matched) + le(ask)
    buy_den = buy_num + ge(bid & ~matched)
    sell_num = ge(ask & matched) + ge(bid)
    sell_den = sell_num + le(ask & ~matched)
    num = jnp.where(buyer, buy_num, sell_num).astype(jnp.float32)
    den = jnp.where(buyer, buy_den, sell_den).astype(jnp.float32)
    start_belief = jnp.where(buyer, 0.0, 1.0)
    end_belief = 1.0 - start_belief
    b = num / jnp.maximum(den, 1.0)
    # JCAT skips shouts at price 0 (not above the first knot): they keep the
    # first knot's belief; empty slots sit at the last knot with its belief
    b = jnp.where(live_s, jnp.where(x > 0, b, start_belief), end_belief)
    return x, b, start_belief, end_belief


def shout(mem: Gd, m, buyer, value, max_price: float, memory_len: int, n_cand: int):
    """(price, wants): the surplus-maximising shout, or wants = False."""
    x, b, b0, b1 = beliefs(mem, m, buyer, memory_len)
    xs = jnp.concatenate([jnp.zeros(1), jnp.clip(x, 0.0, max_price), jnp.full(1, max_price)])
    ps = jnp.concatenate([b0[None], b, b1[None]])
    a1, a2, p1, p2 = xs[:-1], xs[1:], ps[:-1], ps[1:]
    start = jnp.where(buyer, a1, jnp.maximum(a1, value))
    end = jnp.where(buyer, jnp.minimum(a2, value), a2)
    length = end - start
    step = jnp.where(length < MIN_POINTS, jnp.maximum(length / MIN_POINTS, MIN_STEP), 1.0)
    count = jnp.where(length > 0, jnp.ceil(length / step - 1e-6), 0.0).astype(jnp.int32)
    offset = jnp.cumsum(count) - count  # first candidate of each segment
    total = offset[-1] + count[-1]
    # each candidate's segment: the last segment starting at or before it
    marks = jnp.zeros(n_cand + 1, jnp.int32).at[jnp.minimum(offset, n_cand)].add(1)
    seg = jnp.cumsum(marks)[:n_cand] - 1
    c = jnp.arange(n_cand)
    j = (c - offset[seg]).astype(jnp.float32)
    px = start[seg] + j * step[seg]
    lo, hi = a1[seg], a2[seg]
    s = jnp.clip((px - lo) / jnp.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    belief = p1[seg] + (p2[seg] - p1[seg]) * s * s * (3.0 - 2.0 * s)
    gain = belief * jnp.where(buyer, value - px, px - value)
    gain = jnp.where(c < total, gain, -jnp.inf)
    best = gain.max()
    first = jnp.min(jnp.where(gain == best, c, n_cand))
    price = px[jnp.minimum(first, n_cand - 1)]
    return price, (best > 0) & (price > 0)


def post(mem: Gd, m, price, is_bid, trader, tag, placed) -> Gd:
    """Record an accepted shout (new or revision) in market m's memory."""
    slot = mem.ptr[m]
    row = jnp.where(placed, m, mem.price.shape[0])  # out of range: dropped

    def put(a, v):
        return a.at[row, slot].set(v, mode="drop")

    return mem._replace(
        price=put(mem.price, price), is_bid=put(mem.is_bid, is_bid), matched=put(mem.matched, False),
        posted_at=put(mem.posted_at, mem.tx[m]), tag=put(mem.tag, tag),
        ptr=mem.ptr.at[m].add(placed.astype(jnp.int32)) % mem.price.shape[1],
        own_slot=mem.own_slot.at[trader].set(jnp.where(placed, slot, mem.own_slot[trader])),
        own_tag=mem.own_tag.at[trader].set(jnp.where(placed, tag, mem.own_tag[trader])),
    )


def mark_pair(mem: Gd, m, ids, cross) -> Gd:
    """One transaction in market m between traders ids[0] and ids[1] (if cross)."""
    slot = mem.own_slot[ids]
    still = mem.tag[m, slot] == mem.own_tag[ids]
    row = jnp.where(cross & still, m, mem.price.shape[0])
    return mem._replace(matched=mem.matched.at[row, slot].set(True, mode="drop"),
                        tx=mem.tx.at[m].add(cross.astype(jnp.int32)))


def mark_traded(mem: Gd, traded, market, per_market_trades) -> Gd:
    """Mark the latest entry of every trader with `traded` as matched (if it is
    still in memory) and count the markets' transactions."""
    slot = mem.own_slot
    still = mem.tag[market, slot] == mem.own_tag
    row = jnp.where(traded & still, market, mem.price.shape[0])
    return mem._replace(matched=mem.matched.at[row, slot].set(True, mode="drop"),
                        tx=mem.tx + per_market_trades)
