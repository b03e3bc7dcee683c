"""A plain NumPy reference of both dynamics for alpha = 1 and linear impact.

A second, independent implementation (closed forms instead of the candidate
search of `best_response`) used by the tests and as the benchmark's baseline:
a Python loop over instances, NumPy over agents. Same step counting as
`dynamics.run_dynamics` (simultaneous mode).

With alpha = 1 and p_j = p0_j z_j, agent i's value of its holdings is linear in
its own y: V_i(y) = c + d y with c = sum_j x_ij p0_j s_j, d = sum_j x_ij^2 p0_j
(s_j the others' unsold amount), and
    g(y) = lambda e_i - a_i = -d y^2 + (lambda d - c) y + lambda (a^I - l + c) - a^I
is concave: Phi_i is 1 if g(1) >= 0, else the larger root of g if it lies in
[0, 1], else 0 (Proposition 4: maximise y_i subject to the leverage cap).
"""

from __future__ import annotations

import numpy as np


def best_response_np(x, aI, l, p0, lam, y):
    z = y @ x
    s = z[None, :] - x * y[:, None]
    c = (x * p0 * s).sum(1)
    d = (x * x * p0).sum(1)
    g2, g1, g0 = -d, lam * d - c, lam * (aI - l + c) - aI
    g_one = g2 + g1 + g0
    disc = g1 * g1 - 4 * g2 * g0
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.where(d > 0, (-g1 - np.sqrt(np.maximum(disc, 0))) / (2 * g2), np.where(g0 >= 0, 1.0, 0.0))
    inside = (disc >= 0) & (root >= 0) & (root <= 1)
    return np.where(g_one >= 0, 1.0, np.where(inside, root, 0.0))


def simplified_np(x, aI, l, p0, lam, y):
    p = p0 * (y @ x)
    V = x @ p
    e = aI - l + V
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(V > 0, (lam * e - aI) / V, np.where(lam * e - aI >= 0, 1.0, 0.0))
    return np.where(e > 0, np.clip(g, 0.0, 1.0), 0.0)


def run_np(x, aI, l, p0, lam, rule="best_response", tol=1e-5, max_steps=100_000):
    """(y, steps, converged) from y = 1 for one instance."""
    update = best_response_np if rule == "best_response" else simplified_np
    y = np.ones(x.shape[0])
    for t in range(max_steps):
        new = update(x, aI, l, p0, lam, y)
        change = np.abs(new - y).max()
        y = new
        if change < tol:
            return y, t, True
    return y, max_steps, False


def run_batch_np(X, AI, L, P0, LAM, rule="best_response", tol=1e-5, max_steps=100_000):
    """The loop over instances: arrays with a leading instance axis."""
    ys, steps, conv = [], [], []
    for b in range(X.shape[0]):
        y, t, c = run_np(X[b], AI[b], L[b], P0[b], LAM[b], rule, tol, max_steps)
        ys.append(y)
        steps.append(t)
        conv.append(c)
    return np.array(ys), np.array(steps), np.array(conv)
