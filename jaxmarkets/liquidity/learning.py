"""Classic learners in repeated play of the liquidity game, in `lax.scan`.

Every maker learns one strategy per role it can have (initiator; responder,
per initiator action it sees in the Stackelberg form), knowing its own type
and the rules, never the others' types. Each round: roles are drawn as in
`LiquidityGame` (the same functions), the two active makers sample actions
from their current policies, the trade pays what the game's `pair_payoffs`
says, and both update. The learners (`LEARNERS`):

  fictitious_play  best response (uniform over ties) to the empirical
                   distribution of the counterparties' type and play, i.e. to
                   the running sum of counterfactual payoffs v[a] = u(a, others'
                   actual play): after a trade the counterparty is known
                   ("players learn the identity of others after a successful
                   play", Section 4.3.2); after a failure we assume the same
                   ex-post revelation, as the inter-dealer broker reports.
  regret_matching  Hart & Mas-Colell (2000): play proportional to the positive
                   part of the cumulative regret sum_t v_t[a] - u_t, uniform
                   when no regret is positive. Same information as FP.
  hedge            exponential weights on the cumulative counterfactual payoff,
                   divided by the game's largest payoff (so it is scale-free):
                   p(a) ~ exp(eta sum_t v_t[a] / max |payoff|).
  roth_erev        Erev & Roth (1998): propensities q start at `re_initial`,
                   q <- (1 - phi) q + u [(1 - eps) on the played action,
                   eps / (A - 1) on the others]; p ~ q. Bandit feedback only
                   (its own realised payoff), and, unlike the others, not
                   invariant to the payoff scale: `re_initial` is in payoff
                   units, so `scale` changes how fast it locks in.

In the Stackelberg form the responder samples a whole plan (one response per
initiator action) each round; the initiator's counterfactuals are against
that plan, the responder learns only at the context it saw.

`run` returns the final `LearnState` and records every `record_every` rounds:
NashConv (per round, in unscaled payoff units) of the time-averaged strategies
and of the current policies, and the initiators' average probability of the
largest action. All of it is a pure function of (key, params, hparams), so
`jit(vmap(run))` runs thousands of seeds and regimes (prior, scale, the
learners' hparams) at once; sizes (N, A) and the form are static.

The shared policy-gradient and DQN learners (`agents/`) plug in at the
environment instead: see docs/liquidity.md.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import InputError, check_choice, check_int, check_range
from jaxmarkets.liquidity.game import LiquidityGame, LiquidityParams, draw_types, pair_payoffs, roles_from_uniforms
from jaxmarkets.liquidity.population import population_nash_conv

LEARNERS = ("fictitious_play", "regret_matching", "hedge", "roth_erev")


@struct.dataclass
class LearnerHparams:
    hedge_rate: jax.Array  # eta of Hedge, on payoffs divided by the largest payoff
    re_initial: jax.Array  # Roth-Erev initial propensity, in payoff units (> 0)
    re_forgetting: jax.Array  # Roth-Erev phi in [0, 1)
    re_experimentation: jax.Array  # Roth-Erev eps in [0, 1)


def default_hparams(hedge_rate=0.1, re_initial=1.0, re_forgetting=0.0, re_experimentation=0.0) -> LearnerHparams:
    """Hedge eta = 0.1; basic Roth-Erev (Roth & Erev 1995: no forgetting, no
    experimentation) with initial propensity 1."""
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    f = lambda v: jnp.asarray(v, dtype)  # noqa: E731
    return LearnerHparams(f(hedge_rate), f(re_initial), f(re_forgetting), f(re_experimentation))


def validate_hparams(h: LearnerHparams) -> None:
    check_range("hedge_rate", h.hedge_rate, 0.0, low_open=True)
    check_range("re_initial", h.re_initial, 0.0, low_open=True)
    check_range("re_forgetting", h.re_forgetting, 0.0, 1.0, high_open=True)
    check_range("re_experimentation", h.re_experimentation, 0.0, 1.0, high_open=True)


class LearnState(NamedTuple):
    types: jax.Array  # [N] int32
    stats: jax.Array  # [N, 2, C, A] the learner's accumulator (see the module docstring)
    policy_sum: jax.Array  # [N, 2, C, A] sum of the policies played, for the time-average
    visits: jax.Array  # [N, 2, C] rounds each role-context was active
    reward: jax.Array  # [N, 2] realised reward per role (scaled)
    rounds_in_role: jax.Array  # [N, 2]
    volume: jax.Array  # () total traded volume (unscaled)
    rounds: jax.Array  # () int32


class Records(NamedTuple):
    rounds: jax.Array  # [R] rounds played at each record
    nash_conv_average: jax.Array  # [R] of the time-averaged strategies
    nash_conv_current: jax.Array  # [R] of the current policies
    initiator_top: jax.Array  # [R] initiators' mean time-averaged probability of the largest action


def average_strategies(state: LearnState):
    """[N, 2, C, A] time-averaged strategies (uniform where a role never came up)."""
    A = state.policy_sum.shape[-1]
    v = state.visits[..., None]
    return jnp.where(v > 0, state.policy_sum / jnp.maximum(v, 1), 1.0 / A)


@dataclasses.dataclass(frozen=True)
class RepeatedPlay:
    """One learner in the repeated game; `game` fixes N, A, model, form, rounds."""

    game: LiquidityGame
    learner: str = "fictitious_play"
    record_every: int = 100

    def __post_init__(self):
        check_choice("learner", self.learner, LEARNERS)
        check_int("record_every", self.record_every, 1, self.game.n_rounds)

    def check(self, params: LiquidityParams, hparams: LearnerHparams) -> None:
        """Plain-Python validation before compiling: the game's params, the
        hparams, and non-negative payoffs for Roth-Erev (its propensities are
        sums of payoffs and must stay positive)."""
        self.game.validate(params)
        validate_hparams(hparams)
        if self.learner == "roth_erev" and float(np.min(np.asarray(params.payoffs))) < 0:
            raise InputError("payoffs has a negative entry; Roth-Erev reinforces with payoffs, "
                             "which must lie in [0, inf)")

    @property
    def contexts(self) -> int:
        return self.game.n_actions if self.game.form == "stackelberg" else 1

    # ------------------------------------------------------------ policies
    def policy(self, stats, params: LiquidityParams, hparams: LearnerHparams):
        """Mixed action(s) from the accumulator, over the last axis."""
        A = stats.shape[-1]
        if self.learner == "fictitious_play":
            top = jnp.max(stats, -1, keepdims=True)
            tie = stats >= top - 1e-9 * (1.0 + jnp.abs(top))
            return tie / jnp.sum(tie, -1, keepdims=True)
        if self.learner == "regret_matching":
            pos = jnp.maximum(stats, 0.0)
            total = jnp.sum(pos, -1, keepdims=True)
            return jnp.where(total > 0, pos / jnp.where(total > 0, total, 1.0), 1.0 / A)
        if self.learner == "hedge":
            bound = jnp.maximum(jnp.max(jnp.abs(params.payoffs)) * params.scale, 1e-30)
            return jax.nn.softmax(hparams.hedge_rate * stats / bound, axis=-1)
        return stats / jnp.sum(stats, -1, keepdims=True)  # roth_erev: propensities

    def _update(self, stats, v, u, a, hparams: LearnerHparams):
        """The new accumulator of one role-context: counterfactuals v [A],
        realised payoff u, played action a."""
        A = v.shape[-1]
        if self.learner in ("fictitious_play", "hedge"):
            return stats + v
        if self.learner == "regret_matching":
            return stats + v - u
        played = jax.nn.one_hot(a, A, dtype=v.dtype)
        eps = hparams.re_experimentation
        share = (1.0 - eps) * played + eps / (A - 1) * (1.0 - played)
        return (1.0 - hparams.re_forgetting) * stats + u * share

    # ------------------------------------------------------------ play
    def init(self, key, params: LiquidityParams, hparams: LearnerHparams) -> LearnState:
        N, A, C = self.game.n_makers, self.game.n_actions, self.contexts
        dtype = params.payoffs.dtype
        fill = hparams.re_initial if self.learner == "roth_erev" else 0.0
        return LearnState(
            types=draw_types(key, params.prior, N),
            stats=jnp.full((N, 2, C, A), fill, dtype),
            policy_sum=jnp.zeros((N, 2, C, A), dtype),
            visits=jnp.zeros((N, 2, C), dtype),
            reward=jnp.zeros((N, 2), dtype),
            rounds_in_role=jnp.zeros((N, 2), dtype),
            volume=jnp.zeros((), dtype),
            rounds=jnp.zeros((), jnp.int32),
        )

    def round(self, state: LearnState, u, params: LiquidityParams, hparams: LearnerHparams) -> LearnState:
        """One round from uniforms u [3 + A]: roles, actions, trade, updates."""
        N, A, C = self.game.n_makers, self.game.n_actions, self.contexts
        i, j = roles_from_uniforms(u[0], u[1], N)
        pay = pair_payoffs(params, state.types[i], state.types[j])  # [A, A, 2], as the game trades

        sigma_i = self.policy(state.stats[i, 0, 0], params, hparams)  # [A]
        sigma_j = self.policy(state.stats[j, 1], params, hparams)  # [C, A]
        a_i = _sample(sigma_i, u[2])
        plan = jax.vmap(_sample)(sigma_j, u[3 : 3 + C])  # [C] a response per context
        context = a_i if C > 1 else jnp.zeros((), jnp.int32)
        a_j = plan[context]
        # the initiator's counterfactual: each own action against the responder's
        # reaction to it (the plan; one response in the simultaneous form)
        reaction = plan if C > 1 else jnp.broadcast_to(plan[0], (A,))
        v_i = pay[jnp.arange(A), reaction, 0]
        v_j = pay[a_i, :, 1]
        u_i, u_j = v_i[a_i], v_j[a_j]

        new_i = self._update(state.stats[i, 0, 0], v_i, u_i, a_i, hparams)
        new_j = self._update(state.stats[j, 1, context], v_j, u_j, a_j, hparams)
        stats = state.stats.at[i, 0, 0].set(new_i).at[j, 1, context].set(new_j)

        policy_sum = state.policy_sum.at[i, 0, 0].add(sigma_i).at[j, 1].add(sigma_j)
        visits = state.visits.at[i, 0, 0].add(1.0).at[j, 1].add(1.0)
        reward = state.reward.at[i, 0].add(u_i).at[j, 1].add(u_j)
        in_role = state.rounds_in_role.at[i, 0].add(1.0).at[j, 1].add(1.0)
        return LearnState(state.types, stats, policy_sum, visits, reward, in_role,
                          state.volume + u_i / params.scale, state.rounds + 1)

    def current_strategies(self, state: LearnState, params, hparams):
        return self.policy(state.stats, params, hparams)

    def record(self, state: LearnState, params: LiquidityParams, hparams: LearnerHparams):
        form = self.game.form
        avg = average_strategies(state)
        cur = self.current_strategies(state, params, hparams)
        nc_avg = population_nash_conv(params.payoffs, state.types, avg, form)
        nc_cur = population_nash_conv(params.payoffs, state.types, cur, form)
        return state.rounds, nc_avg, nc_cur, jnp.mean(avg[:, 0, 0, -1])

    def run(self, key, params: LiquidityParams, hparams: LearnerHparams):
        """(final LearnState, Records) of game.n_rounds rounds."""
        k_init, k_play = jax.random.split(key)
        state = self.init(k_init, params, hparams)
        n_u = 3 + self.contexts
        n_records = self.game.n_rounds // self.record_every
        tail = self.game.n_rounds - n_records * self.record_every

        def rounds(state, key, length):
            # a block's randomness in one draw: much faster than a split per round
            us = jax.random.uniform(key, (length, n_u), params.payoffs.dtype)
            state, _ = jax.lax.scan(lambda s, u: (self.round(s, u, params, hparams), None), state, us)
            return state

        def block(state, key):
            state = rounds(state, key, self.record_every)
            return state, self.record(state, params, hparams)

        keys = jax.random.split(k_play, n_records + 1)
        state, recs = jax.lax.scan(block, state, keys[:n_records])
        if tail:
            state = rounds(state, keys[-1], tail)
        return state, Records(*recs)


def _sample(p, u):
    """Index drawn from probabilities p [A] with one uniform u (inverse CDF)."""
    return jnp.minimum(jnp.sum(jnp.cumsum(p) < u * jnp.sum(p)), p.shape[-1] - 1).astype(jnp.int32)


@functools.lru_cache(maxsize=64)
def batched_run(play: RepeatedPlay, optimize: bool = True):
    """jit(vmap(play.run)) over keys, params and hparams (leading run axis).

    optimize=False compiles with XLA:CPU's backend optimisations off: half the
    compile time for a run about 3x slower, the better trade for small runs
    (tests, --quick) where compiling is most of the time.
    """
    options = None if optimize or jax.default_backend() != "cpu" else {"xla_backend_optimization_level": 0}
    return jax.jit(jax.vmap(play.run), compiler_options=options)
