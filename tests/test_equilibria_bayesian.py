"""Bayesian games through their induced normal form, against hand derivations
and an interim best-response check written with loops."""

import itertools

import jax
import numpy as np
import pytest

from jaxmarkets.equilibria import (
    behaviour_strategy,
    bimatrix_equilibria,
    expected_payoffs,
    induced_normal_form,
    pure_equilibrium_profiles,
)


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def liquidation_game():
    """A seller of type large or small (prior 1/2 each) sells (S) or holds (H); a
    buyer with one type buys (B) or waits (W). Index order [player, t1, t2, a1, a2].

    Seller: large gets 2 (S,B), 1 (S,W), 0 holding: S strictly dominant.
            small gets 2 (S,B), 0 (S,W), 1 holding: S iff P(B) = q > 1/2.
    Buyer:  buying from a large seller +1, from a small (informed) seller -3,
            nothing when the seller holds or the buyer waits.
    By hand: the large type sells. With s = P(small sells) the buyer gets
    E[B] = 1/2 * 1 - 1/2 * 3 s = 1/2 - 3s/2 against E[W] = 0, so buys iff s < 1/3.
    s = 1 makes the buyer wait, and then small holds; s = 0 makes the buyer buy,
    and then small sells: no pure equilibrium. Mixing: small indifferent needs
    q = 1/2, buyer indifferent needs s = 1/3. The unique Bayesian equilibrium is
    (large S; small S w.p. 1/3; buyer B w.p. 1/2), i.e. plans SS w.p. 1/3 and SH
    w.p. 2/3. Payoffs: large 2q + (1 - q) = 3/2, small 1, ex ante 5/4; buyer 0.
    """
    u = np.zeros((2, 2, 1, 2, 2))
    u[0, 0, 0] = [[2, 1], [0, 0]]  # seller, large: rows S, H; columns B, W
    u[0, 1, 0] = [[2, 0], [1, 1]]  # seller, small
    u[1, 0, 0] = [[1, 0], [0, 0]]  # buyer against large
    u[1, 1, 0] = [[-3, 0], [0, 0]]  # buyer against small
    prior = np.array([[0.5], [0.5]])
    return induced_normal_form(u, prior, types=[["large", "small"], ["only"]], actions=[["S", "H"], ["B", "W"]])


def test_names_and_induced_payoffs_by_hand():
    game = liquidation_game()
    assert game.names == (("S|large,S|small", "S|large,H|small", "H|large,S|small", "H|large,H|small"),
                          ("B|only", "W|only"))
    U = np.asarray(game.payoffs)
    assert U.shape == (2, 4, 2)
    # seller, plan SH: 1/2 * 2 + 1/2 * 1 against B, 1/2 * 1 + 1/2 * 1 against W
    np.testing.assert_allclose(U[0, 1], [1.5, 1.0])
    # buyer against SS: 1/2 * 1 + 1/2 * (-3); against SH: 1/2; against HH: 0
    np.testing.assert_allclose(U[1, [0, 1, 3], 0], [-1.0, 0.5, 0.0])


def test_unique_bayesian_equilibrium_derived_by_hand():
    game = liquidation_game()
    U = np.asarray(game.payoffs)
    eqs = bimatrix_equilibria((U[0], U[1]))
    assert len(eqs) == 1
    x, y = eqs[0]["row"], eqs[0]["col"]
    np.testing.assert_allclose(x, [1 / 3, 2 / 3, 0, 0], atol=1e-12)
    np.testing.assert_allclose(y, [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(behaviour_strategy(game, 0, x), [[1, 0], [1 / 3, 2 / 3]], atol=1e-12)
    np.testing.assert_allclose(behaviour_strategy(game, 1, y), [[0.5, 0.5]], atol=1e-12)
    np.testing.assert_allclose(expected_payoffs(game.payoffs, (x, y)), [1.25, 0.0], atol=1e-12)
    assert pure_equilibrium_profiles(game.payoffs) == []


def interim_pure_equilibria(u, prior):
    """Pure Bayesian equilibria by the definition: every type of every player (all
    types have positive probability here) best-responds in interim expectation."""
    n = u.shape[0]
    T, A = u.shape[1:1 + n], u.shape[1 + n:]
    plans = [list(itertools.product(range(A[p]), repeat=T[p])) for p in range(n)]
    found = []
    for idx in itertools.product(*[range(len(pl)) for pl in plans]):
        plan = [plans[p][idx[p]] for p in range(n)]

        def interim(p, tp, ap):
            total = 0.0
            for t in itertools.product(*[range(k) for k in T]):
                if t[p] != tp:
                    continue
                a = tuple(ap if q == p else plan[q][t[q]] for q in range(n))
                total += prior[t] * u[(p,) + t + a]
            return total

        if all(interim(p, tp, plan[p][tp]) >= max(interim(p, tp, b) for b in range(A[p])) - 1e-12
               for p in range(n) for tp in range(T[p])):
            found.append(idx)
    return found


def test_two_sided_types_with_a_correlated_prior_against_the_definition():
    rng = np.random.default_rng(7)
    for _ in range(4):
        u = rng.integers(0, 4, (2, 2, 2, 2, 2)).astype(float)  # two types, two actions each
        prior = rng.dirichlet(np.ones(4)).reshape(2, 2)  # correlated types
        game = induced_normal_form(u, prior)
        # induced payoffs by a loop over type profiles
        for s1, s2 in itertools.product(range(4), range(4)):
            p1, p2 = game.plans[0][s1], game.plans[1][s2]
            want = sum(prior[t1, t2] * u[:, t1, t2, p1[t1], p2[t2]] for t1 in range(2) for t2 in range(2))
            np.testing.assert_allclose(np.asarray(game.payoffs)[:, s1, s2], want, atol=1e-12)
        assert pure_equilibrium_profiles(game.payoffs) == interim_pure_equilibria(u, prior)
    assert game.names[0] == ("a0|t0,a0|t1", "a0|t0,a1|t1", "a1|t0,a0|t1", "a1|t0,a1|t1")
