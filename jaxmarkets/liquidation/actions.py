"""The discretised action set: a table of sale levels, and what it can raise.

An action is a row of the sale table [A, M]: the level of each asset's sale as
a share of `max_sale * holdings0` (levels k / K, k = 0..K).

  one_asset  sell nothing, or one asset at one level: 1 + M K rows, row
             1 + j K + (k - 1) is asset j at level k
  grid       a level for every asset at once: (K + 1)^M rows, in
             itertools.product order (the first asset's level most significant)

`capacity` is the most cash a bank can raise within T steps at initial prices
(no impact): the yardstick `validate` holds the liquidity need against.
"""

from __future__ import annotations

import itertools

import numpy as np

ACTION_SETS = ("one_asset", "grid")


def sale_table(action_set: str, n_assets: int, n_levels: int) -> np.ndarray:
    K, M = n_levels, n_assets
    if action_set == "one_asset":
        rows = [np.zeros(M)]
        for j in range(M):
            for k in range(1, K + 1):
                row = np.zeros(M)
                row[j] = k / K
                rows.append(row)
        return np.array(rows)
    if action_set == "grid":
        return np.array(list(itertools.product(range(K + 1), repeat=M)), np.float64) / K
    raise ValueError(f"action_set {action_set!r} is not one of {ACTION_SETS}")


def capacity(action_set: str, position_values, max_sale, horizon: int):
    """Most cash raised in `horizon` steps at initial prices, per bank.

    position_values [..., N, M]: h0_ij p0_j; max_sale [...] broadcast per bank.
    one_asset: position j splits into floor(1 / m) chunks worth m v_j and a
    remainder; one chunk a step, so the best is the sum of the T largest chunks
    (without impact the order of sales does not matter). grid: every position
    sells min(1, T m) of itself.
    """
    v = np.asarray(position_values, np.float64)
    m = np.asarray(max_sale, np.float64)[..., None, None]
    if action_set == "grid":
        return (np.minimum(1.0, horizon * m) * v).sum(-1)
    with np.errstate(over="ignore", invalid="ignore"):  # a tiny m has (effectively) infinitely many chunks
        full = np.floor(1.0 / m + 1e-12)  # 1 / 0.1 must give 10 chunks, not 9 and a full remainder
        rest = np.nan_to_num(np.clip(1.0 - full * m, 0.0, None))
    values = np.concatenate([np.broadcast_to(m * v, v.shape), rest * v], -1)
    counts = np.concatenate([np.broadcast_to(np.minimum(full, horizon), v.shape),
                             np.where(rest > 0, 1.0, 0.0) * np.ones_like(v)], -1)
    order = np.argsort(-values, axis=-1, kind="stable")
    values = np.take_along_axis(values, order, -1)
    counts = np.take_along_axis(counts, order, -1)
    before = np.cumsum(counts, -1) - counts
    taken = np.clip(horizon - before, 0.0, counts)
    return (values * taken).sum(-1)
