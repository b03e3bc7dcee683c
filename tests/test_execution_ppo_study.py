"""Paper 001's experiment with PPO traders (`reproduce execution --learner ppo`,
`sweep execution --config learner=ppo`): the comparison with DDQN traders, the
sweep's PG fields and their bad input, and a stopped PPO run resumed."""

import csv
import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.pg import PGConfig, PGHparams
from jaxmarkets.execution.game import ExecutionGame
from sweeps import engine
from sweeps.cli import main
from sweeps.studies.execution.adapter import policy_gradient
from sweeps.studies.execution.reproduction import PPO_QUICK, QUICK, run_study

TINY_PG = PGConfig(hidden=8, n_layers=1, episodes=8, minibatches=2, epochs=1)
TINY_PPO = dataclasses.replace(
    PPO_QUICK, mode="custom", sigmas=(1e-9, 1e-2), runs=2, swap_runs=0, train_iterations=4,
    test_iterations=2, chunk=2, pg=TINY_PG,
)
# the DDQN main experiment it is compared with: same game, sigmas, runs and seed
TINY_DDQN = dataclasses.replace(
    QUICK, mode="custom", sigmas=(1e-9, 1e-2), runs=2, swap_runs=0, nash_explore_runs=0,
    fixed_nash_runs=0, train_iterations=20, test_iterations=5, chunk=10, n_actions=5, batch_size=16,
    memory_size=128,
)


def test_ppo_study_compares_both_learners_centroids(tmp_path):
    out = str(tmp_path / "ppo")
    run_study(TINY_PPO, out, log=lambda *_: None, ddqn=TINY_DDQN)
    names = set(os.listdir(out))
    assert {"fig15_learners_centroids.png", "comparison_centroids.csv", "summary.csv", "summary.json"} <= names
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    assert summary["learner"] == "ppo"
    rows = summary["rows"]
    assert {r["learner"] for r in rows} == {"ppo", "ddqn"}
    for r in rows:
        assert r["q1"] + r["q2"] + r["q3"] + r["q4"] == r["runs"]
    data = np.load(os.path.join(out, "metrics.npz"))
    # every PPO test episode sells the whole inventory (a fraction-of-inventory
    # action ends at zero: the last step sells what is left)
    np.testing.assert_allclose(data["main_volume"].sum(-1), 100.0, rtol=1e-4)
    with open(os.path.join(out, "comparison_centroids.csv")) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 2 * 2 * 2  # learners x sigmas x runs
    # each centroid recomputed from the stored test IS of that learner, sigma and run
    for learner, prefix in (("ppo", "main"), ("ddqn", "ddqn_main")):
        for sigma in TINY_PPO.sigmas:
            is_ = data[f"{prefix}_test_is"][data[f"{prefix}_sigma"] == sigma]
            mine = [r for r in table if r["learner"] == learner and float(r["sigma"]) == pytest.approx(sigma)]
            for r in mine:
                c = is_[int(r["run"])].mean(0)
                assert float(r["is_agent1"]) == pytest.approx(c[0], rel=1e-5)
                assert float(r["is_agent2"]) == pytest.approx(c[1], rel=1e-5)
    # resumed, a finished study does no work and writes the same summary
    run_study(TINY_PPO, out, resume=True, log=lambda *_: None, ddqn=TINY_DDQN)
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f)["rows"] == rows


@pytest.mark.parametrize("argv, words", [
    (["--config", "learner=sac"], "learner"),
    (["--config", "learner=ppo", "--config", "minibatches=128"], "minibatches"),
    (["--config", "learner=ppo", "--config", "cell=rnn"], "cell"),
    (["--config", "learner=ppo", "--config", "episodes=0"], "episodes"),
    (["--config", "learner=ppo", "--set", "lr=0"], "lr"),
    (["--config", "learner=ppo", "--set", "clip=0"], "clip"),
    (["--config", "learner=ppo", "--set", "gamma=1.5"], "gamma"),
    (["--config", "learner=ppo", "--set", "gae_lambda=-0.1"], "gae_lambda"),
    (["--config", "learner=ppo", "--config", "n_actions=5"], "n_actions"),
])
def test_bad_ppo_sweep_input_is_one_line_and_exit_2(tmp_path, capsys, argv, words):
    assert main(["sweep", "execution", "--out", str(tmp_path / "s"), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
    assert not os.path.exists(tmp_path / "s" / "chunks")


def test_stopped_ppo_run_resumes_to_the_same_results(tmp_path):
    game = ExecutionGame(n_agents=2, n_steps=4)
    adapter, learner = policy_gradient(game, TINY_PG)
    plan = engine.learner_plan(learner, 4, 0, 2)  # two train chunks; test phases are the study test's
    n = 2
    keys = jax.random.split(jax.random.key(3), n)
    params = jax.tree.map(lambda x: jnp.stack([x] * n), adapter.make_params(game.make_params()))
    hparams = jax.tree.map(lambda x: jnp.broadcast_to(x, (n,)), PGHparams.make(lr=1e-3))
    whole = engine.run(plan, keys, params, hparams, str(tmp_path / "a"), progress=False)
    d = str(tmp_path / "b")
    engine.run(plan, keys, params, hparams, d, progress=False, stop_after=1)
    assert not engine.is_complete(plan, d)
    resumed = engine.run(plan, keys, params, hparams, d, resume=True, progress=False)
    for phase in whole:
        for name in whole[phase]:
            np.testing.assert_array_equal(whole[phase][name], resumed[phase][name])
