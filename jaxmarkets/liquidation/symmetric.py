"""N alike banks, two assets, one period: the symmetric equilibria, numerically.

Beyond two banks the 2x2 closed form does not carry over, but a symmetric
instance keeps the game small: a bank's payoff depends only on its own asset
and on how many of the other N - 1 banks sell asset 1. The payoffs u_k(n)
(own asset k, n others on asset 1) come from the environment itself, one step
per profile; a symmetric mixed equilibrium p (each bank sells asset 1 with
probability p) makes a bank indifferent:

    g(p) = sum_n Binom(n; N - 1, p) (u_1(n) - u_2(n)) = 0,

found by a sign-change scan and bisection; p = 1 (p = 0) is an equilibrium when
g(1) >= 0 (g(0) <= 0). For cash raised at post-impact prices and linear
impact, g is linear in p with root p* = (r N - 1) / ((1 + r)(N - 1)), so
the mixed equilibrium exists for 1/N < r < N (tests hold the scan to it).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.liquidation.game import LiquidationGame
from jaxmarkets.liquidation.theory import REDUCTION_STATIC

SCAN_POINTS = 2001
BISECTIONS = 60


def one_period_game(n_banks: int, **static) -> LiquidationGame:
    unknown = set(static) - set(REDUCTION_STATIC)
    if unknown:
        raise ValueError(f"the one-period game fixes every static field but {REDUCTION_STATIC}; got {sorted(unknown)}")
    return LiquidationGame(n_banks=n_banks, n_assets=2, horizon=1, n_levels=1, action_set="one_asset", **static)


def alike_params(game: LiquidationGame, params_2x2):
    """The N-bank params whose every bank is bank 1 of a two-bank instance."""
    def per_bank(x):
        x = np.asarray(x)
        return jnp.asarray(np.broadcast_to(x[0], (game.n_banks, *x.shape[1:])), x.dtype)

    return params_2x2.replace(holdings=per_bank(params_2x2.holdings), cash=per_bank(params_2x2.cash),
                              liabilities=per_bank(params_2x2.liabilities),
                              withdrawal=per_bank(params_2x2.withdrawal))


def check_alike(params) -> None:
    for name in ("holdings", "cash", "liabilities", "withdrawal"):
        v = np.asarray(getattr(params, name))
        if not np.all(v == v[:1]):
            raise InputError(f"{name}: the symmetric analysis needs alike banks (every row equal)")


@functools.partial(jax.jit, static_argnums=0)
def _payoffs(game: LiquidationGame, params):
    N = game.n_banks
    others = jnp.arange(N - 1)

    def value(k, n):
        # bank 0 sells asset k (sale row 1 + k); the first n others sell asset 1, the rest asset 2
        actions = jnp.concatenate([jnp.array([1]) + k, jnp.where(others < n, 1, 2)])
        _, state = game.reset(jax.random.key(0), params)
        return game.step(jax.random.key(1), state, actions, params).state.value[0]

    ns = jnp.arange(N)
    return jax.vmap(lambda n: value(0, n))(ns), jax.vmap(lambda n: value(1, n))(ns)


def payoffs(game: LiquidationGame, params):
    """(u_1, u_2) [N]: own asset 1 or 2 when n = 0..N-1 others sell asset 1."""
    game.validate(params)
    check_alike(params)
    u1, u2 = _payoffs(game, params)
    return np.asarray(u1, np.float64), np.asarray(u2, np.float64)


def gain(u1, u2, p):
    """g(p): the expected gain of asset 1 over asset 2 against N - 1 others mixing p."""
    m = len(u1) - 1
    d = np.asarray(u1) - np.asarray(u2)
    n = np.arange(m + 1)
    p = np.asarray(p, np.float64)[..., None]
    binom = np.array([math.comb(m, k) for k in n], np.float64)
    return (binom * p**n * (1 - p) ** (m - n) * d).sum(-1)


def symmetric_equilibria(u1, u2, tol: float = 1e-12) -> list[float]:
    """Every symmetric equilibrium p (probability of selling asset 1), ascending;
    [] never happens (g is continuous), and a g that vanishes everywhere gives [nan]."""
    scale = max(np.abs(u1).max(), np.abs(u2).max(), 1e-300)
    grid = np.linspace(0.0, 1.0, SCAN_POINTS)
    g = gain(u1, u2, grid)
    zero = np.abs(g) <= tol * scale
    if zero.all():
        return [float("nan")]
    out = []
    if g[0] <= tol * scale:
        out.append(0.0)
    for i in range(SCAN_POINTS - 1):
        a, b = grid[i], grid[i + 1]
        ga, gb = g[i], g[i + 1]
        if zero[i + 1] and 0 < i + 1 < SCAN_POINTS - 1:
            out.append(float(b))
        elif ga * gb < 0 and not zero[i] and not zero[i + 1]:
            for _ in range(BISECTIONS):
                mid = 0.5 * (a + b)
                gm = gain(u1, u2, mid)
                if (gm < 0) == (ga < 0):
                    a, ga = mid, gm
                else:
                    b = mid
            out.append(0.5 * (a + b))
    if g[-1] >= -tol * scale:
        out.append(1.0)
    return sorted(set(out))


def analyse(n_banks: int, static: dict, params_2x2) -> dict:
    """Payoffs u_k(n) and every symmetric equilibrium of N banks like bank 1 of `params_2x2`."""
    game = one_period_game(n_banks, **static)
    params = alike_params(game, params_2x2)
    u1, u2 = payoffs(game, params)
    eqs = symmetric_equilibria(u1, u2)
    values = [float(p * gain_value(u1, p) + (1 - p) * gain_value(u2, p)) if np.isfinite(p) else None for p in eqs]
    return {"n_banks": n_banks, "u1": u1.tolist(), "u2": u2.tolist(), "equilibria": eqs, "values": values}


def gain_value(u, p):
    """A bank's expected payoff from u [N] against N - 1 others selling asset 1 with probability p."""
    m = len(u) - 1
    n = np.arange(m + 1)
    binom = np.array([math.comb(m, k) for k in n], np.float64)
    return float((binom * p**n * (1 - p) ** (m - n) * np.asarray(u)).sum())
