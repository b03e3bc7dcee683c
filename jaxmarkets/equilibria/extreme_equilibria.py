"""All extreme Nash equilibria of a bimatrix game by vertex enumeration, in JAX.

With payoffs A, B rescaled into [1, 2] (which changes no equilibrium), the
best-response polytopes are

    P = {x in R^m : x >= 0, B^T x <= 1},    Q = {y in R^n : A y <= 1, y >= 0}.

Label k of a point of P or Q is constraint k being tight, numbered by the pure
strategy it speaks for: 0..m-1 are the row player's (x_i = 0 in P, (A y)_i = 1
in Q), m..m+n-1 the column player's ((B^T x)_j = 1 in P, y_j = 0 in Q). A pair
of non-zero vertices (x, y) whose labels together cover all m + n is an extreme
Nash equilibrium (x / sum x, y / sum y), and every extreme equilibrium is one
(Nisan et al. 2007, Thm 3.4 and Alg. 3.5).

The vertices are found by brute force, which is what makes degenerate games
exact: every choice of d tight constraints (d = m for P, n for Q) is solved, a
solution that is unique and feasible is a vertex, and its labels are *all* the
constraints tight at it, not only the chosen ones. A degenerate vertex (more than
d tight constraints) is found once per basis and kept once. Support enumeration
misses exactly the equilibria this keeps: those whose supports differ in size.

Shapes are static: C(m+n, d) candidate bases per polytope, at most `vertex_bound`
distinct vertices (McMullen's upper bound theorem), and a caller-chosen number
of equilibrium slots K. That is what lets `jit(vmap(vertex_enumeration))` solve
thousands of small games at once. The cost grows like C(m+n, m)^2; this is for
the small games (up to about 7 x 7, or 2 x 60) that market models produce.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.payoffs import Bimatrix, as_bimatrix, is_concrete
from jaxmarkets.equilibria.tolerances import polytope_tolerances

# Labels are bits of an int32. Each polytope has C(m+n, m) - 1 bases and their
# de-duplication compares every pair: 5000 bases (7 x 7 games) is 25M compares.
MAX_LABELS = 30
MAX_BASES = 5000


class PaddedEquilibria(NamedTuple):
    """K equilibrium slots of one game; slot k holds an equilibrium iff valid[k].

    Invalid slots are all zeros. `row_vertex`/`col_vertex` number the distinct
    vertices of P and Q, so two slots with the same `row_vertex` have the same
    row strategy exactly (no tolerance needed to build the graph of extreme
    equilibria). `n_found` counts every equilibrium found, also those that did
    not fit in K slots; `complete` is False when some did not fit.
    """

    row: jax.Array  # [K, m]
    col: jax.Array  # [K, n]
    payoffs: jax.Array  # [K, 2] (row player's, column player's) expected payoff
    valid: jax.Array  # [K] bool
    row_vertex: jax.Array  # [K] int32, -1 where invalid
    col_vertex: jax.Array  # [K] int32, -1 where invalid
    n_found: jax.Array  # () int32
    complete: jax.Array  # () bool


def vertex_bound(dim: int, n_constraints: int) -> int:
    """Most vertices a dim-polytope with n_constraints facets can have (McMullen)."""
    if n_constraints <= dim:
        return 1
    lo, hi = dim // 2, (dim + 1) // 2
    ubt = math.comb(n_constraints - hi, lo) + math.comb(n_constraints - lo - 1, hi - 1)
    return min(ubt, math.comb(n_constraints, dim))


def max_pairs(m: int, n: int) -> int:
    """Most extreme equilibria an m x n game can have: pairs of non-zero vertices."""
    return (vertex_bound(m, m + n) - 1) * (vertex_bound(n, m + n) - 1)


def default_max_equilibria(m: int, n: int) -> int:
    """Default number of equilibrium slots: 2 m n (32 for 4 x 4).

    A game with constant payoffs already has m n extreme equilibria (every pure
    profile). Among 6 x 10^4 random 4 x 4 games with integer payoffs in {0, 1},
    {0, 1, 2} and {0, ..., 4} the most any had was 22. The exact bound,
    (vertices of P - 1) (vertices of Q - 1), would pad every game to hundreds of
    slots (`max_pairs`); `n_found` says when K was too small.
    """
    return 2 * m * n


def _rescale(M):
    """Affine map of M onto [1, 2] (all ones if M is constant)."""
    lo, hi = jnp.min(M), jnp.max(M)
    span = hi - lo
    return jnp.where(span > 0, (M - lo) / jnp.where(span > 0, span, 1), 0) + 1


def _solve_ones(S, pivot_tol):
    """Solve S[c] z = 1 for every c of S [C, s, s] by Gauss-Jordan, partial pivoting.

    Returns z [C, s] and whether each system is regular (no pivot below
    pivot_tol). Written out rather than `jnp.linalg.solve` so that the singular
    test is the pivot itself; the long batch axis is minor so every step is a
    few fused element-wise ops, and the steps are a `fori_loop` so the compile
    time does not grow with s.
    """
    C, s, _ = S.shape
    if s == 1:
        ok = jnp.abs(S[:, 0, 0]) > pivot_tol
        return 1 / jnp.where(ok[:, None], S[:, :, 0], 1), ok
    if s == 2:
        # closed form with the same pivots: the first is the larger of |a|, |c|,
        # the second |det| / first
        a, b, c, d = S[:, 0, 0], S[:, 0, 1], S[:, 1, 0], S[:, 1, 1]
        first = jnp.maximum(jnp.abs(a), jnp.abs(c))
        det = a * d - b * c
        ok = (first > pivot_tol) & (jnp.abs(det) > pivot_tol * first)
        det = jnp.where(ok, det, 1)
        return jnp.stack([(d - b) / det, (a - c) / det], axis=1), ok
    aug = jnp.concatenate([S, jnp.ones((C, s, 1), S.dtype)], axis=-1)
    aug = jnp.transpose(aug, (1, 2, 0))  # [s, s+1, C]
    rows = jnp.arange(s)[:, None]

    def step(k, carry):
        aug, regular = carry
        col = lax.dynamic_index_in_dim(aug, k, axis=1, keepdims=False)  # [s, C]
        p = jnp.argmax(jnp.where(rows >= k, jnp.abs(col), -1.0), axis=0)
        at_p, at_k = rows == p[None, :], (rows == k)[:, :, None]
        prow = jnp.sum(jnp.where(at_p[:, None, :], aug, 0), axis=0)  # row p, [s+1, C]
        krow = lax.dynamic_index_in_dim(aug, k, axis=0, keepdims=True)
        aug = jnp.where(at_k, prow[None], jnp.where(at_p[:, None, :], krow, aug))  # swap
        pivot = lax.dynamic_index_in_dim(prow, k, axis=0, keepdims=False)
        ok = jnp.abs(pivot) > pivot_tol
        prow = prow / jnp.where(ok, pivot, 1)[None, :]
        colk = lax.dynamic_index_in_dim(aug, k, axis=1, keepdims=True)
        aug = jnp.where(at_k, prow[None], aug - colk * prow[None])
        return aug, regular & ok

    aug, regular = lax.fori_loop(0, s, step, (aug, jnp.ones(C, bool)))
    return aug[:, s, :].T, regular


def _vertices(M, nonneg_labels, bound_labels, n_slots, tol):
    """Distinct non-zero vertices of {z in R^d : z >= 0, M z <= 1}, in n_slots.

    A non-zero vertex has support S and tight rows J of M with |S| = |J| = s >= 1
    and M[J, S] regular: z_S = M[J, S]^-1 1, z = 0 off S (the other d - s tight
    constraints are z_i = 0). Bases are grouped by s so that each group is a
    batch of s x s systems; that is C(d+k, d) - 1 systems in all, far fewer
    flops than solving every basis as a d x d system. Label of z_i = 0 is
    nonneg_labels[i], of (M z)_j = 1 is bound_labels[j].

    Returns (z [n_slots, d], label bitmasks [n_slots], valid [n_slots], count).
    """
    k, d = M.shape
    zs = []
    for s in range(1, min(k, d) + 1):
        supports = list(itertools.combinations(range(d), s))
        tights = list(itertools.combinations(range(k), s))
        S_idx = np.array([sup for _ in tights for sup in supports], np.int32)  # [C, s]
        J_idx = np.array([t for t in tights for _ in supports], np.int32)
        z_S, regular = _solve_ones(M[J_idx[:, :, None], S_idx[:, None, :]], tol.pivot)
        embed = (S_idx[:, :, None] == np.arange(d)[None, None, :])  # [C, s, d]
        z = jnp.sum(jnp.where(embed, z_S[:, :, None], 0), axis=1)
        zs.append(jnp.where(regular[:, None], z, -1.0))  # -1: infeasible below
    z = jnp.concatenate(zs)  # [C, d]
    slack = 1 - z @ M.T  # [C, k]
    feasible = jnp.all(z >= -tol.tight, axis=1) & jnp.all(slack >= -tol.tight, axis=1)
    bits_z = jnp.left_shift(1, jnp.asarray(nonneg_labels, jnp.int32))
    bits_M = jnp.left_shift(1, jnp.asarray(bound_labels, jnp.int32))
    labels = (jnp.sum(jnp.where(jnp.abs(z) <= tol.tight, bits_z, 0), axis=1)
              + jnp.sum(jnp.where(jnp.abs(slack) <= tol.tight, bits_M, 0), axis=1))
    # A vertex is the only point of P where its tight constraints are all tight,
    # so two bases give the same vertex iff they give the same label set: the
    # de-duplication is an exact integer comparison.
    C = z.shape[0]
    earlier = np.tril(np.ones((C, C), bool), -1)  # earlier[a, b]: b < a
    repeat = jnp.any((labels[:, None] == labels[None, :]) & earlier & feasible[None, :], axis=1)
    keep = feasible & ~repeat
    idx, count = _compact(keep, n_slots)
    valid = jnp.arange(n_slots) < count
    return z[idx], jnp.where(valid, labels[idx], 0), valid, count


def _compact(mask, size: int):
    """Indices of the first `size` True entries of mask (0 past the count), and
    the count. A cumsum and a dropping scatter: as fast as `jnp.nonzero(size=)`
    at run time and cheaper to compile."""
    pos = jnp.cumsum(mask) - 1
    slot = jnp.where(mask, pos, size)  # slot `size` and beyond are dropped
    idx = jnp.zeros(size, jnp.int32).at[slot].set(jnp.arange(mask.shape[0], dtype=jnp.int32), mode="drop")
    return idx, jnp.sum(mask)


def _check_sizes(m: int, n: int, max_equilibria) -> int:
    bases = math.comb(m + n, m)
    if m + n > MAX_LABELS or bases > MAX_BASES:
        raise InputError(
            f"payoffs has shape ({m}, {n}); vertex enumeration takes m + n <= {MAX_LABELS} and "
            f"C(m+n, m) <= {MAX_BASES} bases per polytope (here {bases}), about 7 x 7 at most"
        )
    K = default_max_equilibria(m, n) if max_equilibria is None else max_equilibria
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise InputError(f"max_equilibria = {max_equilibria!r} must be an integer in [1, inf]")
    return int(K)


def _enumerate(row, col, max_equilibria: int) -> PaddedEquilibria:
    m, n = row.shape
    tol = polytope_tolerances(row.dtype)
    A, B = _rescale(row), _rescale(col)
    row_labels, col_labels = np.arange(m), m + np.arange(n)
    V_P, V_Q = vertex_bound(m, m + n) - 1, vertex_bound(n, m + n) - 1
    x, lab_x, ok_x, count_x = _vertices(B.T, row_labels, col_labels, V_P, tol)
    y, lab_y, ok_y, count_y = _vertices(A, col_labels, row_labels, V_Q, tol)

    full = (1 << (m + n)) - 1
    pairs = ok_x[:, None] & ok_y[None, :] & ((lab_x[:, None] | lab_y[None, :]) == full)
    K = max_equilibria
    flat, n_found = _compact(pairs.ravel(), K)
    valid = jnp.arange(K) < n_found
    a, b = flat // V_Q, flat % V_Q
    xs, ys = x[a], y[b]
    xs = xs / jnp.sum(xs, axis=1, keepdims=True)
    ys = ys / jnp.sum(ys, axis=1, keepdims=True)
    pay = jnp.stack([jnp.einsum("ki,ij,kj->k", xs, row, ys), jnp.einsum("ki,ij,kj->k", xs, col, ys)], 1)
    zero = lambda v: jnp.where(valid.reshape((K,) + (1,) * (v.ndim - 1)), v, 0)  # noqa: E731
    complete = (n_found <= K) & (count_x <= V_P) & (count_y <= V_Q)
    return PaddedEquilibria(
        row=zero(xs), col=zero(ys), payoffs=zero(pay), valid=valid,
        row_vertex=jnp.where(valid, a, -1).astype(jnp.int32),
        col_vertex=jnp.where(valid, b, -1).astype(jnp.int32),
        n_found=n_found.astype(jnp.int32), complete=complete,
    )


def vertex_enumeration(payoffs, max_equilibria: int | None = None) -> PaddedEquilibria:
    """All extreme Nash equilibria of one bimatrix game, padded to K slots.

    payoffs: `Bimatrix(row=A, col=B)` or (A, B), both [m, n] float arrays.
    max_equilibria: K, static; default `default_max_equilibria(m, n)`.

    jit- and vmap-able: `jax.jit(jax.vmap(vertex_enumeration))(Bimatrix(As, Bs))`
    solves a batch [G, m, n] (or use `vertex_enumeration_batch`, which validates
    first). Computes in the payoffs' dtype: call it under `jax.enable_x64(True)`
    with float64 payoffs for the exact results (see `tolerances.py`). Slots hold
    equilibria in the order of (row vertex, column vertex); check `complete`.
    """
    game = as_bimatrix(payoffs)
    m, n = np.shape(game.row)
    K = _check_sizes(m, n, max_equilibria)
    row, col = _float_pair(game)
    if is_concrete(row) and is_concrete(col):
        return _one_game()(row, col, max_equilibria=K)
    return _enumerate(row, col, K)  # traced by the caller's jit/vmap


def vertex_enumeration_batch(payoffs, max_equilibria: int | None = None) -> PaddedEquilibria:
    """`vertex_enumeration` over a batch of games [G, m, n], validated once, in one
    `jit(vmap(...))`; every field gains a leading axis G."""
    game = as_bimatrix(payoffs, batch_dims=1)
    _, m, n = np.shape(game.row)
    K = _check_sizes(m, n, max_equilibria)
    return _batched(K)(Bimatrix(*_float_pair(game)))


def _float_pair(game: Bimatrix):
    # Integer payoffs become the default float (float64 under enable_x64); a
    # Python float is weakly typed, so float32 payoffs stay float32.
    row, col = jnp.asarray(game.row), jnp.asarray(game.col)
    dtype = jnp.result_type(row, col, float)
    return row.astype(dtype), col.astype(dtype)


@functools.cache
def _one_game():
    # One game alone is compiled with LLVM's optimisations off on a CPU: that
    # halves a compile of seconds, and the run stays in microseconds. Under a
    # caller's jit (as in `_batched`) `_enumerate` is traced into the caller's
    # computation instead, fully optimised where the run time matters.
    options = {"xla_backend_optimization_level": 0} if jax.default_backend() == "cpu" else None
    return jax.jit(_enumerate, static_argnames="max_equilibria", compiler_options=options)


@functools.cache
def _batched(max_equilibria: int):
    # exactly what a caller would write: the public function under jit(vmap)
    return jax.jit(jax.vmap(functools.partial(vertex_enumeration, max_equilibria=max_equilibria)))
