"""The execution game's sweep study: pairs of Double-DQN, PPO or REINFORCE
traders over any grid of game params and learner hparams, and any number of
seeds, through the sweep engine.

`--config learner=ddqn|ppo|reinforce` chooses the learner (default ddqn).
Grid fields (`--set`, traced): the game's params (q0, S0, alpha, kappa, sigma,
tau, lam) and the chosen learner's hparams (DDQN: lr, gamma, eps_start,
eps_decay; PPO/REINFORCE: lr, gamma, gae_lambda, clip, entropy_coef,
value_coef, max_grad_norm). Static fields (`--config`) are those of
`SweepConfig`: the fields both learners' configs have (hidden, n_layers,
train_iterations, test_iterations, log_every) once at the top, unset meaning
that learner's own default, and the rest of `DQNConfig` and of `PGConfig`
in `dqn` and `pg`, generated from those dataclasses so that a new learner field
is a new `--config` name without code here. Setting a field of the learner not
chosen is an error, not silently ignored.
"""

from __future__ import annotations

import dataclasses
import os
import typing

import jax
import numpy as np

from agents.dqn import DQNConfig, DQNHparams
from agents.pg import LEARNERS as PG_LEARNERS
from agents.pg import PGConfig, PGHparams
from jaxmarkets.core import InputError, check_choice, check_int, with_overrides
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import DEFAULT_TIMING, TIMINGS, ExecutionGame, ExecutionParams
from sweeps import engine
from sweeps.engine.grid import Grid
from sweeps.engine.results import Setup
from sweeps.studies.execution.adapter import EXPLORATIONS, dqn, policy_gradient
from sweeps.studies.execution.analysis import classify, polyline_distance

LEARNERS = ("ddqn",) + PG_LEARNERS
# fields both learner configs have: one --config name each, at the sweep's top level
SHARED = ("hidden", "n_layers", "train_iterations", "test_iterations", "log_every")
CONFIG_EXCLUDE = ("fixed_agents", "pad_to", "unroll_steps", "halve_memory", "leaky_slope")


def _options(cls, drop: tuple[str, ...], name: str):
    """A frozen dataclass with the fields, types and defaults of `cls` less `drop`."""
    hints = typing.get_type_hints(cls)
    fields = [(f.name, hints[f.name], dataclasses.field(default=f.default))
              for f in dataclasses.fields(cls) if f.name not in drop]
    cls_ = dataclasses.make_dataclass(name, fields, frozen=True)
    cls_.__module__ = __name__
    return cls_


