"""The CAT game's state: traders, the markets' books and counters, and the
learning state of each trader strategy present. All arrays; one game's state
is a pytree, a batch of games the same pytree with a leading axis.

T traders (buyers first), S specialists (markets), H GD memory slots per
market, K Roth-Erev actions. A standing shout is a price in `Book.price`; no
shout is -inf for a buyer and +inf for a seller, so a book's best bid and ask
are plain max and min reductions.
"""

from __future__ import annotations

from typing import NamedTuple

import jax


class Traders(NamedTuple):
    value: jax.Array  # [T] private value (buyers) or cost (sellers) per unit
    market: jax.Array  # [T] int32 today's specialist
    remaining: jax.Array  # [T] int32 units still to trade today
    traded_round: jax.Array  # [T] bool traded a unit this round (at most one per round)
    profit: jax.Array  # [T] today's net profit: trade surplus - fees paid; budget = value x E + profit
    last_trade: jax.Array  # [T] net profit of the last trade today (Roth-Erev's reward)


class Book(NamedTuple):
    price: jax.Array  # [T] standing shout, -inf / +inf for none
    seq: jax.Array  # [T] int32 when it was placed (time priority, "standing" pricing)


class Markets(NamedTuple):
    fees: jax.Array  # [S, 5] today's fees
    rival_min: jax.Array  # [S, 5] charge cutting: cheapest non-zero rival fee so far (inf: none)
    eq_prices: jax.Array  # [S, W] equilibrium beating: last W transaction prices (ring)
    eq_seen: jax.Array  # [S] int32 transactions seen (ring position)
    new_shouts: jax.Array  # [S] int32 today's accepted new shouts (revisions not counted)
    trades: jax.Array  # [S] int32 today's transactions
    income: jax.Array  # [S, 5] today's fees collected, by kind


class Tally(NamedTuple):
    """The day's totals over all markets, for efficiency and price convergence."""

    surplus: jax.Array  # () realised surplus (value - cost) of today's trades
    trades: jax.Array  # () int32
    price_sum: jax.Array  # ()
    dev_sq: jax.Array  # () sum of (price - p*)^2


class Zip(NamedTuple):
    margin: jax.Array  # [Z] (buyers <= 0, sellers >= 0)
    momentum: jax.Array  # [Z] Widrow-Hoff's cumulative discounted change
    price: jax.Array  # [Z] current shout price


class Gd(NamedTuple):
    """Each market's shouts behind its last L transactions (JCAT's HistoricalReport),
    a ring of H entries per market; an entry lives while the market's
    transaction count is less than L past the count when it was posted."""

    price: jax.Array  # [S, H]
    is_bid: jax.Array  # [S, H] bool
    matched: jax.Array  # [S, H] bool
    posted_at: jax.Array  # [S, H] int32 market's transaction count when posted
    tag: jax.Array  # [S, H] int32 placement id (-1: empty)
    ptr: jax.Array  # [S] int32 next ring slot
    tx: jax.Array  # [S] int32 market's transactions so far (whole game)
    own_slot: jax.Array  # [T] int32 ring slot of each trader's latest posted shout
    own_tag: jax.Array  # [T] int32 its placement id


class RothErev(NamedTuple):
    propensity: jax.Array  # [N, K]
    last_action: jax.Array  # [N] int32


class Memory(NamedTuple):
    """Market selection: each trader's daily profits in each market."""

    reward_sum: jax.Array  # [T, S]
    reward_count: jax.Array  # [T, S]


class DayCarry(NamedTuple):
    """What one event of a trading day reads and writes."""

    traders: Traders
    book: Book
    markets: Markets
    tally: Tally
    zip: Zip
    gd: Gd
    re: RothErev
    clock: jax.Array  # () int32 placements so far (unique shout ids)
    p_star: jax.Array  # () today's competitive equilibrium price
    seed: jax.Array  # () uint32 of the counter-based per-event draws (rng.py)


class CatState(NamedTuple):
    day: DayCarry
    memory: Memory
    day_index: jax.Array  # () int32 days played
    assessed: jax.Array  # [D] bool assessment days (Section 3.1)
