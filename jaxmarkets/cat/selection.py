"""Market selection at each day's opening (JCAT's StimuliResponseMarketSelection
with an n-armed bandit).

A market's return for a trader is the mean of the trader's past daily profits
there, net of every fee (0 before its first day there). `epsilon_greedy`
(JCAT's default, epsilon = 0.1): with probability epsilon a uniformly random
market, otherwise one of the markets whose return is within `tie_tolerance`
(0.01) of the best, at random; so on day 0 the choice is uniform. `softmax`:
P(market) proportional to exp(return / temperature) (JCAT's softmax choosing,
temperature 0.2). Traders see the day's fees (they are announced first) but, as
in JCAT, learn about them only through the profits they earn.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxmarkets.cat import rng
from jaxmarkets.cat.state import Memory


def init(n_traders: int, n_markets: int) -> Memory:
    z = jnp.zeros((n_traders, n_markets), jnp.float32)
    return Memory(reward_sum=z, reward_count=z)


def returns(memory: Memory):
    return memory.reward_sum / jnp.maximum(memory.reward_count, 1.0)


def choose(seed, memory: Memory, params, kind: str):
    """[T] int32 each trader's market today (draws: the day's SELECT stream)."""
    n, s = memory.reward_sum.shape
    if s == 1:
        return jnp.zeros(n, jnp.int32)
    value = returns(memory)
    u = rng.lane_uniforms(rng.event_seed(seed, 0, rng.SELECT), n * (s + 2))
    noise = u[: n * s].reshape(n, s)
    if kind == "softmax":  # Gumbel-max sampling of the softmax
        gumbel = -jnp.log(-jnp.log(jnp.clip(noise, 1e-7, 1.0 - 1e-7)))
        return jnp.argmax(value / params.temperature + gumbel, axis=1).astype(jnp.int32)
    tied = value >= value.max(1, keepdims=True) - params.tie_tolerance
    greedy = jnp.argmax(jnp.where(tied, noise, -1.0), axis=1)
    explore = u[n * s: n * (s + 1)] < params.epsilon
    random = jnp.minimum((u[n * (s + 1):] * s).astype(jnp.int32), s - 1)
    return jnp.where(explore, random, greedy).astype(jnp.int32)


def reward(memory: Memory, market, profit) -> Memory:
    chosen = jax.nn.one_hot(market, memory.reward_sum.shape[1], dtype=jnp.float32)
    return Memory(reward_sum=memory.reward_sum + chosen * profit[:, None],
                  reward_count=memory.reward_count + chosen)
