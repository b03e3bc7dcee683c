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

Results directory (the common format, sweeps/engine/results.py): summary.csv
(Figure 3's mean steps per point), figure2.csv, figure3.csv, figure2.png,
figure3.png, cascades.csv, phase_diagram.png; tasks/ holds every finished
point, so `--resume` continues a killed run and ends identical to an
uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from jaxmarkets.core import check_int, check_range
from jaxmarkets.firesale.dynamics import RULES
from sweeps import engine
from sweeps.engine.results import ResultsDir, write_csv
from sweeps.engine.tasks import TaskRunner
from sweeps.studies.firesale.figures import plot_cascades, plot_figure2, plot_figure3



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


def _dynamics(params, rule, cfg: StudyConfig, record: int = 0):
    """Both dynamics of a batch of instances, split over every device."""
    from jaxmarkets.firesale.dynamics import many_solver

    return engine.shard_batch(many_solver("linear", params, rule, cfg.tol, cfg.max_steps, record), params)


def figure2(cfg: StudyConfig, key, task, log=print) -> list[dict]:
    """One task per tau: n = 10, parameter set 1, each step's size over time."""
    import jax

    from jaxmarkets.firesale.random_instances import section53

    def point(ti, tau):
        params = section53(jax.random.fold_in(key, ti), 10, tau, cfg.instances_fig2, 1)
        rows = []
        for rule in RULES:
            r = _dynamics(params, rule, cfg, cfg.record)
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
        return rows

    rows = []
    for ti, tau in enumerate(cfg.taus):
        rows += task.rows(f"figure2_tau{ti}", lambda ti=ti, tau=tau: point(ti, tau))
        log(f"  figure 2: tau = {tau:g} done")
    return rows


def figure3(cfg: StudyConfig, key, task, log=print) -> list[dict]:
    """One task per (parameter set, n): mean steps to convergence for every tau."""
    import jax

    from jaxmarkets.firesale.random_instances import section53

    def point(ps, n):
        rows = []
        for ti, tau in enumerate(cfg.taus):
            params = section53(jax.random.fold_in(key, 1000 * ps + 10 * n + ti), n, tau, cfg.instances, ps)
            for rule in RULES:
                r = _dynamics(params, rule, cfg)
                steps = np.asarray(r.steps)
                conv = np.asarray(r.converged)
                rows.append({
                    "param_set": ps, "n": n, "tau": tau, "rule": rule, "instances": int(steps.size),
                    "mean_steps": float(steps.mean()), "median_steps": float(np.median(steps)),
                    "p99_steps": float(np.percentile(steps, 99)), "max_steps": int(steps.max()),
                    "converged_share": float(conv.mean()),
                    "sem_steps": float(steps.std() / np.sqrt(steps.size)),
                })
        return rows

    rows = []
    for ps in (1, 2):
        for n in cfg.n_values:
            t0 = time.perf_counter()
            rows += task.rows(f"figure3_set{ps}_n{n}", lambda ps=ps, n=n: point(ps, n))
            log(f"  figure 3: set {ps}, n = {n} done in {time.perf_counter() - t0:.1f} s")
    return rows


def cascades(cfg: StudyConfig, key, task, log=print) -> list[dict]:
    """Phase diagrams of both mechanical cascades over diversification tau and
    the leverage axis of each model (Cont-Schaanning: the cap lambda / lambda^1;
    Caccioli et al.: the initial balance-sheet leverage); one task per tau."""
    import jax

    from jaxmarkets.firesale.cascades import caccioli, cont_schaanning, with_leverage
    from jaxmarkets.firesale.random_instances import section53

    cs = jax.jit(jax.vmap(cont_schaanning, in_axes=(0, None)))
    cc = jax.jit(jax.vmap(caccioli, in_axes=(0, None, None)))
    n = cfg.cascade_n

    def summary(model, tau, axis, value, r):
        return {"model": model, "tau": tau, "axis": axis, "value": value,
                "sold_share": float(np.asarray(r.sold_share).mean()),
                "failed_share": float(np.asarray(r.failed_share).mean()),
                "mean_rounds": float(np.asarray(r.rounds).mean())}

    def point(ti, tau):
        rows = []
        for ui, u in enumerate(cfg.cascade_caps):
            P = section53(jax.random.fold_in(key, 100 * ti + ui), n, tau, cfg.cascade_instances, 1, cap_multiplier=u)
            rows.append(summary("cont_schaanning", tau, "cap_over_lambda1", u, cs(P, cfg.shock)))
        P = section53(jax.random.fold_in(key, 100 * ti + 99), n, tau, cfg.cascade_instances, 1)
        for L in cfg.cascade_leverages:
            rows.append(summary("caccioli", tau, "initial_leverage", L, cc(with_leverage(P, L), cfg.shock, cfg.caccioli_c)))
        return rows

    rows = []
    for ti, tau in enumerate(cfg.cascade_taus):
        rows += task.rows(f"cascades_tau{ti}", lambda ti=ti, tau=tau: point(ti, tau))
        log(f"  cascades: tau = {tau:g} done")
    return rows


def run_study(cfg: StudyConfig, out, force: bool = False, resume: bool = False, log=print) -> dict:
    """Run every part of the study into `out` (each point a resumable task);
    returns the manifest."""
    cfg.validate()
    import jax

    results = ResultsDir(str(out), "firesale", "reproduce", {"config": dataclasses.asdict(cfg)},
                         resume=resume, force=force)
    task = TaskRunner(results.path, resume)
    timings = {}
    with jax.enable_x64(True):
        key = jax.random.key(cfg.seed)
        t0 = time.perf_counter()
        rows2 = figure2(cfg, jax.random.fold_in(key, 2), task, log)
        timings["figure2"] = time.perf_counter() - t0
        write_csv(results.file("figure2.csv"), rows2)
        plot_figure2(rows2, results.file("figure2.png"), cfg)
        t0 = time.perf_counter()
        rows3 = figure3(cfg, jax.random.fold_in(key, 3), task, log)
        timings["figure3"] = time.perf_counter() - t0
        write_csv(results.file("figure3.csv"), rows3)
        plot_figure3(rows3, results.file("figure3.png"), cfg)
        if cfg.cascades:
            t0 = time.perf_counter()
            rows_c = cascades(cfg, jax.random.fold_in(key, 5), task, log)
            timings["cascades"] = time.perf_counter() - t0
            write_csv(results.file("cascades.csv"), rows_c)
            plot_cascades(rows_c, results.file("phase_diagram.png"), cfg)
    results.manifest["step_counting"] = (
        "one step = one simultaneous update; steps = updates whose max |change| >= tol")
    results.finish(summary_rows(rows3), {"figure3": rows3}, timings)
    return results.manifest


def summary_rows(rows3: list[dict]) -> list[dict]:
    """Figure 3 as the study's table: mean steps per (parameter set, n, tau), both rules."""
    table: dict = {}
    for r in rows3:
        row = table.setdefault((r["param_set"], r["n"], r["tau"]),
                               {"param_set": r["param_set"], "n": r["n"], "tau": r["tau"]})
        row[f"mean_steps_{r['rule']}"] = r["mean_steps"]
        row[f"converged_{r['rule']}"] = r["converged_share"]
    return list(table.values())
