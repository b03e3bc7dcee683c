"""Independent multi-agent recurrent Double DQN trained inside `lax.scan`.

    learner = RecurrentDQN(game, grid, RecurrentDQNConfig(cell="gru"))

The Q-network (`agents.networks.RecurrentQNetwork`) runs a GRU or LSTM cell
over the observation history, so a policy may depend on what an agent saw
earlier in the episode, not only on its current observation. Everything else
follows the feed-forward learner (`agents.dqn`, whose protocol methods,
epsilon schedule, Table-1 config fields and `QActionGrid` it reuses):

- acting: each step the cell advances on the observation and the greedy
  candidate (or, with probability epsilon, the grid's exploration) is taken;
- replay stores *whole episodes* (every step's observation, the final one,
  actions, rewards, terminations, and the initial hidden state the episode
  started from); `batch_size` and `memory_size` count episodes;
- after each episode every agent takes `updates_per_episode` gradient steps
  (by default one per step of the episode, as Algorithm 1 takes one per
  action), each on a batch of replayed episodes unrolled from their initial
  state: along the sequence, the online network picks the next action and the
  target network values it,

      y_t = r_t + gamma (1 - terminated_t) Q_target(h'_{t+1}, argmax_a Q_online(h_{t+1}, a)),

  averaged over the steps t >= `burn_in` (the first `burn_in` steps only warm
  up the hidden state, without gradient through it);
- the target network is copied every `target_every` actions, counted as the
  updates are spread over the episode's actions.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from agents import replay
from agents.cells import check_cell, zero_carry
from agents.dqn import DQN, DQNConfig, LearnerState, QActionGrid
from agents.networks import RecurrentQNetwork, recurrent_q_at
from jaxmarkets.core import InputError, check_int


@dataclasses.dataclass(frozen=True)
class RecurrentDQNConfig(DQNConfig):
    """`DQNConfig`'s fields (Table 1), with batch and memory counted in episodes.

    The defaults keep Table 1's numbers of transitions for 10-step episodes:
    memory 15,000 transitions = 1,500 episodes; a batch of 64 transitions is
    about 6 episodes, rounded up to 8.
    """

    batch_size: int = 8  # episodes per gradient step
    memory_size: int = 1500  # episodes
    cell: str = "gru"  # or "lstm"
    burn_in: int = 0  # leading steps of a replayed episode that only warm up the cell
    updates_per_episode: int = 0  # gradient steps after each episode; 0: one per step

    def validate(self, n_agents: int | None = None, n_steps: int | None = None) -> None:
        super().validate(n_agents)
        check_cell(self.cell)
        if self.n_layers < 2:
            raise InputError(f"n_layers = {self.n_layers} is outside the allowed range [2, inf) "
                             "(the cell is the first hidden layer, a dense layer follows)")
        check_int("updates_per_episode", self.updates_per_episode, 0)
        high = None if n_steps is None else n_steps - 1
        check_int("burn_in", self.burn_in, 0, high)


class EpisodeRecord(NamedTuple):
    """One agent's episode as replay stores it."""

    start: Any  # the cell's carry the episode started from
    obs: jax.Array  # [T + 1, d]: every step's observation and the final one
    feature: jax.Array  # [T] action features as executed
    index: jax.Array  # [T] int32 grid indices
    reward: jax.Array  # [T]
    terminal: jax.Array  # [T] 1.0 where the episode terminated: no bootstrap


