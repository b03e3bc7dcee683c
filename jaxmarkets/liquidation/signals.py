"""The planner's recommendation: a correlation device drawn each step.

Systematic sampling: one uniform u per step; bank i is told the asset whose bin
of the cumulative normalised weights contains frac(u + i / N). The share of banks
told asset j is its weight up to rounding (1/N), and the recommendations are
correlated across banks: with N = 2 and weights (1, 1) exactly one bank is told
each asset, the correlated equilibrium of the anti-coordination 2x2 game.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def recommendations(u, weights, n_banks: int):
    """Recommended asset per bank [N] (int32) from one uniform u and weights [M]."""
    cum = jnp.cumsum(weights) / jnp.sum(weights)
    s = jnp.mod(u + jnp.arange(n_banks, dtype=cum.dtype) / n_banks, 1.0)
    asset = jnp.searchsorted(cum, s, side="right")
    return jnp.clip(asset, 0, weights.shape[-1] - 1).astype(jnp.int32)


def draw(key, weights, n_banks: int):
    return recommendations(jax.random.uniform(key, (), weights.dtype), weights, n_banks)
