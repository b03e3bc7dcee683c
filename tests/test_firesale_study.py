"""The Section 5.3 study at a tiny size: files, and a CSV value recomputed
independently (NumPy reference on the same instances)."""

import csv
import json

import jax
import numpy as np

from jaxmarkets.firesale.random_instances import section53
from jaxmarkets.firesale.reference import run_batch_np
from helpers.firesale_study_run import TINY
from sweeps.cli import main
from sweeps.studies.firesale.reproduction import run_study


def test_study_writes_figures_and_csv(tmp_path, capsys):
    out = tmp_path / "fs"
    manifest = run_study(TINY, out, log=lambda *_: None)
    for name in ("figure2.csv", "figure3.csv", "figure2.png", "figure3.png", "cascades.csv",
                 "phase_diagram.png", "manifest.json"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "manifest.json").read_text())["config"]["instances"] == 24
    assert manifest["config"]["mode"] == "quick" and manifest["status"] == "complete"
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert len(summary) == 2 and float(summary[0]["mean_steps_best_response"]) >= 0
    capsys.readouterr()
    assert main(["results", str(out)]) == 0
    text = capsys.readouterr().out
    assert "study firesale (reproduce), status complete" in text and "mean_steps_simplified" in text
    rows = list(csv.DictReader((out / "figure3.csv").open()))
    assert len(rows) == 2 * 1 * 1 * 2  # param sets x n x tau x rules
    # recompute one point with the NumPy reference on the same instances
    with jax.enable_x64(True):
        key = jax.random.fold_in(jax.random.key(TINY.seed), 3)
        P = section53(jax.random.fold_in(key, 1000 * 2 + 10 * 3 + 0), 3, 0.5, 24, 2)
        _, steps, _ = run_batch_np(*(np.asarray(v) for v in (P.holdings, P.illiquid, P.liabilities,
                                                              P.prices0, P.leverage_cap)), rule="simplified")
    row = next(r for r in rows if r["param_set"] == "2" and r["n"] == "3" and r["rule"] == "simplified")
    assert float(row["mean_steps"]) == steps.mean()
    fig2 = list(csv.DictReader((out / "figure2.csv").open()))
    assert len(fig2) == 2 * 5 and all(0 <= float(r["share_moving"]) <= 1 for r in fig2)


def test_reproduce_refuses_a_non_empty_directory(tmp_path, capsys):
    (tmp_path / "x").write_text("keep")
    assert main(["reproduce", "firesale", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["reproduce", "firesale", "--instances", "0"]) == 2
