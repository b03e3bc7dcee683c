"""The execution game's sweep study: Double-DQN pairs over any grid of game params
and learner hparams, and any number of seeds, through the sweep engine.

Grid fields: the game's params (q0, S0, alpha, kappa, sigma, tau, lam) and the
learner's traced hparams (lr, gamma, eps_start, eps_decay). Sizes that fix array
shapes are `--config` fields (CONFIG_DEFAULTS) and stay the same across the grid.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from agents.dqn import DQNConfig, DQNHparams, make_learner, validate_hparams
from jaxmarkets.core import with_overrides
from jaxmarkets.execution import theory
from jaxmarkets.execution.game import DEFAULT_TIMING, ExecutionGame, ExecutionParams
from sweeps import engine
from sweeps.driver import Setup
from sweeps.execution import ExecutionAdapter
from sweeps.grid import Grid

NAME = "execution"

# Static choices of the whole sweep; learner sizes default to Table 1.
CONFIG_DEFAULTS = {
    "timing": DEFAULT_TIMING,
    "n_steps": 10,
    "exploration": "twap",
    "chunk": 500,
    **{
        f.name: f.default
        for f in dataclasses.fields(DQNConfig)
        if f.name in ("n_layers", "hidden", "n_actions", "head", "batch_size", "memory_size",
                      "train_iterations", "test_iterations", "log_every", "eps_every", "target_every")
    },
}


def parse_config(overrides: dict) -> dict:
    unknown = sorted(set(overrides) - set(CONFIG_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown --config field {unknown[0]!r}; allowed: {', '.join(sorted(CONFIG_DEFAULTS))}"
        )
    config = {**CONFIG_DEFAULTS, **overrides}
    for name, default in CONFIG_DEFAULTS.items():
        if type(config[name]) is not type(default):
            raise ValueError(f"--config {name} = {config[name]!r} must be a {type(default).__name__}")
    return config


def _learner(config: dict):
    game = ExecutionGame(n_agents=2, n_steps=config["n_steps"], timing=config["timing"])
    dqn_fields = {f.name for f in dataclasses.fields(DQNConfig)}
    dqn = DQNConfig(**{k: v for k, v in config.items() if k in dqn_fields})
    adapter = ExecutionAdapter(game, config["exploration"])
    return game, adapter, make_learner(adapter, dqn), dqn


def setup(grid: Grid, seeds: list[int], config: dict) -> Setup:
    """Validate everything, then build the engine's inputs (nothing compiled yet)."""
    game, adapter, learner, dqn = _learner(config)
    if dqn.test_iterations % config["chunk"] or dqn.train_iterations % config["chunk"]:
        raise ValueError(
            f"chunk = {config['chunk']} must divide train_iterations = {dqn.train_iterations} "
            f"and test_iterations = {dqn.test_iterations}"
        )
    if config["chunk"] % dqn.log_every:
        raise ValueError(f"chunk = {config['chunk']} is not a multiple of log_every = {dqn.log_every}")
    param_fields = {f.name for f in dataclasses.fields(ExecutionParams)}
    hparam_fields = {f.name for f in dataclasses.fields(DQNHparams)}
    unknown = [n for n in grid.names if n not in param_fields | hparam_fields]
    if unknown:
        raise ValueError(
            f"unknown field {unknown[0]!r}; allowed: {', '.join(sorted(param_fields | hparam_fields))}"
        )

    points = grid.points()
    base_hp = dqn.hparams()
    adapter_params, hparams = [], []
    with jax.enable_x64(False):
        for point in points:
            p = with_overrides(game.default_params(), {k: v for k, v in point.items() if k in param_fields})
            adapter_params.append(adapter.make_params(p))  # validates, and solves the Nash schedule
            hp = with_overrides(base_hp, {k: v for k, v in point.items() if k in hparam_fields})
            validate_hparams(hp)
            hparams.append(hp)
    n_seeds = len(seeds)
    stack = lambda items: jax.tree.map(lambda *xs: jnp.stack(xs), *items)  # noqa: E731
    repeat = lambda tree: jax.tree.map(lambda x: jnp.repeat(x, n_seeds, axis=0), tree)  # noqa: E731
    keys = jnp.concatenate([jax.vmap(jax.random.key)(jnp.asarray(seeds))] * len(points))

    plan = engine.Plan(
        init=learner.init,
        phases=(
            engine.Phase("train", dqn.train_iterations, learner.train_chunk),
            engine.Phase("test", dqn.test_iterations, lambda c, p, h, n: learner.test(c, p, n)),
        ),
        chunk_size=config["chunk"],
    )

    def summarise(runs, metrics, out_dir):
        return summary_rows(game, points, n_seeds, adapter_params, metrics)

    return Setup(plan, keys, repeat(stack(adapter_params)), repeat(stack(hparams)), summarise)


def summary_rows(game, points, n_seeds, adapter_params, metrics) -> list[dict]:
    """Per grid point: learned test IS against the Nash and Pareto (TWAP) IS."""
    test_is = np.asarray(metrics["test"]["is"])  # [runs, episodes, 2]
    centroids = test_is.mean(1).reshape(len(points), n_seeds, 2)
    rows = []
    for i, point in enumerate(points):
        gp = adapter_params[i].game
        nash = np.asarray(theory.expected_is(game, gp, adapter_params[i].nash))
        pareto = np.asarray(theory.expected_is(game, gp, theory.twap(game, gp)))
        c = centroids[i]
        below_nash = np.all(c <= nash, axis=1)
        rows.append({
            **{k: v for k, v in point.items()},
            "seeds": n_seeds,
            "mean_is_1": float(c[:, 0].mean()),
            "mean_is_2": float(c[:, 1].mean()),
            "nash_is": float(nash.mean()),
            "pareto_is": float(pareto.mean()),
            "share_supra_competitive": float(below_nash.mean()),
        })
    return rows
