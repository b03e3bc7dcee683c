"""Q3 of the liquidation study: the device metrics by hand, the calibration of
non-linear impact, the planner's split, and a tiny run's invariants."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sweeps.studies.liquidation import q3


def test_power_impact_is_calibrated_to_the_linear_drop_at_one_sale():
    from jaxmarkets.liquidation.impact import power_like_linear

    a, q, delta = np.array([0.002, 0.003]), 25.0, 0.5
    coef = power_like_linear(a, q, delta)
    np.testing.assert_allclose(coef * q**delta, a * q)  # its defining equation
    _, params = q3.game_and_params(q3.Q3Config(), "anti_coordination", "power", 2)
    # impact per unit of the market (x 2 / N = 1 at N = 2), one bank's sale 25 units
    np.testing.assert_allclose(np.asarray(params.impact_coef) * 25.0**0.5, a * 25.0, rtol=1e-6)


def test_mutual_information_by_hand():
    assert q3.mutual_information([[0.5, 0.0], [0.0, 0.5]]) == pytest.approx(1.0)
    assert q3.mutual_information([[0.25, 0.25], [0.25, 0.25]]) == pytest.approx(0.0, abs=1e-12)
    # message 0 -> asset 0 always; message 1 -> either: I = H(A) - H(A|M) = h(3/4) - 1/2
    h = -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))
    assert q3.mutual_information([[0.5, 0.0], [0.25, 0.25]]) == pytest.approx(h - 0.5)


def test_planner_split_and_device_metrics_on_a_constructed_episode():
    cfg = q3.Q3Config()
    game, params = q3.game_and_params(cfg, "anti_coordination", "linear", 2, "planner_private")
    welfare, weights, target = q3.planner_split(game, params)
    # by hand: one bank on each asset each step, prices 0.95 / 0.925 then 0.9 / 0.85
    assert welfare == pytest.approx(25 * (0.95 + 0.925 + 0.9 + 0.85), rel=1e-6)
    np.testing.assert_allclose(weights, [0.5, 0.5])
    np.testing.assert_array_equal(target, [1, 1])
    params = params.replace(signal_weights=jnp.asarray(weights, jnp.float32))
    adapter = q3.make_adapter(game, target)
    ap = adapter.make_params(params)
    _, state = game.reset(jax.random.key(0), params)
    infos = []
    # learner action = row index in (0, 1, 2): asset a is action a + 1
    for t, follow in enumerate(([True, False], [True, True])):
        rec = np.asarray(state.recommendation)
        act = jnp.asarray([r + 1 if f else (1 - r) + 1 for r, f in zip(rec, follow)], jnp.int32)
        out = adapter.step(state, act, jax.random.key(t + 1), ap)
        infos.append(out.info)
        state = out.state
    m = adapter.episode_metrics(jax.tree.map(lambda *x: jnp.stack(x), *infos))
    assert float(m["follow_rate"]) == pytest.approx(3 / 4)
    # step 1: bank 1 inverts, so both sell the same asset (the draw gives one of each): miss;
    # step 2: both follow, one on each asset: hit
    assert float(m["split_hit"]) == pytest.approx(1 / 2)


def test_tiny_run_rows_and_invariants(tmp_path):
    from sweeps.engine.tasks import TaskRunner

    cfg = q3.Q3Config(devices=("cheap_talk",), learners=("ppo",), seeds=2, ppo_updates=3, test_episodes=32)
    rows = q3.run(cfg, TaskRunner(str(tmp_path), resume=False))
    assert [(r["device"], r["learner"]) for r in rows] == [("cheap_talk", "ppo")]
    r = rows[0]
    assert r["welfare"] <= r["planner_welfare"] + 1e-3  # open-loop planner over the same rows
    assert 0 <= r["split_hit"] <= 1 and r["defaults"] == 0.0  # unlevered books never default
    assert r["talk_bits"] >= 0 and r["follow_rate"] is None  # the follow rate is the planner devices' only
    with pytest.raises(Exception, match="devices"):
        q3.Q3Config(devices=("smoke_signals",)).validate()
