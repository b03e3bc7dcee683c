"""The vectorised dynamics against the plain NumPy reference, and the code paths
of the best response against each other."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.firesale.best_response import (
    best_response,
    alpha_one_linear,
    alpha_one_response,
    alpha_one_simplified,
    simplified_response,
)
from jaxmarkets.firesale.dynamics import run_dynamics, run_many
from jaxmarkets.firesale.game import validate_params
from jaxmarkets.firesale.random_instances import section53
from jaxmarkets.firesale.reference import run_batch_np

N, COUNT = 4, 48


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module")
def batches():
    with jax.enable_x64(True):
        return {
            (ps, tau): section53(jax.random.key(ps * 10 + int(tau * 4)), N, tau, COUNT, ps)
            for ps in (1, 2) for tau in (0.25, 0.75)
        }


def as_np(P):
    return [np.asarray(v) for v in (P.holdings, P.illiquid, P.liabilities, P.prices0, P.leverage_cap)]


def test_instances_follow_section53(batches):
    for (ps, tau), P in batches.items():
        validate_params(P, "linear")
        x = np.asarray(P.holdings)
        np.testing.assert_allclose(x[0], tau / N + (1 - tau) * np.eye(N))
        aI, l = np.asarray(P.illiquid), np.asarray(P.liabilities)
        lo, hi = {1: ((80, 120), (40, 60)), 2: ((0, 100), (40, 100))}[ps]
        assert aI.min() >= lo[0] and aI.max() <= lo[1] and l.min() >= hi[0] and l.max() <= hi[1]
        a1 = aI + (x * np.asarray(P.prices0)[:, None, :]).sum(-1)
        lev1 = (a1 / (a1 - l)).max(-1)
        ratio = np.asarray(P.leverage_cap) / lev1
        u = {1: (0.6, 0.99), 2: (0.9, 0.99)}[ps]
        assert ratio.min() >= u[0] - 1e-12 and ratio.max() <= u[1] + 1e-12
        assert np.all(np.asarray(P.leverage_cap) > 1)


@pytest.mark.parametrize("rule", ["best_response", "simplified"])
def test_vmapped_dynamics_match_numpy_loop(batches, rule):
    run = jax.jit(jax.vmap(lambda p: run_dynamics("linear", p, None, rule)))
    for P in batches.values():
        out = run(P)
        y, steps, conv = run_batch_np(*as_np(P), rule=rule)
        np.testing.assert_allclose(out.y, y, atol=1e-10)
        np.testing.assert_array_equal(out.steps, steps)
        np.testing.assert_array_equal(out.converged, conv)


@pytest.mark.parametrize("rule", ["best_response", "simplified"])
def test_run_many_compaction_equals_plain_vmap(batches, rule):
    # run_many compacts the batch between rounds and, alpha being 1 here, uses
    # the closed form of Proposition 4: same runs as the plain vmapped loop.
    P = batches[(1, 0.75)]
    plain = jax.jit(jax.vmap(lambda p: run_dynamics("linear", p, None, rule, record=6)))(P)
    many = run_many("linear", P, rule, record=6, blocks=(16, 4))
    np.testing.assert_allclose(many.y, plain.y, atol=1e-12)
    np.testing.assert_array_equal(many.steps, plain.steps)
    np.testing.assert_array_equal(many.converged, plain.converged)
    np.testing.assert_allclose(many.max_change, plain.max_change, atol=1e-12)


def test_alpha_one_closed_form_equals_general_best_response(batches):
    P = batches[(2, 0.75)]
    y = jnp.asarray(np.random.default_rng(1).uniform(0, 1, (COUNT, N)))
    general = jax.vmap(lambda p, v: best_response("linear", p, v).y)(P, y)
    forms = jax.vmap(alpha_one_linear)(P)
    closed = jax.vmap(alpha_one_response)(forms, y)
    np.testing.assert_allclose(closed, general, atol=1e-12)
    psi = jax.vmap(lambda p, v: simplified_response("linear", p, v))(P, y)
    np.testing.assert_allclose(jax.vmap(alpha_one_simplified)(forms, y), psi, atol=1e-12)


def test_sequential_reaches_the_same_maximal_equilibrium(batches):
    # Theorem 2 holds for any sequential order from y = 1
    P = jax.tree.map(lambda v: v[:8], batches[(1, 0.25)])
    sim = jax.vmap(lambda p: run_dynamics("linear", p, None, "best_response", tol=1e-12))(P)
    seq = jax.vmap(lambda p: run_dynamics("linear", p, None, "best_response", "sequential",
                                          jnp.array([3, 1, 0, 2]), tol=1e-12))(P)
    assert bool(jnp.all(sim.converged)) and bool(jnp.all(seq.converged))
    np.testing.assert_allclose(sim.y, seq.y, atol=1e-8)


def test_best_response_paths_agree(batches):
    """linear (matrix closed form), piecewise-linear with knots on the line
    (segment method) and power with exponent 1 (grid search) are one price."""
    P = jax.tree.map(lambda v: v[:16], batches[(2, 0.25)])
    rng = np.random.default_rng(0)
    y = jnp.asarray(rng.uniform(0.3, 1.0, (16, N)))
    knots = jnp.broadcast_to(jnp.array([0.3, 0.6]), (16, N, 2))
    Ppw = P.replace(knots=knots, levels=knots)
    alphas = jnp.asarray(rng.uniform(0, 1, 16))
    for Pa in (P, P.replace(alpha=alphas)):
        lin = jax.vmap(lambda p, v: best_response("linear", p, v))(Pa, y)
        pw = jax.vmap(lambda p, v: best_response("piecewise_linear", p, v))(Ppw.replace(alpha=Pa.alpha), y)
        pw_ = jax.vmap(lambda p, v: best_response("power", p, v))(Pa, y)
        np.testing.assert_allclose(lin.y, pw.y, atol=1e-9)
        np.testing.assert_allclose(lin.utility, pw.utility, rtol=1e-10)
        np.testing.assert_allclose(lin.y, pw_.y, atol=1e-7)
        np.testing.assert_allclose(lin.utility, pw_.utility, rtol=1e-9)


def test_run_many_over_four_devices_equals_plain_vmap():
    here = os.path.dirname(__file__)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(here), JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, os.path.join(here, "helpers", "firesale_sharded_check.py")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0 and "firesale-sharded-ok" in out.stdout, out.stderr[-3000:]


@pytest.mark.parametrize("kwargs, field", [({"blocks": (512, 0)}, "blocks"), ({"blocks": ()}, "blocks"),
                                           ({"rule": "greedy"}, "rule")])
def test_run_many_rejects_bad_arguments_before_compiling(batches, kwargs, field):
    with pytest.raises(ValueError, match=field):
        run_many("linear", batches[(1, 0.25)], **kwargs)
