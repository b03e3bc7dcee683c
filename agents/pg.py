"""Independent multi-agent policy-gradient learners, REINFORCE with a learned
baseline and PPO, trained inside `lax.scan`.

    learner = PolicyGradient(game, actions, PGConfig(learner="ppo"))
    hparams = learner.default_hparams()          # traced floats
    carry = learner.init(key, params, hparams)
    carry, train_metrics = learner.train_chunk(carry, params, hparams, n_updates)
    carry, test_metrics = learner.test(carry, params, hparams, n_batches)

`game` is an `agents.protocol.GameAdapter`, `actions` an action object of
`agents.policy` (a Categorical over a discrete set, or a logit-normal on
(0, 1)) saying what a sample does in that game.

One iteration (one *update*) plays `episodes` episodes in parallel (the game
vmapped inside the learner, every episode `game.n_steps` long), then each agent
learns from its share of that batch:

- advantages by GAE(gamma, lambda) on the agent's critic, bootstrapping only
  through truncation (a step whose `info["terminated"]` is set has no future);
- PPO: `epochs` passes over the batch, each split into `minibatches` groups
  of whole episodes (so a recurrent policy is re-unrolled from each episode's
  start), minimising the clipped surrogate + value_coef * value error -
  entropy_coef * entropy, the gradient clipped to `max_grad_norm` (global norm
  per agent) before Adam;
- REINFORCE: one step on the whole batch of -log pi(a|s) (G_t - V(s_t)), G_t
  the Monte Carlo return (gae_lambda is not used), the same value and entropy
  terms and clipping.

Every agent has its own networks and Adam state, stacked on a leading agent
axis and vmapped: independent learners that interact only through the game.
`shared=True` is symmetric self-play instead: one network (kept as identical
copies on the agent axis, so the carry's shapes do not change) updated on every
agent's samples pooled as more episodes. Each agent's advantage still comes
from its own reward, so the gradient is the sum of the agents' own policy
gradients with the others' play held as environment: for exchangeable agents
that see no identity, a single-population learner whose rest points are the
game's symmetric equilibria.
The carry holds the key, so a chunked run equals one call and a checkpointed
carry resumes bit-identically. Metrics are one row per update (or per block of
`log_every` updates), never per step.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct

from agents.actor_critic import ActorCritic, evaluate
from agents.cells import CELLS, check_cell
from agents.protocol import MetricSpec
from jaxmarkets.core import InputError, check_int, check_range

LEARNERS = ("ppo", "reinforce")
PG_CELLS = ("none",) + CELLS
TEST_POLICIES = ("sample", "deterministic")
# (epochs, minibatches) when the config leaves them None
_DEFAULT_PASSES = {"ppo": (4, 4), "reinforce": (1, 1)}


@struct.dataclass
class PGHparams:
    """The learner's floats: traced, so a batch of them can be vmapped."""

    lr: jax.Array = 3e-4  # Adam's step
    gamma: jax.Array = 1.0  # discount; the games' episodes are short and fixed-length
    gae_lambda: jax.Array = 0.95  # PPO's advantage; REINFORCE uses Monte Carlo returns
    clip: jax.Array = 0.2  # PPO's ratio clip range
    entropy_coef: jax.Array = 0.01
    value_coef: jax.Array = 0.5
    max_grad_norm: jax.Array = 0.5  # per agent, global over its actor and critic

    @classmethod
    def make(cls, **values) -> "PGHparams":
        """Defaults with `values` replaced, every field a float32 array (a list
        or array of values gives a batch of hparams to vmap over)."""
        hp = cls(**values)
        return cls(**{f.name: jnp.asarray(getattr(hp, f.name), jnp.float32)
                      for f in dataclasses.fields(hp)})


def validate_hparams(hp: PGHparams) -> None:
    """Runs in Python before anything is compiled (a batch of hparams is checked whole)."""
    check_range("lr", hp.lr, 0.0, low_open=True)
    check_range("gamma", hp.gamma, 0.0, 1.0)
    check_range("gae_lambda", hp.gae_lambda, 0.0, 1.0)
    check_range("clip", hp.clip, 0.0, low_open=True)
    check_range("entropy_coef", hp.entropy_coef, 0.0)
    check_range("value_coef", hp.value_coef, 0.0)
    check_range("max_grad_norm", hp.max_grad_norm, 0.0, low_open=True)


