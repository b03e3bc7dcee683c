"""A trading day: opening, R rounds of shout opportunities, closing.

Opening: fees announced (they hold for the day); values redrawn if asked;
every trader picks its market; registration fees, and the information fee of
each trader that subscribes to its market's shouts (ZIP and GD), are charged;
units and budgets (value x entitlement) restored, books empty.
Round: every trader gets exactly one shout opportunity (new shout or free
revision), in a fresh random order with buyers and sellers interleaved; a
trader that traded a unit this round (even as the standing side) passes; the
clearing houses called in this round clear. Round close: Roth-Erev traders
learn. Closing: unmatched shouts expire, traders reward the market they chose
with the day's net profit, specialists set tomorrow's fees, metrics.

The round's draws (its order, one uniform per opportunity) come from the
round's key via `round_draws`, which the NumPy reference reuses.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxmarkets.cat import charging, gd, metrics, roth_erev, rng, selection, zip_trader
from jaxmarkets.cat.clearing import make_call
from jaxmarkets.cat.event import charge, make_event
from jaxmarkets.cat.params import fee_table
from jaxmarkets.cat.spec import STRATEGIES
from jaxmarkets.cat.state import Book, CatState, DayCarry, Markets, Tally, Traders


def round_draws(seed, r, n_traders: int, slots: int):
    """Round r's (order [slots] with padding index n_traders, uniform [slots])."""
    order = rng.permutation(rng.event_seed(seed, r, rng.ORDER), n_traders)
    order = jnp.concatenate([order, jnp.full(slots - n_traders, n_traders, jnp.int32)])
    return order, rng.lane_uniforms(rng.event_seed(seed, r, rng.SLOT), slots)


def day_seed(key):
    """The uint32 every draw of a day derives from (rng.py)."""
    return rng.seed_from_key(key)


def day_draws(st, seed):
    """Every round's (order, uniforms): [R, slots] each; what the NumPy
    reference replays."""
    slots = st.blocks * st.block_size
    return jax.vmap(lambda r: round_draws(seed, r, st.n_traders, slots))(jnp.arange(st.rounds))


def empty_book(st) -> Book:
    side = jnp.arange(st.n_traders) < st.n_buyers
    return Book(price=jnp.where(side, -jnp.inf, jnp.inf).astype(jnp.float32),
                seq=jnp.zeros(st.n_traders, jnp.int32))


def draw_values(prefix, st, params):
    u = rng.lane_uniforms(prefix, st.n_traders)
    return params.value_low + (params.value_high - params.value_low) * u


def assessment_days(prefix, st, params):
    """Section 3.1: a random start and end day, and between them each day with
    probability `assessment_prob` (the end day always), or every day."""
    d = st.days
    if st.assessment == "all":
        return jnp.ones(d, bool)
    u = rng.lane_uniforms(prefix, d + 2)
    start = jnp.minimum((u[0] * d).astype(jnp.int32), d - 1)
    end = start + jnp.minimum((u[1] * (d - start)).astype(jnp.int32), d - 1 - start)
    days = jnp.arange(d)
    pick = u[2:] < params.assessment_prob
    return (days >= start) & (days <= end) & (pick | (days == end))


def init_state(st, params, key) -> CatState:
    seed = rng.seed_from_key(key)
    t, s = st.n_traders, st.n_markets
    value = draw_values(rng.event_seed(seed, 0, rng.INIT), st, params)
    zm = st.zip_members
    margins = rng.lane_uniforms(rng.event_seed(seed, 1, rng.INIT), max(zm.size, 1))[: zm.size]
    zp = zip_trader.init(margins, value[zm], jnp.asarray(zm >= st.n_buyers), params)
    fees = fee_table(params).astype(jnp.float32)
    markets = Markets(
        fees=fees, rival_min=jnp.full_like(fees, jnp.inf), eq_prices=jnp.zeros((s, st.eq_window), jnp.float32),
        eq_seen=jnp.zeros(s, jnp.int32), new_shouts=jnp.zeros(s, jnp.int32), trades=jnp.zeros(s, jnp.int32),
        income=jnp.zeros_like(fees))
    traders = Traders(value=value, market=jnp.zeros(t, jnp.int32), remaining=jnp.zeros(t, jnp.int32),
                      traded_round=jnp.zeros(t, bool), profit=jnp.zeros(t, jnp.float32),
                      last_trade=jnp.zeros(t, jnp.float32))
    zero = jnp.zeros((), jnp.float32)
    carry = DayCarry(
        traders=traders, book=empty_book(st), markets=markets,
        tally=Tally(zero, jnp.zeros((), jnp.int32), zero, zero), zip=zp,
        gd=gd.init(s, st.gd_capacity, t), re=roth_erev.init(st.re_members.size, st.re_actions, params),
        clock=jnp.zeros((), jnp.int32), p_star=zero, seed=seed)
    return CatState(day=carry, memory=selection.init(t, s), day_index=jnp.zeros((), jnp.int32),
                    assessed=assessment_days(rng.event_seed(seed, 2, rng.INIT), st, params))


