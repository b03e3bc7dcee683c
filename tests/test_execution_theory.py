"""Equilibria, costs and the Pareto front of the execution game, in float64."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize

from jaxmarkets.execution import theory as th
from jaxmarkets.execution.game import TIMINGS, ExecutionGame


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def game_and_params(timing="sequential", **kw):
    kw = {"n_agents": 2, "n_steps": 10, **kw}
    game = ExecutionGame(n_agents=kw.pop("n_agents"), n_steps=kw.pop("n_steps"), timing=timing)
    return game, game.make_params(**kw)


def test_expected_is_by_hand_two_steps():
    """N = 2, simultaneous: agent 1 sells (a, q-a), agent 2 (b, q-b)."""
    game, p = game_and_params("simultaneous", n_steps=2, q0=[10.0, 10.0], alpha=0.5, kappa=0.25)
    a, b = 4.0, 7.0
    v = jnp.array([[a, 10 - a], [b, 10 - b]])
    # step 1 at S0, step 2 at S0 - kappa (a + b); temporary alpha v^2 each
    e1 = 0.5 * a**2 + (10 - a) * 0.25 * (a + b) + 0.5 * (10 - a) ** 2
    e2 = 0.5 * b**2 + (10 - b) * 0.25 * (a + b) + 0.5 * (10 - b) ** 2
    np.testing.assert_allclose(th.expected_is(game, p, v), [e1, e2], rtol=1e-12)
    # inclusive adds the step's own kappa V_t; aggregate charges alpha V_t
    gi = ExecutionGame(n_agents=2, n_steps=2, timing="inclusive")
    extra = 0.25 * np.array([a * (a + b) + (10 - a) * (20 - a - b), b * (a + b) + (10 - b) * (20 - a - b)])
    np.testing.assert_allclose(th.expected_is(gi, p, v), np.array([e1, e2]) + extra, rtol=1e-12)
    # variance: only the first step's noise moves the second step's price
    sig = game.make_params(q0=[10.0, 10.0], sigma=0.3)
    np.testing.assert_allclose(th.variance_is(game, sig, v), 0.09 * np.array([6.0, 3.0]) ** 2)


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("lam", [0.0, 0.2])
def test_discrete_nash_is_a_best_response_for_every_agent(timing, lam):
    game, p = game_and_params(timing, n_agents=3, n_steps=8, q0=[100.0, 40.0, 70.0], sigma=0.1, lam=lam)
    v = th.nash_discrete(game, p)
    np.testing.assert_allclose(v.sum(1), p.q0, rtol=1e-10)
    rng = np.random.default_rng(0)
    base = np.asarray(th.mean_variance_cost(game, p, v))
    for k in range(3):
        np.testing.assert_allclose(th.best_response(game, p, v, k), v[k], atol=1e-8)
        for _ in range(20):  # no unilateral deviation that keeps the inventory gains
            d = rng.normal(size=8)
            d -= d.mean()
            dev = np.asarray(th.mean_variance_cost(game, p, v.at[k].add(d)))[k]
            assert dev >= base[k] - 1e-9


@pytest.mark.parametrize("timing", TIMINGS)
def test_twap_minimises_the_sum_of_the_two_shortfalls(timing):
    game, p = game_and_params(timing, n_steps=6)
    P, R, _ = (np.asarray(x) for x in th.cost_matrices(game, p))

    def total(x):
        a, b = x[:6], x[6:]
        return a @ P @ a + a @ R @ b + b @ P @ b + b @ R @ a

    cons = [{"type": "eq", "fun": lambda x: x[:6].sum() - 100}, {"type": "eq", "fun": lambda x: x[6:].sum() - 100}]
    x0 = np.random.default_rng(1).dirichlet(np.ones(6), 2).ravel() * 100
    res = minimize(total, x0, constraints=cons, bounds=[(0, 100)] * 12, method="SLSQP", options={"ftol": 1e-14})
    # aggregate: the sum depends on the total volume alone, so only it is pinned down
    np.testing.assert_allclose(res.x[:6] + res.x[6:], 200 / 6, atol=1e-3)
    if timing != "aggregate":
        np.testing.assert_allclose(res.x, 100 / 6, atol=1e-3)
    twap_sum = float(th.expected_is(game, p, th.twap(game, p)).sum())
    np.testing.assert_allclose(twap_sum, res.fun, rtol=1e-9)


def eq8_literal(q01, q02, lam, sigma, alpha, kappa, n_steps):
    """Eq. (7)-(8) exactly as printed (tau = 1)."""
    t = np.arange(n_steps + 1.0)
    r_sum = np.sqrt(kappa**2 + 12 * alpha * lam * sigma**2) / (6 * alpha)
    r_diff = np.sqrt(kappa**2 + 4 * alpha * lam * sigma**2) / (2 * alpha)
    big_sigma = (q01 + q02) * np.exp(-kappa * t / (6 * alpha)) * np.sinh((n_steps - t) * r_sum) / np.sinh(n_steps * r_sum)
    delta = (q01 - q02) * np.exp(kappa * t / (2 * alpha)) * np.sinh((n_steps - t) * r_diff) / np.sinh(n_steps * r_diff)
    return np.stack([(big_sigma + delta) / 2, (big_sigma - delta) / 2])


def test_continuous_nash_reproduces_eq8_as_printed():
    game, p = game_and_params(q0=[100.0, 40.0], lam=0.3, sigma=0.2)
    expected = eq8_literal(100.0, 40.0, 0.3, 0.2, 0.002, 0.001, 10)
    np.testing.assert_allclose(th.nash_continuous(game, p, "eq8"), expected, rtol=1e-10)
    # Eq. 3's lam is Eq. 8's lam / 2
    np.testing.assert_allclose(th.nash_continuous(game, p.replace(lam=p.lam / 2), "eq3"), expected, rtol=1e-10)


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_eq8_is_the_equilibrium_of_the_aggregate_market(lam):
    """A best response to the discretised Eq. (7)-(8) gains O(tau^2) in the aggregate
    market and stays bounded away from zero in the market of Eq. (4)."""
    gains = {}
    for timing in ("aggregate", "simultaneous"):
        for n_steps in (20, 80):
            game, p = game_and_params(timing, n_steps=n_steps, tau=10.0 / n_steps, q0=[100.0, 60.0],
                                      alpha=0.003, sigma=0.3, lam=lam)
            v = th.sells_from_inventory(th.nash_continuous(game, p))
            cost = lambda x: np.asarray(th.mean_variance_cost(game, p, x))  # noqa: E731
            gains[timing, n_steps] = max(
                cost(v)[k] - cost(v.at[k].set(th.best_response(game, p, v, k)))[k] for k in range(2)
            )
    assert gains["aggregate", 80] < gains["aggregate", 20] / 8  # ~16x for O(tau^2)
    assert gains["aggregate", 80] < 0.01
    assert gains["simultaneous", 80] > 0.1 and gains["simultaneous", 80] > 20 * gains["aggregate", 80]


def test_continuous_nash_for_n_agents_solves_eq5():
    """Finite differences of the paths satisfy Eq. (5) for three agents."""
    game, p = game_and_params("aggregate", n_agents=3, n_steps=4000, tau=1e-3, q0=[100.0, 60.0, 30.0],
                              alpha=0.003, sigma=0.3, lam=0.4)
    q = np.asarray(th.nash_continuous(game, p, "eq8"))
    h = 1e-3
    d1 = (q[:, 2:] - q[:, :-2]) / (2 * h)
    d2 = (q[:, 2:] - 2 * q[:, 1:-1] + q[:, :-2]) / h**2
    mid = q[:, 1:-1]
    for k in range(3):
        others = [j for j in range(3) if j != k]
        lhs = 0.4 * 0.09 * mid[k] - 2 * 0.003 * d2[k]
        rhs = 0.001 * d1[others].sum(0) + 0.003 * d2[others].sum(0)
        np.testing.assert_allclose(lhs, rhs, atol=1e-4 * np.abs(lhs).max())
    np.testing.assert_allclose(q[:, 0], [100, 60, 30])
    np.testing.assert_allclose(q[:, -1], 0, atol=1e-9)


def scipy_epsilon_front(game, p, eps_values):
    """min E[IS_2] s.t. E[IS_1] <= eps, sells in [0, q0]: SLSQP from many starts."""
    P, R, _ = (np.asarray(x) for x in th.cost_matrices(game, p))
    N = game.n_steps

    def costs(x):
        a, b = x[:N], x[N:]
        return a @ P @ a + a @ R @ b, b @ P @ b + b @ R @ a

    rng = np.random.default_rng(5)
    starts = [rng.dirichlet(np.ones(N) * c, 2).ravel() * 100 for c in (0.3, 1, 3) for _ in range(4)]
    for j in (1, 2):  # agent 2 waits for the last j steps
        late = np.zeros(N)
        late[-j:] = 100 / j
        starts.append(np.concatenate([np.full(N, 100 / N), late]))
    out = []
    for eps in eps_values:
        cons = [
            {"type": "eq", "fun": lambda x: x[:N].sum() - 100},
            {"type": "eq", "fun": lambda x: x[N:].sum() - 100},
            {"type": "ineq", "fun": lambda x, e=eps: e - costs(x)[0]},
        ]
        best = np.inf
        for x0 in starts:
            r = minimize(lambda x: costs(x)[1], x0, constraints=cons, bounds=[(0, 100)] * 2 * N,
                         method="SLSQP", options={"ftol": 1e-12, "maxiter": 500})
            if r.success and costs(r.x)[0] <= eps + 1e-6:
                best = min(best, costs(r.x)[1])
        out.append(best)
    return np.array(out)


@pytest.mark.parametrize("timing", ["simultaneous", "sequential"])
def test_pareto_front_matches_an_independent_solver(timing):
    game, p = game_and_params(timing, n_steps=6)
    front, schedules = (np.asarray(x) for x in th.pareto_front(game, p, 25))
    # feasible, consistent, and mutually non-dominated
    assert schedules.min() >= -1e-9 and schedules.max() <= 100 + 1e-9
    np.testing.assert_allclose(schedules.sum(-1), 100, rtol=1e-9)
    np.testing.assert_allclose(front, [np.asarray(th.expected_is(game, p, s)) for s in schedules], rtol=1e-10)
    assert np.all(np.diff(front[:, 0]) >= -1e-9) and np.all(np.diff(front[:, 1]) <= 1e-9)
    # symmetric game: the front is symmetric and passes through the Pareto optimum (TWAP)
    np.testing.assert_allclose(front[::-1, ::-1], front, rtol=1e-6, atol=1e-6)
    twap_is = np.asarray(th.expected_is(game, p, th.twap(game, p)))
    np.testing.assert_allclose(front[len(front) // 2], twap_is, rtol=1e-6)
    # at our points' E[IS_1], scipy's epsilon-constraint finds the same least E[IS_2]
    picks = [0, 1, 3, 6, 9, 12]
    theirs = scipy_epsilon_front(game, p, front[picks, 0])
    np.testing.assert_allclose(theirs, front[picks, 1], rtol=1e-4)
    # and nothing scipy finds reaches below the front's smallest E[IS_1]
    assert np.isinf(scipy_epsilon_front(game, p, [front[0, 0] * (1 - 1e-3)])[0])
