"""Where runs go: every CPU core as a device, the run axis padded and sharded
over a one-axis mesh, batches split over devices, and multi-host start-up.

Games never place data on devices; studies call these.
"""

from __future__ import annotations

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def initialize_distributed() -> bool:
    """Join a multi-process run when JAX's coordinator variables are set.

    It must come before anything touches a JAX device, which is why the command
    line calls it first of all. On CPU the processes exchange arrays through
    gloo collectives. Returns whether a distributed run was started.
    """
    if not os.environ.get("JAX_COORDINATOR_ADDRESS"):
        return False
    if jax.distributed.is_initialized():
        return True
    if os.environ.get("JAX_PLATFORMS", "").startswith("cpu"):
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    kwargs = {"coordinator_address": os.environ["JAX_COORDINATOR_ADDRESS"]}
    # JAX reads the process count and id from a cluster manager (Slurm, ...);
    # set by hand, they come from these variables.
    for name, var in (("num_processes", "JAX_NUM_PROCESSES"), ("process_id", "JAX_PROCESS_ID")):
        if os.environ.get(var):
            try:
                kwargs[name] = int(os.environ[var])
            except ValueError:
                from jaxmarkets.core import InputError

                raise InputError(f"{var} = {os.environ[var]!r} must be an integer") from None
    jax.distributed.initialize(**kwargs)
    return True


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
    return place(pad_runs(tree, n_runs, sharding.mesh.size), sharding)


def place(tree, sharding):
    """`tree` as global arrays laid out by `sharding`.

    With several processes each one holds the whole (identical) host value and
    hands over the shards its own devices hold: `device_put` accepts only
    shardings of addressable devices.
    """
    if jax.process_count() == 1:
        return jax.device_put(tree, sharding)

    def one(x):
        if hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
            data = one(jax.random.key_data(x))
            return jax.random.wrap_key_data(data, impl=jax.random.key_impl(x))
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    return jax.tree.map(one, tree)


def shard_batch(fn, batch, devices=None, axis_name: str = "batch"):
    """`fn(shard, valid)` applied to a batch split over devices, one program each.

    `batch` is a pytree whose leaves share a leading axis. It is padded on the
    host (repeating its first element) to a multiple of the device count, split,
    and run under `shard_map`; `valid` marks the real elements of a shard so
    `fn` can leave the padding idle. `fn` maps a shard to a shard (leading axis
    kept), so it may compact, sort or stop early within its shard. Give the same
    function object for the same computation: compiled programs are cached on it.
    """
    devices = list(devices if devices is not None else jax.devices())
    n = int(jax.tree.leaves(batch)[0].shape[0])
    k = max(1, min(len(devices), n))
    devices = devices[:k]
    padded = -(-n // k) * k
    # Split on the host (zero-copy on CPU): slicing an array held by one device
    # into shards goes through a compiled program on every call.
    host = jax.tree.map(lambda x: np.asarray(jax.device_get(x)), batch)
    if padded > n:
        host = jax.tree.map(lambda x: np.concatenate([x, np.repeat(x[:1], padded - n, axis=0)]), host)
    valid = np.arange(padded) < n
    if k == 1:
        return _single_program(fn)(host, valid) if padded == n else \
            jax.tree.map(lambda x: x[:n], _single_program(fn)(host, valid))
    mesh = Mesh(np.asarray(devices), (axis_name,))
    spec = PartitionSpec(axis_name)
    sharding = NamedSharding(mesh, spec)
    placed = jax.device_put((host, valid), sharding)
    out = _sharded_program(fn, mesh, spec)(*placed)
    return out if padded == n else jax.tree.map(lambda x: x[:n], out)


_PROGRAMS: dict = {}


def _single_program(fn):
    if fn not in _PROGRAMS:
        _PROGRAMS[fn] = jax.jit(fn)
    return _PROGRAMS[fn]


def _sharded_program(fn, mesh, spec):
    key = (fn, mesh, spec)
    if key not in _PROGRAMS:
        _PROGRAMS[key] = jax.jit(jax.shard_map(fn, mesh=mesh, in_specs=spec, out_specs=spec,
                                               check_vma=False))
    return _PROGRAMS[key]
