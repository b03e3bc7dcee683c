"""The CAT game's day-level policies as pure functions: charge cutting, market
selection, Section 3.1's assessment days, the clearing-house schedule."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.cat import CatGame, SpecialistSpec
from jaxmarkets.cat import charging, selection
from jaxmarkets.cat.day import assessment_days, called
from jaxmarkets.cat.params import default_params
from jaxmarkets.cat.rng import event_seed
from jaxmarkets.cat.state import Markets


def test_charge_cutting_undercuts_the_cheapest_nonzero_rival_fee():
    # JCAT ChargeCuttingChargingPolicy: rival minimum over non-zero fees, times 0.8
    fees = jnp.asarray([[5.0, 0, 2, 1, 0.3], [4.0, 0, 0, 3, 0.1], [10.0, 1, 1, 1, 0.2]])
    markets = Markets(fees=fees, rival_min=jnp.full_like(fees, jnp.inf), eq_prices=jnp.zeros((3, 4)),
                      eq_seen=jnp.zeros(3, jnp.int32), new_shouts=jnp.zeros(3, jnp.int32),
                      trades=jnp.zeros(3, jnp.int32), income=jnp.zeros_like(fees))
    params = default_params(3)
    out = charging.after_day(markets, params, np.asarray([True, False, True]))
    np.testing.assert_allclose(out.fees[0], [4 * 0.8, 0, 1 * 0.8, 1, 0.1 * 0.8], rtol=1e-6)
    np.testing.assert_allclose(out.fees[1], fees[1])  # fixed
    np.testing.assert_allclose(out.fees[2], [4 * 0.8, 1, 1, 1, 0.1 * 0.8], rtol=1e-6)
    # the rival minimum is remembered over the game
    np.testing.assert_allclose(out.rival_min[1], [5, 1, 1, 1, 0.2])


def test_market_selection_epsilon_greedy_and_softmax():
    n, s = 4000, 3
    memory = selection.Memory(reward_sum=jnp.zeros((n, s)), reward_count=jnp.zeros((n, s)))
    params = default_params(s)
    day0 = np.asarray(selection.choose(jnp.uint32(7), memory, params, "epsilon_greedy"))
    np.testing.assert_allclose(np.bincount(day0, minlength=s) / n, 1 / s, atol=0.03)  # ties: uniform
    # market 2 pays 10 a day on average, the others 5: greedy 90 % + explore 10 % / 3
    memory = selection.reward(memory, jnp.full(n, 2), jnp.full(n, 10.0))
    memory = selection.reward(memory, jnp.full(n, 0), jnp.full(n, 5.0))
    memory = selection.reward(memory, jnp.full(n, 1), jnp.full(n, 5.0))
    picks = np.asarray(selection.choose(jnp.uint32(8), memory, params, "epsilon_greedy"))
    assert np.mean(picks == 2) == pytest.approx(0.9 + 0.1 / 3, abs=0.02)
    # softmax with temperature 2.5: P(2) = e^4 / (e^4 + 2 e^2)
    soft = np.asarray(selection.choose(jnp.uint32(9), memory, params.replace(temperature=jnp.float32(2.5)),
                                       "softmax"))
    want = np.exp(4) / (np.exp(4) + 2 * np.exp(2))
    assert np.mean(soft == 2) == pytest.approx(want, abs=0.02)


def test_sampled_assessment_days_lie_between_a_start_and_an_end():
    game = CatGame(days=30, assessment="sampled")
    params = game.default_params().replace(assessment_prob=jnp.float32(0.5))
    seen = 0
    for seed in range(20):
        days = np.asarray(assessment_days(event_seed(jnp.uint32(seed), 2, 7), game.static, params))
        idx = np.flatnonzero(days)
        assert idx.size >= 1
        seen += idx.size
    assert 0 < seen < 20 * 30 * 0.5
    assert np.asarray(assessment_days(jnp.uint32(0), CatGame(days=5).static, params)).all()


def test_clearing_house_schedule_spreads_calls_over_the_day():
    specs = (SpecialistSpec(), SpecialistSpec(name="ch", clearing="round", calls=20))
    st = CatGame(rounds=10, specialists=specs).static
    assert st.blocks == 2
    for c, want in ((1, [19]), (10, list(range(1, 20, 2))), (20, list(range(20))), (3, [6, 13, 19])):
        table = np.asarray(called(st, jnp.asarray([0, c])))
        assert table.shape == (10, 2, 2) and not table[..., 0].any()
        assert np.flatnonzero(table[..., 1].reshape(-1)).tolist() == want
