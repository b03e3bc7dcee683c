"""Best responses: Phi (Section 2.3) and the simplified Psi (Definition 3).

Phi_i(y) = argmax_{y_i in [0, 1]} u_i(y_i, y_-i), ties broken towards the
largest y_i. Every candidate is scored with u_i, so a search can only miss a
maximiser, never return an infeasible point.

* linear and piecewise-linear impact (any alpha): exact. Between two
  consecutive tipping points (y_i at which some z_j crosses a knot) every p_j is
  linear in y_i, so a_i, A_i, e_i and g_i = lambda e_i - a_i are quadratics in
  y_i; the maximiser of u_i is a segment end, a root of g_i (a leverage
  boundary) or the vertex of e_i. All are scored with their segment's
  quadratics (the model itself on that segment; `tests` check them against
  `game.evaluate`).
* power impact: a vectorised search. u_i is scored on a grid of
  `GRID` + 1 points; every grid interval where feasibility changes is bisected
  to the feasible boundary (to machine precision), and the best grid point is
  refined by golden-section search on e_i. Exact to machine precision when
  feasibility changes at most once and e_i is unimodal within each grid interval
  of width 1/GRID, which covers alpha = 1 (best response = largest feasible y_i,
  Proposition 4) and convex impact (0 or the largest feasible y_i,
  Proposition 6) whenever the feasible set has no gap narrower than 1/GRID.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmarkets.firesale.game import (
    FEAS_RTOL as FEAS_SLACK,
    FireSaleParams,
    _eps as _eps_dtype,
    evaluate,
    feasible_mask,
    piece_coefficients,
    price_fraction,
    unsold,
)

GRID = 128


def _eps_of(y):
    return _eps_dtype(y.dtype)


BISECT_ITERS = 56
GOLDEN_ITERS = 60


class BestResponse(NamedTuple):
    y: jax.Array  # [N] Phi(y)
    utility: jax.Array  # [N] u_i(Phi_i(y), y_-i)
    liquid: jax.Array  # [N] some y_i with e_i > 0 and lev_i <= lambda exists


def others_unsold(params: FireSaleParams, y):
    """s_ij = z_j(y) - x_ij y_i: what the others keep of asset j [N, M]."""
    return unsold(params, y)[None, :] - params.holdings * y[:, None]


def agent_values(impact, params, x_i, a_i, l_i, s_i, yc):
    """(a, e, feasible, u) of agent i at candidate strategies yc [C]."""
    z = s_i[None, :] + yc[:, None] * x_i[None, :]
    p = params.prices0 * price_fraction(impact, z, params)
    # Elementwise products and sums, not `@`: batched tiny matmuls are slow on CPU.
    a = a_i + yc * (p * x_i).sum(-1)
    sale = (1.0 - params.alpha) * params.prices0 + params.alpha * p
    e = a + (1.0 - yc) * (sale * x_i).sum(-1) - l_i
    ok = feasible_mask(a, e, params.leverage_cap)
    u = jnp.where(ok | (yc == 0), e, -jnp.inf)
    return a, e, ok, u


def _pick(yc, u, ok):
    """Largest utility; among exact ties the largest y."""
    # max-reductions only: argmax lowers to a slow variadic reduce on CPU.
    best = jnp.max(u)
    y = jnp.max(jnp.where(u == best, yc, -1.0))
    return y, best, jnp.any(ok)


def _quadratic_roots(c0, c1, c2):
    """Real roots of c2 y^2 + c1 y + c0 (NaN where none), cancellation-free.

    The coefficients are first divided by the largest of them (the roots stay
    as they are), so c1^2 cannot overflow, in float32 least of all.
    """
    scale = jnp.maximum(jnp.maximum(jnp.abs(c0), jnp.abs(c1)), jnp.abs(c2))
    scale = jnp.where((scale > 0) & jnp.isfinite(scale), scale, 1.0)
    c0, c1, c2 = c0 / scale, c1 / scale, c2 / scale
    tiny = 1e-300 if c0.dtype == jnp.float64 else 1e-30
    disc = c1 * c1 - 4.0 * c2 * c0
    sq = jnp.sqrt(jnp.where(disc >= 0, disc, jnp.nan))
    q = -0.5 * (c1 + jnp.where(c1 >= 0, sq, -sq))
    quad = jnp.abs(c2) > tiny
    r1 = jnp.where(quad, q / jnp.where(quad, c2, 1.0), -c0 / jnp.where(jnp.abs(c1) > tiny, c1, jnp.nan))
    r2 = jnp.where(quad & (jnp.abs(q) > tiny), c0 / jnp.where(jnp.abs(q) > tiny, q, 1.0), jnp.nan)
    return r1, r2


def _segment_candidates(impact, params, x_i, a_i, l_i, s_i):
    """Candidates with their (a, e), from each segment's own quadratics."""
    k = params.knots.shape[1]
    ends = jnp.array([0.0, 1.0], x_i.dtype)
    if impact == "piecewise_linear" and k > 0:
        held = x_i > 0
        b = (params.knots - s_i[:, None]) / jnp.where(held, x_i, 1.0)[:, None]
        b = jnp.where(held[:, None] & (b > 0) & (b < 1), b, 0.0)
        ends = jnp.sort(jnp.concatenate([ends, b.ravel()]))
    lo, hi = ends[:-1], ends[1:]
    mid = 0.5 * (lo + hi)
    z_mid = s_i[None, :] + mid[:, None] * x_i[None, :]
    c, d = jax.vmap(lambda z: piece_coefficients(impact, z, params))(z_mid)
    p0, alpha, lam = params.prices0, params.alpha, params.leverage_cap
    # An asset the agent does not hold adds nothing, even where its piece's slope
    # is undefined (knots flushed from subnormal to 0 make it 0/0): mask it.
    held = x_i > 0
    u_j = jnp.where(held, p0 * (c + d * s_i), 0.0)  # price of asset j at y_i = 0 on this piece
    w_j = jnp.where(held, p0 * d * x_i, 0.0)  # its slope in y_i
    U, W = (u_j * x_i).sum(-1), (w_j * x_i).sum(-1)
    R = (((1.0 - alpha) * p0 + alpha * u_j) * x_i).sum(-1)
    e0, e1, e2 = a_i + R - l_i, U + alpha * W - R, (1.0 - alpha) * W
    g0, g1, g2 = lam * e0 - a_i, lam * e1 - U, lam * e2 - W
    r1, r2 = _quadratic_roots(g0, g1, g2)
    vertex = jnp.where(e2 != 0, -e1 / jnp.where(e2 != 0, 2.0 * e2, 1.0), lo)
    cands = jnp.stack([lo, hi, r1, r2, vertex], -1)
    cands = jnp.where(jnp.isfinite(cands), cands, lo[:, None])
    yc = jnp.clip(cands, lo[:, None], hi[:, None])
    col = lambda v: v[:, None]  # noqa: E731
    a = a_i + yc * (col(U) + yc * col(W))
    e = col(e0) + yc * (col(e1) + yc * col(e2))
    return yc.ravel(), a.ravel(), e.ravel()


