"""Paper 002 reproduced and extended: every table rebuilt, every claim checked,
and learners in repeated play: the classic ones (fictitious play, regret
matching, Hedge, Roth-Erev) and, after them, the shared PPO and DQN makers of
`agents/` through `adapter.py`, at their own smaller sizes (`shared_*`).

Tables (CSV, and printed): the stage game's equilibria for B = 2..5
(stage_equilibria.csv), the threshold in both readings (thresholds.csv), the
Bayesian equilibria over a grid of p (bayesian_equilibria.csv), the 17-GEMM
tables exact and rounded (table_4_2.csv, table_4_3.csv), their quadrant sums
(quadrant_sums.csv), every printed number against its reconstruction
(paper_comparison.csv), the Stackelberg outcomes (stackelberg.csv) and every
claim of the paper with its verdict (claims.csv).

Learning (one batch of vmapped runs per learner and static setting, each a
resumable task):
  pairs       printed model, N = 2, p = 0.35, payoff scales 0.1 / 1 / 10, both
              forms: which equilibrium each ordered pair of types reaches,
              exploitability over rounds, dependence on the payoff scale;
  sizes       the trade rule with B = 3, two large makers (a common-interest
              game with 3 components of equilibria), both forms: which
              component the learners reach, how often, against the seeds;
  population  printed model, N makers over a grid of p: initiators' play
              against the Bayesian prediction, and who earns what by type.
The shared learners are read twice: their time-average (as the classic
learners) and their final policies (`policy` column, `*_current*` columns).

Results directory: the tables and figures above, learning_outcomes.csv,
population.csv, scaling.csv, summary.csv / summary.json (one row per learning
experiment) and manifest.json; tasks/ holds each finished batch for --resume.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from jaxmarkets.core import check_choice, check_int
from sweeps.engine.results import ResultsDir, write_csv
from sweeps.engine.tasks import TaskRunner
from sweeps.studies.liquidity import analysis as an
from sweeps.studies.liquidity import figures
from sweeps.studies.liquidity.experiments import Experiment, run_experiment

LEARNERS = ("fictitious_play", "regret_matching", "hedge", "roth_erev")
SHARED_LEARNERS = ("ppo", "dqn")
PRIOR_GRID = (0.1, 0.2, 0.3, 0.35, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    mode: str
    seeds: int  # per regime, pairs and sizes
    rounds: int  # pairs and sizes
    population_seeds: int  # per prior
    population_rounds_per_maker: int  # rounds = max(rounds, this x N)
    population_n: tuple[int, ...]
    population_learners: tuple[str, ...]
    scales: tuple[float, ...] = (0.1, 1.0, 10.0)
    record_every: int = 100
    optimize: bool = False  # XLA backend optimisations (compile time vs run time)
    seed: int = 0
    # the shared learners (agents/: PPO, DQN), far costlier per round than the
    # classic ones (a network update per round or per batch): fewer seeds and rounds
    shared_learners: tuple[str, ...] = SHARED_LEARNERS
    shared_seeds: int = 16  # per regime, pairs and sizes
    shared_rounds: int = 3200  # pairs and sizes (rounded up to whole records of whole updates)
    shared_population_seeds: int = 4  # per prior
    shared_population_rounds_per_maker: int = 960
    shared_population_n: tuple[int, ...] = (3, 5)
    shared_records: int = 10  # records of the policies per run

    def validate(self) -> None:
        for name in ("seeds", "rounds", "population_seeds", "population_rounds_per_maker", "record_every",
                     "shared_seeds", "shared_rounds", "shared_population_seeds",
                     "shared_population_rounds_per_maker", "shared_records"):
            check_int(name, getattr(self, name), 1)
        for n in self.population_n + self.shared_population_n:
            check_int("n_makers", n, 2)
        for learner in self.shared_learners:
            check_choice("shared_learners", learner, SHARED_LEARNERS)


QUICK = StudyConfig(mode="quick", seeds=256, rounds=2000, population_seeds=48,
                    population_rounds_per_maker=300, population_n=(3, 5, 10),
                    population_learners=("fictitious_play", "regret_matching"), record_every=50)
FULL = StudyConfig(mode="full", seeds=4096, rounds=20000, population_seeds=512,
                   population_rounds_per_maker=2000, population_n=(2, 3, 5, 10, 20),
                   population_learners=LEARNERS, record_every=200, optimize=True,
                   shared_seeds=64, shared_rounds=12800, shared_population_seeds=16,
                   shared_population_rounds_per_maker=1280, shared_population_n=(3, 5, 10), shared_records=20)


# ---------------------------------------------------------------- tables


def theory_tables(log=print) -> dict[str, list[dict]]:
    """Every table of the paper and the theory around it (float64)."""
    from jaxmarkets.liquidity import bayesian as bz
    from jaxmarkets.liquidity import stackelberg, stage, tables
    from jaxmarkets.liquidity.rules import stage_payoffs
    from sweeps.studies.liquidity.claims import check_claims

    out: dict[str, list[dict]] = {}
    rows = []
    for B in range(2, 6):
        a = stage.analyse(stage_payoffs(B))
        closed = stage.closed_form_equilibria(B)
        for k, e in enumerate(a["equilibria"]):
            comp = next(c for c, s in enumerate(a["subsets"]) if k in s["extreme_equilibria"])
            rows.append({"sizes": B, "equilibrium": k, "component": comp, "row": e["row"].round(12).tolist(),
                         "col": e["col"].round(12).tolist(), "payoff": float(e["payoffs"][0]),
                         "count": len(a["equilibria"]), "closed_form_count": len(closed),
                         "pure": bool(e["row"].max() == 1 and e["col"].max() == 1)})
    out["stage_equilibria"] = rows

    printed, rule = bz.printed_type_payoffs(), bz.rule_type_payoffs()
    out["thresholds"] = [
        {"reading": name, "closed_form": bz.threshold_closed_form(pay), "numerical": bz.threshold_numerical(pay),
         "paper": tables.PRINTED_THRESHOLD}
        for name, pay in (("printed", printed), ("rule", rule))
    ]
    rows = []
    for p in (0.2, 0.35, 5 / 9, 0.7):
        g = bz.one_sided_game(printed, p)
        for e in bz.bayesian_equilibria(g):
            rows.append({"prior": p, "player1": dict(zip(g.names[0], e["row"].round(12).tolist())),
                         "player2": {n: v for n, v in zip(g.names[1], e["col"].round(12).tolist()) if v},
                         "u1": float(e["payoffs"][0]), "u2": float(e["payoffs"][1])})
    out["bayesian_equilibria"] = rows

    t = tables.tables_report(printed)
    for key, name in (("bilateral", "table_4_2"), ("both_uncertain", "table_4_3")):
        tab = t[key]
        out[name] = [{"row": tab["rows"][i], "col": tab["cols"][j], "paper_col": tab["paper_cols"][j],
                      "u1": float(tab["table"][i, j, 0]), "u2": float(tab["table"][i, j, 1]),
                      "u1_rounded": float(tab["rounded"][i, j, 0]), "u2_rounded": float(tab["rounded"][i, j, 1])}
                     for i in range(len(tab["rows"])) for j in range(len(tab["cols"]))]
    out["quadrant_sums"] = [{"quadrant": k, "exact": v, "of_rounded": t["quadrant_sums_of_rounded"][k],
                             "paper": tables.PRINTED_SUMS.get(k)} for k, v in t["quadrant_sums"].items()]
    out["paper_comparison"] = tables.paper_comparison(printed)

    rows = []
    for B in range(2, 6):
        g = stage_payoffs(B)
        eq = stage.analyse(g)["equilibria"]
        s = stackelberg.mixed_commitment(g.row, g.col)
        rows.append({"game": f"sizes B={B}", "simultaneous_best": max(e["payoffs"][0] for e in eq),
                     "simultaneous_worst": min(e["payoffs"][0] for e in eq),
                     "stackelberg_leader": float(s["payoffs"][0]), "stackelberg_follower": float(s["payoffs"][1]),
                     "commitment": s["leader"].round(12).tolist()})
    for p in (0.2, 0.35, 0.7):
        eq = bz.bayesian_equilibria(bz.one_sided_game(printed, p))
        s = stackelberg.mixed_commitment(printed[0, :, :, :, 0], printed[0, :, :, :, 1], [p, 1 - p])
        rows.append({"game": f"bayesian printed p={p}", "simultaneous_best": max(e["payoffs"][0] for e in eq),
                     "simultaneous_worst": min(e["payoffs"][0] for e in eq),
                     "stackelberg_leader": float(s["payoffs"][0]), "stackelberg_follower": float(s["payoffs"][1]),
                     "commitment": s["leader"].round(12).tolist()})
    out["stackelberg"] = rows
    out["claims"] = check_claims()
    log(f"  theory: {len(out['paper_comparison'])} printed numbers compared, {len(out['claims'])} claims checked")
    return out


# ---------------------------------------------------------------- learning


def experiments(cfg: StudyConfig) -> dict[str, list[Experiment]]:
    exps = {"pairs": [], "sizes": [], "population": []}
    for form in ("simultaneous", "stackelberg"):
        for learner in LEARNERS:
            exps["pairs"].append(Experiment(f"pairs_{form}_{learner}", learner, 2, cfg.rounds, form=form,
                                            scales=cfg.scales, seeds=cfg.seeds, record_every=cfg.record_every))
            exps["sizes"].append(Experiment(f"sizes_{form}_{learner}", learner, 2, cfg.rounds, "sizes", form, 3,
                                            priors=(1.0,), seeds=cfg.seeds, record_every=cfg.record_every))
    for n in cfg.population_n:
        rounds = max(cfg.rounds, cfg.population_rounds_per_maker * n)
        for learner in cfg.population_learners:
            exps["population"].append(Experiment(f"population_n{n}_{learner}", learner, n, rounds,
                                                 priors=PRIOR_GRID, seeds=cfg.population_seeds,
                                                 record_every=max(cfg.record_every, rounds // 50)))
    # the shared learners after every classic one (the tasks run in this order)
    def whole(rounds, n):
        unit = cfg.shared_records * _shared_rounds_per_update(cfg, n)
        return -(-rounds // unit) * unit

    rounds = whole(cfg.shared_rounds, 2)
    for form in ("simultaneous", "stackelberg"):
        for learner in cfg.shared_learners:
            exps["pairs"].append(Experiment(f"pairs_{form}_{learner}", learner, 2, rounds, form=form,
                                            scales=cfg.scales, seeds=cfg.shared_seeds,
                                            record_every=rounds // cfg.shared_records))
            exps["sizes"].append(Experiment(f"sizes_{form}_{learner}", learner, 2, rounds, "sizes", form, 3,
                                            priors=(1.0,), seeds=cfg.shared_seeds,
                                            record_every=rounds // cfg.shared_records))
    for n in cfg.shared_population_n:
        rounds = whole(cfg.shared_population_rounds_per_maker * n, n)
        for learner in cfg.shared_learners:
            exps["population"].append(Experiment(f"population_n{n}_{learner}", learner, n, rounds,
                                                 priors=PRIOR_GRID, seeds=cfg.shared_population_seeds,
                                                 record_every=rounds // cfg.shared_records))
    return exps


def _shared_rounds_per_update(cfg: StudyConfig, n_makers: int) -> int:
    """The least common multiple of the shared learners' rounds per update with N makers."""
    from sweeps.studies.liquidity.adapter import LearnerPlay
    from jaxmarkets.liquidity.game import LiquidityGame

    game = LiquidityGame(n_makers=n_makers, n_rounds=1)
    per = [LearnerPlay(game, learner, updates=1, record_every=1).rounds_per_update
           for learner in cfg.shared_learners]
    return int(np.lcm.reduce(per)) if per else 1


