"""Shared helpers of the CAT tests: one day of the JAX game, its trades in order."""

from __future__ import annotations

import jax
import numpy as np

from jaxmarkets.cat.day import day_draws, day_seed, init_state, make_day


def jax_day(game, params, key):
    """(state before the day, day metrics, trades [(buyer, seller, price)], state after)."""
    st = game.static
    state = init_state(st, params, jax.random.key(99))
    day = jax.jit(make_day(st, params))
    after, out, (events, calls) = day(state, state.day.markets.fees, key)
    trades = []
    e_cross, e_b, e_s, e_p = (np.asarray(x) for x in events)
    for r in range(st.rounds):
        for b in range(st.blocks):
            for n in np.flatnonzero(e_cross[r, b]):
                trades.append((int(e_b[r, b, n]), int(e_s[r, b, n]), float(e_p[r, b, n])))
            if calls is not None:
                c_cross, c_b, c_a, c_p = (np.asarray(x) for x in calls)
                for n in np.flatnonzero(c_cross[r, b, 0]):
                    trades.append((int(c_b[r, b, 0, n]), int(c_a[r, b, 0, n]), float(c_p[r, b, 0, n])))
    return state, out, trades, after


def draws(game, key):
    orders, uniforms = day_draws(game.static, day_seed(key))
    return np.asarray(orders), np.asarray(uniforms)
