"""Proposition 9 of paper 003: a fire-sale game with alpha in (0, 1) and concave
price impact that has no pure Nash equilibrium.

Reconstruction of the printed instance (the PDF conversion garbled the prices):

* agent 1: a^I = 750, l = 900, x = (1, 0.8, 0); agent 2: a^I = 11850, l = 11000,
  x = (0, 0.2, 1); alpha = 0.000006, lambda = 2 (all as printed);
* p3(z) = 10000 z (printed);
* p2(z) = 999.99 + 0.01 z for z >= 0.3, (999.993 / 0.3) z otherwise: the
  fragments "999.993" and "0.3 ... otherwise" are the fraction of the lower
  piece, and the tipping point z2 = 0.3 is the one the proof uses (agent 1 keeps
  0.375 = 0.3 / 0.8 when agent 2 sells out);
* p1(z) = 9.99 + 0.01 z for z >= t1, ((9.99 + 0.01 t1) / t1) z otherwise. p1 is
  lost ("= 299 N i1y , otherwise"); the printed numbers pin it down except for
  t1: u1 = 659.9983 at y = (0, 1) needs p0_1 + 0.8 p0_2 = 810, i.e. p0_1 = 10,
  and u1 = 659.996 at (0.375, 0) needs p1(0.375) in [9.9935, 9.9961], i.e. a
  flat upper piece of slope about 0.01, the same shape as p2. Every
  t1 in (0, 0.375] reproduces all printed numbers (t1 > 0.375 does not: agent
  1's best response to y2 = 0 becomes 0.7037, not 0.375); t1 = 0.3, the tipping
  point of p2, is used, and the conclusion is checked for other t1 too.

In the model's family: piecewise_linear impact with p0 = (10, 1000, 10000), one
knot per asset: (t1, (9.99 + 0.01 t1) / 10), (0.3, 0.999993), (0.5, 0.5) (the
last is the straight line p3).

The printed numbers all come out at their printed precision: agent 2 can keep
everything iff y1 >= 0.03125 ("0.031"), prefers keeping to selling out iff
y1 > 0.124889 ("0.125"); agent 1's feasible set at y2 = 1 is [0, 0.703698]
("0.7037"); BR1(y2 = 1) = 0 with u1 = 659.99834 ("659.9983"); BR1(y2 = 0) =
0.375 with u1 = 659.99556 ("659.996"). Two slips in the text: "y1 = 0.3
corresponds to the tipping point" (0.3 is z2 at the tipping point; the strategy
is 0.125), and the closing sentence swaps the agents (agent 1 plays 0 and 0.375,
agent 2 plays 1 and 0).

Non-existence is proved twice: by the implementation (best responses, is_nash,
cycling dynamics) and by an independent NumPy model written from Section 2.1
with the paper's price formulas, through a certificate that does not depend on
grid resolution (Lipschitz bounds per grid cell).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.firesale.best_response import best_response, best_response_of
from jaxmarkets.firesale.dynamics import run_dynamics
from jaxmarkets.firesale.equilibria import epsilon_equilibrium, is_nash
from jaxmarkets.firesale.game import evaluate, make_params, validate_params

IMPACT = "piecewise_linear"
X = np.array([[1.0, 0.8, 0.0], [0.0, 0.2, 1.0]])
A_I = np.array([750.0, 11850.0])
LIAB = np.array([900.0, 11000.0])
P0 = np.array([10.0, 1000.0, 10000.0])
ALPHA = 0.000006
LAM = 2.0
T1 = 0.3  # tipping point of p1: garbled, see the module docstring


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


# batched, jitted once per shape (the profile grid below is shared by the tests)
nash_many = jax.jit(jax.vmap(is_nash, in_axes=(None, None, 0)), static_argnums=0)
utility_many = jax.jit(jax.vmap(lambda imp, p, y: evaluate(imp, p, y).utility, in_axes=(None, None, 0)),
                       static_argnums=0)
eps_many = jax.jit(jax.vmap(epsilon_equilibrium, in_axes=(None, None, 0, None)), static_argnums=0)
br_of_many = jax.jit(jax.vmap(best_response_of, in_axes=(None, None, 0, None)), static_argnums=0)


def profile_grid():
    """41 x 41 profiles (step 0.025: contains 0.125, 0.375, 0.7) and the special ones."""
    axis = np.linspace(0.0, 1.0, 41)
    prof = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    extra = np.array([[0, 1], [0, 0], [0.375, 0], [0.375, 1], [0.1248886, 0], [0.1248886, 1],
                      [0.703698, 1], [0.703698, 0], [0.03125, 1]])
    return np.concatenate([prof, extra])


def prop9_params(t1=T1):
    return make_params(
        X, A_I, LIAB, P0, LAM, ALPHA,
        knots=[[t1], [0.3], [0.5]],
        levels=[[(9.99 + 0.01 * t1) / 10.0], [0.999993], [0.5]],
    )


# ------------------------------------------------------------------------------
# An independent model: Section 2.1 with the paper's price formulas, in NumPy.
def paper_prices(z, t1=T1):
    """p_j(z_j) as printed (piecewise formulas, not the model's knots/levels)."""
    z1, z2, z3 = z[..., 0], z[..., 1], z[..., 2]
    p1 = np.where(z1 >= t1, 9.99 + 0.01 * z1, (9.99 + 0.01 * t1) / t1 * z1)
    p2 = np.where(z2 >= 0.3, 999.99 + 0.01 * z2, 999.993 / 0.3 * z2)
    p3 = 10000.0 * z3
    return np.stack([p1, p2, p3], -1)


def paper_rules(y1, y2, t1=T1):
    """(a, e, lev_ok, u) of both agents at profiles (y1, y2) (broadcast), shape [..., 2]."""
    y1, y2 = np.broadcast_arrays(np.asarray(y1, float), np.asarray(y2, float))
    y = np.stack([y1, y2], -1)  # [..., 2]
    z = y[..., 0:1] * X[0] + y[..., 1:2] * X[1]  # z_j = sum_i x_ij y_i
    p = paper_prices(z, t1)
    a = A_I + y * np.einsum("...j,ij->...i", p, X)  # a_i = a^I_i + y_i sum_j x_ij p_j
    sale = (1.0 - ALPHA) * P0 + ALPHA * p
    revenue = (1.0 - y) * np.einsum("...j,ij->...i", sale, X)
    e = a + revenue - LIAB
    ok = (e > 0) & (a <= LAM * e)  # lev_i = a_i / e_i <= lambda
    u = np.where(ok | (y == 0), e, -np.inf)
    return a, e, ok, u


def lipschitz_agent1(t1=T1):
    """Bounds on |d e_1 / d y_1| and |d (a_1 - lambda e_1) / d y_1| (y2 fixed).

    d a_1/dy_1 = sum_j x_1j p_j + y_1 sum_j x_1j^2 p_j'  and
    d e_1/dy_1 = (1 - alpha) sum_j x_1j (p_j - p0_j) + (y_1 + alpha (1 - y_1)) sum_j x_1j^2 p_j',
    with 0 <= p_j <= p0_j and 0 <= p_j' <= the steepest slope of p_j (its first
    piece, the prices being concave); e_1 and a_1 are continuous and piecewise
    smooth in y_1, so these bound their Lipschitz constants.
    """
    slope = np.array([(9.99 + 0.01 * t1) / t1, 999.993 / 0.3, 10000.0])
    value = X[0] @ P0
    curv = (X[0] ** 2) @ slope
    le = (1.0 - ALPHA) * value + curv
    la = value + curv
    return le, la + LAM * le


def certify_below(y2, lo, hi, target, n_cells, t1=T1):
    """Certify u_1(y_1, y2) < target for EVERY y_1 in [lo, hi] (not just on a grid).

    Per cell [y_k, y_k+1] of width h: either sup e_1 <= (e_k + e_k+1 + L_e h) / 2
    is below target (u_1 <= e_1 everywhere), or inf (a_1 - lambda e_1) >=
    (g_k + g_k+1 - L_g h) / 2 is positive (agent 1 is over the cap, or insolvent,
    on the whole cell: u_1 = -inf there; cells touching y_1 = 0 must pass the
    first test). Returns the worst slack of each test over the cells it
    certifies (the first over the cells the second does not certify) and whether
    every cell is certified.
    """
    le, lg = lipschitz_agent1(t1)
    h = (hi - lo) / n_cells
    worst_e, worst_g, all_ok = np.inf, np.inf, True
    for start in range(0, n_cells, 1 << 20):  # chunks: modest memory
        k = np.arange(start, min(start + (1 << 20), n_cells) + 1)
        yk = lo + h * k
        a, e, _, _ = paper_rules(yk, y2, t1)
        a1, e1 = a[:, 0], e[:, 0]
        g = a1 - LAM * e1
        sup_e = 0.5 * (e1[:-1] + e1[1:] + le * h)
        inf_g = 0.5 * (g[:-1] + g[1:] - lg * h)
        by_e = sup_e < target
        by_g = (inf_g > 0) & (yk[:-1] > 0)
        all_ok &= bool(np.all(by_e | by_g))
        only_e = by_e & ~by_g
        if only_e.any():
            worst_e = min(worst_e, float((target - sup_e[only_e]).min()))
        if by_g.any():
            worst_g = min(worst_g, float(inf_g[by_g].min()))
    return all_ok, worst_e, worst_g


def bisect(f, lo, hi, iters=100):
    """The switch point of a predicate f that is False at lo and True at hi."""
    assert not f(lo) and f(hi)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if f(mid) else (mid, hi)
    return 0.5 * (lo + hi)


# ------------------------------------------------------------------------------
def test_model_prices_are_the_printed_formulas():
    """The knots/levels parameterisation is the paper's p1, p2, p3 (concave)."""
    p = prop9_params()
    validate_params(p, IMPACT, n_agents=2, n_assets=3, n_knots=1)
    rng = np.random.default_rng(9)
    ys = np.concatenate([rng.random((500, 2)), [[0, 0], [1, 1], [0.375, 0], [0.125, 1], [0.3, 0.5]]])
    got = jax.vmap(lambda y: evaluate(IMPACT, p, y))(jnp.asarray(ys))
    a, e, ok, u = paper_rules(ys[:, 0], ys[:, 1])
    np.testing.assert_allclose(got.assets, a, rtol=1e-12)
    np.testing.assert_allclose(got.equity, e, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(got.feasible), ok)
    np.testing.assert_array_equal(np.isfinite(np.asarray(got.utility)), np.isfinite(u))
    # concave: slopes fall at each tipping point
    zs = np.linspace(0.0, 1.0, 1001)
    pr = paper_prices(np.stack([zs] * 3, -1))
    assert np.all(np.diff(pr, 2, axis=0) <= 1e-9)
    assert 0.0 < ALPHA < 1.0


def test_printed_numbers():
    p = prop9_params()
    # agent 2 can keep everything iff p2 >= 750, i.e. y1 >= 0.03125 (printed 0.031)
    feas2 = bisect(lambda y1: bool(paper_rules(y1, 1.0)[2][1]), 0.0, 1.0)
    assert feas2 == pytest.approx(0.0312516, abs=1e-6) and round(feas2, 3) == 0.031
    # agent 2 prefers keeping to selling out iff y1 > 0.124889 (printed 0.125)
    u2 = lambda y1, y2: paper_rules(y1, y2)[3][1]  # noqa: E731
    switch = bisect(lambda y1: u2(y1, 1.0) > u2(y1, 0.0), 0.0, 1.0)
    assert switch == pytest.approx(0.1248886, abs=1e-6) and round(switch, 3) == 0.125
    # agent 1's feasible set at y2 = 1 is [0, 0.703698] (printed 0.7037)
    grid = np.linspace(0.0, 1.0, 100_001)
    ok1 = paper_rules(grid, 1.0)[2][:, 0]
    top = bisect(lambda y1: not paper_rules(y1, 1.0)[2][0], 0.5, 1.0)
    assert np.all(ok1[grid < top - 1e-9]) and not np.any(ok1[grid > top + 1e-9])
    assert round(top, 4) == 0.7037
    # the model agrees on the same thresholds
    ev = lambda y: evaluate(IMPACT, p, jnp.array(y))  # noqa: E731
    assert bool(ev([0.0, 1.0]).feasible[1]) is False and bool(ev([0.032, 1.0]).feasible[1])
    assert not bool(ev([top + 1e-7, 1.0]).feasible[0]) and bool(ev([top - 1e-7, 1.0]).feasible[0])
    # agent 1's best responses to y2 = 1 and y2 = 0, with their utilities
    y, u, _ = best_response_of(IMPACT, p, jnp.array([1.0, 1.0]), 0)
    assert float(y) == 0.0 and float(u) == pytest.approx(659.99834, abs=5e-6)
    assert round(float(u), 4) == 659.9983
    y, u, _ = best_response_of(IMPACT, p, jnp.array([1.0, 0.0]), 0)
    assert float(y) == pytest.approx(0.375, abs=1e-12)  # z2 = 0.8 * 0.375 = 0.3: the tipping point
    assert float(u) == pytest.approx(659.99556, abs=5e-6) and round(float(u), 3) == 659.996


def test_best_responses_of_the_implementation():
    """Agent 2 only ever keeps everything or sells out (switching at y1 =
    0.124889); agent 1 sells out against y2 = 1 and sells down to the tipping
    point of p2 against y2 = 0; the two best-response graphs do not meet."""
    p = prop9_params()
    y1s = jnp.linspace(0.0, 1.0, 2001)
    br2 = br_of_many(IMPACT, p, jnp.stack([y1s, jnp.ones_like(y1s)], -1), 1)
    b = np.asarray(br2[0])
    assert np.all((b == 0.0) | (b == 1.0))
    np.testing.assert_array_equal(b, np.where(np.asarray(y1s) > 0.1248886, 1.0, 0.0))
    # agent 1 against every y2: its best response is 0, the tipping point of p2
    # (z2 = 0.3) or that of p1 (z1 = y1 = t1), and it sells out for y2 >= 0.345
    y2s = jnp.linspace(0.0, 1.0, 401)
    br1 = br_of_many(IMPACT, p, jnp.stack([jnp.ones_like(y2s), y2s], -1), 0)
    b1 = np.asarray(br1[0])
    tip = np.clip((0.3 - 0.2 * np.asarray(y2s)) / 0.8, 0, 1)
    assert np.all((b1 == 0.0) | np.isclose(b1, tip, atol=1e-12) | np.isclose(b1, T1, atol=1e-12))
    assert b1[0] == pytest.approx(0.375) and b1[-1] == 0.0
    assert np.all((b1 == 0.0) == (np.asarray(y2s) >= 0.345 - 1e-12))
    assert np.all(b1[b1 > 0] > 0.1248886)  # so agent 2 keeps everything there
    # where agent 1 plays the tipping point (y1 >= 0.125) agent 2 keeps everything,
    # and where it sells out agent 2 sells out too: the graphs do not meet
    br2_at = np.asarray(br_of_many(IMPACT, p, jnp.stack([jnp.asarray(b1), y2s], -1), 1)[0])
    assert np.all(br2_at != np.asarray(y2s))


def test_no_profile_on_a_grid_is_an_equilibrium():
    """The implementation (is_nash, epsilon_equilibrium) and brute-force NumPy
    deviations agree: at every profile some agent gains more than 3e-4."""
    p = prop9_params()
    prof = profile_grid()
    assert not np.any(np.asarray(nash_many(IMPACT, p, jnp.asarray(prof))))
    chk = eps_many(IMPACT, p, jnp.asarray(prof), 1e-4)
    # gain: best-response utility minus u_i(y) (inf where y_i is inadmissible)
    u_impl = np.asarray(utility_many(IMPACT, p, jnp.asarray(prof)))
    impl_gains = np.where(np.isfinite(u_impl), np.asarray(chk.gain), np.inf)
    assert not np.any(np.asarray(chk.ok)) and impl_gains.max(-1).min() > 3e-4
    # brute force: own deviations on a grid (a lower bound on each agent's gain)
    dev = np.unique(np.concatenate([np.linspace(0.0, 1.0, 4001), [0.375]]))
    # (agent 1's best deviation depends on y2 only, agent 2's on y1 only)
    u_now = paper_rules(prof[:, 0], prof[:, 1])[3]
    y2u, inv2 = np.unique(prof[:, 1], return_inverse=True)
    y1u, inv1 = np.unique(prof[:, 0], return_inverse=True)
    best1 = paper_rules(dev[None, :], y2u[:, None])[3][..., 0].max(-1)[inv2]
    best2 = paper_rules(y1u[:, None], dev[None, :])[3][..., 1].max(-1)[inv1]
    gains = np.stack([best1 - u_now[:, 0], best2 - u_now[:, 1]], -1)
    gain = gains.max(-1)
    assert gain.min() > 3e-4
    # the tightest profile is (0, 0): agent 1 gains 659.995556 - 659.995140 by
    # keeping 0.375 (selling to the tipping point of p2) instead of selling out
    k = int(np.argmin(gain))
    np.testing.assert_allclose(prof[k], [0.0, 0.0])
    assert gain[k] == pytest.approx(4.1621e-4, abs=1e-8)
    # the implementation's gains (best response minus equity) are at least the
    # brute-force ones wherever the agent's current choice is admissible
    np.testing.assert_array_equal(np.isfinite(u_impl), np.isfinite(u_now))
    fin = np.isfinite(u_now)
    assert np.all(impl_gains[fin] >= gains[fin] - 1e-7)


def test_no_equilibrium_certificate_independent_of_the_grid():
    """Non-existence over the whole continuum [0, 1]^2, in the independent model.

    (A) BR2(y1) is a subset of {0, 1} for every y1: e_2(y2) = E3 + E2 + a^I_2 - l_2,
        where E3 = 10000 [(1 - alpha) y2^2 - (1 - 2 alpha) y2 + (1 - alpha)] (asset 3,
        held by agent 2 alone) lies 10000 (1 - alpha) y2 (1 - y2) >= 5000 (1 - alpha)
        min(y2, 1 - y2) below its chord, while E2 (asset 2) leaves its chord by at
        most (L2 + |E2(1) - E2(0)|) min(y2, 1 - y2); L2 + 200 < 5000 (1 - alpha) puts
        e_2 strictly below its chord, so below max(e_2(0), e_2(1)), on (0, 1). If
        y2 = 1 is infeasible (p2 < 750), e_2(1) < 11000 < e_2(0), so the interior
        cannot beat y2 = 0 either.
    (B) BR1(1) is in [0, 0.1] and BR1(0) in [0.2, 1], for every y1 in the
        continuum: `certify_below` with Lipschitz bounds.
    (C) e_2 is increasing in y1 (prices increase in y1), so y1 <= 0.1 gives
        u2(y1, 0) >= e_2(0, 0) > e_2(0.1, 1) >= u2(y1, 1): BR2 = {0}; and y1 >= 0.2
        gives e_2(y1, 1) >= e_2(0.2, 1) > e_2(1, 0) >= e_2(y1, 0), y2 = 1 feasible
        (agent 2's leverage falls in y1, Proposition 1): BR2 = {1}.
    So an equilibrium (y1, y2) has y2 in {0, 1}; y2 = 1 forces y1 <= 0.1, where
    agent 2 sells out; y2 = 0 forces y1 >= 0.2, where agent 2 keeps everything.
    """
    # (A)
    s2 = 999.993 / 0.3  # steepest slope of p2
    x22 = X[1, 1]
    l2 = x22 * ((1 - ALPHA) * P0[1] + s2 * x22 + P0[1])  # |dE2/dy2|
    chord = x22 * P0[1]  # |E2(1) - E2(0)| <= x22 p0_2
    assert l2 + chord < 5000.0 * (1 - ALPHA)
    # the asset-3 part as stated, and the chord inequality on a dense grid (sanity)
    y1g = np.linspace(0.0, 1.0, 201)[:, None]
    y2g = np.linspace(0.0, 1.0, 1001)[None, 1:-1]
    e2 = paper_rules(y1g, y2g)[1][..., 1]
    e2_0, e2_1 = paper_rules(y1g, 0.0)[1][..., 1], paper_rules(y1g, 1.0)[1][..., 1]
    below = (1 - y2g) * e2_0 + y2g * e2_1 - e2
    margin = 5000.0 * (1 - ALPHA) - l2 - chord
    assert np.all(below >= margin * np.minimum(y2g, 1 - y2g) - 1e-6)
    a2_1, e2_1p = paper_rules(y1g[:, 0], 1.0)[0][:, 1], e2_1[:, 0]
    infeasible = a2_1 > LAM * e2_1p
    assert infeasible.any() and np.all(e2_1p[infeasible] < 11000.0)
    assert e2_0.min() > 11000.0
    # (B)
    u_10 = paper_rules(0.0, 1.0)[3][0]  # BR1(1) = 0: u1 = 659.99834
    ok, worst_e, worst_g = certify_below(1.0, 0.1, 1.0, float(u_10), 1 << 20)
    assert ok and worst_e > 4e-4 and worst_g > 0
    u_tip = paper_rules(0.375, 0.0)[3][0]  # the tipping point, feasible
    assert np.isfinite(u_tip)
    ok, worst_e, _ = certify_below(0.0, 0.0, 0.2, float(u_tip), 1 << 20)
    assert ok and worst_e > 2e-4
    # the certificate can fail: (0.375, 0) is not beaten on [0, 0.2], but it is
    # on [0, 0.4] (it is the maximum), and agent 1 gains by leaving y1 = 0
    assert not certify_below(0.0, 0.0, 0.4, float(u_tip), 1 << 16)[0]
    assert not certify_below(0.0, 0.0, 0.2, float(u_tip) - 5e-4, 1 << 20)[0]
    # (C)
    e2_at = lambda y1, y2: float(paper_rules(y1, y2)[1][1])  # noqa: E731
    assert np.all(np.diff(e2_0) >= 0) and np.all(np.diff(e2_1[:, 0]) >= 0)
    assert e2_at(0.0, 0.0) > e2_at(0.1, 1.0) + 10.0
    assert e2_at(0.2, 1.0) > e2_at(1.0, 0.0) + 0.05
    assert bool(paper_rules(0.2, 1.0)[2][1])


def test_best_response_dynamics_cycle():
    """From y = 1 the simultaneous dynamics run into the 4-cycle
    (0, 1) -> (0, 0) -> (0.375, 0) -> (0.375, 1) -> (0, 1); sequential ones
    alternate between (0, 0) and (0.375, 1)."""
    p = prop9_params()
    run = run_dynamics(IMPACT, p, None, "best_response", "simultaneous", max_steps=100)
    assert not bool(run.converged) and int(run.cycle_period) == 4
    y = run.y
    seen = []
    for _ in range(4):
        seen.append(tuple(np.round(np.asarray(y), 12)))
        y = best_response(IMPACT, p, y).y
    np.testing.assert_allclose(y, run.y, atol=1e-12)
    assert sorted(seen) == [(0.0, 0.0), (0.0, 1.0), (0.375, 0.0), (0.375, 1.0)]
    seq = run_dynamics(IMPACT, p, None, "best_response", "sequential", order=[0, 1], max_steps=100)
    assert not bool(seq.converged) and int(seq.cycle_period) == 2
    assert tuple(np.round(np.asarray(seq.y), 12)) in {(0.0, 0.0), (0.375, 1.0)}


@pytest.mark.parametrize("t1", [0.1, 0.2, 0.375, 0.5])
def test_other_tipping_points_of_p1(t1):
    """The garbled tipping point t1 of p1: any t1 <= 0.375 gives the printed
    numbers and the same cycle; t1 = 0.5 still has no equilibrium, but agent 1's
    best response to y2 = 0 becomes 0.7037, not the printed 0.375."""
    p = prop9_params(t1)
    y, u, _ = best_response_of(IMPACT, p, jnp.array([1.0, 1.0]), 0)
    assert float(y) == 0.0 and round(float(u), 4) == 659.9983
    y, u, _ = best_response_of(IMPACT, p, jnp.array([1.0, 0.0]), 0)
    if t1 <= 0.375:
        assert float(y) == pytest.approx(0.375, abs=1e-12) and round(float(u), 3) == 659.996
    else:
        assert round(float(y), 4) == 0.7037
    run = run_dynamics(IMPACT, p, None, "best_response", "simultaneous", max_steps=100)
    assert not bool(run.converged) and int(run.cycle_period) == 4
    assert not np.any(np.asarray(nash_many(IMPACT, p, jnp.asarray(profile_grid()))))