PER_RUN = ("prior", "scale", "types", "average", "current", "reward", "rounds_in_role", "volume",
           "nash_conv_average", "nash_conv_current", "initiator_top")


def _select(res, mask):
    """The runs of an experiment's result where mask holds (per-run arrays only)."""
    return {k: (v[mask] if k in PER_RUN else v) for k, v in res.items()}


def _tol(res, share: float = 0.05) -> float:
    """A NashConv below this share of the game's largest payoff counts as at an
    equilibrium: 5% to name the equilibrium a run sits at, 1% for "how fast"."""
    return share * float(np.abs(res["payoffs"]).max())


def learning(cfg: StudyConfig, key, task, log=print) -> dict:
    import jax

    from jaxmarkets.liquidity.bayesian import printed_type_payoffs, threshold_closed_form

    threshold = threshold_closed_form(printed_type_payoffs())
    summary, outcome_rows, population_rows, scaling_rows = [], [], [], []
    curves: dict = {}
    equilibria_plot: dict = {}
    running: dict = {}
    ordered = [(part, exp) for part, exps in experiments(cfg).items() for exp in exps]
    ordered.sort(key=lambda pe: pe[1].learner in SHARED_LEARNERS)  # classic first, stable otherwise
    for part, exp in ordered:
        t0 = time.perf_counter()
        res = task(exp.name, lambda exp=exp: run_experiment(exp, jax.random.fold_in(key, _stable_hash(exp.name)),
                                                            cfg.optimize))
        tol = _tol(res)
        if part in ("pairs", "sizes"):
            base = _select(res, res["scale"] == 1.0)
            outs = an.pair_outcomes(base, exp.model, exp.form, tol)
            groups = ([(None, None)] if part == "sizes" else
                      [(i, j) for i in an.TYPE_NAMES for j in an.TYPE_NAMES])
            # the shared learners' final policies too: their time-average carries the
            # early, nearly uniform policies of a slow start much longer than a classic one's
            views = [("time-average", outs)]
            if "current" in base:
                views.append(("current", an.pair_outcomes(_current_view(base), exp.model, exp.form, tol)))
            for policy, view in views:
                for it, rt in groups:
                    for label, share in an.outcome_shares(view, it, rt).items():
                        outcome_rows.append({"experiment": part, "learner": exp.learner, "form": exp.form,
                                             "policy": policy, "initiator_type": it or "large",
                                             "responder_type": rt or "large", "equilibrium": label,
                                             "share": share})
                name = exp.learner if policy == "time-average" else f"{exp.learner}, final"
                equilibria_plot.setdefault(part, {})[(name, exp.form)] = an.outcome_shares(
                    view, None, "small" if part == "pairs" else None)
            if part == "sizes":
                running.setdefault(exp.form, {})[exp.learner] = [o["label"] for o in outs[::2]]
            if exp.form == "simultaneous":
                panel = curves.setdefault(f"{part}: N = 2, {exp.model}", {})
                panel[exp.learner] = (base["record_rounds"], base["nash_conv_average"])
                if "current" in base:
                    panel[f"{exp.learner} current"] = (base["record_rounds"], base["nash_conv_current"])
            if part == "pairs":
                for s in exp.scales:
                    sel = _select(res, res["scale"] == s)
                    scaling_rows.append({"learner": exp.learner, "form": exp.form, "scale": s,
                                         "nash_conv_median": float(np.median(an.final_nash_conv(sel)))})
            summary.append(_summary_row(part, exp, base, tol))
        else:
            for p in exp.priors:
                sel = _select(res, res["prior"] == np.asarray(p, res["prior"].dtype))
                row = {"learner": exp.learner, "n_makers": exp.n_makers, "prior": p, "rounds": exp.n_rounds,
                       **an.bayesian_agreement(sel, threshold),
                       "predicted_high_share_prior": an.predicted_high_share(exp.n_makers, p, threshold),
                       "nash_conv_median": float(np.median(an.final_nash_conv(sel))),
                       "nash_conv_current_median": float(np.median(sel["nash_conv_current"][:, -1])),
                       "agreement_current": (an.bayesian_agreement(_current_view(sel), threshold)["agreement"]
                                             if "current" in sel else None),
                       **an.per_type_rewards(sel)}
                population_rows.append(row)
                if abs(p - 0.35) < 1e-6:
                    summary.append(_summary_row(part, exp, sel, tol, extra=row))
                    largest = max(cfg.shared_population_n if exp.learner in SHARED_LEARNERS
                                  else cfg.population_n)
                    if exp.n_makers == largest:
                        panel = curves.setdefault(f"population: N = {exp.n_makers}, p = 0.35", {})
                        panel[exp.learner] = (sel["record_rounds"], sel["nash_conv_average"])
                        if "current" in sel:
                            panel[f"{exp.learner} current"] = (sel["record_rounds"], sel["nash_conv_current"])
        log(f"  {exp.name}: {time.perf_counter() - t0:.1f} s")
    return {"summary": summary, "outcomes": outcome_rows, "population": population_rows,
            "scaling": scaling_rows, "curves": curves, "equilibria_plot": equilibria_plot, "running": running,
            "threshold": threshold}


