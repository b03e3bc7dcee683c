"""`jaxmarkets bench cat`: game-days per second of the CAT game (paper 004).

Scenarios (20 days of 10 rounds, 100 buyers + 100 sellers):
  mixed  4 specialists (continuous, clearing house, profit fee, charge cutting),
         traders 25 each of ZI-C, ZIP, GD, Roth-Erev per side
  zic    one continuous market, ZI-C traders (JCAT: about 3 s per game here)
  gd     one continuous market, GD traders (JCAT: about 30 s per game here)
For each: one game (one jitted program) and --games games in one program
(split over every CPU core, vmapped in chunks of --chunk), compile and run
timed apart; and for zic the plain-Python reference loop over traders of
jaxmarkets/cat/reference.py, in the same process, per game-day.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jaxmarkets.core import check_choice, check_int
from sweeps.cli.options import print_json

SCENARIOS = ("mixed", "zic", "gd")


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="paper 004: CAT game-days/s, one game and many, against a Python loop",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--games", type=int, default=1000, help="games in the batch (default 1000)")
    p.add_argument("--days", type=int, default=20, help="days per game (default 20)")
    p.add_argument("--chunk", type=int, default=100, help="games vmapped together on a device (default 100)")
    p.add_argument("--devices", type=int, default=0, help="devices to split the batch over (default: all)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    p.add_argument("--python-days", type=int, default=2, help="days timed of the Python loop (default 2)")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def scenario_game(name: str, days: int):
    from jaxmarkets.cat import CatGame
    from jaxmarkets.cat.params import with_fees

    if name == "mixed":
        mix = {"zic": 25, "zip": 25, "gd": 25, "re": 25}
        specs = ({"name": "cda"}, {"name": "ch", "clearing": "round", "accepting": "always", "pricing": "uniform"},
                 {"name": "profit"}, {"name": "cutter", "accepting": "equilibrium_beating", "charging": "cutting"})
        game = CatGame(days=days, buyers=mix, sellers=mix, specialists=specs)
        params = game.default_params()
        fees = np.zeros((4, 5), np.float32)
        fees[1, 3], fees[2, 4], fees[3] = 1.0, 0.1, (0.5, 0.5, 0.2, 1.0, 0.2)
        return game, with_fees(params, fees)
    game = CatGame(days=days, buyers={name: 100}, sellers={name: 100})
    return game, game.default_params()


def _timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def python_loop(game, params, days: int) -> float:
    """Seconds per game-day of the plain-Python reference (ZI-C, one market)."""
    import jax

    from jaxmarkets.cat.day import day_draws, day_seed, init_state
    from jaxmarkets.cat.reference import Market, reference_day

    st = game.static
    values = np.asarray(init_state(st, params, jax.random.key(0)).day.traders.value)
    draws = [tuple(np.asarray(x) for x in day_draws(st, day_seed(jax.random.key(d)))) for d in range(days)]
    t0 = time.perf_counter()
    for orders, uniforms in draws:
        reference_day(values, st.n_buyers, int(params.entitlement), orders, uniforms, Market())
    return (time.perf_counter() - t0) / days


def bench_scenario(name: str, games: int, days: int, chunk: int, devices, python_days: int) -> dict:
    import jax

    from jaxmarkets.cat.game import simulate
    from sweeps.studies.cat.runs import prepare

    game, params = scenario_game(name, days)
    one = jax.jit(lambda k: simulate(game, params, k)[0])
    compiled, t_compile1 = _timed(lambda: one.lower(jax.random.key(0)).compile())
    _, t_run1 = _timed(lambda: jax.block_until_ready(compiled(jax.random.key(1))))
    program, args = prepare(game, params, games, 0, chunk, devices)
    compiled_many, t_compile_n = _timed(lambda: program.lower(*args).compile())
    out, t_run_n = _timed(lambda: jax.block_until_ready(compiled_many(*args)))
    rate1, rate_n = days / t_run1, games * days / t_run_n
    row = {
        "scenario": name, "days": days, "traders": game.static.n_traders, "specialists": game.n_agents,
        "games": games, "compile_one_s": t_compile1, "run_one_s": t_run1, "game_days_per_s_one": rate1,
        "compile_many_s": t_compile_n, "run_many_s": t_run_n, "game_days_per_s_many": rate_n,
        "speedup_many_vs_one": rate_n / rate1, "s_per_game_day_one": 1 / rate1, "s_per_game_day_many": 1 / rate_n,
        "mean_efficiency": float(np.nanmean(np.asarray(out.efficiency)[:games])),
    }
    if name == "zic" and python_days > 0:
        py = python_loop(game, params, python_days)
        row.update(python_s_per_game_day=py, speedup_many_vs_python=py * rate_n, speedup_one_vs_python=py * rate1)
    return row


def run(args) -> int:
    import jax

    for flag in ("games", "days", "chunk"):
        check_int(f"--{flag}", getattr(args, flag), 1)
    check_int("--devices", args.devices, 0)
    check_int("--python-days", args.python_days, 0)
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for n in names:
        check_choice("--scenarios", n, SCENARIOS)
    devices = jax.devices()[: args.devices or None]
    rows = [bench_scenario(n, args.games, args.days, args.chunk, devices, args.python_days) for n in names]
    report = {"device": f"{devices[0].platform} x{len(devices)}", "rows": rows}
    if args.json:
        print_json(report)
        return 0
    print(f"CAT game, {args.days} days x 10 rounds, {report['device']}, batch of {args.games} in chunks of "
          f"{args.chunk}")
    print(f"{'scenario':<8} {'compile 1':>9} {'run 1':>7} {'days/s 1':>9} {'compile N':>9} {'run N':>8} "
          f"{'days/s N':>9} {'N vs 1':>7} {'s/day 1':>9} {'s/day N':>9} {'python s/day':>12}")
    for r in rows:
        py = f"{r['python_s_per_game_day']:.3g}" if "python_s_per_game_day" in r else "-"
        print(f"{r['scenario']:<8} {r['compile_one_s']:>9.1f} {r['run_one_s']:>7.2f} {r['game_days_per_s_one']:>9.1f} "
              f"{r['compile_many_s']:>9.1f} {r['run_many_s']:>8.1f} {r['game_days_per_s_many']:>9.1f} "
              f"{r['speedup_many_vs_one']:>6.1f}x {r['s_per_game_day_one']:>9.2e} {r['s_per_game_day_many']:>9.2e} "
              f"{py:>12}")
    return 0