@dataclasses.dataclass(frozen=True)
class PGConfig:
    """Static sizes and switches."""

    learner: str = "ppo"  # "ppo" or "reinforce"
    hidden: int = 64  # units per hidden layer of the actor and of the critic (and of the cell)
    n_layers: int = 2  # hidden layers of the actor and of the critic
    cell: str = "none"  # "gru" or "lstm": a recurrent cell in front of both
    episodes: int = 64  # parallel episodes per update: the batch
    epochs: int | None = None  # passes over a batch; None: 4 for PPO, 1 for REINFORCE
    minibatches: int | None = None  # of whole episodes per pass; None: 4 for PPO, 1 for REINFORCE
    normalize_advantages: bool = True  # per minibatch and agent
    train_iterations: int = 500  # updates
    test_iterations: int = 10  # batches of `episodes` episodes without learning
    log_every: int = 1  # training metrics are averaged over blocks of this many updates
    test_policy: str = "sample"  # "deterministic": argmax / median action when testing
    shared: bool = False  # one network for every agent, learning from all their samples

    @property
    def passes(self) -> tuple[int, int]:
        """(epochs, minibatches) with the learner's defaults filled in."""
        default = _DEFAULT_PASSES.get(self.learner, (1, 1))
        return (self.epochs if self.epochs is not None else default[0],
                self.minibatches if self.minibatches is not None else default[1])

    def validate(self) -> None:
        if self.learner not in LEARNERS:
            raise InputError(f"learner = {self.learner!r} is not one of the allowed values: "
                             + ", ".join(repr(a) for a in LEARNERS))
        check_cell(self.cell, PG_CELLS)
        check_int("hidden", self.hidden, 1)
        check_int("n_layers", self.n_layers, 1)
        check_int("episodes", self.episodes, 1)
        epochs, minibatches = self.passes
        check_int("epochs", epochs, 1)
        check_int("minibatches", minibatches, 1)
        if minibatches > self.episodes or self.episodes % minibatches:
            raise InputError(
                f"minibatches = {minibatches} must divide episodes = {self.episodes} (a minibatch "
                f"holds whole episodes and is at most the batch); allowed range: the divisors "
                f"of {self.episodes} in [1, {self.episodes}]"
            )
        if self.learner == "reinforce" and (epochs, minibatches) != (1, 1):
            raise InputError(
                f"epochs = {epochs}, minibatches = {minibatches} with learner 'reinforce': allowed "
                f"range [1, 1] for both (REINFORCE takes one on-policy step per batch; use 'ppo')"
            )
        check_int("train_iterations", self.train_iterations, 0)
        check_int("test_iterations", self.test_iterations, 0)
        check_int("log_every", self.log_every, 1)
        if self.train_iterations % self.log_every:
            raise InputError(f"train_iterations = {self.train_iterations} is not a multiple of "
                             f"log_every = {self.log_every}")
        if not isinstance(self.shared, bool):
            raise InputError(f"shared = {self.shared!r}: allowed values True, False")
        if self.test_policy not in TEST_POLICIES:
            raise InputError(f"test_policy = {self.test_policy!r} is not one of the allowed values: "
                             + ", ".join(repr(a) for a in TEST_POLICIES))


class PGState(NamedTuple):
    key: jax.Array
    net: Any  # actor-critic params, leading agent axis
    opt: Any  # optimizer state, leading agent axis
    count: jax.Array  # updates done (int32)


class Batch(NamedTuple):
    """One agent's share of a batch of episodes, time-major: [T, episodes, ...]."""

    obs: jax.Array
    sample: jax.Array  # what the policy drew (index or value in (0, 1))
    log_prob: jax.Array  # its log-probability when drawn
    advantage: jax.Array
    target: jax.Array  # the critic's regression target


