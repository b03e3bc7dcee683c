"""Q1 of the liquidation study: learners in the 2x2 game's anti-coordination regime.

Two banks, two assets, one period, cash raised at post-impact prices, linear
impact with liquidity ratio r = a_2 / a_1 in (1/2, 2): each bank sells a fixed
amount of asset 1 or asset 2 (learner actions 0 and 1 = sale rows 1 and 2).
The game has two asymmetric pure equilibria and one mixed, selling asset 1 with
p* = (2 r - 1) / (1 + r) (docs/liquidation.md). Books are unlevered (no
liabilities, no withdrawal), so no profile defaults and the matrix is the
closed form's.

PPO and recurrent Double-DQN banks train independently, many seeds and every
ratio vmapped in one program per learner; `ppo_shared` is PPO with one network
for both banks (symmetric self-play: alike banks see the same observation, so
its policy is symmetric and can only rest at the symmetric, mixed, equilibrium). Per logged block, a bank's policy is
its probability of asset 1: PPO's policy probabilities (mean over the block's
states), DQN's empirical frequency of asset 1 among the actions it played
(epsilon-greedy, so its exploration is in it). Exploitability is NashConv from
`jaxmarkets.equilibria.nash_conv` on the environment's 2x2 payoffs, of the last
iterate (the block's policy; at the end, DQN's greedy policy) and of the time average (the running mean of the
blocks' policies), in money units (units of cash raised).
"""

from __future__ import annotations

import dataclasses

import numpy as np

LEARNERS = ("ppo", "ppo_shared", "dqn")


@dataclasses.dataclass(frozen=True)
class Q1Config:
    ratios: tuple[float, ...] = (1.5,)
    seeds: int = 16
    base_impact: float = 0.002  # a_1; a_2 = r a_1
    ppo_updates: int = 400
    ppo_episodes: int = 32
    ppo_lr: float = 1e-3
    ppo_entropy: float = 0.001
    dqn_episodes: int = 1500
    dqn_lr: float = 1e-3
    dqn_eps_decay: float = 0.98
    log_every: int = 10  # updates (PPO) / episodes (DQN) per logged block
    seed: int = 0

    def validate(self) -> None:
        from jaxmarkets.core import InputError, check_int

        for r in self.ratios:
            if not 0.5 < r < 2.0:
                raise InputError(f"ratios = {r} is outside the anti-coordination band (0.5, 2)")
        check_int("seeds", self.seeds, 1, 100_000)
        check_int("ppo_updates", self.ppo_updates, self.log_every)
        check_int("dqn_episodes", self.dqn_episodes, self.log_every)


QUICK = Q1Config(ratios=(0.8, 1.5), seeds=32)
FULL = Q1Config(ratios=(0.8, 1.25, 1.5, 1.9), seeds=64, ppo_updates=2000, dqn_episodes=5000)


def game_and_params(cfg: Q1Config):
    """The reduction game and its params stacked over the ratios."""
    import jax
    import jax.numpy as jnp

    from jaxmarkets.liquidation import theory

    game = theory.reduction_game(objective="cash")
    one = [game.make_params(impact_coef=[cfg.base_impact, r * cfg.base_impact], liabilities=0.0, withdrawal=0.0)
           for r in cfg.ratios]
    for p in one:
        game.validate(p)
    stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *one)
    return game, one, stacked


def payoffs(cfg: Q1Config):
    """The environment's 2x2 Bimatrix at each ratio, in float64."""
    from jaxmarkets.liquidation import theory

    game, one, _ = game_and_params(cfg)
    return [theory.payoff_matrices(game, p)[0] for p in one]


