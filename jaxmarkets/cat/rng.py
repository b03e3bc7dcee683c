"""The game's random draws: a counter-based hash of one seed per day.

JAX's threefry is unrolled into ~100 integer operations at every call site,
and a game has many (values, orders, uniforms, market choices, ZIP's
perturbations at every event); compiling them dominated the compile time, and
ZIP's 2 x (ZIP traders) draws per shout would dominate the run time. So a day
takes one uint32 seed from its JAX key (`seed_from_key`) and every draw of the
day is the murmur3 32-bit finaliser of (seed, stream, counter, lane): a few
integer operations per number, pure and reproducible, uniform to 2^-24, with no
correlation visible at these sizes. Streams keep unrelated draws apart.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

ORDER, SLOT, ZIP, ZIP_CALL, SELECT, VALUES, INIT = range(1, 8)

_GOLDEN = 0x9E3779B9
_LANE = 0x85EBCA77
_STREAM = 0x27D4EB2F


def _fmix32(h):
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x85EBCA6B)
    h = h ^ (h >> 13)
    h = h * jnp.uint32(0xC2B2AE35)
    return h ^ (h >> 16)


def seed_from_key(key: jax.Array) -> jax.Array:
    return jax.random.bits(key, (), jnp.uint32)


def event_seed(seed, counter, stream: int):
    """One uint32 per (seed, counter, stream): the common prefix of its lanes."""
    base = seed ^ (jnp.asarray(counter).astype(jnp.uint32) * jnp.uint32(_GOLDEN)) ^ jnp.uint32((stream * _STREAM) & 0xFFFFFFFF)
    return _fmix32(_fmix32(base))


def lane_bits(prefix, n: int):
    lanes = jnp.arange(n, dtype=jnp.uint32) * jnp.uint32(_LANE)
    return _fmix32(prefix ^ lanes)


def lane_uniforms(prefix, n: int):
    """[n] uniforms in [0, 1) for lanes 0..n-1."""
    return (lane_bits(prefix, n) >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)


def permutation(prefix, n: int):
    """A uniformly random order of 0..n-1 (argsort of random keys; a tie, of
    probability about n^2 / 2^33, only biases which of two comes first)."""
    return jnp.argsort(lane_bits(prefix, n)).astype(jnp.int32)
