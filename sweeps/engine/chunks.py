"""The sweep engine: many runs as one sharded, chunked, resumable program.

A `Plan` says what one run does: `init(key, params, hparams) -> carry`, then
phases (say, training then testing), each a number of iterations and a
`chunk(carry, params, hparams, n_iterations) -> (carry, metrics)`. The engine

- stacks the runs on a leading axis, pads it to a multiple of the device count
  (padding repeats the first run and never reaches the results), and shards it
  over a one-axis `Mesh` of all devices with `NamedSharding`;
- compiles one chunk of `chunk_size` iterations per phase once, and loops over
  chunks in Python with a progress line;
- after every chunk writes that chunk's metrics, then an atomic checkpoint of
  the carry (write to a temporary file, then rename), so a sweep killed at any
  moment resumes from its last complete chunk and ends bit-identical to an
  uninterrupted one: the carry holds every key, and each chunk is the same
  compiled program applied to the same inputs.

Multi-host: call `jax.distributed.initialize()` before `run` (the `jaxmarkets
sweep` command does when `JAX_COORDINATOR_ADDRESS` is set); `jax.devices()` then
lists every host's devices and the mesh spans them all.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable

import jax
import numpy as np

from jaxmarkets.core import InputError
from sweeps.engine.checkpoint import atomic_savez, load_checkpoint, save_checkpoint, to_host
from sweeps.engine.devices import place, run_sharding, shard_runs
from sweeps.engine.progress import Progress, finished_unit

CHECKPOINT = "checkpoint.npz"
METRICS_DIR = "chunks"


@dataclasses.dataclass(frozen=True)
class Phase:
    name: str
    iterations: int
    chunk: Callable  # (carry, params, hparams, n_iterations) -> (carry, metrics), one run
    chunk_size: int | None = None  # iterations per chunk; None takes the plan's


@dataclasses.dataclass(frozen=True)
class Plan:
    init: Callable  # (key, params, hparams) -> carry, one run
    phases: tuple[Phase, ...]
    chunk_size: int

    def __post_init__(self):
        for phase in self.phases:
            size = self.size(phase)
            if size < 1:
                raise InputError(f"phase {phase.name}: chunk_size = {size} is outside the allowed range [1, inf)")
            if phase.iterations % size:
                raise InputError(
                    f"phase {phase.name}: iterations = {phase.iterations} is not a multiple "
                    f"of chunk_size = {size}"
                )

    def size(self, phase: Phase) -> int:
        return phase.chunk_size or self.chunk_size

    def chunks(self) -> list[tuple[int, int]]:
        """(phase index, chunk index within the phase) in execution order."""
        return [
            (p, c)
            for p, phase in enumerate(self.phases)
            for c in range(phase.iterations // self.size(phase))
        ]


def run(
    plan: Plan,
    keys,
    params,
    hparams,
    out_dir: str,
    *,
    devices=None,
    resume: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    chunk_seconds: list | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Run every run of the batch to the end; returns metrics per phase.

    `keys`, `params`, `hparams` carry a leading run axis. Metrics come back as
    {phase: {name: array [n_runs, n_chunk_blocks..., ...]}} with padding removed.
    `stop_after` ends the loop after that many chunks of this call (a clean stop
    for tests and for splitting long sweeps across jobs); `chunk_seconds`, if
    given, receives each chunk's wall time (the first of a phase includes its
    compilation).
    """
    devices = list(devices if devices is not None else jax.devices())
    n_runs = int(jax.tree.leaves(keys)[0].shape[0])
    sharded = run_sharding(devices)
    keys_p, params_p, hparams_p = shard_runs((keys, params, hparams), n_runs, devices)

    init = jax.jit(jax.vmap(plan.init), out_shardings=sharded)
    chunk_fns = [
        jax.jit(
            jax.vmap(lambda c, p, h, fn=phase.chunk, n=plan.size(phase): fn(c, p, h, n)),
            out_shardings=sharded,
            donate_argnums=0,
        )
        for phase in plan.phases
    ]

    os.makedirs(os.path.join(out_dir, METRICS_DIR), exist_ok=True)
    ckpt_path = os.path.join(out_dir, CHECKPOINT)
    schedule = plan.chunks()
    carry, next_chunk = init(keys_p, params_p, hparams_p), 0
    if resume and os.path.exists(ckpt_path):
        carry, next_chunk = load_checkpoint(ckpt_path, carry)  # `carry` lends its structure
        carry = place(carry, sharded)

    total = sum(phase.iterations for phase in plan.phases)
    bar = Progress(n_runs, total, enabled=progress)
    done_chunks = 0
    for index in range(next_chunk, len(schedule)):
        if stop_after is not None and done_chunks >= stop_after:
            break
        p, c = schedule[index]
        phase = plan.phases[p]
        t0 = time.perf_counter()
        carry, metrics = chunk_fns[p](carry, params_p, hparams_p)
        metrics = to_host(metrics)
        if chunk_seconds is not None:
            chunk_seconds.append((phase.name, time.perf_counter() - t0))
        atomic_savez(
            os.path.join(out_dir, METRICS_DIR, f"{phase.name}_{c:05d}.npz"),
            {name: np.asarray(x)[:n_runs] for name, x in metrics.items()},
        )
        save_checkpoint(ckpt_path, carry, index + 1)
        done_chunks += 1
        finished_unit(done_chunks)
        bar.update(sum(plan.size(plan.phases[q]) for q, _ in schedule[: index + 1]), phase.name)
    bar.close()
    return collect_metrics(plan, out_dir)


def collect_metrics(plan: Plan, out_dir: str) -> dict[str, dict[str, np.ndarray]]:
    """Concatenate the chunk files written so far along the iteration axis."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for phase in plan.phases:
        parts = []
        for c in range(phase.iterations // plan.size(phase)):
            path = os.path.join(out_dir, METRICS_DIR, f"{phase.name}_{c:05d}.npz")
            if not os.path.exists(path):
                break
            with np.load(path) as data:
                parts.append({k: data[k] for k in data.files})
        if parts:
            out[phase.name] = {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
    return out


def is_complete(plan: Plan, out_dir: str) -> bool:
    path = os.path.join(out_dir, CHECKPOINT)
    if not os.path.exists(path):
        return False
    with np.load(path) as data:
        return int(data["next_chunk"]) >= len(plan.chunks())




def learner_plan(learner, train_iterations: int, test_iterations: int, chunk_size: int,
                 test_chunk: int | None = None) -> Plan:
    """Train, then test, any `agents.protocol.Learner` in resumable chunks."""
    phases = [Phase("train", train_iterations, learner.train_chunk)]
    if test_iterations:
        phases.append(Phase("test", test_iterations, learner.test, test_chunk))
    return Plan(learner.init, tuple(phases), chunk_size)
