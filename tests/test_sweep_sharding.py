"""Sharding over 4 simulated devices, and real kills mid-study, in subprocesses.

The kill is deterministic: the engine's test-only hook (JAXMARKETS_KILL_AFTER)
SIGKILLs the process right after its k-th chunk or task is on disk.
"""

import csv
import os
import subprocess
import sys

import numpy as np

from sweeps.engine.results import load_metrics

HERE = os.path.dirname(__file__)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")])}


def test_sharded_over_four_devices_equals_one_device_and_padding_never_leaks():
    out = subprocess.run([sys.executable, os.path.join(HERE, "helpers", "sharded_check.py")],
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert out.returncode == 0 and "sharded-ok" in out.stdout, out.stderr[-3000:]


SWEEP = [sys.executable, "-m", "sweeps.cli", "sweep", "execution", "--set", "sigma=1e-3,1e-2", "--seeds", "2",
         "--config", "train_iterations=100", "--config", "test_iterations=50", "--config", "chunk=50",
         "--config", "memory_size=500", "--config", "n_actions=5", "--quiet"]


def test_killed_sweep_resumes_to_identical_results(tmp_path):
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    subprocess.run(SWEEP + ["--out", whole], check=True, env=ENV, timeout=600, capture_output=True)
    proc = subprocess.run(SWEEP + ["--out", killed], env={**ENV, "JAXMARKETS_KILL_AFTER": "2"},
                          timeout=600, capture_output=True)
    assert proc.returncode == -9 and not os.path.exists(os.path.join(killed, "metrics.npz"))
    assert len(os.listdir(os.path.join(killed, "chunks"))) == 2  # of 3: train 1, train 2, test
    subprocess.run(SWEEP + ["--resume", killed], check=True, env=ENV, timeout=600, capture_output=True)
    a, b = load_metrics(whole), load_metrics(killed)
    for phase in a:
        for name in a[phase]:
            np.testing.assert_array_equal(a[phase][name], b[phase][name])


FIRESALE = [sys.executable, os.path.join(HERE, "helpers", "firesale_study_run.py")]


def test_killed_firesale_study_resumes_to_identical_results(tmp_path):
    # 5 tasks at this size: figure 2 (one tau), figure 3 (two parameter sets), cascades (two taus)
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    subprocess.run(FIRESALE + [whole], check=True, env=ENV, timeout=600, capture_output=True)
    proc = subprocess.run(FIRESALE + [killed], env={**ENV, "JAXMARKETS_KILL_AFTER": "3"},
                          timeout=600, capture_output=True)
    assert proc.returncode == -9 and len(os.listdir(os.path.join(killed, "tasks"))) == 3
    assert not os.path.exists(os.path.join(killed, "summary.csv"))
    subprocess.run(FIRESALE + [killed, "resume"], check=True, env=ENV, timeout=600, capture_output=True)
    for name in ("figure2.csv", "figure3.csv", "cascades.csv", "summary.csv"):
        with open(os.path.join(whole, name)) as f, open(os.path.join(killed, name)) as g:
            assert list(csv.reader(f)) == list(csv.reader(g)), name
