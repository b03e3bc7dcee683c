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
import numpy as np

from jaxmarkets.core import InputError, _interval, check_choice
from jaxmarkets.execution.game import MAGNITUDE, ExecutionGame, ExecutionParams

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


# --------------------------------------------------------------------------
# Where the discrete equilibrium exists
#
# Agent k's mean-variance cost is quadratic in its own schedule v_k with the
# Hessian H_k = P + P' + 2 lam_k sigma^2 tau M, and its inventory constraint
# leaves it the schedules of a fixed sum. If H_k is not positive definite on
# the schedules summing to zero, the agent gains without bound from round
# trips (buy and sell back), so it has no best response and the game no
# equilibrium. alpha enters H_k as 2 alpha / tau I, so this is a lower bound
# on alpha: Almgren and Chriss's condition eta - kappa tau / 2 > 0 when
# lam sigma = 0 in the readings without same-step impact of one's own
# (simultaneous, sequential, aggregate); the inclusive reading has none.


def _is_concrete(*values) -> bool:
    return not any(isinstance(v, jax.core.Tracer) for v in values)


def discrete_nash_alpha_min(game: ExecutionGame, params: ExecutionParams) -> float:
    """The alpha above which every agent's cost is strictly convex in its own
    schedule (on the schedules that keep its inventory), -inf if every alpha
    >= 0 is. Plain NumPy on concrete params (one instance, float64)."""
    n_steps = game.n_steps
    if n_steps == 1:
        return -np.inf  # selling everything at once is the only schedule
    a_self = _SAME_STEP[game.timing][0]
    kappa, sigma, tau = (float(np.asarray(x)) for x in (params.kappa, params.sigma, params.tau))
    lower = np.tril(np.ones((n_steps, n_steps)), -1)
    idx = np.arange(1, n_steps + 1)
    M = np.minimum(idx[:, None], idx[None, :]) - 1.0
    # orthonormal basis of the schedules summing to zero
    Z = np.linalg.qr(np.eye(n_steps) - 1.0 / n_steps)[0][:, : n_steps - 1]
    lam = float(np.min(np.asarray(params.lam)))  # M is PSD: the least lam is the binding one
    H0 = kappa * (lower + lower.T + 2.0 * a_self * np.eye(n_steps)) + 2.0 * lam * sigma**2 * tau * M
    mu = float(np.linalg.eigvalsh(Z.T @ H0 @ Z)[0])
    return -np.inf if mu > 0 else -0.5 * tau * mu


def _zero_cost(params) -> bool:
    """alpha = kappa = 0 and lam sigma = 0: trading is free, every profile is an equilibrium."""
    return (float(np.asarray(params.alpha)) == 0.0 and float(np.asarray(params.kappa)) == 0.0
            and bool(np.all(np.asarray(params.lam) * float(np.asarray(params.sigma)) ** 2 == 0.0)))


def check_discrete_nash(game: ExecutionGame, params: ExecutionParams) -> None:
    """Raise InputError unless the discrete game has its (unique) equilibrium.

    Plain Python on concrete params, before anything is compiled; `nash_discrete`
    and `best_response` call it (a no-op on traced params: call it first).
    """
    if not _is_concrete(*jax.tree.leaves(params)):
        return
    alpha = float(np.asarray(params.alpha))
    low = discrete_nash_alpha_min(game, params)
    if low < 0 or _zero_cost(params):
        return
    # just above the bound the linear system is singular to rounding: keep a
    # relative margin of a few thousand epsilons of the params' dtype
    low *= 1.0 + 1e4 * float(np.finfo(np.asarray(params.alpha).dtype).eps)
    if alpha <= low:
        raise InputError(
            f"alpha = {alpha:g} is outside the allowed range {_interval(low, MAGNITUDE, True, False)} "
            f"for the discrete Nash equilibrium of the {game.timing!r} reading with kappa = "
            f"{float(np.asarray(params.kappa)):g}, tau = {float(np.asarray(params.tau)):g}: below it an "
            "agent gains without bound from round trips, so no equilibrium exists"
        )


def _scale(game, params, P, R, M):
    """The largest entry of the cost matrices: the equilibrium does not change when
    every cost is divided by it, and the linear systems stay far from overflow."""
    var = 2.0 * jnp.max(params.lam) * params.sigma**2 * params.tau * (game.n_steps - 1)
    scale = jnp.maximum(jnp.maximum(jnp.max(jnp.abs(P)), jnp.max(jnp.abs(R))), var)
    return scale, jnp.where(scale > 0, scale, 1.0)


def best_response(game: ExecutionGame, params: ExecutionParams, v, k: int) -> jax.Array:
    """Agent k's schedule [N] minimising E + lam Var given the others' rows of v.

    Unconstrained but for sum(v_k) = q0_k: it may buy at some steps. When every
    cost is zero (alpha = kappa = 0, lam sigma = 0) every schedule is one; the
    even one, the limit alpha -> 0, is returned.
    """
    check_discrete_nash(game, params)
    P, R, M = cost_matrices(game, params)
    scale, safe = _scale(game, params, P, R, M)
    n_steps = game.n_steps
    H = _own_hessian(game, params, P, M, params.lam[k]) / safe
    others = v.sum(0) - v[k]
    kkt = jnp.block([[H, jnp.ones((n_steps, 1))], [jnp.ones((1, n_steps)), jnp.zeros((1, 1))]])
    rhs = jnp.concatenate([-(R / safe) @ others, params.q0[k : k + 1]])
    out = jnp.linalg.solve(kkt, rhs)[:n_steps]
    return jnp.where(scale > 0, out, params.q0[k] / n_steps)


