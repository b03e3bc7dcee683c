"""A NumPy stepper of the liquidation dynamics vectorised over episodes.

The benchmark's yardstick (`jaxmarkets bench liquidation`): the fastest plain
NumPy we would write without JAX, every step one pass of array operations over
[E episodes, N banks, M assets]. Written from docs/liquidation.md like
`reference.py` (whose Python loops make it the readable one), with its own
sale-table decoding; the tests hold it to the environment path by path.

`run(config, params, holdings0, actions)`: params fields either unbatched (the
game's shapes) or with a leading episode axis; holdings0 [E, N, M]; integer
actions [E, T, N]. Returns every step's fields stacked [E, T, ...].
"""

from __future__ import annotations

import numpy as np

from jaxmarkets.liquidation.impact import price_fraction

# the game's shape of each field, without the episode axis: "N", "M" or scalar
_SHAPES = {"holdings": "NM", "cash": "N", "liabilities": "N", "prices0": "M", "impact_coef": "M",
           "exponent": "M", "withdrawal": "N", "leverage_cap": "", "max_sale": "",
           "default_penalty": "", "signal_weights": "M"}


def _levels(config) -> np.ndarray:
    """Sale levels [n_sales, M], rows in the documented order."""
    M, K = config["n_assets"], config["n_levels"]
    if config["action_set"] == "one_asset":
        eye = np.repeat(np.eye(M), K, axis=0) * np.tile(np.arange(1, K + 1) / K, M)[:, None]
        return np.concatenate([np.zeros((1, M)), eye])
    digits = np.indices((K + 1,) * M).reshape(M, -1).T  # first asset most significant
    return digits / K


def _batched(params: dict, E: int, N: int, M: int) -> dict:
    out = {}
    for name, dims in _SHAPES.items():
        shape = tuple({"N": N, "M": M}[d] for d in dims)
        x = np.asarray(params[name], np.float64)
        out[name] = np.broadcast_to(x, (E, *shape)) if x.ndim == len(shape) else x
    return out


def run(config: dict, params: dict, holdings0, actions) -> dict:
    N, M, T = config["n_banks"], config["n_assets"], config["horizon"]
    msgs = config["n_messages"] if config.get("communication") == "cheap_talk" else 1
    actions = np.asarray(actions)
    E = actions.shape[0]
    p = _batched(params, E, N, M)
    h0 = np.asarray(holdings0, np.float64)
    table = _levels(config)
    liquidate = config["on_default"] == "liquidate"
    equity_obj = config["objective"] == "equity"
    cap = p["leverage_cap"][:, None]
    m = p["max_sale"][:, None, None]

    h = h0.copy()
    cash = p["cash"].copy()
    sold = np.zeros((E, M))
    price = p["prices0"].copy()
    dead = np.zeros((E, N), bool)

    def value(cash, h, price, dead):
        v = cash + (h * price[:, None, :]).sum(-1) - p["liabilities"] if equity_obj else cash - p["cash"]
        return np.where(dead, -p["default_penalty"][:, None], v)

    v = value(cash, h, price, dead)
    out = {k: [] for k in ("prices", "cash", "holdings", "defaulted", "value", "rewards", "sales")}
    for t in range(T):
        alive = ~dead
        wanted = np.minimum(h, table[actions[:, t] // msgs] * m * h0)
        forced = h if liquidate else 0.0
        q = np.where(alive[..., None], wanted, forced * np.ones_like(h))
        before = price
        sold = sold + q.sum(1)
        price = p["prices0"] * price_fraction(config["impact"], sold, p["impact_coef"], p["exponent"], xp=np)
        paid = price if config["execution"] == "post" else before
        cash = cash + np.where(alive, (q * paid[:, None, :]).sum(-1), 0.0)
        h = h - q
        risky = (h * price[:, None, :]).sum(-1)
        equity = cash + risky - p["liabilities"]
        met = cash >= p["withdrawal"] if config["need"] == "withdrawal" else risky <= cap * equity
        dead = dead | (alive & ((equity < 0) | ((t == T - 1) & ~met)))
        new_v = value(cash, h, price, dead)
        rewards = np.where(alive, new_v - v, 0.0)
        v = new_v
        for k, x in (("prices", price), ("cash", cash), ("holdings", h), ("defaulted", dead),
                     ("value", v), ("rewards", rewards), ("sales", q)):
            out[k].append(x)
    return {k: np.stack(x, axis=1) for k, x in out.items()}
