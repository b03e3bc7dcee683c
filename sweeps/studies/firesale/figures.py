"""Figures of the fire-sale study (paper 003, Section 5.3, and the cascades)."""

from __future__ import annotations

import numpy as np

from jaxmarkets.firesale.dynamics import RULES


def plot_cascades(rows, path: str, cfg) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for r_i, (model, axis_vals, axis_name) in enumerate((
        ("cont_schaanning", cfg.cascade_caps, "leverage cap lambda / lambda^1"),
        ("caccioli", cfg.cascade_leverages, "initial leverage a / e"),
    )):
        for c_i, metric in enumerate(("sold_share", "failed_share")):
            grid = np.array([[next(r[metric] for r in rows if r["model"] == model and r["tau"] == t
                                   and r["value"] == v) for v in axis_vals] for t in cfg.cascade_taus])
            ax = axes[r_i, c_i]
            im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="magma")
            ax.set_xticks(range(len(axis_vals)), [f"{v:g}" for v in axis_vals])
            ax.set_yticks(range(len(cfg.cascade_taus)), [f"{t:g}" for t in cfg.cascade_taus])
            ax.set_xlabel(axis_name)
            ax.set_ylabel("diversification tau")
            ax.set_title(f"{model}: {metric.replace('_', ' ')}")
            fig.colorbar(im, ax=ax)
    fig.suptitle(f"Mechanical cascades, n = {cfg.cascade_n}, price shock {cfg.shock:g}, "
                 f"{cfg.cascade_instances} instances per cell ({cfg.mode})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_figure2(rows, path: str, cfg) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(cfg.taus)))
    for c, tau in zip(colors, cfg.taus):
        for rule, style in zip(RULES, ("-", "--")):
            sel = [r for r in rows if r["tau"] == tau and r["rule"] == rule]
            label = f"{'br' if rule == 'best_response' else 's'} tau={tau:g}"
            live = [r for r in sel if r["share_moving"] > 0]
            ax.plot([r["step"] for r in live], [r["mean_max_change_moving"] for r in live], style, color=c, label=label)
            ax2.plot([r["step"] for r in sel], [r["share_moving"] for r in sel], style, color=c, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("average step size (max |change|, runs still moving)")
    ax.set_title(f"Figure 2: n = 10, {cfg.instances_fig2} instances per tau ({cfg.mode})")
    ax.legend(fontsize=7, ncol=2)
    ax2.set_yscale("log")
    ax2.set_xlabel("step")
    ax2.set_ylabel("share of runs still moving")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_figure3(rows, path: str, cfg) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(cfg.taus)))
    for ax, ps in zip(axes, (1, 2)):
        for c, tau in zip(colors, cfg.taus):
            for rule, style in zip(RULES, ("-o", "--s")):
                sel = sorted((r for r in rows if r["param_set"] == ps and r["tau"] == tau and r["rule"] == rule),
                             key=lambda r: r["n"])
                ax.plot([r["n"] for r in sel], [r["mean_steps"] for r in sel], style, color=c, ms=3,
                        label=f"{'br' if rule == 'best_response' else 's'} tau={tau:g}")
        ax.set_xlabel("number of banks n")
        ax.set_ylabel("mean steps to convergence")
        ax.set_title(f"parameter set {ps}")
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle(f"Figure 3: {cfg.instances} instances per point ({cfg.mode})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
