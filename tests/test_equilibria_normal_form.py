"""n-player normal form: expected payoffs, NashConv and pure equilibria, in float64.

References are brute-force loops over pure profiles in plain NumPy.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.equilibria import (
    Bimatrix,
    action_values,
    best_response_values,
    bimatrix_equilibria,
    expected_payoffs,
    is_pure_equilibrium,
    nash_conv,
    pure_equilibria,
    pure_equilibrium_profiles,
    pure_profile,
)


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def loop_payoffs(u, strategies):
    """u_p(s) by summing over every pure profile."""
    out = np.zeros(u.shape[0])
    for a in itertools.product(*[range(k) for k in u.shape[1:]]):
        prob = np.prod([s[i] for s, i in zip(strategies, a)])
        out += prob * u[(slice(None),) + a]
    return out


def loop_nash_conv(u, strategies):
    total = 0.0
    for p, k in enumerate(u.shape[1:]):
        best = max(loop_payoffs(u, strategies[:p] + (np.eye(k)[a],) + strategies[p + 1:])[p] for a in range(k))
        total += best - loop_payoffs(u, strategies)[p]
    return total


def test_nash_conv_of_a_non_equilibrium_by_hand():
    # Matching pennies, row plays (0.7, 0.3), column (0.5, 0.5): the row player
    # earns 0 whatever it does; the column player (payoffs -A) earns 0 but would
    # earn 0.7 - 0.3 = 0.4 by always mismatching. NashConv = 0.4.
    A = np.array([[1.0, -1.0], [-1.0, 1.0]])
    s = (np.array([0.7, 0.3]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(expected_payoffs((A, -A), s), [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(best_response_values((A, -A), s), [0.0, 0.4], atol=1e-15)
    np.testing.assert_allclose(nash_conv((A, -A), s), 0.4, atol=1e-15)
    np.testing.assert_allclose(action_values((A, -A), s)[1], [-0.4, 0.4], atol=1e-15)
    # Prisoner's dilemma at (C, C): each gains 5 - 3 = 2 by defecting.
    P = np.array([[3.0, 0.0], [5.0, 1.0]])
    np.testing.assert_allclose(nash_conv(Bimatrix(P, P.T), pure_profile((2, 2), (0, 0))), 4.0)


def test_nash_conv_is_zero_at_every_vertex_enumeration_equilibrium():
    rng = np.random.default_rng(4)
    for _ in range(6):
        A, B = rng.integers(0, 3, (2, 3, 3)).astype(float)
        for e in bimatrix_equilibria((A, B)):
            assert abs(float(nash_conv((A, B), (e["row"], e["col"])))) < 1e-12


def three_player_game(seed):
    return np.random.default_rng(seed).integers(-2, 3, (3, 2, 3, 2)).astype(float)


def test_three_player_values_match_brute_force():
    u = three_player_game(0)
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = tuple(rng.dirichlet(np.ones(k)) for k in u.shape[1:])
        np.testing.assert_allclose(expected_payoffs(u, s), loop_payoffs(u, s), atol=1e-12)
        np.testing.assert_allclose(nash_conv(u, s), loop_nash_conv(u, s), atol=1e-12)


def test_pure_equilibria_match_brute_force_including_ties():
    for seed in range(4):
        u = three_player_game(seed)
        want = []
        for a in itertools.product(*[range(k) for k in u.shape[1:]]):
            ok = all(u[(p,) + a] >= max(u[(p,) + a[:p] + (b,) + a[p + 1:]] for b in range(u.shape[1 + p]))
                     for p in range(3))
            if ok:
                want.append(a)
        assert pure_equilibrium_profiles(u) == want
        for a in itertools.product(*[range(k) for k in u.shape[1:]]):
            assert bool(is_pure_equilibrium(u, a)) == (a in want)
            # a pure equilibrium has NashConv exactly 0, any other profile > 0
            nc = float(nash_conv(u, pure_profile(u.shape[1:], a)))
            assert (nc == 0.0) == (a in want)


def test_jit_and_vmap_over_a_batch_of_games_and_profiles():
    us = jnp.asarray(np.stack([three_player_game(s) for s in range(5)]))
    rng = np.random.default_rng(2)
    strategies = tuple(jnp.asarray(rng.dirichlet(np.ones(k), size=5)) for k in us.shape[2:])
    batched = jax.jit(jax.vmap(nash_conv))(us, strategies)
    for g in range(5):
        one = loop_nash_conv(np.asarray(us[g]), tuple(np.asarray(s[g]) for s in strategies))
        np.testing.assert_allclose(batched[g], one, atol=1e-12)
    masks = jax.vmap(pure_equilibria)(us)
    assert masks.shape == (5, 2, 3, 2)
    np.testing.assert_array_equal(masks[3], pure_equilibria(us[3]))
