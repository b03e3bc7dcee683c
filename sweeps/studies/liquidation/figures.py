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


POLICY_STYLE = {"myopic": ("tab:gray", "-"), "proportional": ("tab:brown", "-"),
                "proportional_stochastic": ("tab:olive", "-"), "random": ("tab:pink", "-"),
                "ppo": ("tab:blue", "-"), "ppo_shared": ("tab:green", "-"), "recurrent_ddqn": ("tab:red", "-"),
                "planner": ("k", "--")}


def _axis_lines(ax, rows, axis, x_key, y_key, logx=False):
    sel = [r for r in rows if axis in r["axes"].split("+")]
    for policy, (color, style) in POLICY_STYLE.items():
        pts = sorted((r[x_key], r[y_key]) for r in sel if r["policy"] == policy and r[y_key] is not None)
        if pts:
            ax.plot(*zip(*pts), style, color=color, marker="o", ms=3, label=policy.replace("_", " "))
    if logx:
        ax.set_xscale("log")
    xs = sorted({r[x_key] for r in sel})
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.minorticks_off()


def plot_q2(rows: list[dict], path: str, mode: str) -> None:
    """Per objective (rows of panels): welfare over the planner's and the share
    of banks in default against N, welfare over the planner's against the
    liquidity ratio and the overlap (where those axes ran), the share of banks
    selling the liquid asset first and the price path at the largest N."""
    plt = _plt()
    objectives = sorted({r["objective"] for r in rows})
    axes_run = {a for r in rows for a in r["axes"].split("+")}
    panels = ["banks_wp", "banks_def"] + [p for p, a in (("ratio", "ratio"), ("overlap", "overlap")) if a in axes_run]
    panels += ["first", "prices"]
    fig, axes = plt.subplots(len(objectives), len(panels), figsize=(3.6 * len(panels), 3.3 * len(objectives)),
                             squeeze=False)
    n_max = max(r["n_banks"] for r in rows if "banks" in r["axes"].split("+"))
    for i, obj in enumerate(objectives):
        sel = [r for r in rows if r["objective"] == obj]
        big = [r for r in sel if r["n_banks"] == n_max and "banks" in r["axes"].split("+")]
        for ax, panel in zip(axes[i], panels):
            if panel == "banks_wp":
                _axis_lines(ax, sel, "banks", "n_banks", "welfare_over_planner", logx=True)
                ax.set_xlabel("banks N (impact per unit of the market)")
                ax.set_ylabel(f"{obj}: welfare / planner's")
                ax.legend(fontsize=6)
            elif panel == "banks_def":
                _axis_lines(ax, sel, "banks", "n_banks", "default_share", logx=True)
                ax.set_xlabel("banks N")
                ax.set_ylabel("share of banks in default")
            elif panel == "ratio":
                _axis_lines(ax, sel, "ratio", "ratio", "welfare_over_planner", logx=True)
                ax.set_xlabel(f"liquidity ratio a2/a1 (N = {next(r['n_banks'] for r in sel if 'ratio' in r['axes'])})")
                ax.set_ylabel("welfare / planner's")
            elif panel == "overlap":
                _axis_lines(ax, sel, "overlap", "diversification", "welfare_over_planner")
                m = next(r["n_assets"] for r in sel if "overlap" in r["axes"])
                ax.set_xlabel(f"assets per bank of M = {m} (random books)")
                ax.set_ylabel("welfare / planner's")
            elif panel == "first":
                pol = [r for r in big if r["liquid_first"] is not None]
                ax.bar(range(len(pol)), [r["liquid_first"] for r in pol],
                       color=[POLICY_STYLE[r["policy"]][0] for r in pol])
                ax.set_xticks(range(len(pol)), [r["policy"].replace("proportional_stochastic", "prop. stoch.")
                                                for r in pol], rotation=40, ha="right", fontsize=6)
                ax.set_ylim(0, 1)
                ax.set_ylabel("share selling the liquid asset first")
                ax.set_title(f"N = {n_max}", fontsize=8)
            else:
                for r in big:
                    color = POLICY_STYLE[r["policy"]][0]
                    steps = sorted({int(k.split("_")[1][1:]) for k in r if k.startswith("price_t")})
                    for kind, style in (("liquid", "-"), ("illiquid", ":")):
                        ax.plot([0] + steps, [1.0] + [r[f"price_t{t}_{kind}"] for t in steps], style, color=color)
                ax.set_xlabel("step (solid: liquid asset, dotted: illiquid)")
                ax.set_ylabel("price / initial price")
                ax.set_title(f"N = {n_max}, mean price path", fontsize=8)
    fig.suptitle(f"Q2: learners against benchmarks and the planner ({mode})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
