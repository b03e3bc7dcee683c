"""Figures of the liquidation study (matplotlib, Agg)."""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_q1(cfg, curves: dict, finals: dict, path: str, mode: str) -> None:
    """Per ratio: NashConv over training (median, quartile band over seeds) of the
    time average and last iterate of each learner; and where each seed ends in
    (P(asset 1) of bank 1, of bank 2), with the three equilibria marked."""
    from jaxmarkets.liquidation.theory import mixed_probability_cash_post

    plt = _plt()
    n = len(cfg.ratios)
    fig, axes = plt.subplots(n, 2, figsize=(10, 3.6 * n), squeeze=False)
    colors = {"ppo": "tab:blue", "ppo_shared": "tab:green", "dqn": "tab:red"}
    for i, r in enumerate(cfg.ratios):
        ax = axes[i, 0]
        for name in finals:
            for which, style in (("average", "-"), ("last", ":")):
                q = np.asarray(curves[f"{name}@{r}"][which])
                x = np.linspace(0, 1, q.shape[1] + 1)[1:]
                ax.plot(x, np.maximum(q[1], 1e-6), style, color=colors[name], label=f"{name} {which}")
                ax.fill_between(x, np.maximum(q[0], 1e-6), np.maximum(q[2], 1e-6), color=colors[name], alpha=0.15)
        ax.set_yscale("log")
        ax.set_xlabel("fraction of training")
        ax.set_ylabel("NashConv (cash units)")
        ax.set_title(f"r = a2/a1 = {r}: exploitability over training ({mode})")
        ax.legend(fontsize=7)
        ax = axes[i, 1]
        p = mixed_probability_cash_post(r)
        ax.plot([1, 0], [0, 1], "k*", ms=14, label="pure equilibria")
        ax.plot([p], [p], "kP", ms=12, label=f"mixed equilibrium p* = {p:.2f}")
        rng = np.random.default_rng(0)
        for name, end in finals.items():
            e = end[i] + rng.uniform(-0.02, 0.02, end[i].shape)  # jitter: seeds that end alike stay visible
            ax.scatter(e[:, 0], e[:, 1], s=14, alpha=0.6, color=colors[name], label=f"{name} seeds, end")
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("bank 1: P(sell asset 1)")
        ax.set_ylabel("bank 2: P(sell asset 1)")
        ax.set_title("end of training (DQN: greedy policy)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_q2(rows: list[dict], path: str, mode: str) -> None:
    """Per (N, objective): mean welfare of each policy (bars, standard error),
    the planner's as a line."""
    plt = _plt()
    cases = sorted({(r["n_banks"], r["objective"]) for r in rows})
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 3.6), squeeze=False)
    for ax, (n, obj) in zip(axes[0], cases):
        sel = [r for r in rows if r["n_banks"] == n and r["objective"] == obj and r["policy"] != "planner"]
        names = [r["policy"].replace("proportional_stochastic", "prop. stoch.") for r in sel]
        ax.bar(range(len(sel)), [r["welfare"] for r in sel], yerr=[r["welfare_se"] for r in sel],
               color=["tab:gray"] * 4 + ["tab:blue", "tab:red"][:len(sel) - 4])
        planner = sel[0]["planner_welfare"] if sel else None
        if planner is not None:
            ax.axhline(planner, color="k", ls="--", label="planner")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(sel)), names, rotation=35, ha="right", fontsize=7)
        ax.set_ylabel(f"welfare ({obj})")
        ax.set_title(f"N = {n}, objective {obj} ({mode})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
