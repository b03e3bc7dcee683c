"""The n-agent Almgren-Chriss execution game (paper 001, Eq. 4 and Eq. 23).

Each agent k liquidates its own inventory q0_k over N steps of length tau. With
V_t the total volume of step t, the mid-price moves as

    S_t = S_{t-1} - kappa * V_t + sigma * sqrt(tau) * xi_t,

and agent k sells v_t^k at the price of its *timing reading* (`TIMINGS`):

  simultaneous  S_{t-1} - alpha v_t^k / tau
                Eq. (4) literally: every agent trades at S_{t-1}; the step's
                permanent impact reaches the next step only.
  inclusive     S_{t-1} - kappa V_t - alpha v_t^k / tau
                the step's own permanent impact is already in its price, as in
                the sums of the proof of Theorem 2 (E[IS] = sum_t v_t kappa
                sum_{j<=t} V_j + alpha v_t^2).
  sequential    S_{t-1} - kappa (volume of the agents ahead) - alpha v_t^k / tau
                Algorithm 1: a random order each step (a coin toss for two
                agents); each agent trades after the permanent impact of the
                ones ahead of it.
  aggregate     S_{t-1} - alpha V_t / tau
                temporary impact on the total volume of the step: the market
                whose continuous-time equilibrium is Eq. (7)-(8) (see theory.py).

The reward of a step is the agent's cash, S~_t^k v_t^k, so the rewards of an
episode sum to S0 q0_k - IS_k (Eq. 2); with tau = 1 this is Eq. (23) plus the
constant the paper subtracts at the end. The last step sells whatever is left.

The default is `sequential`: it is how the paper's learners traded (Algorithm 1),
so it is the reading whose Nash equilibrium their results must be compared with.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from jaxmarkets.core import Box, Environment, InputError, ParamRange, StepResult, check_choice, check_int

TIMINGS = ("simultaneous", "inclusive", "sequential", "aggregate")
DEFAULT_TIMING = "sequential"

# The documented range of every params field (README, "The execution game"),
# checked by `validate` and drawn from by the property tests. Zero is the
# model's own bound (alpha = kappa = sigma = lam = 0 are limit cases the theory
# handles); the magnitude bounds are not the model's: they keep every output
# finite in float32, the environment's default dtype. An episode's largest
# term is the temporary impact alpha n_agents q0^2 / tau <= 1e32 n_agents
# (float32 ends at 3.4e38), and q0, S0 and tau are divisors (q / q0,
# alpha / tau, the price normalisation's 1e-6 S0), so they stay normal floats.
MAGNITUDE = 1e8
MAX_AGENTS = 100_000  # n_agents x 1e32 stays below float32's 3.4e38
PARAM_RANGES = (
    ParamRange("q0", 1 / MAGNITUDE, MAGNITUDE, why="a divisor; float32 range of the rewards"),
    ParamRange("S0", 1 / MAGNITUDE, MAGNITUDE, why="a divisor; float32 range of the rewards"),
    ParamRange("alpha", 0.0, MAGNITUDE, why="float32 range of the rewards"),
    ParamRange("kappa", 0.0, MAGNITUDE, why="float32 range of the rewards"),
    ParamRange("sigma", 0.0, MAGNITUDE, why="float32 range of the prices"),
    ParamRange("tau", 1 / MAGNITUDE, MAGNITUDE, why="a divisor; float32 range of the rewards"),
    ParamRange("lam", 0.0, MAGNITUDE, why="float64 range of the mean-variance costs"),
)


@struct.dataclass
class ExecutionParams:
    q0: jax.Array  # [n_agents] initial inventories
    S0: jax.Array  # initial mid-price
    alpha: jax.Array  # temporary impact
    kappa: jax.Array  # permanent impact
    sigma: jax.Array  # volatility per unit time
    tau: jax.Array  # step length
    lam: jax.Array  # [n_agents] risk aversion, for the mean-variance benchmarks only


class ExecutionState(NamedTuple):
    t: jax.Array  # steps done so far (int32)
    q: jax.Array  # [n_agents] remaining inventory
    price: jax.Array  # mid-price S_{t-1} before the next step
    cash: jax.Array  # [n_agents] cash received so far


class StepNoise(NamedTuple):
    """The randomness of one step: price noise and the order of the agents."""

    xi: jax.Array  # standard normal
    order: jax.Array  # [n_agents] uniforms; lower trades earlier (sequential only)


@dataclasses.dataclass(frozen=True)
class ExecutionGame(Environment):
    n_agents: int = 2
    n_steps: int = 10
    timing: str = DEFAULT_TIMING

    def __post_init__(self):
        check_int("n_agents", self.n_agents, 1, MAX_AGENTS)
        check_int("n_steps", self.n_steps, 1)
        check_choice("timing", self.timing, TIMINGS)

    # ------------------------------------------------------------------ params
    def default_params(self) -> ExecutionParams:
        """Table 1 of paper 001 (sigma = 1e-3, one of its three regimes)."""
        return self.make_params()

    def make_params(
        self, q0=100.0, S0=10.0, alpha=0.002, kappa=0.001, sigma=1e-3, tau=1.0, lam=0.0
    ) -> ExecutionParams:
        n = self.n_agents
        # float64 when jax_enable_x64 is on (theory), float32 otherwise.
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
        f = lambda x: jnp.asarray(x, dtype)  # noqa: E731
        return ExecutionParams(
            q0=jnp.broadcast_to(f(q0), (n,)),
            S0=f(S0),
            alpha=f(alpha),
            kappa=f(kappa),
            sigma=f(sigma),
            tau=f(tau),
            lam=jnp.broadcast_to(f(lam), (n,)),
        )

    def validate(self, params: ExecutionParams) -> None:
        for name in ("q0", "lam"):
            shape = np.shape(getattr(params, name))
            if not shape or shape[-1] != self.n_agents:
                raise InputError(
                    f"{name} has shape {shape}; its last axis must be n_agents = {self.n_agents}"
                )
        for r in self.param_ranges():
            r.check(getattr(params, r.field))

    def param_ranges(self) -> tuple[ParamRange, ...]:
        return PARAM_RANGES

    # ------------------------------------------------------------------ spaces
    def observation_space(self, params) -> Box:
        return Box(-1.0, 1.0, (self.n_agents, 3))

    def action_space(self, params) -> Box:
        """Fraction of the remaining inventory each agent sells this step."""
        return Box(0.0, 1.0, (self.n_agents,))

    # ------------------------------------------------------------------ dynamics
    def reset(self, key, params: ExecutionParams):
        q0 = jnp.asarray(params.q0)
        state = ExecutionState(
            t=jnp.zeros((), jnp.int32),
            q=q0,
            price=jnp.asarray(params.S0, q0.dtype),
            cash=jnp.zeros_like(q0),
        )
        return self.observe(state, params), state

    def draw_noise(self, key, shape=()) -> StepNoise:
        """Noise for `shape` steps at once (drawing it in bulk is much faster)."""
        k_xi, k_order = jax.random.split(key)
        xi = jax.random.normal(k_xi, shape)
        if self.timing == "sequential" and self.n_agents > 1:
            # drawn flat: a trailing axis of n_agents vectorises badly on XLA:CPU
            size = self.n_agents * int(np.prod(shape, dtype=int))
            order = jax.random.uniform(k_order, (size,)).reshape(*shape, self.n_agents)
        else:
            order = jnp.zeros((*shape, self.n_agents))
        return StepNoise(xi, order)

    def step(self, key, state, actions, params) -> StepResult:
        return self.step_with_noise(state, actions, self.draw_noise(key), params)

    def step_with_noise(
        self, state: ExecutionState, actions, noise: StepNoise, params: ExecutionParams
    ) -> StepResult:
        last = state.t >= self.n_steps - 1
        # Actions come from policies, not users: a fraction outside [0, 1] is made
        # feasible rather than rejected, and the last step sells what is left.
        frac = jnp.where(last, 1.0, jnp.clip(actions, 0.0, 1.0))
        v = jnp.where(state.t < self.n_steps, frac * state.q, 0.0)
        total = v.sum()

        if self.timing == "inclusive":
            same_step = params.kappa * total
        elif self.timing == "sequential":
            # volume of the agents that trade before each agent; summed over the
            # static agent axis elementwise, since small-axis reductions are slow
            # on XLA:CPU
            before = sum(
                jnp.where(noise.order[j] < noise.order, v[j], 0.0) for j in range(self.n_agents)
            )
            same_step = params.kappa * before
        else:
            same_step = 0.0
        temp_volume = total if self.timing == "aggregate" else v
        exec_price = state.price - same_step - params.alpha * temp_volume / params.tau

        new_price = (
            state.price - params.kappa * total + params.sigma * jnp.sqrt(params.tau) * noise.xi
        )
        rewards = exec_price * v
        new_state = ExecutionState(
            t=state.t + 1, q=state.q - v, price=new_price, cash=state.cash + rewards
        )
        done = new_state.t >= self.n_steps
        info = {
            "volume": v,
            "exec_price": exec_price,
            "shortfall": params.S0 * params.q0 - new_state.cash,
            "terminated": done,  # inventory is gone: nothing is left to earn
            "truncated": jnp.zeros_like(done),
        }
        return StepResult(self.observe(new_state, params), new_state, rewards, done, info)

    def observe(self, state: ExecutionState, params: ExecutionParams) -> jax.Array:
        """(t, q_t, S_{t-1}) per agent, each mapped to [-1, 1] (Section 3.1.1).

        The price is min-max normalised over [S0 - kappa sum(q0) - 4 sigma sqrt(T),
        S0 + 4 sigma sqrt(T)], the range it stays in but for a 4-sigma excursion
        (clipped there).
        """
        n = self.n_agents
        t_obs = 2.0 * state.t / self.n_steps - 1.0
        q_obs = 2.0 * state.q / params.q0 - 1.0
        spread = 4.0 * params.sigma * jnp.sqrt(params.tau * self.n_steps)
        lo = params.S0 - params.kappa * params.q0.sum() - spread
        hi = params.S0 + spread
        width = jnp.maximum(hi - lo, 1e-6 * params.S0)
        s_obs = jnp.clip(2.0 * (state.price - lo) / width - 1.0, -1.0, 1.0)
        return jnp.stack(
            [jnp.full((n,), t_obs, q_obs.dtype), q_obs, jnp.full((n,), s_obs, q_obs.dtype)], -1
        )

    # ------------------------------------------------------------------ rollouts
    def rollout_fractions(self, key, params, fractions) -> dict:
        """One episode with pre-set fractions [n_agents, N]; noise drawn in bulk.

        Returns per-agent shortfall `is` [n], sells `v` [n, N], executed prices
        `exec_price` [n, N], and the `noise` the episode used.
        """
        key_reset, key_noise = jax.random.split(key)
        noise = self.draw_noise(key_noise, (self.n_steps,))
        _, state = self.reset(key_reset, params)

        def body(state, inputs):
            frac, xi, order = inputs
            out = self.step_with_noise(state, frac, StepNoise(xi, order), params)
            return out.state, (out.info["volume"], out.info["exec_price"])

        state, (v, px) = jax.lax.scan(body, state, (fractions.T, noise.xi, noise.order))
        return {"is": params.S0 * params.q0 - state.cash, "v": v.T, "exec_price": px.T, "noise": noise}


def fractions_from_schedule(v, q0):
    """Fractions of remaining inventory that realise sells v [n, N] from q0 [n]."""
    q_before = q0[:, None] - jnp.cumsum(v, axis=1) + v
    positive = q_before > 0
    return jnp.where(positive, v / jnp.where(positive, q_before, 1.0), 0.0)
