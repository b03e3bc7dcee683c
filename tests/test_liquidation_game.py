"""The liquidation game: hand-derived steps, the capacity rule, planner signals,
observations, and bad input (one line naming the field, before anything compiles)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidation.actions import capacity, sale_table
from jaxmarkets.liquidation.game import LiquidationGame
from jaxmarkets.liquidation.signals import recommendations


def play(env, params, actions, key=0):
    """States and step outputs of a jitted episode with the given action rows."""
    obs, state = env.reset(jax.random.key(key), params)
    step = jax.jit(env.step)
    out = []
    for t, a in enumerate(actions):
        res = step(jax.random.key(100 + t), state, jnp.asarray(a), params)
        out.append(res)
        state = res.state
    return obs, out


# ---------------------------------------------------------------- dynamics by hand


def test_default_game_by_hand():
    """Both banks sell 25 units of the liquid asset (a = 0.002, 50 units each), then hold."""
    env = LiquidationGame()
    params = env.default_params()
    obs0, (s1, s2) = play(env, params, [[2, 2], [0, 0]])
    # A0 = 100, equity 11, need 20: [t/T, p/p0 (2), positions (2), cash, equity, need, defaulted]
    np.testing.assert_allclose(obs0[0], [0, 1, 1, 0.5, 0.5, 0, 0.11, 0.2, 0], atol=1e-7)
    np.testing.assert_allclose(s1.info["prices"], [1 - 0.002 * 50, 1.0], rtol=1e-6)
    np.testing.assert_allclose(s1.info["cash"], [22.5, 22.5], rtol=1e-6)  # 25 units at the post-impact 0.9
    np.testing.assert_allclose(s1.info["equity"], [22.5 + 25 * 0.9 + 50 - 89] * 2, rtol=1e-6)
    np.testing.assert_allclose(s1.rewards, [6 - 11] * 2, rtol=1e-6)
    np.testing.assert_allclose(s1.obs[0], [0.5, 0.9, 1, 0.25, 0.5, 0.225, 0.06, 0, 0], atol=1e-6)
    assert not bool(s1.done) and bool(s2.done) and not s2.info["defaulted"].any()
    np.testing.assert_allclose(s2.rewards, [0, 0], atol=1e-6)


def test_piling_into_the_illiquid_asset_defaults_and_liquidation_moves_prices():
    """Both sell 25 illiquid units (a = 0.006): p = 0.7, equity 17.5 + 17.5 + 50 - 89 = -4 < 0."""
    env = LiquidationGame(horizon=3)
    params = env.default_params()
    _, (s1, s2, _) = play(env, params, [[4, 4], [0, 0], [0, 0]])
    np.testing.assert_allclose(s1.info["equity"], [-4, -4], rtol=1e-5)
    assert s1.info["defaulted"].all()
    np.testing.assert_allclose(s1.rewards, [0 - 11] * 2, rtol=1e-6)  # limited liability: value 0
    # liquidate: the next step sells both failed banks' remaining 50 + 25 units of each asset
    np.testing.assert_allclose(s2.info["sales"], [[50, 25], [50, 25]], rtol=1e-6)
    np.testing.assert_allclose(s2.info["prices"], [1 - 0.002 * 100, 1 - 0.006 * 100], rtol=1e-5)
    np.testing.assert_allclose(s2.rewards, [0, 0])
    frozen = LiquidationGame(horizon=3, on_default="freeze")
    _, (_, f2, _) = play(frozen, params, [[4, 4], [0, 0], [0, 0]])
    np.testing.assert_allclose(f2.info["sales"], 0)


def test_pre_trade_execution_and_cash_objective():
    """Pre-trade price: 25 units at p = 1 whatever the impact; objective cash raised."""
    env = LiquidationGame(execution="pre", objective="cash")
    params = env.default_params()
    _, (s1, _) = play(env, params, [[4, 2], [0, 0]])
    np.testing.assert_allclose(s1.info["cash"], [25, 25], rtol=1e-6)
    np.testing.assert_allclose(s1.rewards, [25, 25], rtol=1e-6)
    np.testing.assert_allclose(s1.info["prices"], [1 - 0.002 * 25, 1 - 0.006 * 25], rtol=1e-6)


def test_unmet_need_at_the_deadline_defaults():
    env = LiquidationGame()
    params = env.default_params().replace(default_penalty=jnp.asarray(3.0))
    _, (s1, s2) = play(env, params, [[1, 2], [0, 0]])  # bank 0 sells 12.5 units: cash 11.5 < 20
    assert not s1.info["defaulted"].any()
    assert s2.info["defaulted"].tolist() == [True, False]
    np.testing.assert_allclose(s2.info["value"][0], -3.0)


# ---------------------------------------------------------------- capacity


def test_capacity_by_hand():
    values = np.array([[30.0, 10.0]])
    # chunks of 0.4 v: asset 0 gives 12, 12, 6 (remainder), asset 1 gives 4, 4, 2
    assert capacity("one_asset", values, 0.4, 3)[0] == pytest.approx(30.0)
    assert capacity("one_asset", values, 0.4, 4)[0] == pytest.approx(34.0)
    assert capacity("one_asset", values, 0.4, 7)[0] == pytest.approx(40.0)
    assert capacity("grid", values, 0.4, 2)[0] == pytest.approx(0.8 * 40)
    assert capacity("one_asset", values, 0.1, 10)[0] == pytest.approx(30.0)  # 1 / 0.1 chunks, not 9 + 1


def test_the_capacity_is_what_greedy_sales_raise_without_impact():
    """At zero impact the greedy plan (largest chunk first) raises exactly the
    capacity, so a need equal to it is admitted, met, and nothing defaults."""
    env = LiquidationGame(horizon=4, n_levels=1)
    params = env.make_params(holdings=[[30, 10], [30, 10]], liabilities=0.0, impact_coef=0.0, max_sale=0.4,
                             withdrawal=34.0)
    env.validate(params)
    _, steps = play(env, params, [[1, 1]] * 3 + [[2, 2]])
    np.testing.assert_allclose(steps[-1].info["cash"], [34, 34], rtol=1e-6)
    assert not steps[-1].info["defaulted"].any()
    with pytest.raises(InputError, match=r"^max_sale = 0\.4 cannot meet the liquidity need: bank 0 must raise "
                                         r"34\.1 .* allowed: max_sale in \[0\.4"):
        env.validate(params.replace(withdrawal=jnp.full(2, 34.1)))


def test_sale_tables():
    np.testing.assert_array_equal(sale_table("one_asset", 2, 2), [[0, 0], [0.5, 0], [1, 0], [0, 0.5], [0, 1]])
    grid = sale_table("grid", 2, 1)
    np.testing.assert_array_equal(grid, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert LiquidationGame(communication="cheap_talk", n_messages=3).n_actions == 5 * 3


# ---------------------------------------------------------------- signals and observations


def test_planner_recommendations_are_systematic_shares():
    us = np.linspace(0, 1, 97, endpoint=False)
    for u in us:
        two = np.asarray(recommendations(jnp.asarray(u), jnp.array([1.0, 1.0]), 2))
        assert sorted(two.tolist()) == [0, 1]  # exactly one bank told each asset
        five = np.asarray(recommendations(jnp.asarray(u), jnp.array([3.0, 0.0, 2.0]), 5))
        assert np.bincount(five, minlength=3).tolist() == [3, 0, 2]


def test_cheap_talk_and_planner_observations():
    env = LiquidationGame(n_banks=3, communication="cheap_talk", n_messages=3, information="full")
    params = env.default_params()
    obs0, (s1, _) = play(env, params, [[0 * 3 + 2, 1 * 3 + 0, 2 * 3 + 1], [0, 0, 0]])
    base = 2 * 2 + 5 + 3 * 2 + 3
    np.testing.assert_array_equal(obs0[:, base:], 0)  # nothing said before the first step
    said = np.asarray(s1.obs[:, base:]).reshape(3, 3, 3)
    for bank in range(3):
        np.testing.assert_array_equal(said[bank], np.eye(3)[[2, 0, 1]])
    # full information: every bank's positions (at initial prices, over its A0) in every row;
    # bank 1 sold 12.5 and bank 2 sold 25 units of asset 0
    np.testing.assert_allclose(s1.obs[2, 9:15], [0.5, 0.5, 0.375, 0.5, 0.25, 0.5], rtol=1e-6)

    private = LiquidationGame(communication="planner_private")
    obs, state = private.reset(jax.random.key(3), private.default_params())
    np.testing.assert_array_equal(obs[:, -2:], np.eye(2)[np.asarray(state.recommendation)])
    assert sorted(np.asarray(state.recommendation).tolist()) == [0, 1]
    public = LiquidationGame(n_banks=4, communication="planner_public")
    params = public.default_params().replace(signal_weights=jnp.array([3.0, 1.0]))
    obs, state = public.reset(jax.random.key(4), params)
    told = np.eye(2)[np.asarray(state.recommendation)]
    assert told[:, 0].sum() == 3  # three of four banks told the asset of weight 3 / 4
    np.testing.assert_array_equal(obs[:, -8:], np.tile(told.reshape(-1), (4, 1)))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("static, words", [
    ({"horizon": 0}, "horizon = 0 is outside the allowed range [1, inf)"),
    ({"n_banks": 1}, "n_banks = 1 is outside the allowed range [2, inf)"),
    ({"objective": "profit"}, "objective = 'profit' is not one of the allowed values: 'equity', 'cash'"),
    ({"information": "all"}, "information = 'all' is not one of"),
    ({"communication": "email"}, "communication = 'email' is not one of"),
    ({"impact": "quadratic"}, "impact = 'quadratic' is not one of"),
    ({"diversification": 3}, "diversification = 3 is outside the allowed range [1, 2]"),
])
def test_bad_static_fields(static, words):
    with pytest.raises(InputError) as err:
        LiquidationGame(**static)
    assert str(err.value).startswith(words) and "\n" not in str(err.value)


@pytest.mark.parametrize("fields, words", [
    ({"holdings": [[50, -1], [50, 50]]}, "holdings = [[50, -1], [50, 50]] is outside the allowed range [0, 1e+12]"),
    ({"liabilities": [-1, 89]}, "liabilities = [-1, 89] is outside the allowed range [0, 1e+12]"),
    ({"impact_coef": [-0.001, 0.006]}, "impact_coef = [-0.001, 0.006] is outside the allowed range [0, 1e+12]"),
    ({"exponent": 0.0}, "exponent = [0, 0] is outside the allowed range (0, 2]"),
    ({"max_sale": 0.1}, "max_sale = 0.1 cannot meet the liquidity need: bank 0 must raise 20 at initial prices"),
    ({"withdrawal": [101, 20]}, "withdrawal = [101, 20]: bank 0 must raise 101 at initial prices but even "
                                "max_sale = 1 raises at most 100"),
    ({"liabilities": [101, 89]}, "liabilities = [101, 89]: bank 0 starts insolvent"),
    ({"signal_weights": 0.0}, "signal_weights = [0, 0] sum to 0"),
])
def test_bad_params(fields, words):
    env = LiquidationGame()
    with jax.enable_x64(True):
        params = env.make_params(**fields)
        with pytest.raises(InputError) as err:
            env.validate(params)
    msg = str(err.value)
    assert msg.startswith(words) and "\n" not in msg, msg


def test_the_smallest_admitted_max_sale_is_named_and_admitted():
    """Need 20, two steps, one chunk of 50 m a step: max_sale >= 0.2."""
    env = LiquidationGame()
    with jax.enable_x64(True):
        with pytest.raises(InputError, match=r"allowed: max_sale in \[0\.2, 1\]$"):
            env.validate(env.make_params(max_sale=0.19))
        env.validate(env.make_params(max_sale=0.2))
        leverage = LiquidationGame(need="leverage", horizon=1)
        # R0 = 100, E0 = 11, cap 8: sell 12 of one 50-unit position in one step
        with pytest.raises(InputError, match=r"allowed: max_sale in \[0\.24, 1\]$"):
            leverage.validate(leverage.make_params(max_sale=0.2))
        with pytest.raises(InputError, match=r"^leverage_cap = 1: bank 0 must raise 89"):
            leverage.validate(leverage.make_params(leverage_cap=1.0))
