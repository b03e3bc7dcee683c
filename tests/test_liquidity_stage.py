"""Paper 002, Section 4.1: the trade rule's stage game and all its equilibria,
against hand derivation, the closed form and nashpy (random degenerate games)."""

import jax
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidity import stackelberg, stage
from jaxmarkets.liquidity.rules import stage_payoffs, typed_size_payoffs


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def as_set(eqs):
    return sorted((tuple(np.round(e["row"], 9)), tuple(np.round(e["col"], 9))) for e in eqs)


def is_equilibrium(A, B, x, y, tol=1e-9):
    return x @ A @ y >= np.max(A @ y) - tol and x @ B @ y >= np.max(x @ B) - tol


def test_printed_matrices_follow_from_the_rule():
    # Section 4.1 prints rows a_i = 2, 1 and columns a_j = -2, -1: (2,2) (0,0) / (1,1) (1,1)
    g = stage_payoffs(2)
    printed = np.array([[2, 0], [1, 1]])[::-1, ::-1]  # to increasing size
    np.testing.assert_array_equal(g.row, printed)
    np.testing.assert_array_equal(g.col, printed)
    # B = 3: player 1 trades its size iff player 2's is at least as large
    np.testing.assert_array_equal(stage_payoffs(3).row, [[1, 1, 1], [0, 2, 2], [0, 0, 3]])
    # the literal text ("less than") would not trade on the diagonal
    np.testing.assert_array_equal(stage_payoffs(2, "no_trade").row, [[0, 1], [0, 0]])


def test_two_sizes_by_hand():
    # Row size 1 guarantees 1; size 2 pays 2 q where q = P(player 2 plays 2).
    # Player 2 gets 1 + p or 1 - p (p = P(player 1 plays 2)), so it is
    # indifferent only at p = 0; then player 1 keeps size 1 iff q <= 1/2.
    # Equilibria: (2, 2) and the segment {size 1} x {q in [0, 1/2]}, whose end
    # q = 1/2 is the paper's "mixed equilibrium".
    a = stage.analyse(stage_payoffs(2))
    assert a["pure_equilibria"] == [[0, 0], [1, 1]]
    assert as_set(a["equilibria"]) == [((0.0, 1.0), (0.0, 1.0)), ((1.0, 0.0), (0.5, 0.5)), ((1.0, 0.0), (1.0, 0.0))]
    continua = [s for s in a["subsets"] if s["continuum"]]
    assert len(continua) == 1 and len(continua[0]["cols"]) == 2 and len(a["subsets"]) == 2


def test_three_sizes_by_hand_and_the_paper_mixed_point():
    # Player 1 at size 1 is kept iff 2 (q2 + q3) <= 1 and 3 q3 <= 1: the
    # polygon with vertices (1,0,0), (1/2,1/2,0), (1/2,1/6,1/3), (2/3,0,1/3).
    # Size 2 is kept iff 3 q3 <= 2 on {2, 3}: (0,1,0), (0,1/3,2/3). Size 3 alone.
    a = stage.analyse(stage_payoffs(3))
    want = sorted([
        ((1.0, 0.0, 0.0), (1.0, 0.0, 0.0)), ((1.0, 0.0, 0.0), (0.5, 0.5, 0.0)),
        ((1.0, 0.0, 0.0), tuple(np.round([0.5, 1 / 6, 1 / 3], 9))),
        ((1.0, 0.0, 0.0), tuple(np.round([2 / 3, 0.0, 1 / 3], 9))),
        ((0.0, 1.0, 0.0), (0.0, 1.0, 0.0)), ((0.0, 1.0, 0.0), tuple(np.round([0.0, 1 / 3, 2 / 3], 9))),
        ((0.0, 0.0, 1.0), (0.0, 0.0, 1.0)),
    ])
    assert as_set(a["equilibria"]) == want
    assert a["pure_equilibria"] == [[0, 0], [1, 1], [2, 2]]  # the diagonal, as the paper says
    assert len(a["subsets"]) == 3 and [s["continuum"] for s in a["subsets"]] == [True, True, False]
    # the paper's q = (1/2, 1/6, 1/3) with p1 = 1 is one extreme point of the
    # first continuum; its "probability increases with decreasing size" fails there
    q = np.array([0.5, 1 / 6, 1 / 3])
    assert is_equilibrium(*stage_payoffs(3), np.array([1.0, 0, 0]), q)
    assert q[2] > q[1]


