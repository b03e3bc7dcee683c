"""Specialists' charging policies: how each day's five fees are set.

`fixed`: the fees of the params, every day. `cutting` (JCAT's
ChargeCuttingChargingPolicy): each fee starts at the params' value; at every
day's close, a fee above the cheapest non-zero fee any rival has announced so
far in the game is set to that rival fee x `cut_scale` (0.8), undercutting it.
A learned specialist sets its fees through the environment's actions instead.
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxmarkets.cat.state import Markets


def after_day(markets: Markets, params, cutting) -> Markets:
    """Tomorrow's fees from today's announcements. cutting: [S] bool (static)."""
    today = markets.fees
    s = today.shape[0]
    nonzero = jnp.where(today > 0, today, jnp.inf)
    rivals = jnp.where(jnp.eye(s, dtype=bool)[:, :, None], jnp.inf, nonzero[None, :, :]).min(1)
    rival_min = jnp.minimum(markets.rival_min, rivals)
    cut = jnp.asarray(cutting)[:, None] & (rival_min < today)
    fees = jnp.where(cut, rival_min * params.cut_scale[:, None], today)
    return markets._replace(fees=fees, rival_min=rival_min)
