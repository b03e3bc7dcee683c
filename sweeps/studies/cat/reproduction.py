"""Paper 004 (CAT): the fixed-policy parts of the study.

(a) `single`: every trader strategy (truth, ZI-C, ZIP, GD, Roth-Erev) alone
    in a single continuous double auction (JCAT's CDA: quote beating,
    discriminatory k = 0.5) and in a single clearing house (always accepting,
    uniform price, a call at every round's end): efficiency and Smith's alpha
    by day. `calls`: a ZI-C and a GD clearing house's efficiency against its
    number of calls a day (one program per strategy sweeps the calls).
(b) `tournament`: fixed specialist families compete for a mixed population
    (a quarter each of ZI-C, ZIP, GD, Roth-Erev per side): daily scores,
    market shares, profits, transaction success rates.
(c) `learned`: a specialist whose fees a gradient bandit sets each day,
    trained over thousands of vmapped games against the fixed families (all of
    them, and head to head), evaluated against each and against every
    constant option of its menu (learned.py, learned_study.py).

Every cell is a task (`tasks/`), so --resume continues a killed run and ends
identical to an uninterrupted one (a task's seeds derive from the study seed
and the task's name). Results (the common format, sweeps/engine/results.py):
summary.csv (part (a)'s table), single.csv, single_days.csv, calls.csv,
tournament.csv, tournament_days.csv, learned.csv (every specialist of each
part (c) run), learned_summary.csv (the learner of each run),
learned_curves.csv, learned_options.csv, single.png, calls.png,
tournament.png, learned.png.
"""

from __future__ import annotations

import dataclasses
import time
import zlib

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int
from sweeps.engine.results import ResultsDir, write_csv
from sweeps.engine.tasks import TaskRunner
from sweeps.studies.cat.learned import BanditConfig
from sweeps.studies.cat.learned_study import LearnedConfig

STRATEGY_NAMES = ("truth", "zic", "zip", "gd", "re")
MARKETS = {
    "cda": {"name": "cda", "clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory"},
    "ch": {"name": "ch", "clearing": "round", "accepting": "always", "pricing": "uniform"},
}
# the tournament's fixed families (name, spec, fees: registration, information, shout, transaction, profit)
TOURNAMENT = (
    ("cda", {"clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory"}, (0, 0, 0, 0, 0)),
    ("ch", {"clearing": "round", "accepting": "always", "pricing": "uniform"}, (0, 0, 0, 0, 0)),
    ("cda-profit", {"clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory"},
     (0, 0, 0, 0, 0.1)),
    ("ch-transaction", {"clearing": "round", "accepting": "always", "pricing": "uniform"}, (0, 0, 0, 1.0, 0)),
    ("eq-uniform", {"clearing": "continuous", "accepting": "equilibrium_beating", "pricing": "uniform"},
     (0, 0, 0, 0, 0.05)),
    ("cutter", {"clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory",
                "charging": "cutting"}, (0.5, 0.5, 0.2, 1.0, 0.2)),
)


PARTS = ("a", "b", "c")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    mode: str
    traders: int  # per side
    days: int
    rounds: int
    seeds: int
    calls: tuple[int, ...]
    tournament_days: int
    tournament_seeds: int
    seed: int = 0
    strategies: tuple[str, ...] = STRATEGY_NAMES  # part (a)'s single markets
    markets: tuple[str, ...] = ("cda", "ch")
    call_strategies: tuple[str, ...] = ("zic", "gd")
    tournament_mix: tuple[str, ...] = ("zic", "zip", "gd", "re")  # equal shares per side
    learned: LearnedConfig = LearnedConfig()  # part (c)
    parts: tuple[str, ...] = PARTS  # which of (a), (b), (c) to run

    def validate(self) -> None:
        check_int("traders", self.traders, 4)
        check_int("days", self.days, 1)
        check_int("rounds", self.rounds, 1)
        check_int("seeds", self.seeds, 1)
        check_int("tournament_days", self.tournament_days, 1)
        check_int("tournament_seeds", self.tournament_seeds, 1)
        for c in self.calls:
            check_int("calls", c, 1)
        for s in self.strategies + self.call_strategies + self.tournament_mix:
            check_choice("strategies", s, STRATEGY_NAMES)
        for m in self.markets:
            check_choice("markets", m, tuple(MARKETS))
        self.learned.validate(tuple(t[0] for t in TOURNAMENT))
        if not self.parts:
            raise InputError(f"--parts is empty; allowed: a subset of {','.join(PARTS)}")
        for part in self.parts:
            check_choice("--parts", part, PARTS)


QUICK = StudyConfig(mode="quick", traders=30, days=8, rounds=10, seeds=8, calls=(1, 2, 5, 10, 20, 50),
                    tournament_days=20, tournament_seeds=4)
