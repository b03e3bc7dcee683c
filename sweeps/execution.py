"""Reproduction of paper 001: Double-DQN traders in the execution game.

The adapter below is how the execution game plugs into the game-independent
learner (agents/): actions are volumes on a grid over [0, q0] as in Eq. (22),
given to the learner as features 2 v / q0 - 1 and to the game as fractions of
the remaining inventory.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from agents.adapter import EnvAdapter
from agents.dqn import DQNConfig, make_learner
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import ExecutionGame, ExecutionParams
from sweeps import driver, engine
from jaxmarkets.core import InputError

EXPLORATIONS = ("twap", "nash")


@struct.dataclass
class AdapterParams:
    game: ExecutionParams
    nash: jax.Array  # [n, N] Nash sells of the game's timing, computed before jit


class ExecutionAdapter(EnvAdapter):
    """Execution game <-> learner.

    exploration "twap": v ~ N(q_t / (N - t), |q_t / (N - t)|) (Eq. 22);
    "nash": v ~ N(v^N_t, |v^N_t|) (Eq. 26, Appendix A). Either is clipped to
    [0, q_t], the feasible sells; the last step sells what is left.
    """

    def __init__(self, game: ExecutionGame, exploration: str = "twap"):
        if exploration not in EXPLORATIONS:
            raise InputError(f"exploration = {exploration!r} is not one of {', '.join(EXPLORATIONS)}")
        super().__init__(game, game.n_steps)
        self.game = game
        self.exploration = exploration
        self.n_obs = 3

    def make_params(self, game_params: ExecutionParams) -> AdapterParams:
        self.game.validate(game_params)
        return AdapterParams(game_params, theory.nash_discrete(self.game, game_params))

    def env_params(self, params):
        return params.game

    def noise(self, key, params):
        return self.game.draw_noise(key, (self.n_steps,))

    def step(self, state, actions, noise_t, params):
        return self.game.step_with_noise(state, actions, noise_t, params.game)

    def _is_last(self, t_obs):
        # t_obs = 2 t / N - 1; the last step has t = N - 1
        return t_obs > 1.0 - 3.0 / self.n_steps

    def candidate_features(self, obs, grid):
        t_obs, q_obs = obs[..., 0:1], obs[..., 1:2]
        executed = jnp.minimum(grid, q_obs)  # a sell above the inventory sells it all
        return jnp.where(self._is_last(t_obs), q_obs, executed)

    def _feature(self, v, t, state, params):
        v = jnp.where(t >= self.n_steps - 1, state.q, jnp.clip(v, 0.0, state.q))
        return 2.0 * v / params.game.q0 - 1.0

    def explore(self, z, t, state, params):
        if self.exploration == "twap":
            mu = state.q / (self.n_steps - t)
        else:
            mu = params.nash[:, t]
        return self._feature(mu + jnp.abs(mu) * z, t, state, params)

    def fixed_action(self, t, state, params):
        return self._feature(params.nash[:, t], t, state, params)

    def env_action(self, features, state, params):
        v = (features + 1.0) * 0.5 * params.game.q0
        return jnp.clip(jnp.where(state.q > 0, v / jnp.where(state.q > 0, state.q, 1.0), 0.0), 0.0, 1.0)

    def reward(self, rewards, info, state, params):
        # Cash minus the volume's arrival value: the step's -IS. The episode's sum
        # differs from the cash by the constant S0 q0, so the optimal policy is the
        # same, and the values stay O(1) for the network.
        return rewards - params.game.S0 * info["volume"]

    def episode_metrics(self, infos):
        return {"is": infos["shortfall"][-1], "volume": infos["volume"].T}


# ======================================================================== study

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
        self.dqn().validate(2)

    def game(self) -> ExecutionGame:
        return ExecutionGame(n_agents=2, n_steps=self.n_steps, timing=self.timing)

    def game_params(self, sigma) -> ExecutionParams:
        return self.game().make_params(
            q0=self.q0, S0=self.S0, alpha=self.alpha, kappa=self.kappa, sigma=sigma
        )

    def dqn(self, fixed_agents=()) -> DQNConfig:
        return DQNConfig(
            lr=self.lr,
            eps_decay=self.eps_decay,
            n_actions=self.n_actions,
            batch_size=self.batch_size,
            memory_size=self.memory_size,
            train_iterations=self.train_iterations,
            test_iterations=self.test_iterations,
            log_every=max(1, self.chunk // 10) if self.chunk % 10 == 0 else self.chunk,
            fixed_agents=fixed_agents,
        )

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
              name: str, out_dir: str) -> dict:
    """Train and test `per_sigma` runs for every sigma through the sweep engine.

    The runs are one vmapped program sharded over the devices, in chunks whose
    metrics and checkpoints go to `out_dir`. Returns NumPy arrays over runs:
    sigma [R], test_is [R, M, 2], volume [R, 2, N] (mean over the test episodes),
    train_is [R, blocks, 2], and with `swap` the same test metrics under the
    swapped sigma (swap_sigma, swap_is, swap_volume).
    """
    game = cfg.game()
    adapter = ExecutionAdapter(game, exploration)
    dqn_config = cfg.dqn(tuple(fixed_agents))
    learner = make_learner(adapter, dqn_config)
    sigmas = np.repeat(np.asarray(cfg.sigmas, np.float64), per_sigma)
    swap_sigmas = np.array([SWAP.get(float(s), float(s)) for s in sigmas])
    params = {
        "own": engine.stack([adapter.make_params(cfg.game_params(s)) for s in sigmas]),
        "swap": engine.stack([adapter.make_params(cfg.game_params(s)) for s in swap_sigmas]),
    }
    n_runs = len(sigmas)
    hparams = engine.stack([dqn_config.hparams()] * n_runs)

    def test_under(name, which):  # the test phases run as one chunk each
        return engine.Phase(name, cfg.test_iterations, lambda c, p, h, n: learner.test(c, p[which], n),
                            cfg.test_iterations)

    phases = [
        engine.Phase("train", cfg.train_iterations, lambda c, p, h, n: learner.train_chunk(c, p["own"], h, n)),
        test_under("test", "own"),
    ]
    if swap:
        phases.append(test_under("swap", "swap"))
    plan = engine.Plan(lambda k, p, h: learner.init(k, p["own"], h), tuple(phases), cfg.chunk)
    print(f"  {name}: {n_runs} runs on {jax.device_count()} device(s)", file=sys.stderr)
    metrics = engine.run(plan, jax.random.split(key, n_runs), params, hparams, out_dir)
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


# ------------------------------------------------------------------ analysis


def polyline_distance(points, line):
    """Euclidean distance of each point [P, 2] to the polyline through line [L, 2]."""
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.einsum("psk,sk->ps", points[:, None, :] - a[None], ab) / np.maximum((ab**2).sum(-1), 1e-30)
    nearest = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(-1)).min(1)


def classify(centroids, nash_is, pareto_is):
    """Counts of centroids [R, 2] per quadrant around the Nash point, and in the rectangle.

    Quadrant 1: both agents pay more than at Nash; 3: both pay less (the
    supra-competitive side); 2: agent 1 pays less, agent 2 more; 4: the reverse.
    The supra-competitive rectangle: both between the Pareto optimum and Nash.
    """
    below = centroids < nash_is[None, :]
    q = {
        "q1": int(np.sum(~below[:, 0] & ~below[:, 1])),
        "q2": int(np.sum(below[:, 0] & ~below[:, 1])),
        "q3": int(np.sum(below[:, 0] & below[:, 1])),
        "q4": int(np.sum(~below[:, 0] & below[:, 1])),
    }
    inside = np.all((centroids >= pareto_is[None, :]) & (centroids <= nash_is[None, :]), axis=1)
    q["in_rectangle"] = int(inside.sum())
    return q


def fast_slow(volume, centroids, min_gap=1.0):
    """Runs whose agents trade at different speeds, and how many of those the faster wins.

    The faster agent holds less inventory on average over the episode; a pair
    counts when the mean inventories differ by more than `min_gap` shares.
    """
    mean_inventory = (volume.shape[-1] * volume.sum(-1, keepdims=True)
                      - np.cumsum(volume, -1).sum(-1, keepdims=True))[..., 0] / volume.shape[-1]
    gap = mean_inventory[:, 0] - mean_inventory[:, 1]
    pairs = np.abs(gap) > min_gap
    fast = np.where(gap > 0, 1, 0)  # agent index with less inventory
    fast_is = centroids[np.arange(len(fast)), fast]
    slow_is = centroids[np.arange(len(fast)), 1 - fast]
    return int(pairs.sum()), int(np.sum(pairs & (fast_is < slow_is)))


def theory_for(cfg: StudyConfig, n_front: int = 81) -> dict:
    game = cfg.game()
    p = cfg.game_params(cfg.sigmas[0])  # risk-neutral costs do not depend on sigma
    nash = theory.nash_discrete(game, p)
    twap = theory.twap(game, p)
    front, _ = theory.pareto_front(game, p, n_front)
    return {
        "nash": np.asarray(nash),
        "twap": np.asarray(twap),
        "nash_is": np.asarray(theory.expected_is(game, p, nash)),
        "pareto_is": np.asarray(theory.expected_is(game, p, twap)),
        "front": np.asarray(front),
    }


def summarise(rows_in, th) -> list[dict]:
    rows = []
    for experiment, sigma_train, sigma_test, is_, volume in rows_in:
        centroids = is_.mean(1)
        pairs, fast_wins = fast_slow(volume, centroids)
        # against a fixed Nash player only agent 1 learns: its schedule is the one to compare
        learners = [0] if experiment == "fixed_nash_opponent" else [0, 1]
        mean_sched = volume[:, learners].mean((0, 1))
        rows.append({
            "experiment": experiment,
            "sigma_train": sigma_train,
            "sigma_test": sigma_test,
            "runs": int(len(centroids)),
            **classify(centroids, th["nash_is"], th["pareto_is"]),
            "mean_distance_to_front": float(polyline_distance(centroids, th["front"]).mean()),
            "mean_is": float(centroids.mean()),
            "mean_is_agent1": float(centroids[:, 0].mean()),
            "mean_is_agent2": float(centroids[:, 1].mean()),
            "nash_is": float(th["nash_is"].mean()),
            "pareto_is": float(th["pareto_is"].mean()),
            "fast_slow_pairs": pairs,
            "fast_has_lower_is": fast_wins,
            "schedule_l1_to_nash": float(np.abs(mean_sched - th["nash"].mean(0)).sum()),
            "schedule_l1_to_twap": float(np.abs(mean_sched - th["twap"].mean(0)).sum()),
        })
    return rows


# ------------------------------------------------------------------ figures

_SIGMA_COLOURS = {1e-9: "tab:blue", 1e-3: "tab:orange", 1e-2: "tab:red"}


def _sigma_text(s):
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
                color=_SIGMA_COLOURS.get(sigma, None), label=_sigma_text(sigma))
    _reference_marks(ax, th)
    allc = np.concatenate([c for _, c in groups] + [th["nash_is"][None], th["pareto_is"][None]])
    lo, hi = allc.min(0), allc.max(0)
    pad = 0.15 * (hi - lo) + 0.1
    _finish_is_axes(fig, ax, path, lo - pad, hi + pad, "IS agent 1 (centroid)", "IS agent 2 (centroid)",
                    title, cfg, th)


# ------------------------------------------------------------------ the study


def run_study(cfg: StudyConfig, out_dir: str, force: bool = False, log=print) -> dict:
    """Every experiment, figure and table of the reproduction, into `out_dir`."""
    cfg.validate()
    driver.prepare_dir(out_dir, None, resume=False, force=force)
    import matplotlib

    matplotlib.use("Agg")
    t_start = time.perf_counter()
    keys = jax.random.split(jax.random.key(cfg.seed), 3)
    log(f"reproduce execution ({cfg.mode}) -> {out_dir}")
    log("theory: Nash, TWAP, Pareto front")
    th = theory_for(cfg)
    timings = {}

    t0 = time.perf_counter()
    main = run_group(cfg, keys[0], "twap", (), cfg.runs, True, "main (Fig. 1-12)", os.path.join(out_dir, "runs", "main"))
    timings["main_s"] = time.perf_counter() - t0
    nash_x = fixed = None
    if cfg.nash_explore_runs:
        t0 = time.perf_counter()
        nash_x = run_group(cfg, keys[1], "nash", (), cfg.nash_explore_runs, False,
                           "Nash-centred exploration (Fig. 13)", os.path.join(out_dir, "runs", "nash_exploration"))
        timings["nash_explore_s"] = time.perf_counter() - t0
    if cfg.fixed_nash_runs:
        t0 = time.perf_counter()
        fixed = run_group(cfg, keys[2], "twap", (1,), cfg.fixed_nash_runs, False,
                          "against a fixed Nash player (Fig. 14)", os.path.join(out_dir, "runs", "fixed_nash"))
        timings["fixed_nash_s"] = time.perf_counter() - t0

    log("figures and tables")
    files = []

    def save(name):
        files.append(name)
        return os.path.join(out_dir, name)

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
                    f"{cfg.test_iterations} iterations, {_sigma_text(s)}; X: run centroids", cfg)
        fig_schedules(save(f"fig{b:02d}_schedules_{stem}.png" if b else f"schedules_{stem}.png"),
                      main["volume"][sel], th,
                      (f"Fig. {b}: " if b else "") + f"mean selling schedule per run, {_sigma_text(s)}", cfg)
    fig_centroids(save("fig07_centroids_front.png"),
                  [(s, main["test_is"][by_sigma[s]].mean(1)) for s in cfg.sigmas], th,
                  f"Fig. 7: run centroids, {len(cfg.sigmas)} σ × {cfg.runs} runs, with the Pareto front", cfg)
    fig_mean_schedules(save("fig08_mean_schedule.png"),
                       [(_sigma_text(s), main["volume"][by_sigma[s]]) for s in cfg.sigmas], th,
                       "Fig. 8: selling schedule averaged over runs", cfg)

    swap_figs = {(1e-9, 1e-2): (9, 10), (1e-2, 1e-9): (11, 12)}
    for (s_train, s_test), (a, b) in swap_figs.items():
        if s_train not in cfg.sigmas or cfg.swap_runs == 0:
            continue
        idx = np.flatnonzero(main["sigma"] == s_train)[: cfg.swap_runs]
        is_, vol = main["swap_is"][idx], main["swap_volume"][idx]
        rows_in.append(("swap", s_train, s_test, is_, vol))
        what = f"trained at {_sigma_text(s_train)}, tested at {_sigma_text(s_test)}"
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
            panels.append((_sigma_text(s), data["volume"][sel]))
        fig_mean_schedules(save(file), panels, th, title, cfg, agents=agents)

    rows = summarise(rows_in, th)
    with open(save("summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    arrays = {f"main_{k}": v for k, v in main.items()}
    for prefix, group in (("nash_exploration", nash_x), ("fixed_nash", fixed)):
        if group is not None:
            arrays.update({f"{prefix}_{k}": v for k, v in group.items()})
    arrays.update({f"theory_{k}": v for k, v in th.items()})
    np.savez_compressed(save("metrics.npz"), **arrays)
    wall = time.perf_counter() - t_start
    summary = {
        "mode": cfg.mode,
        "label": cfg.label(),
        "timing": cfg.timing,
        "theory": {"nash_is": th["nash_is"].tolist(), "pareto_is": th["pareto_is"].tolist(),
                   "nash_schedule": th["nash"][0].tolist(), "twap_schedule": th["twap"][0].tolist()},
        "rows": rows,
    }
    with open(save("summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    manifest = {
        "study": "execution (paper 001)",
        "config": dataclasses.asdict(cfg),
        "dqn_config": dataclasses.asdict(cfg.dqn()),
        "versions": engine.versions(),
        **engine.device_info(),
        "timings_s": {**timings, "total": wall},
        "files": files + ["manifest.json"],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    log(f"done in {wall:.0f} s: {len(files) + 1} files in {out_dir}")
    return {"rows": rows, "wall_s": wall, "files": files}
