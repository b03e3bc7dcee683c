"""Q3 of the liquidation study: communication devices and the shape of impact.

Which device helps banks coordinate their liquidation, and where do learners
fail? Devices (`DEVICES`): none; cheap talk (a message from two symbols each
step, seen by all at the next step); the planner's signal, public or private
(each step a recommended asset per bank, drawn by systematic sampling from the
planner's own split, so it is a correlation device); full information
(everyone's holdings and defaults, which reveal after a step what the others
sold).

The game is where coordination matters: cash raised at post-impact prices with
a liquidity ratio inside the anti-coordination band (r = 1.5; docs/liquidation.md:
banks gain by *splitting* across assets), unlevered books, two steps, each step
every bank sells nothing or half of its initial position of asset 1 or of
asset 2 (the sale rows of one level; the planner chooses among the same). Two steps are the least for cheap talk and full
information to carry anything: a message or a revealed book of step 1 is seen
at step 2. The control regime is the game's default thin-equity books under the
equity objective with r = 3, where selling the liquid asset is dominant and no
device should matter. Impact is linear, or the square-root law (power, delta =
1/2) calibrated to the linear drop at one bank's sale q: a_power = a q^(1 - delta).
Impact is per unit of the market (a x 2 / N), as in Q2.

Learners: independent PPO banks, and one shared PPO policy (symmetric
self-play: alike banks see the same observation unless a device tells them
apart, so without a device a shared policy cannot split the banks except by
mixing). Per cell: welfare over the planner's (exact enumeration), defaults,
`split_hit` (share of steps where the number of banks selling asset 1 equals
the planner's), `follow_rate` (planner signals: share of bank-steps selling the
recommended asset), and for cheap talk the mutual information (bits) between a
bank's step-1 message and its step-2 asset.
"""

from __future__ import annotations

import dataclasses

import numpy as np

DEVICES = ("none", "cheap_talk", "planner_public", "planner_private", "full_information")
REGIMES = ("anti_coordination", "control")
IMPACTS = ("linear", "power")
LEARNERS = ("ppo", "ppo_shared")
ROWS = (0, 1, 2)  # sell nothing, sell asset 1, sell asset 2 (one level): the planner's choices too


@dataclasses.dataclass(frozen=True)
class Q3Config:
    n_banks: tuple[int, ...] = (2,)
    regimes: tuple[str, ...] = ("anti_coordination",)
    impacts: tuple[str, ...] = ("linear",)
    devices: tuple[str, ...] = DEVICES
    learners: tuple[str, ...] = LEARNERS
    seeds: int = 4
    ppo_updates: int = 200
    test_episodes: int = 64
    anti_ratio: float = 1.5
    control_ratio: float = 3.0
    base_impact: float = 0.002
    exponent: float = 0.5
    seed: int = 0

    def validate(self) -> None:
        from jaxmarkets.core import InputError, check_int

        for name, allowed in (("regimes", REGIMES), ("impacts", IMPACTS), ("devices", DEVICES),
                              ("learners", LEARNERS)):
            for v in getattr(self, name):
                if v not in allowed:
                    raise InputError(f"{name} = {v!r} is not one of the allowed values: {', '.join(allowed)}")
        for n in self.n_banks:
            check_int("n_banks", n, 2, 64)
        check_int("seeds", self.seeds, 1, 10**5)
        check_int("ppo_updates", self.ppo_updates, 1, 10**6)
        check_int("test_episodes", self.test_episodes, 1, 10**6)
        if not 0.5 < self.anti_ratio < 2.0:
            raise InputError(f"anti_ratio = {self.anti_ratio} is outside the anti-coordination band (0.5, 2)")
        if not 0 < self.exponent <= 2:
            raise InputError(f"exponent = {self.exponent} is outside the allowed range (0, 2]")


QUICK = Q3Config()
FULL = Q3Config(n_banks=(2, 4), regimes=REGIMES, impacts=IMPACTS, seeds=8, ppo_updates=400)


def game_and_params(cfg: Q3Config, regime: str, impact: str, n: int, device: str = "none"):
    """The environment of one cell (static fields) and its params (signal weights
    are set later, from the planner)."""
    from jaxmarkets.liquidation.game import LiquidationGame
    from jaxmarkets.liquidation.impact import power_like_linear

    static = dict(n_banks=n, n_assets=2, horizon=2, n_levels=1, impact=impact,
                  objective="cash" if regime == "anti_coordination" else "equity",
                  information="full" if device == "full_information" else "own",
                  communication=device if device in ("cheap_talk", "planner_public", "planner_private") else "none")
    game = LiquidationGame(**static)
    ratio = cfg.anti_ratio if regime == "anti_coordination" else cfg.control_ratio
    a = cfg.base_impact * np.array([1.0, ratio]) * 2.0 / n
    fields = dict(max_sale=0.5, exponent=cfg.exponent)
    if regime == "anti_coordination":
        fields.update(liabilities=0.0, withdrawal=0.0)
    params = game.make_params(**fields)
    q = float(np.asarray(params.max_sale) * np.asarray(params.holdings)[0, 0])
    coef = power_like_linear(a, q, cfg.exponent) if impact == "power" else a
    params = params.replace(impact_coef=np.asarray(coef, np.float32))
    return game, params


