"""Independent multi-agent Double DQN trained inside `lax.scan` (paper 001, Alg. 1).

    learner = DQN(game, grid, DQNConfig())        # game: agents.protocol.GameAdapter
    hparams = learner.default_hparams()           # traced floats, Table 1's values
    carry = learner.init(key, params, hparams)
    carry, train_metrics = learner.train_chunk(carry, params, hparams, n_iterations)
    carry, test_metrics = learner.test(carry, params, hparams, n_iterations)

or in one call `learner.train(key, params, hparams)`. All of these are pure:
`jit(vmap(train))` over keys, params and hparams gives runs x regimes in one
compiled program. A chunked loop gives the same result as one call (the carry
holds the key), so a sweep can checkpoint the carry between chunks.

Every agent has its own online and target network, Adam state and replay
memory, stacked on a leading agent axis and vmapped: independent learners that
interact only through the environment. Per environment step every agent acts
(epsilon-greedy; exploration is the grid's), stores its transition and, once
its memory holds a batch, takes one gradient step on

    y = r + gamma (1 - terminated) Q_target(s', argmax_a Q_online(s', a)),

the Double-DQN target. Every `eps_every` actions epsilon is multiplied by
`eps_decay`; every `target_every` actions the target network is copied.

The learner acts in a space of *action features* in [-1, 1]: its candidate
actions are `linspace(-1, 1, n_actions)`, and a `QActionGrid`, written by
whoever brings the game, says what a feature means for that game.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from agents import replay
from agents.networks import HEADS, QNetwork, q_at
from agents.protocol import MetricSpec
from jaxmarkets.core import InputError, check_int, check_range


@struct.dataclass
class DQNHparams:
    """The learner's floats: traced, so a batch of them can be vmapped.
    The defaults are Table 1 of paper 001."""

    lr: jax.Array = 1e-4  # Adam's step
    gamma: jax.Array = 1.0
    eps_start: jax.Array = 1.0
    eps_decay: jax.Array = 0.995  # c: epsilon's factor every eps_every actions

    @classmethod
    def make(cls, **values) -> "DQNHparams":
        """Defaults with `values` replaced, every leaf a float32 array."""
        hp = cls(**values)
        return jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), hp)


def validate_hparams(hp: DQNHparams) -> None:
    """Runs in Python before anything is compiled (a batch of hparams is checked whole)."""
    check_range("lr", hp.lr, 0.0, low_open=True)
    check_range("gamma", hp.gamma, 0.0, 1.0)
    check_range("eps_start", hp.eps_start, 0.0, 1.0)
    check_range("eps_decay", hp.eps_decay, 0.0, 1.0, low_open=True)


@dataclasses.dataclass(frozen=True)
class DQNConfig:
    """Static sizes and switches; defaults are Table 1 and Algorithm 1 of paper 001."""

    n_layers: int = 5  # hidden layers
    hidden: int = 30  # units per hidden layer
    pad_to: int = 8  # hidden widths stored padded to a multiple of this: exact, faster (networks.py)
    n_actions: int = 21  # grid of candidate actions for the greedy argmax
    head: str = "action_in"  # the paper's form; "action_out" is far cheaper
    leaky_slope: float = 0.01
    batch_size: int = 64  # b
    memory_size: int = 15000  # L
    halve_memory: bool = True  # Algorithm 1: a full memory forgets its older half
    eps_every: int = 75  # m: actions between epsilon decays
    target_every: int = 75  # m: actions between target-network copies
    train_iterations: int = 5000  # C episodes
    test_iterations: int = 2500  # M greedy episodes
    fixed_agents: tuple[int, ...] = ()  # agents that play the grid's fixed policy
    log_every: int = 50  # training metrics are averaged over blocks of this many episodes
    unroll_steps: bool = False  # unrolling the steps compiles 3x slower and ran slower on CPU

    def validate(self, n_agents: int | None = None) -> None:
        check_int("n_layers", self.n_layers, 1)
        check_int("hidden", self.hidden, 1)
        check_int("pad_to", self.pad_to, 1)
        check_int("n_actions", self.n_actions, 2)
        if self.head not in HEADS:
            raise InputError(f"head = {self.head!r} is not one of {', '.join(HEADS)}")
        check_int("batch_size", self.batch_size, 1)
        check_int("memory_size", self.memory_size, 1)
        if self.batch_size > self.memory_size:
            raise InputError(
                f"batch_size = {self.batch_size} is larger than memory_size = "
                f"{self.memory_size}; allowed range [1, memory_size]"
            )
        if self.halve_memory and self.memory_size // 2 < self.batch_size:
            raise InputError(
                f"memory_size = {self.memory_size} with halve_memory: half the memory must "
                f"hold a batch; allowed range [2 * batch_size = {2 * self.batch_size}, inf)"
            )
        check_int("eps_every", self.eps_every, 1)
        check_int("target_every", self.target_every, 1)
        check_int("train_iterations", self.train_iterations, 0)
        check_int("test_iterations", self.test_iterations, 0)
        check_int("log_every", self.log_every, 1)
        if self.train_iterations % self.log_every:
            raise InputError(
                f"train_iterations = {self.train_iterations} is not a multiple of "
                f"log_every = {self.log_every}"
            )
        if not 0.0 <= self.leaky_slope < 1.0:
            raise InputError(f"leaky_slope = {self.leaky_slope} is outside [0, 1)")
        for k in self.fixed_agents:
            if n_agents is not None and not (isinstance(k, int) and 0 <= k < n_agents):
                raise InputError(f"fixed_agents contains {k!r}; allowed range [0, {n_agents - 1}]")


class QActionGrid:
    """A Q-learner's actions in a game: what each candidate feature means.

    - `candidate_features(obs, grid)`: the feature each grid action has *as
      executed* from an observation (an infeasible action maps onto a feasible
      one; the argmax then takes the first of equal candidates). It depends on
      the observation alone: it is called on replayed next observations.
    - `explore(z, t, state, params)`: exploratory features of every agent from
      standard normals `z` [n_agents].
    - `fixed_action(t, state, params)`: features of the agents that play a fixed
      policy (`DQNConfig.fixed_agents`).
    - `env_action(features, state, params)`: the environment's actions.

    The defaults act on features as they are, clipped to [-1, 1].
    """

    def candidate_features(self, obs, grid):
        return jnp.broadcast_to(grid, (*obs.shape[:-1], grid.shape[-1]))

    def explore(self, z, t, state, params):
        return jnp.clip(z, -1.0, 1.0)

    def fixed_action(self, t, state, params):
        raise NotImplementedError("this grid has no fixed policy; leave DQNConfig.fixed_agents empty")

    def env_action(self, features, state, params):
        return features


class Transition(NamedTuple):
    obs: jax.Array  # [d]
    feature: jax.Array  # action feature as executed
    index: jax.Array  # int32 grid index (for the action-out head)
    reward: jax.Array
    next_obs: jax.Array  # [d]
    terminal: jax.Array  # 1.0 where the episode terminated: no bootstrap


class LearnerState(NamedTuple):
    key: jax.Array
    online: Any  # network params, leading agent axis
    target: Any
    opt: Any  # Adam state, leading agent axis
    memory: replay.Replay  # leading agent axis
    count: jax.Array  # actions taken by each agent so far (int32)


class DQN:
    """Independent Double-DQN learners (the `agents.protocol.Learner` protocol)."""

    def __init__(self, game, grid: QActionGrid, config: DQNConfig | None = None):
        config = config or DQNConfig()
        config.validate(game.n_agents)
        self.game = game
        self.actions = grid
        self.config = config
        self.n_agents = game.n_agents
        self.net = QNetwork(
            hidden=(config.hidden,) * config.n_layers,
            head=config.head,
            n_actions=config.n_actions,
            negative_slope=config.leaky_slope,
            pad_to=config.pad_to,
        )
        self.grid = jnp.linspace(-1.0, 1.0, config.n_actions)
        fixed = np.zeros(self.n_agents, bool)
        fixed[list(config.fixed_agents)] = True
        self.fixed = fixed

    # ------------------------------------------------------------------ protocol
    def default_hparams(self) -> DQNHparams:
        return DQNHparams.make()

    def validate_hparams(self, hparams) -> None:
        validate_hparams(hparams)

    def metrics_spec(self) -> dict[str, dict[str, MetricSpec]]:
        n = self.n_agents
        episode = self.game.episode_metrics_spec()
        returns = MetricSpec((n,), "sum of each agent's learner rewards over the episode")
        return {
            "train": {
                **episode,
                "return": returns,
                "loss": MetricSpec((n,), "mean TD loss of the gradient steps (nan before the first)"),
                "epsilon": MetricSpec((), "exploration rate at the end of the episode"),
            },
            "test": {**episode, "return": returns},
        }

    @staticmethod
    def _optimizer(lr):
        # The step lives in the optimizer state, so a vmapped batch of lrs
        # trains a batch of learners in one program.
        return optax.inject_hyperparams(optax.adam)(learning_rate=lr)

    # ------------------------------------------------------------------ state
    def init(self, key, params, hparams) -> LearnerState:
        k_net, k_reset, k_run = jax.random.split(key, 3)
        obs, _ = self.game.reset(k_reset, params)
        keys = jax.random.split(k_net, self.n_agents)
        online = jax.vmap(self.net.init, in_axes=(0, 0, None))(keys, obs, self.grid)
        example = Transition(
            obs[0], jnp.zeros(()), jnp.zeros((), jnp.int32), jnp.zeros(()), obs[0], jnp.zeros(())
        )
        memory = jax.vmap(lambda _: replay.init(example, self.config.memory_size))(
            jnp.arange(self.n_agents)
        )
        return LearnerState(
            key=k_run,
            online=online,
            target=online,
            opt=jax.vmap(self._optimizer(hparams.lr).init)(online),
            memory=memory,
            count=jnp.zeros((), jnp.int32),
        )

    def epsilon(self, count, hparams):
        decays = (count // self.config.eps_every).astype(jnp.float32)
        return hparams.eps_start * hparams.eps_decay**decays

    # ------------------------------------------------------------------ learning
    def _nearest_index(self, feature):
        g = self.config.n_actions
        return jnp.clip(jnp.round((feature + 1.0) * 0.5 * (g - 1)), 0, g - 1).astype(jnp.int32)

    def _greedy(self, params, obs):
        """Greedy feature and grid index for obs [..., d] (one network's params)."""
        cand = self.actions.candidate_features(obs, self.grid)
        q = self.net.apply(params, obs, cand)
        idx = jnp.argmax(q, -1)
        return jnp.take_along_axis(cand, idx[..., None], -1)[..., 0], idx

    def _update(self, online, target, opt_state, batch: Transition, ready, hparams):
        # Double DQN: the online net picks the next action, the target net values it.
        next_feature, next_index = self._greedy(online, batch.next_obs)
        q_next = q_at(self.net, target, batch.next_obs, next_feature, next_index)
        y = batch.reward + hparams.gamma * (1.0 - batch.terminal) * q_next

        def loss_fn(p):
            q = q_at(self.net, p, batch.obs, batch.feature, batch.index)
            return jnp.mean((y - q) ** 2)

        loss, grads = jax.value_and_grad(loss_fn)(online)
        updates, new_opt = self._optimizer(hparams.lr).update(grads, opt_state)
        new_online = optax.apply_updates(online, updates)
        keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(ready, a, b), new, old)  # noqa: E731
        return keep(new_online, online), keep(new_opt, opt_state), jnp.where(ready, loss, jnp.nan)

    def _learn(self, lc: LearnerState, tr: Transition, uniforms, hparams):
        halve = self.config.halve_memory
        memory = jax.vmap(lambda m, x: replay.add(m, x, halve))(lc.memory, tr)
        batch = jax.vmap(replay.sample)(memory, uniforms)
        ready = memory.size >= self.config.batch_size
        online, opt, loss = jax.vmap(self._update, in_axes=(0, 0, 0, 0, 0, None))(
            lc.online, lc.target, lc.opt, batch, ready, hparams
        )
        count = lc.count + 1
        copy = count % self.config.target_every == 0
        target = jax.tree.map(lambda o, t: jnp.where(copy, o, t), online, lc.target)
        return lc._replace(online=online, target=target, opt=opt, memory=memory, count=count), loss

    # ------------------------------------------------------------------ episodes
    def _episode(self, lc: LearnerState, params, hparams, learn: bool):
        game, grid, n, n_steps = self.game, self.actions, self.n_agents, self.game.n_steps
        key, k_reset, k_noise, k_z, k_zeta, k_u = jax.random.split(lc.key, 6)
        lc = lc._replace(key=key)
        obs, state = game.reset(k_reset, params)
        noise = game.noise(k_noise, params)
        if learn:
            rnd = (
                jax.random.normal(k_z, (n_steps, n)),
                jax.random.uniform(k_zeta, (n_steps, n)),
                jax.random.uniform(k_u, (n_steps, n, self.config.batch_size)),
            )
        else:
            rnd = (jnp.zeros((n_steps, 0)),) * 3
        fixed = jnp.asarray(self.fixed)

        def step(carry, xs):
            lc, state, obs = carry
            t, noise_t, (z, zeta, u) = xs
            feature, index = jax.vmap(self._greedy)(lc.online, obs)
            if learn:
                explored = grid.explore(z, t, state, params)
                explore = zeta < self.epsilon(lc.count, hparams)
                feature = jnp.where(explore, explored, feature)
                index = jnp.where(explore, self._nearest_index(explored), index)
            if self.fixed.any():
                fixed_feature = grid.fixed_action(t, state, params)
                feature = jnp.where(fixed, fixed_feature, feature)
                index = jnp.where(fixed, self._nearest_index(fixed_feature), index)
            actions = grid.env_action(feature, state, params)
            out = game.step(state, actions, noise_t, params)
            reward = game.reward(out.rewards, out.info, state, params)
            terminal = out.info.get("terminated", out.done)
            loss = jnp.zeros(n)
            if learn:
                tr = Transition(
                    obs,
                    feature,
                    index,
                    reward,
                    out.obs,
                    jnp.broadcast_to(terminal, (n,)).astype(reward.dtype),
                )
                lc, loss = self._learn(lc, tr, u, hparams)
            return (lc, out.state, out.obs), (out.info, reward, loss)

        xs = (jnp.arange(n_steps), noise, rnd)
        unroll = n_steps if self.config.unroll_steps else 1
        (lc, _, _), (infos, rewards, losses) = jax.lax.scan(
            step, (lc, state, obs), xs, unroll=unroll
        )
        metrics = dict(game.episode_metrics(infos))
        metrics["return"] = rewards.sum(0)
        if learn:
            metrics["loss"] = jnp.nanmean(losses, 0)
            metrics["epsilon"] = self.epsilon(lc.count, hparams)
        return lc, metrics

    def train_chunk(self, lc: LearnerState, params, hparams, n_iterations: int):
        """`n_iterations` training episodes; metrics averaged per `log_every` episodes."""
        every = self.config.log_every
        if n_iterations % every:
            raise InputError(f"n_iterations = {n_iterations} is not a multiple of log_every = {every}")
        lc, metrics = jax.lax.scan(
            lambda c, _: self._episode(c, params, hparams, True), lc, None, length=n_iterations
        )
        blocks = lambda x: jnp.nanmean(x.reshape(n_iterations // every, every, *x.shape[1:]), 1)  # noqa: E731
        return lc, jax.tree.map(blocks, metrics)

    def test(self, lc: LearnerState, params, hparams, n_iterations: int):
        """`n_iterations` greedy episodes, no learning; metrics per episode."""
        return jax.lax.scan(
            lambda c, _: self._episode(c, params, hparams, False), lc, None, length=n_iterations
        )

    def train(self, key, params, hparams, test_params=None) -> dict:
        """Train C episodes, then test M greedy episodes (under `test_params` if given).

        Returns {"train": metrics per block of `log_every` episodes,
                 "test": metrics per test episode,
                 "online": final network params at their true (unpadded) shapes}.
        """
        lc = self.init(key, params, hparams)
        lc, train_metrics = self.train_chunk(lc, params, hparams, self.config.train_iterations)
        test_params = params if test_params is None else test_params
        lc, test_metrics = self.test(lc, test_params, hparams, self.config.test_iterations)
        online = self.net.true_params(lc.online)  # any leading axes
        return {"train": train_metrics, "test": test_metrics, "online": online}
