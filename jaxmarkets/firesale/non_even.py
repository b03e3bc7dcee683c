"""Non-even sales (Section 6): agent i keeps a share y_ij of each asset j.

z_j = sum_i x_ij y_ij, a_i = a^I_i + sum_j y_ij x_ij p_j, A_i = sum_j (1 - y_ij)
x_ij ((1 - alpha) p0_j + alpha p_j); equity, leverage and utility as for even
sales (selling everything, y_i = 0, is always admitted).

`best_response_non_even` is exact for alpha = 1 and linear impact (the setting
of Propositions 10 and 11): there e_i = E0 + sum_j c_j y_j with c_j = x_ij^2 p0_j
is linear and a_i = a^I_i + sum_j (b_j y_j + c_j y_j^2) is convex, so maximising
e_i subject to lambda e_i - a_i >= 0 on the box is a convex program. Its KKT point
is y_j(mu) = clip((1 + mu lambda) / (2 mu) - b_j / (2 c_j), 0, 1) with the
multiplier mu >= 0 found by bisection (the constraint rises monotonically in mu).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmarkets.firesale.game import FireSaleParams, feasible_mask, price_fraction

MU_ITERS = 200


class NonEvenProfile(NamedTuple):
    assets: jax.Array
    equity: jax.Array
    leverage: jax.Array
    feasible: jax.Array
    utility: jax.Array


@functools.partial(jax.jit, static_argnums=0)
def evaluate_non_even(impact: str, params: FireSaleParams, Y) -> NonEvenProfile:
    """Per-agent values at a non-even profile Y [N, M]."""
    x = params.holdings
    z = (x * Y).sum(0)
    p = params.prices0 * price_fraction(impact, z, params)
    a = params.illiquid + (Y * x * p).sum(-1)
    sale = (1.0 - params.alpha) * params.prices0 + params.alpha * p
    e = a + ((1.0 - Y) * x * sale).sum(-1) - params.liabilities
    lev = jnp.where(e > 0, a / jnp.where(e > 0, e, 1.0), jnp.inf)
    ok = feasible_mask(a, e, params.leverage_cap)
    u = jnp.where(ok | jnp.all(Y == 0, -1), e, -jnp.inf)
    return NonEvenProfile(a, e, lev, ok, u)


@jax.jit
def best_response_non_even_of(params: FireSaleParams, Y, i):
    """Agent i's exact best response y_i [M] to Y (alpha = 1, linear impact)."""
    Y = jnp.asarray(Y, params.holdings.dtype)
    x_i = params.holdings[i]
    s = (params.holdings * Y).sum(0) - x_i * Y[i]
    p0, lam = params.prices0, params.leverage_cap
    aI, li = params.illiquid[i], params.liabilities[i]
    c = x_i * x_i * p0
    b = x_i * p0 * s
    held = c > 0
    e0 = aI - li + b.sum()

    def g(y):
        return lam * (e0 + (c * y).sum()) - (aI + (b * y + c * y * y).sum())

    def y_of(mu):
        raw = (1.0 + mu * lam) / (2.0 * mu) - b / (2.0 * jnp.where(held, c, 1.0))
        return jnp.where(held, jnp.clip(raw, 0.0, 1.0), 1.0)

    ones = jnp.ones_like(x_i)
    y_inf = jnp.where(held, jnp.clip(lam / 2.0 - b / (2.0 * jnp.where(held, c, 1.0)), 0.0, 1.0), 1.0)

    def bisect(_, lohi):
        lo, hi = lohi
        mid = 0.5 * (lo + hi)
        up = g(y_of(jnp.exp(mid))) >= 0  # feasible: a smaller mu may still be
        return jnp.where(up, lo, mid), jnp.where(up, mid, hi)

    lo, hi = jax.lax.fori_loop(0, MU_ITERS, bisect, (jnp.asarray(-60.0, x_i.dtype), jnp.asarray(60.0, x_i.dtype)))
    y_mu = y_of(jnp.exp(hi))
    y_star = jnp.where(g(ones) >= 0, ones, jnp.where(g(y_mu) >= 0, y_mu, y_inf))
    prof = evaluate_non_even("linear", params, Y.at[i].set(y_star))
    return jnp.where(prof.feasible[i], y_star, jnp.zeros_like(y_star))