def _current_view(res) -> dict:
    """An experiment's result read at its final policies instead of the time-average
    (the classic learners keep only the NashConv of theirs, not the policies)."""
    return {**res, "average": res.get("current"), "nash_conv_average": res["nash_conv_current"]}


def _summary_row(part, exp, res, tol, extra=None) -> dict:
    nc = an.final_nash_conv(res)
    fast_tol = _tol(res, 0.01)
    steps = an.rounds_to(res, fast_tol)
    steps_current = an.rounds_to(_current_view(res), fast_tol)
    extra = extra or {}
    return {
        "experiment": part, "learner": exp.learner, "form": exp.form, "model": exp.model,
        "n_makers": exp.n_makers, "n_actions": exp.n_actions, "prior": round(float(res["prior"][0]), 6),
        "rounds": exp.n_rounds, "runs": int(nc.size),
        "nash_conv_median": float(np.median(nc)), "nash_conv_p90": float(np.percentile(nc, 90)),
        "nash_conv_current_median": float(np.median(res["nash_conv_current"][:, -1])),
        "equilibrium_tol": tol, "fast_tol": fast_tol, "share_below_fast_tol": float(np.mean(np.isfinite(steps))),
        "rounds_to_fast_tol_median": float(np.nanmedian(steps)) if np.isfinite(steps).any() else None,
        "share_current_below_fast_tol": float(np.mean(np.isfinite(steps_current))),
        "rounds_to_fast_tol_current_median": (float(np.nanmedian(steps_current))
                                              if np.isfinite(steps_current).any() else None),
        "bayesian_agreement": extra.get("agreement"),
        "large_reward_per_active_round": extra.get("large_reward_per_active_round",
                                                   an.per_type_rewards(res)["large_reward_per_active_round"]),
        "small_reward_per_active_round": extra.get("small_reward_per_active_round",
                                                   an.per_type_rewards(res)["small_reward_per_active_round"]),
    }


