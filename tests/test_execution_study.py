"""The paper-001 study: adapter, analysis, a tiny end-to-end run, CLI errors."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.execution.game import ExecutionGame
from sweeps.cli import main
from sweeps.studies.execution.adapter import ExecutionGameAdapter, ExecutionGrid
from sweeps.studies.execution.analysis import classify, fast_slow, polyline_distance
from sweeps.studies.execution.reproduction import StudyConfig, run_study


class _Both:
    """The game side and the Q-learner side of the execution adapter, together."""

    def __init__(self, exploration="twap"):
        game = ExecutionGame(n_agents=2, n_steps=10)
        self.game = game
        self.side = ExecutionGameAdapter(game)
        self.grid = ExecutionGrid(game, exploration)

    def __getattr__(self, name):
        return getattr(self.grid, name) if hasattr(self.grid, name) else getattr(self.side, name)


@pytest.fixture(scope="module")
def adapter():
    return _Both()


def test_candidate_features_are_the_executed_sells(adapter):
    grid = jnp.linspace(-1.0, 1.0, 21)  # volumes 0, 5, ..., 100 of q0 = 100
    # t = 3 of 10, 30 shares left (q_obs = -0.4): sells above 30 sell 30
    obs = jnp.array([2 * 3 / 10 - 1, 2 * 30 / 100 - 1, 0.0])
    cand = np.asarray(adapter.candidate_features(obs, grid))
    volumes = (cand + 1) / 2 * 100
    np.testing.assert_allclose(volumes, np.minimum(np.arange(0, 101, 5), 30), atol=1e-4)
    # the last step sells what is left whatever the grid action
    last = jnp.array([2 * 9 / 10 - 1, 2 * 30 / 100 - 1, 0.0])
    np.testing.assert_allclose((np.asarray(adapter.candidate_features(last, grid)) + 1) * 50, 30, atol=1e-4)


def test_features_map_to_the_volumes_the_game_sells(adapter):
    game = adapter.game
    params = adapter.make_params(game.make_params(sigma=0.0))
    _, state = game.reset(jax.random.key(0), params.game)
    state = state._replace(q=jnp.array([60.0, 80.0]), t=jnp.asarray(4, jnp.int32))
    want = jnp.array([15.0, 80.0])
    actions = adapter.env_action(2 * want / 100 - 1, state, params)
    out = game.step(jax.random.key(1), state, actions, params.game)
    np.testing.assert_allclose(out.info["volume"], want, rtol=1e-5)
    # exploration centred on TWAP of what is left, and on the Nash schedule
    z0 = jnp.zeros(2)
    twap_feat = adapter.explore(z0, 4, state, params)
    np.testing.assert_allclose((twap_feat + 1) * 50, jnp.array([60.0, 80.0]) / 6, rtol=1e-5)
    nash_adapter = _Both("nash")
    nash_feat = nash_adapter.explore(z0, 4, state, params)
    np.testing.assert_allclose((nash_feat + 1) * 50, params.nash[:, 4], rtol=1e-5)
    # any draw stays feasible: between nothing and all that is left
    big = adapter.explore(jnp.array([-50.0, 50.0]), 4, state, params)
    np.testing.assert_allclose((big + 1) * 50, [0.0, 80.0], atol=1e-4)


def test_polyline_distance_matches_dense_sampling():
    line = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0]])
    pts = np.array([[2.0, 2.0], [0.0, 0.0], [5.0, -1.0], [0.5, 2.0]])
    u = np.linspace(0, 1, 20001)[:, None]
    dense = np.concatenate([a + u * (b - a) for a, b in zip(line[:-1], line[1:])])
    brute = np.sqrt(((pts[:, None] - dense[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(polyline_distance(pts, line), brute, atol=1e-4)


def test_quadrants_and_rectangle():
    nash, pareto = np.array([12.0, 12.0]), np.array([11.0, 11.0])
    cents = np.array([[13, 13], [11, 13], [11.5, 11.5], [10.5, 11.5], [13, 11], [11.9, 11.2]])
    got = classify(cents, nash, pareto)
    assert got == {"q1": 1, "q2": 1, "q3": 3, "q4": 1, "in_rectangle": 2}


def test_fast_slow_pairs():
    fast = np.array([20.0] * 5 + [0.0] * 5)
    slow = np.full(10, 10.0)
    volume = np.stack([np.stack([fast, slow]), np.stack([slow, fast]), np.stack([slow, slow])])
    cents = np.array([[11.0, 12.0], [11.0, 12.0], [11.5, 11.5]])
    # runs 1 and 2 are fast/slow pairs; the fast agent pays less only in run 1
    assert fast_slow(volume, cents) == (2, 1)


TINY = StudyConfig(
    mode="custom", sigmas=(1e-9, 1e-2), runs=2, swap_runs=1, nash_explore_runs=0,
    fixed_nash_runs=0, train_iterations=20, test_iterations=5, chunk=10, n_actions=5,
    batch_size=16, memory_size=128, lr=1e-3,
)


def test_tiny_study_writes_figures_and_consistent_summary(tmp_path):
    out = str(tmp_path / "res")
    run_study(TINY, out, log=lambda *_: None)
    names = set(os.listdir(out))
    for stem in ("fig01_", "fig02_", "fig05_", "fig06_", "fig07_", "fig08_", "fig09_", "fig10_",
                 "fig11_", "fig12_"):
        assert any(n.startswith(stem) and n.endswith(".png") for n in names), stem
    assert {"summary.csv", "summary.json", "manifest.json", "metrics.npz"} <= names
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    assert summary["timing"] == "sequential"
    rows = summary["rows"]
    assert [r["experiment"] for r in rows] == ["main", "main", "swap", "swap"]
    for r in rows:
        assert r["q1"] + r["q2"] + r["q3"] + r["q4"] == r["runs"]
        assert r["in_rectangle"] <= r["q3"]
    data = np.load(os.path.join(out, "metrics.npz"))
    # every test episode sells the whole inventory
    np.testing.assert_allclose(data["main_volume"].sum(-1), 100.0, rtol=1e-4)
    np.testing.assert_allclose(rows[0]["mean_is"], data["main_test_is"][:2].mean(), rtol=1e-5)
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["schema"] == 1 and manifest["kind"] == "reproduce" and manifest["status"] == "complete"
    assert set(manifest["files"]) <= names
    with pytest.raises(ValueError, match="--force"):
        run_study(TINY, out, log=lambda *_: None)
    # a complete run resumed does no work and rewrites the same summary
    run_study(TINY, out, resume=True, log=lambda *_: None)
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f)["rows"] == rows
    assert main(["results", out]) == 0


def test_cli_errors_exit_2_before_compiling(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    assert main(["reproduce", "execution", "--out", str(tmp_path / "taken")]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["bench", "ddqn", "--runs", "-1"]) == 2
    assert main(["bench", "ddqn", "--actions", "1"]) == 2
    for argv in (["reproduce", "execution", "--bogus"], ["reproduce", "nosuchstudy"],
                 ["reproduce", "execution", "--quick", "--full"]):
        with pytest.raises(SystemExit) as err:
            main(argv)
        assert err.value.code == 2


def test_bad_study_config_is_rejected():
    import dataclasses

    with pytest.raises(ValueError, match="chunk"):
        dataclasses.replace(TINY, train_iterations=25).validate()
    with pytest.raises(ValueError, match="sigma"):
        dataclasses.replace(TINY, sigmas=(-1.0,)).validate()
    with pytest.raises(ValueError, match="batch_size"):
        dataclasses.replace(TINY, batch_size=500).validate()


def test_bench_ddqn_runs_both_sides_at_a_tiny_size(capsys):
    # the benchmark's learner and its plain reference both run (no timing is asserted)
    assert main(["bench", "ddqn", "--runs", "2", "--iterations", "7", "--actions", "3",
                 "--reference-steps", "70"]) == 0
    out = capsys.readouterr().out
    assert "agent-updates/s" in out and "ratio lax.scan / reference" in out
