"""Bimatrix equilibria on games solved by hand, in float64.

Every equilibrium returned is also checked for profitable pure deviations with
plain NumPy, independently of the solver.
"""

import jax
import numpy as np
import pytest

from jaxmarkets.equilibria import (
    Bimatrix,
    bimatrix_equilibria,
    has_continuum,
    maximal_nash_subsets,
    pure_equilibrium_profiles,
    symmetric_equilibria,
)


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def assert_is_equilibrium(A, B, x, y, tol=1e-9):
    """No pure deviation gains: x'Ay >= max_i (Ay)_i and x'By >= max_j (x'B)_j."""
    assert np.all(x >= 0) and np.all(y >= 0)
    assert abs(x.sum() - 1) < tol and abs(y.sum() - 1) < tol
    assert x @ A @ y >= np.max(A @ y) - tol
    assert x @ B @ y >= np.max(x @ B) - tol


def as_set(eqs):
    return sorted((tuple(np.round(e["row"], 9)), tuple(np.round(e["col"], 9))) for e in eqs)


def check_all(A, B, eqs):
    for e in eqs:
        assert_is_equilibrium(A, B, e["row"], e["col"])
        np.testing.assert_allclose(e["payoffs"], [e["row"] @ A @ e["col"], e["row"] @ B @ e["col"]], atol=1e-12)