DQNOptions = _options(DQNConfig, SHARED, "DQNOptions")
PGOptions = _options(PGConfig, SHARED + ("learner",), "PGOptions")  # `learner` is the sweep's
PARAMS = ExecutionParams  # the traced fields a grid may vary: these and the chosen learner's
# every learner's traced fields, for the command's help; `setup` checks against the chosen one's
HPARAMS = dataclasses.make_dataclass(
    "AnyHparams", sorted({f.name for c in (DQNHparams, PGHparams) for f in dataclasses.fields(c)}))


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """The sweep's static fields; each learner's default to its own (DDQN: Table 1)."""

    learner: str = "ddqn"
    timing: str = DEFAULT_TIMING
    n_steps: int = 10
    exploration: str = "twap"  # DDQN only: where its epsilon-exploration is centred
    chunk: int = 500  # training iterations per compiled chunk: a checkpoint and a progress update each
    hidden: int | None = None  # None: the learner's default
    n_layers: int | None = None
    train_iterations: int | None = None  # DDQN: episodes; PPO/REINFORCE: updates
    test_iterations: int | None = None  # DDQN: greedy episodes; PPO/REINFORCE: batches of `episodes`
    log_every: int | None = None
    dqn: DQNOptions = DQNOptions()
    pg: PGOptions = PGOptions()

    def _shared(self) -> dict:
        return {k: getattr(self, k) for k in SHARED if getattr(self, k) is not None}

    def dqn_config(self) -> DQNConfig:
        return DQNConfig(**dataclasses.asdict(self.dqn), **self._shared())

    def pg_config(self) -> PGConfig:
        return PGConfig(learner=self.learner, **dataclasses.asdict(self.pg), **self._shared())

    def learner_config(self) -> DQNConfig | PGConfig:
        return self.dqn_config() if self.learner == "ddqn" else self.pg_config()

    def validate(self) -> None:
        check_choice("learner", self.learner, LEARNERS)
        check_choice("timing", self.timing, TIMINGS)
        check_int("n_steps", self.n_steps, 1)
        check_int("chunk", self.chunk, 1)
        for name in SHARED:  # these fields' types are not checked by the command line (Optional)
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name), 1)
        # a field of the learner not chosen would be silently ignored: refuse it
        other, other_learners = ((self.pg, "ppo, reinforce") if self.learner == "ddqn"
                                 else (self.dqn, "ddqn"))
        for f in dataclasses.fields(other):
            if getattr(other, f.name) != f.default:
                raise InputError(f"{f.name} is a field of learner {other_learners}, not of "
                                 f"learner = {self.learner!r}; allowed: leave it unset")
        if self.learner != "ddqn":
            check_choice("exploration (a DDQN field; PPO and REINFORCE explore by sampling)",
                         self.exploration, ("twap",))
        else:
            check_choice("exploration", self.exploration, EXPLORATIONS)
        cfg = self.learner_config()
        # the summary places each run's centroid of test episodes: at least one is needed
        check_int("train_iterations", cfg.train_iterations, 1)
        check_int("test_iterations", cfg.test_iterations, 1)
        # DDQN tests in chunks too; a policy's test is one chunk (a few batches of episodes)
        chunked = ("train_iterations", "test_iterations") if self.learner == "ddqn" else ("train_iterations",)
        for name in chunked:
            if getattr(cfg, name) % self.chunk:
                raise InputError(
                    f"chunk = {self.chunk} must divide {name} = {getattr(cfg, name)}; "
                    f"allowed: a divisor of {' and '.join(chunked)}"
                )
        if self.chunk % cfg.log_every:
            raise InputError(f"chunk = {self.chunk} is not a multiple of log_every = {cfg.log_every}")
        if self.learner == "ddqn":
            cfg.validate(2)
        else:
            cfg.validate()

    def make_learner(self, game: ExecutionGame):
        """(adapter, learner, test chunk size) of the chosen learner."""
        if self.learner == "ddqn":
            return (*dqn(game, self.dqn_config(), self.exploration), None)
        cfg = self.pg_config()
        return (*policy_gradient(game, cfg), cfg.test_iterations)


def setup(grid: Grid, seeds: list[int], config: SweepConfig) -> Setup:
    """Validate everything, then build the engine's inputs (nothing compiled yet)."""
    config.validate()
    game = ExecutionGame(n_agents=2, n_steps=config.n_steps, timing=config.timing)
    adapter, learner, test_chunk = config.make_learner(game)
    base_hp = learner.default_hparams()
    param_fields = {f.name for f in dataclasses.fields(PARAMS)}
    hparam_fields = {f.name for f in dataclasses.fields(base_hp)}
    grid.check_names(param_fields | hparam_fields, f"learner = {config.learner!r}")

    points = grid.points()
    hparams = []
    with jax.enable_x64(False):
        game_params = []
        for point in points:  # every point validated before any is solved
            p = with_overrides(game.default_params(), {k: v for k, v in point.items() if k in param_fields})
            game.validate(p)
            theory.check_discrete_nash(game, p)
            game_params.append(p)
            hp = with_overrides(base_hp, {k: v for k, v in point.items() if k in hparam_fields})
            learner.validate_hparams(hp)
            hparams.append(hp)
        adapter_params = [adapter.make_params(p) for p in game_params]  # solves each Nash schedule
    n_seeds = len(seeds)
    lcfg = config.learner_config()
    plan = engine.learner_plan(learner, lcfg.train_iterations, lcfg.test_iterations, config.chunk,
                               test_chunk)

    def summarise(runs, metrics, out_dir):
        seed_robustness_figure(os.path.join(out_dir, "seed_robustness.png"), game, points, n_seeds,
                               adapter_params, metrics)
        return summary_rows(game, points, n_seeds, adapter_params, metrics, config.learner)

    return Setup.over_seeds(plan, adapter_params, hparams, seeds, summarise)


def summary_rows(game, points, n_seeds, adapter_params, metrics, learner: str = "ddqn") -> list[dict]:
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
            "learner": learner,
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
