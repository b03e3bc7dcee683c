"""Reproduction of paper 001: Double-DQN traders in the execution game, Figures
1-14 and the summary table, every group of runs through the sweep engine (so a
killed reproduction resumes with `--resume`)."""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import jax
import numpy as np

from agents.dqn import DQNConfig, DQNHparams
from jaxmarkets.core import InputError
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import ExecutionGame, ExecutionParams
from sweeps import engine
from sweeps.engine.checkpoint import atomic_savez
from sweeps.engine.results import ResultsDir
from sweeps.studies.execution.adapter import dqn
from sweeps.studies.execution.analysis import summarise, theory_for
from sweeps.studies.execution.figures import (
    fig_centroids,
    fig_mean_schedules,
    fig_scatter,
    fig_schedules,
    sigma_text,
)

SWAP = {1e-9: 1e-2, 1e-2: 1e-9}  # Section 4.5: train in one regime, test in the other


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Section 4 and Appendix A of paper 001; the defaults are the paper's (--full)."""

    mode: str = "full"
    sigmas: tuple[float, ...] = (1e-9, 1e-3, 1e-2)
    runs: int = 20  # per sigma (Figures 1-8)
    swap_runs: int = 10  # per swapped pair (Figures 9-12), taken from the main runs
    nash_explore_runs: int = 10  # per sigma (Figure 13); 0 leaves the experiment out
    fixed_nash_runs: int = 1  # per sigma (Figure 14); 0 leaves it out
    train_iterations: int = 5000  # C
    test_iterations: int = 2500  # M
    chunk: int = 500  # training episodes per compiled chunk (a progress line each)
    lr: float = 1e-4
    eps_decay: float = 0.995
    n_actions: int = 21
    batch_size: int = 64
    memory_size: int = 15000
    timing: str = "sequential"  # Algorithm 1's coin toss
    q0: float = 100.0
    S0: float = 10.0
    alpha: float = 0.002
    kappa: float = 0.001
    n_steps: int = 10
    seed: int = 0

    def validate(self):
        if self.mode not in ("quick", "full", "custom"):
            raise InputError(f"mode = {self.mode!r} is not one of quick, full, custom")
        for name in ("runs", "train_iterations", "test_iterations", "chunk"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} = {getattr(self, name)} is outside the allowed range [1, inf)")
        for name in ("swap_runs", "nash_explore_runs", "fixed_nash_runs"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} = {getattr(self, name)} is outside the allowed range [0, inf)")
        if self.swap_runs > self.runs:
            raise InputError(
                f"swap_runs = {self.swap_runs} is outside the allowed range [0, runs = {self.runs}]"
            )
        if self.train_iterations % self.chunk:
            raise InputError(
                f"train_iterations = {self.train_iterations} is not a multiple of chunk = {self.chunk}"
            )
        if not self.sigmas:
            raise InputError("sigmas is empty")
        for s in self.sigmas:
            self.game().validate(self.game_params(s))
            theory.check_discrete_nash(self.game(), self.game_params(s))  # Figures need Nash
        self.dqn().validate(2)

    def game(self) -> ExecutionGame:
        return ExecutionGame(n_agents=2, n_steps=self.n_steps, timing=self.timing)

    def game_params(self, sigma) -> ExecutionParams:
        return self.game().make_params(
            q0=self.q0, S0=self.S0, alpha=self.alpha, kappa=self.kappa, sigma=sigma
        )

    def dqn(self, fixed_agents=()) -> DQNConfig:
        return DQNConfig(
            n_actions=self.n_actions,
            batch_size=self.batch_size,
            memory_size=self.memory_size,
            train_iterations=self.train_iterations,
            test_iterations=self.test_iterations,
            log_every=max(1, self.chunk // 10) if self.chunk % 10 == 0 else self.chunk,
            fixed_agents=fixed_agents,
        )

    def hparams(self) -> DQNHparams:
        return DQNHparams.make(lr=self.lr, eps_decay=self.eps_decay)

    def label(self) -> str:
        if self.mode == "full":
            return (f"full: paper's setting, {self.runs} runs/σ, {self.train_iterations:,} train + "
                    f"{self.test_iterations:,} test iterations")
        return (f"{self.mode.upper()} RUN (not the paper's setting): {self.runs} runs/σ, "
                f"{self.train_iterations} train + {self.test_iterations} test iterations, "
                f"lr {self.lr:g}, ε decay {self.eps_decay:.3f}; `--full` for the paper's")


# Fewer runs and iterations; epsilon decays faster so that it ends where the
# paper's does (0.995^(5000*10/75) = 0.035), and a larger step makes up for the
# fewer gradient steps.
QUICK = StudyConfig(
    mode="quick",
    runs=4,
    swap_runs=4,
    nash_explore_runs=2,
    fixed_nash_runs=1,
    train_iterations=300,
    test_iterations=200,
    chunk=100,
    lr=1e-3,
    eps_decay=float(0.995 ** (5000 / 300)),
)
FULL = StudyConfig()


def run_group(cfg: StudyConfig, key, exploration: str, fixed_agents, per_sigma: int, swap: bool,
              name: str, out_dir: str, resume: bool = False) -> dict:
    """Train and test `per_sigma` runs for every sigma through the sweep engine.

    The runs are one vmapped program sharded over the devices, in chunks whose
    metrics and checkpoints go to `out_dir`. Returns NumPy arrays over runs:
    sigma [R], test_is [R, M, 2], volume [R, 2, N] (mean over the test episodes),
    train_is [R, blocks, 2], and with `swap` the same test metrics under the
    swapped sigma (swap_sigma, swap_is, swap_volume).
    """
    adapter, learner = dqn(cfg.game(), cfg.dqn(tuple(fixed_agents)), exploration)
    sigmas = np.repeat(np.asarray(cfg.sigmas, np.float64), per_sigma)
    swap_sigmas = np.array([SWAP.get(float(s), float(s)) for s in sigmas])
    params = {
        "own": engine.stack([adapter.make_params(cfg.game_params(s)) for s in sigmas]),
        "swap": engine.stack([adapter.make_params(cfg.game_params(s)) for s in swap_sigmas]),
    }
    n_runs = len(sigmas)
    hparams = engine.stack([cfg.hparams()] * n_runs)

    def test_under(name, which):  # the test phases run as one chunk each
        return engine.Phase(name, cfg.test_iterations, lambda c, p, h, n: learner.test(c, p[which], h, n),
                            cfg.test_iterations)

    phases = [
        engine.Phase("train", cfg.train_iterations, lambda c, p, h, n: learner.train_chunk(c, p["own"], h, n)),
        test_under("test", "own"),
    ]
    if swap:
        phases.append(test_under("swap", "swap"))
    plan = engine.Plan(lambda k, p, h: learner.init(k, p["own"], h), tuple(phases), cfg.chunk)
    print(f"  {name}: {n_runs} runs on {jax.device_count()} device(s)", file=sys.stderr)
    metrics = engine.run(plan, jax.random.split(key, n_runs), params, hparams, out_dir, resume=resume)
    out = {
        "sigma": sigmas,
        "test_is": metrics["test"]["is"],
        "volume": metrics["test"]["volume"].mean(1),
        "train_is": metrics["train"]["is"],
    }
    if swap:
        out.update(swap_sigma=swap_sigmas, swap_is=metrics["swap"]["is"],
                   swap_volume=metrics["swap"]["volume"].mean(1))
    return out


# ------------------------------------------------------------------ the study


def run_study(cfg: StudyConfig, out_dir: str, force: bool = False, resume: bool = False, log=print) -> dict:
    """Every experiment, figure and table of the reproduction, into `out_dir`."""
    cfg.validate()
    results = ResultsDir(out_dir, "execution", "reproduce",
                         {"config": dataclasses.asdict(cfg), "dqn_config": dataclasses.asdict(cfg.dqn())},
                         resume=resume, force=force)
    import matplotlib

    matplotlib.use("Agg")
    t_start = time.perf_counter()
    keys = jax.random.split(jax.random.key(cfg.seed), 3)
    log(f"reproduce execution ({cfg.mode}) -> {out_dir}")
    log("theory: Nash, TWAP, Pareto front")
    th = theory_for(cfg)
    timings = {}

    t0 = time.perf_counter()
    main = run_group(cfg, keys[0], "twap", (), cfg.runs, True, "main (Fig. 1-12)", os.path.join(out_dir, "runs", "main"), resume)
    timings["main"] = time.perf_counter() - t0
    nash_x = fixed = None
    if cfg.nash_explore_runs:
        t0 = time.perf_counter()
        nash_x = run_group(cfg, keys[1], "nash", (), cfg.nash_explore_runs, False,
                           "Nash-centred exploration (Fig. 13)", os.path.join(out_dir, "runs", "nash_exploration"),
                           resume)
        timings["nash_exploration"] = time.perf_counter() - t0
    if cfg.fixed_nash_runs:
        t0 = time.perf_counter()
        fixed = run_group(cfg, keys[2], "twap", (1,), cfg.fixed_nash_runs, False,
                          "against a fixed Nash player (Fig. 14)", os.path.join(out_dir, "runs", "fixed_nash"),
                          resume)
        timings["fixed_nash"] = time.perf_counter() - t0

    log("figures and tables")
    save = results.file

    rows_in = []
    fig_no = {1e-9: (1, 2), 1e-3: (3, 4), 1e-2: (5, 6)}
    by_sigma = {}
    for s in cfg.sigmas:
        sel = main["sigma"] == s
        by_sigma[s] = sel
        rows_in.append(("main", s, s, main["test_is"][sel], main["volume"][sel]))
        a, b = fig_no.get(s, (None, None))
        stem = f"sigma{s:.0e}"
        n_runs = int(sel.sum())
        fig_scatter(save(f"fig{a:02d}_scatter_{stem}.png" if a else f"scatter_{stem}.png"),
                    main["test_is"][sel], th,
                    (f"Fig. {a}: " if a else "") + f"IS per test iteration, {n_runs} runs × "
                    f"{cfg.test_iterations} iterations, {sigma_text(s)}; X: run centroids", cfg)
        fig_schedules(save(f"fig{b:02d}_schedules_{stem}.png" if b else f"schedules_{stem}.png"),
                      main["volume"][sel], th,
                      (f"Fig. {b}: " if b else "") + f"mean selling schedule per run, {sigma_text(s)}", cfg)
    fig_centroids(save("fig07_centroids_front.png"),
                  [(s, main["test_is"][by_sigma[s]].mean(1)) for s in cfg.sigmas], th,
                  f"Fig. 7: run centroids, {len(cfg.sigmas)} σ × {cfg.runs} runs, with the Pareto front", cfg)
    fig_mean_schedules(save("fig08_mean_schedule.png"),
                       [(sigma_text(s), main["volume"][by_sigma[s]]) for s in cfg.sigmas], th,
                       "Fig. 8: selling schedule averaged over runs", cfg)

    swap_figs = {(1e-9, 1e-2): (9, 10), (1e-2, 1e-9): (11, 12)}
    for (s_train, s_test), (a, b) in swap_figs.items():
        if s_train not in cfg.sigmas or cfg.swap_runs == 0:
            continue
        idx = np.flatnonzero(main["sigma"] == s_train)[: cfg.swap_runs]
        is_, vol = main["swap_is"][idx], main["swap_volume"][idx]
        rows_in.append(("swap", s_train, s_test, is_, vol))
        what = f"trained at {sigma_text(s_train)}, tested at {sigma_text(s_test)}"
        fig_scatter(save(f"fig{a:02d}_swap_scatter_train{s_train:.0e}_test{s_test:.0e}.png"), is_, th,
                    f"Fig. {a}: IS per test iteration, {len(idx)} runs, {what}", cfg)
        fig_schedules(save(f"fig{b:02d}_swap_schedules_train{s_train:.0e}_test{s_test:.0e}.png"), vol, th,
                      f"Fig. {b}: mean selling schedule per run, {what}", cfg)

    appendix = [
        ("nash_exploration", nash_x, "fig13_nash_exploration.png", (0, 1),
         f"Fig. 13: mean schedule over {cfg.nash_explore_runs} runs, "
         "exploration centred on the Nash schedule (Eq. 26)"),
        ("fixed_nash_opponent", fixed, "fig14_fixed_nash_opponent.png", (0,),
         f"Fig. 14: agent 1 learning against agent 2 playing Nash, mean over {cfg.fixed_nash_runs} run(s)"),
    ]
    for name, data, file, agents, title in appendix:
        if data is None:
            continue
        panels = []
        for s in cfg.sigmas:
            sel = data["sigma"] == s
            rows_in.append((name, s, s, data["test_is"][sel], data["volume"][sel]))
            panels.append((sigma_text(s), data["volume"][sel]))
        fig_mean_schedules(save(file), panels, th, title, cfg, agents=agents)

    rows = summarise(rows_in, th)
    arrays = {f"main_{k}": v for k, v in main.items()}
    for prefix, group in (("nash_exploration", nash_x), ("fixed_nash", fixed)):
        if group is not None:
            arrays.update({f"{prefix}_{k}": v for k, v in group.items()})
    arrays.update({f"theory_{k}": v for k, v in th.items()})
    atomic_savez(save("metrics.npz"), arrays)
    wall = time.perf_counter() - t_start
    results.finish(rows, {
        "mode": cfg.mode,
        "label": cfg.label(),
        "timing": cfg.timing,
        "theory": {"nash_is": th["nash_is"].tolist(), "pareto_is": th["pareto_is"].tolist(),
                   "nash_schedule": th["nash"][0].tolist(), "twap_schedule": th["twap"][0].tolist()},
    }, {**timings, "total": wall})
    log(f"done in {wall:.0f} s: {len(results.manifest['files'])} files in {out_dir}")
    return {"rows": rows, "wall_s": wall, "files": results.manifest["files"]}
