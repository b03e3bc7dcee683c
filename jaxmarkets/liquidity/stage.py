"""Equilibria of a bimatrix stage game: pure, every extreme one, and the continua.

Everything goes through the shared solvers (`jaxmarkets.equilibria`): the
liquidity games are degenerate (whole rows and columns of ties), so support
enumeration misses equilibria and only vertex enumeration finds them all.

For the trade rule with ties trading (`rules.stage_payoffs`) the structure is
known in closed form, and `closed_form_equilibria` writes it out so that the
solver can be tested against it for every B it can take (B <= 7) and the
theory command can go beyond:

  * player 1 never mixes: if its support had sizes a < b, player 2's best
    responses are all >= b (accepting b is worth b more), so a and b both trade
    for sure and b is strictly better;
  * if player 1 plays size k, player 2 is indifferent among sizes >= k (all
    give k) and any smaller size gives 0, so it mixes q over {k..B}; player 1
    keeps k iff m * P(a_2 >= m) <= k for every m > k;
  * so the equilibria are B disjoint maximal Nash subsets
    C_k = {k} x {q : supp q in {k..B}, P(a_2 >= m) <= k/m for m > k},
    each worth (k, k) to the players. In Q_m = P(a_2 >= m) coordinates a vertex
    of C_k splits {k+1..L} into consecutive blocks, each block at the value
    k / (its last size), and Q = 0 above L: 2^(B-k) vertices, 2^B - 1 extreme
    equilibria in all.
"""

from __future__ import annotations

import itertools

import numpy as np

from jaxmarkets.core import check_int
from jaxmarkets.equilibria import (
    bimatrix_equilibria,
    maximal_nash_subsets,
    pure_equilibrium_profiles,
)
from jaxmarkets.equilibria.payoffs import Bimatrix, as_bimatrix

# The vertex enumeration takes games up to C(2B, B) <= 5000 bases: B <= 7.
SOLVER_MAX_SIZES = 7


def analyse(payoffs) -> dict:
    """Pure equilibria, every extreme equilibrium and the maximal Nash subsets.

    payoffs: a `Bimatrix` (or pair) of concrete matrices. Returns a dict with
    `pure_equilibria` ([i, j] action indices), `equilibria` (the shared solver's
    dicts), `subsets` (one per maximal Nash subset: the indices of its extreme
    equilibria, its extreme row and column strategies, and `continuum`) and
    `components` (groups of subset indices that touch).
    """
    game = as_bimatrix(payoffs)
    A = np.asarray(game.row, np.float64)
    B = np.asarray(game.col, np.float64)
    eqs = bimatrix_equilibria(Bimatrix(A, B))
    pure = [list(p) for p in pure_equilibrium_profiles(Bimatrix(A, B))]
    return {"pure_equilibria": pure, "equilibria": eqs, **describe_subsets(eqs)}


def describe_subsets(eqs: list[dict]) -> dict:
    """The maximal Nash subsets of a complete list of extreme equilibria."""
    if not eqs:
        return {"subsets": [], "components": []}
    ns = maximal_nash_subsets(eqs)
    subsets = []
    for I, J in ns.subsets:
        members = [k for k, (i, j) in enumerate(ns.edges) if i in I and j in J]
        subsets.append({
            "extreme_equilibria": members,
            "rows": [ns.rows[i] for i in I],
            "cols": [ns.cols[j] for j in J],
            "continuum": len(I) > 1 or len(J) > 1,
        })
    return {"subsets": subsets, "components": [list(c) for c in ns.components]}


def closed_form_equilibria(n_sizes: int) -> list[dict]:
    """Every extreme equilibrium of the trade-rule game (ties trade), by the
    structure in the module docstring: row e_k, column the vertices of C_k.

    Ordered by k, then by the block structure; payoffs are (k, k) unscaled.
    """
    check_int("sizes", n_sizes, 2)
    B = n_sizes
    out = []
    for k in range(1, B + 1):
        row = np.zeros(B)
        row[k - 1] = 1.0
        for Q in _vertices_of_component(k, B):
            # Q[m] = P(a_2 >= m) for m = k..B+1 (Q[k] = 1, Q[B+1] = 0)
            col = np.zeros(B)
            for m in range(k, B + 1):
                col[m - 1] = Q[m] - Q[m + 1]
            out.append({"row": row.copy(), "col": col, "payoffs": np.array([float(k), float(k)])})
    return out


def _vertices_of_component(k: int, B: int):
    """Q vectors (dict m -> P(a_2 >= m)) of the vertices of C_k."""
    yield {**{k: 1.0}, **{m: 0.0 for m in range(k + 1, B + 2)}}  # L = k: size k for sure
    for L in range(k + 1, B + 1):
        inner = list(range(k + 1, L))  # a block may end after any of these
        for cuts in itertools.product((False, True), repeat=len(inner)):
            ends = [m for m, cut in zip(inner, cuts) if cut] + [L]
            Q = {k: 1.0, **{m: 0.0 for m in range(L + 1, B + 2)}}
            start = k + 1
            for end in ends:
                for m in range(start, end + 1):
                    Q[m] = k / end
                start = end + 1
            yield Q


def component_description(k: int, n_sizes: int, scale: float = 1.0) -> str:
    """One line for C_k of the trade-rule game."""
    if k == n_sizes:
        return f"size {k} for both: an isolated equilibrium worth {k * scale:g} to each"
    return (f"player 1 plays size {k}; player 2 any mix over sizes {k}..{n_sizes} with "
            f"P(size >= m) <= {k}/m for m = {k + 1}..{n_sizes}: a continuum worth "
            f"{k * scale:g} to each")
