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
import json
import math
import os
import sys
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxmarkets.core import InputError

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


def use_all_cpu_cores() -> None:
    """Expose every CPU core as a JAX device, so runs sharded over them run in parallel.

    One XLA:CPU program of small matrices keeps about one core busy; one device
    per core uses them all. It must run before JAX's first computation (later it
    changes nothing), and it leaves a device count set through XLA_FLAGS alone.
    """
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    try:
        jax.config.update("jax_num_cpu_devices", max(1, os.cpu_count() or 1))
    except RuntimeError:
        pass


def stack(trees):
    """Stack a list of pytrees of one structure on a new leading (run) axis."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def pad_runs(tree, n_runs: int, multiple: int):
    """Pad the leading run axis to a multiple by repeating run 0 (always valid input)."""
    padded = math.ceil(n_runs / multiple) * multiple
    if padded == n_runs:
        return tree
    extra = padded - n_runs
    return jax.tree.map(lambda x: jnp.concatenate([x, jnp.repeat(x[:1], extra, axis=0)]), tree)


def run_sharding(devices=None) -> NamedSharding:
    """The run axis split over a one-axis mesh of the devices."""
    devices = list(devices if devices is not None else jax.devices())
    return NamedSharding(Mesh(np.asarray(devices), ("runs",)), PartitionSpec("runs"))


def shard_runs(tree, n_runs: int, devices=None):
    """Pad the run axis to a multiple of the device count and place it sharded."""
    sharding = run_sharding(devices)
    return jax.device_put(pad_runs(tree, n_runs, sharding.mesh.size), sharding)


# -------------------------------------------------------------------- checkpoints


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _atomic_savez(path: str, arrays: dict[str, np.ndarray]) -> None:
    if jax.process_index() != 0:  # every process holds the gathered arrays; one writes
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _to_host(tree):
    """Global arrays as NumPy; across hosts every process gathers the whole run axis."""
    tree = jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        return multihost_utils.process_allgather(tree, tiled=True)
    return jax.device_get(tree)


def save_checkpoint(path: str, carry, next_chunk: int) -> None:
    arrays = {f"leaf_{i:04d}": np.asarray(x) for i, x in enumerate(jax.tree.leaves(_to_host(carry)))}
    arrays["next_chunk"] = np.asarray(next_chunk)
    _atomic_savez(path, arrays)


def load_checkpoint(path: str, like):
    """The carry saved at `path`, in the structure and key types of `like`."""
    with np.load(path) as data:
        leaves, treedef = jax.tree.flatten(like)
        restored = []
        for i, ref in enumerate(leaves):
            arr = data[f"leaf_{i:04d}"]
            if _is_key(ref):
                restored.append(jax.random.wrap_key_data(arr, impl=jax.random.key_impl(ref)))
            else:
                restored.append(jnp.asarray(arr, ref.dtype))
        return jax.tree.unflatten(treedef, restored), int(data["next_chunk"])


# -------------------------------------------------------------------- progress


class Progress:
    def __init__(self, n_runs: int, total_iterations: int, stream=sys.stderr, enabled=True):
        self.n_runs, self.total, self.stream, self.enabled = n_runs, total_iterations, stream, enabled
        self.start = time.perf_counter()
        self.start_done = None

    def update(self, done: int, phase: str) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.start_done is None:  # the first chunk includes compilation
            self.start_done, self.first_t = done, now
            remaining = "?"
        else:
            rate = (done - self.start_done) / max(now - self.first_t, 1e-9)
            remaining = f"{(self.total - done) / rate:.0f}s" if rate > 0 else "?"
        width = 24
        filled = int(width * done / self.total)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.n_runs} runs, {phase}, "
            f"iterations {done}/{self.total}, elapsed {now - self.start:.0f}s, remaining {remaining}  "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


# -------------------------------------------------------------------- the loop


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
        carry = jax.device_put(carry, sharded)

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
        metrics = _to_host(metrics)
        if chunk_seconds is not None:
            chunk_seconds.append((phase.name, time.perf_counter() - t0))
        _atomic_savez(
            os.path.join(out_dir, METRICS_DIR, f"{phase.name}_{c:05d}.npz"),
            {name: np.asarray(x)[:n_runs] for name, x in metrics.items()},
        )
        save_checkpoint(ckpt_path, carry, index + 1)
        done_chunks += 1
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


def versions() -> dict[str, str]:
    from importlib import metadata

    import platform

    out = {"python": platform.python_version()}
    for name in ("jaxmarkets", "jax", "jaxlib", "flax", "optax", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def device_info(devices=None) -> dict[str, Any]:
    devices = list(devices if devices is not None else jax.devices())
    return {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in devices],
        "process_count": jax.process_count(),
    }


def write_json(path: str, obj: dict) -> None:
    if jax.process_index() != 0:
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=str)
    os.replace(tmp, path)