class RecurrentDQN(DQN):
    """Independent recurrent Double-DQN learners (the `agents.protocol.Learner` protocol)."""

    def __init__(self, game, grid: QActionGrid, config: RecurrentDQNConfig | None = None):
        config = config or RecurrentDQNConfig()
        config.validate(game.n_agents, game.n_steps)
        super().__init__(game, grid, config)  # validates with the agents only; done above
        self.net = RecurrentQNetwork(
            cell=config.cell,
            hidden=config.hidden,
            n_layers=config.n_layers,
            head=config.head,
            n_actions=config.n_actions,
            negative_slope=config.leaky_slope,
            pad_to=config.pad_to,
        )
        self.n_updates = config.updates_per_episode or game.n_steps

    def _zero_carry(self, batch_shape=()):
        return zero_carry(self.config.cell, self.config.hidden, batch_shape)

    # ------------------------------------------------------------------ state
    def init(self, key, params, hparams) -> LearnerState:
        k_net, k_reset, k_run = jax.random.split(key, 3)
        obs, _ = self.game.reset(k_reset, params)
        keys = jax.random.split(k_net, self.n_agents)
        online = jax.vmap(self.net.init, in_axes=(0, None, 0, None))(keys, self._zero_carry(), obs, self.grid)
        T = self.game.n_steps
        example = EpisodeRecord(
            start=self._zero_carry(),
            obs=jnp.zeros((T + 1, obs.shape[-1]), obs.dtype),
            feature=jnp.zeros(T),
            index=jnp.zeros(T, jnp.int32),
            reward=jnp.zeros(T),
            terminal=jnp.zeros(T),
        )
        memory = jax.vmap(lambda _: replay.init(example, self.config.memory_size))(jnp.arange(self.n_agents))
        return LearnerState(
            key=k_run,
            online=online,
            target=online,
            opt=jax.vmap(self._optimizer(hparams.lr).init)(online),
            memory=memory,
            count=jnp.zeros((), jnp.int32),
        )

    # ------------------------------------------------------------------ learning
    def _unroll(self, params, start, obs_seq):
        """The cell's outputs [T + 1, B, hidden] over episodes obs_seq [T + 1, B, d]."""
        step = lambda h, o: self.net.apply(params, h, o, method=self.net.step)  # noqa: E731
        burn = self.config.burn_in
        if not burn:
            return jax.lax.scan(step, start, obs_seq)[1]
        h, warm = jax.lax.scan(step, start, obs_seq[:burn])
        h, rest = jax.lax.scan(step, jax.lax.stop_gradient(h), obs_seq[burn:])
        return jnp.concatenate([jax.lax.stop_gradient(warm), rest], 0)

    def _update(self, online, target, opt_state, batch: EpisodeRecord, ready, hparams):
        # time-major: [T + 1, B, d] and [T, B]
        obs = jnp.swapaxes(batch.obs, 0, 1)
        taken_feature, taken_index, reward, terminal = (
            jnp.swapaxes(x, 0, 1) for x in (batch.feature, batch.index, batch.reward, batch.terminal)
        )
        cand = self.actions.candidate_features(obs, self.grid)  # [T + 1, B, K]
        target_features = self._unroll(target, batch.start, obs)
        steps = jnp.arange(reward.shape[0])
        weight = (steps >= self.config.burn_in).astype(reward.dtype)[:, None]

        def loss_fn(p):
            features = self._unroll(p, batch.start, obs)
            # Double DQN along the sequence: the online network picks a_{t+1} ...
            q_next_online = jax.lax.stop_gradient(self.net.apply(p, features[1:], cand[1:], method=self.net.q))
            next_index = jnp.argmax(q_next_online, -1)
            next_feature = jnp.take_along_axis(cand[1:], next_index[..., None], -1)[..., 0]
            # ... and the target network values it
            q_next = recurrent_q_at(self.net, target, target_features[1:], next_feature, next_index)
            y = jax.lax.stop_gradient(reward + hparams.gamma * (1.0 - terminal) * q_next)
            q = recurrent_q_at(self.net, p, features[:-1], taken_feature, taken_index)
            return jnp.sum(weight * (y - q) ** 2) / (jnp.sum(weight) * reward.shape[1])

        loss, grads = jax.value_and_grad(loss_fn)(online)
        updates, new_opt = self._optimizer(hparams.lr).update(grads, opt_state)
        new_online = optax.apply_updates(online, updates)
        keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(ready, a, b), new, old)  # noqa: E731
        return keep(new_online, online), keep(new_opt, opt_state), jnp.where(ready, loss, jnp.nan)

    def _learn_episode(self, lc: LearnerState, record: EpisodeRecord, uniforms, hparams):
        """Store the episode, then `n_updates` gradient steps per agent.

        uniforms [n_updates, n_agents, batch_size]. Update u stands for the
        actions up to count + (u + 1) T / n_updates: the target network is
        copied after the update at which that count passes a multiple of
        `target_every`."""
        T, every = self.game.n_steps, self.config.target_every
        memory = jax.vmap(lambda m, x: replay.add(m, x, self.config.halve_memory))(lc.memory, record)
        ready = memory.size >= self.config.batch_size

        def update(c, xs):
            online, target, opt = c
            u, uni = xs
            batch = jax.vmap(replay.sample)(memory, uni)
            online, opt, loss = jax.vmap(self._update, in_axes=(0, 0, 0, 0, 0, None))(
                online, target, opt, batch, ready, hparams
            )
            before = lc.count + u * T // self.n_updates
            after = lc.count + (u + 1) * T // self.n_updates
            copy = after // every > before // every
            target = jax.tree.map(lambda o, t: jnp.where(copy, o, t), online, target)
            return (online, target, opt), loss

        (online, target, opt), losses = jax.lax.scan(
            update, (lc.online, lc.target, lc.opt), (jnp.arange(self.n_updates), uniforms)
        )
        lc = lc._replace(online=online, target=target, opt=opt, memory=memory, count=lc.count + T)
        return lc, losses

    # ------------------------------------------------------------------ episodes
    def _episode(self, lc: LearnerState, params, hparams, learn: bool):
        game, grid, n, T = self.game, self.actions, self.n_agents, self.game.n_steps
        key, k_reset, k_noise, k_z, k_zeta, k_u = jax.random.split(lc.key, 6)
        lc = lc._replace(key=key)
        obs, state = game.reset(k_reset, params)
        noise = game.noise(k_noise, params)
        if learn:
            rnd = (jax.random.normal(k_z, (T, n)), jax.random.uniform(k_zeta, (T, n)))
        else:
            rnd = (jnp.zeros((T, 0)),) * 2
        fixed = jnp.asarray(self.fixed)
        start = jax.vmap(lambda _: self._zero_carry())(jnp.arange(n))

        def step(carry, xs):
            state, obs, h = carry
            t, noise_t, (z, zeta) = xs
            h, features = jax.vmap(lambda p, c, o: self.net.apply(p, c, o, method=self.net.step))(lc.online, h, obs)
            cand = grid.candidate_features(obs, self.grid)
            q = jax.vmap(lambda p, f, c: self.net.apply(p, f, c, method=self.net.q))(lc.online, features, cand)
            index = jnp.argmax(q, -1)
            feature = jnp.take_along_axis(cand, index[..., None], -1)[..., 0]
            if learn:
                explored = grid.explore(z, t, state, params)
                explore = zeta < self.epsilon(lc.count + t, hparams)
                feature = jnp.where(explore, explored, feature)
                index = jnp.where(explore, self._nearest_index(explored), index)
            if self.fixed.any():
                fixed_feature = grid.fixed_action(t, state, params)
                feature = jnp.where(fixed, fixed_feature, feature)
                index = jnp.where(fixed, self._nearest_index(fixed_feature), index)
            out = game.step(state, grid.env_action(feature, state, params), noise_t, params)
            reward = game.reward(out.rewards, out.info, state, params)
            terminal = jnp.broadcast_to(out.info.get("terminated", out.done), (n,)).astype(reward.dtype)
            return (out.state, out.obs, h), (obs, feature, index.astype(jnp.int32), reward, terminal, out.info)

        unroll = T if self.config.unroll_steps else 1
        (_, last_obs, _), (obs_seq, features, indices, rewards, terminals, infos) = jax.lax.scan(
            step, (state, obs, start), (jnp.arange(T), noise, rnd), unroll=unroll
        )
        metrics = dict(game.episode_metrics(infos))
        metrics["return"] = rewards.sum(0)
        if learn:
            agent_major = lambda x: jnp.swapaxes(x, 0, 1)  # noqa: E731  [T, n, ...] -> [n, T, ...]
            record = EpisodeRecord(
                start=start,
                obs=agent_major(jnp.concatenate([obs_seq, last_obs[None]], 0)),
                feature=agent_major(features),
                index=agent_major(indices),
                reward=agent_major(rewards),
                terminal=agent_major(terminals),
            )
            uniforms = jax.random.uniform(k_u, (self.n_updates, n, self.config.batch_size))
            lc, losses = self._learn_episode(lc, record, uniforms, hparams)
            metrics["loss"] = jnp.nanmean(losses, 0)
            metrics["epsilon"] = self.epsilon(lc.count, hparams)
        return lc, metrics

    def train(self, key, params, hparams, test_params=None) -> dict:
        """As `DQN.train`; "online" holds the network params as stored (padded head)."""
        lc = self.init(key, params, hparams)
        lc, train_metrics = self.train_chunk(lc, params, hparams, self.config.train_iterations)
        test_params = params if test_params is None else test_params
        lc, test_metrics = self.test(lc, test_params, hparams, self.config.test_iterations)
        return {"train": train_metrics, "test": test_metrics, "online": lc.online}
