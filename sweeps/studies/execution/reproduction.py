"""Reproduction of paper 001: Double-DQN traders in the execution game, Figures
1-14 and the summary table, every group of runs through the sweep engine (so a
killed reproduction resumes with `--resume`).

With `learner="ppo"` the same experiment with PPO traders on the continuous
action (the fraction of the remaining inventory sold each step): the same
sigmas, Figures 1-12 and summary, plus a comparison with DDQN traders of the
same game (their centroids, Nash, TWAP and the Pareto front on one plot). The
DDQN side is read from a DDQN reproduction's results directory when one is
given, else its main experiment is run here (see `run_study`). Figures 13
(Nash-centred epsilon-exploration) and 14 (a fixed Nash opponent) are DDQN
experiments and have no PPO counterpart.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

import jax
import numpy as np

from agents.dqn import DQNConfig, DQNHparams
from agents.pg import PGConfig, PGHparams
from agents.pg import validate_hparams as validate_pg_hparams
from jaxmarkets.core import InputError
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import ExecutionGame, ExecutionParams
from sweeps import engine
from sweeps.engine.checkpoint import atomic_savez
from sweeps.engine.results import ResultsDir, read_manifest, write_csv
from sweeps.studies.execution.adapter import dqn, policy_gradient
from sweeps.studies.execution.analysis import learner_centroid_rows, summarise, theory_for
from sweeps.studies.execution.figures import (
    fig_centroids,
    fig_learners,
    fig_mean_schedules,
    fig_scatter,
    fig_schedules,
    sigma_text,
)

SWAP = {1e-9: 1e-2, 1e-2: 1e-9}  # Section 4.5: train in one regime, test in the other
STUDY_LEARNERS = ("ddqn", "ppo")
# the game fields a DDQN results directory must share with a PPO study to be compared
GAME_FIELDS = ("timing", "q0", "S0", "alpha", "kappa", "n_steps")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Section 4 and Appendix A of paper 001; the defaults are the paper's (--full).

    `learner="ppo"` trains PPO traders instead: `train_iterations` then counts
    updates of `pg.episodes` parallel episodes, `test_iterations` test batches
    of as many episodes, and lr, eps_decay, n_actions, batch_size and
    memory_size (DDQN's) are not used; `pg`, `pg_lr` and `pg_entropy_coef` are.
    """

    mode: str = "full"
    learner: str = "ddqn"
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
    # PPO (learner "ppo"): its static config (the iteration counts above replace
    # its own) and the two hparams set here; the rest are PGHparams' defaults
    pg: PGConfig = PGConfig()
    pg_lr: float = 3e-4
    pg_entropy_coef: float = 0.01

    def validate(self):
        if self.mode not in ("quick", "full", "custom"):
            raise InputError(f"mode = {self.mode!r} is not one of quick, full, custom")
        if self.learner not in STUDY_LEARNERS:
            raise InputError(f"learner = {self.learner!r} is not one of the allowed values: "
                             + ", ".join(repr(a) for a in STUDY_LEARNERS))
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
        if self.learner == "ddqn":
            self.dqn().validate(2)
            return
        for name in ("nash_explore_runs", "fixed_nash_runs"):
            if getattr(self, name):
                raise InputError(f"{name} = {getattr(self, name)} with learner = {self.learner!r}: "
                                 f"allowed range [0, 0] (a DDQN experiment: epsilon-exploration "
                                 f"centred on Nash, a fixed Nash opponent)")
        self.pg_config().validate()
        validate_pg_hparams(self.hparams())

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

    def pg_config(self) -> PGConfig:
        return dataclasses.replace(
            self.pg, learner=self.learner, train_iterations=self.train_iterations,
            test_iterations=self.test_iterations,
            log_every=max(1, self.chunk // 10) if self.chunk % 10 == 0 else self.chunk,
        )

    def hparams(self) -> DQNHparams | PGHparams:
        if self.learner == "ddqn":
            return DQNHparams.make(lr=self.lr, eps_decay=self.eps_decay)
        return PGHparams.make(lr=self.pg_lr, entropy_coef=self.pg_entropy_coef)

    def test_unit(self) -> str:
        """What one point of a scatter is: a DDQN greedy episode, or a PPO test batch's mean."""
        if self.learner == "ddqn":
            return "test iteration"
        return f"test batch (mean of {self.pg.episodes} episodes)"

    def label(self) -> str:
        if self.learner != "ddqn":
            pg = self.pg_config()
            epochs, minibatches = pg.passes
            return (f"{self.mode.upper()} RUN, PPO traders (no paper setting for PPO): {self.runs} runs/σ, "
                    f"{self.train_iterations} updates x {pg.episodes} episodes + {self.test_iterations} "
                    f"test batches, {pg.n_layers} x {pg.hidden} actor and critic, {epochs} epochs x "
                    f"{minibatches} minibatches, lr {self.pg_lr:g}, entropy {self.pg_entropy_coef:g}, "
                    f"test policy '{pg.test_policy}'")
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
# PPO: PGHparams' defaults (lr 3e-4, clip 0.2, GAE 0.95, entropy 0.01), not tuned
# on this game; the network, epochs and minibatches are the `bench pg` shape
# (2 x 64, 4 x 4). 300 updates of 64 episodes are 19,200 episodes per run, the
# training IS flattens after about 100 updates. The test samples the policy:
# its stochastic policy is what PPO optimises (its median policy is another
# strategy, a `test_policy` away).
PPO_QUICK = StudyConfig(
    mode="quick", learner="ppo", runs=4, swap_runs=4, nash_explore_runs=0, fixed_nash_runs=0,
    train_iterations=300, test_iterations=10, chunk=100,
)
PPO_FULL = dataclasses.replace(
    PPO_QUICK, mode="full", runs=20, swap_runs=10, train_iterations=2000, test_iterations=40, chunk=500,
)
CONFIGS = {("ddqn", "quick"): QUICK, ("ddqn", "full"): FULL,
           ("ppo", "quick"): PPO_QUICK, ("ppo", "full"): PPO_FULL}


def ddqn_reference(cfg: StudyConfig) -> StudyConfig:
    """The DDQN main experiment a PPO study is compared with: DDQN's config of
    the same mode (quick for a custom one), with the PPO study's game, sigmas,
    runs and seed, and only its main experiment."""
    base = FULL if cfg.mode == "full" else QUICK
    return dataclasses.replace(
        base, mode=cfg.mode, learner="ddqn", sigmas=cfg.sigmas, runs=cfg.runs, swap_runs=0,
        nash_explore_runs=0, fixed_nash_runs=0, seed=cfg.seed,
        **{k: getattr(cfg, k) for k in GAME_FIELDS},
    )


def run_group(cfg: StudyConfig, key, exploration: str, fixed_agents, per_sigma: int, swap: bool,
              name: str, out_dir: str, resume: bool = False) -> dict:
    """Train and test `per_sigma` runs for every sigma through the sweep engine.

    The runs are one vmapped program sharded over the devices, in chunks whose
    metrics and checkpoints go to `out_dir`. Returns NumPy arrays over runs:
    sigma [R], test_is [R, M, 2], volume [R, 2, N] (mean over the test episodes),
    train_is [R, blocks, 2], and with `swap` the same test metrics under the
    swapped sigma (swap_sigma, swap_is, swap_volume).
    """
    if cfg.learner == "ddqn":
        adapter, learner = dqn(cfg.game(), cfg.dqn(tuple(fixed_agents)), exploration)
    else:
        assert not fixed_agents and exploration == "twap", "DDQN-only experiment"
        adapter, learner = policy_gradient(cfg.game(), cfg.pg_config())
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


def load_ddqn_results(path: str, cfg: StudyConfig) -> dict:
    """The main experiment of a complete DDQN reproduction in `path`, restricted to
    `cfg`'s sigmas, as `run_group` returns it; its game must be `cfg`'s."""
    manifest = read_manifest(path, "--ddqn-results")
    other = manifest.get("config", {})
    if manifest.get("study") != "execution" or manifest.get("kind") != "reproduce":
        raise InputError(f"--ddqn-results {path}: not a `reproduce execution` results directory")
    if other.get("learner", "ddqn") != "ddqn":
        raise InputError(f"--ddqn-results {path}: its learner is {other.get('learner')!r}; allowed: 'ddqn'")
    if manifest.get("status") != "complete":
        raise InputError(f"--ddqn-results {path}: status {manifest.get('status')!r}; allowed: 'complete' "
                         f"(finish it with `reproduce execution --resume --out {path}`)")
    for name in GAME_FIELDS:
        if other.get(name) != getattr(cfg, name):
            raise InputError(f"--ddqn-results {path}: its {name} = {other.get(name)!r}, this study's is "
                             f"{getattr(cfg, name)!r}; allowed: the same game")
    with np.load(os.path.join(path, "metrics.npz")) as data:
        sigma = data["main_sigma"]
        missing = [s for s in cfg.sigmas if not np.any(sigma == s)]
        if missing:
            raise InputError(f"--ddqn-results {path}: has no runs at sigma = {missing[0]:g}; allowed: a "
                             f"directory with runs at every sigma of this study ({cfg.sigmas})")
        keep = np.isin(sigma, np.asarray(cfg.sigmas, sigma.dtype))
        return {"sigma": sigma[keep], "test_is": data["main_test_is"][keep],
                "volume": data["main_volume"][keep]}


def _check_reference(reference: StudyConfig, cfg: StudyConfig) -> None:
    reference.validate()
    if reference.learner != "ddqn":
        raise InputError(f"the comparison's reference learner = {reference.learner!r}; allowed: 'ddqn'")
    for name in GAME_FIELDS + ("sigmas",):
        if getattr(reference, name) != getattr(cfg, name):
            raise InputError(f"the DDQN reference's {name} = {getattr(reference, name)!r}, this study's is "
                             f"{getattr(cfg, name)!r}; allowed: the same")


def run_study(cfg: StudyConfig, out_dir: str, force: bool = False, resume: bool = False, log=print,
              ddqn: str | StudyConfig | None = None) -> dict:
    """Every experiment, figure and table of the reproduction, into `out_dir`.

    A PPO study (`cfg.learner == "ppo"`) is compared with DDQN traders: `ddqn`
    is a DDQN reproduction's results directory to read them from, or the DDQN
    config whose main experiment runs here first (into runs/ddqn_main, resumable
    with the rest); None runs `ddqn_reference(cfg)`, which is the main
    experiment of `reproduce execution` of the same mode and seed (the same
    runs, key for key).
    """
    cfg.validate()
    reference = None
    if cfg.learner != "ddqn":
        reference = ddqn if ddqn is not None else ddqn_reference(cfg)
        if isinstance(reference, str):
            load_ddqn_results(reference, cfg)  # every check before anything compiles
        else:
            _check_reference(reference, cfg)
    identity = {"config": dataclasses.asdict(cfg)}
    if cfg.learner == "ddqn":
        identity["dqn_config"] = dataclasses.asdict(cfg.dqn())
    else:
        identity["pg_config"] = dataclasses.asdict(cfg.pg_config())
        identity["ddqn_reference"] = (os.path.abspath(reference) if isinstance(reference, str)
                                      else dataclasses.asdict(reference))
    results = ResultsDir(out_dir, "execution", "reproduce", identity, resume=resume, force=force)
    import matplotlib

    matplotlib.use("Agg")
    t_start = time.perf_counter()
    keys = jax.random.split(jax.random.key(cfg.seed), 3)
    log(f"reproduce execution ({cfg.mode}, {cfg.learner}) -> {out_dir}")
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
    ddqn_main = None
    if isinstance(reference, str):
        ddqn_main = load_ddqn_results(reference, cfg)
    elif reference is not None:
        t0 = time.perf_counter()
        ddqn_main = run_group(reference, jax.random.split(jax.random.key(reference.seed), 3)[0], "twap", (),
                              reference.runs, False, "DDQN main experiment (comparison)",
                              os.path.join(out_dir, "runs", "ddqn_main"), resume)
        timings["ddqn_reference"] = time.perf_counter() - t0

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
                    (f"Fig. {a}: " if a else "") + f"IS per {cfg.test_unit()}, {n_runs} runs × "
                    f"{cfg.test_iterations}, {sigma_text(s)}; X: run centroids", cfg)
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
                    f"Fig. {a}: IS per {cfg.test_unit()}, {len(idx)} runs, {what}", cfg)
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

    summary_extra = {}
    if ddqn_main is not None:
        groups = []
        for name, data in ((cfg.learner, main), ("ddqn", ddqn_main)):
            for s in cfg.sigmas:
                groups.append((name, s, data["test_is"][data["sigma"] == s]))
        for s in cfg.sigmas:
            sel = ddqn_main["sigma"] == s
            rows_in.append(("ddqn_main", s, s, ddqn_main["test_is"][sel], ddqn_main["volume"][sel]))
        centroid_rows = learner_centroid_rows(groups, th)
        write_csv(save("comparison_centroids.csv"), centroid_rows)
        source = reference if isinstance(reference, str) else "runs/ddqn_main (run here)"
        fig_learners(save("fig15_learners_centroids.png"),
                     [(name, s, is_.mean(1)) for name, s, is_ in groups], th,
                     f"run centroids: {cfg.learner.upper()} against DDQN ({source}), with Nash, TWAP and "
                     f"the Pareto front", cfg)
        summary_extra["ddqn_reference"] = source

    rows = [{"learner": "ddqn" if r["experiment"] == "ddqn_main" else cfg.learner, **r}
            for r in summarise(rows_in, th)]
    arrays = {f"main_{k}": v for k, v in main.items()}
    for prefix, group in (("nash_exploration", nash_x), ("fixed_nash", fixed), ("ddqn_main", ddqn_main)):
        if group is not None:
            arrays.update({f"{prefix}_{k}": v for k, v in group.items()})
    arrays.update({f"theory_{k}": v for k, v in th.items()})
    atomic_savez(save("metrics.npz"), arrays)
    wall = time.perf_counter() - t_start
    results.finish(rows, {
        "mode": cfg.mode,
        "learner": cfg.learner,
        "label": cfg.label(),
        **summary_extra,
        "timing": cfg.timing,
        "theory": {"nash_is": th["nash_is"].tolist(), "pareto_is": th["pareto_is"].tolist(),
                   "nash_schedule": th["nash"][0].tolist(), "twap_schedule": th["twap"][0].tolist()},
    }, {**timings, "total": wall})
    log(f"done in {wall:.0f} s: {len(results.manifest['files'])} files in {out_dir}")
    return {"rows": rows, "wall_s": wall, "files": results.manifest["files"]}
