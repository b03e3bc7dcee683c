"""`jaxmarkets bench execution`: env agent-steps per second against NumPy.

Both sides run the same episodes (TWAP fractions, fresh price noise and trading
orders each episode) with their noise drawn inside the timed region. JAX compile
time is reported apart; run times are the best of `--repeats`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jaxmarkets.core import InputError, params_to_dict
from jaxmarkets.execution.game import DEFAULT_TIMING, TIMINGS, ExecutionGame
from sweeps.cli.options import print_json
from sweeps.engine.timing import best_seconds


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name, help="execution-game environment throughput against a NumPy reference"
    )
    p.add_argument("--timing", default=DEFAULT_TIMING, help=f"one of {', '.join(TIMINGS)}")
    p.add_argument("--episodes", default="1,1000,100000", help="comma-separated batch sizes")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def bench(timing: str, sizes: list[int], repeats: int) -> list[dict]:
    import jax
    import jax.numpy as jnp

    from jaxmarkets.execution import reference

    game = ExecutionGame(timing=timing)
    params = game.default_params()
    game.validate(params)
    n, n_steps = game.n_agents, game.n_steps
    frac = jnp.broadcast_to(1.0 / (n_steps - jnp.arange(n_steps)), (n, n_steps))
    pdict = params_to_dict(params)
    rng = np.random.default_rng(0)

    def numpy_run(n_eps):
        xi = rng.standard_normal((n_eps, n_steps))
        order = rng.random((n_eps, n_steps, n)) if timing == "sequential" else None
        return reference.simulate(timing, pdict, np.asarray(frac), xi, order)["is"]

    rows = []
    for n_eps in sizes:
        fn = jax.jit(lambda key: jax.vmap(lambda k: game.rollout_fractions(k, params, frac)["is"])(
            jax.random.split(key, n_eps)))
        key = jax.random.key(0)
        t0 = time.perf_counter()
        compiled = fn.lower(key).compile()
        compile_s = time.perf_counter() - t0
        compiled(key).block_until_ready()  # warm-up
        jax_s = best_seconds(lambda: compiled(key).block_until_ready(), repeats)
        numpy_s = best_seconds(lambda: numpy_run(n_eps), repeats)
        agent_steps = n_eps * n_steps * n
        rows.append({
            "episodes": n_eps, "timing": timing, "compile_s": compile_s,
            "jax_run_s": jax_s, "numpy_run_s": numpy_s,
            "jax_agent_steps_per_s": agent_steps / jax_s,
            "numpy_agent_steps_per_s": agent_steps / numpy_s,
            "speedup": numpy_s / jax_s,
        })
    return rows


def run(args: argparse.Namespace) -> int:
    if args.timing not in TIMINGS:
        raise InputError(f"timing = {args.timing!r} is not one of {', '.join(TIMINGS)}")
    try:
        sizes = [int(float(s)) for s in args.episodes.split(",")]
    except ValueError:
        raise InputError(f"--episodes = {args.episodes!r}: expected comma-separated integers") from None
    if any(s < 1 for s in sizes) or args.repeats < 1:
        raise InputError("--episodes and --repeats must be at least 1")
    import jax

    rows = bench(args.timing, sizes, args.repeats)
    if args.json:
        print_json({"backend": jax.default_backend(), "rows": rows})
        return 0
    print(f"execution env, timing = {args.timing}, backend = {jax.default_backend()}, "
          f"{jax.device_count()} device(s); best of {args.repeats}")
    print(f"{'episodes':>9} {'compile s':>10} {'jax s':>10} {'numpy s':>10} "
          f"{'jax agent-steps/s':>18} {'numpy agent-steps/s':>20} {'jax/numpy':>9}")
    for r in rows:
        print(f"{r['episodes']:>9} {r['compile_s']:>10.3f} {r['jax_run_s']:>10.5f} {r['numpy_run_s']:>10.5f} "
              f"{r['jax_agent_steps_per_s']:>18.3e} {r['numpy_agent_steps_per_s']:>20.3e} {r['speedup']:>9.2f}")
    return 0
