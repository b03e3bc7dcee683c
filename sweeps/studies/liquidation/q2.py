"""Q2 of the liquidation study, first slice: learners against the benchmarks and
the exact planner in the multi-step game at small N.

For each N and objective (the rest at the game's defaults: two assets with
liquidity ratio 3, T = 2, two sale levels, thin equity): the four benchmark
policies (`jaxmarkets.liquidation.benchmarks`), the exact social planner where
its enumeration fits, and PPO and recurrent-DQN banks trained from scratch
(seeds vmapped), then played without learning (PPO samples its policy, DQN is
greedy). Reported per policy: mean welfare, mean defaults per episode, and
welfare over the planner's (the inverse price of anarchy of that play; 1 is
the planner's welfare). The planner maximises over open-loop joint sequences
and the dynamics are deterministic after the reset, so no policy can exceed it.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Q2Config:
    n_banks: tuple[int, ...] = (2,)
    objectives: tuple[str, ...] = ("equity", "cash")
    seeds: int = 8
    ppo_updates: int = 300
    dqn_episodes: int = 1500
    test_episodes: int = 64
    benchmark_episodes: int = 1000
    learners: tuple[str, ...] = ("ppo", "recurrent_ddqn")
    seed: int = 0


QUICK = Q2Config()
FULL = Q2Config(n_banks=(2, 5), seeds=16, ppo_updates=1000, dqn_episodes=5000)


def _learners(game, cfg: Q2Config, params, key):
    import jax

    from agents.dqn import DQNHparams
    from agents.pg import PGConfig, PGHparams
    from agents.recurrent_dqn import RecurrentDQNConfig
    from sweeps.studies.liquidation.adapter import dqn, policy_gradient

    pcfg = PGConfig(hidden=32, n_layers=2, episodes=32, train_iterations=cfg.ppo_updates, test_iterations=1,
                    log_every=cfg.ppo_updates)
    dcfg = RecurrentDQNConfig(n_layers=2, hidden=32, head="action_out", batch_size=16, memory_size=500,
                              eps_every=20, target_every=20, train_iterations=cfg.dqn_episodes,
                              test_iterations=cfg.test_episodes, log_every=cfg.dqn_episodes)
    out = {}
    for name, (adapter, agent), hp, n_iter, n_test in (
            ("ppo", policy_gradient(game, pcfg), PGHparams.make(lr=1e-3), cfg.ppo_updates,
             max(1, cfg.test_episodes // pcfg.episodes)),
            ("recurrent_ddqn", dqn(game, dcfg), DQNHparams.make(lr=1e-3, eps_decay=0.98), cfg.dqn_episodes,
             cfg.test_episodes)):
        if name not in cfg.learners:
            continue
        ap = adapter.make_params(params)

        def one(k, agent=agent, ap=ap, hp=hp, n_iter=n_iter, n_test=n_test):
            carry, _ = agent.train_chunk(agent.init(k, ap, hp), ap, hp, n_iter)
            _, m = agent.test(carry, ap, hp, n_test)
            return m["welfare"].mean(), m["defaults"].mean()

        w, d = jax.jit(jax.vmap(one))(jax.random.split(jax.random.fold_in(key, len(name)), cfg.seeds))
        out[name] = (np.asarray(w, np.float64), np.asarray(d, np.float64))
    return out


def run(cfg: Q2Config) -> list[dict]:
    import jax

    from jaxmarkets.liquidation import benchmarks
    from jaxmarkets.liquidation.game import LiquidationGame

    rows = []
    key = jax.random.key(cfg.seed)
    for n in cfg.n_banks:
        for objective in cfg.objectives:
            game = LiquidationGame(n_banks=n, objective=objective)
            params = game.default_params()
            game.validate(params)
            k = jax.random.fold_in(key, 100 * n + cfg.objectives.index(objective))
            planner = None
            if benchmarks.planner_size(game) <= benchmarks.MAX_PLANNER_SEQUENCES:
                planner = float(benchmarks.social_planner(game, params)["welfare"])
            results = {}
            for kind, o in benchmarks.benchmark_outcomes(game, params, k, cfg.benchmark_episodes).items():
                w = np.asarray(o["welfare"], np.float64)
                results[kind] = (w, np.asarray(o["defaulted"], np.float64).sum(-1))
            results.update(_learners(game, cfg, params, k))
            for policy, (w, d) in results.items():
                rows.append({
                    "n_banks": n, "objective": objective, "policy": policy,
                    "welfare": float(w.mean()), "welfare_se": float(w.std() / np.sqrt(w.size)),
                    "welfare_min": float(w.min()), "defaults": float(d.mean()),
                    "planner_welfare": planner,
                    "welfare_over_planner": None if planner is None else float(w.mean() / planner),
                })
            if planner is not None:
                rows.append({"n_banks": n, "objective": objective, "policy": "planner", "welfare": planner,
                             "welfare_se": 0.0, "welfare_min": planner, "defaults": None,
                             "planner_welfare": planner, "welfare_over_planner": 1.0})
    return rows
