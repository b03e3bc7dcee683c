"""The CAT market-design game (paper 004) as an environment and as a whole game.

`CatGame` holds the static configuration: days x rounds, the trader
population (strategies per side), the specialists' policy families, the
market selection rule, and the sizes of the learners' memories. `CatParams`
holds every number (values, fees, k, learning rates...).

Two ways to play:
- `simulate(game, params, key)`: every specialist follows its own charging
  policy; the whole game is one `lax.scan` over days, so `jax.vmap` over keys
  or params runs many games in one program. Returns per-day `DayMetrics`.
- the environment protocol: the specialists are the agents, one step is one
  day, an action is each specialist's five fees for that day, the reward its
  daily score; observations are each specialist's fees and yesterday's
  market share, profit share and transaction success rate.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from jaxmarkets.core import Box, Environment, StepResult, check_choice, check_int, check_range
from jaxmarkets.cat import static as static_mod
from jaxmarkets.cat.day import init_state, make_day
from jaxmarkets.cat.params import PRICE_MAX, CatParams, default_params, param_ranges, validate_params
from jaxmarkets.cat.spec import ASSESSMENT, FEES, GD_READINGS, SELECTION, SpecialistSpec, as_population, as_spec

OBS_DIM = len(FEES) + 4


@dataclasses.dataclass(frozen=True)
class CatGame(Environment):
    days: int = 20
    rounds: int = 10
    buyers: tuple = (("zic", 100),)
    sellers: tuple = (("zic", 100),)
    specialists: tuple = (SpecialistSpec(),)
    selection: str = "epsilon_greedy"
    redraw_values: bool = False
    assessment: str = "all"
    gd_capacity: int = 32  # memory slots per market (JCAT keeps every shout behind the last L trades)
    gd_memory: int = 5  # L, transactions behind the remembered shouts
    gd_max_price: float = 300.0  # the belief's upper anchor
    gd_reading: str = "overview"  # or "jcat": see jaxmarkets/cat/gd.py
    re_actions: int = 100
    eq_window: int = 4  # equilibrium beating: transaction prices averaged
    record: bool = False  # also return every trade (for the NumPy reference test)

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        set_("buyers", as_population("buyers", self.buyers))
        set_("sellers", as_population("sellers", self.sellers))
        specs = tuple(as_spec(s) for s in self.specialists)
        if not specs:
            raise_input("specialists", "has 0 entries; allowed range [1, inf)")
        set_("specialists", specs)
        check_int("days", self.days, 1)
        check_int("rounds", self.rounds, 1)
        check_choice("market_selection.kind", self.selection, SELECTION)
        check_choice("assessment", self.assessment, ASSESSMENT)
        check_int("gd_capacity", self.gd_capacity, 1)
        check_int("gd_memory", self.gd_memory, 1)
        check_range("gd_max_price", self.gd_max_price, 1.0, 10_000.0)
        check_choice("gd_reading", self.gd_reading, GD_READINGS)
        check_int("re_actions", self.re_actions, 2)
        check_int("eq_window", self.eq_window, 1)
        n_traders = sum(n for _, n in self.buyers + self.sellers)
        for j, s in enumerate(specs):
            s.validate(f"specialists[{j}]", self.rounds, n_traders)

    @functools.cached_property
    def static(self):
        return static_mod.build(self)

    @property
    def n_agents(self) -> int:
        return len(self.specialists)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specialists)

    # ------------------------------------------------------------------ params
    def default_params(self) -> CatParams:
        calls = [s.calls_per_day(self.rounds) if s.clearing == "round" else 0 for s in self.specialists]
        return default_params(self.n_agents, calls=calls)

    def validate(self, params: CatParams) -> None:
        validate_params(params, self.n_agents, self.names, self.static.max_calls)

    def param_ranges(self):
        """The table of params.RANGES: validate enforces exactly these (and the
        structural rules), CONFIG.json loading reads the same bounds."""
        return param_ranges()

    # ------------------------------------------------------------------ spaces
    def observation_space(self, params) -> Box:
        return Box(-jnp.inf, jnp.inf, (self.n_agents, OBS_DIM))

    def action_space(self, params) -> Box:
        """Each specialist's fees for the day; the profit fee is a share in [0, 1]."""
        high = jnp.broadcast_to(jnp.asarray([10.0, 10.0, 10.0, 10.0, 1.0]), (self.n_agents, len(FEES)))
        return Box(0.0, high, (self.n_agents, len(FEES)))

    # ------------------------------------------------------------------ protocol
    def observe(self, state, last=None):
        fees = state.day.markets.fees
        s = self.n_agents
        zeros = jnp.zeros(s, jnp.float32)
        shares = (zeros, zeros, zeros) if last is None else (last.market_share, last.profit_share, last.tsr)
        progress = jnp.full(s, state.day_index / self.days, jnp.float32)
        return jnp.concatenate([fees, jnp.stack([*shares, progress], 1)], 1).astype(jnp.float32)

    # reset and step are jitted with the (hashable) game static, so an eager
    # call compiles one program instead of dispatching hundreds of small ones
    def reset(self, key, params):
        return _reset(self, key, params)

    def step(self, key, state, actions, params) -> StepResult:
        return _step(self, key, state, actions, params)


