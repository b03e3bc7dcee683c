"""Figures of the CAT study (paper 004): efficiency and price convergence by
strategy, clearing-house efficiency against calls, the tournament over days."""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_single(days, path: str, cfg) -> None:
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    strategies = sorted({r["strategy"] for r in days}, key=["truth", "zic", "zip", "gd", "re"].index)
    for col, market in enumerate(("cda", "ch")):
        for s in strategies:
            sel = [r for r in days if r["market"] == market and r["strategy"] == s]
            x = [r["day"] for r in sel]
            axes[0, col].plot(x, [r["efficiency"] for r in sel], "-o", ms=3, label=s)
            axes[1, col].plot(x, [r["alpha"] for r in sel], "-o", ms=3, label=s)
        axes[0, col].set_title(f"single {market.upper()}: efficiency (%)")
        axes[1, col].set_title(f"single {market.upper()}: Smith's alpha (%)")
        axes[1, col].set_xlabel("day")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"(a) {cfg.traders} + {cfg.traders} traders, {cfg.rounds} rounds a day, mean of {cfg.seeds} "
                 f"games ({cfg.mode})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_calls(rows, path: str, cfg) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for s in sorted({r["strategy"] for r in rows}):
        sel = [r for r in rows if r["strategy"] == s]
        ax.errorbar([r["calls"] for r in sel], [r["efficiency"] for r in sel],
                    yerr=[r["efficiency_sd"] for r in sel], fmt="-o", ms=4, capsize=3, label=s)
    ax.set_xscale("log")
    ax.set_xlabel("clearing-house calls per day")
    ax.set_ylabel("allocative efficiency (%)")
    ax.set_title(f"(a) clearing house, {cfg.traders} + {cfg.traders} traders, {cfg.rounds} rounds ({cfg.mode})",
                 fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tournament(days, path: str, cfg) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    names = list(dict.fromkeys(r["specialist"] for r in days))
    for n in names:
        sel = [r for r in days if r["specialist"] == n]
        x = [r["day"] for r in sel]
        axes[0].plot(x, np.cumsum([r["score"] for r in sel]), label=n)
        axes[1].plot(x, [r["market_share"] for r in sel], label=n)
        axes[2].plot(x, [r["profit_share"] for r in sel], label=n)
    for ax, title in zip(axes, ("cumulative score", "market share", "profit share")):
        ax.set_title(title)
        ax.set_xlabel("day")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"(b) tournament of fixed specialists, mixed traders, mean of {cfg.tournament_seeds} games "
                 f"({cfg.mode})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_learned(curves, path: str, cfg) -> None:
    """(c): the learner's mean daily score by iteration, and every constant
    option's score against the learned policy's, per run."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for run, (curve, option_scores, learner) in curves.items():
        line, = axes[0].plot(np.arange(len(curve)), curve, "-", label=run)
        order = np.sort(option_scores)[::-1]
        axes[1].plot(np.arange(len(order)), order, "o", ms=3, color=line.get_color(), label=run)
        axes[1].axhline(learner["learned_score"], color=line.get_color(), ls="--", lw=1)
    axes[0].set_title("training: mean daily score of the learned specialist")
    axes[0].set_xlabel("iteration")
    axes[1].set_title("every constant fee option, best first (dashed: the learned policy)")
    axes[1].set_xlabel("option rank")
    axes[0].legend(fontsize=8)
    lc = cfg.learned
    fig.suptitle(f"(c) learned specialist, {lc.traders} + {lc.traders} {'/'.join(lc.mix)} traders, {lc.days} days, "
                 f"{lc.bandit.iterations} x {lc.bandit.games} training games, {lc.eval_games} evaluation games "
                 f"({cfg.mode})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
