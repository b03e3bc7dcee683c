"""`jaxmarkets bench ddqn`: agent-updates per second of the Double-DQN learner.

An agent-update is one gradient step of one agent with its share of acting
(Algorithm 1 takes one per action once the memory holds a batch). The learner
runs in the paper's configuration (two agents, Table 1, the execution game) as
one compiled `lax.scan`, vmapped over `--runs` runs; compile time is timed
apart. The reference, in the same process, is a plain jitted implementation:
the network on concatenated [observation, action] inputs, one jitted call per
agent and step from a Python loop, the memory in NumPy.

With `--recurrent gru|lstm` the recurrent Double DQN (`agents.recurrent_dqn`,
the same sizes, the cell as its first hidden layer) is timed as well, next to
the feed-forward learner in the same process. Its agent-update is one gradient
step on a batch of 8 replayed episodes (80 transitions, against the
feed-forward learner's 64), taken once per step of each episode as Algorithm 1
takes one per action; the first 7 episodes only fill the memory and are not
counted, as the feed-forward learner's first 63 steps are not.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from agents.cells import CELLS, check_cell
from agents.dqn import DQNConfig, DQNHparams
from agents.recurrent_dqn import RecurrentDQNConfig
from jaxmarkets.execution.game import ExecutionGame
from jaxmarkets.core import check_int
from sweeps.engine import shard_runs
from sweeps.studies.execution.adapter import dqn


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="agent-updates/s of the Double-DQN learner (paper 001's setting)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--runs", type=int, default=0,
                   help="independent runs vmapped in one program, sharded over the CPU cores "
                   "(default: 4 per core)")
    p.add_argument("--iterations", type=int, default=200, help="training episodes timed")
    p.add_argument("--actions", type=int, default=21, help="grid of candidate actions")
    p.add_argument("--head", choices=("action_in", "action_out"), default="action_in")
    p.add_argument("--reference-steps", type=int, default=300,
                   help="environment steps of the plain reference (0: skip it)")
    p.add_argument("--recurrent", default=None, metavar="CELL",
                   help=f"also time the recurrent learner with this cell ({' or '.join(CELLS)}), "
                   "next to the feed-forward one")
    p.add_argument("--repeat", type=int, default=3,
                   help="with --recurrent: timed calls of each learner, alternating; the median "
                   "is reported")
    p.set_defaults(func=run)


def _compile_learner(learner, params, config, runs):
    """(a call that runs the learner once and returns its run time, compile seconds,
    agent-updates per call, runs as padded to a multiple of the devices)."""
    adapter = learner.game
    hp = learner.default_hparams()

    def program(keys):
        carry = jax.vmap(learner.init, in_axes=(0, None, None))(keys, params, hp)
        carry, metrics = jax.vmap(learner.train_chunk, in_axes=(0, None, None, None))(
            carry, params, hp, config.train_iterations
        )
        return metrics["is"]

    keys = shard_runs(jax.random.split(jax.random.key(0), runs), runs)
    runs_padded = keys.shape[0]  # padding runs are real work too
    t0 = time.perf_counter()
    compiled = jax.jit(program).lower(keys).compile()
    compile_s = time.perf_counter() - t0

    def timed_call() -> float:
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(keys))
        run_s = time.perf_counter() - t0
        if not np.all(np.isfinite(np.asarray(out))):
            raise RuntimeError("the benchmark run produced non-finite shortfalls")
        return run_s

    updates = runs_padded * adapter.n_agents * _updates_per_agent(config, adapter.n_steps)
    return timed_call, compile_s, updates, runs_padded


def _time_learner(learner, params, config, runs):
    timed_call, compile_s, updates, runs = _compile_learner(learner, params, config, runs)
    run_s = timed_call()
    return compile_s, run_s, updates / run_s, runs


def _time_side_by_side(learners, params, runs, repeat):
    """Both learners compiled, then timed alternately `repeat` times (so a change in
    the machine's load falls on both); per learner (compile s, median run s,
    agent-updates/s, padded runs)."""
    compiled = [_compile_learner(learner, params, config, runs) for learner, config in learners]
    times = [[] for _ in compiled]
    for _ in range(repeat):
        for call, t in zip(compiled, times):
            t.append(call[0]())
    return [(c[1], statistics.median(t), c[2] / statistics.median(t), c[3]) for c, t in zip(compiled, times)]


def _updates_per_agent(config, n_steps: int) -> int:
    """Gradient steps one agent takes in a run (none until its memory holds a batch)."""
    if isinstance(config, RecurrentDQNConfig):  # batch and memory count episodes
        per_episode = config.updates_per_episode or n_steps
        return (config.train_iterations - (config.batch_size - 1)) * per_episode
    return config.train_iterations * n_steps - (config.batch_size - 1)


def _reference(learner, params, config, n_steps_total):
    """Plain jitted DDQN: per agent and step, one jitted act and one jitted update."""
    adapter, grid_side = learner.game, learner.actions
    game, n, g = adapter.game, adapter.n_agents, config.n_actions
    grid = jnp.linspace(-1.0, 1.0, g)
    sizes = [4] + [config.hidden] * config.n_layers + [1]

    def init(key):
        ws = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            key, k = jax.random.split(key)
            ws.append((jax.random.normal(k, (a, b)) / np.sqrt(a), jnp.zeros(b)))
        return ws

    def q(ws, x):
        for w, b in ws[:-1]:
            x = jax.nn.leaky_relu(x @ w + b, config.leaky_slope)
        return (x @ ws[-1][0] + ws[-1][1])[..., 0]

    def q_grid(ws, obs):  # every grid action as its own row
        cand = grid_side.candidate_features(obs, grid)
        x = jnp.concatenate([jnp.repeat(obs[..., None, :], g, -2), cand[..., None]], -1)
        return q(ws, x), cand

    hp = DQNHparams()  # Table 1's values, as the learner's defaults
    gamma = float(hp.gamma)
    opt = optax.adam(float(hp.lr))

    @jax.jit
    def act(ws, obs):
        qs, cand = q_grid(ws, obs)
        return jnp.take_along_axis(cand, jnp.argmax(qs, -1)[..., None], -1)[..., 0]

    @jax.jit
    def update(ws, tgt, opt_state, o, a, r, o2, d):
        qs, cand = q_grid(ws, o2)
        a2 = jnp.take_along_axis(cand, jnp.argmax(qs, -1)[..., None], -1)[..., 0]
        y = r + gamma * (1 - d) * q(tgt, jnp.concatenate([o2, a2[:, None]], -1))
        loss = lambda w: jnp.mean((y - q(w, jnp.concatenate([o, a[:, None]], -1))) ** 2)  # noqa: E731
        grads = jax.grad(loss)(ws)
        upd, opt_state = opt.update(grads, opt_state)
        return optax.apply_updates(ws, upd), opt_state

    rng = np.random.default_rng(0)
    nets = [init(jax.random.key(i)) for i in range(n)]
    tgts = list(nets)
    opts = [opt.init(w) for w in nets]
    cap = config.memory_size
    mem = [{k: np.zeros((cap, *s), np.float32) for k, s in
            [("o", (3,)), ("a", ()), ("r", ()), ("o2", (3,)), ("d", ())]} for _ in range(n)]
    size = 0
    key = jax.random.key(1)
    step_fn = jax.jit(adapter.step)
    obs, state = adapter.reset(key, params)
    done_steps = updates = 0
    t0 = time.perf_counter()
    compile_s = None
    while done_steps < n_steps_total:
        key, k, k_reset = jax.random.split(key, 3)
        noise = game.draw_noise(k)
        feats = jnp.stack([act(nets[i], obs[i]) for i in range(n)])
        # a fixed epsilon and uniform exploration: what is timed is the update, not the schedule
        explore = rng.uniform(size=n) < 0.1
        feats = jnp.where(explore, jnp.asarray(rng.uniform(-1, 1, n), jnp.float32), feats)
        out = step_fn(state, grid_side.env_action(feats, state, params), noise, params)
        r = np.asarray(adapter.reward(out.rewards, out.info, state, params))
        o, o2, f = np.asarray(obs), np.asarray(out.obs), np.asarray(feats)
        for i in range(n):
            m = mem[i]
            m["o"][size % cap], m["a"][size % cap], m["r"][size % cap] = o[i], f[i], r[i]
            m["o2"][size % cap], m["d"][size % cap] = o2[i], float(out.done)
        size += 1
        if size >= config.batch_size:
            for i in range(n):
                idx = rng.integers(0, min(size, cap), config.batch_size)
                b = {k: jnp.asarray(v[idx]) for k, v in mem[i].items()}
                nets[i], opts[i] = update(nets[i], tgts[i], opts[i], b["o"], b["a"], b["r"], b["o2"], b["d"])
                updates += 1
            if compile_s is None:
                jax.block_until_ready(nets)
                compile_s = time.perf_counter() - t0
                t0, updates = time.perf_counter(), 0
        if size % config.target_every == 0:
            tgts = list(nets)
        if bool(out.done):
            obs, state = adapter.reset(k_reset, params)
        else:
            obs, state = out.obs, out.state
        done_steps += 1
    jax.block_until_ready(nets)
    return compile_s or 0.0, time.perf_counter() - t0, updates / (time.perf_counter() - t0)


def run(args) -> int:
    check_int("--runs", args.runs, 0)
    check_int("--iterations", args.iterations, 7)
    check_int("--actions", args.actions, 2)
    check_int("--reference-steps", args.reference_steps, 0)
    if args.recurrent is not None:
        check_cell(args.recurrent, field="--recurrent")
        # the recurrent learner's batch is 8 episodes: it updates from the 8th on
        check_int("--iterations", args.iterations, RecurrentDQNConfig().batch_size)
        check_int("--repeat", args.repeat, 1)
    game = ExecutionGame(n_agents=2, n_steps=10)
    config = dataclasses.replace(
        DQNConfig(), n_actions=args.actions, head=args.head,
        train_iterations=args.iterations, log_every=args.iterations,
    )
    adapter, learner = dqn(game, config)
    params = adapter.make_params(game.make_params(sigma=1e-3))
    runs = args.runs or 4 * len(jax.devices())
    print(f"device: {jax.devices()[0].device_kind} x{jax.device_count()}; "
          f"2 agents, grid {args.actions}, head {args.head}, batch {config.batch_size}, "
          f"memory {config.memory_size}, {args.iterations} episodes x {game.n_steps} steps")
    if args.recurrent is None:
        c, r, ups, runs = _time_learner(learner, params, config, runs)
        print(f"lax.scan learner, {runs} run(s) (a multiple of the devices) vmapped over "
              f"{len(jax.devices())} device(s): compile {c:.1f} s, run {r:.2f} s, {ups:,.0f} agent-updates/s")
    else:
        rconfig = RecurrentDQNConfig(
            n_actions=args.actions, head=args.head, cell=args.recurrent,
            train_iterations=args.iterations, log_every=args.iterations,
        )
        _, rlearner = dqn(game, rconfig)
        (c, r, ups, runs), (rc, rr, rups, _) = _time_side_by_side(
            [(learner, config), (rlearner, rconfig)], params, runs, args.repeat)
        print(f"timed alternately, median of {args.repeat} calls each")
        print(f"lax.scan learner, {runs} run(s) (a multiple of the devices) vmapped over "
              f"{len(jax.devices())} device(s): compile {c:.1f} s, run {r:.2f} s, {ups:,.0f} agent-updates/s")
        print(f"recurrent ({args.recurrent}) lax.scan learner, batch {rconfig.batch_size} episodes, "
              f"memory {rconfig.memory_size} episodes, same runs: compile {rc:.1f} s, run {rr:.2f} s, "
              f"{rups:,.0f} agent-updates/s")
        print(f"ratio recurrent / feed-forward: {rups / ups:.2f}x")
    if args.reference_steps > config.batch_size:
        rc, rr, rups = _reference(learner, params, config, args.reference_steps)
        print(f"plain jitted reference (Python loop): warm-up incl. compile {rc:.1f} s, "
              f"run {rr:.2f} s, {rups:,.0f} agent-updates/s")
        print(f"ratio lax.scan / reference: {ups / rups:.2f}x")
    return 0
