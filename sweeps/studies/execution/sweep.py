"""The execution game's sweep study: Double-DQN pairs over any grid of game params
and learner hparams, and any number of seeds, through the sweep engine.

Grid fields (`--set`, traced): the game's params (q0, S0, alpha, kappa, sigma,
tau, lam) and the learner's hparams (lr, gamma, eps_start, eps_decay). Static
fields (`--config`) are those of `SweepConfig` and of its `DQNConfig`; they
stay the same across the grid.
"""

from __future__ import annotations

import dataclasses
import os

import jax
import jax.numpy as jnp
import numpy as np

from agents.dqn import DQNConfig, DQNHparams, validate_hparams
from jaxmarkets.core import InputError, check_choice, check_int, with_overrides
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import DEFAULT_TIMING, TIMINGS, ExecutionGame, ExecutionParams
from sweeps import engine
from sweeps.engine.grid import Grid
from sweeps.engine.results import Setup
from sweeps.studies.execution.adapter import EXPLORATIONS, dqn
from sweeps.studies.execution.analysis import classify, polyline_distance

PARAMS = ExecutionParams  # the traced fields a grid may vary: these and the learner's
HPARAMS = DQNHparams
CONFIG_EXCLUDE = ("fixed_agents", "pad_to", "unroll_steps", "halve_memory", "leaky_slope")


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """The sweep's static fields; the learner's default to Table 1."""

    timing: str = DEFAULT_TIMING
    n_steps: int = 10
    exploration: str = "twap"
    chunk: int = 500  # iterations per compiled chunk: a checkpoint and a progress update each
    learner: DQNConfig = DQNConfig()

    def validate(self) -> None:
        check_choice("timing", self.timing, TIMINGS)
        check_int("n_steps", self.n_steps, 1)
        check_choice("exploration", self.exploration, EXPLORATIONS)
        check_int("chunk", self.chunk, 1)
        dqn_cfg = self.learner
        check_int("train_iterations", dqn_cfg.train_iterations, 1)
        # the summary places each run's centroid of test episodes: at least one is needed
        check_int("test_iterations", dqn_cfg.test_iterations, 1)
        for name in ("train_iterations", "test_iterations"):
            if getattr(dqn_cfg, name) % self.chunk:
                raise InputError(
                    f"chunk = {self.chunk} must divide {name} = {getattr(dqn_cfg, name)}; "
                    f"allowed: a divisor of both train_iterations and test_iterations"
                )
        if self.chunk % dqn_cfg.log_every:
            raise InputError(f"chunk = {self.chunk} is not a multiple of log_every = {dqn_cfg.log_every}")
        dqn_cfg.validate(2)


def setup(grid: Grid, seeds: list[int], config: SweepConfig) -> Setup:
    """Validate everything, then build the engine's inputs (nothing compiled yet)."""
    config.validate()
    game = ExecutionGame(n_agents=2, n_steps=config.n_steps, timing=config.timing)
    adapter, learner = dqn(game, config.learner, config.exploration)
    param_fields = {f.name for f in dataclasses.fields(PARAMS)}
    hparam_fields = {f.name for f in dataclasses.fields(HPARAMS)}
    unknown = [n for n in grid.names if n not in param_fields | hparam_fields]
    if unknown:
        raise InputError(
            f"unknown --set field {unknown[0]!r}; allowed: {', '.join(sorted(param_fields | hparam_fields))}"
        )

    points = grid.points()
    base_hp = learner.default_hparams()
    hparams = []
    with jax.enable_x64(False):
        game_params = []
        for point in points:  # every point validated before any is solved
            p = with_overrides(game.default_params(), {k: v for k, v in point.items() if k in param_fields})
            game.validate(p)
            theory.check_discrete_nash(game, p)
            game_params.append(p)
            hp = with_overrides(base_hp, {k: v for k, v in point.items() if k in hparam_fields})
            validate_hparams(hp)
            hparams.append(hp)
        adapter_params = [adapter.make_params(p) for p in game_params]  # solves each Nash schedule
    n_seeds = len(seeds)
    repeat = lambda tree: jax.tree.map(lambda x: jnp.repeat(x, n_seeds, axis=0), tree)  # noqa: E731
    keys = jnp.concatenate([jax.vmap(jax.random.key)(jnp.asarray(seeds))] * len(points))
    plan = engine.learner_plan(learner, config.learner.train_iterations, config.learner.test_iterations,
                               config.chunk)

    def summarise(runs, metrics, out_dir):
        seed_robustness_figure(os.path.join(out_dir, "seed_robustness.png"), game, points, n_seeds,
                               adapter_params, metrics)
        return summary_rows(game, points, n_seeds, adapter_params, metrics)

    return Setup(plan, keys, repeat(engine.stack(adapter_params)), repeat(engine.stack(hparams)), summarise)


