"""A plain NumPy implementation of the execution game's dynamics.

Written apart from game.py on purpose: tests compare the two path by path, and
the benchmark times the JAX environment against it in the same process. It loops
over steps and vectorises over episodes; the sequential reading orders agents by
sorting, where the JAX game uses a pairwise mask.
"""

from __future__ import annotations

import numpy as np
from jaxmarkets.core import InputError


def simulate(timing: str, params: dict, fractions, xi, order) -> dict:
    """Run a batch of episodes.

    fractions [B, n, N] (or [n, N], shared); xi [B, N] standard normals;
    order [B, N, n] uniforms ranking the agents at each step (sequential only).
    params: q0 [n], S0, alpha, kappa, sigma, tau as numbers.
    Returns per-episode `is` [B, n] and sells `v` [B, n, N].
    """
    xi = np.asarray(xi, np.float64)
    n_eps, n_steps = xi.shape
    q0 = np.asarray(params["q0"], np.float64)
    n = q0.shape[0]
    alpha, kappa, tau = params["alpha"], params["kappa"], params["tau"]
    noise_scale = params["sigma"] * np.sqrt(tau)
    fractions = np.broadcast_to(np.asarray(fractions, np.float64), (n_eps, n, n_steps))

    q = np.tile(q0, (n_eps, 1))
    price = np.full(n_eps, float(params["S0"]))
    cash = np.zeros((n_eps, n))
    sells = np.zeros((n_eps, n, n_steps))
    rows = np.arange(n_eps)[:, None]
    for t in range(n_steps):
        frac = np.ones((n_eps, n)) if t == n_steps - 1 else np.clip(fractions[:, :, t], 0, 1)
        v = frac * q
        total = v.sum(1)
        if timing == "simultaneous":
            px = price[:, None] - alpha * v / tau
        elif timing == "inclusive":
            px = (price - kappa * total)[:, None] - alpha * v / tau
        elif timing == "sequential":
            rank = np.argsort(order[:, t, :], axis=1)  # agents in trading order
            in_order = v[rows, rank]
            before = np.cumsum(in_order, axis=1) - in_order
            ahead = np.empty_like(v)
            ahead[rows, rank] = before
            px = price[:, None] - kappa * ahead - alpha * v / tau
        elif timing == "aggregate":
            px = (price - alpha * total / tau)[:, None] * np.ones((1, n))
        else:
            raise InputError(f"timing = {timing!r} is not a timing reading")
        cash += px * v
        q -= v
        sells[:, :, t] = v
        price = price - kappa * total + noise_scale * xi[:, t]
    return {"is": params["S0"] * q0[None, :] - cash, "v": sells}
