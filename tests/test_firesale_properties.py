"""Property tests of paper 003's structural results on random small games.

Shapes are fixed (N = 3 agents, M = 2 assets) so every jitted function compiles
once per module; hypothesis draws the numbers.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaxmarkets.firesale.best_response import best_response, simplified_response
from jaxmarkets.firesale.dynamics import run_dynamics
from jaxmarkets.firesale.equilibria import epsilon_equilibrium
from jaxmarkets.firesale.game import evaluate, make_params

N, M = 3, 2
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def random_game(seed, alpha=None, exponent=None):
    """A random game with column sums <= 1 and a cap near the initial leverages."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (N, M)) * (rng.uniform(0, 1, (N, M)) < 0.8)
    x = x / np.maximum(x.sum(0), 1e-9) * rng.uniform(0.5, 1.0, M)
    aI = rng.uniform(0, 100, N)
    l = rng.uniform(0, 100, N)
    p0 = rng.uniform(10, 150, M)
    a = aI + x @ p0
    e = a - l
    lev1 = np.where(e > 0, a / np.where(e > 0, e, 1), 50.0)
    lam = max(1.01, rng.uniform(0.5, 1.1) * float(np.median(lev1)))
    alpha = rng.uniform(0, 1) if alpha is None else alpha
    exponent = rng.uniform(1.0, 3.0, M) if exponent is None else exponent
    knots = np.sort(rng.uniform(0.05, 0.95, (M, 2)), -1) + np.array([0, 0.01])
    levels = np.sort(rng.uniform(0.05, 0.95, (M, 2)), -1) + np.array([0, 0.01])
    return make_params(x, aI, l, p0, lam, alpha, exponent=exponent, knots=knots, levels=levels)


def levbar(impact, p, y):
    lev = evaluate(impact, p, jnp.asarray(y)).leverage  # inf where insolvent
    return np.maximum(1.0, np.asarray(lev))


def ordered_pair(seed):
    """y_-i <= y'_-i point-wise (y' >= y), as two profiles."""
    rng = np.random.default_rng(seed + 7)
    y = rng.uniform(0, 1, N) * (rng.uniform(0, 1, N) < 0.85)
    y_hi = np.minimum(1.0, y + rng.uniform(0, 1, N) * (rng.uniform(0, 1, N) < 0.7))
    return y, y_hi


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), impact=st.sampled_from(["linear", "power", "piecewise_linear"]))
def test_prop1_leverage_falls_as_others_keep_more(seed, impact):
    p = random_game(seed)
    y, y_hi = ordered_pair(seed)
    for i in range(N):
        others_high = y_hi.copy()
        others_high[i] = y[i]  # same own y_i, the others keep more
        assert levbar(impact, p, y)[i] >= levbar(impact, p, others_high)[i] * (1 - 1e-12)


@SETTINGS
@given(
    seed=st.integers(0, 2**31 - 1),
    case=st.sampled_from(["linear-a1", "power-a1", "piecewise-a1", "convex-power", "linear-any-alpha"]),
)
def test_best_response_monotone_under_theorem1(seed, case):
    # Theorem 1's conditions: alpha = 1 (any increasing price), or convex impact
    # (linear counts as convex, Proposition 6) with any alpha.
    impact = {"linear-a1": "linear", "power-a1": "power", "piecewise-a1": "piecewise_linear",
              "convex-power": "power", "linear-any-alpha": "linear"}[case]
    alpha = 1.0 if case.endswith("a1") else None
    exponent = np.random.default_rng(seed).uniform(0.3, 3.0, M) if case == "power-a1" else None
    p = random_game(seed, alpha=alpha, exponent=exponent)
    y, y_hi = ordered_pair(seed)
    lo = np.asarray(best_response(impact, p, jnp.asarray(y)).y)
    hi = np.asarray(best_response(impact, p, jnp.asarray(y_hi)).y)
    assert np.all(lo <= hi + 1e-9)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_theorem7_phi_and_psi_decrease_to_the_same_fixed_point(seed):
    p = random_game(seed, alpha=1.0)
    phi = jnp.ones(N)
    psi = jnp.ones(N)
    for _ in range(25):
        nphi = best_response("linear", p, phi).y
        npsi = simplified_response("linear", p, psi)
        assert bool(jnp.all(nphi <= phi + 1e-12)) and bool(jnp.all(npsi <= psi + 1e-12))
        phi, psi = nphi, npsi
    a = run_dynamics("linear", p, None, "best_response", tol=1e-13, max_steps=20_000)
    b = run_dynamics("linear", p, None, "simplified", tol=1e-13, max_steps=20_000)
    assert bool(a.converged) and bool(b.converged)
    np.testing.assert_allclose(a.y, b.y, atol=1e-6)
    # shared fixed points: each limit is (nearly) fixed by the other map
    np.testing.assert_allclose(simplified_response("linear", p, a.y), a.y, atol=1e-6)
    np.testing.assert_allclose(best_response("linear", p, b.y).y, b.y, atol=1e-6)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), rule=st.sampled_from(["best_response", "simplified"]))
def test_converged_point_is_epsilon_equilibrium(seed, rule):
    p = random_game(seed, alpha=1.0)
    run = run_dynamics("linear", p, None, rule, tol=1e-10, max_steps=20_000)
    assert bool(run.converged)
    assert bool(epsilon_equilibrium("linear", p, run.y, 1e-6).ok)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1))
def test_best_response_is_never_beaten_on_a_grid(seed):
    # second implementation: the model's utility on a dense grid of own strategies
    p = random_game(seed)
    y = jnp.asarray(ordered_pair(seed)[0])
    grid = jnp.linspace(0.0, 1.0, 2001)
    for impact in ("linear", "piecewise_linear", "power"):
        br = best_response(impact, p, y)
        for i in range(N):
            prof = jax.vmap(lambda v: evaluate(impact, p, y.at[i].set(v)).utility[i])(grid)
            assert float(prof.max()) <= float(br.utility[i]) + 1e-9 * (1 + abs(float(br.utility[i])))
            # and the reported utility is the model's own at the reported y
            own = float(evaluate(impact, p, y.at[i].set(br.y[i])).utility[i])
            assert abs(own - float(br.utility[i])) <= 1e-9 * (1 + abs(own))
