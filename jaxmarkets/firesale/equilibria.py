"""Equilibria: the maximal one, the epsilon test, the social optimum, coalitions.

* `maximal_equilibrium`: Phi iterated from y = 1 (Theorem 2: for alpha = 1 or
  convex impact the iteration decreases to the point-wise maximal equilibrium,
  which for alpha = 1 is also the social optimum, Corollary 1).
* `epsilon_equilibrium`: Definition 1, agent by agent.
* `social_optimum`: max_y sum_i u_i(y) by a zooming grid search (small N).
* `coalition_deviation`: a coalition whose members all gain strictly by a joint
  deviation on a grid (small N), i.e. a witness that y is not a strong equilibrium.
"""

from __future__ import annotations

import functools
import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import check_int
from jaxmarkets.firesale.best_response import best_response
from jaxmarkets.firesale.dynamics import DynamicsResult, run_dynamics
from jaxmarkets.firesale.game import FireSaleParams, evaluate, social_welfare, utilities


def maximal_equilibrium(
    impact: str, params: FireSaleParams, tol: float = 1e-10, max_steps: int = 100_000
) -> DynamicsResult:
    """Simultaneous best responses from y = 1 until a step changes less than tol."""
    return run_dynamics(impact, params, None, "best_response", "simultaneous", tol=tol, max_steps=max_steps)


class EpsilonCheck(NamedTuple):
    ok: jax.Array  # () all agents pass
    agent_ok: jax.Array  # [N]
    liquid: jax.Array  # [N]
    gain: jax.Array  # [N] best-response utility minus e_i(y)


@functools.partial(jax.jit, static_argnums=0)
def epsilon_equilibrium(impact: str, params: FireSaleParams, y, eps: float) -> EpsilonCheck:
    """Definition 1 at y. For a liquid agent: (1) no y'_i gains more than eps in
    utility (the best response is taken over all y'_i the utility admits, which
    includes selling everything), (2) lev_i(y) <= lambda + eps unless y_i = 0,
    which Section 2.1 always admits; for an insolvent or illiquid agent (3)
    y_i <= eps."""
    y = jnp.asarray(y, params.illiquid.dtype)
    br = best_response(impact, params, y)
    prof = evaluate(impact, params, y)
    gain = br.utility - prof.equity
    c1 = gain <= eps
    c2 = (y == 0) | ((prof.equity > 0) & (prof.leverage <= params.leverage_cap + eps))
    c3 = y <= eps
    agent_ok = jnp.where(br.liquid, c1 & c2, c3)
    return EpsilonCheck(jnp.all(agent_ok), agent_ok, br.liquid, gain)


@functools.partial(jax.jit, static_argnums=0)
def is_nash(impact: str, params: FireSaleParams, y, rtol: float = 1e-9) -> jax.Array:
    """Exact Nash test: no agent's best response beats u_i(y) (up to rtol)."""
    y = jnp.asarray(y, params.illiquid.dtype)
    br = best_response(impact, params, y)
    u = utilities(impact, params, y)
    return jnp.all(u >= br.utility - rtol * jnp.maximum(jnp.abs(br.utility), 1.0))


def _grid_size(n: int, budget: int = 20_000) -> int:
    return max(5, int(round(budget ** (1.0 / n))))


def social_optimum(impact: str, params: FireSaleParams, rounds: int = 20, budget: int = 20_000):
    """(y, sw) maximising social welfare, by a grid over [0, 1]^N zoomed around the
    best point (each round keeps two grid cells either side). For N <= 4; a
    numerical optimum, exact up to the final cell width unless a better region
    hides between the first grid's points."""
    n = int(np.shape(params.illiquid)[-1])
    check_int("n_agents (social_optimum)", n, 1, 4)
    g = _grid_size(n, budget)
    sw = jax.jit(jax.vmap(lambda y: social_welfare(impact, params, y)))
    lo, hi = np.zeros(n), np.ones(n)
    best_y, best = np.ones(n), -np.inf
    for _ in range(rounds):
        axes = [np.linspace(lo[i], hi[i], g) for i in range(n)]
        pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n)
        vals = np.asarray(sw(jnp.asarray(pts, params.illiquid.dtype)))
        k = int(np.argmax(vals))
        if vals[k] > best:
            best, best_y = float(vals[k]), pts[k]
        cell = (hi - lo) / (g - 1)
        lo, hi = np.clip(best_y - 2 * cell, 0, 1), np.clip(best_y + 2 * cell, 0, 1)
    return best_y, best


def coalition_deviation(
    impact: str, params: FireSaleParams, y, grid: int = 41, candidates=None, margin: float = 0.0
):
    """A coalition C and a deviation y' (y'_i = y_i off C) with u_i(y') > u_i(y) + margin
    for every i in C, searched over a grid of y'_C for every coalition and over the
    given full `candidates` [K, N] (coalition: the agents that change). Returns
    (coalition as a list of agents, y') for the largest smallest gain, or None."""
    y = np.asarray(y, np.float64)
    n = y.shape[0]
    check_int("n_agents (coalition_deviation)", n, 1, 4)
    dtype = params.illiquid.dtype
    u_batch = jax.jit(jax.vmap(lambda v: utilities(impact, params, v)))
    base = np.asarray(utilities(impact, params, jnp.asarray(y, dtype)))
    axis = np.linspace(0.0, 1.0, grid)
    devs = []
    for size in range(1, n + 1):
        for coal in itertools.combinations(range(n), size):
            pts = np.stack(np.meshgrid(*[axis] * size, indexing="ij"), -1).reshape(-1, size)
            full = np.repeat(y[None, :], len(pts), 0)
            full[:, list(coal)] = pts
            devs.append(full)
    if candidates is not None:
        devs.append(np.asarray(candidates, np.float64).reshape(-1, n))
    devs = np.concatenate(devs, 0)
    u = np.asarray(u_batch(jnp.asarray(devs, dtype)))
    moved = devs != y[None, :]
    gain = np.where(moved, u - base[None, :] - margin, np.inf)
    worst = gain.min(-1)
    worst[~moved.any(-1)] = -np.inf
    k = int(np.argmax(worst))
    if not worst[k] > 0:
        return None
    return [int(i) for i in np.flatnonzero(moved[k])], devs[k]
