"""Analytic companions of the execution game: costs, equilibria, the Pareto optimum.

Schedules are agent-major: v[k, t] is what agent k sells at step t+1.

Expected shortfall. For deterministic schedules, agent k's expected IS is

    E[IS_k] = sum_t v_kt ( kappa sum_{s<t} V_s + same_step_kt + alpha/tau temp_kt ),

with the same-step and temporary terms of the timing reading (game.py):
simultaneous 0 and v_kt; inclusive kappa V_t and v_kt; sequential, in expectation
over the random order, kappa/2 (V_t - v_kt) and v_kt; aggregate 0 and V_t. Its
price-noise variance is sigma^2 tau sum_{s=1}^{N-1} q_ks^2 (q_ks: inventory left
after step s). In the sequential reading the random order adds a variance of its
own, reported apart.

So E[IS_k] = v_k' P v_k + v_k' R w_k with w_k the others' total volume, and the
mean-variance cost E + lam Var (Eq. 3) is quadratic in v_k given w_k: each
agent's best response is a linear system, and the Nash equilibrium of the
discrete game is their stacked KKT system.

Eq. (7)-(8) solve Eq. (5), the Euler-Lagrange system of a continuous market
whose *temporary impact acts on the aggregate trading rate* (the term
alpha tau sum_{j!=k} q''_j in Eq. 5 is the other agents' temporary impact). It is
therefore the equilibrium of the `aggregate` reading in the continuous limit,
not of Eq. (4). Eq. (5) also carries lam sigma^2 q where E + lam Var gives
2 lam sigma^2 q: as printed, Eq. (8) is the equilibrium of E + (lam/2) Var.
`nash_continuous` takes `lam_convention` to choose.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from jaxmarkets.core import InputError, check_choice
from jaxmarkets.execution.game import ExecutionGame, ExecutionParams

LAM_CONVENTIONS = ("eq3", "eq8")

# (own same-step permanent share, others' same-step permanent share,
#  others' share of temporary impact), per timing reading, in expectation.
_SAME_STEP = {
    "simultaneous": (0.0, 0.0, 0.0),
    "inclusive": (1.0, 1.0, 0.0),
    "sequential": (0.0, 0.5, 0.0),
    "aggregate": (0.0, 0.0, 1.0),
}


def cost_matrices(game: ExecutionGame, params: ExecutionParams):
    """P (own), R (others) with E[IS_k] = v_k'P v_k + v_k'R w_k, and M = U'U.

    M[t, t'] = min(t, t') - 1 (1-based), so that Var_k = sigma^2 tau v_k' M v_k.
    """
    n_steps = game.n_steps
    a_self, a_other, b_other = _SAME_STEP[game.timing]
    strict_lower = jnp.tril(jnp.ones((n_steps, n_steps)), -1)
    eye = jnp.eye(n_steps)
    temp = params.alpha / params.tau
    P = params.kappa * strict_lower + (params.kappa * a_self + temp) * eye
    R = params.kappa * strict_lower + (params.kappa * a_other + temp * b_other) * eye
    idx = jnp.arange(1, n_steps + 1)
    M = (jnp.minimum(idx[:, None], idx[None, :]) - 1).astype(P.dtype)
    return P, R, M


def expected_is(game: ExecutionGame, params: ExecutionParams, v) -> jax.Array:
    """Expected IS [n] of deterministic schedules v [n, N]."""
    P, R, _ = cost_matrices(game, params)
    others = v.sum(0, keepdims=True) - v
    return jnp.einsum("kt,ts,ks->k", v, P, v) + jnp.einsum("kt,ts,ks->k", v, R, others)


def variance_is(game: ExecutionGame, params: ExecutionParams, v) -> jax.Array:
    """Variance [n] of IS from the price noise: sigma^2 tau sum_s q_s^2."""
    _, _, M = cost_matrices(game, params)
    return params.sigma**2 * params.tau * jnp.einsum("kt,ts,ks->k", v, M, v)


def order_variance_is(game: ExecutionGame, params: ExecutionParams, v) -> jax.Array:
    """Variance [n] of IS from the random trading order (sequential reading only).

    Under a uniformly random order, another agent is ahead with probability 1/2
    and two given others both are with probability 1/3.
    """
    if game.timing != "sequential":
        return jnp.zeros(v.shape[0], v.dtype)
    others = v.sum(0, keepdims=True) - v  # [k, t]
    sq_others = (v**2).sum(0, keepdims=True) - v**2
    var_ahead = sq_others / 4 + (others**2 - sq_others) * (1 / 3 - 1 / 4)
    return params.kappa**2 * (v**2 * var_ahead).sum(-1)


def mean_variance_cost(game, params, v) -> jax.Array:
    """E[IS_k] + lam_k Var[IS_k] (Eq. 3) for each agent."""
    return expected_is(game, params, v) + params.lam * variance_is(game, params, v)


def twap(game: ExecutionGame, params: ExecutionParams) -> jax.Array:
    """The Pareto optimum for risk-neutral agents (Theorem 2): q0/N each step."""
    return jnp.broadcast_to(params.q0[:, None] / game.n_steps, (game.n_agents, game.n_steps))


def _own_hessian(game, params, P, M, lam):
    return P + P.T + 2.0 * lam * params.sigma**2 * params.tau * M


def best_response(game: ExecutionGame, params: ExecutionParams, v, k: int) -> jax.Array:
    """Agent k's schedule [N] minimising E + lam Var given the others' rows of v.

    Unconstrained but for sum(v_k) = q0_k: it may buy at some steps.
    """
    P, R, M = cost_matrices(game, params)
    n_steps = game.n_steps
    H = _own_hessian(game, params, P, M, params.lam[k])
    others = v.sum(0) - v[k]
    kkt = jnp.block([[H, jnp.ones((n_steps, 1))], [jnp.ones((1, n_steps)), jnp.zeros((1, 1))]])
    rhs = jnp.concatenate([-R @ others, params.q0[k : k + 1]])
    return jnp.linalg.solve(kkt, rhs)[:n_steps]


def nash_discrete(game: ExecutionGame, params: ExecutionParams) -> jax.Array:
    """The Nash equilibrium [n, N] of the discrete game for the game's timing.

    Every agent's first-order condition (own Hessian, the others' volume through R,
    a multiplier for its inventory constraint) stacked into one linear system.
    """
    P, R, M = cost_matrices(game, params)
    n, n_steps = game.n_agents, game.n_steps
    size = n * (n_steps + 1)
    rows = []
    for k in range(n):
        blocks = [
            _own_hessian(game, params, P, M, params.lam[k]) if j == k else R for j in range(n)
        ]
        mult = jnp.zeros((n_steps, n)).at[:, k].set(1.0)
        rows.append(jnp.concatenate(blocks + [mult], axis=1))
    for k in range(n):
        con = jnp.zeros((1, n * n_steps)).at[0, k * n_steps : (k + 1) * n_steps].set(1.0)
        rows.append(jnp.concatenate([con, jnp.zeros((1, n))], axis=1))
    kkt = jnp.concatenate(rows, axis=0)
    rhs = jnp.concatenate([jnp.zeros(n * n_steps), params.q0])
    assert kkt.shape == (size, size)
    return jnp.linalg.solve(kkt, rhs)[: n * n_steps].reshape(n, n_steps)


def _two_point_mode(a, b, c, y0, t, horizon):
    """Solution of a y'' + b y' - c y = 0, y(0) = y0, y(T) = 0, at times t.

    y = y0 exp(-b t / 2a) sinh((T - t) w) / sinh(T w), w = sqrt(b^2 + 4ac) / 2a;
    the ratio tends to (T - t) / T as w -> 0.
    """
    w = jnp.sqrt(b**2 + 4 * a * c) / (2 * a)
    wt = w * horizon
    small = wt < 1e-6
    safe_w = jnp.where(small, 1.0, w)
    ratio = jnp.where(
        small, (horizon - t) / horizon, jnp.sinh((horizon - t) * safe_w) / jnp.sinh(horizon * safe_w)
    )
    return y0 * jnp.exp(-b * t / (2 * a)) * ratio


def nash_continuous(
    game: ExecutionGame, params: ExecutionParams, lam_convention: str = "eq3"
) -> jax.Array:
    """Inventory paths q [n, N+1] of the continuous-time Nash (Eq. 7-8) at t = s tau.

    Eq. (5) for n agents with a common lam splits into the mean inventory
    Sigma/n, with (n+1) alpha S'' + (n-1) kappa S' - c S = 0, and every
    difference q_k - q_l, with alpha D'' - kappa D' - c D = 0; for two agents
    these are Eq. (8)'s Sigma and Delta. c = 2 lam sigma^2 for E + lam Var
    ("eq3", the paper's Eq. 3 and our discrete Nash) or lam sigma^2 as Eq. (8)
    is printed ("eq8").
    """
    check_choice("lam_convention", lam_convention, LAM_CONVENTIONS)
    lam = jnp.asarray(params.lam)
    if not bool(jnp.all(lam == lam[0])):
        raise InputError(f"lam = {lam.tolist()}: Eq. (7)-(8) need one lam common to all agents")
    n = game.n_agents
    c = (2.0 if lam_convention == "eq3" else 1.0) * lam[0] * params.sigma**2
    horizon = game.n_steps * params.tau
    t = jnp.arange(game.n_steps + 1) * params.tau
    total = params.q0.sum()
    mean_path = _two_point_mode((n + 1) * params.alpha, (n - 1) * params.kappa, c, total, t, horizon)
    diff_shape = _two_point_mode(params.alpha, -params.kappa, c, 1.0, t, horizon)
    # q_k = Sigma/n + (1/n) sum_l (q_k - q_l) = (Sigma + (n q0_k - Q) g) / n
    return (mean_path[None, :] + (n * params.q0 - total)[:, None] * diff_shape[None, :]) / n


def sells_from_inventory(q) -> jax.Array:
    """Per-step sells [n, N] from inventory paths [n, N+1]."""
    return q[:, :-1] - q[:, 1:]


def inventory_from_sells(q0, v) -> jax.Array:
    """Inventory paths [n, N+1] from q0 [n] and sells [n, N]."""
    return jnp.concatenate([q0[:, None], q0[:, None] - jnp.cumsum(v, axis=1)], axis=1)


# --------------------------------------------------------------------------
# Pareto front of the two agents' expected IS


def project_capped_simplex(y, total, cap, n_bisect: int = 64):
    """Euclidean projection of y [N] onto {0 <= v <= cap, sum v = total}.

    The projection is clip(y - theta, 0, cap) for the theta at which it sums to
    `total`; that sum falls monotonically in theta, so bisection finds it.
    """
    lo = jnp.min(y) - cap
    hi = jnp.max(y)

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        too_much = jnp.clip(y - mid, 0.0, cap).sum() > total
        return jnp.where(too_much, mid, lo), jnp.where(too_much, hi, mid)

    lo, hi = jax.lax.fori_loop(0, n_bisect, body, (lo, hi))
    return jnp.clip(y - 0.5 * (lo + hi), 0.0, cap)


def _weighted_hessian(game, params, weight):
    """Hessian of w E[IS_1] + (1-w) E[IS_2] in (v_1, v_2): constant, the costs being quadratic."""
    P, R, _ = cost_matrices(game, params)
    own = P + P.T
    cross = weight * R + (1.0 - weight) * R.T  # d^2 / dv_1 dv_2
    return jnp.block([[weight * own, cross], [cross.T, (1.0 - weight) * own]])


def _minimise_weighted(game, params, weight, start, n_iter):
    """Local min of w E[IS_1] + (1-w) E[IS_2] over sells in [0, q0_k] summing to q0_k.

    Accelerated projected gradient from `start`, with a step of 1/L (L the
    Hessian's spectral norm) and a restart whenever the objective rises.
    """
    weights = jnp.stack([weight, 1.0 - weight])
    q0 = params.q0

    def objective(v):
        return weights @ expected_is(game, params, v)

    def project(v):
        return jax.vmap(project_capped_simplex)(v, q0, q0)

    step = 1.0 / jnp.max(jnp.abs(jnp.linalg.eigvalsh(_weighted_hessian(game, params, weight))))
    grad = jax.grad(objective)

    def body(_, carry):
        v, y, momentum, f_prev = carry
        v_new = project(y - step * grad(y))
        f_new = objective(v_new)
        restart = f_new > f_prev
        m_new = jnp.where(restart, 1.0, 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * momentum**2)))
        y_new = jnp.where(restart, v, v_new + ((momentum - 1.0) / m_new) * (v_new - v))
        v_new = jnp.where(restart, v, v_new)
        return v_new, y_new, m_new, jnp.where(restart, f_prev, f_new)

    init = (start, start, jnp.ones((), start.dtype), objective(start))
    v, _, _, f = jax.lax.fori_loop(0, n_iter, body, init)
    return v, f


def _front_starts(game, params, max_wait: int = 3):
    """TWAP, and each agent waiting to sell in the last 1..max_wait steps while the
    other sells evenly: the weighted problems are only biconvex, and near the
    front's ends their minima lie in the basins of these waiting schedules."""
    n_steps = game.n_steps
    base = twap(game, params)
    starts = [base]
    for waiter in range(2):
        for j in range(1, min(max_wait, n_steps) + 1):
            late = jnp.zeros(n_steps).at[n_steps - j :].set(params.q0[waiter] / j)
            starts.append(base.at[waiter].set(late))
    return jnp.stack(starts)


@functools.partial(jax.jit, static_argnums=(0, 2, 3))
def _pareto_front(game, params, n_points, n_iter):
    # Weights bunched towards the ends, where the front turns fastest.
    u = jnp.linspace(0.0, 1.0, n_points)
    weights = 0.5 - 0.4999 * jnp.cos(jnp.pi * u)
    starts = _front_starts(game, params)
    solve = jax.vmap(
        jax.vmap(lambda w, s: _minimise_weighted(game, params, w, s, n_iter), (None, 0)),
        (0, None),
    )
    candidates, values = solve(weights, starts)  # [points, starts, 2, N], [points, starts]
    schedules = candidates[jnp.arange(n_points), jnp.argmin(values, axis=1)]
    front = jax.vmap(lambda v: expected_is(game, params, v))(schedules)
    order = jnp.argsort(front[:, 0])
    return front[order], schedules[order]


def pareto_front(
    game: ExecutionGame, params: ExecutionParams, n_points: int = 41, n_iter: int = 1000
):
    """Pareto front of (E[IS_1], E[IS_2]) with sells in [0, q0] (two agents).

    Each point minimises a weighted sum w E[IS_1] + (1-w) E[IS_2] for w spread
    over (0, 1); the weighted sums are biconvex, not convex, so each is solved
    from several starts (`_front_starts`) and the best kept. All weights and
    starts run at once under vmap. Weighted sums reach every point of a convex
    front, and the front is convex in the paper's setting; tests check the
    points against an independent multi-start epsilon-constraint solver.

    Returns (front [n_points, 2], schedules [n_points, 2, N]) sorted by E[IS_1].
    """
    if game.n_agents != 2:
        raise InputError(f"n_agents = {game.n_agents}: the Pareto front is for two agents")
    return _pareto_front(game, params, n_points, n_iter)
