"""Learners in repeated play: exploitability of the time-average where the stage
game has a unique equilibrium, and the population NashConv against the shared one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.equilibria import Bimatrix, nash_conv
from jaxmarkets.liquidity.game import LiquidityGame
from jaxmarkets.liquidity.learning import RepeatedPlay, batched_run, default_hparams
from jaxmarkets.liquidity.population import pair_nash_conv, population_nash_conv


def _batch(tree, n):
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (n,) + jnp.shape(x)), tree)


# Both makers large (prior 1): every round is the "a type" game, whose unique
# equilibrium is (high, high) (high is strictly dominant for the responder, then
# for the initiator). Bounds are per round, in payoff units (payoffs up to 10).
@pytest.mark.parametrize("learner, bound", [("fictitious_play", 0.05), ("regret_matching", 0.1),
                                            ("hedge", 1.0)])
def test_time_average_exploitability_falls_below_a_bound(learner, bound):
    game = LiquidityGame(n_makers=2, n_rounds=1000)
    play = RepeatedPlay(game, learner, record_every=250)
    seeds = 16
    params = _batch(game.make_params(prior=1.0), seeds)
    hparams = _batch(default_hparams(), seeds)
    play.check(params, hparams)
    state, rec = batched_run(play, optimize=False)(jax.random.split(jax.random.key(0), seeds), params, hparams)
    nc = np.asarray(rec.nash_conv_average)
    assert np.all(nc[:, -1] < bound), nc[:, -1]
    assert np.all(nc[:, -1] <= nc[:, 0] + 1e-6)  # and it does fall
    assert np.all(np.asarray(rec.initiator_top)[:, -1] > 0.8)
    # every round traded something and was counted once per role
    assert np.all(np.asarray(state.rounds) == 1000)
    np.testing.assert_allclose(np.asarray(state.rounds_in_role).sum(axis=1), 1000.0)


def test_roth_erev_refuses_negative_payoffs():
    game = LiquidityGame()
    params = game.make_params(payoffs=-game.default_params().payoffs)
    with pytest.raises(InputError, match="negative entry"):
        RepeatedPlay(game, "roth_erev").check(params, default_hparams())
    RepeatedPlay(game, "regret_matching").check(params, default_hparams())


def test_population_nash_conv_is_the_mean_of_the_two_stage_games():
    pay = LiquidityGame(n_makers=2).make_params().payoffs

    @jax.jit
    def ours(t, sigma):
        total = population_nash_conv(pay, t, sigma, "simultaneous")
        return total, pair_nash_conv(pay, t, sigma, 0, 1), pair_nash_conv(pay, t, sigma, 1, 0)

    rng = np.random.default_rng(0)
    for types in ([0, 1], [1, 0], [0, 0]):
        t = jnp.asarray(types)
        sigma = jnp.asarray(rng.dirichlet(np.ones(2), size=(2, 2, 1)))  # [N, role, C, A]
        total, first, second = ours(t, sigma)
        np.testing.assert_allclose(total, (first + second) / 2, atol=1e-6)
        P = np.asarray(pay)[types[0], types[1]]
        s = np.asarray(sigma)
        shared = nash_conv(Bimatrix(P[..., 0], P[..., 1]), (s[0, 0, 0], s[1, 1, 0]))
        np.testing.assert_allclose(first, shared, atol=1e-6)


def test_nash_conv_is_zero_at_the_equilibrium_of_each_form():
    pay = LiquidityGame().make_params().payoffs
    nc = jax.jit(population_nash_conv, static_argnames="form")
    types = jnp.asarray([0, 0, 0])
    high = np.zeros((3, 2, 1, 2))
    high[..., 1] = 1.0
    assert float(nc(pay, types, high, form="simultaneous")) == 0.0
    plan = np.zeros((3, 2, 2, 2))
    plan[..., 1] = 1.0  # respond high to either action
    assert float(nc(pay, types, plan, form="stackelberg")) == 0.0
    assert float(nc(pay, types, 1.0 - high, form="simultaneous")) > 0.0
