"""N market makers in repeated play of the liquidity game (paper 002, Section 5's
further work), as an `Environment`.

Each round a client order arrives at one maker, drawn uniformly: it is player 1
(the initiator, who must offload the parcel). The inter-dealer broker matches it
anonymously with one other maker, drawn uniformly from the rest: player 2 (the
responder). The mechanism stays bilateral, as the paper builds it; the other
makers sit the round out. Each maker's type (large or small) is drawn once per
game from the prior and kept; a maker knows its own type, never another's.

Payoffs come from a type-payoff tensor in the params,

    payoffs[initiator type, responder type, initiator action, responder action, 2]

(0 = large, 1 = small; last axis: initiator's, responder's payoff), times
`scale`. The static `model` picks its default:

  printed  the paper's Section 4.2 matrices, actions low / high (2 actions);
  sizes    Section 3's trade rule with holdings as types: actions are sizes
           1..n_actions, a small maker's parcel is capped at its holding.

Two game forms (static `form`):

  simultaneous  one env step per round: every maker submits an action, the
                initiator's and the responder's are used;
  stackelberg   the initiator commits first: two env steps per round, the
                first reads only the initiator's action (rewards 0) and shows it
                to everyone, the second reads the responder's and trades.

Observation per maker (float32): [is large, is initiator, is responder,
initiator has committed, committed action / (n_actions - 1), t / n_steps].
Actions are floats in [0, n_actions), floored to an action index (so a
uniform sample of the action box is a uniform random action).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import Box, Environment, InputError, ParamRange, StepResult, check_choice, check_int, check_range
from jaxmarkets.liquidity.bayesian import printed_type_payoffs
from jaxmarkets.liquidity.tables import COMPOSITION
from jaxmarkets.liquidity.rules import typed_size_payoffs

MODELS = ("printed", "sizes")
FORMS = ("simultaneous", "stackelberg")
LARGE, SMALL = 0, 1
N_OBS = 6


@struct.dataclass
class LiquidityParams:
    prior: jax.Array  # () probability that a maker is large
    scale: jax.Array  # () payoff scaling (> 0)
    payoffs: jax.Array  # [2, 2, A, A, 2] type-payoff tensor, unscaled


class LiquidityState(NamedTuple):
    t: jax.Array  # env steps taken (int32)
    types: jax.Array  # [N] int32, LARGE or SMALL, drawn at reset
    initiator: jax.Array  # int32: the maker this round's client order arrived at
    responder: jax.Array  # int32: its counterparty this round
    committed: jax.Array  # int32: the initiator's committed action (stackelberg), -1 before


def draw_types(key, prior, n_makers: int):
    """[N] types: large with probability `prior`, independently."""
    return jnp.where(jax.random.uniform(key, (n_makers,)) < prior, LARGE, SMALL).astype(jnp.int32)


def roles_from_uniforms(u0, u1, n_makers: int):
    """(initiator, responder) from two uniforms: the initiator uniform over the
    makers, the responder uniform over the others."""
    i = jnp.minimum((u0 * n_makers).astype(jnp.int32), n_makers - 1)
    k = jnp.minimum((u1 * (n_makers - 1)).astype(jnp.int32), n_makers - 2)
    return i, (i + 1 + k) % n_makers


def draw_roles(key, n_makers: int):
    u = jax.random.uniform(key, (2,))
    return roles_from_uniforms(u[0], u[1], n_makers)


def pair_payoffs(params: LiquidityParams, t_init, t_resp):
    """[A, A, 2] scaled payoffs of an initiator of type t_init facing t_resp."""
    return params.payoffs[t_init, t_resp] * params.scale


def action_index(actions, n_actions: int):
    """Policy outputs to action indices: floor, clipped to [0, n_actions - 1]."""
    a = jnp.asarray(actions)
    if jnp.issubdtype(a.dtype, jnp.integer):
        return jnp.clip(a, 0, n_actions - 1).astype(jnp.int32)
    return jnp.clip(jnp.floor(a), 0, n_actions - 1).astype(jnp.int32)


@dataclasses.dataclass(frozen=True)
class LiquidityGame(Environment):
    n_makers: int = 2
    n_actions: int = 2
    model: str = "printed"
    form: str = "simultaneous"
    n_rounds: int = 100

    def __post_init__(self):
        check_int("n_makers", self.n_makers, 2)
        check_int("n_actions", self.n_actions, 2)
        check_choice("model", self.model, MODELS)
        check_choice("form", self.form, FORMS)
        check_int("n_rounds", self.n_rounds, 1)
        if self.model == "printed" and self.n_actions != 2:
            raise InputError(f"n_actions = {self.n_actions}: the printed model has 2 actions "
                             "(low, high); use model = 'sizes' for more")

    @property
    def n_agents(self) -> int:
        return self.n_makers

    @property
    def steps_per_round(self) -> int:
        return 2 if self.form == "stackelberg" else 1

    @property
    def n_steps(self) -> int:
        return self.n_rounds * self.steps_per_round

    # ------------------------------------------------------------------ params
    def default_params(self) -> LiquidityParams:
        """The 17-GEMM composition (p = 0.35), scale 1, and the model's payoffs
        (sizes: a small maker holds half of the largest size, at least 1)."""
        return self.make_params()

    def make_params(self, prior=COMPOSITION, scale=1.0, payoffs=None, small_holding=None) -> LiquidityParams:
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
        if payoffs is None:
            if self.model == "printed":
                payoffs = printed_type_payoffs()
            else:
                holding = max(1, self.n_actions // 2) if small_holding is None else small_holding
                payoffs = typed_size_payoffs(self.n_actions, holding)
        return LiquidityParams(prior=jnp.asarray(prior, dtype), scale=jnp.asarray(scale, dtype),
                               payoffs=jnp.asarray(payoffs, dtype))

    def validate(self, params: LiquidityParams) -> None:
        A = self.n_actions
        shape = tuple(np.shape(params.payoffs))
        if shape[-5:] != (2, 2, A, A, 2):
            raise InputError(f"payoffs has shape {shape}; expected [..., 2, 2, {A}, {A}, 2] (initiator "
                             "type, responder type, initiator action, responder action, player)")
        batch = shape[:-5]
        for name in ("prior", "scale"):
            got = tuple(np.shape(getattr(params, name)))
            if got != batch:
                raise InputError(f"{name} has shape {got}; expected {batch}, the batch shape of payoffs")
        for r in self.param_ranges():
            r.check(getattr(params, r.field))

    def param_ranges(self) -> tuple[ParamRange, ...]:
        # scale x payoffs is a float32 reward: both bounded so the product stays finite
        why = "rewards are float32: scale x payoffs must stay below 3.4e38"
        return (
            ParamRange("prior", 0.0, 1.0),
            ParamRange("scale", 1e-8, 1e8, why=why + "; below 1e-8 rewards vanish in float32"),
            ParamRange("payoffs", -1e15, 1e15, why=why),
        )

    # ------------------------------------------------------------------ spaces
    def observation_space(self, params) -> Box:
        return Box(0.0, 1.0, (self.n_makers, N_OBS))

    def action_space(self, params) -> Box:
        """One action index per maker, as a float in [0, n_actions) (floored)."""
        return Box(0.0, float(self.n_actions), (self.n_makers,))

    # ------------------------------------------------------------------ dynamics
    def reset(self, key, params: LiquidityParams):
        k_types, k_roles = jax.random.split(key)
        initiator, responder = draw_roles(k_roles, self.n_makers)
        state = LiquidityState(
            t=jnp.zeros((), jnp.int32), types=draw_types(k_types, params.prior, self.n_makers),
            initiator=initiator, responder=responder, committed=jnp.full((), -1, jnp.int32),
        )
        return self.observe(state), state

    def resolve(self, params: LiquidityParams, state: LiquidityState, a_init, a_resp):
        """The round's trade: (rewards [N], traded volume unscaled)."""
        pay = pair_payoffs(params, state.types[state.initiator], state.types[state.responder])
        u = pay[a_init, a_resp]
        makers = jnp.arange(self.n_makers)
        rewards = (jnp.where(makers == state.initiator, u[0], 0.0)
                   + jnp.where(makers == state.responder, u[1], 0.0))
        return rewards, u[0] / params.scale

    def step(self, key, state: LiquidityState, actions, params: LiquidityParams) -> StepResult:
        a = action_index(actions, self.n_actions)
        a_init = a[state.initiator]
        if self.form == "stackelberg":
            trading = state.committed >= 0  # second step of the round
            a_init = jnp.where(trading, state.committed, a_init)
        else:
            trading = jnp.asarray(True)
        rewards, volume = self.resolve(params, state, a_init, a[state.responder])
        rewards = jnp.where(trading, rewards, 0.0)
        initiator, responder = draw_roles(key, self.n_makers)
        new = LiquidityState(
            t=state.t + 1, types=state.types,
            initiator=jnp.where(trading, initiator, state.initiator),
            responder=jnp.where(trading, responder, state.responder),
            committed=jnp.where(trading, -1, a_init).astype(jnp.int32),
        )
        done = new.t >= self.n_steps
        info = {
            "traded": jnp.where(trading, volume, 0.0),
            "initiator_action": a_init,
            "responder_action": a[state.responder],
            "round_complete": trading,
            "terminated": done,  # the game has a fixed number of rounds
            "truncated": jnp.zeros_like(done),
        }
        return StepResult(self.observe(new), new, rewards, done, info)

    def observe(self, state: LiquidityState) -> jax.Array:
        makers = jnp.arange(self.n_makers)
        committed = state.committed >= 0
        cols = [
            state.types == LARGE,
            makers == state.initiator,
            makers == state.responder,
            jnp.broadcast_to(committed, (self.n_makers,)),
            jnp.broadcast_to(jnp.where(committed, state.committed, 0) / (self.n_actions - 1), (self.n_makers,)),
            jnp.broadcast_to(state.t / self.n_steps, (self.n_makers,)),
        ]
        return jnp.stack([jnp.asarray(c, jnp.float32) for c in cols], -1)
