"""The traced parameters of the liquidation game, their ranges and defaults.

Amounts are in units of money (cash, liabilities, withdrawals) or units of an
asset (holdings); `impact_coef` is per unit sold. The upper bounds 1e12 are not the
model's: they keep every product (holdings x prices, impact x sales) and every
sum over 40+ banks finite in float32, the environment's default dtype.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import ParamRange

MAX_AMOUNT = 1e12
_WHY = "float32 range of sums and products of amounts"

PARAM_RANGES = (
    ParamRange("holdings", 0.0, MAX_AMOUNT, why=_WHY),
    ParamRange("cash", 0.0, MAX_AMOUNT, why=_WHY),
    ParamRange("liabilities", 0.0, MAX_AMOUNT, why=_WHY),
    ParamRange("prices0", 0.0, MAX_AMOUNT, low_open=True, why=_WHY),
    ParamRange("impact_coef", 0.0, MAX_AMOUNT, why="a price that falls with sales; float32 range"),
    ParamRange("exponent", 0.0, 2.0, low_open=True,
               why="a price that falls with sales; X^2 of float32 sales stays finite"),
    ParamRange("withdrawal", 0.0, MAX_AMOUNT, why=_WHY),
    ParamRange("leverage_cap", 1.0, 1e6, why="risky assets at most cap x equity; float32 range"),
    ParamRange("max_sale", 0.0, 1.0, low_open=True, why="a share of the initial position per step"),
    ParamRange("default_penalty", 0.0, MAX_AMOUNT, why=_WHY),
    ParamRange("signal_weights", 0.0, MAX_AMOUNT, why="relative weights of the planner's assets"),
)


@struct.dataclass
class LiquidationParams:
    holdings: jax.Array  # [N, M] units of each asset at the start
    cash: jax.Array  # [N]
    liabilities: jax.Array  # [N]
    prices0: jax.Array  # [M]
    impact_coef: jax.Array  # [M] a_j: a smaller a_j is a more liquid asset
    exponent: jax.Array  # [M] delta_j, power impact only
    withdrawal: jax.Array  # [N] cash to hold at the deadline (need = withdrawal)
    leverage_cap: jax.Array  # () risky <= cap x equity at the deadline (need = leverage)
    max_sale: jax.Array  # () top level's share of the initial position sold in one step
    default_penalty: jax.Array  # () objective value of a defaulted bank is minus this
    signal_weights: jax.Array  # [M] the planner's distribution over recommended assets (normalised)


def make_params(n_banks: int, n_assets: int, *, holdings=50.0, cash=0.0, liabilities=89.0, prices0=1.0,
                impact_coef=None, exponent=0.5, withdrawal=20.0, leverage_cap=8.0, max_sale=0.5,
                default_penalty=0.0, signal_weights=1.0, dtype=None) -> LiquidationParams:
    """Params broadcast to the game's shapes; defaults are docs/liquidation.md's table.

    The default impact_coef rises linearly from 0.002 (asset 0, the most liquid) to
    0.006 (the last asset); with M = 2 that is [0.002, 0.006]."""
    if impact_coef is None:
        impact_coef = np.linspace(0.002, 0.006, n_assets) if n_assets > 1 else np.array([0.002])
    dtype = dtype or jax.dtypes.canonicalize_dtype(jnp.float64)

    def f(value, shape):
        return jnp.asarray(np.broadcast_to(np.asarray(value, np.float64), shape), dtype)

    N, M = n_banks, n_assets
    return LiquidationParams(
        holdings=f(holdings, (N, M)), cash=f(cash, (N,)), liabilities=f(liabilities, (N,)),
        prices0=f(prices0, (M,)), impact_coef=f(impact_coef, (M,)), exponent=f(exponent, (M,)),
        withdrawal=f(withdrawal, (N,)), leverage_cap=f(leverage_cap, ()), max_sale=f(max_sale, ()),
        default_penalty=f(default_penalty, ()), signal_weights=f(signal_weights, (M,)),
    )
