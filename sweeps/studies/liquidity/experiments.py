"""The learning experiments of the liquidity study: one batch of runs each.

An experiment fixes the static part (model, form, N, A, rounds, learner) and
runs seeds x regimes (prior, scale: the traced params) in one jit(vmap(...)).
Its result is a dict of NumPy arrays with a leading run axis, small enough to
store as a task (sweeps.engine.tasks) so that --resume skips it.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.liquidity.game import LiquidityGame
from jaxmarkets.liquidity.learning import RepeatedPlay, average_strategies, batched_run, default_hparams


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str  # task name, also the key of its seeds
    learner: str
    n_makers: int
    n_rounds: int
    model: str = "printed"
    form: str = "simultaneous"
    n_actions: int = 2
    priors: tuple[float, ...] = (0.35,)
    scales: tuple[float, ...] = (1.0,)
    seeds: int = 256
    record_every: int = 100

    def game(self) -> LiquidityGame:
        return LiquidityGame(n_makers=self.n_makers, n_actions=self.n_actions, model=self.model,
                             form=self.form, n_rounds=self.n_rounds)

    def regimes(self) -> list[tuple[float, float]]:
        return [(p, s) for p in self.priors for s in self.scales]


def run_experiment(exp: Experiment, key, optimize: bool) -> dict[str, np.ndarray]:
    """Every (regime, seed) run of `exp`; arrays have a leading axis R * S
    (regime-major). Returns final strategies, types, rewards and the records."""
    game = exp.game()
    regimes = exp.regimes()
    R, S = len(regimes), exp.seeds
    base = game.default_params()
    prior = jnp.repeat(jnp.asarray([p for p, _ in regimes], base.prior.dtype), S)
    scale = jnp.repeat(jnp.asarray([s for _, s in regimes], base.scale.dtype), S)
    params = base.replace(prior=prior, scale=scale,
                          payoffs=jnp.broadcast_to(base.payoffs, (R * S,) + base.payoffs.shape))
    hparams = jax.tree.map(lambda x: jnp.broadcast_to(x, (R * S,)), default_hparams())
    play = RepeatedPlay(game, exp.learner, record_every=exp.record_every)
    play.check(params, hparams)
    # the same seeds in every regime: regimes differ only by their params
    keys = jax.random.split(key, S)[jnp.tile(jnp.arange(S), R)]
    state, rec = batched_run(play, optimize)(keys, params, hparams)
    avg = jax.vmap(average_strategies)(state)
    out = {
        "prior": prior, "scale": scale, "types": state.types, "average": avg,
        "reward": state.reward, "rounds_in_role": state.rounds_in_role, "volume": state.volume,
        "record_rounds": rec.rounds[0], "nash_conv_average": rec.nash_conv_average,
        "nash_conv_current": rec.nash_conv_current, "initiator_top": rec.initiator_top,
        "payoffs": base.payoffs,
    }
    return {k: np.asarray(v) for k, v in out.items()}
