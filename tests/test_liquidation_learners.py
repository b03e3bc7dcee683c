"""Learners in the liquidation game: the adapter's action mapping, Q1 (PPO in
the 2x2 anti-coordination regime, with a stated bound), DQN in the dominant-
strategy regime, and the benchmark's smoke test and bad input."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.dqn import DQNHparams
from agents.recurrent_dqn import RecurrentDQNConfig
from jaxmarkets.core import InputError
from jaxmarkets.liquidation import theory
from jaxmarkets.liquidation.game import LiquidationGame
from sweeps.cli import main
from sweeps.studies.liquidation import q1, q2
from sweeps.studies.liquidation.adapter import LiquidationAdapter, LiquidationGrid, dqn
from sweeps.studies.liquidation.bench import bench_env

TINY = q1.Q1Config(ratios=(1.5, 0.8), seeds=4, ppo_updates=200, ppo_episodes=32, log_every=10)


def test_adapter_maps_learner_actions_to_sale_rows_and_messages():
    game = LiquidationGame(n_banks=3, n_assets=2, n_levels=2, communication="cheap_talk", n_messages=2)
    adapter = LiquidationAdapter(game, rows=(1, 3))  # asset 1 at level 1, asset 2 at level 1
    sale, message = game.decode(adapter.env_action(jnp.arange(4)))
    np.testing.assert_array_equal(sale, [1, 1, 3, 3])
    np.testing.assert_array_equal(message, [0, 1, 0, 1])
    grid = LiquidationGrid(adapter)  # DQN features -1, -1/3, 1/3, 1 are actions 0..3
    np.testing.assert_array_equal(grid.env_action(jnp.linspace(-1, 1, 4), None, None), [0, 1, 2, 3])
    # exploration through the normal CDF: every action about equally often
    z = jax.random.normal(jax.random.key(0), (40_000,))
    counts = np.bincount(np.asarray(grid._index(grid.explore(z, 0, None, None))), minlength=4)
    np.testing.assert_allclose(counts / z.size, 0.25, atol=0.01)
    with pytest.raises(InputError, match="rows"):
        LiquidationAdapter(game, rows=(1, 1))


@pytest.fixture(scope="module")
def ppo_q1():
    probs = {name: q1.train(TINY, name) for name in ("ppo", "ppo_shared")}
    return q1.analyse(TINY, probs)


def test_ppo_time_average_is_near_an_equilibrium_of_the_anti_coordination_game(ppo_q1):
    rows, curves = ppo_q1
    assert [(r["ratio"], r["learner"]) for r in rows] == [(1.5, "ppo"), (1.5, "ppo_shared"), (0.8, "ppo"),
                                                          (0.8, "ppo_shared")]
    shared = rows[1::2]
    rows = rows[::2]
    # by hand (25 units sold, a_1 = 0.002): against a uniform opponent, with
    # r = 1.5 asset 1 pays 23.125 and asset 2 22.1875, so each bank gains
    # 0.46875 by best-responding; with r = 0.8 asset 1 pays 23.125, asset 2 23.5
    for row, uniform, p_star in zip(rows, (0.9375, 0.375), (0.8, 1 / 3)):
        assert row["nashconv_uniform"] == pytest.approx(uniform, abs=1e-4)
        assert row["p_mixed"] == pytest.approx(p_star)
        assert row["nashconv_mixed_eq"] < 1e-4
        # the stated bound: after 200 PPO updates the time-averaged policy of
        # every seed is exploitable by less than 0.3 of the uniform profile (seen:
        # up to 0.07 of it at r = 1.5, 0.21 at r = 0.8, where the payoff gaps
        # are smaller and the early, near-uniform blocks weigh longer)
        assert row["nashconv_average_max"] < 0.3 * uniform
        med = np.asarray(curves[f"ppo@{row['ratio']}"]["average"][1])
        assert med[-1] < 0.5 * med[1]
        # the finding: independent PPO settles on a pure (asymmetric)
        # equilibrium, not the mixed one
        assert row["share_pure_end"] == 1.0 and row["share_mixed_end"] == 0.0
    # one network for both banks (symmetric self-play) ends at the mixed
    # equilibrium instead: every seed within 0.1 of p* (seen: within 0.05)
    for row in shared:
        assert row["share_mixed_end"] == 1.0 and row["share_pure_end"] == 0.0


def test_recurrent_dqn_banks_sell_the_dominant_liquid_asset():
    """Cash at post-impact prices with r = 3 > 2 (or 1/3 < 1/2): selling the
    liquid asset is strictly dominant for both (docs/liquidation.md); greedy DQN
    banks do it, asset 1 in one instance and asset 2 in the mirrored one (one
    program vmapped over both)."""
    game = theory.reduction_game(objective="cash")
    instances = [game.make_params(impact_coef=a, liabilities=0.0, withdrawal=0.0)
                 for a in ([0.002, 0.006], [0.006, 0.002])]
    for p in instances:
        assert theory.classify(theory.payoff_matrices(game, p)[0])["kind"] == "dominant_strategy"
    cfg = RecurrentDQNConfig(n_layers=2, hidden=16, head="action_out", batch_size=16, memory_size=200,
                             eps_every=10, target_every=10, train_iterations=400, test_iterations=4,
                             log_every=50)
    adapter, learner = dqn(game, cfg, rows=(1, 2))
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[adapter.make_params(p) for p in instances])
    out = jax.jit(jax.vmap(learner.train, in_axes=(0, 0, None)))(
        jax.random.split(jax.random.key(3), 2), stacked, DQNHparams.make(lr=1e-3, eps_decay=0.95))
    chosen = np.asarray(out["test"]["first_asset"])  # [instance, episode, bank]: asset index
    np.testing.assert_array_equal(chosen[0], 0.0)
    np.testing.assert_array_equal(chosen[1], 1.0)


def test_bench_env_smoke():
    row = bench_env(n_banks=3, episodes=64, horizon=2, repeats=1)  # it checks JAX against NumPy itself
    assert row["jax_run_s"] > 0 and row["numpy_run_s"] > 0
    assert row["jax_bank_steps_per_s"] == pytest.approx(64 * 2 * 3 / row["jax_run_s"])


@pytest.mark.parametrize("argv, words", [
    (["bench", "liquidation", "--banks", "1"], "--banks = 1 is outside the allowed range [2, 100000]"),
    (["bench", "liquidation", "--episodes", "0"], "--episodes = 0 is outside the allowed range"),
    (["reproduce", "liquidation", "--seeds", "0", "--out", "/nonexistent-liq"], "--seeds = 0"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_q1_config_rejects_ratios_outside_the_band():
    with pytest.raises(InputError, match="ratios"):
        dataclasses.replace(q1.QUICK, ratios=(2.5,)).validate()


def test_q2_no_policy_beats_the_exact_planner():
    """The planner maximises welfare over every open-loop joint sequence and the
    dynamics are deterministic after the reset, so no policy, learned or not,
    can do better (N = 2, T = 2, cash raised)."""
    cfg = q2.Q2Config(n_banks=(2,), objectives=("cash",), seeds=2, ppo_updates=30, test_episodes=32,
                      benchmark_episodes=64, learners=("ppo",))
    rows = {r["policy"]: r for r in q2.run(cfg)}
    assert set(rows) == {"myopic", "random", "proportional", "proportional_stochastic", "ppo", "planner"}
    planner = rows["planner"]["welfare"]
    for r in rows.values():
        assert r["welfare"] <= planner + 1e-4
        assert r["welfare_over_planner"] == pytest.approx(r["welfare"] / planner)
    # myopic by hand: each step a bank aims at its remaining need over the
    # remaining steps (20 / 2 = 10) and sells the smallest level reaching it: 12.5
    # units of the liquid asset. Both do: X_1 = 25 then 50, prices 0.95 then 0.9,
    # welfare 2 x 12.5 x (0.95 + 0.9) = 46.25
    assert rows["myopic"]["welfare"] == pytest.approx(46.25, abs=1e-4)
