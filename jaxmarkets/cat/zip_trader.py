"""ZIP traders (Cliff 1997; overview Section 4.1.2, JCAT's ZIPStrategy).

Price = value x (1 + margin), margin >= 0 for a seller and in (-1, 0] for a
buyer (a margin outside keeps the last price, as JCAT). Every shout posted in
the trader's market by another trader is an event (s, bid or ask, accepted or
not); Cliff's rules (overview Figure 1) move the price towards a target

    raise margin:  seller if accepted and price <= s        target s + d
                   buyer  if accepted and price >= s        target s - d
    lower margin:  active seller if (accepted and the shout was a bid)
                                  or (not accepted, an ask, price >= s)   target s - d
                   active buyer  if (accepted and the shout was an ask)
                                  or (not accepted, a bid, price <= s)    target s + d

with d = U(0, relative) s + U(0, absolute) drawn per trader and event, by
Widrow-Hoff with momentum on the margin: G <- mu G + (1 - mu) beta (target
margin - margin), margin <- margin + G. "Active" is having units left today.

Each posted shout is seen once, with `accepted` = whether it traded on arrival
(JCAT re-processes a traded shout at the next posting, a quirk not kept). In a
clearing house a posted shout has not traded yet; each call is then one
accepted event at the call's mean price for both sides' rules.
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxmarkets.cat import rng
from jaxmarkets.cat.state import Zip


def init(key_uniform, value, is_seller, params) -> Zip:
    """Initial margins U(low, high), sellers positive and buyers negative."""
    size = params.zip_margin_low + (params.zip_margin_high - params.zip_margin_low) * key_uniform
    margin = jnp.where(is_seller, size, -size)
    return Zip(margin=margin, momentum=jnp.zeros_like(margin), price=value * (1.0 + margin))


def observe(z: Zip, value, is_seller, active, sees, s, is_bid, accepted, params, prefix) -> Zip:
    """Every ZIP trader with `sees` reacts to one posted shout (or call)."""
    n = z.price.shape[0]
    u = rng.lane_uniforms(prefix, 2 * n)
    d = u[:n] * params.zip_relative * s + u[n:] * params.zip_absolute
    p = z.price
    seller_up = accepted & (p <= s)
    seller_down = active & ((accepted & ~seller_up & is_bid) | (~accepted & ~is_bid & (p >= s)))
    buyer_up = accepted & (p >= s)
    buyer_down = active & ((accepted & ~buyer_up & ~is_bid) | (~accepted & is_bid & (p <= s)))
    up = jnp.where(is_seller, seller_up, buyer_up)  # raise the margin
    down = jnp.where(is_seller, seller_down, buyer_down)
    toward_higher = jnp.where(is_seller, up, down)
    target = jnp.where(toward_higher, s + d, s - d)
    return _train(z, value, is_seller, sees & (up | down), target, params)


def observe_call(z: Zip, value, is_seller, active, sees, s, params, prefix) -> Zip:
    """A clearing-house call at mean price s: accepted for both sides."""
    n = z.price.shape[0]
    u = rng.lane_uniforms(prefix, 2 * n)
    d = u[:n] * params.zip_relative * s + u[n:] * params.zip_absolute
    p = z.price
    up = jnp.where(is_seller, p <= s, p >= s)
    down = active & ~up
    toward_higher = jnp.where(is_seller, up, down)
    target = jnp.where(toward_higher, s + d, s - d)
    return _train(z, value, is_seller, sees & (up | down), target, params)


def _train(z: Zip, value, is_seller, move, target, params) -> Zip:
    safe = jnp.where(value > 0, value, 1.0)
    target_margin = (target - value) / safe
    momentum = params.zip_momentum * z.momentum + (1.0 - params.zip_momentum) * params.zip_rate * (
        target_margin - z.margin)
    margin = z.margin + momentum
    valid = jnp.where(is_seller, margin >= 0.0, (margin <= 0.0) & (margin > -1.0)) & (value > 0)
    price = jnp.where(valid, value * (1.0 + margin), z.price)
    return Zip(margin=jnp.where(move, margin, z.margin), momentum=jnp.where(move, momentum, z.momentum),
               price=jnp.where(move, price, z.price))