def _stable_hash(name: str) -> int:
    """A seed offset from an experiment's name, the same in every process."""
    h = 0
    for c in name.encode():
        h = (h * 131 + c) % (2 ** 31 - 1)
    return h


# ---------------------------------------------------------------- the study


def run_study(cfg: StudyConfig, out, force: bool = False, resume: bool = False, log=print) -> dict:
    cfg.validate()
    import jax

    results = ResultsDir(str(out), "liquidity", "reproduce", {"config": dataclasses.asdict(cfg)},
                         resume=resume, force=force)
    task = TaskRunner(results.path, resume)
    timings = {}
    t0 = time.perf_counter()
    with jax.enable_x64(True):
        tabs = theory_tables(log)
    for name, rows in tabs.items():
        write_csv(results.file(f"{name}.csv"), rows)
    timings["tables"] = time.perf_counter() - t0
    log(readable_tables(tabs))

    t0 = time.perf_counter()
    learned = learning(cfg, jax.random.key(cfg.seed), task, log)
    timings["learning"] = time.perf_counter() - t0
    write_csv(results.file("learning_outcomes.csv"), learned["outcomes"])
    write_csv(results.file("population.csv"), learned["population"])
    write_csv(results.file("scaling.csv"), learned["scaling"])
    t0 = time.perf_counter()
    _figures(cfg, learned, results)
    timings["figures"] = time.perf_counter() - t0
    log(readable_learning(learned))
    results.finish(learned["summary"], {"claims": tabs["claims"], "thresholds": tabs["thresholds"],
                                        "quadrant_sums": tabs["quadrant_sums"]}, timings)
    return results.manifest