# The day's arrays mark "none" with +-inf (no shout in the book, no rival fee
# yet): the cheapest form for the hot loop. At the protocol's boundary the state
# holds float32's largest number there instead, so a state a learner stores is
# finite (real prices and fees are at most params.PRICE_MAX = 1e6).
_FMAX = float(jnp.finfo(jnp.float32).max)


def _finite(state):
    return jax.tree.map(lambda x: jnp.clip(x, -_FMAX, _FMAX) if jnp.issubdtype(x.dtype, jnp.floating) else x, state)


def _infinite(state):
    def back(x):
        if not jnp.issubdtype(x.dtype, jnp.floating):
            return x
        return jnp.where(x >= _FMAX, jnp.inf, jnp.where(x <= -_FMAX, -jnp.inf, x))
    return jax.tree.map(back, state)


@functools.partial(jax.jit, static_argnums=0)
def _reset(game: CatGame, key, params):
    state = init_state(game.static, params, key)
    return game.observe(state), _finite(state)


@functools.partial(jax.jit, static_argnums=0)
def _step(game: CatGame, key, state, actions, params) -> StepResult:
    # fees come from policies: clip into their range rather than reject
    fees = jnp.clip(jnp.asarray(actions, jnp.float32), 0.0, jnp.asarray([PRICE_MAX] * 4 + [1.0]))
    state, out, _ = make_day(game.static, params)(_infinite(state), fees, key)
    done = state.day_index >= game.days
    info = {"metrics": defined(out), "terminated": done, "truncated": jnp.asarray(False)}
    return StepResult(game.observe(state, out), _finite(state), out.score.astype(jnp.float32), done, info)


def defined(out):
    """The day's metrics for a learner's info: a metric undefined that day (no
    gains from trade: efficiency and p*; no trades: alpha and mean price), NaN
    in `simulate`'s output, is 0 here, and `traded` says whether any trade
    happened, so an info never holds NaN."""
    zero = lambda x: jnp.where(jnp.isnan(x), 0.0, x)  # noqa: E731
    return {**out._replace(efficiency=zero(out.efficiency), alpha=zero(out.alpha), mean_price=zero(out.mean_price),
                           p_star=zero(out.p_star))._asdict(), "traded": out.trades > 0}


def raise_input(field, message):
    from jaxmarkets.core import InputError

    raise InputError(f"{field} {message}")


def simulate(game: CatGame, params: CatParams, key, seat: int | None = None, seat_fees=None):
    """The whole game under the specialists' own charging policies.

    seat, seat_fees [D, 5]: specialist `seat` announces seat_fees[d] on day d
    instead (a learned specialist's choices; its rivals' charging policies see
    them as any announcement). Returns (metrics: DayMetrics with a leading day
    axis, records or None)."""
    st = game.static
    day = make_day(st, params)
    k_init, k_days = jax.random.split(key)
    state = init_state(st, params, k_init)
    keys = jax.random.split(k_days, game.days)

    def body(state, xs):
        k, own = xs
        fees = state.day.markets.fees
        if seat is not None:
            fees = fees.at[seat].set(own)
        state, out, records = day(state, fees, k)
        return state, (out, records)

    own = jnp.zeros((game.days, len(FEES)), jnp.float32) if seat is None else jnp.asarray(seat_fees, jnp.float32)
    _, (out, records) = jax.lax.scan(body, state, (keys, own))
    return out, records


@functools.partial(jax.jit, static_argnums=0)
def simulate_many(game: CatGame, params: CatParams, keys):
    """simulate for a batch of keys (and params with the same leading axis, or shared)."""
    batched = jax.tree.leaves(params)[0].ndim > 0
    return jax.vmap(lambda p, k: simulate(game, p, k)[0], in_axes=(0 if batched else None, 0))(params, keys)