def _candidates_search(impact, params, x_i, a_i, l_i, s_i):
    dtype = x_i.dtype
    grid = jnp.linspace(0.0, 1.0, GRID + 1, dtype=dtype)
    _, e, ok, u = agent_values(impact, params, x_i, a_i, l_i, s_i, grid)
    left, right = grid[:-1], grid[1:]
    lo_ok = ok[:-1]

    def bisect(_, lr):
        left, right = lr
        mid = 0.5 * (left + right)
        ok_mid = agent_values(impact, params, x_i, a_i, l_i, s_i, mid)[2]
        same = ok_mid == lo_ok
        return jnp.where(same, mid, left), jnp.where(same, right, mid)

    left, right = jax.lax.fori_loop(0, BISECT_ITERS, bisect, (left, right))
    boundary = jnp.where(lo_ok, left, right)
    changed = ok[:-1] != ok[1:]
    boundary = jnp.where(changed, boundary, grid[:-1])

    k = jnp.argmax(jnp.where(jnp.isfinite(u), e, -jnp.inf))
    lo = grid[jnp.maximum(k - 1, 0)]
    hi = grid[jnp.minimum(k + 1, GRID)]
    invphi = (jnp.sqrt(5.0) - 1.0) / 2.0

    def golden(_, lh):
        lo, hi = lh
        c = hi - invphi * (hi - lo)
        d = lo + invphi * (hi - lo)
        ec = agent_values(impact, params, x_i, a_i, l_i, s_i, jnp.stack([c, d]))[1]
        up = ec[0] < ec[1]
        return jnp.where(up, c, lo), jnp.where(up, hi, d)

    lo, hi = jax.lax.fori_loop(0, GOLDEN_ITERS, golden, (lo, hi))
    return jnp.concatenate([grid, boundary, jnp.stack([0.5 * (lo + hi)])])


def agent_best_response(impact, params, x_i, a_i, l_i, s_i):
    """(y, u, liquid) of one agent facing the others' unsold amounts s_i [M]."""
    if impact in ("linear", "piecewise_linear"):
        yc, a, e = _segment_candidates(impact, params, x_i, a_i, l_i, s_i)
        ok = feasible_mask(a, e, params.leverage_cap)
        u = jnp.where(ok | (yc == 0), e, -jnp.inf)
    else:
        yc = _candidates_search(impact, params, x_i, a_i, l_i, s_i)
        _, _, ok, u = agent_values(impact, params, x_i, a_i, l_i, s_i, yc)
    return _pick(yc, u, ok)


