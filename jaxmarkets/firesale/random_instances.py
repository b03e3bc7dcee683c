"""Random instances of Section 5.3 (n = m, linear impact, alpha = 1).

x_ij = tau / n + (1 - tau) delta_ij (every column sums to 1). With lambda^1 the
largest leverage at y = 1, lambda = u lambda^1 with u uniform in [u_lo, u_hi], and
instances with lambda <= 1 are rejected (redrawn), as are instances with an
agent insolvent at y = 1 (lambda^1 undefined; possible only in set 2).

  set 1 (Figure 2, Figure 3 left): a^I ~ U[80, 120], l ~ U[40, 60], p0 = 100,
        u ~ U[0.6, 0.99]
  set 2 (Figure 3 right): a^I ~ U[0, 100], l ~ U[40, 100], p0 ~ U[50, 150],
        u ~ U[0.9, 0.99]
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int, check_range
from jaxmarkets.firesale.game import FireSaleParams

PARAM_SETS = {
    1: dict(aI=(80.0, 120.0), l=(40.0, 60.0), p0=(100.0, 100.0), u=(0.6, 0.99)),
    2: dict(aI=(0.0, 100.0), l=(40.0, 100.0), p0=(50.0, 150.0), u=(0.9, 0.99)),
}


def _draw(key, n, tau, count, spec, dtype, cap_multiplier=None):
    k1, k2, k3, k4 = jax.random.split(key, 4)
    u = lambda k, lohi, shape: jax.random.uniform(k, shape, dtype, *lohi)  # noqa: E731
    aI = u(k1, spec["aI"], (count, n))
    l = u(k2, spec["l"], (count, n))
    p0 = u(k3, spec["p0"], (count, n)) if spec["p0"][0] != spec["p0"][1] else jnp.full((count, n), spec["p0"][0], dtype)
    x = jnp.full((n, n), tau / n, dtype) + (1.0 - tau) * jnp.eye(n, dtype=dtype)
    value = (x[None] * p0[:, None, :]).sum(-1)  # all prices at p0 when y = 1 (columns sum to 1)
    a1 = aI + value
    e1 = a1 - l
    lev1 = jnp.where(e1 > 0, a1 / jnp.where(e1 > 0, e1, 1.0), jnp.inf).max(-1)
    mult = u(k4, spec["u"], (count,)) if cap_multiplier is None else jnp.full((count,), cap_multiplier, dtype)
    lam = mult * lev1
    keep = jnp.isfinite(lam) & (lam > 1.0)
    return x, aI, l, p0, lam, keep


def section53(
    key, n: int, tau: float, count: int, param_set: int = 1, dtype=None, cap_multiplier: float | None = None
) -> FireSaleParams:
    """`count` accepted instances as one batched params pytree (leading axis).

    `cap_multiplier` fixes lambda / lambda^1 instead of drawing it (the cascade
    phase diagrams sweep it)."""
    check_int("n", n, 1)
    check_int("count", count, 1)
    check_range("tau", tau, 0.0, 1.0)
    check_choice("param_set", param_set, tuple(PARAM_SETS))
    if cap_multiplier is not None:
        check_range("cap_multiplier", cap_multiplier, 0.0, low_open=True)
    dtype = dtype or jnp.zeros(()).dtype
    spec = PARAM_SETS[param_set]
    parts, have = [], 0
    for attempt in range(1000):
        key, sub = jax.random.split(key)
        x, aI, l, p0, lam, keep = _draw(sub, n, tau, max(count - have, 16) * 2, spec, dtype, cap_multiplier)
        keep = np.asarray(keep)
        parts.append(tuple(np.asarray(v)[keep] for v in (aI, l, p0, lam)))
        have += int(keep.sum())
        if have >= count:
            break
    else:
        raise InputError(f"param_set = {param_set}, n = {n}, tau = {tau}: too few instances with lambda > 1")
    aI, l, p0, lam = (np.concatenate([p[k] for p in parts])[:count] for k in range(4))
    x = np.broadcast_to(np.asarray(x), (count, n, n))
    f = lambda v: jnp.asarray(v, dtype)  # noqa: E731
    return FireSaleParams(
        holdings=f(x), illiquid=f(aI), liabilities=f(l), prices0=f(p0), leverage_cap=f(lam),
        alpha=jnp.ones((count,), dtype), exponent=jnp.ones((count, n), dtype),
        knots=jnp.zeros((count, n, 0), dtype), levels=jnp.zeros((count, n, 0), dtype),
    )
