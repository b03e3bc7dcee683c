"""Figures of the liquidity study (paper 002 and its further work)."""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_equilibria(outcomes: dict, path: str, title: str) -> None:
    """Stacked bars: share of seeds at each equilibrium, per (learner, form);
    outcomes: {(learner, form): {label: share}}."""
    plt = _plt()
    keys = list(outcomes)
    labels = sorted({lab for v in outcomes.values() for lab in v}, key=lambda s: (s == "none", s))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(keys)), 4.5))
    bottom = np.zeros(len(keys))
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    for c, lab in enumerate(labels):
        h = np.array([outcomes[k].get(lab, 0.0) for k in keys])
        ax.bar(range(len(keys)), h, bottom=bottom, label=lab, color="0.8" if lab == "none" else colors[c % 10])
        bottom += h
    ax.set_xticks(range(len(keys)), [f"{l}\n{f}" for l, f in keys], fontsize=7)
    ax.set_ylabel("share of seeds")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_running_shares(labels_by_seed: dict, path: str, title: str) -> None:
    """The share of each equilibrium among the first s seeds, against s."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(labels_by_seed), figsize=(4 * len(labels_by_seed), 3.5), squeeze=False)
    for ax, (name, labels) in zip(axes[0], labels_by_seed.items()):
        s = np.arange(1, len(labels) + 1)
        for lab in sorted(set(labels)):
            ax.plot(s, np.cumsum(np.asarray(labels) == lab) / s, label=lab)
        ax.set_xscale("log")
        ax.set_xlabel("seeds")
        ax.set_ylabel("share reaching the equilibrium")
        ax.set_title(name, fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_exploitability(curves: dict, path: str, title: str) -> None:
    """NashConv over rounds: median and quartiles over seeds, of the time-average
    (solid) or of the current policies (dashed, names ending "current");
    curves: {panel: {learner: (rounds, nash_conv [runs, records])}}. Values
    below 1e-3 (payoffs are O(1-10); DQN's greedy policies reach exactly 0)
    are drawn at 1e-3."""
    plt = _plt()
    floor = 1e-3
    fig, axes = plt.subplots(1, len(curves), figsize=(4.5 * len(curves), 3.8), squeeze=False)
    for ax, (panel, by_learner) in zip(axes[0], curves.items()):
        bases = list(dict.fromkeys(name.removesuffix(" current") for name in by_learner))
        for learner, (rounds, nc) in by_learner.items():
            q = np.percentile(nc, [25, 50, 75], axis=0)
            style = "--" if learner.endswith("current") else "-"
            color = plt.cm.tab10(bases.index(learner.removesuffix(" current")) % 10)
            ax.plot(rounds, np.maximum(q[1], floor), style, label=learner, color=color)
            ax.fill_between(rounds, np.maximum(q[0], floor), np.maximum(q[2], floor), alpha=0.15, color=color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rounds")
        ax.set_ylabel("NashConv per round")
        ax.set_title(panel, fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_population(rows: list[dict], predicted: dict, threshold: float, path: str, title: str) -> None:
    """Left: initiators' share playing high against p, per N and learner, with
    the Bayesian prediction. Right: reward per active round by type against N
    at the 17-GEMM prior."""
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = sorted({r["n_makers"] for r in rows})
    colors = dict(zip(ns, plt.cm.viridis(np.linspace(0, 0.9, len(ns)))))
    learners = sorted({r["learner"] for r in rows})
    markers = "os^dvP*X"
    styles = {lr: markers[k % len(markers)] + ("-", "--", ":", "-.")[k % 4] for k, lr in enumerate(learners)}
    for n in ns:
        for learner in learners:
            sel = sorted((r for r in rows if r["n_makers"] == n and r["learner"] == learner), key=lambda r: r["prior"])
            if not sel:  # the shared learners run at fewer N
                continue
            ax.plot([r["prior"] for r in sel], [r["learned_high_share"] for r in sel], styles[learner],
                    color=colors[n], ms=3, label=f"N={n} {learner}")
        ps = sorted(predicted[n])
        ax.plot(ps, [predicted[n][p] for p in ps], color=colors[n], lw=3, alpha=0.3)
    ax.axvline(threshold, color="k", lw=0.8, ls=":")
    ax.set_xlabel("prior p of a large maker")
    ax.set_ylabel("initiators playing high (time-average > 1/2)")
    ax.legend(fontsize=6, ncol=2)
    ax.set_title("thick: Bayesian prediction; dotted: threshold 5/9", fontsize=8)
    p0 = min({r["prior"] for r in rows}, key=lambda p: abs(p - 0.35))
    for learner in learners:
        sel = sorted((r for r in rows if r["learner"] == learner and r["prior"] == p0), key=lambda r: r["n_makers"])
        for t, c in (("large", "C0"), ("small", "C1")):
            ax2.plot([r["n_makers"] for r in sel], [r[f"{t}_reward_per_active_round"] for r in sel], styles[learner],
                     color=c, ms=3, label=f"{t} {learner}")
    ax2.set_xlabel("makers N")
    ax2.set_ylabel(f"reward per active round (p = {p0:g})")
    ax2.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(rows: list[dict], path: str, title: str) -> None:
    """Final NashConv (unscaled) against the payoff scale, per learner."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for learner in sorted({r["learner"] for r in rows}):
        sel = sorted((r for r in rows if r["learner"] == learner), key=lambda r: r["scale"])
        ax.plot([r["scale"] for r in sel], [r["nash_conv_median"] for r in sel], "o-", label=learner)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("payoff scale")
    ax.set_ylabel("median final NashConv / scale")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
