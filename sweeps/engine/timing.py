"""Timing for the benchmarks: compile apart from run, runs after a warm-up."""

from __future__ import annotations

import statistics
import time


def best_seconds(call, repeat: int) -> float:
    """The fastest of `repeat` calls of `call` (which must block until done)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def median_seconds(call, repeat: int) -> float:
    """The median of `repeat` calls of `call`, each waited for."""
    import jax

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compile_and_time(fn, args, repeat: int):
    """(compile seconds, median run seconds, output of the warm-up call) of jit(fn)(*args)."""
    import jax

    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_s = time.perf_counter() - t0
    out = jax.block_until_ready(compiled(*args))  # warm-up
    return compile_s, median_seconds(lambda: compiled(*args), repeat), out
