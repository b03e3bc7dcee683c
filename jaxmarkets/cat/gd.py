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

Two readings (`CatGame.gd_reading`):
- "overview" (default): the overview's NYSE spread-reduction rule - in a
  continuous market the belief is 0 for a bid below the outstanding bid or an
  ask above the outstanding ask, so the search is restricted to [outstanding
  bid, outstanding ask], and a shout at the opposite quote (which trades at
  once) has belief 1. Without it GD deadlocks under quote-beating: sellers'
  beliefs interpolate towards the (max_price, 0) anchor and they keep asking
  above the best ask, rejected and so never remembered (tests show ~25 %
  efficiency against ~99 % with the rule).
- "jcat": JCAT 0.20's GDStrategy code, no quote constraint (JCAT also keeps a
  standing shout that is more aggressive than the new optimum; not modelled).
In a clearing house the quotes do not bound a shout's fate, so both readings
search unconstrained there.

Vectorised: the grid points of all segments form one array of static length
(max_price + 1 + 6 (H + 1)), each point finding its segment by a cumulative
count. The memory is put in price order by ranks from pairwise comparisons
(branch-free; XLA's comparison sort of a few dozen entries cost twice as much
at every shout).
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
    # sort by rank: pairwise comparisons and one scatter are branch-free, far
    # cheaper on a CPU than XLA's comparison sort of a few dozen entries
    n = key.shape[0]
    idx = jnp.arange(n)
    before = (key[None, :] < key[:, None]) | ((key[None, :] == key[:, None]) & (idx[None, :] < idx[:, None]))
    rank = before.sum(1)
    x, is_bid, matched, live_s = (jnp.zeros_like(a).at[rank].set(a, unique_indices=True)
                                  for a in (key, mem.is_bid[m], mem.matched[m], live))
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


def _segments(mem, m, buyer, value, max_price, memory_len, bid_quote, ask_quote, bounded):
    """Per segment: knot a1, width, p1, p2 - p1, grid start, step and count."""
    x, b, b0, b1 = beliefs(mem, m, buyer, memory_len)
    xs = jnp.concatenate([jnp.zeros(1, x.dtype), jnp.clip(x, 0.0, max_price), jnp.full(1, max_price, x.dtype)])
    ps = jnp.concatenate([b0[None], b, b1[None]])
    a1, a2, p1, p2 = xs[:-1], xs[1:], ps[:-1], ps[1:]
    start = jnp.where(buyer, a1, jnp.maximum(a1, value))
    end = jnp.where(buyer, jnp.minimum(a2, value), a2)
    start = jnp.where(bounded, jnp.maximum(start, bid_quote), start)
    end = jnp.where(bounded, jnp.minimum(end, ask_quote), end)
    length = end - start
    step = jnp.where(length < MIN_POINTS, jnp.maximum(length / MIN_POINTS, MIN_STEP), 1.0)
    count = jnp.where(length > 0, jnp.ceil(length / step - 1e-6), 0.0)
    return a1, jnp.where(a2 > a1, a2 - a1, 1.0), p1, p2 - p1, start, step, count


def _gain(x, a1, width, p1, dp, buyer, value):
    s = jnp.clip((x - a1) / width, 0.0, 1.0)
    return (p1 + dp * s * s * (3.0 - 2.0 * s)) * jnp.where(buyer, value - x, x - value)


def _with_cross(price, best, buyer, value, bid_quote, ask_quote, bounded):
    """The opposite quote trades at once: belief 1."""
    cross_at = jnp.where(buyer, ask_quote, bid_quote)
    cross_gain = jnp.where(buyer, value - cross_at, cross_at - value)
    take = bounded & jnp.isfinite(cross_at) & (cross_gain > best)
    price = jnp.where(take, cross_at, price)
    best = jnp.where(take, cross_gain, best)
    return price, (best > 0) & (price > 0)


def shout(mem: Gd, m, buyer, value, max_price: float, memory_len: int, n_cand: int,
          bid_quote=-jnp.inf, ask_quote=jnp.inf, bounded=False):
    """(price, wants): the surplus-maximising shout on JCAT's grid, or wants =
    False. bounded: search within [bid_quote, ask_quote] and value the opposite
    quote at belief 1 (the overview's reading, in a continuous market)."""
    a1, width, p1, dp, start, step, count = _segments(mem, m, buyer, value, max_price, memory_len,
                                                      bid_quote, ask_quote, bounded)
    count = count.astype(jnp.int32)
    offset = jnp.cumsum(count) - count  # first candidate of each segment
    total = offset[-1] + count[-1]
    # each candidate's segment: the last segment starting at or before it
    marks = jnp.zeros(n_cand + 1, jnp.int32).at[jnp.minimum(offset, n_cand)].add(1)
    seg = jnp.cumsum(marks)[:n_cand] - 1
    c = jnp.arange(n_cand)
    j = (c - offset[seg]).astype(jnp.float32)
    px = start[seg] + j * step[seg]
    gain = _gain(px, a1[seg], width[seg], p1[seg], dp[seg], buyer, value)
    gain = jnp.where(c < total, gain, -jnp.inf)
    best = gain.max()
    first = jnp.min(jnp.where(gain == best, c, n_cand))
    price = px[jnp.minimum(first, n_cand - 1)]
    return _with_cross(price, best, buyer, value, bid_quote, ask_quote, bounded)


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
