"""A plain NumPy reference of the liquidation dynamics, written from
docs/liquidation.md without the environment's code: Python loops over banks and
assets, its own action decoding and its own impact formulas.

`run(config, params, holdings0, actions)` plays one episode of integer actions
[T, N] from the initial holdings [N, M] (the environment draws random portfolios
at reset; the test passes its draw) and returns every step's prices, cash,
holdings, defaults, objective values and rewards. The planner's signal and
cheap talk only reach observations, so they are not part of the dynamics here.
"""

from __future__ import annotations

import math

import numpy as np


def _price(kind, p0, a, delta, x):
    if kind == "linear":
        return p0 * max(0.0, 1.0 - a * x)
    if kind == "exponential":
        return p0 * math.exp(-a * x)
    if kind == "power":
        return p0 * max(0.0, 1.0 - a * (x**delta if x > 0 else 0.0))
    raise ValueError(kind)


def _levels(config, sale):
    """Level k/K of each asset for sale row `sale`."""
    M, K = config["n_assets"], config["n_levels"]
    out = [0.0] * M
    if config["action_set"] == "one_asset":
        if sale > 0:
            asset, k = divmod(sale - 1, K)
            out[asset] = (k + 1) / K
        return out
    for j in reversed(range(M)):  # base K + 1 digits, the first asset most significant
        sale, digit = divmod(sale, K + 1)
        out[j] = digit / K
    return out


def run(config: dict, params: dict, holdings0, actions) -> dict:
    N, M, T = config["n_banks"], config["n_assets"], config["horizon"]
    msgs = config["n_messages"] if config.get("communication") == "cheap_talk" else 1
    p0 = [float(x) for x in params["prices0"]]
    a, delta = params["impact_coef"], params["exponent"]
    L, w = params["liabilities"], params["withdrawal"]
    cap, m, penalty = float(params["leverage_cap"]), float(params["max_sale"]), float(params["default_penalty"])
    h0 = np.array(holdings0, np.float64)
    h = h0.copy()
    cash = np.array(params["cash"], np.float64)
    cash0 = cash.copy()
    X = [0.0] * M
    price = list(p0)
    dead = [False] * N

    def value(i):
        if dead[i]:
            return -penalty
        if config["objective"] == "equity":
            return cash[i] + sum(h[i, j] * price[j] for j in range(M)) - L[i]
        return cash[i] - cash0[i]

    v = [value(i) for i in range(N)]
    out = {k: [] for k in ("prices", "cash", "holdings", "defaulted", "value", "rewards", "sales")}
    for t in range(T):
        sales = np.zeros((N, M))
        was_dead = list(dead)
        for i in range(N):
            if was_dead[i]:
                if config["on_default"] == "liquidate":
                    sales[i] = h[i]
                continue
            levels = _levels(config, int(actions[t][i]) // msgs)
            for j in range(M):
                sales[i, j] = min(h[i, j], levels[j] * m * h0[i, j])
        before = list(price)
        for j in range(M):
            X[j] += sales[:, j].sum()
            price[j] = _price(config["impact"], p0[j], float(a[j]), float(delta[j]), X[j])
        paid = price if config["execution"] == "post" else before
        for i in range(N):
            if not was_dead[i]:
                cash[i] += sum(sales[i, j] * paid[j] for j in range(M))
        h = h - sales
        rewards = [0.0] * N
        for i in range(N):
            if was_dead[i]:
                continue
            risky = sum(h[i, j] * price[j] for j in range(M))
            equity = cash[i] + risky - L[i]
            if config["need"] == "withdrawal":
                met = cash[i] >= w[i]
            else:
                met = risky <= cap * equity
            if equity < 0 or (t == T - 1 and not met):
                dead[i] = True
            new = value(i)
            rewards[i] = new - v[i]
            v[i] = new
        out["prices"].append(list(price))
        out["cash"].append(cash.copy())
        out["holdings"].append(h.copy())
        out["defaulted"].append(list(dead))
        out["value"].append(list(v))
        out["rewards"].append(rewards)
        out["sales"].append(sales)
    return {k: np.array(x) for k, x in out.items()}
