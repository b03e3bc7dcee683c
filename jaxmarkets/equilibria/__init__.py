"""Game-independent equilibrium solvers with one calling convention.

The game comes first, as `payoffs` (see `payoffs.py`): a `Bimatrix(row=A,
col=B)` or an (A, B) pair for two players, a tensor u[n_players, a_1..a_n] for
any number; mixed profiles are tuples of probability vectors. Concrete inputs
are validated in plain Python (`jaxmarkets.core.InputError` names the field);
the JAX functions are jit- and vmap-able.

    payoffs.py             the calling convention (Bimatrix) and its validation
    bimatrix.py            bimatrix_equilibria, symmetric_equilibria (NumPy lists)
    extreme_equilibria.py  vertex_enumeration(_batch): padded, jit/vmap-able
    nash_subsets.py        maximal_nash_subsets, has_continuum
    normal_form.py         expected_payoffs, action_values, best_response_values,
                           nash_conv, pure_equilibria, is_pure_equilibrium
    bayesian.py            induced_normal_form, behaviour_strategy
    dynamics.py            fictitious_play, replicator_dynamics
    pareto.py              pareto_mask, pareto_front
    tolerances.py          every tolerance
    (its benchmark against nashpy: `jaxmarkets bench equilibria`, sweeps/cli/bench_equilibria.py)
"""

from jaxmarkets.equilibria.bayesian import InducedNormalForm, behaviour_strategy, induced_normal_form
from jaxmarkets.equilibria.bimatrix import bimatrix_equilibria, symmetric_equilibria
from jaxmarkets.equilibria.dynamics import LearningResult, fictitious_play, replicator_dynamics
from jaxmarkets.equilibria.nash_subsets import NashSubsets, has_continuum, maximal_nash_subsets
from jaxmarkets.equilibria.normal_form import (
    action_values,
    best_response_values,
    expected_payoffs,
    is_pure_equilibrium,
    nash_conv,
    pure_equilibria,
    pure_equilibrium_profiles,
    pure_profile,
)
from jaxmarkets.equilibria.pareto import pareto_front, pareto_mask
from jaxmarkets.equilibria.payoffs import Bimatrix
from jaxmarkets.equilibria.extreme_equilibria import (
    PaddedEquilibria,
    default_max_equilibria,
    max_pairs,
    vertex_enumeration,
    vertex_enumeration_batch,
)

__all__ = [
    "Bimatrix", "InducedNormalForm", "LearningResult", "NashSubsets", "PaddedEquilibria",
    "action_values", "behaviour_strategy", "best_response_values", "bimatrix_equilibria",
    "default_max_equilibria", "expected_payoffs", "fictitious_play", "has_continuum",
    "induced_normal_form", "is_pure_equilibrium", "max_pairs", "maximal_nash_subsets", "nash_conv",
    "pareto_front", "pareto_mask", "pure_equilibria", "pure_equilibrium_profiles",
    "pure_profile", "replicator_dynamics", "symmetric_equilibria", "vertex_enumeration",
    "vertex_enumeration_batch",
]
