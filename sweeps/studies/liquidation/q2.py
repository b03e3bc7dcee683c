"""Q2 of the liquidation study: learners against the four benchmarks and the
social planner, over the number of banks, the liquidity ratio and the overlap
of portfolios, under both objectives.

The axes form a cross, not a full grid (each axis moves one thing away from a
base point): N banks at the base ratio with equal, fully overlapping books;
the liquidity ratio r = a_2 / a_1 at one N; random overlapping portfolios
(CSMF's, `diversification` assets per bank out of M) at one N. The rest is the
game's default instance: two steps, two sale levels, thin equity (11 of assets
100), a withdrawal of 20 per bank.

**Market size.** With `scale_impact` (default) impact is per unit of the whole
market: impact_coef = base x 2 / N, so when every bank sells the same share of
its book the price falls as much at every N, and a larger N is more banks in
the same market rather than more selling into the same depth (unscaled, N = 5
already defaults almost every joint action: the first slice of this study).

Per cell and objective: the four benchmarks (`benchmark_episodes` episodes),
the planner (`jaxmarkets.liquidation.planner`: the exact enumeration where it
fits, the coordinate-ascent search otherwise; with random books the mean over
`planner_draws` draws, as the others average over their episodes' draws), and
PPO and recurrent-DQN banks trained from scratch (seeds vmapped), then played
without learning (PPO samples its policy, DQN greedy); `ppo_shared` is one PPO
network for all banks (the N-axis banks are alike, so it learns one symmetric
policy from N times the samples). Reported: welfare, its
ratio to the planner's (the inverse price of anarchy of that play), defaults,
the share of banks whose first sale is the most liquid asset, and the price
path (each asset's price after each step, as a fraction of its initial price).
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

LEARNERS = ("ppo", "ppo_shared", "recurrent_ddqn")


@dataclasses.dataclass(frozen=True)
class Q2Config:
    n_banks: tuple[int, ...] = (2, 10)  # the N axis (base ratio, full overlap)
    ratios: tuple[float, ...] = ()  # the ratio axis, at `axis_banks`
    diversifications: tuple[int, ...] = ()  # the overlap axis (random books), at `axis_banks`
    axis_banks: int = 5
    overlap_assets: int = 2  # M on the overlap axis
    base_ratio: float = 3.0
    base_impact: float = 0.002  # a_1 at N = 2
    scale_impact: bool = True
    objectives: tuple[str, ...] = ("equity", "cash")
    seeds: int = 4
    ppo_updates: int = 200
    dqn_episodes: int = 1000
    test_episodes: int = 64
    benchmark_episodes: int = 1000
    planner_draws: int = 8
    learners: tuple[str, ...] = LEARNERS
    seed: int = 0

    def validate(self) -> None:
        from jaxmarkets.core import InputError, check_int

        for n in self.n_banks + (self.axis_banks,):
            check_int("n_banks", n, 2, 1000)
        for r in self.ratios + (self.base_ratio,):
            if not 0 < r <= 1e3:
                raise InputError(f"ratios = {r} is outside the allowed range (0, 1000]")
        check_int("overlap_assets", self.overlap_assets, 1, 64)
        for d in self.diversifications:
            check_int("diversifications", d, 1, self.overlap_assets)
        for name in ("seeds", "ppo_updates", "dqn_episodes", "test_episodes", "benchmark_episodes",
                     "planner_draws"):
            check_int(name, getattr(self, name), 1, 10**7)
        for o in self.objectives:
            if o not in ("equity", "cash"):
                raise InputError(f"objectives = {o!r} is not one of the allowed values: 'equity', 'cash'")
        for name in self.learners:
            if name not in LEARNERS:
                raise InputError(f"learners = {name!r} is not one of the allowed values: {', '.join(LEARNERS)}")


QUICK = Q2Config(learners=("ppo", "ppo_shared"))
FULL = Q2Config(n_banks=(2, 5, 10, 20, 40), ratios=(1.0, 3.0, 10.0), diversifications=(1, 2, 4),
                overlap_assets=4, seeds=8, ppo_updates=500, dqn_episodes=2000)


@dataclasses.dataclass(frozen=True)
class Cell:
    axes: str  # which axes this cell lies on, e.g. "banks+ratio"
    n_banks: int
    ratio: float
    n_assets: int = 2
    diversification: int = 0  # 0: explicit, fully overlapping books

    @property
    def name(self) -> str:
        over = f"_d{self.diversification}of{self.n_assets}" if self.diversification else ""
        return f"n{self.n_banks}_r{self.ratio:g}{over}"


def cells(cfg: Q2Config) -> list[Cell]:
    """The cross of axes; a point on two axes is run once and tagged with both."""
    points: dict[tuple, list[str]] = {}
    for n in cfg.n_banks:
        points.setdefault((n, cfg.base_ratio, 2, 0), []).append("banks")
    for r in cfg.ratios:
        points.setdefault((cfg.axis_banks, float(r), 2, 0), []).append("ratio")
    for d in cfg.diversifications:
        points.setdefault((cfg.axis_banks, cfg.base_ratio, cfg.overlap_assets, d), []).append("overlap")
    return [Cell("+".join(axes), n, r, m, d) for (n, r, m, d), axes in points.items()]


def impact_coef(cfg: Q2Config, cell: Cell) -> np.ndarray:
    """a_1 .. a_M rising linearly from a_1 to r a_1 (a_2 = r a_1 at M = 2), times
    2 / N when impact is per unit of the whole market."""
    a = cfg.base_impact * np.linspace(1.0, cell.ratio, cell.n_assets)
    return a * (2.0 / cell.n_banks if cfg.scale_impact else 1.0)


def game_and_params(cfg: Q2Config, cell: Cell, objective: str):
    from jaxmarkets.liquidation.game import LiquidationGame

    random = cell.diversification > 0
    game = LiquidationGame(n_banks=cell.n_banks, n_assets=cell.n_assets, objective=objective,
                           portfolios="random" if random else "explicit",
                           diversification=cell.diversification if random else 1)
    # a bank's book is 100 at initial prices however many assets there are
    params = game.make_params(holdings=100.0 / cell.n_assets, impact_coef=impact_coef(cfg, cell))
    game.validate(params)
    return game, params


def _learners(game, cfg: Q2Config, params, key) -> dict:
    """Per learner, the test metrics of every seed (welfare [S], defaults [S],
    first_sale [S, N, M], prices [S, T, M]), each a mean over test episodes."""
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
    n_pg_test = max(1, cfg.test_episodes // pcfg.episodes)
    for name, (adapter, agent), hp, n_iter, n_test in (
            ("ppo", policy_gradient(game, pcfg), PGHparams.make(lr=1e-3), cfg.ppo_updates, n_pg_test),
            ("ppo_shared", policy_gradient(game, dataclasses.replace(pcfg, shared=True)), PGHparams.make(lr=1e-3),
             cfg.ppo_updates, n_pg_test),
            ("recurrent_ddqn", dqn(game, dcfg), DQNHparams.make(lr=1e-3, eps_decay=0.98), cfg.dqn_episodes,
             cfg.test_episodes)):
        if name not in cfg.learners:
            continue
        ap = adapter.make_params(params)

        def one(k, agent=agent, ap=ap, hp=hp, n_iter=n_iter, n_test=n_test):
            carry, _ = agent.train_chunk(agent.init(k, ap, hp), ap, hp, n_iter)
            _, m = agent.test(carry, ap, hp, n_test)
            return {f: m[f].mean(0) for f in ("welfare", "defaults", "first_sale", "prices")}

        res = jax.jit(jax.vmap(one))(jax.random.split(jax.random.fold_in(key, len(name)), cfg.seeds))
        out[name] = {k: np.asarray(v, np.float64) for k, v in res.items()}
    return out


def _benchmarks(game, params, key, episodes: int) -> dict:
    import jax

    from jaxmarkets.liquidation import benchmarks
    from sweeps.studies.liquidation.adapter import first_sale

    out = {}
    for kind, o in benchmarks.benchmark_outcomes(game, params, key, episodes).items():
        out[kind] = {"welfare": np.asarray(o["welfare"], np.float64),
                     "defaults": np.asarray(o["defaulted"], np.float64).sum(-1),
                     "first_sale": np.asarray(jax.vmap(first_sale)(o["sales"]), np.float64),
                     "prices": np.asarray(o["price_path"], np.float64)}
    return out


def _planner(game, params, key, draws: int) -> tuple[dict, str]:
    """The planner's plan(s) replayed through the environment, in the benchmarks'
    format: one plan for explicit books, one per reset draw (`draws`) for random
    ones, as the other policies average over their episodes' draws."""
    import jax
    import jax.numpy as jnp

    from jaxmarkets.liquidation.planner import planner
    from sweeps.studies.liquidation.adapter import first_sale

    def replay(k, rows):
        _, state = game.reset(k, params)

        def body(state, a):
            out = game.step(k, state, a * game.messages_per_action, params)
            return out.state, (out.info["sales"], out.info["prices"])

        final, (sales, prices) = jax.lax.scan(body, state, rows)
        return final.value.sum(), final.defaulted.sum(), first_sale(sales), prices

    outs, method = [], None
    for i in range(draws if game.portfolios == "random" else 1):
        k = jax.random.fold_in(key, i)
        plan = planner(game, params, k)
        method = plan["method"]
        outs.append(replay(k, jnp.asarray(plan["sale_rows"])))
    welfare, defaults, first, prices = (np.asarray(x, np.float64) for x in zip(*outs))
    return {"welfare": welfare, "defaults": defaults, "first_sale": first, "prices": prices}, method