def _figures(cfg, learned, results) -> None:
    runs = f"{cfg.seeds} seeds x {cfg.rounds} rounds, {cfg.mode}"
    if cfg.shared_learners:
        runs += f"; {', '.join(cfg.shared_learners)}: {cfg.shared_seeds} seeds x {cfg.shared_rounds} rounds"
    eq = learned["equilibria_plot"]
    figures.plot_equilibria(eq["sizes"], results.file("equilibria_sizes.png"),
                            f"Trade rule, B = 3, two large makers: equilibrium reached ({runs})")
    figures.plot_equilibria(eq["pairs"], results.file("equilibria_small_responder.png"),
                            f"Printed model, p = 0.35: a small responder's pair games ({runs})")
    figures.plot_running_shares(learned["running"].get("simultaneous", {}), results.file("equilibria_vs_seeds.png"),
                                "Trade rule, B = 3, simultaneous: share of seeds at each equilibrium")
    figures.plot_exploitability(learned["curves"], results.file("exploitability.png"),
                                f"Exploitability of the time-average, and of the shared learners' current "
                                f"policies (dashed) ({cfg.mode})")
    pred = {n: {p: an.predicted_high_share(n, p, learned["threshold"]) for p in np.linspace(0.02, 0.98, 49)}
            for n in cfg.population_n}
    figures.plot_population(learned["population"], pred, learned["threshold"], results.file("population.png"),
                            f"N makers, printed model: learned play against the Bayesian prediction ({cfg.mode})")
    figures.plot_scaling([r for r in learned["scaling"] if r["form"] == "simultaneous"],
                         results.file("scaling.png"), "Printed model, N = 2, p = 0.35: payoff scale")