def summary_rows(game, points, n_seeds, adapter_params, metrics) -> list[dict]:
    """Per grid point: where the runs' test centroids lie against Nash, the Pareto
    optimum (TWAP) and the Pareto front, with the same rules as the reproduction."""
    test_is = np.asarray(metrics["test"]["is"])  # [runs, episodes, 2]
    centroids = test_is.mean(1).reshape(len(points), n_seeds, 2)
    rows = []
    for i, point in enumerate(points):
        th = _theory(game, adapter_params[i])
        c = centroids[i]
        counts = classify(c, th["nash_is"], th["pareto_is"])
        rows.append({
            **point,
            "seeds": n_seeds,
            **{f"share_{k}": counts[k] / n_seeds for k in ("in_rectangle", "q1", "q2", "q3", "q4")},
            "mean_distance_to_front": float(polyline_distance(c, th["front"]).mean()),
            "mean_is": float(c.mean()),
            "nash_is": float(th["nash_is"].mean()),
            "pareto_is": float(th["pareto_is"].mean()),
        })
    return rows


def _theory(game, adapter_params) -> dict:
    gp = adapter_params.game
    front, _ = theory.pareto_front(game, gp, 41)
    return {
        "nash_is": np.asarray(theory.expected_is(game, gp, adapter_params.nash)),
        "pareto_is": np.asarray(theory.expected_is(game, gp, theory.twap(game, gp))),
        "front": np.asarray(front),
    }


def seed_robustness_figure(path, game, points, n_seeds, adapter_params, metrics, rng_seed=0):
    """How the share of centroids in the supra-competitive rectangle depends on the seeds:
    its running value as seeds accumulate, with a bootstrap 90% band over seed sets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centroids = np.asarray(metrics["test"]["is"]).mean(1).reshape(len(points), n_seeds, 2)
    rng = np.random.default_rng(rng_seed)
    fig, (ax_run, ax_boot) = plt.subplots(1, 2, figsize=(11, 4))
    for i, point in enumerate(points):
        th = _theory(game, adapter_params[i])
        inside = np.all((centroids[i] >= th["pareto_is"]) & (centroids[i] <= th["nash_is"]), axis=1)
        label = ", ".join(f"{k}={v}" for k, v in point.items()) or "default"
        seeds = np.arange(1, n_seeds + 1)
        ax_run.plot(seeds, np.cumsum(inside) / seeds, label=label)
        sizes = np.unique(np.geomspace(1, n_seeds, 20).astype(int))
        boots = np.array([[rng.choice(inside, size).mean() for _ in range(400)] for size in sizes])
        lo, hi = np.percentile(boots, [5, 95], axis=1)
        ax_boot.fill_between(sizes, lo, hi, alpha=0.3, label=label)
    ax_run.set(xlabel="seeds so far", ylabel="share in the supra-competitive rectangle",
               title="running share as seeds accumulate", xscale="log")
    ax_boot.set(xlabel="seeds per study", ylabel="share (5-95% over resampled seed sets)",
                title="what a study with this many seeds could report", xscale="log")
    ax_run.legend(fontsize=7)
    fig.suptitle(f"execution sweep: {n_seeds} seeds per grid point, timing '{game.timing}'")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
