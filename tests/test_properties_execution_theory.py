"""The execution theory on the whole documented range, and its limit cases.

Every theory function is finite for params drawn from `ExecutionGame.param_ranges()`
(edges, tiny and huge magnitudes, mixed scales), or `check_discrete_nash` raises
a one-line InputError naming alpha and its range when the discrete equilibrium
does not exist. The limit cases (alpha = 0, kappa = 0, sigma = 0, one agent,
lam = 0) are checked against closed forms derived here, by hand, from the cost
of the discrete game and from Eq. (5), not from the code under test.

All in float64. The theory of one game is a jitted function of traced params,
compiled once per (timing, n_agents).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.param_strategies import param_updates, with_values
from jaxmarkets.core import InputError
from jaxmarkets.execution import theory as th
from jaxmarkets.execution.game import TIMINGS, ExecutionGame

N_STEPS = 4


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@functools.partial(jax.jit, static_argnums=0)
def report(game, params):
    """Both equilibria, their costs and TWAP's (the discrete part means something
    only where `check_discrete_nash` passes; under jit it cannot check)."""
    q = th.nash_continuous(game, params)
    schedules = {"continuous": th.sells_from_inventory(q), "discrete": th.nash_discrete(game, params),
                 "twap": th.twap(game, params)}
    out = {"q": q}
    for name, v in schedules.items():
        out[name] = {
            "v": v,
            "is": th.expected_is(game, params, v),
            "var": th.variance_is(game, params, v),  # of the price noise
            "order_var": th.order_variance_is(game, params, v),  # of the random order (sequential)
            "cost": th.mean_variance_cost(game, params, v),
        }
    return out


# (timing, n_agents): every reading, one, two and three agents; one compile each,
# shared by the limit-case tests below (same shapes), so they cost no compile
COMBOS = [("simultaneous", 1), ("inclusive", 1), ("inclusive", 3), ("sequential", 2), ("aggregate", 3)]
cost = jax.jit(th.mean_variance_cost, static_argnums=0)
best_response = jax.jit(th.best_response, static_argnums=(0, 3))  # checked first, as under jit it cannot


def finite(tree) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(x)))) for x in jax.tree.leaves(tree))


def game_of(timing, n_agents, n_steps=N_STEPS):
    return ExecutionGame(n_agents=n_agents, n_steps=n_steps, timing=timing)


def params_of(game, **kw):
    return game.make_params(**kw)


# --------------------------------------------------------------------------
# the whole range


@given(data=st.data(), combo=st.sampled_from(COMBOS))
def test_theory_is_finite_on_the_documented_range(data, combo):
    timing, n_agents = combo
    with jax.enable_x64(True):
        game = game_of(timing, n_agents)
        default = game.default_params()
        params = with_values(default, data.draw(param_updates(game.param_ranges(), default)))
        # lam common to all agents, as Eq. (7)-(8) need
        params = params.replace(lam=jnp.full_like(params.lam, params.lam[0]))
        game.validate(params)  # drawn inside every range
        out = report(game, params)
        assert finite((out["q"], out["continuous"], out["twap"])), params
        try:
            th.check_discrete_nash(game, params)
        except InputError as err:
            msg = str(err)
            assert msg.startswith("alpha = ") and "allowed range (" in msg and "\n" not in msg
            assert float(params.alpha) <= th.discrete_nash_alpha_min(game, params) * (1 + 1e-9)
            return
        assert finite(out["discrete"]), params
        # each agent sells its inventory, to the float64 precision of the schedules'
        # entries (with mixed inventories a small agent trades large amounts both ways)
        v = np.asarray(out["discrete"]["v"])
        np.testing.assert_allclose(v.sum(1), params.q0, rtol=1e-9, atol=1e-10 * np.abs(v).max())


@given(data=st.data())
def test_pareto_front_is_finite_on_the_documented_range(data):
    with jax.enable_x64(True):
        game = game_of("sequential", 2)
        default = game.default_params()
        params = with_values(default, data.draw(param_updates(game.param_ranges(), default)))
        front, schedules = th.pareto_front(game, params, 5, 100)
        assert finite((front, schedules))
        scale = float(np.max(params.q0))
        assert float(schedules.min()) >= -1e-9 * scale
        # the projection resolves its threshold to the float64 spacing of the largest
        # schedule, so with mixed inventories the small one's sum is good to that
        np.testing.assert_allclose(schedules.sum(-1), np.broadcast_to(params.q0[None, :], (5, 2)),
                                   rtol=1e-9, atol=1e-12 * scale)


def test_the_reported_cases_of_the_issue():
    """alpha = 0 (the continuous Nash was NaN) and alpha = 1e308 (the discrete too)."""
    game = game_of("sequential", 2)
    p0 = game.make_params(alpha=0.0)
    game.validate(p0)
    assert finite(report(game, p0)["q"])
    with pytest.raises(InputError, match=r"^alpha = 0 is outside the allowed range \(0\.0005, 1e\+08\]"):
        th.nash_discrete(game, p0)
    with pytest.raises(InputError, match=r"^alpha = 1e\+308 is outside the allowed range \[0, 1e\+08\]$"):
        game.validate(game.make_params(alpha=1e308))


# --------------------------------------------------------------------------
# limit cases against closed forms


def sinh_ratio(w, t, horizon):
    return np.sinh(w * (horizon - t)) / np.sinh(w * horizon)


def times(params):
    return np.arange(N_STEPS + 1) * float(params.tau), N_STEPS * float(params.tau)


def combo_with(n_agents):
    return next(c for c in COMBOS if c[1] == n_agents)


@pytest.mark.parametrize("n_agents", [1, 2, 3])
@pytest.mark.parametrize("kappa", [0.0, 0.002])
@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_continuous_nash_at_alpha_zero_is_the_small_alpha_limit_and_its_closed_form(n_agents, kappa, lam):
    """Eq. (5) with alpha = 0 keeps only kappa sum_{j!=k} q'_j = lam sigma^2 q_k (c = 2 lam
    sigma^2 for E + lam Var): the mean inventory has (n-1) kappa S' = c S and the
    differences -kappa D' = c D, with boundary layers where a condition cannot hold.
    As alpha -> 0+: with kappa > 0 and n > 1 the mean goes at t = 0+ and each q_k - Q/n
    decays like exp(-c t / kappa) until T; with one agent or no kappa, the inventory
    goes at once if c > 0 and linearly if c = 0. (The continuous Nash does not depend
    on the timing reading.)"""
    q0 = np.array([100.0, 40.0, 70.0])[:n_agents]
    sigma, tau = 0.03, 2.0  # c / kappa = 0.45 per unit time
    game = game_of(*combo_with(n_agents))
    params = game.make_params(q0=q0, alpha=0.0, kappa=kappa, sigma=sigma, tau=tau, lam=lam)
    got = np.asarray(report(game, params)["q"])
    t, horizon = times(params)
    c = 2 * lam * sigma**2
    if c == 0 and (kappa == 0 or n_agents == 1):
        mean = np.sum(q0) * (horizon - t) / horizon
        diff = np.where(t < horizon, 1.0, 0.0) if kappa > 0 else (horizon - t) / horizon
    else:
        mean = np.where(t == 0, np.sum(q0), 0.0)
        diff = np.where(t < horizon, np.exp(-c * t / kappa), 0.0) if kappa > 0 else np.where(t == 0, 1.0, 0.0)
    expected = mean[None, :] / n_agents + (q0 - q0.mean())[:, None] * diff[None, :]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # and the code's value at alpha = 0 is the limit of small alpha
    small_alpha = game.make_params(q0=q0, alpha=1e-9, kappa=kappa, sigma=sigma, tau=tau, lam=lam)
    small = np.asarray(report(game, small_alpha)["q"])
    np.testing.assert_allclose(got, small, atol=1e-4 * q0.max())


@pytest.mark.parametrize("combo", COMBOS)
def test_without_permanent_impact_and_risk_both_equilibria_are_twap(combo):
    """kappa = 0 and lam = 0: each agent's cost is alpha/tau times a sum of squares of
    (own, or total) volumes, minimised by equal sales in every reading."""
    game = game_of(*combo)
    q0 = np.array([100.0, 10.0, 55.0])[: combo[1]]
    params = game.make_params(q0=q0, alpha=0.01, kappa=0.0, sigma=0.2, lam=0.0)
    th.check_discrete_nash(game, params)
    out = report(game, params)
    np.testing.assert_allclose(out["discrete"]["v"], q0[:, None] * np.ones(N_STEPS) / N_STEPS, rtol=1e-10)
    q = q0[:, None] * (1 - np.arange(N_STEPS + 1) / N_STEPS)
    np.testing.assert_allclose(out["q"], q, rtol=1e-10, atol=1e-12)


def test_without_permanent_impact_the_continuous_modes_are_two_sinh():
    """kappa = 0: (n+1) alpha S'' = c S and alpha D'' = c D, so S and D are sinh ratios
    with rates sqrt(c / ((n+1) alpha)) and sqrt(c / alpha)."""
    n, alpha, sigma, lam, tau = 3, 0.004, 0.3, 0.7, 0.75
    q0 = np.array([100.0, 10.0, 55.0])
    game = game_of("aggregate", n)
    params = game.make_params(q0=q0, alpha=alpha, kappa=0.0, sigma=sigma, lam=lam, tau=tau)
    c = 2 * lam * sigma**2
    t, horizon = times(params)
    mean = q0.sum() * sinh_ratio(np.sqrt(c / ((n + 1) * alpha)), t, horizon)
    diff = sinh_ratio(np.sqrt(c / alpha), t, horizon)
    expected = mean[None, :] / n + (q0 - q0.mean())[:, None] * diff[None, :]
    np.testing.assert_allclose(report(game, params)["q"], expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("combo", COMBOS)
def test_zero_volatility_is_zero_risk_aversion(combo):
    game = game_of(*combo)
    base = dict(q0=[100.0, 30.0, 70.0][: combo[1]], alpha=0.01, kappa=0.004)
    quiet = report(game, game.make_params(**base, sigma=0.0, lam=3.0))
    neutral = report(game, game.make_params(**base, sigma=0.5, lam=0.0))
    np.testing.assert_allclose(quiet["discrete"]["v"], neutral["discrete"]["v"], rtol=1e-12)
    np.testing.assert_allclose(quiet["q"], neutral["q"], rtol=1e-12)
    np.testing.assert_allclose(quiet["twap"]["var"], 0.0)
    np.testing.assert_allclose(quiet["twap"]["order_var"], neutral["twap"]["order_var"])


@pytest.mark.parametrize("timing", ["simultaneous", "inclusive"])
@pytest.mark.parametrize("lam", [0.0, 0.8])
def test_one_agent_is_the_almgren_chriss_schedule(timing, lam):
    """One agent: E = kappa Q^2 / 2 + (eta / tau) sum v^2 with eta = alpha - kappa tau / 2
    (alpha + kappa tau / 2 when the step's own impact is in its price, `inclusive`;
    the other readings are `simultaneous` for one agent), and Var = sigma^2 tau
    sum_{s<N} q_s^2. The first-order conditions q_{s-1} - 2 q_s + q_{s+1} =
    (lam sigma^2 tau^2 / eta) q_s give q_s = Q sinh(k (N - s)) / sinh(k N) with
    2 (cosh k - 1) = lam sigma^2 tau^2 / eta, and TWAP when lam = 0."""
    Q, alpha, kappa, sigma, tau = 80.0, 0.02, 0.01, 0.4, 1.5
    game = game_of(timing, 1)
    params = game.make_params(q0=Q, alpha=alpha, kappa=kappa, sigma=sigma, tau=tau, lam=lam)
    eta = alpha + (kappa * tau / 2 if timing == "inclusive" else -kappa * tau / 2)
    s = np.arange(N_STEPS + 1)
    if lam == 0:
        q = Q * (N_STEPS - s) / N_STEPS
    else:
        k = np.arccosh(1 + lam * sigma**2 * tau**2 / (2 * eta))
        q = Q * np.sinh(k * (N_STEPS - s)) / np.sinh(k * N_STEPS)
    th.check_discrete_nash(game, params)
    out = report(game, params)
    np.testing.assert_allclose(th.inventory_from_sells(params.q0, out["discrete"]["v"])[0], q, rtol=1e-9, atol=1e-9)
    # the continuous equilibrium of one agent: 2 alpha q'' = c q (Eq. 5 with n = 1)
    t, horizon = times(params)
    w = np.sqrt(2 * lam * sigma**2 / (2 * alpha))
    expected = Q * (sinh_ratio(w, t, horizon) if lam else (horizon - t) / horizon)
    np.testing.assert_allclose(out["q"][0], expected, rtol=1e-10, atol=1e-10)


def no_deviation_gains(game, params, nash, rng, scale=10.0):
    base = np.asarray(cost(game, params, nash))
    for k in range(game.n_agents):
        for _ in range(10):
            dev = rng.normal(size=N_STEPS) * scale
            dev -= dev.mean()
            assert float(cost(game, params, nash.at[k].add(dev))[k]) >= base[k] - 1e-9


@pytest.mark.parametrize("combo", [("sequential", 2), ("aggregate", 3)])
def test_below_kappa_tau_over_two_round_trips_pay_and_no_discrete_equilibrium_exists(combo):
    """lam = 0: moving x from step 2 to step 1 changes an agent's own cost by
    (2 alpha / tau - kappa) x^2 plus a term linear in x, so for alpha < kappa tau / 2
    a large enough round trip always gains: no best response, no equilibrium.
    Above the bound the equilibrium exists and no deviation gains."""
    kappa, tau = 0.004, 0.5
    game = game_of(*combo)
    q0 = [100.0, 60.0, 20.0][: combo[1]]
    bound = kappa * tau / 2
    assert th.discrete_nash_alpha_min(game, game.make_params(kappa=kappa, tau=tau)) == pytest.approx(bound)
    below = game.make_params(q0=q0, alpha=0.9 * bound, kappa=kappa, tau=tau)
    with pytest.raises(InputError, match=r"^alpha = 0\.0009 is outside the allowed range \(0\.001, 1e\+08\]"):
        th.nash_discrete(game, below)
    v = th.twap(game, below)
    base = float(cost(game, below, v)[0])
    d = jnp.zeros(N_STEPS).at[0].set(1.0).at[1].set(-1.0)
    gains = [base - float(cost(game, below, v.at[0].add(x * d))[0]) for x in (1e3, 1e4)]
    assert gains[1] > gains[0] > 0
    above = game.make_params(q0=q0, alpha=1.1 * bound, kappa=kappa, tau=tau)
    th.check_discrete_nash(game, above)
    no_deviation_gains(game, above, report(game, above)["discrete"]["v"], np.random.default_rng(0))


def test_inclusive_reading_has_its_equilibrium_at_alpha_zero():
    game = game_of("inclusive", 3)
    params = game.make_params(q0=[100.0, 60.0, 20.0], alpha=0.0, kappa=0.003)
    assert th.discrete_nash_alpha_min(game, params) < 0
    th.check_discrete_nash(game, params)
    nash = report(game, params)["discrete"]["v"]
    assert finite(nash)
    no_deviation_gains(game, params, nash, np.random.default_rng(1))


@pytest.mark.parametrize("combo", COMBOS)
def test_free_trading_returns_the_alpha_to_zero_limit(combo):
    """alpha = kappa = 0 and lam sigma = 0: every cost is zero and every profile an
    equilibrium; the code returns TWAP, the limit alpha -> 0 at kappa = 0, and a
    front of zeros. With risk (lam sigma > 0) the agents sell everything at once."""
    game = game_of(*combo)
    n = combo[1]
    q0 = np.array([100.0, 60.0, 20.0])[:n]
    free = game.make_params(q0=q0, alpha=0.0, kappa=0.0, sigma=0.3, lam=0.0)
    th.check_discrete_nash(game, free)
    twap = q0[:, None] * np.ones(N_STEPS) / N_STEPS
    out = report(game, free)
    np.testing.assert_allclose(out["discrete"]["v"], twap)
    np.testing.assert_allclose(out["q"], q0[:, None] * (1 - np.arange(N_STEPS + 1) / N_STEPS))
    if combo == ("sequential", 2):
        np.testing.assert_allclose(best_response(game, free, jnp.asarray(twap), 0), twap[0])
        front, schedules = th.pareto_front(game, free, 5, 100)
        assert finite(schedules)
        np.testing.assert_allclose(front, 0.0)
    risky = game.make_params(q0=q0, alpha=0.0, kappa=0.0, sigma=0.3, lam=0.5)
    th.check_discrete_nash(game, risky)
    at_once = np.zeros((n, N_STEPS))
    at_once[:, 0] = q0
    out = report(game, risky)
    np.testing.assert_allclose(out["discrete"]["v"], at_once, atol=1e-9)
    np.testing.assert_allclose(out["q"][:, 1:], 0.0)


@pytest.mark.parametrize(
    "kw",
    [
        dict(q0=1e-6, S0=1e6),
        dict(q0=1e8, S0=1e-8, alpha=1e8, tau=1e-8, kappa=1e8),
        dict(alpha=1e-300, kappa=0.0, lam=1e-300, sigma=1e-8),
        dict(alpha=1e8, kappa=1e-8, lam=1e8, sigma=1e8, tau=1e8),
        dict(alpha=1e-8, kappa=1e8, lam=1e8, sigma=1e8, tau=1e8),
        dict(q0=[1e-8, 1e8, 1.0], alpha=1e-8, kappa=0.0, tau=1e-8),
    ],
)
def test_huge_and_tiny_magnitudes_and_mixed_scales_stay_finite(kw):
    for combo in COMBOS:
        game = game_of(*combo)
        kw_n = {k: (v[: combo[1]] if isinstance(v, list) else v) for k, v in kw.items()}
        params = game.make_params(**kw_n)
        game.validate(params)
        out = report(game, params)
        assert finite((out["q"], out["continuous"], out["twap"])), (kw, combo)
        try:
            th.check_discrete_nash(game, params)
        except InputError:
            continue
        assert finite(out["discrete"]), (kw, combo)


@functools.partial(jax.jit, static_argnums=0)
def continuous_only(game, params):
    q = th.nash_continuous(game, params)
    v = th.sells_from_inventory(q)
    return q, th.expected_is(game, params, v), th.variance_is(game, params, v), th.order_variance_is(game, params, v)


def test_many_agents_continuous_nash():
    """Eq. (7)-(8) for 200 agents at the corners of the range (the discrete system,
    of size n (N + 1), is covered by the smaller games above)."""
    game = game_of("sequential", 200)
    q0 = np.geomspace(1e-8, 1e8, 200)
    for kw in (dict(), dict(alpha=0.0), dict(alpha=1e8, tau=1e-8, kappa=1e8, lam=1e8, sigma=1e8),
               dict(alpha=1e-8, tau=1e8, kappa=1e8, lam=1e-8, sigma=1e-8)):
        params = game.make_params(q0=q0, **kw)
        game.validate(params)
        assert finite(continuous_only(game, params)), kw


def test_float32_theory_of_the_sweeps_stays_finite():
    """The sweeps solve the discrete Nash in float32: the limit cases stay finite there."""
    with jax.enable_x64(False):
        game = game_of("sequential", 2)
        for kw in (dict(), dict(alpha=0.0), dict(kappa=0.0), dict(alpha=0.0, kappa=0.0), dict(lam=0.5, sigma=0.3),
                   dict(alpha=0.0, kappa=0.0, lam=0.5, sigma=0.3), dict(q0=[1e-8, 1e8], S0=1e8, tau=1e-8, alpha=1e8)):
            params = game.make_params(**kw)
            assert params.alpha.dtype == jnp.float32
            game.validate(params)
            out = report(game, params)
            assert finite((out["q"], out["continuous"], out["twap"])), kw
            try:
                th.check_discrete_nash(game, params)
            except InputError:
                continue
            assert finite(out["discrete"]), kw
