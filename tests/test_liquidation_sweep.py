"""`jaxmarkets sweep liquidation`: a tiny grid through the sweep engine, its
summary's invariants, and bad input before anything compiles."""

import csv

import pytest

from sweeps.cli import main


def test_tiny_sweep_of_recurrent_dqn_banks(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "liquidation", "--set", "withdrawal=10,20", "--seeds", "2", "--config",
            "learner=recurrent_ddqn", "--config", "train_iterations=20", "--config", "test_iterations=10",
            "--config", "chunk=10", "--config", "objective=cash", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["withdrawal"]) for r in rows] == [10.0, 20.0]
    for r in rows:
        assert r["planner_method"] == "exact" and int(r["seeds"]) == 2
        # no policy beats the planner: it maximises over every open-loop joint sequence
        assert float(r["welfare"]) <= float(r["planner_welfare"]) + 1e-4
        assert 0 <= float(r["defaults"]) <= 2


@pytest.mark.parametrize("argv, words", [
    (["--set", "speed=1"], "unknown --set field 'speed'"),
    (["--config", "chunk=7"], "chunk = 7 must divide train_iterations = 300"),
    (["--config", "learner=sarsa"], "learner"),
    (["--config", "objective=profit"], "objective"),
    (["--set", "max_sale=2"], "max_sale"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, words):
    assert main(["sweep", "liquidation", *argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
