"""Input checks in plain Python, before anything compiles.

`validate(game, params)` works on one instance or a batch (leading axes). Order:
shapes, the ranges of `PARAM_RANGES`, then the structural rules: planner weights
with a positive sum, every bank solvent at the start, and an action set that can
meet every bank's liquidity need at initial prices (`actions.capacity`).
"""

from __future__ import annotations

import numpy as np

from jaxmarkets.core import InputError, _fmt
from jaxmarkets.liquidation.actions import capacity
from jaxmarkets.liquidation.params import PARAM_RANGES, LiquidationParams

# relative slack of the need check: a need computed in float32 that equals the
# capacity up to rounding is met
NEED_RTOL = 1e-6


def _host(params: LiquidationParams) -> dict[str, np.ndarray]:
    return {r.field: np.asarray(getattr(params, r.field)) for r in PARAM_RANGES}


def check_shapes(params: LiquidationParams, n_banks: int, n_assets: int) -> tuple[int, ...]:
    """The batch shape; every field must be batch + its own shape."""
    h = np.shape(params.holdings)
    if len(h) < 2 or h[-2:] != (n_banks, n_assets):
        raise InputError(f"holdings has shape {h}; expected [..., n_banks = {n_banks}, n_assets = {n_assets}]")
    batch = h[:-2]
    N, M = n_banks, n_assets
    expect = {"cash": (N,), "liabilities": (N,), "prices0": (M,), "impact_coef": (M,), "exponent": (M,),
              "withdrawal": (N,), "leverage_cap": (), "max_sale": (), "default_penalty": (),
              "signal_weights": (M,)}
    for name, shape in expect.items():
        got = np.shape(getattr(params, name))
        if got != batch + shape:
            raise InputError(f"{name} has shape {got}; expected {batch + shape}")
    return batch


def position_values(game, v: dict[str, np.ndarray]) -> np.ndarray:
    """h0_ij p0_j [..., N, M] of the positions the game starts from.

    Random portfolios split a bank's risky value equally over `diversification`
    assets: whichever are drawn, each position is worth R0 / d."""
    values = v["holdings"].astype(np.float64) * v["prices0"].astype(np.float64)[..., None, :]
    if game.portfolios == "random":
        d = game.diversification
        per = values.sum(-1, keepdims=True) / d
        values = np.concatenate([np.broadcast_to(per, values.shape[:-1] + (d,)),
                                 np.zeros(values.shape[:-1] + (game.n_assets - d,))], -1)
    return values


def needs_at_initial_prices(game, v: dict[str, np.ndarray]) -> np.ndarray:
    """Cash each bank must raise if prices did not move [..., N]."""
    risky = (v["holdings"].astype(np.float64) * v["prices0"].astype(np.float64)[..., None, :]).sum(-1)
    cash = v["cash"].astype(np.float64)
    if game.need == "withdrawal":
        return np.maximum(0.0, v["withdrawal"].astype(np.float64) - cash)
    equity = cash + risky - v["liabilities"].astype(np.float64)
    return np.maximum(0.0, risky - v["leverage_cap"].astype(np.float64)[..., None] * equity)


def _first(mask) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_structure(game, v: dict[str, np.ndarray]) -> None:
    w = v["signal_weights"].astype(np.float64)
    if np.any(w.sum(-1) <= 0):
        raise InputError(f"signal_weights = {_fmt(w)} sum to 0; the planner's weights need a positive sum")

    risky = (v["holdings"].astype(np.float64) * v["prices0"].astype(np.float64)[..., None, :]).sum(-1)
    assets = v["cash"].astype(np.float64) + risky
    equity = assets - v["liabilities"].astype(np.float64)
    if np.any(equity < 0):
        idx = _first(equity < 0)
        raise InputError(
            f"liabilities = {_fmt(v['liabilities'])}: bank {idx[-1]} starts insolvent (equity "
            f"{equity[idx]:g}); allowed: liabilities_i <= cash_i + sum_j holdings_ij prices0_j = {assets[idx]:g}"
        )

    need = needs_at_initial_prices(game, v)
    values = position_values(game, v)
    m = v["max_sale"].astype(np.float64)
    cap = capacity(game.action_set, values, m, game.horizon)
    short = need > cap * (1 + NEED_RTOL)
    if not np.any(short):
        return
    idx = _first(short)
    batch_idx, bank = idx[:-1], idx[-1]
    best = capacity(game.action_set, values, np.ones_like(m), game.horizon)
    where = f"bank {bank} must raise {need[idx]:g} at initial prices"
    if need[idx] > best[idx] * (1 + NEED_RTOL):
        if game.need == "withdrawal":
            raise InputError(
                f"withdrawal = {_fmt(v['withdrawal'])}: {where} but even max_sale = 1 raises at most "
                f"{best[idx]:g} in horizon = {game.horizon} steps; allowed: withdrawal_i <= cash_i + {best[idx]:g}"
            )
        raise InputError(
            f"leverage_cap = {_fmt(v['leverage_cap'])}: {where} to reach it but even max_sale = 1 raises at "
            f"most {best[idx]:g} in horizon = {game.horizon} steps; raise leverage_cap or the horizon"
        )
    lo, hi = 0.0, 1.0  # smallest max_sale that meets this bank's need (capacity rises with it)
    one_values = values[batch_idx][bank]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if need[idx] <= capacity(game.action_set, one_values[None], np.asarray(mid), game.horizon)[0] * (1 + NEED_RTOL):
            hi = mid
        else:
            lo = mid
    raise InputError(
        f"max_sale = {_fmt(v['max_sale'])} cannot meet the liquidity need: {where} and the action set "
        f"raises at most {cap[idx]:g} in horizon = {game.horizon} steps; allowed: max_sale in [{hi:.6g}, 1]"
    )


def validate(game, params: LiquidationParams) -> None:
    check_shapes(params, game.n_banks, game.n_assets)
    for r in PARAM_RANGES:
        r.check(getattr(params, r.field))
    check_structure(game, _host(params))
