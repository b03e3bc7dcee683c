"""Recurrent cells shared by the recurrent learners: one switch, GRU or LSTM.

A cell maps (carry, input) to (carry, output) for one step; the learners unroll
it with `lax.scan` themselves, so a whole episode is one scan and the carry at
any step can be kept (acting) or recomputed from the episode's start (replay,
policy updates). The carry starts at zeros at every episode start: that is the
"initial hidden state" a replayed episode starts from.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxmarkets.core import InputError

CELLS = ("gru", "lstm")


def check_cell(name: str, allowed=CELLS, field: str = "cell") -> None:
    if name not in allowed:
        raise InputError(f"{field} = {name!r} is not one of the allowed values: "
                         + ", ".join(repr(a) for a in allowed))


def scaled_normal(gain: float = 1.0):
    """Normal weights [fan_in, fan_out] with the entry scale of `gain` times an
    orthogonal matrix: standard deviation gain / sqrt(max(fan_in, fan_out)), since
    the shorter side's vectors are orthonormal. (gain / sqrt(fan_in) alone would
    put a 1 -> 16 layer's entries at 4x the orthogonal scale and saturate tanh.)"""

    def init(key, shape, dtype=jnp.float32):
        return gain * jax.random.normal(key, shape, dtype) / jnp.sqrt(jnp.asarray(max(shape[-2:]), dtype))

    return init


# flax's cells draw their recurrent kernels orthogonal, through LAPACK's QR
# (a custom call on XLA:CPU). Learners initialise inside programs sharded over
# the host's devices, and there two such calls at once deadlocked; so every
# recurrent kernel is drawn with `scaled_normal`, which needs no LAPACK. A test
# checks that no learner's init program holds a LAPACK call.
INIT_WITHOUT_LAPACK = {"recurrent_kernel_init": scaled_normal()}


def make_cell(name: str, size: int) -> nn.Module:
    """flax's GRU or (fused-gate) LSTM cell with `size` units."""
    check_cell(name)
    if name == "gru":
        return nn.GRUCell(features=size, **INIT_WITHOUT_LAPACK)
    return nn.OptimizedLSTMCell(features=size, **INIT_WITHOUT_LAPACK)


def zero_carry(name: str, size: int, batch_shape=()):
    """The cell's carry at an episode's start: zeros ([..., size], or (c, h) for LSTM)."""
    z = jnp.zeros((*batch_shape, size))
    return z if name == "gru" else (z, z)