def train(cfg: Q1Config, learner: str):
    """P(asset 1) per bank: per logged block [ratios, seeds, blocks, 2] and at
    the end [ratios, seeds, 2] (PPO: the last block's policy; DQN: its greedy
    policy, played without exploration)."""
    import jax
    import jax.numpy as jnp

    from agents.dqn import DQNHparams
    from agents.pg import PGConfig, PGHparams
    from agents.recurrent_dqn import RecurrentDQNConfig
    from sweeps.studies.liquidation.adapter import dqn, policy_gradient

    game, one_params, _ = game_and_params(cfg)
    if learner in ("ppo", "ppo_shared"):
        pcfg = PGConfig(hidden=16, n_layers=1, episodes=cfg.ppo_episodes, train_iterations=cfg.ppo_updates,
                        test_iterations=1, log_every=cfg.log_every, shared=learner == "ppo_shared")
        adapter, agent = policy_gradient(game, pcfg, rows=(1, 2))
        hp = PGHparams.make(lr=cfg.ppo_lr, entropy_coef=cfg.ppo_entropy)
        n_iter = cfg.ppo_updates
    else:
        dcfg = RecurrentDQNConfig(n_layers=2, hidden=16, head="action_out", batch_size=16, memory_size=200,
                                  eps_every=10, target_every=10, train_iterations=cfg.dqn_episodes,
                                  test_iterations=1, log_every=cfg.log_every)
        adapter, agent = dqn(game, dcfg, rows=(1, 2))
        hp = DQNHparams.make(lr=cfg.dqn_lr, eps_decay=cfg.dqn_eps_decay)
        n_iter = cfg.dqn_episodes
    # validated and scaled per regime, then stacked on the ratio axis
    aparams = jax.tree.map(lambda *xs: jnp.stack(xs), *[adapter.make_params(p) for p in one_params])

    def one(key, ap):
        carry, m = agent.train_chunk(agent.init(key, ap, hp), ap, hp, n_iter)
        if learner != "dqn":
            blocks = m["probs"][..., 0]
            return blocks, blocks[-1]
        _, t = agent.test(carry, ap, hp, 4)  # greedy episodes: the policy itself
        return 1.0 - m["first_asset"], 1.0 - t["first_asset"].mean(0)  # asset index 0 is asset 1

    keys = jax.random.split(jax.random.key(cfg.seed), (len(cfg.ratios), cfg.seeds))
    run = jax.jit(jax.vmap(jax.vmap(one, in_axes=(0, None)), in_axes=(0, 0)))
    blocks, final = run(keys, aparams)
    return np.asarray(blocks, np.float64), np.asarray(final, np.float64)


def exploitability(bimatrix, p) -> np.ndarray:
    """NashConv of profiles p[..., 2] = (P(asset 1) of bank 1, of bank 2)."""
    import jax
    import jax.numpy as jnp

    from jaxmarkets.equilibria import Bimatrix, nash_conv

    u = Bimatrix(jnp.asarray(bimatrix.row, jnp.float32), jnp.asarray(bimatrix.col, jnp.float32))
    flat = jnp.asarray(np.asarray(p).reshape(-1, 2), jnp.float32)
    nc = jax.vmap(lambda a, b: nash_conv(u, (jnp.stack([a, 1 - a]), jnp.stack([b, 1 - b]))))(flat[:, 0], flat[:, 1])
    return np.asarray(nc, np.float64).reshape(np.shape(p)[:-1])


def analyse(cfg: Q1Config, probs: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[list[dict], dict]:
    """Per ratio and learner: exploitability of the time average and the last
    iterate over training (median and quartiles over seeds), and where the last
    iterate ends: near a pure equilibrium, near the mixed one, or elsewhere."""
    from jaxmarkets.liquidation.theory import mixed_probability_cash_post

    mats = payoffs(cfg)
    rows, curves = [], {}
    for i, r in enumerate(cfg.ratios):
        p_star = mixed_probability_cash_post(r)
        for name, (pr, final) in probs.items():
            p = pr[i]  # [seeds, blocks, 2]
            avg = np.cumsum(p, 1) / np.arange(1, p.shape[1] + 1)[None, :, None]
            nc_last, nc_avg = exploitability(mats[i], p), exploitability(mats[i], avg)
            curves[f"{name}@{r}"] = {"last": np.quantile(nc_last, [0.25, 0.5, 0.75], 0).tolist(),
                                     "average": np.quantile(nc_avg, [0.25, 0.5, 0.75], 0).tolist()}
            end = final[i]
            nc_end = exploitability(mats[i], end)
            pure = np.minimum(np.abs(end - [1, 0]).max(-1), np.abs(end - [0, 1]).max(-1)) < 0.1
            mixed = np.abs(end - p_star).max(-1) < 0.1
            rows.append({
                "ratio": r, "learner": name, "seeds": p.shape[0], "p_mixed": p_star,
                "nashconv_uniform": float(exploitability(mats[i], np.array([0.5, 0.5]))),
                "nashconv_mixed_eq": float(exploitability(mats[i], np.array([p_star, p_star]))),
                "nashconv_last_median": float(np.median(nc_end)),
                "nashconv_last_max": float(nc_end.max()),
                "nashconv_average_median": float(np.median(nc_avg[:, -1])),
                "nashconv_average_max": float(nc_avg[:, -1].max()),
                "share_pure_end": float(pure.mean()),
                "share_mixed_end": float(mixed.mean()),
                "mean_distance_to_mixed_end": float(np.abs(end - p_star).max(-1).mean()),
            })
    return rows, curves