def gae(rewards, values, last_value, terminal, gamma, lam):
    """Advantages and value targets, all time-major [T, ...].

    A terminated step has no future (no bootstrap, and the sum stops there); the
    last step of a truncated episode bootstraps from `last_value`. lam = 1 gives
    the Monte Carlo return minus the baseline.
    """
    alive = 1.0 - terminal
    next_values = jnp.concatenate([values[1:], last_value[None]], 0)
    deltas = rewards + gamma * alive * next_values - values

    def backward(acc, x):
        delta, a = x
        acc = delta + gamma * lam * a * acc
        return acc, acc

    _, adv = jax.lax.scan(backward, jnp.zeros_like(last_value), (deltas, alive), reverse=True)
    return adv, adv + values


class PolicyGradient:
    """Independent REINFORCE or PPO learners (the `agents.protocol.Learner` protocol)."""

    def __init__(self, game, actions, config: PGConfig | None = None):
        config = config or PGConfig()
        config.validate()
        self.game = game
        self.actions = actions
        self.config = config
        self.n_agents = game.n_agents
        self.epochs, self.minibatches = config.passes
        self.net = ActorCritic(hidden=config.hidden, n_layers=config.n_layers,
                               n_outputs=actions.n_outputs, cell=config.cell)

    # ------------------------------------------------------------------ protocol
    def default_hparams(self) -> PGHparams:
        return PGHparams.make()

    def validate_hparams(self, hparams) -> None:
        validate_hparams(hparams)

    def metrics_spec(self) -> dict[str, dict[str, MetricSpec]]:
        n = self.n_agents
        episode = self.game.episode_metrics_spec()
        policy = self.actions.policy_metrics_spec(n)
        returns = MetricSpec((n,), "sum of each agent's learner rewards over an episode, "
                                   "mean over the batch")
        per_agent = lambda doc: MetricSpec((n,), doc + ", mean over the update's steps")  # noqa: E731
        return {
            "train": {
                **episode, **policy, "return": returns,
                "policy_loss": per_agent("policy objective (negated)"),
                "value_loss": per_agent("half the critic's squared error"),
                "entropy": per_agent("policy entropy"),
            },
            "test": {**episode, **policy, "return": returns},
        }

    @staticmethod
    def _optimizer(hparams):
        # Hyperparameters live in the optimizer state, so a vmapped batch of them
        # trains a batch of learners in one program.
        def make(learning_rate, max_grad_norm):
            return optax.chain(optax.clip_by_global_norm(max_grad_norm),
                               optax.adam(learning_rate, eps=1e-5))

        return optax.inject_hyperparams(make)(learning_rate=hparams.lr,
                                              max_grad_norm=hparams.max_grad_norm)

    # ------------------------------------------------------------------ state
    def init(self, key, params, hparams) -> PGState:
        k_net, k_reset, k_run = jax.random.split(key, 3)
        obs, _ = self.game.reset(k_reset, params)  # [n_agents, d]
        keys = jax.random.split(k_net, self.n_agents)
        if self.config.shared:
            keys = jnp.broadcast_to(keys[0], keys.shape)
        carry = self.net.initial_carry()
        net = jax.vmap(self.net.init, in_axes=(0, None, 0))(keys, carry, obs)
        opt = jax.vmap(self._optimizer(hparams).init)(net)
        return PGState(key=k_run, net=net, opt=opt, count=jnp.zeros((), jnp.int32))

    # ------------------------------------------------------------------ acting
    def _rollout(self, net, key, params, explore: bool):
        """`episodes` episodes in parallel; returns the time-major trajectory and metrics."""
        game, actions, E = self.game, self.actions, self.config.episodes
        k_reset, k_noise, k_act = jax.random.split(key, 3)
        obs, state = jax.vmap(game.reset, in_axes=(0, None))(jax.random.split(k_reset, E), params)
        noise = jax.vmap(game.noise, in_axes=(0, None), out_axes=1)(jax.random.split(k_noise, E), params)
        carry = jax.vmap(lambda _: self.net.initial_carry((E,)))(jnp.arange(self.n_agents))
        env_actions = jax.vmap(actions.env_action, in_axes=(1, 0, None))  # per episode
        step_episodes = jax.vmap(game.step, in_axes=(0, 0, 0, None))
        reward_episodes = jax.vmap(game.reward, in_axes=(0, 0, 0, None))

        def step(c, xs):
            state, obs, carry = c
            noise_t, k = xs
            obs_a = jnp.swapaxes(obs, 0, 1)  # [n_agents, E, d]: the agent axis leads, as the params'
            carry, head, value = jax.vmap(self.net.apply)(net, carry, obs_a)
            dist = actions.distribution(head, obs_a)
            sample = dist.sample(seed=k) if explore else actions.deterministic(dist)
            log_prob = dist.log_prob(sample)
            out = step_episodes(state, env_actions(sample, state, params), noise_t, params)
            reward = reward_episodes(out.rewards, out.info, state, params).T  # [n_agents, E]
            terminal = out.info.get("terminated", out.done).astype(reward.dtype)  # [E]
            summary = jax.tree.map(lambda x: x.mean(1), actions.policy_metrics(dist))
            return (out.state, out.obs, carry), (obs_a, sample, log_prob, value, reward, terminal,
                                                 out.info, summary)

        xs = (noise, jax.random.split(k_act, game.n_steps))
        (_, last_obs, carry), traj = jax.lax.scan(step, (state, obs, carry), xs)
        obs_seq, sample, log_prob, value, reward, terminal, infos, summary = traj
        episode = jax.vmap(game.episode_metrics, in_axes=1)(infos)  # [E, ...] per episode
        metrics = {k: v.mean(0) for k, v in episode.items()}
        metrics.update({k: v.mean(0) for k, v in summary.items()})
        metrics["return"] = reward.sum(0).mean(-1)
        # the critic's value after the last step: used only where it was a truncation
        _, _, last_value = jax.vmap(self.net.apply)(net, carry, jnp.swapaxes(last_obs, 0, 1))
        return (obs_seq, sample, log_prob, value, reward, terminal, last_value), metrics

    # ------------------------------------------------------------------ learning
    def _loss(self, net, mb: Batch, hparams):
        head, value = evaluate(self.net, net, mb.obs)
        dist = self.actions.distribution(head, mb.obs)
        log_prob = dist.log_prob(mb.sample)
        adv = mb.advantage
        if self.config.normalize_advantages:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        if self.config.learner == "ppo":
            ratio = jnp.exp(log_prob - mb.log_prob)
            clipped = jnp.clip(ratio, 1.0 - hparams.clip, 1.0 + hparams.clip)
            policy_loss = -jnp.mean(jnp.minimum(ratio * adv, clipped * adv))
        else:
            policy_loss = -jnp.mean(log_prob * adv)
        value_loss = 0.5 * jnp.mean((value - mb.target) ** 2)
        entropy = jnp.mean(dist.entropy())
        total = policy_loss + hparams.value_coef * value_loss - hparams.entropy_coef * entropy
        return total, (policy_loss, value_loss, entropy)

    def _update_agent(self, net, opt_state, batch: Batch, key, hparams):
        """One agent's `epochs` x `minibatches` gradient steps on its batch [T, E, ...]."""
        optimizer = self._optimizer(hparams)
        n_mb, E = self.minibatches, batch.advantage.shape[1]

        def minibatch_step(c, mb):
            net, opt_state = c
            grads, losses = jax.grad(self._loss, has_aux=True)(net, mb, hparams)
            updates, opt_state = optimizer.update(grads, opt_state, net)
            return (optax.apply_updates(net, updates), opt_state), jnp.stack(losses)

        def split(x, perm):  # [T, E, ...] -> [minibatches, T, E / minibatches, ...]
            if n_mb > 1:
                x = x[:, perm]
            x = x.reshape(x.shape[0], n_mb, E // n_mb, *x.shape[2:])
            return jnp.swapaxes(x, 0, 1)

        def epoch(c, k):
            perm = jax.random.permutation(k, E) if n_mb > 1 else None
            return jax.lax.scan(minibatch_step, c, jax.tree.map(lambda x: split(x, perm), batch))

        (net, opt_state), losses = jax.lax.scan(epoch, (net, opt_state),
                                                jax.random.split(key, self.epochs))
        return net, opt_state, losses.mean((0, 1))

    def _iteration(self, ls: PGState, params, hparams, learn: bool):
        key, k_roll, k_update = jax.random.split(ls.key, 3)
        explore = learn or self.config.test_policy == "sample"
        traj, metrics = self._rollout(ls.net, k_roll, params, explore)
        if not learn:
            return ls._replace(key=key), metrics
        obs, sample, log_prob, value, reward, terminal, last_value = traj
        lam = hparams.gae_lambda if self.config.learner == "ppo" else 1.0
        adv, target = gae(reward, value, last_value, terminal[:, None, :], hparams.gamma, lam)
        batch = jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), Batch(obs, sample, log_prob, adv, target))
        if self.config.shared:
            return self._shared_update(ls, key, batch, k_update, hparams, metrics)
        # One agent after the other (lax.map), not vmapped: a vmapped update turns
        # every weight gradient into a batched product over the agents, which
        # XLA:CPU runs several times slower than the plain products of one agent.
        net, opt, losses = jax.lax.map(
            lambda a: self._update_agent(*a, hparams),
            (ls.net, ls.opt, batch, jax.random.split(k_update, self.n_agents)),
        )
        metrics.update(policy_loss=losses[:, 0], value_loss=losses[:, 1], entropy=losses[:, 2])
        return PGState(key=key, net=net, opt=opt, count=ls.count + 1), metrics

    def _shared_update(self, ls: PGState, key, batch: Batch, k_update, hparams, metrics):
        """The agents' batches [n, T, E, ...] pooled into [T, n E, ...] (agent-major,
        so with one agent it is that agent's batch) for one update of agent 0's
        network, copied back to every agent."""
        n = self.n_agents
        pooled = jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1).reshape(x.shape[1], n * x.shape[2], *x.shape[3:]),
                              batch)
        first = lambda tree: jax.tree.map(lambda x: x[0], tree)  # noqa: E731
        net, opt, losses = self._update_agent(first(ls.net), first(ls.opt), pooled,
                                              jax.random.split(k_update, n)[0], hparams)
        copies = lambda tree: jax.tree.map(lambda x: jnp.broadcast_to(x, (n, *x.shape)), tree)  # noqa: E731
        losses = jnp.broadcast_to(losses, (n, 3))
        metrics.update(policy_loss=losses[:, 0], value_loss=losses[:, 1], entropy=losses[:, 2])
        return PGState(key=key, net=copies(net), opt=copies(opt), count=ls.count + 1), metrics

    # ------------------------------------------------------------------ phases
    def train_chunk(self, ls: PGState, params, hparams, n_iterations: int):
        """`n_iterations` updates; metrics averaged per `log_every` updates."""
        every = self.config.log_every
        if n_iterations % every:
            raise InputError(f"n_iterations = {n_iterations} is not a multiple of log_every = {every}")
        ls, metrics = jax.lax.scan(lambda c, _: self._iteration(c, params, hparams, True),
                                   ls, None, length=n_iterations)
        blocks = lambda x: x.reshape(n_iterations // every, every, *x.shape[1:]).mean(1)  # noqa: E731
        return ls, jax.tree.map(blocks, metrics)

    def test(self, ls: PGState, params, hparams, n_iterations: int):
        """`n_iterations` batches of episodes without learning; metrics per batch."""
        return jax.lax.scan(lambda c, _: self._iteration(c, params, hparams, False),
                            ls, None, length=n_iterations)

    def train(self, key, params, hparams, test_params=None) -> dict:
        """Train, then test (under `test_params` if given).

        Returns {"train": metrics per block of `log_every` updates,
                 "test": metrics per test batch, "net": the final network params}.
        """
        ls = self.init(key, params, hparams)
        ls, train_metrics = self.train_chunk(ls, params, hparams, self.config.train_iterations)
        test_params = params if test_params is None else test_params
        ls, test_metrics = self.test(ls, test_params, hparams, self.config.test_iterations)
        return {"train": train_metrics, "test": test_metrics, "net": ls.net}