def planner_split(game, params) -> tuple[float, np.ndarray, int]:
    """(planner welfare, signal weights [2] = its share of bank-steps on each
    asset, banks on asset 1 per step in its plan [T])."""
    from jaxmarkets.liquidation import benchmarks

    plan = benchmarks.social_planner(game, params)
    rows = np.asarray(plan["sale_rows"])  # [T, N]
    on = np.stack([(rows == 1).sum(1), (rows == 2).sum(1)], 1).astype(np.float64)  # [T, 2]
    weights = on.sum(0) / max(on.sum(), 1.0)
    return float(plan["welfare"]), np.maximum(weights, 0.0), on[:, 0].astype(int)


def make_adapter(game, target: np.ndarray):
    """`LiquidationAdapter` over rows (1, 2) that also reports the device metrics."""
    import jax
    import jax.numpy as jnp

    from agents.protocol import MetricSpec
    from sweeps.studies.liquidation.adapter import LiquidationAdapter

    msgs = game.messages_per_action
    target = jnp.asarray(target, jnp.int32)

    class DeviceAdapter(LiquidationAdapter):
        def step(self, state, actions, noise_t, params):
            out = super().step(state, actions, noise_t, params)
            asset = jnp.asarray(self.rows, jnp.int32)[actions // msgs] - 1  # row 1 -> asset 0, no sale -1
            active = ~state.defaulted
            info = dict(out.info, asset=asset, message=actions % msgs, active=active,
                        followed=(asset == state.recommendation) & active,
                        n_asset1=(active & (asset == 0)).sum())
            return out._replace(info=info)

        def episode_metrics(self, infos):
            m = super().episode_metrics(infos)
            active = infos["active"].astype(jnp.float32)  # [T, N]
            m["follow_rate"] = infos["followed"].sum() / jnp.maximum(active.sum(), 1.0)
            m["split_hit"] = (infos["n_asset1"] == target).mean()
            said = jax.nn.one_hot(infos["message"][0], msgs)  # [N, msgs] at step 1
            sold = jax.nn.one_hot(infos["asset"][1], 2) * active[1][:, None]  # [N, 2] at step 2
            m["talk_joint"] = said[:, :, None] * sold[:, None, :]
            return m

        def episode_metrics_spec(self):
            n = self.n_agents
            return {**super().episode_metrics_spec(),
                    "follow_rate": MetricSpec((), "share of active bank-steps selling the recommended asset"),
                    "split_hit": MetricSpec((), "share of steps with the planner's number of banks on asset 1"),
                    "talk_joint": MetricSpec((n, msgs, 2), "one-hot of (step-1 message, step-2 asset) per bank")}

    return DeviceAdapter(game, ROWS)


def mutual_information(joint) -> float:
    """Bits between message and asset from a joint distribution [msgs, assets]."""
    p = np.asarray(joint, np.float64)
    p = p / p.sum() if p.sum() > 0 else p
    pm, pa = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log2(p[nz] / (pm @ pa)[nz])).sum())


