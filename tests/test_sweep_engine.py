"""The sweep engine in one process: grids, padding, chunks, resume, bad input."""

import json
import os

import numpy as np
import pytest

from helpers import toy_plan
from sweeps import engine
from sweeps.cli import main
from sweeps.cli.options import parse_grid
from sweeps.engine.grid import run_table
from sweeps.engine.results import ResultsDir, load_metrics


def test_grid_product_zip_and_run_order():
    g = parse_grid(["sigma=1e-9,1e-3", "kappa=0.0005,0.001", "q0=[100,50]"])
    assert g.points()[1] == {"sigma": 1e-9, "kappa": 0.001, "q0": [100, 50]} and len(g.points()) == 4
    z = parse_grid(["sigma=1,2", "kappa=3,4"], "zip")
    assert z.points() == [{"sigma": 1, "kappa": 3}, {"sigma": 2, "kappa": 4}]
    assert [r["seed"] for r in run_table(z, [7, 8])] == [7, 8, 7, 8]
    with pytest.raises(ValueError, match="one length"):
        parse_grid(["sigma=1,2", "kappa=3"], "zip")


def test_pad_runs_repeats_a_valid_run():
    x = {"a": np.arange(5.0)}
    padded = engine.pad_runs(x, 5, 4)
    np.testing.assert_array_equal(padded["a"], [0, 1, 2, 3, 4, 0, 0, 0])


def test_stop_and_resume_equals_an_uninterrupted_sweep(tmp_path):
    plan, keys, params, hparams = toy_plan.make(n_runs=3)
    whole = engine.run(plan, keys, params, hparams, str(tmp_path / "a"), progress=False)
    assert whole["train"]["is"].shape == (3, 8, 2) and whole["test"]["is"].shape == (3, 4, 2)
    np.testing.assert_array_equal(whole["test"]["count"][0], np.arange(8, 12))  # carry continued
    for stop in (1, 2):
        d = str(tmp_path / f"b{stop}")
        engine.run(plan, keys, params, hparams, d, progress=False, stop_after=stop)
        assert not engine.is_complete(plan, d)
        resumed = engine.run(plan, keys, params, hparams, d, resume=True, progress=False)
        for phase in whole:
            for name in whole[phase]:
                np.testing.assert_array_equal(whole[phase][name], resumed[phase][name])


def test_plan_rejects_chunks_that_do_not_divide():
    with pytest.raises(ValueError, match="not a multiple of chunk_size"):
        toy_plan.make(n_runs=2, train=10, chunk_size=4)


def test_results_dir_is_never_overwritten_without_force(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="--force"):
        ResultsDir(str(d), "execution", "sweep", {}, force=False)
    assert (d / "keep.txt").exists()
    ResultsDir(str(d), "execution", "sweep", {}, force=True)
    assert not (d / "keep.txt").exists()


SMALL = ["--config", "train_iterations=100", "--config", "test_iterations=50", "--config", "chunk=50",
         "--config", "memory_size=500", "--config", "n_actions=5", "--quiet"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--set", "volatility=1"], "unknown --set field 'volatility'"),
        (["--set", "sigma=abc"], "sigma"),
        (["--set", "sigma=-1"], "sigma = -1 is outside"),
        (["--set", "lr=0"], "lr"),
        (["--config", "chunk=30"], "chunk = 30"),
        (["--config", "memory=3"], "unknown --config field 'memory'"),
        (["--config", "n_actions=2.5"], "n_actions"),
        (["--seeds", "0"], "--seeds = 0"),
        (["--config", "chunk=0"], "chunk = 0 is outside"),
        (["--config", "test_iterations=0"], "test_iterations = 0 is outside"),
        (["--config", "timing=later"], "timing = 'later'"),
    ],
)
def test_sweep_bad_input_exits_2_before_running(tmp_path, capsys, argv, words):
    out = tmp_path / "never"
    assert main(["sweep", "execution", *SMALL, "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not out.exists()


def test_sweep_end_to_end_results_and_resume_of_another_grid(tmp_path, capsys):
    out = str(tmp_path / "sweep")
    assert main(["sweep", "execution", *SMALL, "--set", "sigma=1e-3,1e-2", "--seeds", "2", "--out", out]) == 0
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["status"] == "complete" and manifest["n_runs"] == 4 and manifest["seeds"] == [0, 1]
    assert {"jax", "numpy"} <= set(manifest["versions"]) and manifest["backend"] == "cpu"
    metrics = load_metrics(out)
    assert metrics["test"]["is"].shape == (4, 50, 2)
    assert np.all(np.isfinite(metrics["test"]["is"]))
    capsys.readouterr()
    assert main(["results", out]) == 0
    text = capsys.readouterr().out
    assert "study execution (sweep), status complete" in text and "4 runs" in text and "share_in_rectangle" in text and os.path.exists(os.path.join(out, "seed_robustness.png"))
    # the same directory cannot be resumed as another grid, nor written again without --force
    assert main(["sweep", "execution", *SMALL, "--set", "sigma=1e-3", "--seeds", "2", "--resume", out]) == 2
    assert "grid" in capsys.readouterr().err
    assert main(["sweep", "execution", *SMALL, "--set", "sigma=1e-3,1e-2", "--seeds", "2", "--out", out]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["results", str(tmp_path)]) == 2


def test_task_table_keeps_none_apart_from_nan(tmp_path):
    """A stored table holds plain arrays; loading it gives back None where a value
    was undefined, a real NaN as NaN, and the rest unchanged."""
    import math

    from sweeps.engine.tasks import TaskRunner

    rows = [{"policy": "a", "ratio": 0.5, "share": None, "n": 1},
            {"policy": "b", "ratio": float("nan"), "share": 0.25, "n": 2}]
    TaskRunner(str(tmp_path), resume=False).rows("t", lambda: rows)
    loaded = TaskRunner(str(tmp_path), resume=True)
    back = loaded.rows("t", lambda: 1 / 0)  # loads, never recomputes
    assert loaded.loaded == 1
    assert back[0] == {"policy": "a", "ratio": 0.5, "share": None, "n": 1}
    assert back[1]["share"] == 0.25 and math.isnan(back[1]["ratio"]) and back[1]["policy"] == "b"
