"""Atomic writes and the carry's checkpoint: a run killed at any moment leaves
every finished file whole, and resumes from its last checkpoint bit-identically.

Across processes every one gathers the whole run axis and process 0 writes.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np


def _is_key(x) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def atomic_savez(path: str, arrays: dict[str, np.ndarray]) -> None:
    if jax.process_index() != 0:  # every process holds the gathered arrays; one writes
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def to_host(tree):
    """Global arrays as NumPy; across hosts every process gathers the whole run axis."""
    tree = jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        return multihost_utils.process_allgather(tree, tiled=True)
    return jax.device_get(tree)


def save_checkpoint(path: str, carry, next_chunk: int) -> None:
    arrays = {f"leaf_{i:04d}": np.asarray(x) for i, x in enumerate(jax.tree.leaves(to_host(carry)))}
    arrays["next_chunk"] = np.asarray(next_chunk)
    atomic_savez(path, arrays)


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


