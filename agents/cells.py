"""Recurrent cells shared by the recurrent learners: one switch, GRU or LSTM.

A cell maps (carry, input) to (carry, output) for one step; the learners unroll
it with `lax.scan` themselves, so a whole episode is one scan and the carry at
any step can be kept (acting) or recomputed from the episode's start (replay,
policy updates). The carry starts at zeros at every episode start: that is the
"initial hidden state" a replayed episode starts from.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from jaxmarkets.core import InputError

CELLS = ("gru", "lstm")


def check_cell(name: str, allowed=CELLS, field: str = "cell") -> None:
    if name not in allowed:
        raise InputError(f"{field} = {name!r} is not one of the allowed values: "
                         + ", ".join(repr(a) for a in allowed))


def make_cell(name: str, size: int) -> nn.Module:
    """flax's GRU or (fused-gate) LSTM cell with `size` units."""
    check_cell(name)
    if name == "gru":
        return nn.GRUCell(features=size)
    return nn.OptimizedLSTMCell(features=size)


def zero_carry(name: str, size: int, batch_shape=()):
    """The cell's carry at an episode's start: zeros ([..., size], or (c, h) for LSTM)."""
    z = jnp.zeros((*batch_shape, size))
    return z if name == "gru" else (z, z)
