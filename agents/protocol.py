"""What the sweep engine needs of a learner, and what a learner needs of a game.

A **learner** (`Learner`) is a pure-function object the engine drives:

    carry = learner.init(key, params, hparams)
    carry, metrics = learner.train_chunk(carry, params, hparams, n_iterations)
    carry, metrics = learner.test(carry, params, hparams, n_iterations)

`params` are the game's (through its adapter), `hparams` the learner's traced
floats (a `flax.struct` dataclass with defaults from `default_hparams()`), and
every static size lives in the learner's frozen config. The carry holds every
key, so a chunked run equals one call and a checkpointed carry resumes
bit-identically. `metrics_spec()` names what each phase returns per logged
iteration; the engine checks a chunk against it before running anything.

A **game adapter** (`GameAdapter`) is the game side: reset, the episode's
randomness drawn at once, step, the learner's reward and the episode metrics.
How a learner *chooses* actions is a separate, learner-specific object: a
Q-learner's action grid (`agents.dqn.QActionGrid`), a policy's action space
(`agents.policy`), so a policy-gradient learner never pretends to be a grid
learner. Adapters are written by whoever brings the game (a study in
`sweeps/studies/`); learners never import a game.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, runtime_checkable

import jax

from jaxmarkets.core import Box


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One metric of a phase: its shape per logged iteration and what it means."""

    shape: tuple[int, ...]
    doc: str


@runtime_checkable
class Learner(Protocol):
    n_agents: int

    def default_hparams(self) -> Any: ...

    def validate_hparams(self, hparams) -> None: ...

    def init(self, key: jax.Array, params, hparams) -> Any: ...

    def train_chunk(self, carry, params, hparams, n_iterations: int) -> tuple[Any, dict]: ...

    def test(self, carry, params, hparams, n_iterations: int) -> tuple[Any, dict]: ...

    def metrics_spec(self) -> dict[str, dict[str, MetricSpec]]: ...


def check_metrics(learner: Learner, params, hparams, n_iterations: dict[str, int]) -> None:
    """Trace one chunk of each phase (no compilation) and compare with the spec.

    A learner whose metrics drift from what it declares fails here, before a
    sweep spends any time, rather than when its results are read back.
    """
    spec = learner.metrics_spec()
    carry = jax.eval_shape(learner.init, jax.random.key(0), params, hparams)
    for phase, fn in (("train", learner.train_chunk), ("test", learner.test)):
        n = n_iterations.get(phase, 0)
        if not n:
            continue
        _, metrics = jax.eval_shape(lambda c, p, h, fn=fn, n=n: fn(c, p, h, n), carry, params, hparams)
        declared = spec[phase]
        if set(metrics) != set(declared):
            raise AssertionError(
                f"{type(learner).__name__} {phase} metrics {sorted(metrics)} differ from its "
                f"metrics_spec {sorted(declared)}"
            )
        for name, m in metrics.items():
            if tuple(m.shape[1:]) != declared[name].shape:
                raise AssertionError(
                    f"{type(learner).__name__} {phase} metric {name}: shape {m.shape[1:]} per "
                    f"iteration, spec says {declared[name].shape}"
                )


class GameAdapter:
    """The game side of learning: `n_agents`, `n_steps` (fixed episode length),
    `n_obs` (observation features per agent) and the methods below.

    The defaults drive any `jaxmarkets.core.Environment` through its
    `reset`/`step` with one key per step; a game overrides `noise`/`step` when
    drawing an episode's randomness in bulk is faster.
    """

    n_obs: int

    def __init__(self, env, n_steps: int, n_obs: int):
        self.env = env
        self.n_agents = env.n_agents
        self.n_steps = n_steps
        self.n_obs = n_obs

    def env_params(self, params):
        """The environment's params inside the adapter's params pytree."""
        return params

    def action_space(self, params) -> Box:
        """The environment's actions, [n_agents] (a policy maps its samples onto it)."""
        return self.env.action_space(self.env_params(params))

    def reset(self, key, params):
        return self.env.reset(key, self.env_params(params))

    def noise(self, key, params):
        """All of an episode's randomness, stacked on a leading step axis."""
        return jax.random.split(key, self.n_steps)

    def step(self, state, actions, noise_t, params):
        return self.env.step(noise_t, state, actions, self.env_params(params))

    def reward(self, rewards, info, state, params):
        """The learner's reward [n_agents]; a shaping that keeps the optimal policy."""
        return rewards

    def episode_metrics(self, infos) -> dict:
        """Per-episode metrics from the step infos stacked over the episode."""
        return {}

    def episode_metrics_spec(self) -> dict[str, MetricSpec]:
        return {}