def open_day(st, params, state: CatState, fees, seed):
    """(carry ready for round 0, the day's competitive surplus)."""
    c = state.day
    value = draw_values(rng.event_seed(seed, 0, rng.VALUES), st, params) if st.redraw_values else c.traders.value
    market = selection.choose(seed, state.memory, params, st.selection)
    budget = value * params.entitlement.astype(jnp.float32)
    paid_reg = charge(fees[market, 0], budget)
    info = jnp.where(jnp.asarray(st.subscriber), fees[market, 1], 0.0)
    paid_info = charge(info, budget - paid_reg)
    s = st.n_markets
    income = jnp.zeros((s, fees.shape[1]), jnp.float32)
    income = income.at[:, 0].set(jax.ops.segment_sum(paid_reg, market, s))
    income = income.at[:, 1].set(jax.ops.segment_sum(paid_info, market, s))
    zeros_s = jnp.zeros(s, jnp.int32)
    markets = c.markets._replace(fees=fees, new_shouts=zeros_s, trades=zeros_s, income=income)
    traders = Traders(value=value, market=market, remaining=jnp.full(st.n_traders, params.entitlement, jnp.int32),
                      traded_round=jnp.zeros(st.n_traders, bool), profit=-(paid_reg + paid_info),
                      last_trade=jnp.zeros(st.n_traders, jnp.float32))
    max_surplus, p_star = metrics.competitive(value, st.n_buyers, params.entitlement.astype(jnp.float32))
    zero = jnp.zeros((), jnp.float32)
    carry = c._replace(traders=traders, book=empty_book(st), markets=markets,
                       tally=Tally(zero, jnp.zeros((), jnp.int32), zero, zero), p_star=p_star, seed=seed)
    return carry, max_surplus


def called(st, calls):
    """[R, blocks, S] bool: is specialist s's clearing house called after block b
    of round r? `calls` [S] a day, spread evenly over the day's R x blocks
    blocks, the last at the day's end (calls = R: at every round's end)."""
    n = st.rounds * st.blocks
    block = jnp.arange(n)[:, None]
    c = jnp.asarray(calls, jnp.int32)[None, :]
    due = (block + 1) * c // n > block * c // n
    return (due & jnp.asarray(st.clearing == 1)[None, :]).reshape(st.rounds, st.blocks, -1)


def make_rounds(st, params):
    """rounds(carry) -> (carry, records) for the day's R rounds."""
    event = make_event(st, params)
    call = make_call(st, params) if bool((st.clearing == 1).any()) else None
    slots = st.blocks * st.block_size
    table = called(st, params.calls)
    re_members = jnp.asarray(st.re_members)

    def block(c, xs):
        order, u, counter, called = xs
        c, record = jax.lax.scan(event, c, (order, u, counter))
        call_record = None
        if call is not None:
            c, call_record = call(c, called, counter[-1])
        return c, (record, call_record)

    def one_round(c, xs):
        order, u, r, called = xs
        counter = (r * slots + jnp.arange(slots)).astype(jnp.uint32)  # the day's seed makes it unique
        shape = (st.blocks, st.block_size)
        xs = (order.reshape(shape), u.reshape(shape), counter.reshape(shape), called)
        if st.blocks == 1:  # no scan of one step: a smaller program, compiled faster
            c, records = block(c, jax.tree.map(lambda x: x[0], xs))
            records = jax.tree.map(lambda x: x[None], records)
        else:
            c, records = jax.lax.scan(block, c, xs)
        tr = c.traders
        if re_members.size:
            learning = tr.remaining[re_members] > 0
            c = c._replace(re=roth_erev.learn(c.re, tr.last_trade[re_members], learning, params))
        c = c._replace(traders=tr._replace(traded_round=jnp.zeros_like(tr.traded_round)))
        return c, records

    def rounds(c):
        orders, uniforms = day_draws(st, c.seed)
        return jax.lax.scan(one_round, c, (orders, uniforms, jnp.arange(st.rounds), table))

    return rounds


def make_day(st, params):
    """day(state, fees [S, 5], key) -> (state, DayMetrics, records)."""
    rounds = make_rounds(st, params)
    present_codes = [STRATEGIES.index(s) for s in st.present]

    def day(state: CatState, fees, key):
        c, max_surplus = open_day(st, params, state, jnp.asarray(fees, jnp.float32), day_seed(key))
        c, records = rounds(c)
        assessed = state.assessed[jnp.minimum(state.day_index, st.days - 1)]
        out = metrics.day_metrics(c, max_surplus, st.strategy, present_codes, st.n_markets, assessed)
        memory = selection.reward(state.memory, c.traders.market, c.traders.profit)
        c = c._replace(markets=charging.after_day(c.markets, params, st.cutting), book=empty_book(st))
        return CatState(day=c, memory=memory, day_index=state.day_index + 1, assessed=state.assessed), out, records

    return day
