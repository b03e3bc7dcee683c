"""Sharding over 4 simulated devices and a real kill mid-sweep, in subprocesses."""

import os
import signal
import subprocess
import sys
import time

import numpy as np

from sweeps import driver

HERE = os.path.dirname(__file__)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")])}


def test_sharded_over_four_devices_equals_one_device_and_padding_never_leaks():
    out = subprocess.run([sys.executable, os.path.join(HERE, "helpers", "sharded_check.py")],
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert out.returncode == 0 and "sharded-ok" in out.stdout, out.stderr[-3000:]


SWEEP = [sys.executable, "-m", "sweeps.cli", "sweep", "execution", "--set", "sigma=1e-3,1e-2", "--seeds", "2",
         "--config", "train_iterations=200", "--config", "test_iterations=100", "--config", "chunk=50",
         "--config", "memory_size=500", "--config", "n_actions=5", "--quiet"]


def test_killed_sweep_resumes_to_identical_results(tmp_path):
    whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
    subprocess.run(SWEEP + ["--out", whole], check=True, env=ENV, timeout=600, capture_output=True)
    proc = subprocess.Popen(SWEEP + ["--out", killed], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chunks = os.path.join(killed, "chunks")
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if os.path.isdir(chunks) and any(f.endswith(".npz") for f in os.listdir(chunks)):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not os.path.exists(os.path.join(killed, "metrics.npz")), "the sweep finished before the kill"
    subprocess.run(SWEEP + ["--resume", killed], check=True, env=ENV, timeout=600, capture_output=True)
    a, b = driver.load_metrics(whole), driver.load_metrics(killed)
    for phase in a:
        for name in a[phase]:
            np.testing.assert_array_equal(a[phase][name], b[phase][name])
