"""Pareto fronts against a double loop and against pymoo's non-dominated sorting."""

import jax
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from jaxmarkets.equilibria import pareto_front, pareto_mask


def loop_front(values, senses):
    v = values * senses
    keep = []
    for i in range(len(v)):
        dominated = any(np.all(v[j] >= v[i]) and np.any(v[j] > v[i]) for j in range(len(v)))
        if not dominated:
            keep.append(i)
    return keep


@settings(max_examples=40, deadline=None)
@given(k=st.sampled_from([1, 6, 12]), d=st.sampled_from([1, 2, 3]), seed=st.integers(0, 2**31),
       mode=st.sampled_from(["max", "min", "mixed"]))
def test_front_matches_loop_and_pymoo(k, d, seed, mode):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 4, (k, d)).astype(float)  # small range: ties and duplicates
    if mode == "mixed":
        flags = rng.random(d) < 0.5
        maximize = [bool(f) for f in flags]
    else:
        maximize = mode == "max"
        flags = np.full(d, maximize)
    senses = np.where(flags, 1.0, -1.0)
    want = loop_front(values, senses)
    front = pareto_front(values, maximize=maximize)
    assert sorted(front.tolist()) == want
    assert np.asarray(pareto_mask(values, maximize=maximize)).nonzero()[0].tolist() == want
    # pymoo minimises
    assert sorted(NonDominatedSorting().do(-senses * values, only_non_dominated_front=True).tolist()) == want
    # sorted along the front: lexicographic in the objectives, then by index
    keys = [tuple(values[i]) + (i,) for i in front]
    assert keys == sorted(keys)


def test_two_objective_front_walks_from_end_to_end():
    # payoffs of five outcomes; (1, 1) is dominated by (1.5, 1.5), the two (1, 2)s are kept
    values = np.array([[1, 2], [2, 1], [0, 0], [1, 2], [1.5, 1.5], [1, 1]])
    assert pareto_front(values).tolist() == [0, 3, 4, 1]
    # as costs, only (0, 0) survives
    assert pareto_front(values, maximize=False).tolist() == [2]
    # maximise the first, minimise the second: (2, 1) has the most of the first and
    # beats every other point but (0, 0), which has the least of the second
    assert pareto_front(values, maximize=[True, False]).tolist() == [2, 1]


def test_mask_is_vmappable_over_batches_of_point_sets():
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(4, 9, 2))
    masks = jax.vmap(lambda v: pareto_mask(v, maximize=False))(batch)
    for b in range(4):
        np.testing.assert_array_equal(np.flatnonzero(masks[b]), loop_front(batch[b], -np.ones(2)))
