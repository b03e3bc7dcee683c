"""`jaxmarkets bench equilibria`: every extreme equilibrium of many random
degenerate bimatrix games (vertex enumeration, jit(vmap) in float64) against
nashpy's vertex enumeration over the same games in the same process.

Compile time is reported apart; the run is the median of --repeat runs.
nashpy is the independent reference of the tests: `pip install 'jaxmarkets[test]'`.
"""

from __future__ import annotations

import functools
import argparse
import platform
import time

import jax
import numpy as np

from jaxmarkets.core import InputError, check_int
from jaxmarkets.equilibria.extreme_equilibria import default_max_equilibria, vertex_enumeration
from jaxmarkets.equilibria.payoffs import Bimatrix
from sweeps.cli.options import print_json

_SAME = 1e-9  # max-norm distance at which two equilibria are the same


def _same_sets(ours: list, theirs: list) -> bool:
    def covered(P, Q):
        return all(any(max(np.max(np.abs(p[0] - q[0])), np.max(np.abs(p[1] - q[1]))) <= _SAME
                       for q in Q) for p in P)
    return covered(ours, theirs) and covered(theirs, ours)


def _pure_ties(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """[G] games where some pure strategy has two or more pure best responses:
    sufficient for degeneracy (|BR(x)| > |supp(x)| at a pure x)."""
    col_ties = (B == B.max(axis=2, keepdims=True)).sum(axis=2).max(axis=1) > 1
    row_ties = (A == A.max(axis=1, keepdims=True)).sum(axis=1).max(axis=1) > 1
    return col_ties | row_ties


def bench_vertex_enumeration(n_games: int = 10_000, size: int = 4, seed: int = 0, *,
                             payoff_range: int = 3, n_reference: int = 200,
                             repeats: int = 5) -> dict:
    """Solve n_games random size x size games with integer payoffs in
    {0, ..., payoff_range - 1} in one jit(vmap(...)) in float64, and nashpy's
    vertex_enumeration on the first n_reference of the same games.

    Compile time (`.lower().compile()`) is reported apart from run time (median
    of `repeats` runs, after a warm-up); `speedup_per_game` is nashpy's mean
    time per game over that median per game. nashpy gets payoffs + 1: it shifts
    only negative payoffs, and a zero column leaves its polytope unbounded; a
    constant shift changes no equilibrium. `agree` is whether the two give the
    same set of equilibria (within 1e-9, duplicates in nashpy's output merged)
    on every reference game.
    """
    try:
        import nashpy
    except ImportError:
        raise InputError("bench equilibria compares against nashpy, which is not installed: "
                         "pip install 'jaxmarkets[test]'") from None

    rng = np.random.default_rng(seed)
    A = rng.integers(0, payoff_range, (n_games, size, size)).astype(np.float64)
    B = rng.integers(0, payoff_range, (n_games, size, size)).astype(np.float64)
    K = default_max_equilibria(size, size)
    with jax.enable_x64(True):
        solve = jax.jit(jax.vmap(functools.partial(vertex_enumeration, max_equilibria=K)))
        A_dev, B_dev = jax.device_put(A), jax.device_put(B)
        t0 = time.perf_counter()
        compiled = solve.lower(Bimatrix(A_dev, B_dev)).compile()
        compile_s = time.perf_counter() - t0
        jax.block_until_ready(compiled(Bimatrix(A_dev, B_dev)))
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = jax.block_until_ready(compiled(Bimatrix(A_dev, B_dev)))
            runs.append(time.perf_counter() - t0)
    out = jax.tree.map(np.asarray, out)
    run_s = float(np.median(runs))

    n_ref = min(n_reference, n_games)
    reference, per_game = [], []
    for g in range(n_ref):
        t0 = time.perf_counter()
        reference.append(list(nashpy.Game(A[g] + 1, B[g] + 1).vertex_enumeration()))
        per_game.append(time.perf_counter() - t0)
    nashpy_s = sum(per_game)
    mismatches = [g for g in range(n_ref) if not _same_sets(
        [(out.row[g, k], out.col[g, k]) for k in np.flatnonzero(out.valid[g])], reference[g])]

    jax_per_game = run_s / n_games
    nashpy_per_game = nashpy_s / n_ref
    return {
        "n_games": n_games, "size": size, "seed": seed, "payoff_range": payoff_range,
        "dtype": "float64", "device": str(jax.devices()[0]), "cpu": platform.processor() or platform.machine(),
        "jax": jax.__version__, "nashpy": nashpy.__version__,
        "compile_s": round(compile_s, 3),
        "run_s_median": round(run_s, 4), "run_s_all": [round(r, 4) for r in runs],
        "jax_us_per_game": round(1e6 * jax_per_game, 2),
        "nashpy_games": n_ref, "nashpy_s": round(nashpy_s, 3),
        "nashpy_ms_per_game": round(1e3 * nashpy_per_game, 3),
        "nashpy_ms_per_game_median": round(1e3 * float(np.median(per_game)), 3),
        "speedup_per_game": round(nashpy_per_game / jax_per_game, 1),
        "agree": not mismatches, "mismatched_games": mismatches,
        "max_equilibria": K, "max_found": int(out.n_found.max()),
        "mean_found": round(float(out.n_found.mean()), 3), "all_complete": bool(out.complete.all()),
        "fraction_with_pure_ties": round(float(_pure_ties(A, B).mean()), 4),
    }


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="vertex enumeration of many bimatrix games against nashpy",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--games", type=int, default=10_000, help="random games solved in one program")
    p.add_argument("--size", type=int, default=4, help="actions per player (square games)")
    p.add_argument("--payoff-range", type=int, default=3,
                   help="payoffs drawn from {0, ..., R-1}: small R makes ties, so degenerate games")
    p.add_argument("--reference", type=int, default=200, help="games nashpy solves")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    check_int("--games", args.games, 1)
    check_int("--size", args.size, 2, 7)
    check_int("--payoff-range", args.payoff_range, 1)
    check_int("--reference", args.reference, 1)
    check_int("--repeat", args.repeat, 1)
    check_int("--seed", args.seed, 0)
    r = bench_vertex_enumeration(args.games, args.size, args.seed, payoff_range=args.payoff_range,
                                 n_reference=args.reference, repeats=args.repeat)
    if args.json:
        print_json(r)
        return 0
    print(f"all extreme equilibria of {r['n_games']} random {r['size']}x{r['size']} games "
          f"(payoffs in 0..{r['payoff_range'] - 1}, {100 * r['fraction_with_pure_ties']:.1f}% with ties), "
          f"{r['device']}")
    print(f"  jax vertex enumeration: compile {r['compile_s']:.2f} s, run {r['run_s_median']:.3f} s, "
          f"{r['jax_us_per_game']:.1f} us/game, up to {r['max_found']} equilibria in a game")
    print(f"  nashpy ({r['nashpy_games']} of the same games): {r['nashpy_ms_per_game']:.2f} ms/game")
    print(f"  ratio per game: {r['speedup_per_game']:.0f}x; same equilibria on every reference game: {r['agree']}")
    return 0 if r["agree"] else 1
