"""The fire-sale game (paper 003, Section 2.1) with even sales.

N agents, M assets. Agent i holds x_ij of asset j (each column sums to at most
1), illiquid assets a^I_i and liabilities l_i; y_i in [0, 1] is the share of its
portfolio it keeps. With z_j(y) = sum_i x_ij y_i the unsold amount of asset j,

    p_j(y) = p0_j f_j(z_j)                                   (price impact)
    a_i(y) = a^I_i + y_i sum_j x_ij p_j(y)                   (assets)
    A_i(y) = (1 - y_i) sum_j x_ij ((1 - alpha) p0_j + alpha p_j(y))   (revenue)
    e_i(y) = a_i + A_i - l_i,   lev_i = a_i / e_i if e_i > 0 (equity, leverage)
    u_i(y) = e_i(y) if y_i = 0 or (e_i > 0 and lev_i <= lambda), else -inf.

The impact kind is static (it fixes the code path); its numbers are params
leaves, one per asset, so a batch of instances is one array program:

  linear            f(z) = z
  power             f(z) = z ** k_j      (convex for k_j >= 1, concave for k_j <= 1)
  piecewise_linear  f interpolates (0, 0), (knots_jk, levels_jk), (1, 1): the
                    knots are the tipping points (Section 3.1)

The leverage constraint is checked with a relative slack of `FEAS_RTOL` machine
epsilons of a_i, so that a computed boundary point (a root of lambda e - a)
counts as feasible; this is the only tolerance of the model.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import Box, Environment, InputError, ParamRange, StepResult, _fmt, check_choice, check_int

IMPACTS = ("linear", "power", "piecewise_linear")
FEAS_RTOL = 256  # in machine epsilons of the params' dtype
COL_TOL = 1e-6  # column sums above 1 by float32 rounding of the entries are accepted

# The documented range of every params field (README and docs/firesale.md),
# checked by `validate_params` (with the structural rules: column sums of at
# most 1, increasing knots and levels) and drawn from by the property tests.
# The upper bounds are not the paper's: amounts of money up to 1e15 and a
# leverage cap up to 1e6 keep every sum and every product lambda e of the best
# responses and of the float32 observations finite (a cap of 1e6 already
# allows equity of a millionth of the assets, no constraint in practice).
MAX_AMOUNT = 1e15
MAX_LEVERAGE_CAP = 1e6
_COMMON_RANGES = (
    ParamRange("holdings", 0.0, 1.0, why="shares of each asset's supply"),
    ParamRange("illiquid", 0.0, MAX_AMOUNT, why="float32 range of sums and of lambda e"),
    ParamRange("liabilities", 0.0, MAX_AMOUNT, why="float32 range of sums and of lambda e"),
    ParamRange("prices0", 0.0, MAX_AMOUNT, low_open=True, why="float32 range of sums and of lambda e"),
    ParamRange("leverage_cap", 1.0, MAX_LEVERAGE_CAP, low_open=True, why="float32 range of lambda e"),
    ParamRange("alpha", 0.0, 1.0, why="the share of the price impact a seller bears"),
)
_IMPACT_RANGES = {
    "linear": (),
    "power": (ParamRange("exponent", 0.0, low_open=True, why="an increasing price"),),
    "piecewise_linear": (
        ParamRange("knots", 0.0, 1.0, low_open=True, high_open=True, why="inside the unsold amounts (0, 1)"),
        ParamRange("levels", 0.0, 1.0, low_open=True, high_open=True, why="inside the price fractions (0, 1)"),
    ),
}


def param_ranges(impact: str) -> tuple[ParamRange, ...]:
    """The documented ranges of the params fields that `impact` reads."""
    check_choice("impact", impact, IMPACTS)
    return _COMMON_RANGES + _IMPACT_RANGES[impact]


@struct.dataclass
class FireSaleParams:
    holdings: jax.Array  # [N, M] x_ij
    illiquid: jax.Array  # [N] a^I_i
    liabilities: jax.Array  # [N] l_i
    prices0: jax.Array  # [M] p0_j
    leverage_cap: jax.Array  # () lambda > 1
    alpha: jax.Array  # () implementation shortfall in [0, 1]
    exponent: jax.Array  # [M] power impact only
    knots: jax.Array  # [M, K] piecewise_linear only: unsold amounts of the tipping points
    levels: jax.Array  # [M, K] piecewise_linear only: p/p0 at the knots


class Profile(NamedTuple):
    """Everything the rules of Section 2.1 give at a profile y (per agent)."""

    assets: jax.Array
    revenue: jax.Array
    equity: jax.Array
    leverage: jax.Array  # inf where equity <= 0
    feasible: jax.Array  # equity > 0 and leverage <= lambda
    utility: jax.Array  # -inf where infeasible and y_i != 0


def _eps(dtype) -> float:
    return float(jnp.finfo(dtype).eps)


def price_fraction(impact: str, z, params: FireSaleParams):
    """f_j(z_j) = p_j / p0_j for unsold amounts z [..., M]."""
    z = jnp.clip(z, 0.0, 1.0)  # z is computed from y in [0, 1]; rounding only
    if impact == "linear":
        return z
    if impact == "power":
        return z ** params.exponent
    if impact == "piecewise_linear":
        return _piecewise(z, params.knots, params.levels)
    raise InputError(f"impact = {impact!r} is not one of {IMPACTS}")


def _piecewise(z, knots, levels):
    m = knots.shape[0]
    zeros = jnp.zeros((m, 1), knots.dtype)
    ones = jnp.ones((m, 1), knots.dtype)
    xs = jnp.concatenate([zeros, knots, ones], axis=1)
    fs = jnp.concatenate([zeros, levels, ones], axis=1)
    interp = jax.vmap(jnp.interp, in_axes=(-1, 0, 0), out_axes=-1)
    flat = z.reshape(-1, m)
    return interp(flat, xs, fs).reshape(z.shape)


def piece_coefficients(impact: str, z, params: FireSaleParams):
    """(c, d) with f_j(z) = c_j + d_j z on the linear piece containing z [M].

    Only for linear and piecewise-linear impact.
    """
    if impact == "linear":
        return jnp.zeros_like(z), jnp.ones_like(z)
    m = params.knots.shape[0]
    zeros = jnp.zeros((m, 1), params.knots.dtype)
    ones = jnp.ones((m, 1), params.knots.dtype)
    xs = jnp.concatenate([zeros, params.knots, ones], axis=1)
    fs = jnp.concatenate([zeros, params.levels, ones], axis=1)
    k = params.knots.shape[1]
    idx = jax.vmap(lambda row, v: jnp.searchsorted(row, v, side="right"))(xs[:, 1:-1], z)
    idx = jnp.clip(idx, 0, k)
    rows = jnp.arange(m)
    x0, x1 = xs[rows, idx], xs[rows, idx + 1]
    f0, f1 = fs[rows, idx], fs[rows, idx + 1]
    # a piece of zero width (a knot at 0 or at the next knot after compiled code
    # flushes a subnormal to zero) contains no z: any slope will do
    wide = x1 > x0
    d = jnp.where(wide, (f1 - f0) / jnp.where(wide, x1 - x0, 1.0), 0.0)
    return f0 - d * x0, d


def unsold(params: FireSaleParams, y):
    """z_j(y) = sum_i x_ij y_i."""
    return (y[..., :, None] * params.holdings).sum(-2)


def prices(impact: str, params: FireSaleParams, y):
    return params.prices0 * price_fraction(impact, unsold(params, y), params)


def feasible_mask(assets, equity, lam):
    """e > 0 and a <= lambda e, with the slack of FEAS_RTOL epsilons."""
    slack = FEAS_RTOL * _eps(jnp.result_type(assets)) * jnp.abs(assets)
    return (equity > 0) & (assets <= lam * equity + slack)


@functools.partial(jax.jit, static_argnums=0)
def evaluate(impact: str, params: FireSaleParams, y) -> Profile:
    """Assets, revenue, equity, leverage, feasibility and utility at profile y [N]."""
    p = prices(impact, params, y)
    x = params.holdings
    a = params.illiquid + y * (x * p[..., None, :]).sum(-1)
    sale_price = (1.0 - params.alpha) * params.prices0 + params.alpha * p
    rev = (1.0 - y) * (x * sale_price[..., None, :]).sum(-1)
    e = a + rev - params.liabilities
    lev = jnp.where(e > 0, a / jnp.where(e > 0, e, 1.0), jnp.inf)
    ok = feasible_mask(a, e, params.leverage_cap)
    u = jnp.where(ok | (y == 0), e, -jnp.inf)
    return Profile(a, rev, e, lev, ok, u)


def utilities(impact: str, params: FireSaleParams, y):
    return evaluate(impact, params, y).utility


def social_welfare(impact: str, params: FireSaleParams, y):
    """Utilitarian welfare sum_i u_i(y) (-inf if some agent is infeasible)."""
    return utilities(impact, params, y).sum(-1)


def initial_leverage(impact: str, params: FireSaleParams):
    """lev_i(1, ..., 1): the leverage before any sale."""
    y = jnp.ones(params.illiquid.shape, params.illiquid.dtype)
    return evaluate(impact, params, y).leverage


def make_params(
    holdings,
    illiquid,
    liabilities,
    prices0,
    leverage_cap,
    alpha=1.0,
    exponent=None,
    knots=None,
    levels=None,
    dtype=None,
    host: bool = False,
) -> FireSaleParams:
    """Params from plain arrays; exponent/knots/levels broadcast per asset.

    `host`: NumPy float64 leaves, to validate a user's numbers before they are
    cast to the device dtype (where 1e300 would become inf in float32)."""
    if host:
        f = lambda v: np.array(v, np.float64)  # noqa: E731
    else:
        f = lambda v: jnp.asarray(np.asarray(v, np.float64), dtype)  # noqa: E731
    x = f(holdings)
    if x.ndim != 2:
        raise InputError(f"holdings has shape {x.shape}; expected (N, M)")
    m = x.shape[1]
    exponent = np.ones(m) if exponent is None else np.broadcast_to(np.asarray(exponent, np.float64), (m,))
    knots = np.zeros((m, 0)) if knots is None else np.asarray(knots, np.float64)
    levels = np.zeros((m, 0)) if levels is None else np.asarray(levels, np.float64)
    if knots.ndim == 1:
        knots = np.broadcast_to(knots, (m, knots.shape[0]))
    if levels.ndim == 1:
        levels = np.broadcast_to(levels, (m, levels.shape[0]))
    return FireSaleParams(
        holdings=x,
        illiquid=f(illiquid),
        liabilities=f(liabilities),
        prices0=f(prices0),
        leverage_cap=f(leverage_cap),
        alpha=f(alpha),
        exponent=f(exponent),
        knots=f(knots),
        levels=f(levels),
    )


@dataclasses.dataclass(frozen=True)
class FireSaleGame(Environment):
    """The one-shot fire-sale game as an environment.

    An action is y [N] in [0, 1]; the episode is a single step. Rewards are the
    equities after the rule of footnote 4 is applied: an agent whose choice is
    infeasible (insolvent or above the leverage cap) is liquidated (y_i = 0),
    repeated until no chosen action is infeasible (at most N rounds, since
    liquidations only lower the others' prices). The paper's utility, with its
    -inf, stays available in `info["utility"]`.
    """

    n_agents: int = 3
    n_assets: int = 2
    impact: str = "linear"
    n_knots: int = 0

    def __post_init__(self):
        check_int("n_agents", self.n_agents, 1)
        check_int("n_assets", self.n_assets, 1)
        check_choice("impact", self.impact, IMPACTS)
        check_int("n_knots", self.n_knots, 0)

    # ------------------------------------------------------------------ params
    def default_params(self) -> FireSaleParams:
        """A Section 5.3-style instance (tau = 0.5, a^I = 100, l = 50, p0 = 100) with
        lambda = 1.2 lambda^1: nobody must sell at y = 1, large joint sales trip the cap."""
        n, m = self.n_agents, self.n_assets
        tau = 0.5
        x = np.full((n, m), tau / max(n, m)) + (1 - tau) * np.eye(n, m)
        x = x / np.maximum(x.sum(0), 1.0)
        knots = np.tile(np.linspace(0, 1, self.n_knots + 2)[1:-1], (m, 1))
        levels = knots ** 1.5 if self.n_knots else knots
        params = make_params(
            x, np.full(n, 100.0), np.full(n, 50.0), np.full(m, 100.0), 1.0, 1.0,
            exponent=np.full(m, 2.0), knots=knots, levels=levels,
        )
        lev1 = float(np.max(np.asarray(initial_leverage(self.impact, params))))
        return params.replace(leverage_cap=jnp.asarray(max(1.2 * lev1, 1.05), params.alpha.dtype))

    def validate(self, params: FireSaleParams) -> None:
        validate_params(params, self.impact, n_agents=self.n_agents, n_assets=self.n_assets, n_knots=self.n_knots)

    def param_ranges(self) -> tuple[ParamRange, ...]:
        return param_ranges(self.impact)

    # ------------------------------------------------------------------ spaces
    def observation_space(self, params) -> Box:
        return Box(-jnp.inf, jnp.inf, (self.n_agents, 5))

    def action_space(self, params) -> Box:
        """y_i: the share of its portfolio agent i keeps."""
        return Box(0.0, 1.0, (self.n_agents,))

    # ------------------------------------------------------------------ one shot
    def observe(self, params: FireSaleParams) -> jax.Array:
        """(a^I_i, l_i, liquid value at p0, lambda, alpha) per agent."""
        n = self.n_agents
        value = params.holdings @ params.prices0
        cols = [
            params.illiquid,
            params.liabilities,
            value,
            jnp.broadcast_to(params.leverage_cap, (n,)),
            jnp.broadcast_to(params.alpha, (n,)),
        ]
        return jnp.stack(cols, -1).astype(jnp.float32)

    def reset(self, key, params: FireSaleParams):
        y = jnp.ones((self.n_agents,), params.illiquid.dtype)
        return self.observe(params), y

    def step(self, key, state, actions, params) -> StepResult:
        # Actions come from policies, not users (as in the execution game): a share
        # outside [0, 1] is made feasible rather than rejected.
        y = jnp.clip(jnp.asarray(actions, params.illiquid.dtype), 0.0, 1.0)
        chosen = evaluate(self.impact, params, y)

        def liquidate(_, y):
            prof = evaluate(self.impact, params, y)
            return jnp.where(prof.feasible | (y == 0), y, 0.0)

        final = jax.lax.fori_loop(0, self.n_agents, liquidate, y)
        prof = evaluate(self.impact, params, final)
        done = jnp.asarray(True)
        info = {
            "y": final,
            "forced": final != y,
            "utility": chosen.utility,
            "leverage": prof.leverage,
            "terminated": done,
            "truncated": jnp.asarray(False),
        }
        return StepResult(self.observe(params), final, prof.equity, done, info)


def validate_params(
    params: FireSaleParams,
    impact: str,
    n_agents: int | None = None,
    n_assets: int | None = None,
    n_knots: int | None = None,
) -> None:
    """Section 2.1's conditions, in plain Python, before anything is compiled.

    Works on one instance or a batch (leading axes).
    """
    check_choice("impact", impact, IMPACTS)
    x = np.asarray(params.holdings, np.float64)
    if x.ndim < 2:
        raise InputError(f"holdings has shape {x.shape}; expected (N, M)")
    n, m = x.shape[-2:]
    if n_agents is not None and n != n_agents:
        raise InputError(f"holdings has {n} rows; expected n_agents = {n_agents}")
    if n_assets is not None and m != n_assets:
        raise InputError(f"holdings has {m} columns; expected n_assets = {n_assets}")
    batch = x.shape[:-2]
    expect = {
        "illiquid": (n,), "liabilities": (n,), "prices0": (m,), "leverage_cap": (),
        "alpha": (), "exponent": (m,),
    }
    for name, shape in expect.items():
        got = np.shape(getattr(params, name))
        if got != batch + shape:
            raise InputError(f"{name} has shape {got}; expected {batch + shape}")
    k = np.shape(params.knots)[-1]
    for name in ("knots", "levels"):
        got = np.shape(getattr(params, name))
        if got != batch + (m, k):
            raise InputError(f"{name} has shape {got}; expected {batch + (m, k)}")
    if n_knots is not None and impact == "piecewise_linear" and k != n_knots:
        raise InputError(f"knots has {k} tipping points per asset; expected n_knots = {n_knots}")
    ranges = {r.field: r for r in param_ranges(impact)}
    ranges["holdings"].check(x)
    col = x.sum(-2)
    if np.any(col > 1.0 + COL_TOL):
        j = int(np.argwhere(col > 1.0 + COL_TOL)[0][-1])
        raise InputError(
            f"holdings column {j} sums to {float(col.reshape(-1, m)[:, j].max()):g}; "
            "each asset's holdings must sum to at most 1"
        )
    for name, r in ranges.items():
        if name != "holdings":
            r.check(getattr(params, name))
    if impact == "piecewise_linear":
        for name in ("knots", "levels"):
            v = np.asarray(getattr(params, name), np.float64)
            if k > 1 and np.any(np.diff(v, axis=-1) <= 0):
                raise InputError(
                    f"{name} = {_fmt(v)} must be strictly increasing "
                    "along each asset: the price function must be increasing"
                )
