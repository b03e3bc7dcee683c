"""The padded JAX result against the NumPy wrapper, itself one game at a time,
float32, and too few slots. Small shapes keep the compiles short; the agreement
with nashpy is in test_equilibria_vertex_enumeration.py."""

import jax
import numpy as np
import pytest

from jaxmarkets.equilibria import bimatrix_equilibria, max_pairs, vertex_enumeration, vertex_enumeration_batch

rng = np.random.default_rng(5)
A, B = rng.integers(0, 3, (2, 16, 2, 3)).astype(np.float64)  # 16 degenerate 2 x 3 games


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module")
def batch():
    with jax.enable_x64(True):
        return jax.tree.map(np.asarray, vertex_enumeration_batch((A, B)))


def slots(out, g):
    return [(out.row[g][k], out.col[g][k]) for k in np.flatnonzero(out.valid[g])]


def test_padded_result_equals_numpy_wrapper(batch):
    assert batch.complete.all() and (batch.n_found > 1).any()
    for g in range(len(A)):
        wrapped = bimatrix_equilibria((A[g], B[g]))
        padded = slots(batch, g)
        assert len(wrapped) == len(padded) == batch.n_found[g]
        for e, (x, y), pay in zip(wrapped, padded, batch.payoffs[g][batch.valid[g]]):  # same order
            np.testing.assert_allclose(e["row"], x, atol=1e-11)
            np.testing.assert_allclose(e["col"], y, atol=1e-11)
            np.testing.assert_allclose(e["payoffs"], pay, atol=1e-11)
        invalid = ~batch.valid[g]  # padding: zeros, vertex -1
        assert not batch.row[g][invalid].any() and not batch.payoffs[g][invalid].any()
        assert (batch.row_vertex[g][invalid] == -1).all() and (batch.col_vertex[g][invalid] == -1).all()


def test_vmapped_batch_equals_one_game_at_a_time(batch):
    # vertex_enumeration_batch is jit(vmap(vertex_enumeration)). One at a time
    # here pads to every vertex pair (as the wrapper does, so no extra compile):
    # the first K slots line up and the others are empty.
    K = batch.valid.shape[1]
    for g in range(len(A)):
        one = jax.tree.map(np.asarray, vertex_enumeration((A[g], B[g]), max_pairs(2, 3)))
        assert not one.valid[K:].any()
        for field in ("valid", "row_vertex", "col_vertex"):
            np.testing.assert_array_equal(getattr(batch, field)[g], getattr(one, field)[:K])
        for field in ("row", "col", "payoffs"):  # compiled apart: rounding may differ
            np.testing.assert_allclose(getattr(batch, field)[g], getattr(one, field)[:K], rtol=0, atol=1e-13)
        assert batch.n_found[g] == one.n_found and batch.complete[g] == one.complete


def test_float32_agrees_with_float64_on_small_integer_games(batch):
    # tolerances.py: float32 suffices for integer payoffs in a small range
    for g in range(len(A)):
        out32 = jax.tree.map(np.asarray, vertex_enumeration((A[g].astype(np.float32), B[g].astype(np.float32))))
        assert out32.row.dtype == np.float32
        np.testing.assert_array_equal(out32.valid, batch.valid[g])
        np.testing.assert_allclose(out32.row, batch.row[g], atol=1e-6)
        np.testing.assert_allclose(out32.col, batch.col[g], atol=1e-6)


def test_too_few_slots_is_reported_not_hidden():
    # constant payoffs: both pure profiles of a 1 x 2 game are equilibria
    out = vertex_enumeration((np.zeros((1, 2)), np.zeros((1, 2))), max_equilibria=1)
    assert int(out.n_found) == 2 and int(np.sum(out.valid)) == 1 and not bool(out.complete)
