"""Bimatrix games in plain Python: lists of cleaned equilibria.

`bimatrix_equilibria` runs the JAX vertex enumeration once in float64 and
returns its equilibria as NumPy arrays with probabilities cleaned (below
`ZERO_PROBABILITY` set to 0, renormalised, rounded to `ROUND_DECIMALS`), so that a
hand-derived 1/3 compares equal within 1e-12 and a pure strategy is exactly a
unit vector. The order is the JAX function's: by row vertex, then column vertex.
"""

from __future__ import annotations

import jax
import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.payoffs import Bimatrix, as_bimatrix, check_matrix
from jaxmarkets.equilibria.tolerances import ROUND_DECIMALS, SAME_STRATEGY, ZERO_PROBABILITY
from jaxmarkets.equilibria.extreme_equilibria import _check_sizes, max_pairs, vertex_enumeration


def _clean(p: np.ndarray) -> np.ndarray:
    p = np.where(p < ZERO_PROBABILITY, 0.0, p)
    p = np.round(p / p.sum(), ROUND_DECIMALS)
    return p + 0.0  # no -0.0


def _concrete_game(payoffs) -> Bimatrix:
    game = as_bimatrix(payoffs)
    return Bimatrix(np.asarray(game.row, np.float64), np.asarray(game.col, np.float64))


def bimatrix_equilibria(payoffs) -> list[dict]:
    """All extreme Nash equilibria of a bimatrix game, exact on degenerate games.

    payoffs: `Bimatrix(row=A, col=B)` or (A, B), A and B [m, n].
    Returns a list of {"row": x [m], "col": y [n], "payoffs": [x'Ay, x'By]}. The
    set of all equilibria is the union of conv(X) x conv(Y) over the maximal
    Nash subsets (see `maximal_nash_subsets`); when the game is non-degenerate
    these are just the returned points.
    """
    game = _concrete_game(payoffs)
    m, n = game.row.shape
    _check_sizes(m, n, None)
    with jax.enable_x64(True):
        # One game: pad to every pair of vertices, so nothing can be cut off and
        # each shape compiles once.
        out = vertex_enumeration(game, max_pairs(m, n))
    if not bool(out.complete):
        raise RuntimeError(
            "vertex enumeration found more distinct vertices than a polytope can have; "
            "the payoffs are too badly conditioned for the tolerances in tolerances.py"
        )
    result = []
    for k in np.flatnonzero(np.asarray(out.valid)):
        x, y = _clean(np.asarray(out.row[k])), _clean(np.asarray(out.col[k]))
        result.append({"row": x, "col": y,
                       "payoffs": np.array([x @ game.row @ y, x @ game.col @ y])})
    return result


def symmetric_equilibria(payoffs) -> list[dict]:
    """The extreme symmetric equilibria (x, x) of a symmetric two-player game.

    payoffs: a square matrix A (a player's payoff for its own action i against
    the other's j; the column player's matrix is then A^T), or a `Bimatrix` with
    col = row^T. A symmetric equilibrium x is a completely labelled vertex of
    the one polytope {x >= 0 : A x <= 1}, so (x, x) is a pair of vertices of the
    two (equal) best-response polytopes: the symmetric extreme equilibria are the
    extreme equilibria with row = col, and filtering them loses none.
    """
    if isinstance(payoffs, (Bimatrix, tuple, list)) and len(payoffs) == 2 and np.ndim(payoffs[0]) == 2:
        game = _concrete_game(payoffs)
        _check_square("payoffs.row", game.row)
        if not np.allclose(game.col, game.row.T, rtol=0, atol=SAME_STRATEGY * max(1.0, np.abs(game.row).max())):
            raise InputError("payoffs.col is not payoffs.row transposed; a symmetric game needs "
                             "col[i, j] = row[j, i]")
    else:
        A = np.asarray(check_matrix("payoffs", payoffs), np.float64)
        _check_square("payoffs", A)
        game = Bimatrix(A, A.T)
    return [e for e in bimatrix_equilibria(game)
            if np.max(np.abs(e["row"] - e["col"])) <= SAME_STRATEGY]


def _check_square(name: str, M) -> None:
    if M.shape[0] != M.shape[1]:
        raise InputError(f"{name} has shape {M.shape}; expected a square matrix [m, m]: both "
                         "players of a symmetric game have the same actions")
