"""`jaxmarkets bench pg`: agent-steps per second of the policy-gradient learners
with learning, against the rate this machine reaches on matrix products.

The learner plays paper 001's execution game (2 agents, 10 steps, the
continuous fraction-of-inventory action) and learns: one timed call is
`--updates` updates in one compiled `lax.scan`, each update `--episodes`
parallel episodes followed by PPO's epochs x minibatches (or REINFORCE's one
step). An agent-step is one agent's action in one episode, learning included:
an update counts episodes x steps x agents of them. Compile time is timed apart
(`.lower().compile()`); the run time is the median of `--repeat` calls after a
warm-up call. The rollout alone (the learner's test phase: the same sampling
policy, no learning) is timed the same way, so the update's share is the rest.

The in-process reference is the machine's matrix-multiply rate: a jitted
stack of `[hidden, hidden] x [hidden, rows]` products, the hidden layers'
shape in the update's minibatches (rows = steps x episodes / minibatches),
timed in the same process. Dividing it by the useful FLOPs per agent-step
(`flops_per_agent_step`: the actor's and critic's matrix products, forward in
the rollout, forward and backward per epoch in the update) gives the
agent-steps/s the arithmetic alone would allow; the fraction of it reached is
printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np

from jaxmarkets.core import InputError, check_int
from sweeps.cli.options import print_json
from sweeps.engine.timing import compile_and_time, median_seconds

LEARNERS = ("ppo", "reinforce")
_DEFAULT_PASSES = {"ppo": (4, 4), "reinforce": (1, 1)}
N_AGENTS, N_STEPS = 2, 10  # paper 001's two traders over ten steps


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="agent-steps/s of PPO / REINFORCE with learning on the execution game, "
        "against the measured matrix-multiply rate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--learner", choices=LEARNERS, default="ppo")
    p.add_argument("--hidden", type=int, default=64, help="units per hidden layer of actor and critic")
    p.add_argument("--layers", type=int, default=2, help="hidden layers of actor and critic")
    p.add_argument("--episodes", type=int, default=1024, help="parallel episodes per update")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over a batch (default: 4 PPO, 1 REINFORCE)")
    p.add_argument("--minibatches", type=int, default=None,
                   help="minibatches per pass (default: 4 PPO, 1 REINFORCE)")
    p.add_argument("--updates", type=int, default=10, help="updates per timed call")
    p.add_argument("--repeat", type=int, default=3,
                   help="timed calls after a warm-up; the median is reported")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------- FLOPs
def layer_sizes(n_in: int, hidden: int, n_layers: int, n_out: int) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of each dense layer of a tanh MLP."""
    widths = [n_in] + [hidden] * n_layers + [n_out]
    return list(zip(widths[:-1], widths[1:]))


def flops_per_agent_step(n_obs: int, hidden: int, n_layers: int, n_actor_out: int,
                         epochs: int) -> dict[str, int]:
    """Useful matrix-product FLOPs per agent-step of an actor and a critic MLP.

    A dense layer [in -> out] costs 2 in out FLOPs per row forward; backward it
    costs 2 in out for its weight gradient and, except in the first layer (whose
    input is the observation, which needs no gradient), 2 in out for its input
    gradient. The rollout runs both networks forward once per agent-step; the
    update runs them forward and backward once per epoch. Biases, tanh and the
    distributions are not counted (they are not matrix products), nor the
    critic's extra evaluation after each episode's last step.
    """
    nets = (layer_sizes(n_obs, hidden, n_layers, n_actor_out), layer_sizes(n_obs, hidden, n_layers, 1))
    forward = sum(2 * i * o for layers in nets for i, o in layers)
    backward = sum(2 * i * o * (2 if k else 1) for layers in nets for k, (i, o) in enumerate(layers))
    rollout, update = forward, epochs * (forward + backward)
    return {"rollout": rollout, "update": update, "total": rollout + update}


def matmul_rate(width: int, rows: int, products: int = 32, repeat: int = 5) -> dict[str, float]:
    """FLOP/s of jitted [width, width] x [width, rows] products: a stack of
    `products` distinct weight matrices applied to one activation block and summed
    in a `lax.scan` (distinct matrices, so none is hoisted out of the loop; the
    sum adds 1/width of the products' FLOPs, not counted). Median of `repeat`."""
    import jax
    import jax.numpy as jnp

    kw, kx = jax.random.split(jax.random.key(0))
    w = jax.random.normal(kw, (products, width, width)) / np.sqrt(width)
    x = jax.random.normal(kx, (width, rows))

    def stack(w, x):
        return jax.lax.scan(lambda acc, wk: (acc + wk @ x, None), jnp.zeros((width, rows)), w)[0]

    compiled = jax.jit(stack).lower(w, x).compile()
    jax.block_until_ready(compiled(w, x))
    seconds = median_seconds(lambda: compiled(w, x), repeat)
    flops = 2.0 * products * width * width * rows
    return {"flops_per_s": flops / seconds, "seconds": seconds, "width": width, "rows": rows,
            "products": products}