def nash_discrete(game: ExecutionGame, params: ExecutionParams) -> jax.Array:
    """The Nash equilibrium [n, N] of the discrete game for the game's timing.

    Every agent's first-order condition (own Hessian, the others' volume through R,
    a multiplier for its inventory constraint) stacked into one linear system,
    with every cost divided by the largest (which leaves the equilibrium as it
    is). It exists when alpha exceeds `discrete_nash_alpha_min` (else
    `check_discrete_nash` raises InputError); when every cost is zero (alpha =
    kappa = 0, lam sigma = 0) every profile is one and TWAP, the limit
    alpha -> 0, is returned.
    """
    check_discrete_nash(game, params)
    P, R, M = cost_matrices(game, params)
    scale, safe = _scale(game, params, P, R, M)
    n, n_steps = game.n_agents, game.n_steps
    size = n * (n_steps + 1)
    rows = []
    for k in range(n):
        blocks = [
            _own_hessian(game, params, P, M, params.lam[k]) / safe if j == k else R / safe
            for j in range(n)
        ]
        mult = jnp.zeros((n_steps, n)).at[:, k].set(1.0)
        rows.append(jnp.concatenate(blocks + [mult], axis=1))
    for k in range(n):
        con = jnp.zeros((1, n * n_steps)).at[0, k * n_steps : (k + 1) * n_steps].set(1.0)
        rows.append(jnp.concatenate([con, jnp.zeros((1, n))], axis=1))
    kkt = jnp.concatenate(rows, axis=0)
    rhs = jnp.concatenate([jnp.zeros(n * n_steps), params.q0])
    assert kkt.shape == (size, size)
    out = jnp.linalg.solve(kkt, rhs)[: n * n_steps].reshape(n, n_steps)
    return jnp.where(scale > 0, out, twap(game, params))


def _two_point_mode(a, b, c, y0, t, horizon):
    """Solution of a y'' + b y' - c y = 0, y(0) = y0, y(T) = 0, at times t (a, c >= 0).

    y = y0 exp(-b t / 2a) sinh((T - t) w) / sinh(T w), w = sqrt(b^2 + 4ac) / 2a,
    written as y0 exp(-s t) (1 - exp(-2 w (T - t))) / (1 - exp(-2 w T)) with
    s = b / 2a + w = (b + sqrt(b^2 + 4ac)) / 2a = 2c / (sqrt(b^2 + 4ac) - b):
    no factor overflows, however small a is. The ratio tends to (T - t) / T as
    w -> 0. At a = 0 this is the limit a -> 0+: with b > 0, or b = 0 < c, the
    inventory goes at once (s = w = inf); with b < 0 it decays at the rate
    s = c / |b| and the rest goes at T (w = inf); with b = c = 0 it falls
    linearly (w = s = 0).
    """
    root = jnp.sqrt(b**2 + 4.0 * a * c)
    pos = a > 0
    safe_a = jnp.where(pos, a, 1.0)
    inf = jnp.asarray(jnp.inf, root.dtype)
    w = jnp.where(pos, root / (2.0 * safe_a), jnp.where(root > 0, inf, 0.0))
    s = jnp.where(
        b < 0,
        2.0 * c / jnp.where(b < 0, root - b, 1.0),
        jnp.where(pos, (b + root) / (2.0 * safe_a), jnp.where((b > 0) | (c > 0), inf, 0.0)),
    )
    left = horizon - t
    # below sqrt(tiny) the linear limit is exact to rounding, and 2 w (T - t) cannot underflow
    linear = w * horizon < jnp.sqrt(jnp.finfo(root.dtype).tiny)
    safe_w = jnp.where(linear, 1.0, w)
    ratio = jnp.where(
        linear,
        left / horizon,
        jnp.expm1(-2.0 * safe_w * jnp.where(left > 0, left, 1.0)) / jnp.expm1(-2.0 * safe_w * horizon),
    )
    ratio = jnp.where(left > 0, ratio, 0.0)
    decay = jnp.where(t > 0, jnp.exp(-s * jnp.where(t > 0, t, 1.0)), 1.0)
    return y0 * decay * ratio


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

    alpha = 0 gives the limit alpha -> 0+ (`_two_point_mode`): with kappa > 0
    and n > 1 the agents sell their mean inventory at once, and the differences
    q_k - q_l decay at the rate c / kappa until T; without kappa, the risk-averse
    sell at once and the risk-neutral evenly.
    """
    check_choice("lam_convention", lam_convention, LAM_CONVENTIONS)
    lam = jnp.asarray(params.lam)
    # checked on concrete params; traced ones (under jit) take lam[0]
    if _is_concrete(lam) and not bool(jnp.all(lam == lam[0])):
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

    # L = 0 (alpha = kappa = 0): every schedule costs nothing and the start stays.
    lipschitz = jnp.max(jnp.abs(jnp.linalg.eigvalsh(_weighted_hessian(game, params, weight))))
    step = jnp.where(lipschitz > 0, 1.0 / jnp.where(lipschitz > 0, lipschitz, 1.0), 0.0)
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
