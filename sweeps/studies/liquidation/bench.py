"""`jaxmarkets bench liquidation`: environment bank-steps/s against NumPy, and
learner bank-updates/s of both learners.

Environment: N banks (default 40), two assets, `--horizon` steps, `--episodes`
parallel episodes (default 1e4) of uniform random actions drawn before the
timed region. JAX: reset and `lax.scan` over the steps, vmapped over episodes,
one compiled program (compile timed apart, best of `--repeats`). NumPy: the
stepper vectorised over episodes (`jaxmarkets.liquidation.batched`), on the
same actions and initial holdings, in the same process; both are checked to
agree on the final welfare before any number is printed.

Learners: recurrent Double DQN and PPO banks on the same game at `--learner-banks`
banks, `--runs` runs vmapped in one program. A bank-update is one gradient step
of one bank: DQN takes one per step once its memory holds a batch; PPO takes
epochs x minibatches per update of a batch of episodes.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from jaxmarkets.core import check_int
from sweeps.engine.timing import best_seconds


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="liquidation env bank-steps/s against NumPy; learner bank-updates/s",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--banks", type=int, default=40)
    p.add_argument("--episodes", type=int, default=10_000)
    p.add_argument("--horizon", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--learner-banks", type=int, default=5)
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--iterations", type=int, default=200, help="learner episodes (DQN) / updates (PPO) timed")
    p.add_argument("--no-learners", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _check(args) -> None:
    check_int("--banks", args.banks, 2, 100_000)
    check_int("--episodes", args.episodes, 1, 10_000_000)
    check_int("--horizon", args.horizon, 1, 1000)
    check_int("--repeats", args.repeats, 1, 100)
    check_int("--learner-banks", args.learner_banks, 2, 1000)
    check_int("--runs", args.runs, 1, 1000)
    check_int("--iterations", args.iterations, 2, 1_000_000)


def bench_env(n_banks: int, episodes: int, horizon: int, repeats: int) -> dict:
    import jax
    import jax.numpy as jnp

    from jaxmarkets.liquidation import batched
    from jaxmarkets.liquidation.game import LiquidationGame

    # chunks shrink with the horizon (so episodes are not over after two steps);
    # 1 / horizon + 0.25 keeps the capacity above the 20% withdrawal need
    game = LiquidationGame(n_banks=n_banks, n_assets=2, horizon=horizon)
    params = game.make_params(max_sale=min(1.0, 1.0 / horizon + 0.25))
    game.validate(params)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, game.n_actions, (episodes, horizon, n_banks)).astype(np.int32)

    def rollout(key, acts):
        k_reset, k_steps = jax.random.split(key)
        _, state = game.reset(k_reset, params)

        def body(s, inp):
            a, k = inp
            out = game.step(k, s, a, params)
            return out.state, None

        s, _ = jax.lax.scan(body, state, (acts, jax.random.split(k_steps, horizon)))
        return s.value.sum()

    fn = jax.jit(jax.vmap(rollout))
    keys = jax.random.split(jax.random.key(0), episodes)
    acts = jnp.asarray(actions)
    t0 = time.perf_counter()
    compiled = fn.lower(keys, acts).compile()
    compile_s = time.perf_counter() - t0
    welfare = np.asarray(compiled(keys, acts))
    jax_s = best_seconds(lambda: compiled(keys, acts).block_until_ready(), repeats)

    config = dataclasses.asdict(game)
    pdict = {f.name: np.asarray(getattr(params, f.name), np.float64) for f in dataclasses.fields(params)}
    h0 = np.broadcast_to(pdict["holdings"], (episodes, n_banks, 2))
    ref = batched.run(config, pdict, h0, actions)
    # float32 environment against the float64 stepper: the same outcome path by path
    np.testing.assert_allclose(welfare, ref["value"][:, -1].sum(-1), rtol=1e-3, atol=1e-2 * n_banks)
    numpy_s = best_seconds(lambda: batched.run(config, pdict, h0, actions), repeats)
    bank_steps = episodes * horizon * n_banks
    return {"banks": n_banks, "episodes": episodes, "horizon": horizon, "compile_s": compile_s,
            "jax_run_s": jax_s, "numpy_run_s": numpy_s, "jax_bank_steps_per_s": bank_steps / jax_s,
            "numpy_bank_steps_per_s": bank_steps / numpy_s, "speedup": numpy_s / jax_s}


def bench_learners(n_banks: int, runs: int, iterations: int) -> list[dict]:
    import jax

    from agents.dqn import DQNHparams
    from agents.pg import PGConfig, PGHparams
    from agents.recurrent_dqn import RecurrentDQNConfig
    from jaxmarkets.liquidation.game import LiquidationGame
    from sweeps.studies.liquidation.adapter import dqn, policy_gradient

    game = LiquidationGame(n_banks=n_banks, n_assets=2, horizon=2)
    params = game.default_params()
    rows = []
    dcfg = RecurrentDQNConfig(n_layers=2, hidden=32, head="action_out", batch_size=8, memory_size=500,
                              train_iterations=iterations, test_iterations=1, log_every=iterations)
    pcfg = PGConfig(hidden=32, n_layers=2, cell="gru", episodes=32, train_iterations=iterations,
                    test_iterations=1, log_every=iterations)
    for name, (adapter, learner), hp in (
            ("recurrent_ddqn", dqn(game, dcfg), DQNHparams.make()),
            ("ppo_gru", policy_gradient(game, pcfg), PGHparams.make())):
        ap = adapter.make_params(params)

        def program(keys, learner=learner, ap=ap, hp=hp):
            carry = jax.vmap(learner.init, in_axes=(0, None, None))(keys, ap, hp)
            _, m = jax.vmap(learner.train_chunk, in_axes=(0, None, None, None))(carry, ap, hp, iterations)
            return m["welfare"]

        keys = jax.random.split(jax.random.key(0), runs)
        t0 = time.perf_counter()
        compiled = jax.jit(program).lower(keys).compile()
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = np.asarray(jax.block_until_ready(compiled(keys)))
        run_s = time.perf_counter() - t0
        if not np.all(np.isfinite(out)):
            raise RuntimeError(f"{name}: the benchmark run produced non-finite welfare")
        if name == "recurrent_ddqn":
            per_run = iterations * game.horizon - (dcfg.batch_size - 1) * game.horizon  # steps once a batch is stored
        else:
            per_run = iterations * learner.epochs * learner.minibatches
        updates = runs * n_banks * max(per_run, 0)
        rows.append({"learner": name, "banks": n_banks, "runs": runs, "iterations": iterations,
                     "compile_s": compile_s, "run_s": run_s, "bank_updates_per_s": updates / run_s})
    return rows


def run(args: argparse.Namespace) -> int:
    _check(args)
    import jax

    env = bench_env(args.banks, args.episodes, args.horizon, args.repeats)
    learners = [] if args.no_learners else bench_learners(args.learner_banks, args.runs, args.iterations)
    if args.json:
        from sweeps.cli.options import print_json

        print_json({"backend": jax.default_backend(), "env": env, "learners": learners})
        return 0
    print(f"liquidation env: {env['banks']} banks, 2 assets, {env['episodes']} episodes x {env['horizon']} steps, "
          f"backend {jax.default_backend()}, best of {args.repeats}")
    print(f"  JAX   compile {env['compile_s']:.2f} s, run {env['jax_run_s']:.4f} s, "
          f"{env['jax_bank_steps_per_s']:.3e} bank-steps/s")
    print(f"  NumPy (vectorised over episodes) run {env['numpy_run_s']:.4f} s, "
          f"{env['numpy_bank_steps_per_s']:.3e} bank-steps/s")
    print(f"  JAX / NumPy: {env['speedup']:.2f}x")
    for r in learners:
        print(f"learner {r['learner']}: {r['banks']} banks, {r['runs']} runs vmapped, {r['iterations']} iterations: "
              f"compile {r['compile_s']:.1f} s, run {r['run_s']:.2f} s, {r['bank_updates_per_s']:,.0f} bank-updates/s")
    return 0