@pytest.mark.parametrize("B", [2, 3, 4])
def test_closed_form_equals_the_solver(B):
    a = stage.analyse(stage_payoffs(B))
    closed = stage.closed_form_equilibria(B)
    assert as_set(a["equilibria"]) == as_set(closed)
    assert len(closed) == 2 ** B - 1


@pytest.mark.parametrize("B", [8, 10])
def test_closed_form_beyond_the_solver_is_a_set_of_distinct_equilibria(B):
    g = stage_payoffs(B)
    eqs = stage.closed_form_equilibria(B)
    assert len(eqs) == len(set(as_set(eqs))) == 2 ** B - 1
    for e in eqs:
        assert is_equilibrium(g.row, g.col, e["row"], e["col"])
        assert abs(e["payoffs"][0] - e["row"] @ g.row @ e["col"]) < 1e-12


def _random_liquidity_games(rng, n, size):
    """Degenerate games of the liquidity family: random integer parcel sizes per
    player (many ties) through the trade rule, and random small-integer games."""
    games = []
    for g in range(n):
        if g % 2 == 0:
            s1 = np.sort(rng.integers(1, 4, size)).astype(float)
            s2 = np.sort(rng.integers(1, 4, size)).astype(float)
            V = np.where(s1[:, None] <= s2[None, :], s1[:, None], 0.0)
            games.append((V, V * rng.integers(1, 3)))
        else:
            games.append((rng.integers(0, 3, (size, size)).astype(float),
                          rng.integers(0, 3, (size, size)).astype(float)))
    return games


def test_random_degenerate_games_agree_with_nashpy():
    nashpy = pytest.importorskip("nashpy")
    rng = np.random.default_rng(2)
    # 4 x 4 like the closed-form test above, so the solver compiles once
    for k, (A, B) in enumerate(_random_liquidity_games(rng, 24, 4)):
        ours = {(tuple(np.round(e["row"], 7)), tuple(np.round(e["col"], 7)))
                for e in stage.analyse((A, B))["equilibria"]}
        theirs = {(tuple(np.round(x, 7)), tuple(np.round(y, 7)))
                  for x, y in nashpy.Game(A + 1, B + 1).vertex_enumeration()}
        assert ours == theirs, k


def test_typed_sizes_cap_a_small_maker_at_its_holding():
    pay = typed_size_payoffs(3, small_holding=1)
    # a small initiator always offers 1, which every responder accepts
    np.testing.assert_array_equal(pay[1, 0, :, :, 0], np.ones((3, 3)))
    # a large initiator's size 2 or 3 is refused by a small responder
    np.testing.assert_array_equal(pay[0, 1, :, :, 0], [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(InputError, match="small_holding = 4"):
        typed_size_payoffs(3, small_holding=4)


def test_stackelberg_leader_commits_to_the_largest_size():
    # committing to B makes B the follower's (weak) best response: payoff B,
    # the best of the B simultaneous components (worth 1, ..., B)
    for B in (2, 3):
        g = stage_payoffs(B)
        for s in (stackelberg.pure_commitment(g.row, g.col), stackelberg.mixed_commitment(g.row, g.col)):
            assert s["leader"][-1] == 1.0 and s["payoffs"][0] == B


def test_stackelberg_mixed_commitment_beats_pure_where_it_should():
    # the follower plays R iff P(top) <= 1/2; with R the leader gets 3 + P(top),
    # so it commits to (1/2, 1/2) for 3.5; pure commitment gets 3 (bottom, R)
    A = np.array([[2.0, 4.0], [1.0, 3.0]])
    B = np.array([[1.0, 0.0], [0.0, 1.0]])
    s = stackelberg.mixed_commitment(A, B)
    np.testing.assert_allclose(s["leader"], [0.5, 0.5], atol=1e-9)
    assert s["responses"] == [1] and abs(s["payoffs"][0] - 3.5) < 1e-9
    assert stackelberg.pure_commitment(A, B)["payoffs"][0] == 3.0
