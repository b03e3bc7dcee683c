"""Figures of the paper-001 reproduction (Figures 1-14): IS scatters, selling
schedules, centroids against the Pareto front."""

from __future__ import annotations

import numpy as np


_SIGMA_COLOURS = {1e-9: "tab:blue", 1e-3: "tab:orange", 1e-2: "tab:red"}


def sigma_text(s):
    return f"σ = {s:.0e}".replace("e-0", "e-")


def _footer(fig, cfg, th):
    # below the figure's bottom edge (va="top"), so it never covers an axis label
    fig.text(0.5, -0.01, f"{cfg.label()}.  Nash: discrete game, '{cfg.timing}' timing"
             + (" (Algorithm 1's coin toss)" if cfg.timing == "sequential" else ""),
             ha="center", va="top", fontsize=7, color="darkred" if cfg.mode != "full" else "black")


def _reference_marks(ax, th, legend=True):
    import matplotlib.patches as mpatches

    n1, n2 = th["nash_is"]
    p1, p2 = th["pareto_is"]
    ax.add_patch(mpatches.Rectangle((p1, p2), n1 - p1, n2 - p2, color="green", alpha=0.15,
                                    label="supra-competitive" if legend else None))
    ax.axvline(n1, color="grey", lw=0.7, ls="--")
    ax.axhline(n2, color="grey", lw=0.7, ls="--")
    ax.plot([n1], [n2], "r*", ms=14, mec="k", label="Nash" if legend else None, zorder=5)
    ax.plot([p1], [p2], "g*", ms=14, mec="k", label="Pareto optimum (TWAP)" if legend else None, zorder=5)


def _finish_is_axes(fig, ax, path, lower, upper, xlabel, ylabel, title, cfg, th):
    """Limits, labels, legend and footer of a figure in the (IS agent 1, IS agent 2) plane."""
    import matplotlib.pyplot as plt

    ax.set_xlim(lower[0], upper[0])
    ax.set_ylim(lower[1], upper[1])
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    _footer(fig, cfg, th)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_scatter(path, is_runs, th, title, cfg):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    cmap = plt.get_cmap("tab20")
    for r, pts in enumerate(is_runs):
        step = max(1, len(pts) // 500)
        ax.scatter(pts[::step, 0], pts[::step, 1], s=3, alpha=0.25, color=cmap(r % 20))
    cents = is_runs.mean(1)
    for r, c in enumerate(cents):
        ax.plot(c[0], c[1], "X", ms=9, color=cmap(r % 20), mec="k", zorder=6)
    _reference_marks(ax, th)
    allc = np.concatenate([cents, th["nash_is"][None], th["pareto_is"][None]])
    lo = np.minimum(allc.min(0), np.percentile(is_runs.reshape(-1, 2), 2, axis=0))
    hi = np.maximum(allc.max(0), np.percentile(is_runs.reshape(-1, 2), 98, axis=0))
    pad = 0.08 * (hi - lo) + 0.05
    _finish_is_axes(fig, ax, path, lo - pad, hi + pad, "IS agent 1", "IS agent 2", title, cfg, th)


def fig_schedules(path, volume, th, title, cfg):
    import matplotlib.pyplot as plt

    n = len(volume)
    cols = min(5, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows + 0.6), squeeze=False,
                             sharex=True, sharey=True)
    t = np.arange(1, volume.shape[-1] + 1)
    for r in range(rows * cols):
        ax = axes[r // cols][r % cols]
        if r >= n:
            ax.axis("off")
            continue
        ax.plot(t, volume[r, 0], "o-", ms=3, label="agent 1")
        ax.plot(t, volume[r, 1], "s-", ms=3, label="agent 2")
        ax.plot(t, th["nash"][0], "r--", lw=1, label="Nash")
        ax.plot(t, th["twap"][0], "g:", lw=1.2, label="TWAP")
        ax.set_title(f"run {r + 1}", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.supxlabel("step t", fontsize=8)
    fig.supylabel("shares sold (mean over test iterations)", fontsize=8)
    fig.suptitle(title, fontsize=9)
    _footer(fig, cfg, th)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def fig_mean_schedules(path, panels, th, title, cfg, agents=(0, 1)):
    """panels: list of (panel title, volume [R, 2, N])."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.3), squeeze=False,
                             sharey=True)
    t = np.arange(1, th["nash"].shape[-1] + 1)
    for ax, (name, volume) in zip(axes[0], panels):
        for k in agents:
            ax.plot(t, volume[:, k].mean(0), "o-", ms=3, label=f"agent {k + 1}")
        ax.plot(t, th["nash"][0], "r--", label="Nash")
        ax.plot(t, th["twap"][0], "g:", lw=1.5, label="TWAP")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step t")
    axes[0][0].set_ylabel("shares sold")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    _footer(fig, cfg, th)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_centroids(path, groups, th, title, cfg):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    front = th["front"]
    ax.plot(front[:, 0], front[:, 1], "k-", lw=1, label="Pareto front")
    for sigma, cents in groups:
        ax.plot(cents[:, 0], cents[:, 1], "o", ms=6, mec="k", alpha=0.8,
                color=_SIGMA_COLOURS.get(sigma, None), label=sigma_text(sigma))
    _reference_marks(ax, th)
    allc = np.concatenate([c for _, c in groups] + [th["nash_is"][None], th["pareto_is"][None]])
    lo, hi = allc.min(0), allc.max(0)
    pad = 0.15 * (hi - lo) + 0.1
    _finish_is_axes(fig, ax, path, lo - pad, hi + pad, "IS agent 1 (centroid)", "IS agent 2 (centroid)",
                    title, cfg, th)


_LEARNER_MARKERS = {"ddqn": "o", "ppo": "^", "reinforce": "s"}


def fig_learners(path, groups, th, title, cfg):
    """Run centroids of several learners on one plot: groups of (learner, sigma,
    centroids [R, 2]); marker by learner, colour by sigma, and each learner's
    mean centroid over all its runs as a large outlined marker."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.8, 6.2))
    front = th["front"]
    ax.plot(front[:, 0], front[:, 1], "k-", lw=1, label="Pareto front")
    for learner, sigma, cents in groups:
        ax.plot(cents[:, 0], cents[:, 1], _LEARNER_MARKERS.get(learner, "D"), ms=6, mec="k", mew=0.5,
                alpha=0.75, color=_SIGMA_COLOURS.get(sigma, None), label=f"{learner.upper()}, {sigma_text(sigma)}")
    for learner in dict.fromkeys(name for name, _, _ in groups):
        mean = np.concatenate([c for name, _, c in groups if name == learner]).mean(0)
        ax.plot(mean[0], mean[1], _LEARNER_MARKERS.get(learner, "D"), ms=15, mfc="none", mec="k", mew=2,
                label=f"{learner.upper()} mean centroid", zorder=7)
    _reference_marks(ax, th)
    allc = np.concatenate([c for _, _, c in groups] + [th["nash_is"][None], th["pareto_is"][None]])
    lo, hi = allc.min(0), allc.max(0)
    pad = 0.15 * (hi - lo) + 0.1
    _finish_is_axes(fig, ax, path, lo - pad, hi + pad, "IS agent 1 (centroid)", "IS agent 2 (centroid)",
                    title, cfg, th)
