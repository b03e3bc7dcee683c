"""The figure of the 2x2 classification map: which kind of game the two-bank,
two-asset, one-period reduction is, as a function of the liquidity ratio
r = a_2 / a_1 and the objective (issue 11, "a figure of that map").

Three panels, every cell classified numerically from the closed-form payoff
matrices (`jaxmarkets.liquidation.theory`), with the linear closed-form
boundaries drawn over them so that the two derivations can be read against
each other:

  (a) ratio x (impact kind, objective/execution) on unlevered books (no
      liabilities, no withdrawal: no profile defaults). Non-linear impact is
      calibrated to the linear one at one bank's sale q: the exponential
      coefficient is a_j itself (p = exp(-a q) ~ 1 - a q), the power one
      a_j q^(1 - delta), so that a_j q^delta equals the linear drop a_j q.
  (b) ratio x sale fraction phi for equity at pre-trade prices, linear: the
      coordination band (1 - 2 phi)/(1 - phi) < r < (1 - phi)/(1 - 2 phi).
  (c) ratio x (objective/execution) at the game's default, thin-equity books:
      where some profiles default, the map turns into ties.
"""

from __future__ import annotations

import dataclasses

import numpy as np

KIND_ORDER = ("dominant_strategy", "coordination", "anti_coordination", "matching_pennies", "one_dominant",
              "degenerate")
KIND_COLORS = ("#d9d9d9", "#4c72b0", "#dd8452", "#8172b2", "#55a868", "#f3e6a0")
PHIS = np.linspace(0.05, 0.95, 37)


def _instance(unlevered: bool):
    from jaxmarkets.liquidation.theory import reduction_game

    game = reduction_game()
    params = game.default_params()
    if unlevered:
        params = params.replace(liabilities=np.zeros(2), withdrawal=np.zeros(2))
    return game, params


def calibrated(impact: str, params):
    """params with impact_coef moved so that one bank's sale q = max_sale h_11
    drops the price as the linear impact would (first order for exponential)."""
    from jaxmarkets.liquidation.impact import power_like_linear

    if impact != "power":
        return params
    q = float(np.asarray(params.max_sale) * np.asarray(params.holdings)[0, 0])
    return params.replace(impact_coef=power_like_linear(np.asarray(params.impact_coef, np.float64), q,
                                                        np.asarray(params.exponent, np.float64)))


def map_data(ratios=None, phis=PHIS) -> dict:
    """Kinds (indices into KIND_ORDER) for the three panels."""
    from jaxmarkets.liquidation import theory as th

    ratios = th.MAP_RATIOS if ratios is None else np.asarray(ratios, np.float64)
    index = {k: i for i, k in enumerate(KIND_ORDER)}
    game, params = _instance(unlevered=True)
    impacts, labels = [], []
    for impact in ("linear", "exponential", "power"):
        m = th.classification_map(dataclasses.replace(game, impact=impact), calibrated(impact, params), ratios)
        for reading, kinds in m["kinds"].items():
            impacts.append([index[k] for k in kinds])
            labels.append(f"{impact}: {reading}")
    pre = dataclasses.replace(game, execution="pre")
    by_phi = [[index[k] for k in th.classification_map(pre, params.replace(max_sale=np.float64(phi)),
                                                       ratios)["kinds"]["equity/pre"]] for phi in phis]
    game_d, params_d = _instance(unlevered=False)
    m = th.classification_map(game_d, params_d, ratios)
    return {"ratios": np.asarray(ratios), "phis": np.asarray(phis),
            "impacts": np.asarray(impacts), "impact_labels": labels,
            "equity_pre_by_phi": np.asarray(by_phi),
            "thin_equity": np.asarray([[index[k] for k in ks] for ks in m["kinds"].values()]),
            "thin_labels": list(m["kinds"])}


def plot(path: str, data: dict | None = None) -> dict:
    """Writes the three-panel figure to `path`; returns its data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    d = map_data() if data is None else data
    cmap = ListedColormap(KIND_COLORS)
    r = d["ratios"]
    edges = np.exp(np.concatenate([[np.log(r[0]) - (np.log(r[1]) - np.log(r[0])) / 2],
                                   (np.log(r[1:]) + np.log(r[:-1])) / 2,
                                   [np.log(r[-1]) + (np.log(r[-1]) - np.log(r[-2])) / 2]]))
    fig, axes = plt.subplots(3, 1, figsize=(10, 12), gridspec_kw={"height_ratios": [3, 2.4, 1.2]})
    show = dict(cmap=cmap, vmin=-0.5, vmax=len(KIND_ORDER) - 0.5, edgecolors="none")

    ax = axes[0]
    n = len(d["impact_labels"])
    ax.pcolormesh(edges, np.arange(n + 1), d["impacts"], **show)
    ax.set_yticks(np.arange(n) + 0.5, d["impact_labels"], fontsize=8)
    ax.invert_yaxis()
    for b in (0.5, 2.0):
        ax.axvline(b, color="k", ls="--", lw=0.8)
    ax.set_title("(a) unlevered books, one bank sells half its position; dashed: linear cash/post band (1/2, 2)")

    ax = axes[1]
    phis = d["phis"]
    pe = np.concatenate([[phis[0] - (phis[1] - phis[0]) / 2], (phis[1:] + phis[:-1]) / 2,
                         [phis[-1] + (phis[-1] - phis[-2]) / 2]])
    ax.pcolormesh(edges, pe, d["equity_pre_by_phi"], **show)
    f = np.linspace(0.01, 0.499, 200)
    ax.plot((1 - 2 * f) / (1 - f), f, "k--", lw=1)
    ax.plot((1 - f) / (1 - 2 * f), f, "k--", lw=1, label="closed form (1-2φ)/(1-φ), (1-φ)/(1-2φ)")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, 1)
    ax.set_ylabel("sale fraction φ")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("(b) equity at pre-trade prices, linear impact: banks herd inside the band")

    ax = axes[2]
    ax.pcolormesh(edges, np.arange(len(d["thin_labels"]) + 1), d["thin_equity"], **show)
    ax.set_yticks(np.arange(len(d["thin_labels"])) + 0.5, d["thin_labels"], fontsize=8)
    ax.invert_yaxis()
    ax.set_title("(c) the game's default books (equity 11 of assets 100, withdrawal 20): defaults make ties")
    for ax in axes:
        ax.set_xscale("log")
        ticks = 2.0 ** np.arange(-3, 4)
        ax.set_xticks(ticks, ["1/8", "1/4", "1/2", "1", "2", "4", "8"])
        ax.minorticks_off()
        ax.set_xlabel("liquidity ratio r = a2 / a1 (illiquid over liquid)")
    fig.legend(handles=[Patch(color=c, label=k.replace("_", " ").replace("degenerate", "tie (degenerate)")) for k, c in zip(KIND_ORDER, KIND_COLORS)],
               loc="upper center", ncol=6, fontsize=8, frameon=True, edgecolor="k")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return d
