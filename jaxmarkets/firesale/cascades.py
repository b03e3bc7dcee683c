"""Mechanical contagion cascades (no strategy), on fire-sale game instances.

Both start from y = 1 after an exogenous shock that scales every price by
(1 - shock), and iterate rounds until nothing changes. Prices follow the unsold
amounts z_j = sum_i x_ij y_i (every column of a Section 5.3 instance sums to 1).

Cont and Schaanning (2017), proportional deleveraging: with linear impact
p_j = (1 - shock) p0_j z_j and alpha = 1, a bank whose equity is not positive
fails and sells everything; a bank above its leverage cap sells the share of
its portfolio that brings its leverage back to the cap at the current prices
(the simplified response Psi of paper 003, Definition 3), and never buys back.

Caccioli, Shrestha, Moore and Farmer (2014), failure-driven fire sale: exponential
impact p_j = (1 - shock) p0_j exp(-c (1 - z_j)); a bank fails when its equity
a^I - l + sum_j x_ij p_j is negative and then liquidates its whole portfolio;
there is no leverage targeting.

Ranges: shock in [0, 1) (prices scale by 1 - shock), impact_c >= 0; the study
checks both before compiling (these functions are jitted and vmapped).

Outputs: the share of the assets sold (1 - sum_j z_j / sum_j z_j(1)), the share of
banks failed, and the number of rounds.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmarkets.core import check_range
from jaxmarkets.firesale.game import FireSaleParams, unsold


class CascadeResult(NamedTuple):
    y: jax.Array  # [N] kept shares at the end
    failed: jax.Array  # [N] bool
    sold_share: jax.Array  # ()
    failed_share: jax.Array  # ()
    rounds: jax.Array  # int32


def _finish(params, y, failed, rounds):
    z0 = params.holdings.sum(-2).sum(-1)
    sold = 1.0 - unsold(params, y).sum(-1) / jnp.where(z0 > 0, z0, 1.0)
    return CascadeResult(y, failed, sold, failed.mean(), rounds)


@functools.partial(jax.jit, static_argnames=("max_rounds",))
def cont_schaanning(params: FireSaleParams, shock, max_rounds: int = 10_000, tol: float = 1e-9) -> CascadeResult:
    x, aI, l, lam = params.holdings, params.illiquid, params.liabilities, params.leverage_cap
    p0 = params.prices0 * (1.0 - shock)

    def body(c):
        y, failed, t, _ = c
        V = (x * (p0 * unsold(params, y))).sum(-1)  # value of the whole portfolio at current prices
        e = aI - l + V  # alpha = 1 equity
        target = jnp.clip((lam * e - aI) / jnp.where(V > 0, V, 1.0), 0.0, 1.0)
        target = jnp.where(V > 0, target, 1.0)
        fail = failed | (e <= 0)
        new = jnp.where(fail, 0.0, jnp.minimum(y, target))
        return new, fail, t + 1, jnp.abs(new - y).max() > tol

    def cond(c):
        return c[3] & (c[2] < max_rounds)

    y0 = jnp.ones_like(aI)
    y, failed, t, _ = jax.lax.while_loop(cond, body, (y0, jnp.zeros(aI.shape, bool), jnp.int32(0), jnp.bool_(True)))
    return _finish(params, y, failed, t)


@functools.partial(jax.jit, static_argnames=("max_rounds",))
def caccioli(params: FireSaleParams, shock, impact_c=1.0, max_rounds: int = 10_000) -> CascadeResult:
    x, aI, l = params.holdings, params.illiquid, params.liabilities
    p0 = params.prices0 * (1.0 - shock)
    col = x.sum(-2)

    def body(c):
        y, failed, t, _ = c
        z = unsold(params, y)
        p = p0 * jnp.exp(-impact_c * (col - z))
        e = aI - l + (x * p).sum(-1)
        fail = failed | (e < 0)
        new = jnp.where(fail, 0.0, y)
        return new, fail, t + 1, jnp.any(fail != failed)

    def cond(c):
        return c[3] & (c[2] < max_rounds)

    y0 = jnp.ones_like(aI)
    y, failed, t, _ = jax.lax.while_loop(cond, body, (y0, jnp.zeros(aI.shape, bool), jnp.int32(0), jnp.bool_(True)))
    return _finish(params, y, failed, t)


def with_leverage(params: FireSaleParams, leverage) -> FireSaleParams:
    """The same instance with liabilities set so every bank starts at leverage
    a_i / e_i = `leverage` at y = 1 (Caccioli et al.'s leverage axis); leverage
    >= 1 (below it the liabilities would be negative; checked when concrete)."""
    if not isinstance(leverage, jax.core.Tracer):
        check_range("leverage", leverage, 1.0)
    a1 = params.illiquid + (params.holdings * params.prices0[..., None, :]).sum(-1)
    leverage = jnp.asarray(leverage, a1.dtype)
    return params.replace(liabilities=a1 * (1.0 - 1.0 / leverage[..., None]))
