"""The batched JAX vertex enumeration against nashpy.

Random games with integer payoffs in a small range are degenerate almost always
(ties between pure best responses), the case where support enumeration misses
equilibria. nashpy is the independent reference: its vertex enumeration finds
vertices with qhull's halfspace intersection, not by solving bases.
"""

import jax
import nashpy
import numpy as np
import pytest

from jaxmarkets.equilibria import Bimatrix, vertex_enumeration_batch

TOL = 1e-9


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def random_games(seed, n_games, m, n, payoff_range=None):
    rng = np.random.default_rng(seed)
    if payoff_range is None:
        return rng.normal(size=(n_games, m, n)), rng.normal(size=(n_games, m, n))
    draw = lambda: rng.integers(0, payoff_range, (n_games, m, n)).astype(np.float64)  # noqa: E731
    return draw(), draw()


def nashpy_equilibria(A, B):
    """nashpy's vertex enumeration; payoffs shifted to >= 1 (nashpy only lifts
    negative payoffs, and a zero column leaves its polytope unbounded)."""
    return list(nashpy.Game(A - A.min() + 1, B - B.min() + 1).vertex_enumeration())


def same_set(ours, theirs, tol=TOL):
    """Order-independent equality within tol; duplicates (nashpy repeats a
    degenerate vertex once per simplex qhull puts around it) are merged."""
    def covered(P, Q):
        return all(any(np.max(np.abs(p[0] - q[0])) <= tol and np.max(np.abs(p[1] - q[1])) <= tol
                       for q in Q) for p in P)
    return covered(ours, theirs) and covered(theirs, ours)


def no_profitable_deviation(A, B, x, y, tol=TOL):
    return (x @ A @ y >= np.max(A @ y) - tol) and (x @ B @ y >= np.max(x @ B) - tol)


def slots(out, g):
    """The (row, col) equilibria in the valid slots of game g."""
    return [(out.row[g][k], out.col[g][k]) for k in np.flatnonzero(out.valid[g])]


def mixed_4x4_games():
    """16 degenerate games (payoffs in {0, 1, 2}) and 8 generic real-valued ones,
    one batch so that one compiled shape serves both."""
    A, B = random_games(0, 16, 4, 4, 3)
    C, D = random_games(1, 8, 4, 4)
    return np.concatenate([A, C]), np.concatenate([B, D])


@pytest.mark.parametrize("games", [mixed_4x4_games, lambda: random_games(2, 20, 3, 3, 2)],
                         ids=["4x4-degenerate-and-generic", "3x3-binary"])
def test_batch_matches_nashpy_on_random_games(games):
    A, B = games()
    out = jax.tree.map(np.asarray, vertex_enumeration_batch(Bimatrix(A, B)))
    assert out.complete.all()
    for g in range(len(A)):
        ours = slots(out, g)
        assert len(ours) == out.n_found[g] >= 1  # every finite game has one
        assert same_set(ours, nashpy_equilibria(A[g], B[g])), g
        for x, y in ours:
            assert no_profitable_deviation(A[g], B[g], x, y)
        np.testing.assert_allclose(out.payoffs[g][out.valid[g]], [[x @ A[g] @ y, x @ B[g] @ y] for x, y in ours],
                                   atol=1e-12)
