"""Bad input is an InputError that names the field, before anything compiles."""

import re

import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.equilibria import (
    Bimatrix,
    bimatrix_equilibria,
    fictitious_play,
    induced_normal_form,
    is_pure_equilibrium,
    maximal_nash_subsets,
    nash_conv,
    pareto_front,
    pareto_mask,
    pure_equilibria,
    replicator_dynamics,
    symmetric_equilibria,
    vertex_enumeration,
    vertex_enumeration_batch,
)

GOOD = (np.eye(2), np.ones((2, 2)))
HALF = (np.array([0.5, 0.5]), np.array([0.5, 0.5]))
NAN = np.array([[1.0, np.nan], [0.0, 1.0]])


def raises(pattern):
    return pytest.raises(InputError, match=re.escape(pattern))


@pytest.mark.parametrize("call, message", [
    # non-square where square is required
    (lambda: symmetric_equilibria(np.ones((3, 2))), "payoffs has shape (3, 2); expected a square matrix"),
    (lambda: symmetric_equilibria(Bimatrix(np.ones((3, 2)), np.ones((3, 2)))),
     "payoffs.row has shape (3, 2); expected a square matrix"),
    (lambda: symmetric_equilibria(Bimatrix(np.eye(2), np.array([[0.0, 1], [0, 0]]))),
     "payoffs.col is not payoffs.row transposed"),
    # mismatched shapes
    (lambda: bimatrix_equilibria((np.ones((2, 3)), np.ones((3, 2)))),
     "payoffs.col has shape (3, 2); expected (2, 3), the shape of payoffs.row"),
    (lambda: vertex_enumeration_batch((np.ones((5, 2, 3)), np.ones((4, 2, 3)))),
     "payoffs.col has shape (4, 2, 3); expected (5, 2, 3)"),
    (lambda: vertex_enumeration_batch(GOOD), "payoffs.row has shape (2, 2); expected a matrix [batch, [m, n]]"),
    (lambda: bimatrix_equilibria(np.ones((3, 2, 2))), "payoffs has shape (3, 2, 2); expected a Bimatrix(row, col)"),
    (lambda: bimatrix_equilibria((np.ones(3), np.ones(3))), "payoffs.row has shape (3,); expected a matrix"),
    (lambda: nash_conv(np.ones((3, 2, 2)), HALF), "payoffs has shape (3, 2, 2); expected [n_players, a_1, ..., a_n]"),
    (lambda: pure_equilibria(np.ones((2, 2, 0))), "payoffs has shape (2, 2, 0)"),
    (lambda: bimatrix_equilibria((np.ones((8, 7)), np.ones((8, 7)))),
     "payoffs has shape (8, 7); vertex enumeration takes m + n <= 30 and C(m+n, m) <= 5000 bases per polytope "
     "(here 6435)"),
    (lambda: vertex_enumeration((np.ones((1, 30)), np.ones((1, 30)))), "(1, 30); vertex enumeration takes m + n <= 30"),
    (lambda: bimatrix_equilibria((np.array([["a", "b"]]), np.ones((1, 2)))), "payoffs.row = "),
    # non-finite payoffs
    (lambda: bimatrix_equilibria((NAN, np.eye(2))), "payoffs.row contains a non-finite value (nan at index (0, 1))"),
    (lambda: vertex_enumeration((np.eye(2), np.full((2, 2), np.inf))), "payoffs.col contains a non-finite value (inf"),
    (lambda: vertex_enumeration_batch((np.ones((3, 2, 2)), np.where(np.arange(12).reshape(3, 2, 2) == 7, np.nan, 0))),
     "payoffs.col contains a non-finite value (nan at index (1, 1, 1))"),
    (lambda: nash_conv(np.stack([NAN, NAN]), HALF), "payoffs contains a non-finite value"),
    (lambda: pareto_front(np.array([[1.0, np.inf]])), "values contains a non-finite value"),
    # probabilities
    (lambda: nash_conv(GOOD, (np.array([0.5, 0.6]), np.array([0.5, 0.5]))),
     "strategies[0] = [0.5, 0.6] sums to 1.1; expected 1 (within 1e-06)"),
    (lambda: nash_conv(GOOD, (np.array([0.5, 0.5]), np.array([1.5, -0.5]))),
     "strategies[1] = [1.5, -0.5] has a negative entry"),
    (lambda: nash_conv(GOOD, (np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5]))),
     "strategies[1] has shape (3,); expected (2,)"),
    (lambda: nash_conv(GOOD, (np.array([1.0, 0.0]),)), "strategies has 1 entries; expected 2"),
    (lambda: nash_conv(GOOD, np.array([[0.5, 0.5], [0.5, 0.5]])), "strategies is a ndarray; expected a tuple"),
    (lambda: nash_conv(GOOD, (np.array([np.nan, 1.0]), np.array([0.5, 0.5]))),
     "strategies[0] contains a non-finite value"),
    (lambda: fictitious_play(GOOD, 10, initial=(np.array([0.9, 0.0]), np.array([0.5, 0.5]))),
     "initial[0] = [0.9, 0] sums to 0.9"),
    (lambda: induced_normal_form(np.zeros((1, 2, 2)), np.array([0.5, 0.4])),
     "prior = [0.5, 0.4] sums to 0.9; expected 1"),
    (lambda: induced_normal_form(np.zeros((1, 2, 2)), np.array([1.5, -0.5])),
     "prior = [1.5, -0.5] has a negative entry"),
    (lambda: induced_normal_form(np.zeros((1, 2, 2)), np.array([0.5, 0.5, 0.0])),
     "prior has shape (3,); expected (2,)"),
    (lambda: induced_normal_form(np.zeros((2, 2, 2)), np.array([0.5, 0.5])),
     "payoffs has shape (2, 2, 2); expected [n_players, T_1..T_n, A_1..A_n]"),
    (lambda: induced_normal_form(np.zeros((1, 2, 2)), np.array([0.5, 0.5]), types=[["a|b", "c"]]),
     "types[0] = ['a|b', 'c']: names must be distinct"),
    (lambda: induced_normal_form(np.zeros((1, 2, 2)), np.array([0.5, 0.5]), actions=[["x"]]),
     "actions[0] has 1 names; expected 2"),
    # everything else a user sets
    (lambda: fictitious_play(GOOD, 0), "n_steps = 0 is outside the allowed range [1, inf)"),
    (lambda: fictitious_play(GOOD, 10, record_every=11), "record_every = 11 is outside the allowed range [1, 10]"),
    (lambda: replicator_dynamics(GOOD, 10, step_size=0.0), "step_size = 0 is outside the allowed range (0, inf)"),
    (lambda: vertex_enumeration(GOOD, max_equilibria=0), "max_equilibria = 0 must be an integer in [1, inf]"),
    (lambda: is_pure_equilibrium(GOOD, (0, 2)), "profile[1] = 2 is outside the allowed range [0, 1]"),
    (lambda: is_pure_equilibrium(GOOD, (0,)), "profile = (0,) must be 2 action indices"),
    (lambda: pareto_mask(np.ones((3, 2)), maximize=[True]), "maximize = [True] must be True/False or a sequence of 2"),
    (lambda: pareto_front(np.ones(3)), "values has shape (3,); expected [k points, d objectives]"),
    (lambda: maximal_nash_subsets([{"row": [1.0]}]), "equilibria must be a list of dicts with 'row' and 'col'"),
])
def test_bad_input_names_the_field(call, message):
    with raises(message):
        call()


def test_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        bimatrix_equilibria((NAN, NAN))
