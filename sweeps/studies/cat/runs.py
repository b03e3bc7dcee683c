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
def batch_program(game, chunk: int, devices: tuple, seat: int | None = None):
    """program(key_data [n, 2], params [n, ...], seat_fees [n, days, 5]) ->
    DayMetrics [n, days, ...], n a multiple of len(devices); specialist `seat`
    (if any) announces seat_fees (game.simulate). One jitted function per
    (game, chunk, devices, seat)."""
    from jaxmarkets.cat.game import simulate

    def one(args):
        key_data, params, seat_fees = args
        return simulate(game, params, jax.random.wrap_key_data(key_data), seat, seat_fees)[0]

    def games(key_data, params, seat_fees):
        return jax.lax.map(one, (key_data, params, seat_fees), batch_size=min(chunk, key_data.shape[0]))

    if len(devices) == 1:
        return jax.jit(games)
    mesh = Mesh(np.asarray(devices), ("games",))
    spec = PartitionSpec("games")
    return jax.jit(jax.shard_map(games, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))


def prepare(game, params, seeds: int, seed: int = 0, chunk: int = CHUNK, devices=None, seat=None, seat_fees=None,
            keys=None):
    """(program, its arguments placed on the devices, seeds): call program(*args).
    seat_fees: [seeds, days, 5] the fees specialist `seat` announces in each game;
    keys: [seeds, 2] the games' key data (default: `seeds` keys split from `seed`),
    to replay the same games under other fees."""
    devices = tuple(devices if devices is not None else jax.devices())[: max(1, seeds)]
    if keys is None:
        keys = jax.random.key_data(jax.random.split(jax.random.key(seed), seeds))
    if seat_fees is None:
        seat_fees = np.zeros((seeds, game.days, 5), np.float32)
    batched = jax.tree.leaves(params)[0].ndim > jax.tree.leaves(game.default_params())[0].ndim
    if not batched:
        params = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds, *jnp.shape(x))), params)
    padded = -(-seeds // len(devices)) * len(devices)
    args = jax.tree.map(lambda x: np.concatenate([np.asarray(x), np.repeat(np.asarray(x)[:1], padded - seeds, 0)]),
                        (keys, params, np.asarray(seat_fees, np.float32)))
    if len(devices) > 1:
        args = jax.device_put(args, NamedSharding(Mesh(np.asarray(devices), ("games",)), PartitionSpec("games")))
    per_device = padded // len(devices)
    return batch_program(game, min(chunk, per_device), devices, seat), args


def run_games(game, params, seeds: int, seed: int = 0, chunk: int = CHUNK, devices=None, seat=None, seat_fees=None,
              keys=None):
    """DayMetrics (NumPy) with leading (seed, day) axes. `params` may have a
    leading axis of length `seeds` (one regime per game); seat, seat_fees: see
    prepare."""
    program, args = prepare(game, params, seeds, seed, chunk, devices, seat, seat_fees, keys)
    out = program(*args)
    return jax.tree.map(lambda x: np.asarray(x)[:seeds], out)
