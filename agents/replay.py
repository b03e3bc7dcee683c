"""Fixed-size replay memory that lives in a `lax.scan` carry.

The memory is a ring: `ptr` is the next slot to write, `size` how many of the
most recent slots count as stored. Sampling draws among the `size` most recent
transitions, so shrinking `size` forgets the oldest ones without moving data.
That is how Algorithm 1 of paper 001 ("if the memory holds L transitions, halve
it") is implemented: when a write fills the memory, `size` drops to L // 2 and
the older half is forgotten; the newer half stays where it is.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class Replay(NamedTuple):
    data: Any  # pytree of arrays with leading axis `capacity`
    ptr: jax.Array  # int32: next slot to write
    size: jax.Array  # int32: number of most recent slots that are valid


def init(example, capacity: int) -> Replay:
    """An empty memory for items shaped like `example` (a pytree of arrays)."""
    data = jax.tree.map(lambda x: jnp.zeros((capacity, *jnp.shape(x)), jnp.asarray(x).dtype), example)
    return Replay(data, jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def capacity(buf: Replay) -> int:
    return jax.tree.leaves(buf.data)[0].shape[0]


def add(buf: Replay, item, halve_when_full: bool = False) -> Replay:
    cap = capacity(buf)
    data = jax.tree.map(lambda d, x: d.at[buf.ptr].set(x), buf.data, item)
    size = jnp.minimum(buf.size + 1, cap)
    if halve_when_full:
        size = jnp.where(size >= cap, cap // 2, size)
    return Replay(data, (buf.ptr + 1) % cap, size)


def sample(buf: Replay, uniforms: jax.Array):
    """Transitions at `uniforms` [b] in [0, 1) mapped onto the valid slots.

    Taking the uniforms as input lets a caller draw those of a whole episode at
    once; with `size` 0 the result is meaningless and the caller must mask it.
    """
    cap = capacity(buf)
    offset = jnp.minimum((uniforms * buf.size).astype(jnp.int32), jnp.maximum(buf.size - 1, 0))
    idx = (buf.ptr - 1 - offset) % cap
    return jax.tree.map(lambda d: d[idx], buf.data)
