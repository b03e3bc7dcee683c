"""Benchmark policies and the exact social planner of the liquidation game.

One module-scoped instance (3 assets, the third not held) serves the hand check,
the distribution checks and the planner bound, so the benchmarks compile once.
"""

import dataclasses
import itertools

import jax
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidation import benchmarks as bm
from jaxmarkets.liquidation import reference
from jaxmarkets.liquidation import theory as th
from jaxmarkets.liquidation.game import LiquidationGame

EPISODES = 1000


@pytest.fixture(scope="module")
def case():
    with jax.enable_x64(True):
        env = LiquidationGame(n_banks=2, n_assets=3, horizon=2, n_levels=1)
        # impact_coef defaults to [0.002, 0.004, 0.006]; no debt, need 20 each
        params = env.make_params(holdings=[[60, 20, 0], [60, 20, 0]], liabilities=0.0, withdrawal=20.0)
        env.validate(params)
        out = jax.tree.map(np.asarray, bm.benchmark_outcomes(env, params, jax.random.key(1), EPISODES))
        plan = jax.tree.map(np.asarray, bm.social_planner(env, params))
    return env, params, out, plan


def test_myopic_by_hand(case):
    """Target 20 / 2 = 10 a step; the one level of the liquid asset is 30 units (worth
    30 >= 10): both banks sell 30, p = 1 - 0.002 x 60 = 0.88, cash 26.4 meets the need,
    and the second step sells nothing."""
    _, _, out, _ = case
    np.testing.assert_array_equal(out["myopic"]["actions"][0], [[1, 1], [0, 0]])
    equity = 30 * 0.88 + 30 * 0.88 + 20
    np.testing.assert_allclose(out["myopic"]["values"], equity, rtol=1e-12)


def test_stochastic_choices_follow_their_distributions(case):
    """First-step asset: uniform over held assets (random), pro rata to value (stochastic);
    never the asset not held."""
    _, _, out, _ = case
    n = 2 * EPISODES
    for kind, probs in (("random", [0.5, 0.5, 0.0]), ("proportional_stochastic", [0.75, 0.25, 0.0])):
        first = out[kind]["actions"][:, 0].reshape(-1)
        assert (first > 0).all()
        freq = np.bincount(first - 1, minlength=3) / n
        sd = np.sqrt(np.asarray(probs) * (1 - np.asarray(probs)) / n)
        assert np.all(np.abs(freq - probs) <= 5 * sd + 1e-12), (kind, freq)
    # deterministic pro rata with one asset a step: the largest position first
    np.testing.assert_array_equal(out["proportional"]["actions"][0, 0], [1, 1])


def _brute_force_planner(env, params):
    config = dataclasses.asdict(env)
    host = {k: np.asarray(v) for k, v in dataclasses.asdict(params).items()}
    best = -np.inf
    for seq in itertools.product(range(env.n_sales), repeat=env.n_banks * env.horizon):
        actions = np.reshape(seq, (env.horizon, env.n_banks))
        best = max(best, reference.run(config, host, host["holdings"], actions)["value"][-1].sum())
    return best


def test_planner_bounds_every_benchmark_and_equals_brute_force(case):
    env, params, out, plan = case
    np.testing.assert_allclose(plan["welfare"], _brute_force_planner(env, params), rtol=1e-12)
    np.testing.assert_allclose(plan["values"].sum(), plan["welfare"], rtol=1e-12)
    for kind, o in out.items():
        assert o["welfare"].max() <= plan["welfare"] + 1e-9, kind


def test_planner_equals_brute_force_on_a_thin_instance():
    """Equity 7% of assets (some joint sales default), exponential impact, cash objective
    at pre-trade prices, 3 banks, 2 levels."""
    with jax.enable_x64(True):
        env = LiquidationGame(n_banks=3, horizon=1, n_levels=2, impact="exponential", objective="cash",
                              execution="pre")
        rng = np.random.default_rng(3)
        holdings = rng.uniform(20, 60, (3, 2))
        params = env.make_params(holdings=holdings, liabilities=0.93 * holdings.sum(1),
                                 impact_coef=[0.004, 0.012], withdrawal=15.0, max_sale=0.6, default_penalty=2.0)
        env.validate(params)
        plan = bm.social_planner(env, params)
        np.testing.assert_allclose(float(plan["welfare"]), _brute_force_planner(env, params), rtol=1e-12)


def test_planner_in_the_reduction_is_the_best_cell():
    with jax.enable_x64(True):
        game = th.reduction_game(objective="cash")  # the anti-coordination case
        params = game.make_params(impact_coef=[0.002, 0.003])
        pay, _ = th.payoff_matrices(game, params)
        plan = bm.social_planner(game, params)
        np.testing.assert_allclose(float(plan["welfare"]), (pay.row + pay.col).max(), rtol=1e-12)
        assert sorted(np.asarray(plan["sale_rows"][0]).tolist()) == [1, 2]  # one bank on each asset


def test_planner_refuses_large_enumerations():
    with pytest.raises(InputError, match=r"^horizon = 8: the exact planner enumerates .* 5\^16"):
        bm.check_planner_size(LiquidationGame(horizon=8))