def _linear_best_response(params: FireSaleParams, y) -> BestResponse:
    """Linear impact, all agents in matrix form: the one-segment case of
    `_segment_candidates` without its knot machinery (any alpha)."""
    x, p0, alpha, lam = params.holdings, params.prices0, params.alpha, params.leverage_cap
    a_i = params.illiquid
    # U_i = sum_j x_ij p0_j s_ij with s_ij = z_j - x_ij y_i, i.e. (x p0) z - y_i W_i:
    # two passes over the [N, M] holdings per step; the rest is [N]-sized (the
    # batched step is memory-bound). x p0, W and the row sums are loop-invariant.
    xp = x * p0
    W = (xp * x).sum(-1)
    z = unsold(params, y)
    U = (xp * z).sum(-1) - y * W
    R = (1.0 - alpha) * xp.sum(-1) + alpha * U
    e0, e1, e2 = a_i + R - params.liabilities, U + alpha * W - R, (1.0 - alpha) * W
    g0, g1, g2 = lam * e0 - a_i, lam * e1 - U, lam * e2 - W
    r1, r2 = _quadratic_roots(g0, g1, g2)
    vertex = jnp.where(e2 != 0, -e1 / jnp.where(e2 != 0, 2.0 * e2, 1.0), 0.0)
    yc = jnp.stack([jnp.zeros_like(r1), jnp.ones_like(r1), r1, r2, vertex], -1)
    yc = jnp.clip(jnp.where(jnp.isfinite(yc), yc, 0.0), 0.0, 1.0)
    col = lambda v: v[..., None]  # noqa: E731
    a = col(a_i) + yc * (col(U) + yc * col(W))
    e = col(e0) + yc * (col(e1) + yc * col(e2))
    ok = feasible_mask(a, e, col(lam))
    u = jnp.where(ok | (yc == 0), e, -jnp.inf)
    best = u.max(-1)
    y_best = jnp.max(jnp.where(u == best[..., None], yc, -1.0), -1)
    return BestResponse(y_best, best, ok.any(-1))


class AlphaOneLinear(NamedTuple):
    """What the dynamics need of a linear-impact game with alpha = 1, in N x N form.

    With p_j = p0_j z_j and z = y x, every agent's value of its holdings is
    linear in the others' y: V_i = sum_j x_ij p0_j z_j = (C y)_i with the
    loop-invariant, symmetric coupling C_ik = sum_j x_ij p0_j x_kj. A step of
    the dynamics is then one N x N product instead of two passes over the N x M
    holdings (N = M in Section 5.3).

    The agent axis comes first and any number of instance axes may follow (the
    dynamics keep instances on the last axis, where XLA:CPU vectorises).
    """

    coupling: jax.Array  # [N, N]
    own: jax.Array  # [N] its diagonal W_i = sum_j x_ij^2 p0_j
    illiquid: jax.Array  # [N]
    liabilities: jax.Array  # [N]
    leverage_cap: jax.Array  # ()


def alpha_one_linear(params: FireSaleParams) -> AlphaOneLinear:
    """The form of one instance, or of many with instances on trailing axes
    (the dynamics compute it for a block of lanes at a time, in cache)."""
    x = params.holdings  # [N, M, ...]
    xp = x * params.prices0
    n, m = x.shape[:2]
    if m <= 32:  # a sum of outer products, unrolled: 3x faster on XLA:CPU
        coupling = sum(xp[:, j, None] * x[None, :, j] for j in range(m))
    else:
        coupling = (xp[:, None] * x[None, :]).sum(2)
    own = jnp.stack([coupling[i, i] for i in range(n)])
    return AlphaOneLinear(coupling, own, params.illiquid, params.liabilities, params.leverage_cap)


def holdings_values(g: AlphaOneLinear, y):
    """V = C y: each agent's holdings at the prices the profile y leaves.

    An unrolled sum over agents (y [N, ...]): on XLA:CPU an elementwise chain
    runs several times faster than the [N, N, ...] reduction. The dynamics keep
    V in their loop state, so it is computed once per step."""
    return sum(g.coupling[:, k] * y[k] for k in range(y.shape[0]))


