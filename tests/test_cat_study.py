"""`jaxmarkets reproduce cat` end to end at a toy size (ZI-C only, so three
small programs compile): every file written, the tables sane, --resume loads
every finished cell instead of running it again."""

import csv
import dataclasses
import json

from sweeps.studies.cat.learned import BanditConfig
from sweeps.studies.cat.learned_study import LearnedConfig
from sweeps.studies.cat.reproduction import QUICK, run_study

TOY = dataclasses.replace(QUICK, traders=6, days=2, rounds=3, seeds=2, calls=(1, 3), tournament_days=2,
                          tournament_seeds=2, strategies=("zic",), markets=("cda",), call_strategies=("zic",),
                          tournament_mix=("zic",),
                          learned=LearnedConfig(traders=3, days=2, rounds=2, runs=("cda",), eval_games=2,
                                                bandit=BanditConfig(iterations=2, games=6, group=2),
                                                menu=(("profit", (0.0, 0.1)),)))


def test_study_writes_every_file_and_resumes(tmp_path):
    out = tmp_path / "cat"
    manifest = run_study(TOY, out, log=lambda *_: None)
    assert manifest["status"] == "complete"
    for name in ("summary.csv", "summary.json", "single.csv", "calls.csv", "tournament.csv", "single.png",
                 "calls.png", "tournament.png", "tournament_days.csv", "learned.csv", "learned_summary.csv",
                 "learned_curves.csv", "learned_options.csv", "learned.png"):
        assert (out / name).exists(), name
    with open(out / "tournament.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and abs(sum(float(r["market_share"]) for r in rows) - 1.0) < 1e-4
    with open(out / "calls.csv") as f:
        calls = {int(r["calls"]): float(r["efficiency"]) for r in csv.DictReader(f)}
    assert calls[3] > calls[1]
    with open(out / "learned.csv") as f:
        learned = list(csv.DictReader(f))
    assert [r["specialist"] for r in learned] == ["cda", "learned"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["learned"][0]["options"] == 2
    # resumed: every task is loaded from tasks/, the tables are identical
    again = run_study(TOY, out, resume=True, log=lambda *_: None)
    assert again["status"] == "complete" and again["resumed_at"]
    assert json.loads((out / "summary.json").read_text()) == summary
