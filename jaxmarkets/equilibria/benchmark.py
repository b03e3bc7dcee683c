"""Speed of the batched vertex enumeration against nashpy, on degenerate games.

    python -m jaxmarkets.equilibria.benchmark [n_games] [size] [seed]

prints the dict of `bench_vertex_enumeration` as JSON. Not a test: nothing here
asserts a time.
"""

from __future__ import annotations

import functools
import json
import platform
import sys
import time

import jax
import numpy as np

from jaxmarkets.equilibria.extreme_equilibria import default_max_equilibria, vertex_enumeration
from jaxmarkets.equilibria.payoffs import Bimatrix

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
    import nashpy

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


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(bench_vertex_enumeration(*args), indent=1))
