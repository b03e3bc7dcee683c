"""`jaxmarkets bench sweep`: runs x iterations per second through the sweep engine
on 1, 2 and 4 simulated CPU devices (or the real devices, with --devices 0).

Each device count runs in a subprocess of its own, since XLA fixes the number of
CPU devices when JAX starts. The workload is the execution sweep study: Double-DQN
pairs in the paper's configuration, one chunk per phase compiled once; the first
chunk of a phase (compile included) is reported apart from the steady chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from jaxmarkets.core import InputError, check_choice, check_int
from sweeps.cli.options import print_json


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="sweep-engine throughput over 1, 2, 4 simulated devices")
    p.add_argument("--devices", default="1,2,4", help="device counts; 0 means the real devices")
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--chunk", type=int, default=50)
    p.add_argument("--chunks", type=int, default=4, help="training chunks (the first compiles)")
    p.add_argument("--head", default="action_in")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def worker(runs: int, chunk: int, chunks: int, head: str) -> dict:
    import jax

    from sweeps import engine
    from sweeps.cli.options import build_config
    from sweeps.engine.grid import Grid
    from sweeps.studies.execution import sweep

    config = build_config(sweep.SweepConfig, {
        "train_iterations": chunk * chunks, "test_iterations": chunk, "chunk": chunk,
        "log_every": chunk, "head": head,
    })
    setup = sweep.setup(Grid(), list(range(runs)), config)
    seconds: list = []
    engine.run(setup.plan, setup.keys, setup.params, setup.hparams, tempfile.mkdtemp(),
               progress=False, chunk_seconds=seconds)
    train = [t for name, t in seconds if name == "train"]
    steady = sum(train[1:]) / max(len(train) - 1, 1)
    return {
        "devices": jax.device_count(), "backend": jax.default_backend(), "runs": runs,
        "chunk": chunk, "head": head, "first_chunk_s": train[0], "steady_chunk_s": steady,
        "run_iterations_per_s": runs * chunk / steady,
        "agent_updates_per_s": runs * chunk * 2 * config.n_steps / steady,
    }


def run(args: argparse.Namespace) -> int:
    try:
        counts = [int(c) for c in args.devices.split(",")]
    except ValueError:
        raise InputError(f"--devices = {args.devices!r}: expected comma-separated integers >= 0") from None
    for c in counts:
        check_int("--devices", c, 0)
    check_int("--runs", args.runs, 1)
    check_int("--chunk", args.chunk, 1)
    check_int("--chunks", args.chunks, 2)
    from agents.networks import HEADS

    check_choice("--head", args.head, HEADS)
    rows = []
    for count in counts:
        env = dict(os.environ)
        if count:
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={count}"
            env["JAX_PLATFORMS"] = "cpu"
        code = (f"import json; from sweeps.cli.bench_sweep import worker; "
                f"print(json.dumps(worker({args.runs}, {args.chunk}, {args.chunks}, {args.head!r})))")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-2000:])
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]["run_iterations_per_s"]
    for r in rows:
        r["ratio_to_first"] = r["run_iterations_per_s"] / base
    if args.json:
        print_json(rows)
        return 0
    print(f"sweep engine, execution study ({args.runs} runs, chunks of {args.chunk} iterations, head {args.head})")
    print(f"{'devices':>7} {'first chunk s':>13} {'steady chunk s':>14} {'runs x its/s':>12} "
          f"{'agent-updates/s':>15} {'ratio':>6}")
    for r in rows:
        print(f"{r['devices']:>7} {r['first_chunk_s']:>13.2f} {r['steady_chunk_s']:>14.2f} "
              f"{r['run_iterations_per_s']:>12.1f} {r['agent_updates_per_s']:>15.0f} {r['ratio_to_first']:>6.2f}")
    return 0