def test_matching_pennies_has_only_the_uniform_equilibrium():
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    eqs = bimatrix_equilibria((A, -A))
    assert len(eqs) == 1
    np.testing.assert_allclose(eqs[0]["row"], [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(eqs[0]["col"], [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(eqs[0]["payoffs"], [0.0, 0.0], atol=1e-12)
    assert pure_equilibrium_profiles((A, -A)) == []
    assert not has_continuum(eqs)


def test_battle_of_the_sexes_two_pure_and_one_mixed():
    # Mixed equilibrium by hand: column indifferent between L and R when
    # 1 * x_T = 2 * x_B, so x = (2/3, 1/3); row indifferent when 2 y_L = 1 y_R,
    # so y = (1/3, 2/3); both then earn 2/3.
    A = np.array([[2.0, 0.0], [0.0, 1.0]])
    B = np.array([[1.0, 0.0], [0.0, 2.0]])
    eqs = bimatrix_equilibria(Bimatrix(A, B))
    check_all(A, B, eqs)
    want = [((1, 0), (1, 0), (2, 1)), ((0, 1), (0, 1), (1, 2)), ((2 / 3, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 2 / 3))]
    assert len(eqs) == 3
    for x, y, pay in want:
        hit = [e for e in eqs if np.allclose(e["row"], x, atol=1e-12) and np.allclose(e["col"], y, atol=1e-12)]
        assert len(hit) == 1
        np.testing.assert_allclose(hit[0]["payoffs"], pay, atol=1e-12)
    assert pure_equilibrium_profiles((A, B)) == [(0, 0), (1, 1)]


def test_prisoners_dilemma_defect_defect_only():
    A = np.array([[3.0, 0.0], [5.0, 1.0]])  # rows: cooperate, defect
    eqs = bimatrix_equilibria((A, A.T))
    assert as_set(eqs) == [((0.0, 1.0), (0.0, 1.0))]
    np.testing.assert_allclose(eqs[0]["payoffs"], [1.0, 1.0])
    assert pure_equilibrium_profiles((A, A.T)) == [(1, 1)]
    assert [list(e["row"]) for e in symmetric_equilibria(A)] == [[0.0, 1.0]]


# A 3 x 3 degenerate coordination game whose first two actions are copies:
#     A = B = [[1, 1, 0], [1, 1, 0], [0, 0, 2]].
# By hand. Against y, rows 1 and 2 both earn y1 + y2 = 1 - y3 and row 3 earns 2 y3;
# the column player's payoffs are the same function of x.
# * If x3 < 1/3 the column player only uses columns 1, 2 (payoff 1 - x3 > 2 x3), so
#   y3 = 0 and the row player only uses rows 1, 2: every (x, y) on {1,2} x {1,2} is an
#   equilibrium, the square conv{e1, e2} x conv{e1, e2} with 4 extreme points.
# * If x3 > 1/3 the column player plays 3, so the row player plays 3: (e3, e3).
# * x3 = 1/3 needs the row player indifferent, so y3 = 1/3 too: x = (a, 2/3 - a, 1/3),
#   y = (b, 2/3 - b, 1/3) for any a, b in [0, 2/3], a square with 4 extreme points.
# So 9 extreme equilibria in three maximal Nash subsets (2x2, 1x1, 2x2 bicliques),
# which share no extreme strategy: three components, two of them continua.
def test_degenerate_3x3_continuum_by_hand():
    A = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    eqs = bimatrix_equilibria((A, A))
    check_all(A, A, eqs)
    e1, e2, e3 = np.eye(3)
    m1, m2 = np.array([2 / 3, 0, 1 / 3]), np.array([0, 2 / 3, 1 / 3])
    want = [(x, y) for x in (e1, e2) for y in (e1, e2)] + [(e3, e3)] + [(x, y) for x in (m1, m2) for y in (m1, m2)]
    assert as_set(eqs) == as_set([{"row": x, "col": y} for x, y in want])

    subsets = maximal_nash_subsets(eqs)
    assert has_continuum(eqs)
    assert sorted((len(I), len(J)) for I, J in subsets.subsets) == [(1, 1), (2, 2), (2, 2)]
    assert len(subsets.components) == 3
    got = {frozenset(tuple(np.round(subsets.rows[i], 9)) for i in I) for I, _ in subsets.subsets}
    assert got == {frozenset({tuple(e1), tuple(e2)}), frozenset({tuple(e3)}),
                   frozenset({tuple(np.round(m1, 9)), tuple(np.round(m2, 9))})}
    # each maximal subset is a product of convex hulls: a random point of it is an equilibrium
    rng = np.random.default_rng(0)
    for I, J in subsets.subsets:
        wx, wy = rng.dirichlet(np.ones(len(I))), rng.dirichlet(np.ones(len(J)))
        assert_is_equilibrium(A, A, wx @ subsets.rows[list(I)], wy @ subsets.cols[list(J)])
    assert pure_equilibrium_profiles((A, A)) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]


def test_connected_component_of_three_overlapping_subsets():
    # The row player is indifferent everywhere; the column player matches the row
    # player's more likely action. Equilibria: x1 > 1/2 with y = e1, x1 < 1/2 with
    # y = e2, and x = (1/2, 1/2) with any y. Extreme: (e1, e1), (h, e1), (h, e2),
    # (e2, e2) with h = (1/2, 1/2); maximal Nash subsets {e1, h} x {e1},
    # {h} x {e1, e2}, {h, e2} x {e2}, all in one component.
    A, B = np.zeros((2, 2)), np.eye(2)
    eqs = bimatrix_equilibria((A, B))
    check_all(A, B, eqs)
    h, e1, e2 = np.array([0.5, 0.5]), np.eye(2)[0], np.eye(2)[1]
    assert as_set(eqs) == as_set([{"row": x, "col": y} for x, y in [(e1, e1), (h, e1), (h, e2), (e2, e2)]])
    subsets = maximal_nash_subsets(eqs)
    assert sorted((len(I), len(J)) for I, J in subsets.subsets) == [(1, 2), (2, 1), (2, 1)]
    assert subsets.components == [[0, 1, 2]]


def test_constant_game_every_pure_profile_in_one_maximal_subset():
    # With equal payoffs every profile is an equilibrium: the extreme ones are the
    # 9 pure profiles, all interchangeable, so one maximal Nash subset.
    eqs = bimatrix_equilibria((np.ones((3, 3)), np.full((3, 3), -2.0)))
    assert as_set(eqs) == as_set([{"row": np.eye(3)[i], "col": np.eye(3)[j]} for i in range(3) for j in range(3)])
    subsets = maximal_nash_subsets(eqs)
    assert subsets.subsets == [((0, 1, 2), (0, 1, 2))]
    assert has_continuum(eqs)


def test_symmetric_equilibria_of_hawk_dove():
    # Payoff of the own action against the other's (hawk, dove):
    # hawk-hawk 0, hawk-dove 3, dove-hawk 1, dove-dove 2. The symmetric mixed
    # equilibrium makes hawk and dove equal: 3 (1 - p) = p + 2 (1 - p), p = 1/2;
    # the two pure equilibria (hawk, dove) and (dove, hawk) are not symmetric.
    A = np.array([[0.0, 3.0], [1.0, 2.0]])
    sym = symmetric_equilibria(A)
    assert len(sym) == 1
    np.testing.assert_allclose(sym[0]["row"], [0.5, 0.5], atol=1e-12)
    assert len(bimatrix_equilibria((A, A.T))) == 3
    assert len(symmetric_equilibria(Bimatrix(A, A.T))) == 1


def test_one_row_and_one_by_one_games():
    eqs = bimatrix_equilibria((np.array([[1.0, 2.0, 2.0]]), np.array([[0.0, 1.0, 1.0]])))
    assert as_set(eqs) == [((1.0,), (0.0, 0.0, 1.0)), ((1.0,), (0.0, 1.0, 0.0))]
    eqs = bimatrix_equilibria((np.array([[5.0]]), np.array([[-3.0]])))
    assert as_set(eqs) == [((1.0,), (1.0,))]
    np.testing.assert_allclose(eqs[0]["payoffs"], [5.0, -3.0])
