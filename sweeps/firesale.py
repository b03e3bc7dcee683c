"""Paper 003, Section 5.3: convergence speed of best-response and simplified dynamics.

Figure 2: average step size over time, n = 10, several diversifications tau
          (parameter set 1).
Figure 3: mean steps to convergence against the number of banks n, several tau,
          parameter set 1 (left) and set 2 (right).
Beyond the paper (`cascades`): the Cont-Schaanning and Caccioli et al.
          mechanical cascades on the same instances, phase diagrams over
          (tau, leverage cap) of the share of assets sold and of agents failing.

Both dynamics run from y = 1 until a step changes every y_i by less than 1e-5;
steps are counted as in `jaxmarkets.firesale.dynamics` (simultaneous updates
whose largest change was at least 1e-5). Step size at step t: the largest
|change| of that step, averaged over all instances (0 for an instance that has
already stopped).

Figure 2 is drawn over the runs still moving at step t (their step changed some
y_i by >= tol), with the share of such runs beside it; the CSV also has the
average over all runs (0 once a run has stopped).

Results directory: manifest.json, figure2.csv, figure3.csv, figure2.png,
figure3.png, cascades.csv, phase_diagram.png.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from jaxmarkets.core import check_int, check_range
from sweeps import driver, engine

RULES = ("best_response", "simplified")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    mode: str
    instances: int  # per point of Figure 3
    instances_fig2: int
    n_values: tuple[int, ...]
    taus: tuple[float, ...]
    record: int  # steps of Figure 2's time axis
    tol: float = 1e-5
    max_steps: int = 100_000
    seed: int = 0
    cascades: bool = True
    cascade_instances: int = 200
    cascade_taus: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    cascade_caps: tuple[float, ...] = (0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 1.0, 1.1)
    cascade_leverages: tuple[float, ...] = (12.0, 14.0, 16.0, 17.0, 18.0, 19.0, 20.0, 22.0, 25.0)
    cascade_n: int = 10
    shock: float = 0.1
    caccioli_c: float = 1.0

    def validate(self) -> None:
        check_int("instances", self.instances, 1)
        check_int("instances_fig2", self.instances_fig2, 1)
        check_int("record", self.record, 1)
        for n in self.n_values:
            check_int("n_values", n, 2)
        for t in self.taus + self.cascade_taus:
            check_range("taus", t, 0.0, 1.0)
        check_range("tol", self.tol, 0.0, low_open=True)
        check_int("cascade_instances", self.cascade_instances, 1)
        check_range("shock", self.shock, 0.0, 1.0, high_open=True)
        for v in self.cascade_caps:
            check_range("cascade_caps", v, 0.0, low_open=True)
        for v in self.cascade_leverages:
            check_range("cascade_leverages", v, 1.0, low_open=True)
        check_range("caccioli_c", self.caccioli_c, 0.0)


QUICK = StudyConfig(
    mode="quick", instances=1000, instances_fig2=2000, n_values=(2, 4, 6, 8, 10),
    taus=(0.1, 0.3, 0.5, 0.7, 0.9), record=60, cascade_instances=100,
)
FULL = StudyConfig(
    mode="full", instances=100_000, instances_fig2=100_000, n_values=(2, 4, 6, 8, 10, 12),
    taus=(0.1, 0.3, 0.5, 0.7, 0.9), record=100, cascade_instances=2000,
)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def figure2(cfg: StudyConfig, key, log=print) -> list[dict]:
    import jax

    from jaxmarkets.firesale.dynamics import run_many
    from jaxmarkets.firesale.random_instances import section53

    rows = []
    n = 10
    for ti, tau in enumerate(cfg.taus):
        params = section53(jax.random.fold_in(key, ti), n, tau, cfg.instances_fig2, 1)
        for rule in RULES:
            r = run_many("linear", params, rule, cfg.tol, cfg.max_steps, record=cfg.record)
            mx_all = np.asarray(r.max_change)
            steps = np.asarray(r.steps)
            for t in range(cfg.record):
                moving = steps >= t + 1  # this step still changed some y_i by >= tol
                rows.append({
                    "tau": tau, "rule": rule, "step": t + 1,
                    "mean_max_change": float(mx_all[:, t].mean()),
                    "mean_max_change_moving": float(mx_all[moving, t].mean()) if moving.any() else 0.0,
                    "share_moving": float(moving.mean()),
                    "mean_mean_change": float(np.asarray(r.mean_change)[:, t].mean()),
                })
        log(f"  figure 2: tau = {tau:g} done")
    return rows


def figure3(cfg: StudyConfig, key, log=print) -> list[dict]:
    import jax

    from jaxmarkets.firesale.dynamics import run_many
    from jaxmarkets.firesale.random_instances import section53

    rows = []
    for ps in (1, 2):
        for n in cfg.n_values:
            t0 = time.perf_counter()
            for ti, tau in enumerate(cfg.taus):
                params = section53(jax.random.fold_in(key, 1000 * ps + 10 * n + ti), n, tau, cfg.instances, ps)
                for rule in RULES:
                    r = run_many("linear", params, rule, cfg.tol, cfg.max_steps)
                    steps = np.asarray(r.steps)
                    conv = np.asarray(r.converged)
                    rows.append({
                        "param_set": ps, "n": n, "tau": tau, "rule": rule, "instances": int(steps.size),
                        "mean_steps": float(steps.mean()), "median_steps": float(np.median(steps)),
                        "p99_steps": float(np.percentile(steps, 99)), "max_steps": int(steps.max()),
                        "converged_share": float(conv.mean()),
                        "sem_steps": float(steps.std() / np.sqrt(steps.size)),
                    })
            log(f"  figure 3: set {ps}, n = {n} done in {time.perf_counter() - t0:.1f} s")
    return rows


def cascades(cfg: StudyConfig, key, log=print) -> list[dict]:
    """Phase diagrams of both mechanical cascades over diversification tau and
    the leverage axis of each model (Cont-Schaanning: the cap lambda / lambda^1;
    Caccioli et al.: the initial balance-sheet leverage)."""
    import jax

    from jaxmarkets.firesale.cascades import caccioli, cont_schaanning, with_leverage
    from jaxmarkets.firesale.random_instances import section53

    cs = jax.jit(jax.vmap(cont_schaanning, in_axes=(0, None)))
    cc = jax.jit(jax.vmap(caccioli, in_axes=(0, None, None)))
    rows = []
    n = cfg.cascade_n
    for ti, tau in enumerate(cfg.cascade_taus):
        for ui, u in enumerate(cfg.cascade_caps):
            P = section53(jax.random.fold_in(key, 100 * ti + ui), n, tau, cfg.cascade_instances, 1, cap_multiplier=u)
            r = cs(P, cfg.shock)
            rows.append({"model": "cont_schaanning", "tau": tau, "axis": "cap_over_lambda1", "value": u,
                         "sold_share": float(np.asarray(r.sold_share).mean()),
                         "failed_share": float(np.asarray(r.failed_share).mean()),
                         "mean_rounds": float(np.asarray(r.rounds).mean())})
        P = section53(jax.random.fold_in(key, 100 * ti + 99), n, tau, cfg.cascade_instances, 1)
        for L in cfg.cascade_leverages:
            r = cc(with_leverage(P, L), cfg.shock, cfg.caccioli_c)
            rows.append({"model": "caccioli", "tau": tau, "axis": "initial_leverage", "value": L,
                         "sold_share": float(np.asarray(r.sold_share).mean()),
                         "failed_share": float(np.asarray(r.failed_share).mean()),
                         "mean_rounds": float(np.asarray(r.rounds).mean())})
        log(f"  cascades: tau = {tau:g} done")
    return rows


def plot_cascades(rows, path: Path, cfg: StudyConfig) -> None:
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


def plot_figure2(rows, path: Path, cfg: StudyConfig) -> None:
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


def plot_figure3(rows, path: Path, cfg: StudyConfig) -> None:
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


def run_study(cfg: StudyConfig, out, force: bool = False, log=print) -> dict:
    """Run every part of the study into `out`; returns the manifest."""
    cfg.validate()
    driver.prepare_dir(str(out), None, resume=False, force=force)
    out = Path(out)
    import jax

    timings = {}
    with jax.enable_x64(True):
        key = jax.random.key(cfg.seed)
        t0 = time.perf_counter()
        rows2 = figure2(cfg, jax.random.fold_in(key, 2), log)
        timings["figure2_s"] = time.perf_counter() - t0
        _write_csv(out / "figure2.csv", rows2)
        plot_figure2(rows2, out / "figure2.png", cfg)
        t0 = time.perf_counter()
        rows3 = figure3(cfg, jax.random.fold_in(key, 3), log)
        timings["figure3_s"] = time.perf_counter() - t0
        _write_csv(out / "figure3.csv", rows3)
        plot_figure3(rows3, out / "figure3.png", cfg)
        if cfg.cascades:
            t0 = time.perf_counter()
            rows_c = cascades(cfg, jax.random.fold_in(key, 5), log)
            timings["cascades_s"] = time.perf_counter() - t0
            _write_csv(out / "cascades.csv", rows_c)
            plot_cascades(rows_c, out / "phase_diagram.png", cfg)
    manifest = {
        "study": "firesale (paper 003, Section 5.3)",
        "config": dataclasses.asdict(cfg),
        "timings": timings,
        "versions": engine.versions(),
        **engine.device_info(),
        "step_counting": "one step = one simultaneous update; steps = updates whose max |change| >= tol",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
