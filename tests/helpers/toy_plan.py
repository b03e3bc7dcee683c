"""A small real plan for engine tests: Monte Carlo episodes of the execution game.

Each iteration plays one episode with TWAP fractions scaled by the run's hparam;
the carry holds the run's key and an iteration counter.
"""

import jax
import jax.numpy as jnp

from jaxmarkets.execution.game import ExecutionGame
from sweeps import engine

GAME = ExecutionGame(n_steps=5)
FRACTIONS = jnp.broadcast_to(1.0 / (5 - jnp.arange(5)), (2, 5))


def init(key, params, hparams):
    return {"key": key, "count": jnp.zeros((), jnp.int32)}


def chunk(carry, params, hparams, n):
    def body(c, _):
        key, sub = jax.random.split(c["key"])
        out = GAME.rollout_fractions(sub, params, FRACTIONS * hparams)
        return {"key": key, "count": c["count"] + 1}, {"is": out["is"], "count": c["count"]}

    return jax.lax.scan(body, carry, None, length=n)


def make(n_runs, train=8, test=4, chunk_size=4):
    plan = engine.Plan(init, (engine.Phase("train", train, chunk), engine.Phase("test", test, chunk)), chunk_size)
    keys = jax.random.split(jax.random.key(0), n_runs)
    params = jax.vmap(lambda s: GAME.default_params().replace(sigma=s))(jnp.linspace(0.01, 0.05, n_runs))
    hparams = jnp.linspace(0.5, 1.0, n_runs)
    return plan, keys, params, hparams
