"""The Stackelberg variant (paper 002, Section 5): player 1 commits first.

The leader (player 1, the initiator) commits to a strategy, player 2 sees it
(not player 1's type, which here is known anyway) and best-responds; ties
among player 2's best responses are broken in the leader's favour (the
*strong* Stackelberg equilibrium, the usual convention: any other tie-break
has no optimum in general).

Two commitments:
  pure    the leader commits to one action (the subgame-perfect outcome of the
          game where player 2 moves second and sees the action);
  mixed   the leader commits to a mixed strategy x. For each response profile
          r (one follower action per follower type), the best x making r a
          best response is a linear programme over the polytope
          {x in simplex : x B_t[:, r_t] >= x B_t[:, j] for all t, j}; its
          optimum is at a vertex, and the vertices of these small polytopes are
          found exactly by brute force (every choice of m - 1 tight constraints)
          (Conitzer & Sandholm 2006, the multiple-LPs method; with follower
          types it is the Bayesian version of Paruchuri et al. 2008).

Payoffs are given per follower type: A[t], B[t] are [m, n] matrices of the
leader's and the follower's payoffs against a follower of type t, with
probability prior[t]. A complete-information game is one type.
"""

from __future__ import annotations

import itertools

import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.payoffs import check_matrix

TOL = 1e-9  # feasibility and tie tolerance, relative to the payoff range


def _typed(A, B, prior):
    A = np.asarray(A, np.float64)
    B = np.asarray(B, np.float64)
    if A.ndim == 2:
        A, B = A[None], B[None]
    for name, M in (("payoffs.row", A), ("payoffs.col", B)):
        for t in range(M.shape[0]):
            check_matrix(name, M[t])
    if A.shape != B.shape:
        raise InputError(f"payoffs.col has shape {B.shape}; expected {A.shape}, the shape of payoffs.row")
    w = np.ones(A.shape[0]) if prior is None else np.asarray(prior, np.float64).reshape(-1)
    if w.shape != (A.shape[0],) or np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
        raise InputError(f"prior = {w.tolist()} must be {A.shape[0]} probabilities summing to 1")
    return A, B, w


def pure_commitment(A, B, prior=None) -> dict:
    """Leader commits to the action that is best given each follower type's
    best response (ties in the leader's favour)."""
    A, B, w = _typed(A, B, prior)
    scale = max(1.0, np.abs(B).max())
    best = None
    for i in range(A.shape[1]):
        lead = follow = 0.0
        responses = []
        for t in range(A.shape[0]):
            brs = np.flatnonzero(B[t, i] >= B[t, i].max() - TOL * scale)
            j = brs[np.argmax(A[t, i, brs])]
            responses.append(int(j))
            lead += w[t] * A[t, i, j]
            follow += w[t] * B[t, i, j]
        if best is None or lead > best["payoffs"][0] + TOL * scale:
            x = np.zeros(A.shape[1])
            x[i] = 1.0
            best = {"leader": x, "responses": responses, "payoffs": np.array([lead, follow])}
    return best


def mixed_commitment(A, B, prior=None) -> dict:
    """The strong Stackelberg equilibrium with mixed commitment (exact).

    Returns {"leader": x [m], "responses": r (one follower action per type),
    "payoffs": [leader, follower] expected}.
    """
    A, B, w = _typed(A, B, prior)
    T, m, n = A.shape
    scale = max(1.0, np.abs(A).max(), np.abs(B).max())
    best = None
    for r in itertools.product(range(n), repeat=T):
        # constraints G x >= 0: x_i >= 0, and x (B_t[:, r_t] - B_t[:, j]) >= 0
        G = [np.eye(m)]
        for t in range(T):
            G.append((B[t][:, [r[t]]] - B[t]).T[[j for j in range(n) if j != r[t]]])
        G = np.concatenate(G)
        value = sum(w[t] * A[t][:, r[t]] for t in range(T))
        for x in _vertices(G, m, scale):
            v = float(value @ x)
            if best is None or v > best["payoffs"][0] + TOL * scale:
                follow = float(sum(w[t] * x @ B[t][:, r[t]] for t in range(T)))
                best = {"leader": x, "responses": list(r), "payoffs": np.array([v, follow])}
    return best


def _vertices(G: np.ndarray, m: int, scale: float):
    """Vertices of {x : sum x = 1, G x >= 0} by every choice of m - 1 tight rows."""
    seen = []
    for rows in itertools.combinations(range(G.shape[0]), m - 1):
        M = np.vstack([np.ones((1, m)), G[list(rows)]])
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        x = np.linalg.solve(M, np.eye(m)[0])
        if np.all(G @ x >= -TOL * scale) and np.all(x >= -TOL):
            x = np.clip(x, 0.0, None)
            x = x / x.sum()
            if not any(np.max(np.abs(x - y)) < 1e-9 for y in seen):
                seen.append(x)
                yield x