def validate(args) -> tuple[int, int]:
    """Checks every flag before anything compiles; returns (epochs, minibatches)."""
    for flag in ("hidden", "layers", "episodes", "updates", "repeat"):
        check_int(f"--{flag}", getattr(args, flag), 1)
    if args.learner not in LEARNERS:
        raise InputError(f"--learner = {args.learner!r} is not one of the allowed values: "
                         + ", ".join(repr(a) for a in LEARNERS))
    default = _DEFAULT_PASSES[args.learner]
    epochs = default[0] if args.epochs is None else args.epochs
    minibatches = default[1] if args.minibatches is None else args.minibatches
    check_int("--epochs", epochs, 1)
    check_int("--minibatches", minibatches, 1, args.episodes)
    if args.episodes % minibatches:
        raise InputError(f"--episodes = {args.episodes} is not a multiple of --minibatches = "
                         f"{minibatches}; allowed: multiples of {minibatches} (whole episodes per minibatch)")
    if args.learner == "reinforce" and (epochs, minibatches) != (1, 1):
        raise InputError(f"--epochs = {epochs}, --minibatches = {minibatches} with --learner reinforce: "
                         "allowed range [1, 1] for both")
    return epochs, minibatches


def bench(args) -> dict:
    import jax

    from agents.pg import PGConfig
    from jaxmarkets.execution.game import ExecutionGame
    from sweeps.studies.execution.adapter import policy_gradient

    epochs, minibatches = validate(args)
    load_before = os.getloadavg()
    game = ExecutionGame(n_agents=N_AGENTS, n_steps=N_STEPS)
    config = PGConfig(learner=args.learner, hidden=args.hidden, n_layers=args.layers,
                      episodes=args.episodes, epochs=epochs, minibatches=minibatches,
                      train_iterations=args.updates, test_iterations=args.updates)
    adapter, learner = policy_gradient(game, config)
    params = adapter.make_params(game.make_params(sigma=1e-3))
    hp = learner.default_hparams()
    carry = jax.jit(learner.init)(jax.random.key(0), params, hp)
    updates = args.updates

    # every timed call starts from the same initial carry: the same work each time
    train_c, train_s, (_, metrics) = compile_and_time(
        lambda c, p, h: learner.train_chunk(c, p, h, updates), (carry, params, hp), args.repeat)
    if not np.all(np.isfinite(np.asarray(metrics["is"]))):
        raise RuntimeError("the benchmark run produced non-finite shortfalls")
    roll_c, roll_s, _ = compile_and_time(
        lambda c, p, h: learner.test(c, p, h, updates), (carry, params, hp), args.repeat)

    agent_steps = updates * args.episodes * game.n_steps * game.n_agents
    flops = flops_per_agent_step(adapter.n_obs, args.hidden, args.layers, learner.actions.n_outputs, epochs)
    rows = game.n_steps * args.episodes // minibatches
    mm = matmul_rate(args.hidden, rows)
    rate = mm["flops_per_s"]
    steps_per_s = agent_steps / train_s
    rollout_per_s = agent_steps / roll_s
    update_s = max(train_s - roll_s, 1e-12)
    return {
        "learner": args.learner, "hidden": args.hidden, "layers": args.layers,
        "episodes": args.episodes, "epochs": epochs, "minibatches": minibatches,
        "updates": updates, "repeat": args.repeat, "agents": game.n_agents, "steps": game.n_steps,
        "backend": jax.default_backend(), "devices": jax.device_count(),
        "compile_s": train_c, "run_s": train_s, "agent_steps_per_s": steps_per_s,
        "rollout_compile_s": roll_c, "rollout_run_s": roll_s, "rollout_agent_steps_per_s": rollout_per_s,
        "update_run_s": update_s,
        "flops_per_agent_step": flops,
        "matmul": mm,
        "achieved_flops_per_s": {
            "total": steps_per_s * flops["total"],
            "rollout": rollout_per_s * flops["rollout"],
            "update": agent_steps * flops["update"] / update_s,
        },
        "ceiling_agent_steps_per_s": rate / flops["total"],
        "fraction_of_matmul_rate": steps_per_s * flops["total"] / rate,
        "load_avg_before": list(load_before), "load_avg_after": list(os.getloadavg()),
    }


def run(args) -> int:
    r = bench(args)  # validates every flag first
    if args.json:
        print_json(r)
        return 0
    f, mm, ach = r["flops_per_agent_step"], r["matmul"], r["achieved_flops_per_s"]
    rate = mm["flops_per_s"]
    print(f"{r['learner']} on the execution game: {r['agents']} agents x {r['steps']} steps, "
          f"{r['episodes']} episodes per update, actor and critic {r['layers']} x {r['hidden']}, "
          f"{r['epochs']} epochs x {r['minibatches']} minibatches; {r['updates']} updates per call, "
          f"median of {r['repeat']}; {r['backend']} x{r['devices']}")
    print(f"load average before {r['load_avg_before'][0]:.2f}, after {r['load_avg_after'][0]:.2f} (1 min)")
    print(f"with learning: compile {r['compile_s']:.2f} s, run {r['run_s']:.3f} s, "
          f"{r['agent_steps_per_s']:,.0f} agent-steps/s")
    print(f"rollout alone: compile {r['rollout_compile_s']:.2f} s, run {r['rollout_run_s']:.3f} s, "
          f"{r['rollout_agent_steps_per_s']:,.0f} agent-steps/s; the update takes the other "
          f"{r['update_run_s']:.3f} s")
    print(f"matmul rate: {rate:.3e} FLOP/s ([{mm['width']}, {mm['width']}] x [{mm['width']}, {mm['rows']}], "
          f"{mm['products']} products per call)")
    print(f"useful FLOP per agent-step: rollout {f['rollout']:,}, update {f['update']:,}, "
          f"total {f['total']:,}")
    print(f"reached: total {ach['total']:.3e} FLOP/s = {r['fraction_of_matmul_rate']:.2f} of the matmul rate "
          f"(rollout {ach['rollout'] / rate:.2f}, update {ach['update'] / rate:.2f}); the rate allows "
          f"{r['ceiling_agent_steps_per_s']:,.0f} agent-steps/s")
    return 0
