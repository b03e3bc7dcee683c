"""How the liquidity game (paper 002) plugs into the shared learners (`agents/`):
independent PPO / REINFORCE makers (a categorical over the actions) and Double-DQN
makers in repeated play, vmapped over seeds and regimes.

Game side (`LiquidityAdapter`): the environment's own `reset` / `step`, with two
changes that make a learner's run the same experiment as the classic learners'
(`jaxmarkets.liquidity.learning`):

- each seed's types are drawn once, from its key and the prior, and kept for
  every episode of the run (the adapter's params carry them; `reset` overwrites
  the environment's per-episode draw). The classic learners play one long game
  with fixed types; the learners here see it as many short episodes, and since
  rounds are independent given the types (no state carries over), an episode
  of R rounds is just a batch of R rounds;
- `step` adds each maker's reward and active rounds per role to the step's info,
  so the episode metrics say who earned what as initiator and as responder.

An episode is `rounds_per_episode` rounds (default 1: a one-shot stage game per
episode, as the shared learners' `MatrixGame` test; in the Stackelberg form two
steps, commit then answer, so gamma = 1 carries the trade back to the
commitment and nothing beyond the round).

Policy side (`LiquidityActions`): a categorical over the A actions; the
environment gets index + 0.5 (its `Box(0, A)` is floored). A maker that has no
role at a step (not the initiator or the responder; in the Stackelberg form the
responder before the commitment and the initiator after it) is masked to one
action: its sample is ignored by the game, so it must carry no gradient and no
entropy bonus. Q side (`LiquidityGrid`): the DQN grid has exactly A features,
feature k means action k, exploration is a uniform action.

Measured like the classic learners: after every `record_every` updates each
maker's current policy is read at the observations of its two roles
(`role_observations`: initiator; responder, per committed action in the
Stackelberg form), averaged over the steps of an episode, into
`sigma[N, 2, C, A]`; the time-average of these over the run and the current one
go to `population.population_nash_conv` with the seed's types. A DQN maker's
policy is its greedy one (epsilon exploration is not part of it).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
from flax import struct

from agents.dqn import DQN, DQNConfig, DQNHparams, QActionGrid
from agents.pg import PGConfig, PGHparams, PolicyGradient
from agents.policy import DiscreteActions
from agents.protocol import GameAdapter, MetricSpec
from jaxmarkets.core import InputError, check_choice, check_int
from jaxmarkets.liquidity.game import N_OBS, LiquidityGame, LiquidityParams, LiquidityState, draw_types
from jaxmarkets.liquidity.population import population_nash_conv

LEARNERS = ("ppo", "reinforce", "dqn")


@struct.dataclass
class AdapterParams:
    game: LiquidityParams
    types: jax.Array  # [N] int32, the run's types (0 large, 1 small)


def active_mask(obs, form: str):
    """[..., N] True where the maker's action is read by the game at this step
    (from the observation alone: is initiator, is responder, has committed)."""
    init, resp, committed = obs[..., 1] > 0.5, obs[..., 2] > 0.5, obs[..., 3] > 0.5
    if form == "stackelberg":
        return (init & ~committed) | (resp & committed)
    return init | resp


class LiquidityAdapter(GameAdapter):
    def __init__(self, game: LiquidityGame, rounds_per_episode: int | None = None):
        """`rounds_per_episode` (default: the game's `n_rounds`) is an episode's length."""
        if rounds_per_episode is not None:
            check_int("rounds_per_episode", rounds_per_episode, 1)
            game = dataclasses.replace(game, n_rounds=rounds_per_episode)
        super().__init__(game, game.n_steps, n_obs=N_OBS)
        self.game = game

    def make_params(self, game_params: LiquidityParams, types) -> AdapterParams:
        return AdapterParams(game_params, jnp.asarray(types, jnp.int32))

    def draw_params(self, key, game_params: LiquidityParams) -> AdapterParams:
        """A seed's types drawn from the prior (traceable)."""
        return AdapterParams(game_params, draw_types(key, game_params.prior, self.game.n_makers))

    def env_params(self, params):
        return params.game

    def reset(self, key, params):
        _, state = self.game.reset(key, params.game)
        state = state._replace(types=params.types)
        return self.game.observe(state), state

    def step(self, state: LiquidityState, actions, noise_t, params):
        out = self.game.step(noise_t, state, actions, params.game)
        makers = jnp.arange(self.game.n_makers)
        roles = jnp.stack([makers == state.initiator, makers == state.responder], -1)  # [N, 2]
        played = roles & out.info["round_complete"]
        info = dict(out.info)
        info["role_reward"] = jnp.where(played, out.rewards[:, None], 0.0)
        info["role_rounds"] = played.astype(out.rewards.dtype)
        return out._replace(info=info)

    def episode_metrics(self, infos):
        return {"role_reward": infos["role_reward"].sum(0), "role_rounds": infos["role_rounds"].sum(0),
                "traded": infos["traded"].sum(0)}

    def episode_metrics_spec(self):
        n = self.n_agents
        return {
            "role_reward": MetricSpec((n, 2), "reward (scaled) per maker as initiator / responder over "
                                              "the episode"),
            "role_rounds": MetricSpec((n, 2), "rounds per maker as initiator / responder in the episode"),
            "traded": MetricSpec((), "volume traded over the episode (unscaled)"),
        }


class LiquidityActions(DiscreteActions):
    """A categorical over the game's A actions; makers without a role are masked
    to action 0 (the game ignores it)."""

    def __init__(self, game: LiquidityGame):
        super().__init__(game.n_actions)
        self.form = game.form

    def mask(self, obs):
        active = active_mask(obs, self.form)[..., None]
        first = jnp.arange(self.n_actions) == 0
        return active | first

    def env_action(self, sample, state, params):
        return sample.astype(jnp.float32) + 0.5


class LiquidityGrid(QActionGrid):
    """A Q-learner's A features linspace(-1, 1, A): feature k is action k."""

    def __init__(self, game: LiquidityGame):
        self.n_actions = game.n_actions

    def _index(self, features):
        A = self.n_actions
        return jnp.clip(jnp.round((features + 1.0) * 0.5 * (A - 1)), 0, A - 1)

    def explore(self, z, t, state, params):
        # z is standard normal: Phi(z) is uniform, so the explored action is uniform
        u = jax.scipy.stats.norm.cdf(z)
        k = jnp.minimum(jnp.floor(u * self.n_actions), self.n_actions - 1)
        return 2.0 * k / (self.n_actions - 1) - 1.0

    def env_action(self, features, state, params):
        return self._index(features).astype(jnp.float32) + 0.5


def role_observations(game: LiquidityGame, types):
    """[N, 2, C, S, d]: what maker i observes when it acts as initiator (role 0,
    context 0, copied to every context) and as responder (role 1; per committed
    action c in the Stackelberg form), at each of the S rounds of an episode."""
    N, A = game.n_makers, game.n_actions
    stack = game.form == "stackelberg"
    C = A if stack else 1
    S = game.n_rounds
    per_round = game.steps_per_round
    makers = jnp.arange(N)

    def row(t, i, initiator, responder, committed):
        state = LiquidityState(t=jnp.asarray(t, jnp.int32), types=types, initiator=initiator,
                               responder=responder, committed=jnp.asarray(committed, jnp.int32))
        return game.observe(state)[i]

    def maker(i):
        other = (i + 1) % N
        rounds = jnp.arange(S)
        init = jax.vmap(lambda r: row(r * per_round, i, i, other, -1))(rounds)  # [S, d]
        if stack:
            resp = jax.vmap(lambda c: jax.vmap(lambda r: row(r * per_round + 1, i, other, i, c))(rounds))(
                jnp.arange(A))  # [C, S, d]
        else:
            resp = jax.vmap(lambda r: row(r * per_round, i, other, i, -1))(rounds)[None]
        return jnp.stack([jnp.broadcast_to(init, (C, S, N_OBS)), resp])

    return jax.vmap(maker)(makers)


@dataclasses.dataclass(frozen=True)
class LearnerPlay:
    """A shared learner's makers in the repeated game: `run(key, params,
    hparams)` draws the seed's types, trains `updates` updates (PG: batches of
    `pg_config.episodes` episodes; DQN: episodes) and records every
    `record_every`. `game.n_rounds` is the episode's length in rounds."""

    game: LiquidityGame
    learner: str = "ppo"
    updates: int = 200
    record_every: int = 10
    pg: PGConfig = PGConfig(hidden=16, n_layers=1, episodes=32)
    # PG: episodes per update = this x N (replacing pg.episodes; None keeps it).
    # A maker has a role in 2 of N rounds, so with a fixed batch a minibatch
    # holds fewer of its samples as N grows; at N = 10 and 32 episodes most
    # minibatches hold 0 or 1 initiator sample, and normalised advantages with
    # Adam make each of those a full-size, noisy step (measured in
    # docs/liquidity.md: Bayesian agreement at N = 10 29-44% -> 94-100%).
    episodes_per_maker: int | None = 16
    dqn: DQNConfig = DQNConfig(n_layers=2, hidden=16, head="action_out", batch_size=32,
                               memory_size=512, eps_every=20, target_every=50)

    def __post_init__(self):
        check_choice("learner", self.learner, LEARNERS)
        check_int("updates", self.updates, 1)
        check_int("record_every", self.record_every, 1, self.updates)
        if self.episodes_per_maker is not None:
            check_int("episodes_per_maker", self.episodes_per_maker, 1)
        if self.updates % self.record_every:
            raise InputError(f"updates = {self.updates} is not a multiple of record_every = "
                             f"{self.record_every}; allowed: the multiples of record_every")
        if self.pg.cell != "none":
            raise InputError(f"cell = {self.pg.cell!r}: the makers' policies are read at fixed "
                             "observations, allowed value 'none' (a feed-forward policy)")
        # the learners validate their own configs here, before anything compiles
        self.make_learner()

    @property
    def contexts(self) -> int:
        return self.game.n_actions if self.game.form == "stackelberg" else 1

    @property
    def pg_config(self) -> PGConfig:
        if self.episodes_per_maker is None:
            return self.pg
        return dataclasses.replace(self.pg, episodes=self.episodes_per_maker * self.game.n_makers)

    @property
    def rounds_per_update(self) -> int:
        episodes = 1 if self.learner == "dqn" else self.pg_config.episodes
        return episodes * self.game.n_rounds

    def make_learner(self):
        adapter = LiquidityAdapter(self.game)
        if self.learner == "dqn":
            cfg = dataclasses.replace(self.dqn, n_actions=self.game.n_actions, train_iterations=self.updates,
                                      test_iterations=0, log_every=self.record_every)
            return adapter, DQN(adapter, LiquidityGrid(self.game), cfg)
        cfg = dataclasses.replace(self.pg_config, learner=self.learner, train_iterations=self.updates,
                                  test_iterations=0, log_every=self.record_every)
        return adapter, PolicyGradient(adapter, LiquidityActions(self.game), cfg)

    def default_hparams(self):
        """PG: the learner's defaults (entropy 0.01) but Adam 1e-3 (for 3e-4);
        DQN: Adam 1e-3 (paper 001's 1e-4 is for its long episodes) and epsilon
        from 1 down by 0.98 every 20 actions."""
        if self.learner == "dqn":
            return DQNHparams.make(lr=1e-3, eps_decay=0.98)
        return PGHparams.make(lr=1e-3, entropy_coef=0.01)

    def check(self, params: LiquidityParams, hparams) -> None:
        self.game.validate(params)
        self.make_learner()[1].validate_hparams(hparams)

    # ------------------------------------------------------------ policies
    def policies(self, learner, carry, types):
        """[N, 2, C, A]: each maker's current policy per role, averaged over an
        episode's rounds."""
        obs = role_observations(self.game, types)  # [N, 2, C, S, d]
        N, A = self.game.n_makers, self.game.n_actions
        flat = obs.reshape(N, -1, N_OBS)
        if self.learner == "dqn":
            _, index = jax.vmap(learner._greedy)(carry.online, flat)
            probs = jax.nn.one_hot(index, A, dtype=jnp.float32)
        else:
            init = jax.vmap(lambda _: learner.net.initial_carry((flat.shape[1],)))(jnp.arange(N))
            _, head, _ = jax.vmap(learner.net.apply)(carry.net, init, flat)
            probs = learner.actions.distribution(head, flat).probs
        return probs.reshape(obs.shape[:-1] + (A,)).mean(-2)

    def run(self, key, params: LiquidityParams, hparams):
        """One seed: a dict of the run's types, policies, rewards and records
        (the keys of `experiments.run_experiment`'s results)."""
        adapter, learner = self.make_learner()
        k_types, k_learn = jax.random.split(key)
        ap = adapter.draw_params(k_types, params)
        carry = learner.init(k_learn, ap, hparams)
        R = self.updates // self.record_every

        def block(c, _):
            c, m = learner.train_chunk(c, ap, hparams, self.record_every)
            return c, (self.policies(learner, c, ap.types), jax.tree.map(lambda x: x[0], m))

        carry, (sigmas, metrics) = jax.lax.scan(block, carry, None, length=R)
        average = jnp.cumsum(sigmas, 0) / jnp.arange(1, R + 1, dtype=sigmas.dtype)[:, None, None, None, None]
        form = self.game.form
        nc = jax.vmap(lambda s: population_nash_conv(params.payoffs, ap.types, s, form))
        # metrics are means per episode over a block: times the episodes in a block
        per_block = self.record_every * (1 if self.learner == "dqn" else self.pg_config.episodes)
        return {
            "types": ap.types,
            "average": average[-1], "current": sigmas[-1],
            "reward": metrics["role_reward"].sum(0) * per_block,
            "rounds_in_role": metrics["role_rounds"].sum(0) * per_block,
            "volume": metrics["traded"].sum(0) * per_block,
            "record_rounds": jnp.arange(1, R + 1) * self.record_every * self.rounds_per_update,
            "nash_conv_average": nc(average), "nash_conv_current": nc(sigmas),
            "initiator_top": jnp.mean(average[:, :, 0, 0, -1], -1),
        }


@functools.lru_cache(maxsize=32)
def batched_learner_run(play: LearnerPlay, optimize: bool = True):
    """jit(vmap(play.run)) over keys, params and hparams (leading run axis);
    optimize=False as in `learning.batched_run` (faster compile, slower run)."""
    options = None if optimize or jax.default_backend() != "cpu" else {"xla_backend_optimization_level": 0}
    return jax.jit(jax.vmap(play.run), compiler_options=options)


def policy_gradient(game: LiquidityGame, config: PGConfig | None = None, rounds_per_episode: int = 1):
    """PPO / REINFORCE makers: (adapter, learner); episodes of `rounds_per_episode` rounds."""
    adapter = LiquidityAdapter(game, rounds_per_episode)
    return adapter, PolicyGradient(adapter, LiquidityActions(adapter.game), config)


def dqn(game: LiquidityGame, config: DQNConfig | None = None, rounds_per_episode: int = 1):
    """Double-DQN makers: (adapter, learner); the grid has one feature per action."""
    adapter = LiquidityAdapter(game, rounds_per_episode)
    config = dataclasses.replace(config or DQNConfig(), n_actions=game.n_actions)
    return adapter, DQN(adapter, LiquidityGrid(adapter.game), config)
