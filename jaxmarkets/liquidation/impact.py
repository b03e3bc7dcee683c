"""Price impact of cumulative net sales, one function per asset.

p_j(X) = p0_j f_j(X) with X the units of asset j sold by everyone so far:

  linear       f(X) = max(0, 1 - a X)
  exponential  f(X) = exp(-a X)                 (Caccioli et al. 2014's form)
  power        f(X) = max(0, 1 - a X^delta)     (delta = 1/2: square-root law)

A smaller a is a more liquid asset. `xp` is the array module (jax.numpy in the
environment, NumPy in the theory), so both evaluate the same formula.
"""

from __future__ import annotations

import jax.numpy as jnp

IMPACTS = ("linear", "exponential", "power")


def price_fraction(kind: str, sold, impact, exponent, xp=jnp):
    """f_j(X_j) for cumulative sales `sold` [..., M] (non-negative)."""
    sold = xp.maximum(sold, 0.0)
    if kind == "linear":
        return xp.maximum(0.0, 1.0 - impact * sold)
    if kind == "exponential":
        return xp.exp(-impact * sold)
    if kind == "power":
        # 0 ** delta is 0 for delta > 0; the where keeps the gradient of X^delta
        # at X = 0 (infinite for delta < 1) out of the program
        safe = xp.where(sold > 0, sold, 1.0)
        powered = xp.where(sold > 0, safe**exponent, 0.0)
        return xp.maximum(0.0, 1.0 - impact * powered)
    raise ValueError(f"impact kind {kind!r} is not one of {IMPACTS}")


def power_like_linear(a_linear, q, exponent):
    """The power-law coefficient whose drop at volume q equals the linear one's:
    a q^delta = a_lin q, so a = a_lin q^(1 - delta). Comparisons of linear and
    power impact use it to start from the same price move at a typical sale."""
    return a_linear * q ** (1.0 - exponent)


def prices(kind: str, sold, prices0, impact, exponent, xp=jnp):
    return prices0 * price_fraction(kind, sold, impact, exponent, xp)