def _train(cfg: Q3Config, game, params, target, learner: str, key) -> dict:
    import jax

    from agents.pg import PGConfig, PGHparams, PolicyGradient
    from agents.policy import DiscreteActions

    adapter = make_adapter(game, target)
    pcfg = PGConfig(hidden=32, n_layers=2, episodes=32, train_iterations=cfg.ppo_updates, test_iterations=1,
                    log_every=cfg.ppo_updates, shared=learner == "ppo_shared")
    agent = PolicyGradient(adapter, DiscreteActions(adapter.n_actions), pcfg)
    hp = PGHparams.make(lr=1e-3)
    ap = adapter.make_params(params)
    n_test = max(1, cfg.test_episodes // pcfg.episodes)

    def one(k):
        carry, _ = agent.train_chunk(agent.init(k, ap, hp), ap, hp, cfg.ppo_updates)
        _, m = agent.test(carry, ap, hp, n_test)
        return {f: m[f].mean(0) for f in ("welfare", "defaults", "follow_rate", "split_hit", "talk_joint")}

    out = jax.jit(jax.vmap(one))(jax.random.split(key, cfg.seeds))
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def run_cell(cfg: Q3Config, regime: str, impact: str, n: int, device: str) -> list[dict]:
    """Every learner in one (regime, impact, N, device) cell."""
    import zlib

    import jax

    game, params = game_and_params(cfg, regime, impact, n, device)
    planner_welfare, weights, target = planner_split(game, params)
    params = params.replace(signal_weights=np.asarray(weights if weights.sum() > 0 else np.ones(2), np.float32))
    game.validate(params)
    name = f"{regime}_{impact}_n{n}_{device}"
    key = jax.random.fold_in(jax.random.key(cfg.seed), zlib.crc32(name.encode()) % 2**31)
    rows = []
    for learner in cfg.learners:
        r = _train(cfg, game, params, target, learner, jax.random.fold_in(key, LEARNERS.index(learner)))
        w = r["welfare"]
        rows.append({
            "regime": regime, "impact": impact, "n_banks": n, "device": device, "learner": learner,
            "planner_welfare": planner_welfare, "signal_weight_asset1": float(weights[0]),
            "welfare": float(w.mean()), "welfare_se": float(w.std() / np.sqrt(w.size)),
            "welfare_over_planner": float(w.mean() / planner_welfare) if planner_welfare > 0 else None,
            "welfare_over_planner_min": float(w.min() / planner_welfare) if planner_welfare > 0 else None,
            "defaults": float(r["defaults"].mean()),
            "split_hit": float(r["split_hit"].mean()),
            "follow_rate": float(r["follow_rate"].mean()) if device.startswith("planner") else None,
            "talk_bits": (float(np.mean([mutual_information(j.sum(0)) for j in r["talk_joint"]]))
                          if device == "cheap_talk" else None),
        })
    return rows


def run(cfg: Q3Config, task=None) -> list[dict]:
    """Every cell; with a `TaskRunner`, each cell is a resumable task."""
    cfg.validate()
    rows = []
    for regime in cfg.regimes:
        for impact in cfg.impacts if regime == "anti_coordination" else ("linear",):
            for n in cfg.n_banks:
                for device in cfg.devices:
                    fn = lambda r=regime, i=impact, n=n, d=device: run_cell(cfg, r, i, n, d)  # noqa: E731
                    rows += fn() if task is None else task.rows(f"q3_{regime}_{impact}_n{n}_{device}", fn)
    return rows


def plot(rows: list[dict], path: str, mode: str) -> None:
    """Per (regime, impact, N) panel: welfare lost against the planner's, in %
    of it, per device (bars, one per learner; error bars: standard error over
    seeds), and the split hit rate (dots, right axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["regime"], r["impact"], r["n_banks"]) for r in rows})
    cols = min(3, len(panels))
    n_rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(4.6 * cols, 3.6 * n_rows), squeeze=False)
    colors = {"ppo": "tab:blue", "ppo_shared": "tab:green"}
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (regime, impact, n) in zip(axes.flat, panels):
        sel = [r for r in rows if (r["regime"], r["impact"], r["n_banks"]) == (regime, impact, n)]
        devices = [d for d in DEVICES if any(r["device"] == d for r in sel)]
        learners = [name for name in LEARNERS if any(r["learner"] == name for r in sel)]
        width = 0.8 / max(len(learners), 1)
        hits = ax.twinx()
        for k, name in enumerate(learners):
            pts = [next(r for r in sel if r["device"] == d and r["learner"] == name) for d in devices]
            x = np.arange(len(devices)) + (k - (len(learners) - 1) / 2) * width
            planner = np.array([p["planner_welfare"] for p in pts])
            loss = 100 * (1 - np.array([p["welfare"] for p in pts]) / planner)
            ax.bar(x, loss, width, yerr=100 * np.array([p["welfare_se"] for p in pts]) / planner,
                   color=colors[name], alpha=0.8, label=f"{name}: welfare lost")
            hits.plot(x, [p["split_hit"] for p in pts], "o", mfc="none", color="k", ms=5,
                      label="split hit (right)" if k == 0 else None)
        hits.set_ylim(0, 1.05)
        hits.set_ylabel("split hit", fontsize=7)
        ax.set_ylabel("% of the planner's welfare lost", fontsize=7)
        ax.set_xticks(range(len(devices)), [d.replace("_", " ") for d in devices], rotation=25, ha="right",
                      fontsize=7)
        ax.set_title(f"{regime.replace('_', '-')}, {impact} impact, N = {n}", fontsize=9)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = hits.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=6, loc="upper left")
    fig.suptitle(f"Q3: communication devices ({mode})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
