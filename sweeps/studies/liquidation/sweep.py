"""The liquidation game's sweep study: PPO, shared-policy PPO or recurrent
Double-DQN banks over any grid of game params and learner hparams, and any
number of seeds, through the sweep engine (runs vmapped and sharded over
devices, chunked, resumable).

`--config learner=ppo|ppo_shared|recurrent_ddqn` chooses the learner; the
game's static fields (`n_banks`, `horizon`, `objective`, `communication`, ...)
are `--config` names too. Grid fields (`--set`, traced): the game's params
(`max_sale`, `withdrawal`, `liabilities`, `impact_coef`, `default_penalty`, ...;
a scalar is broadcast to the field's shape) and the learner's hparams (`lr`,
...). Per grid point the summary gives the test welfare over the social
planner's (exact where it fits, the search otherwise), defaults and the share
of banks whose first sale is the most liquid asset.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from agents.dqn import DQNHparams
from agents.pg import PGConfig, PGHparams
from agents.recurrent_dqn import RecurrentDQNConfig
from jaxmarkets.core import InputError, check_choice, check_int, with_overrides
from jaxmarkets.liquidation.game import LiquidationGame, LiquidationParams
from sweeps import engine
from sweeps.engine.grid import Grid
from sweeps.engine.results import Setup

LEARNERS = ("ppo", "ppo_shared", "recurrent_ddqn")
GAME_FIELDS = ("n_banks", "n_assets", "horizon", "n_levels", "impact", "execution", "objective", "need",
               "on_default", "information", "communication", "n_messages", "action_set", "portfolios",
               "diversification")
CONFIG_EXCLUDE = ()
PARAMS = LiquidationParams
HPARAMS = dataclasses.make_dataclass(
    "AnyHparams", sorted({f.name for c in (DQNHparams, PGHparams) for f in dataclasses.fields(c)}))
_GAME = LiquidationGame()


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    learner: str = "ppo"
    n_banks: int = _GAME.n_banks
    n_assets: int = _GAME.n_assets
    horizon: int = _GAME.horizon
    n_levels: int = _GAME.n_levels
    impact: str = _GAME.impact
    execution: str = _GAME.execution
    objective: str = _GAME.objective
    need: str = _GAME.need
    on_default: str = _GAME.on_default
    information: str = _GAME.information
    communication: str = _GAME.communication
    n_messages: int = _GAME.n_messages
    action_set: str = _GAME.action_set
    portfolios: str = _GAME.portfolios
    diversification: int = _GAME.diversification
    hidden: int = 32
    n_layers: int = 2
    episodes: int = 32  # PPO: episodes per update; DQN: its replay batch is `batch_size` episodes
    train_iterations: int = 300  # PPO: updates; DQN: episodes
    test_iterations: int = 2  # PPO: batches of `episodes`; DQN: greedy episodes
    chunk: int = 100  # training iterations per compiled chunk: a checkpoint each

    def game(self) -> LiquidationGame:
        return LiquidationGame(**{f: getattr(self, f) for f in GAME_FIELDS})  # checks every static field

    def validate(self) -> None:
        check_choice("learner", self.learner, LEARNERS)
        self.game()
        for name in ("hidden", "n_layers", "episodes", "train_iterations", "test_iterations", "chunk"):
            check_int(name, getattr(self, name), 1)
        chunked = ("train_iterations",) + (("test_iterations",) if self.learner == "recurrent_ddqn" else ())
        for name in chunked:
            if getattr(self, name) % self.chunk:
                raise InputError(f"chunk = {self.chunk} must divide {name} = {getattr(self, name)}; "
                                 f"allowed: a divisor of {' and '.join(chunked)}")

    def make_learner(self, game: LiquidationGame):
        """(adapter, learner, test chunk size) of the chosen learner."""
        from sweeps.studies.liquidation.adapter import dqn, policy_gradient

        if self.learner == "recurrent_ddqn":
            cfg = RecurrentDQNConfig(n_layers=self.n_layers, hidden=self.hidden, head="action_out",
                                     batch_size=16, memory_size=500, eps_every=20, target_every=20,
                                     train_iterations=self.train_iterations, test_iterations=self.test_iterations,
                                     log_every=self.chunk)
            return (*dqn(game, cfg), None)
        cfg = PGConfig(hidden=self.hidden, n_layers=self.n_layers, episodes=self.episodes,
                       train_iterations=self.train_iterations, test_iterations=self.test_iterations,
                       log_every=self.chunk, shared=self.learner == "ppo_shared")
        return (*policy_gradient(game, cfg), self.test_iterations)


def setup(grid: Grid, seeds: list[int], config: SweepConfig) -> Setup:
    """Validate everything, then build the engine's inputs (nothing compiled yet)."""
    config.validate()
    game = config.game()
    adapter, learner, test_chunk = config.make_learner(game)
    base_hp = learner.default_hparams()
    param_fields = {f.name for f in dataclasses.fields(PARAMS)}
    hparam_fields = {f.name for f in dataclasses.fields(base_hp)}
    grid.check_names(param_fields | hparam_fields, f"learner = {config.learner!r}")
    points = grid.points()
    game_params, hparams = [], []
    for point in points:  # every point validated before anything runs
        p = with_overrides(game.default_params(), {k: v for k, v in point.items() if k in param_fields})
        game_params.append(p)
        hp = with_overrides(base_hp, {k: v for k, v in point.items() if k in hparam_fields})
        learner.validate_hparams(hp)
        hparams.append(hp)
    adapter_params = [adapter.make_params(p) for p in game_params]  # validates each
    n_seeds = len(seeds)
    plan = engine.learner_plan(learner, config.train_iterations, config.test_iterations, config.chunk, test_chunk)

    def summarise(runs, metrics, out_dir):
        return summary_rows(game, points, n_seeds, game_params, metrics["test"], config.learner)

    return Setup.over_seeds(plan, adapter_params, hparams, seeds, summarise)


def summary_rows(game, points, n_seeds, game_params, test: dict, learner: str) -> list[dict]:
    """Per grid point: test welfare (mean over seeds and test episodes) against
    the planner's, defaults, and the share of first sales in the liquid asset."""
    from jaxmarkets.liquidation.planner import planner

    def per_point(x):
        x = np.asarray(x, np.float64)
        return x.reshape(len(points), n_seeds, -1, *x.shape[2:])

    welfare, defaults, first = (per_point(test[k]) for k in ("welfare", "defaults", "first_sale"))
    rows = []
    for i, point in enumerate(points):
        plan = planner(game, game_params[i], jax.random.key(0))
        w_plan = float(plan["welfare"])
        liquid = int(np.argmin(np.asarray(game_params[i].impact_coef)))
        shares = first[i].mean((0, 1))  # [N, M]
        w = welfare[i].mean(1)  # per seed
        rows.append({
            **{k: (v if np.isscalar(v) else str(v)) for k, v in point.items()},
            "learner": learner, "seeds": n_seeds,
            "welfare": float(w.mean()), "welfare_se": float(w.std() / np.sqrt(n_seeds)),
            "planner_welfare": w_plan, "planner_method": plan["method"],
            "welfare_over_planner": float(w.mean() / w_plan) if w_plan > 0 else None,
            "defaults": float(defaults[i].mean()),
            "liquid_first": float(shares[:, liquid].sum() / shares.sum()) if shares.sum() > 0 else None,
        })
    return rows