def readable_tables(tabs) -> str:
    lines = ["", "Paper 002 tables, rebuilt (printed -> ours, rounded half up as printed):"]
    for r in tabs["paper_comparison"]:
        mark = "" if r["agrees"] else "   <-- differs"
        lines.append(f"  {r['item']:<13} {r['row']:<14} {r['col']:<8} player {r['player']}: "
                     f"printed {r['printed']:<6g} ours {r['rounded']:<6g} (exact {r['exact']:.6g}){mark}")
    lines.append("thresholds: " + "; ".join(f"{t['reading']} {t['closed_form']:.10g} (numerical "
                                           f"{t['numerical']:.10g})" for t in tabs["thresholds"]))
    lines.append("claims of the paper:")
    for c in tabs["claims"]:
        lines.append(f"  [{c['verdict']:>5}] {c['section']} {c['claim']}")
    return "\n".join(lines)


def readable_learning(learned) -> str:
    lines = ["", "Learning in repeated play (median final NashConv per round of the time-average and of the "
             "final policies, unscaled; share of runs whose time-average's NashConv fell below 1% of the "
             "largest payoff, and the median rounds it took):"]
    for r in learned["summary"]:
        lines.append(f"  {r['experiment']:<10} {r['form']:<12} N={r['n_makers']:<3} {r['learner']:<16} "
                     f"NashConv {r['nash_conv_median']:.4g} (final policies "
                     f"{r['nash_conv_current_median']:.4g})  below 1%: {r['share_below_fast_tol']:.2f} "
                     f"(median {r['rounds_to_fast_tol_median']} rounds)"
                     + (f"  Bayesian agreement {r['bayesian_agreement']:.2f}" if r["bayesian_agreement"] is not None
                        else ""))
    return "\n".join(lines)