def alpha_one_response(g: AlphaOneLinear, y, values=None):
    """Phi(y) for linear impact and alpha = 1 (the caller has checked alpha == 1);
    `values` is `holdings_values(g, y)` if the caller has it.

    Proposition 4: the best response is the largest feasible y_i. With W_i =
    C_ii and U_i = (C y)_i - W_i y_i (the others' unsold holdings at post-sale
    prices), e_i = e0 + W y_i is affine in y_i and g_i = lambda e_i - a_i =
    -W y^2 + (lambda W - U) y + g0 is concave, so Phi_i is 1 if g_i(1) >= 0, else
    the larger root of g_i when it lies in [0, 1], else 0.
    """
    lam, a_i, W = g.leverage_cap, g.illiquid, g.own
    U = (holdings_values(g, y) if values is None else values) - y * W
    e0 = a_i + U - g.liabilities  # equity at y_i = 0 (alpha = 1: revenue at post-sale prices)
    g0, g1, g2 = lam * e0 - a_i, lam * W - U, -W
    one = g0 + g1 + g2
    r1, r2 = _quadratic_roots(g0, g1, g2)
    top = jnp.fmax(r1, r2)  # NaN-ignoring: the larger real root
    slack = FEAS_SLACK * _eps_of(y) * (a_i + U + W)
    inside = (top >= 0) & (top <= 1) & (e0 + W * jnp.clip(top, 0, 1) > 0)
    return jnp.where(one >= -slack, 1.0, jnp.where(inside, jnp.clip(top, 0.0, 1.0), 0.0)).astype(y.dtype)


def alpha_one_simplified(g: AlphaOneLinear, y, values=None):
    """Psi(y) of Definition 3 for linear impact and alpha = 1: V_i = (C y)_i,
    e_i = a^I_i - l_i + V_i and Psi_i = clip((lambda e_i - a^I_i) / V_i, 0, 1),
    0 where e_i <= 0."""
    aI, lam = g.illiquid, g.leverage_cap
    V = holdings_values(g, y) if values is None else values
    e = aI - g.liabilities + V
    num = lam * e - aI
    ratio = jnp.where(V > 0, num / jnp.where(V > 0, V, 1.0), jnp.where(num >= 0, 1.0, 0.0))
    return jnp.where(e > 0, jnp.clip(ratio, 0.0, 1.0), 0.0).astype(y.dtype)


@functools.partial(jax.jit, static_argnums=0)
def best_response(impact: str, params: FireSaleParams, y) -> BestResponse:
    """Phi(y): every agent's best response to the others' y_-i, at once."""
    if impact == "linear":
        return _linear_best_response(params, y)
    s = others_unsold(params, y)
    f = jax.vmap(lambda x_i, a_i, l_i, s_i: agent_best_response(impact, params, x_i, a_i, l_i, s_i))
    return BestResponse(*f(params.holdings, params.illiquid, params.liabilities, s))


@functools.partial(jax.jit, static_argnums=0)
def best_response_of(impact: str, params: FireSaleParams, y, i):
    """Phi_i(y) for one (possibly traced) agent index i; returns (y_i, u_i, liquid)."""
    s_i = unsold(params, y) - params.holdings[i] * y[i]
    return agent_best_response(
        impact, params, params.holdings[i], params.illiquid[i], params.liabilities[i], s_i
    )


@functools.partial(jax.jit, static_argnums=0)
def simplified_response(impact: str, params: FireSaleParams, y):
    """Psi(y) per agent (Definition 3): the largest y~_i in [0, 1] meeting the
    leverage cap when prices are frozen at p(y) (own impact ignored).

    With V_i = sum_j x_ij p_j(y) and W_i = sum_j x_ij ((1 - alpha) p0_j + alpha p_j(y)),
    a~ = a^I + y~ V and e~ = a^I - l + W + y~ (V - W); a~ <= lambda e~ is linear in
    y~. For alpha = 1 (W = V) this is Definition 3: g_i = (lambda e_i(y) - a^I_i) / V_i
    clipped to [0, 1], and 0 where e_i(y) <= 0.
    """
    p = params.prices0 * price_fraction(impact, unsold(params, y), params)
    x = params.holdings
    V = (x * p).sum(-1)
    W = (x * ((1.0 - params.alpha) * params.prices0 + params.alpha * p)).sum(-1)
    lam, aI = params.leverage_cap, params.illiquid
    rhs = lam * (aI - params.liabilities + W) - aI
    D = V - lam * (V - W)
    pos = D > 0
    y_pos = jnp.where(rhs >= 0, jnp.clip(rhs / jnp.where(pos, D, 1.0), 0.0, 1.0), 0.0)
    # D <= 0: the cap binds from below; keeping everything is feasible iff D <= rhs.
    y_neg = jnp.where(D <= rhs, 1.0, 0.0)
    out = jnp.where(pos, y_pos, y_neg)
    e_now = evaluate(impact, params, y).equity
    return jnp.where(e_now > 0, out, 0.0).astype(y.dtype)
