"""`jaxmarkets bench firesale`: both dynamics of paper 003 at n = 10, vmapped over
many Section 5.3 instances, against a NumPy loop over instances (same process).

Throughput is instance-steps per second, an instance-step being one update of
all n agents of one instance (the final, confirming update included). Compile
time and run time (best of `--repeat`) are printed apart; the NumPy loop is
timed on a subset and compared per instance-step. The batch is split over every
CPU core (one JAX device each) unless `--devices` says otherwise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jaxmarkets.core import check_int, check_range
from sweeps.engine import shard_batch
from sweeps.cli.options import print_json


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="paper 003: best-response and simplified dynamics vs a NumPy loop",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--instances", type=int, default=100_000, help="instances vmapped (default 1e5)")
    p.add_argument("--numpy-instances", type=int, default=300, help="instances of the NumPy loop (default 300)")
    p.add_argument("--n", type=int, default=10, help="agents = assets (default 10)")
    p.add_argument("--tau", type=float, default=0.5, help="diversification (default 0.5)")
    p.add_argument("--devices", type=int, default=0, help="devices to split the batch over (default: all)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs of each program; the best counts")
    p.add_argument("--plain", action="store_true",
                   help="also time the plain vmapped while-loop (no compaction; slow tail)")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def _time(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def bench(instances: int, numpy_instances: int, n: int, tau: float, plain: bool,
          devices: int = 0, repeat: int = 3) -> dict:
    import jax

    from jaxmarkets.firesale.dynamics import many_solver, run_dynamics
    from jaxmarkets.firesale.random_instances import section53
    from jaxmarkets.firesale.reference import run_batch_np

    device_list = jax.devices()[: devices or None]
    rows = []
    with jax.enable_x64(True):
        params = section53(jax.random.key(0), n, tau, instances, 1)
        jax.block_until_ready(params)
        host = [np.asarray(v)[:numpy_instances] for v in
                (params.holdings, params.illiquid, params.liabilities, params.prices0, params.leverage_cap)]
        for rule in ("best_response", "simplified"):
            (ys, st, _), t_np = _time(lambda: run_batch_np(*host, rule=rule))
            t_np = min([t_np] + [_time(lambda: run_batch_np(*host, rule=rule))[1] for _ in range(repeat - 1)])
            np_steps = int((st + 1).sum())
            np_rate = np_steps / t_np

            def many():
                r = shard_batch(many_solver("linear", params, rule), params, device_list)
                return jax.block_until_ready(r)

            r, t_first = _time(many)
            t_run = min(_time(many)[1] for _ in range(repeat))
            work = int((np.asarray(r.steps) + 1).sum())
            agree = float(np.abs(np.asarray(r.y)[:numpy_instances] - ys).max())
            rows.append({
                "rule": rule, "method": "compacted, sharded", "instances": instances,
                "compile_s": max(t_first - t_run, 0.0), "run_s": t_run, "instance_steps": work,
                "rate": work / t_run, "numpy_rate": np_rate, "ratio": work / t_run / np_rate,
                "numpy_instances": numpy_instances, "numpy_s": t_np, "numpy_instance_steps": np_steps,
                "max_abs_diff_vs_numpy": agree, "mean_steps": float(np.asarray(r.steps).mean()),
                "max_steps": int(np.asarray(r.steps).max()),
            })
            if plain:
                f = jax.jit(jax.vmap(lambda p: run_dynamics("linear", p, None, rule)))
                compiled, t_c = _time(lambda: f.lower(params).compile())
                r2, t_r = _time(lambda: jax.block_until_ready(compiled(params)))
                rows.append({
                    "rule": rule, "method": "vmap while_loop", "instances": instances, "compile_s": t_c,
                    "run_s": t_r, "instance_steps": work, "rate": work / t_r, "numpy_rate": np_rate,
                    "ratio": work / t_r / np_rate,
                })
    n_dev = min(devices or jax.device_count(), jax.device_count())
    return {"n": n, "tau": tau, "device": f"{jax.devices()[0].platform} x{n_dev}", "rows": rows}


def run(args) -> int:
    check_int("--instances", args.instances, 1)
    check_int("--numpy-instances", args.numpy_instances, 1)
    check_int("--n", args.n, 2)
    check_range("--tau", args.tau, 0.0, 1.0)
    check_int("--devices", args.devices, 0)
    check_int("--repeat", args.repeat, 1)
    numpy_instances = min(args.numpy_instances, args.instances)
    report = bench(args.instances, numpy_instances, args.n, args.tau, args.plain, args.devices, args.repeat)
    if args.json:
        print_json(report)
        return 0
    print(f"fire-sale dynamics, n = {report['n']}, tau = {report['tau']:g}, {args.instances} instances, "
          f"float64, {report['device']}")
    print(f"{'rule':<14} {'method':<22} {'compile s':>9} {'run s':>8} {'inst-steps':>11} "
          f"{'inst-steps/s':>13} {'numpy /s':>10} {'ratio':>7}")
    for r in report["rows"]:
        print(f"{r['rule']:<14} {r['method']:<22} {r['compile_s']:>9.2f} {r['run_s']:>8.2f} "
              f"{r['instance_steps']:>11d} {r['rate']:>13.3g} {r['numpy_rate']:>10.3g} {r['ratio']:>6.1f}x")
    return 0
