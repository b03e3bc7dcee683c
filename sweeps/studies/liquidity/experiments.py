"""The learning experiments of the liquidity study: one batch of runs each.

An experiment fixes the static part (model, form, N, A, rounds, learner) and
runs seeds x regimes (prior, scale: the traced params) in one jit(vmap(...)).
Its result is a dict of NumPy arrays with a leading run axis, small enough to
store as a task (sweeps.engine.tasks) so that --resume skips it.

The classic learners (`jaxmarkets.liquidity.learning`) and the shared ones
(PPO, DQN through `adapter.LearnerPlay`) give results with the same keys, so
one analysis reads both. For a shared learner `n_rounds` is the run's rounds of
play (PPO: updates of `episodes` one-round episodes; DQN: one-round episodes)
and `record_every` is in rounds too.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.liquidity.game import LiquidityGame
from jaxmarkets.liquidity.learning import RepeatedPlay, average_strategies, batched_run, default_hparams
from sweeps.studies.liquidity import adapter as shared


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


def shared_play(exp: Experiment) -> shared.LearnerPlay:
    """The shared learner's run of `exp`: one-round episodes, `n_rounds` rounds."""
    game = dataclasses.replace(exp.game(), n_rounds=1)
    per_update = shared.LearnerPlay(game, exp.learner, updates=1, record_every=1).rounds_per_update
    for name in ("n_rounds", "record_every"):
        if getattr(exp, name) % per_update:
            raise ValueError(f"{exp.name}: {name} = {getattr(exp, name)} is not a multiple of the "
                             f"{per_update} rounds of one {exp.learner} update")
    return shared.LearnerPlay(game, exp.learner, updates=exp.n_rounds // per_update,
                              record_every=exp.record_every // per_update)


def run_experiment(exp: Experiment, key, optimize: bool) -> dict[str, np.ndarray]:
    """Every (regime, seed) run of `exp`; arrays have a leading axis R * S
    (regime-major). Returns final strategies, types, rewards and the records."""
    if exp.learner in shared.LEARNERS:
        return _run_shared(exp, key, optimize)
    game = exp.game()
    R, S = len(exp.regimes()), exp.seeds
    params, payoffs = _regime_params(exp, game)
    prior, scale = params.prior, params.scale
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
        "payoffs": payoffs,
    }
    return {k: np.asarray(v) for k, v in out.items()}


def _regime_params(exp: Experiment, game: LiquidityGame):
    regimes = exp.regimes()
    R, S = len(regimes), exp.seeds
    base = game.default_params()
    prior = jnp.repeat(jnp.asarray([p for p, _ in regimes], base.prior.dtype), S)
    scale = jnp.repeat(jnp.asarray([s for _, s in regimes], base.scale.dtype), S)
    params = base.replace(prior=prior, scale=scale,
                          payoffs=jnp.broadcast_to(base.payoffs, (R * S,) + base.payoffs.shape))
    return params, base.payoffs


def _run_shared(exp: Experiment, key, optimize: bool) -> dict[str, np.ndarray]:
    play = shared_play(exp)
    params, payoffs = _regime_params(exp, play.game)
    n = params.prior.shape[0]
    hparams = jax.tree.map(lambda x: jnp.broadcast_to(x, (n,)), play.default_hparams())
    play.check(params, hparams)
    keys = jax.random.split(key, exp.seeds)[jnp.tile(jnp.arange(exp.seeds), len(exp.regimes()))]
    out = dict(shared.batched_learner_run(play, optimize)(keys, params, hparams))
    out.update(prior=params.prior, scale=params.scale, record_rounds=out["record_rounds"][0], payoffs=payoffs)
    return {k: np.asarray(v) for k, v in out.items()}
