"""Two JAX processes on this machine's CPU (gloo collectives) run one sweep
together, and end identical to one process with the same devices: what the
README's multi-host section promises, tested for real."""

import os
import socket
import subprocess
import sys

import numpy as np

from sweeps.engine.results import load_metrics

HERE = os.path.dirname(__file__)
SWEEP = [sys.executable, "-m", "sweeps.cli", "sweep", "execution", "--set", "sigma=1e-3,1e-2", "--seeds", "3",
         "--config", "train_iterations=20", "--config", "test_iterations=10", "--config", "chunk=10",
         "--config", "log_every=10", "--config", "memory_size=200", "--config", "batch_size=16",
         "--config", "n_actions=5", "--quiet"]


def _env(devices: int, **extra) -> dict:
    path = os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_run_one_sweep_identical_to_one_process(tmp_path):
    two, one = str(tmp_path / "two"), str(tmp_path / "one")
    address = f"127.0.0.1:{_free_port()}"
    procs = [
        subprocess.Popen(SWEEP + ["--out", two], env=_env(1, JAX_COORDINATOR_ADDRESS=address,
                                                          JAX_NUM_PROCESSES="2", JAX_PROCESS_ID=str(i)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    assert "2 process(es)" in outs[0][0] and "study" not in outs[1][0]  # process 0 reports, 1 does not
    single = subprocess.run(SWEEP + ["--out", one], env=_env(2), capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]
    a, b = load_metrics(one), load_metrics(two)
    assert a["test"]["is"].shape == (6, 10, 2)  # 2 sigmas x 3 seeds, padded to 6 on 2 devices: no padding
    for phase in a:
        for name in a[phase]:
            np.testing.assert_array_equal(a[phase][name], b[phase][name], err_msg=f"{phase}/{name}")
    with open(os.path.join(one, "summary.csv")) as f, open(os.path.join(two, "summary.csv")) as g:
        assert f.read() == g.read()