def run_cell(cfg: Q2Config, cell: Cell, objective: str) -> list[dict]:
    """One (cell, objective): a row per policy and one for the planner."""
    import jax

    game, params = game_and_params(cfg, cell, objective)
    # the key from the task's name, never from the order tasks ran in
    key = jax.random.fold_in(jax.random.key(cfg.seed), zlib.crc32(f"{cell.name}_{objective}".encode()) % 2**31)
    k_bench, k_learn, k_plan = jax.random.split(key, 3)
    plan, method = _planner(game, params, k_plan, cfg.planner_draws)
    planner_welfare = float(plan["welfare"].mean())
    results = {"planner": plan, **_benchmarks(game, params, k_bench, cfg.benchmark_episodes)}
    results.update(_learners(game, cfg, params, k_learn))
    coef = impact_coef(cfg, cell)
    liquid, illiquid = int(np.argmin(coef)), int(cell.n_assets - 1 - np.argmax(coef[::-1]))
    p0 = np.asarray(params.prices0, np.float64)
    base = {"axes": cell.axes, "cell": cell.name, "n_banks": cell.n_banks, "ratio": cell.ratio,
            "n_assets": cell.n_assets, "diversification": cell.diversification, "objective": objective,
            "planner_welfare": planner_welfare, "planner_method": method}
    rows = []
    for policy, r in results.items():
        w = r["welfare"]
        first = r["first_sale"].reshape(-1, *r["first_sale"].shape[-2:]).mean(0)  # [N, M] shares
        sold = first.sum(-1)  # share of (bank, episode) pairs that sold at all
        path = r["prices"].reshape(-1, *r["prices"].shape[-2:]).mean(0) / p0  # [T, M]
        row = {**base, "policy": policy, "welfare": float(w.mean()),
               "welfare_se": float(w.std() / np.sqrt(w.size)), "welfare_min": float(w.min()),
               "defaults": float(r["defaults"].mean()),
               "default_share": float(r["defaults"].mean() / cell.n_banks),
               "welfare_over_planner": float(w.mean() / planner_welfare) if planner_welfare > 0 else None,
               # undefined where no asset is more liquid (r = 1) or nobody sold
               "liquid_first": (float(first[:, liquid].sum() / sold.sum())
                                if sold.sum() > 0 and cell.ratio != 1 else None)}
        for t in range(path.shape[0]):
            for kind, j in (("liquid", liquid), ("illiquid", illiquid)):
                row[f"price_t{t + 1}_{kind}"] = float(path[t, j])
        rows.append(row)
    return rows


def run(cfg: Q2Config, task=None) -> list[dict]:
    """Every cell and objective; with a `TaskRunner`, each is a resumable task."""
    cfg.validate()
    rows = []
    for cell in cells(cfg):
        for objective in cfg.objectives:
            if task is None:
                rows += run_cell(cfg, cell, objective)
            else:
                rows += task.rows(f"q2_{cell.name}_{objective}", lambda c=cell, o=objective: run_cell(cfg, c, o))
    return rows
