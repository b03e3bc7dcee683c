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
# 25 examples, or the profile's if more (HYPOTHESIS_PROFILE=thorough; see conftest.py)
SETTINGS = settings(max_examples=max(25, settings.default.max_examples), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


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


# --------------------------------------------------------------------------
# The documented ranges, edges and magnitudes included: nothing is NaN, and only
# the infinities the model defines appear (-inf utility of an infeasible agent,
# +inf leverage of one without equity). Before the ranges were bounded, a
# leverage cap of 1e300 made Psi NaN and amounts beyond float32 made the
# environment's observations inf.

from helpers.param_strategies import elements  # noqa: E402
from jaxmarkets.firesale.cascades import caccioli, cont_schaanning  # noqa: E402
from jaxmarkets.firesale.game import param_ranges, validate_params  # noqa: E402
from jaxmarkets.firesale.non_even import best_response_non_even_of, evaluate_non_even  # noqa: E402

RANGES = {r.field: r for r in param_ranges("power") + param_ranges("piecewise_linear")}


def _vector(field, size):
    return st.lists(elements(RANGES[field]), min_size=size, max_size=size).map(np.asarray)


@st.composite
def extreme_game(draw):
    """A valid instance with every number drawn from its documented range."""
    x = np.asarray(draw(st.lists(st.sampled_from([0.0, 1e-300, 1e-9, 0.3, 1.0]), min_size=N * M, max_size=N * M)))
    x = x.reshape(N, M)
    x = x / np.maximum(x.sum(0), 1.0)  # columns sum to at most 1
    knots, levels = (
        np.sort(np.asarray([draw(st.lists(elements(RANGES[f]), min_size=2, max_size=2, unique=True))
                            for _ in range(M)]), -1)
        for f in ("knots", "levels")
    )
    return make_params(
        x, draw(_vector("illiquid", N)), draw(_vector("liabilities", N)), draw(_vector("prices0", M)),
        draw(elements(RANGES["leverage_cap"])), draw(elements(RANGES["alpha"])),
        exponent=draw(_vector("exponent", M)), knots=knots, levels=levels,
    )


def _no_nan(*arrays):
    return not any(bool(np.any(np.isnan(np.asarray(a)))) for a in arrays)


def _finite(*arrays):
    return all(bool(np.all(np.isfinite(np.asarray(a)))) for a in arrays)


def _shares(y):
    y = np.asarray(y)
    return _finite(y) and bool(np.all((y >= 0) & (y <= 1)))


@settings(deadline=None)
@given(p=extreme_game(), y=st.lists(st.sampled_from([0.0, 1e-12, 0.5, 1.0 - 1e-12, 1.0]), min_size=N, max_size=N))
def test_documented_ranges_give_no_nan_and_only_the_model_infinities(p, y):
    y = jnp.asarray(y)
    for impact in ("linear", "power", "piecewise_linear"):
        validate_params(p, impact)
        prof = evaluate(impact, p, y)
        assert _finite(prof.assets, prof.revenue, prof.equity), impact
        assert _no_nan(prof.leverage, prof.utility) and not bool(jnp.any(prof.utility == jnp.inf))
        assert bool(jnp.all(jnp.isfinite(prof.leverage) | (prof.equity <= 0) | (prof.assets > 1e300 * prof.equity)))
        br = best_response(impact, p, y)
        assert _shares(br.y) and _finite(br.utility), impact  # y_i = 0 is always admitted
        assert _shares(simplified_response(impact, p, y)), impact
    assert _finite(epsilon_equilibrium("linear", p, y, 1e-6).gain)
    for rule in ("best_response", "simplified"):
        assert _shares(run_dynamics("linear", p, None, rule, tol=1e-10, max_steps=20_000).y)
    for r in (cont_schaanning(p, 0.1), caccioli(p, 0.1, 1.0)):
        assert _shares(r.y) and _finite(r.sold_share, r.failed_share)
    Y = jnp.tile(y[:, None], (1, M))
    ne = evaluate_non_even("linear", p, Y)
    assert _finite(ne.assets, ne.equity) and _no_nan(ne.leverage, ne.utility)
    assert _shares(best_response_non_even_of(p.replace(alpha=jnp.ones_like(p.alpha)), Y, 0))


def test_unheld_assets_with_subnormal_knots_add_nothing():
    # Found by the property test above: knots at the smallest subnormal are
    # flushed to 0 under XLA, so a piece's slope is 0/0; an agent holding
    # nothing of that asset must still get y = 0 with its (zero) equity.
    from jaxmarkets.firesale.game import FireSaleParams

    t = 5e-324
    with jax.enable_x64(True):
        f = lambda x: jnp.asarray(x, jnp.float64)  # noqa: E731
        p = FireSaleParams(holdings=f(np.zeros((3, 2))), illiquid=f(np.zeros(3)), liabilities=f(np.zeros(3)),
                           prices0=f([t, 1e15]), leverage_cap=f(1.0), alpha=f(0.0), exponent=f([t, t]),
                           knots=f([[t, 0.5], [t, 1e-300]]), levels=f([[t, 1.0], [t, 0.5]]))
        br = best_response("piecewise_linear", p, jnp.zeros(3))
    np.testing.assert_array_equal(np.asarray(br.y), 0.0)
    np.testing.assert_array_equal(np.asarray(br.utility), 0.0)