FULL = StudyConfig(mode="full", traders=100, days=20, rounds=10, seeds=50, calls=(1, 2, 5, 10, 20, 50, 100),
                   tournament_days=40, tournament_seeds=40,
                   learned=LearnedConfig(traders=20, days=20, eval_games=100,
                                         runs=("tournament", "tournament:day", "tournament:daily",
                                               *(t[0] for t in TOURNAMENT)),
                                         bandit=BanditConfig(iterations=30, games=192)))


def _seed(cfg: StudyConfig, name: str) -> int:
    return (cfg.seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


def _run(game, params, seeds: int, seed: int):
    from sweeps.studies.cat.runs import run_games

    return run_games(game, params, seeds, seed)


def single(cfg: StudyConfig, task, log=print) -> tuple[list[dict], list[dict]]:
    """(a): per (market, strategy) the mean efficiency and alpha, and by day."""
    from jaxmarkets.cat import CatGame

    rows, days = [], []
    for market in cfg.markets:
        spec = MARKETS[market]
        for strategy in cfg.strategies:
            name = f"single_{market}_{strategy}"

            def cell(market=market, spec=spec, strategy=strategy, name=name):
                game = CatGame(days=cfg.days, rounds=cfg.rounds, buyers={strategy: cfg.traders},
                               sellers={strategy: cfg.traders}, specialists=(spec,))
                out = _run(game, game.default_params(), cfg.seeds, _seed(cfg, name))
                return {"efficiency": out.efficiency, "alpha": out.alpha, "trades": out.trades,
                        "mean_price": out.mean_price, "p_star": out.p_star}

            t0 = time.perf_counter()
            r = task(name, cell)
            eff_game = np.nanmean(r["efficiency"], axis=1)
            rows.append({
                "market": market, "strategy": strategy, "seeds": cfg.seeds, "days": cfg.days,
                "efficiency": float(np.nanmean(eff_game)), "efficiency_sd": float(np.nanstd(eff_game, ddof=1)),
                "alpha": float(np.nanmean(r["alpha"])), "alpha_last_day": float(np.nanmean(r["alpha"][:, -1])),
                "trades_per_day": float(np.mean(r["trades"])),
                "mean_price": float(np.nanmean(r["mean_price"])), "p_star": float(np.nanmean(r["p_star"])),
            })
            for d in range(cfg.days):
                days.append({"market": market, "strategy": strategy, "day": d,
                             "efficiency": float(np.nanmean(r["efficiency"][:, d])),
                             "alpha": float(np.nanmean(r["alpha"][:, d]))})
            log(f"  (a) {market} {strategy}: efficiency {rows[-1]['efficiency']:.2f} %, alpha "
                f"{rows[-1]['alpha']:.2f} % ({time.perf_counter() - t0:.1f} s)")
    return rows, days


def calls(cfg: StudyConfig, task, log=print) -> list[dict]:
    """(a): clearing-house efficiency against calls a day, one program per strategy."""
    import jax
    import jax.numpy as jnp

    from jaxmarkets.cat import CatGame, SpecialistSpec

    rows = []
    for strategy in cfg.call_strategies:
        name = f"calls_{strategy}"

        def cell(strategy=strategy, name=name):
            spec = SpecialistSpec(name="ch", clearing="round", accepting="always", pricing="uniform",
                                  calls=max(cfg.calls))
            game = CatGame(days=cfg.days, rounds=cfg.rounds, buyers={strategy: cfg.traders},
                           sellers={strategy: cfg.traders}, specialists=(spec,))
            base = game.default_params()
            rows_p = [base.replace(calls=jnp.asarray([c], jnp.int32)) for c in cfg.calls for _ in range(cfg.seeds)]
            params = jax.tree.map(lambda *xs: jnp.stack(xs), *rows_p)
            game.validate(params)
            out = _run(game, params, len(rows_p), _seed(cfg, name))
            shape = (len(cfg.calls), cfg.seeds, cfg.days)
            return {"efficiency": out.efficiency.reshape(shape), "alpha": out.alpha.reshape(shape)}

        t0 = time.perf_counter()
        r = task(name, cell)
        for i, c in enumerate(cfg.calls):
            eff_game = np.nanmean(r["efficiency"][i], axis=1)
            rows.append({"strategy": strategy, "calls": c, "efficiency": float(np.nanmean(eff_game)),
                         "efficiency_sd": float(np.nanstd(eff_game, ddof=1)),
                         "alpha": float(np.nanmean(r["alpha"][i]))})
        log(f"  (a) calls {strategy}: " + ", ".join(f"{r_['calls']}: {r_['efficiency']:.1f}"
                                                   for r_ in rows if r_["strategy"] == strategy)
            + f" ({time.perf_counter() - t0:.1f} s)")
    return rows


def tournament(cfg: StudyConfig, task, log=print) -> tuple[list[dict], list[dict]]:
    """(b): the fixed families against each other for a mixed population."""
    from jaxmarkets.cat import CatGame
    from jaxmarkets.cat.params import with_fees

    def cell():
        share = max(1, cfg.traders // len(cfg.tournament_mix))
        mix = {s: share for s in cfg.tournament_mix}
        specs = tuple({"name": n, **s} for n, s, _ in TOURNAMENT)
        game = CatGame(days=cfg.tournament_days, rounds=cfg.rounds, buyers=mix, sellers=mix, specialists=specs)
        params = with_fees(game.default_params(), np.asarray([f for _, _, f in TOURNAMENT], np.float32))
        out = _run(game, params, cfg.tournament_seeds, _seed(cfg, "tournament"))
        return {k: getattr(out, k) for k in ("score", "market_share", "profit_share", "tsr", "profit", "traders",
                                             "efficiency", "fees", "strategy_profit")}

    t0 = time.perf_counter()
    r = task("tournament", cell)
    rows, days = [], []
    for j, (name, spec, fees) in enumerate(TOURNAMENT):
        rows.append({
            "specialist": name, "clearing": spec["clearing"], "accepting": spec["accepting"],
            "pricing": spec["pricing"], "charging": spec.get("charging", "fixed"), "initial_fees": list(fees),
            "score": float(r["score"][..., j].mean()), "score_sd": float(r["score"][..., j].sum(1).std(ddof=1)
                                                                         / cfg.tournament_days),
            "profit_share": float(r["profit_share"][..., j].mean()),
            "market_share": float(r["market_share"][..., j].mean()), "tsr": float(r["tsr"][..., j].mean()),
            "profit_per_day": float(r["profit"][..., j].mean()),
            "final_fees": [float(x) for x in r["fees"][:, -1, j].mean(0)],
        })
        for d in range(cfg.tournament_days):
            days.append({"specialist": name, "day": d, "score": float(r["score"][:, d, j].mean()),
                         "market_share": float(r["market_share"][:, d, j].mean()),
                         "profit_share": float(r["profit_share"][:, d, j].mean()),
                         "tsr": float(r["tsr"][:, d, j].mean())})
    ranked = sorted(rows, key=lambda x: -x["score"])
    log("  (b) tournament: " + ", ".join(f"{x['specialist']} {x['score']:.3f}" for x in ranked)
        + f" ({time.perf_counter() - t0:.1f} s)")
    return rows, days


def run_study(cfg: StudyConfig, out, force: bool = False, resume: bool = False, log=print) -> dict:
    from sweeps.studies.cat.figures import plot_calls, plot_learned, plot_single, plot_tournament
    from sweeps.studies.cat.learned import fee_menu, option_label
    from sweeps.studies.cat.learned_study import learned

    cfg.validate()
    results = ResultsDir(str(out), "cat", "reproduce", {"config": dataclasses.asdict(cfg)}, resume=resume,
                         force=force)
    task = TaskRunner(results.path, resume)
    timings = {}
    single_rows, call_rows, t_rows, l_learners = [], [], [], []
    if "a" in cfg.parts:
        t0 = time.perf_counter()
        single_rows, single_days = single(cfg, task, log)
        timings["single"] = time.perf_counter() - t0
        write_csv(results.file("single.csv"), single_rows)
        write_csv(results.file("single_days.csv"), single_days)
        plot_single(single_days, results.file("single.png"), cfg)
        t0 = time.perf_counter()
        call_rows = calls(cfg, task, log)
        timings["calls"] = time.perf_counter() - t0
        write_csv(results.file("calls.csv"), call_rows)
        plot_calls(call_rows, results.file("calls.png"), cfg)
    if "b" in cfg.parts:
        t0 = time.perf_counter()
        t_rows, t_days = tournament(cfg, task, log)
        timings["tournament"] = time.perf_counter() - t0
        write_csv(results.file("tournament.csv"), t_rows)
        write_csv(results.file("tournament_days.csv"), t_days)
        plot_tournament(t_days, results.file("tournament.png"), cfg)
    if "c" in cfg.parts:
        t0 = time.perf_counter()
        l_rows, l_learners, l_curves = learned(cfg, task, log)
        timings["learned"] = time.perf_counter() - t0
        write_csv(results.file("learned.csv"), l_rows)
        write_csv(results.file("learned_summary.csv"), l_learners)
        write_csv(results.file("learned_curves.csv"), [{"run": run, "iteration": i, "mean_daily_score": float(x)}
                                                       for run, (curve, _, _) in l_curves.items()
                                                       for i, x in enumerate(curve)])
        write_csv(results.file("learned_options.csv"), [
            {"run": run, "option": option_label(fees), "score": float(score)}
            for run, (_, scores, learner) in l_curves.items()
            for fees, score in zip(fee_menu(dict(cfg.learned.menu)), scores)])
        plot_learned(l_curves, results.file("learned.png"), cfg)
    # summary.csv: part (a)'s table, or the first part run
    rows = single_rows or t_rows or l_learners
    results.finish(rows, {"calls": call_rows, "tournament": t_rows, "learned": l_learners}, timings)
    return results.manifest
