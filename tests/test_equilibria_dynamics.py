"""Fictitious play and discrete-time replicator dynamics, in float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.equilibria import fictitious_play, nash_conv, replicator_dynamics


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


PENNIES = np.array([[1.0, -1.0], [-1.0, 1.0]])
PD = np.array([[3.0, 0.0], [5.0, 1.0]])  # row player's payoffs; actions (C, D)


def test_fictitious_play_average_in_matching_pennies_within_stated_bound():
    # Stated bound: NashConv of the time average <= 2 / sqrt(t). The rate
    # t^(-1/2) is Shapiro's (1958) t^(-1/(m+n-2)) for 2 x 2 zero-sum games; the
    # constant 2 leaves about 40% headroom over this run's worst sqrt(t) NashConv.
    res = fictitious_play((PENNIES, -PENNIES), 10_000, record_every=100)
    steps, nc = np.asarray(res.steps), np.asarray(res.nash_conv_average)
    assert steps.tolist() == list(range(100, 10_001, 100))
    assert np.all(nc <= 2 / np.sqrt(steps))
    assert nc[-1] < 0.02
    np.testing.assert_allclose(nc[-1], nash_conv((PENNIES, -PENNIES), res.average), atol=1e-12)
    for s in res.average:
        np.testing.assert_allclose(s, [0.5, 0.5], atol=0.01)


def test_fictitious_play_strictly_dominant_strategy_exactly():
    # D is strictly dominant, so every step plays (D, D): with the uniform prior
    # counted as the first observation, the average weight on D after T steps is
    # (1/2 + T) / (1 + T), and the last iterate is the equilibrium.
    T = 300
    res = fictitious_play((PD, PD.T), T, record_every=50)
    for s in res.average:
        np.testing.assert_allclose(s, [0.5 / (T + 1), (0.5 + T) / (T + 1)], atol=1e-12)
    for s in res.last:
        np.testing.assert_array_equal(s, [0.0, 1.0])
    assert np.all(np.asarray(res.nash_conv_last) == 0)
    assert np.all(np.diff(np.asarray(res.nash_conv_average)) < 0)


def test_replicator_strictly_dominant_strategy_by_bound():
    # Normalised payoffs (u / 5): D beats C by (2 y_C + y_D) / 5 >= 1/5 and C earns
    # at most 3/5, so x_C / x_D shrinks each step by a factor at most
    # (1 + 3/5) / (1 + 4/5) = 8/9; from 1 it is below (8/9)^200 < 1e-10 after 200.
    res = replicator_dynamics((PD, PD.T), 200, record_every=20)
    for s in (*res.last, *res.average):
        assert s[0] >= 0 and abs(float(s.sum()) - 1) < 1e-12
    for s in res.last:
        assert s[0] / s[1] < (8 / 9) ** 200
    assert np.all(np.diff(np.asarray(res.nash_conv_last)) < 0)


def public_goods(n_players=3, cost=1.0, share=0.5):
    """Each player contributes (action 0) at a cost, every contribution pays each
    player `share`: not contributing (action 1) is strictly dominant when share < cost."""
    u = np.zeros((n_players,) + (2,) * n_players)
    for a in np.ndindex(*(2,) * n_players):
        contributions = sum(1 for x in a if x == 0)
        for p in range(n_players):
            u[(p,) + a] = share * contributions - cost * (a[p] == 0)
    return u


def test_three_player_dominant_strategy_both_dynamics():
    u = public_goods()
    T = 400
    fp = fictitious_play(u, T, record_every=100)
    for s in fp.average:
        np.testing.assert_allclose(s[1], (0.5 + T) / (T + 1), atol=1e-12)
    rep = replicator_dynamics(u, T, step_size=2.0, record_every=100)
    for s in rep.last:
        assert s[1] > 1 - 1e-9
    assert float(rep.nash_conv_last[-1]) < 1e-8


def test_replicator_last_iterate_moves_away_from_interior_equilibrium_in_pennies():
    # Discrete-time replicator (like multiplicative weights) spirals out of the
    # interior equilibrium of a zero-sum game; only the uniform start stays put.
    res = replicator_dynamics((PENNIES, -PENNIES), 400, record_every=100,
                              initial=(np.array([0.6, 0.4]), np.array([0.5, 0.5])))
    nc = np.asarray(res.nash_conv_last)
    assert nc[-1] > nc[0] > 0.2
    still = replicator_dynamics((PENNIES, -PENNIES), 400, record_every=100)
    np.testing.assert_allclose(np.asarray(still.nash_conv_last), 0, atol=1e-12)


def test_vmap_over_games_equals_one_at_a_time():
    scales = jnp.array([1.0, 2.0, 3.0])
    games = jnp.stack([jnp.stack([s * PENNIES, -PENNIES]) for s in scales])  # [3, 2, 2, 2]
    run = jax.jit(jax.vmap(lambda u: fictitious_play(u, 500, record_every=50)))
    batched = run(games)
    for g in range(3):
        one = fictitious_play(games[g], 500, record_every=50)
        np.testing.assert_allclose(batched.nash_conv_average[g], one.nash_conv_average, atol=1e-12)
