"""`jaxmarkets bench liquidity`: the two speeds issue 12 asks for.

1. Every extreme equilibrium of --games random degenerate 4 x 4 bimatrix games
   (integer payoffs in {0, 1, 2}: ties everywhere), one jit(vmap(vertex
   enumeration)) in float64, against nashpy's vertex enumeration over the
   first --reference of the same games in the same process; the equilibrium
   sets are compared game by game (the shared `bench equilibria` code).
2. Repeated play: --seeds runs x --makers makers x --rounds rounds of each
   --learners learner (printed model, p = 0.35), one jit(vmap(...)) each;
   rounds per second counts one round of one run (two makers act, all learn).
   The shared learners (ppo, reinforce, dqn) run through the adapter with
   one-round episodes (PPO's rounds rounded up to whole updates of 16 N); the
   ratio is against the first learner listed, in the same process, e.g.
   `--learners fictitious_play,ppo,dqn --seeds 64 --rounds 3200`.

Compile time is measured apart (`.lower().compile()`); run times are the
median of --repeat runs after a warm-up.
"""

from __future__ import annotations

import argparse

import numpy as np

from jaxmarkets.core import check_choice, check_int
from sweeps.cli.options import print_json
from sweeps.engine.timing import compile_and_time


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="paper 002: equilibria vs nashpy, repeated-play rounds/s",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--games", type=int, default=10_000, help="random 4 x 4 games solved at once (default 1e4)")
    p.add_argument("--reference", type=int, default=200, help="games nashpy solves (default 200)")
    p.add_argument("--seeds", type=int, default=10_000, help="repeated-play runs at once (default 1e4)")
    p.add_argument("--makers", type=int, default=10, help="market makers N (default 10)")
    p.add_argument("--rounds", type=int, default=1000, help="rounds per run (default 1000)")
    p.add_argument("--learners", default="fictitious_play,regret_matching,hedge,roth_erev",
                   help="comma-separated learners to time")
    p.add_argument("--form", default="simultaneous", help="simultaneous or stackelberg")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def bench_repeated_play(learner: str, seeds: int, makers: int, rounds: int, form: str, repeat: int) -> dict:
    import jax
    import jax.numpy as jnp

    from jaxmarkets.liquidity.game import LiquidityGame
    from jaxmarkets.liquidity.learning import RepeatedPlay, default_hparams

    game = LiquidityGame(n_makers=makers, n_rounds=rounds, form=form)
    play = RepeatedPlay(game, learner, record_every=max(1, rounds // 10))
    params = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds,) + jnp.shape(x)), game.default_params())
    hparams = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds,)), default_hparams())
    play.check(params, hparams)
    keys = jax.random.split(jax.random.key(0), seeds)
    compile_s, run_s, out = compile_and_time(jax.vmap(play.run), (keys, params, hparams), repeat)
    return {"learner": learner, "form": form, "seeds": seeds, "makers": makers, "rounds": rounds,
            "compile_s": round(compile_s, 3), "run_s": round(run_s, 4),
            "rounds_per_s": seeds * rounds / run_s,
            "final_nash_conv_median": float(np.median(np.asarray(out[1].nash_conv_average)[:, -1]))}


def bench_shared_play(learner: str, seeds: int, makers: int, rounds: int, form: str, repeat: int) -> dict:
    """The same measure for a shared learner (agents/: PPO, REINFORCE, DQN) through
    the adapter: one-round episodes, `rounds` rounded up to whole updates."""
    import jax
    import jax.numpy as jnp

    from jaxmarkets.liquidity.game import LiquidityGame
    from sweeps.studies.liquidity.adapter import LearnerPlay

    game = LiquidityGame(n_makers=makers, n_rounds=1, form=form)
    per_update = LearnerPlay(game, learner, updates=1, record_every=1).rounds_per_update
    updates = -(-rounds // per_update)
    play = LearnerPlay(game, learner, updates=updates, record_every=updates)
    params = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds,) + jnp.shape(x)), game.default_params())
    hparams = jax.tree.map(lambda x: jnp.broadcast_to(x, (seeds,)), play.default_hparams())
    play.check(params, hparams)
    keys = jax.random.split(jax.random.key(0), seeds)
    compile_s, run_s, out = compile_and_time(jax.vmap(play.run), (keys, params, hparams), repeat)
    played = updates * per_update
    return {"learner": learner, "form": form, "seeds": seeds, "makers": makers, "rounds": played,
            "compile_s": round(compile_s, 3), "run_s": round(run_s, 4), "rounds_per_s": seeds * played / run_s,
            "final_nash_conv_median": float(np.median(np.asarray(out["nash_conv_current"])[:, -1]))}


def run(args) -> int:
    for name in ("games", "reference", "seeds", "rounds", "repeat"):
        check_int(f"--{name}", getattr(args, name), 1)
    check_int("n_makers", args.makers, 2)
    check_choice("--form", args.form, ("simultaneous", "stackelberg"))
    from jaxmarkets.liquidity.learning import LEARNERS
    from sweeps.studies.liquidity.adapter import LEARNERS as SHARED

    learners = [s.strip() for s in args.learners.split(",") if s.strip()]
    for name in learners:
        check_choice("--learners", name, LEARNERS + SHARED)
    import jax

    from sweeps.cli.bench_equilibria import bench_vertex_enumeration

    eq = bench_vertex_enumeration(args.games, 4, 0, payoff_range=3, n_reference=min(args.reference, args.games),
                                  repeats=args.repeat)
    plays = [(bench_shared_play if name in SHARED else bench_repeated_play)(
        name, args.seeds, args.makers, args.rounds, args.form, args.repeat) for name in learners]
    report = {"device": f"{jax.devices()[0].platform} x{jax.device_count()}", "equilibria": eq,
              "repeated_play": plays}
    if args.json:
        print_json(report)
        return 0 if eq["agree"] else 1
    print(f"all extreme equilibria of {eq['n_games']} random 4x4 games (payoffs 0..2, "
          f"{100 * eq['fraction_with_pure_ties']:.0f}% with pure ties), float64, {report['device']}")
    print(f"  jax: compile {eq['compile_s']:.2f} s, run {eq['run_s_median']:.3f} s = {eq['jax_us_per_game']:.1f} us/game")
    print(f"  nashpy on {eq['nashpy_games']} of the same games: {eq['nashpy_ms_per_game']:.2f} ms/game")
    print(f"  speed-up per game {eq['speedup_per_game']:.0f}x; same equilibria on every reference game: {eq['agree']}")
    print(f"repeated play, {args.seeds} seeds x N = {args.makers} makers x {args.rounds} rounds, {args.form}:")
    base = plays[0]["rounds_per_s"] if plays else None
    for r in plays:
        print(f"  {r['learner']:<16} compile {r['compile_s']:6.2f} s  run {r['run_s']:7.3f} s  "
              f"{r['rounds_per_s']:.3g} rounds/s ({r['rounds_per_s'] / base:.3g}x {plays[0]['learner']}; "
              f"{r['rounds']} rounds)")
    return 0 if eq["agree"] else 1
