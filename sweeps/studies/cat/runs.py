"""Many CAT games in one program: seeds (and params) split over every device,
and within a device vmapped in chunks small enough for the games' state to
stay in cache (about 100 games of 200 traders: larger vmaps run slower per
game on a CPU)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

CHUNK = 100


@functools.lru_cache(maxsize=None)
def batch_program(game, chunk: int, devices: tuple):
    """program(key_data [n, 2], params [n, ...]) -> DayMetrics [n, days, ...],
    n a multiple of len(devices); one jitted function per (game, chunk, devices)."""
    from jaxmarkets.cat.game import simulate

    def one(args):
        key_data, params = args
        return simulate(game, params, jax.random.wrap_key_data(key_data))[0]

    def games(key_data, params):
        return jax.lax.map(one, (key_data, params), batch_size=min(chunk, key_data.shape[0]))

    if len(devices) == 1:
        return jax.jit(games)
    mesh = Mesh(np.asarray(devices), ("games",))
    spec = PartitionSpec("games")
    return jax.jit(jax.shard_map(games, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))


def prepare(game, params, seeds: int, seed: int = 0, chunk: int = CHUNK, devices=None):
    """(program, its arguments placed on the devices, seeds): call program(*args)."""
    devices = tuple(devices if devices is not None else jax.devices())[: max(1, seeds)]
    keys = jax.random.key_data(jax.random.split(jax.random.key(seed), seeds))
    batched = jax.tree.leaves(params)[0].ndim > jax.tree.leaves(game.default_params())[0].ndim
    if not batched:
        params = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds, *jnp.shape(x))), params)
    padded = -(-seeds // len(devices)) * len(devices)
    args = jax.tree.map(lambda x: np.concatenate([np.asarray(x), np.repeat(np.asarray(x)[:1], padded - seeds, 0)]),
                        (keys, params))
    if len(devices) > 1:
        args = jax.device_put(args, NamedSharding(Mesh(np.asarray(devices), ("games",)), PartitionSpec("games")))
    per_device = padded // len(devices)
    return batch_program(game, min(chunk, per_device), devices), args


def run_games(game, params, seeds: int, seed: int = 0, chunk: int = CHUNK, devices=None):
    """DayMetrics (NumPy) with leading (seed, day) axes. `params` may have a
    leading axis of length `seeds` (one regime per game)."""
    program, args = prepare(game, params, seeds, seed, chunk, devices)
    out = program(*args)
    return jax.tree.map(lambda x: np.asarray(x)[:seeds], out)
