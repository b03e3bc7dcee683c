"""Every numerical tolerance of the equilibrium solvers, in one place.

The vertex enumeration rescales both payoff matrices affinely into [1, 2] before
it builds the best-response polytopes (Nash equilibria do not change under a
positive affine map of one player's payoffs). Every vertex of P and Q then has
coordinates in [0, 1] and every non-zero vertex a coordinate sum in [1/2, 1], so
the polytope tolerances below are absolute and need no rescaling by the caller.

float64 is what the exact results (agreement with nashpy within 1e-9, the
continuum analysis) are tested in. float32 works for integer payoffs with small
ranges (the polytope systems are then well conditioned) but cannot separate a
tight constraint from a slack one below about 1e-5, so near-ties in real-valued
payoffs may be mislabelled; run under `jax.enable_x64(True)` when that matters.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class PolytopeTolerances:
    # A pivot of the elimination of a basis system M[J, S] z = 1 (partial
    # pivoting, on the rescaled payoffs) at or below this means the chosen tight
    # constraints do not determine a point, so they give no vertex. Singular
    # integer systems leave pivots near 1e-16; a regular s x s system of integer
    # payoffs in a range R has |det| >= (R - 1)**-s after the rescaling, and |det|
    # is the product of its pivots, so they stay far above this for the small
    # games this is for. Real-valued payoffs that close to singular are
    # ill-posed anyway.
    pivot: float
    # A constraint whose slack is below this is tight (it gives its label), and a
    # point that violates a constraint by less than this is still feasible.
    # (Vertices found from several bases are merged by their label sets, an
    # exact comparison, so no distance tolerance is needed.)
    tight: float


POLYTOPE = {
    np.dtype("float64"): PolytopeTolerances(pivot=1e-10, tight=1e-9),
    np.dtype("float32"): PolytopeTolerances(pivot=1e-4, tight=2e-5),
}


def polytope_tolerances(dtype) -> PolytopeTolerances:
    dtype = np.dtype(dtype)
    if dtype not in POLYTOPE:
        raise TypeError(f"vertex enumeration runs in float32 or float64, not {dtype}")
    return POLYTOPE[dtype]


# Best-response ties (pure equilibria): a payoff within this fraction of the
# player's payoff range (max - min over the whole game) of the best is a best
# response. Scale-free so that payoffs in cents and in millions behave alike.
BEST_RESPONSE_RTOL = {np.dtype("float64"): 1e-9, np.dtype("float32"): 1e-5}


def best_response_rtol(dtype) -> float:
    return BEST_RESPONSE_RTOL.get(np.dtype(dtype), 1e-5)


# A mixed strategy given by a user may miss summing to 1 by this much, and have
# entries down to -this; anything further is an InputError.
PROBABILITY_SUM = 1e-6

# The NumPy wrapper cleans equilibrium probabilities: those below ZERO_PROBABILITY
# become 0 (a vertex coordinate within `tight` of 0 is labelled 0, and the
# normalisation divides by a sum in [1/2, 1]), the rest are renormalised and
# rounded to ROUND_DECIMALS decimals, so that a 1/2 computed as
# 0.49999999999999994 prints and compares as 0.5.
ZERO_PROBABILITY = 2 * POLYTOPE[np.dtype("float64")].tight
ROUND_DECIMALS = 12

# Two extreme strategies from the NumPy wrapper closer than this (max norm) are
# the same node of the bipartite graph of extreme equilibria.
SAME_STRATEGY = 1e-9
