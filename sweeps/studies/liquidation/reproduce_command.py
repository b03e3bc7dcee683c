"""`jaxmarkets reproduce liquidation`: the learners study of notes 000.

Q1: the 2x2 game in the anti-coordination regime (cash raised, liquidity ratio
in (1/2, 2)): do PPO banks find the mixed equilibrium and DQN banks not?
Independent PPO, shared PPO (self-play) and recurrent DQN; exploitability of
the time-averaged and last-iterate policies over training, seeds vmapped.
Q2: learners against the four benchmarks and the social planner over N banks,
the liquidity ratio and the overlap of portfolios, both objectives.
Q3: communication devices (none, cheap talk, planner signal public / private,
full information) under linear and square-root impact.
--quick (default): Q1 at two ratios x 32 seeds, Q2 at N = 2 and 10, Q3 at
N = 2, linear impact: a few minutes on a 2-core CPU.
--full: Q1 at four ratios x 64 seeds; Q2's whole cross (N up to 40); Q3 at
N = 2 and 4, both impacts and the control regime.
Writes q1.png, q1_curves.json, q2.png, q2.csv, q3.png, q3.csv,
classification_map.png, summary.csv/json (Q1 rows; Q2 and Q3 under "q2", "q3").
Each learner's Q1 batch and each Q2 / Q3 cell is a task: a killed run resumed
with --resume loads what finished.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from jaxmarkets.core import check_int
from sweeps.cli.options import add_reproduce_arguments, results_dir


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(name, help="notes 000: learners in the liquidation game (Q1: the 2x2 game)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_reproduce_arguments(p, name, quick="Q1: two ratios x 32 seeds; Q2: N = 2, 10; Q3: N = 2; a few minutes",
                            full="Q1: four ratios x 64 seeds; Q2: N up to 40, ratio, overlap; Q3: N = 2, 4")
    p.add_argument("--seeds", type=int, default=None, help="Q1 seeds per ratio and learner (overrides the mode)")
    p.add_argument("--no-q2", action="store_true", help="skip Q2 (learners against benchmarks and planner)")
    p.add_argument("--no-q3", action="store_true", help="skip Q3 (communication devices)")
    p.set_defaults(func=run)


def run(args) -> int:
    from sweeps.engine.results import ResultsDir, write_csv, write_json
    from sweeps.engine.tasks import TaskRunner
    from sweeps.studies.liquidation import q1, q2, q3
    from sweeps.studies.liquidation.classification_figure import plot as plot_map
    from sweeps.studies.liquidation.figures import plot_q1, plot_q2

    out = results_dir(args, "liquidation")
    cfg = q1.QUICK if args.mode == "quick" else q1.FULL
    cfg = dataclasses.replace(cfg, seed=args.seed)
    if args.seeds is not None:
        check_int("--seeds", args.seeds, 1, 100_000)
        cfg = dataclasses.replace(cfg, seeds=args.seeds)
    cfg.validate()
    results = ResultsDir(out, "liquidation", "reproduce",
                         {"mode": args.mode, "q1": dataclasses.asdict(cfg), "q2": not args.no_q2,
                          "q3": not args.no_q3},
                         resume=args.resume, force=args.force)
    task = TaskRunner(results.path, args.resume)
    timings, probs = {}, {}
    for learner in q1.LEARNERS:
        t0 = time.perf_counter()
        done = task(f"q1_{learner}", lambda: dict(zip(("blocks", "final"), q1.train(cfg, learner))))
        probs[learner] = (done["blocks"], done["final"])
        timings[f"q1_{learner}"] = time.perf_counter() - t0
        print(f"Q1 {learner}: {len(cfg.ratios)} ratio(s) x {cfg.seeds} seeds in {timings[f'q1_{learner}']:.1f} s")
    rows, curves = q1.analyse(cfg, probs)
    q2_rows = []
    if not args.no_q2:
        q2cfg = dataclasses.replace(q2.QUICK if args.mode == "quick" else q2.FULL, seed=args.seed)
        t0 = time.perf_counter()
        q2_rows = q2.run(q2cfg, task)
        timings["q2"] = time.perf_counter() - t0
        write_csv(results.file("q2.csv"), q2_rows)
        plot_q2(q2_rows, results.file("q2.png"), args.mode)
        for r in q2_rows:
            ratio = "" if r["welfare_over_planner"] is None else f", {r['welfare_over_planner']:.3f} of the planner's"
            dead = "" if r["defaults"] is None else f", {r['defaults']:.2f} defaults"
            print(f"  Q2 {r['cell']} {r['objective']:<6} {r['policy']:<24} welfare {r['welfare']:9.3f}{ratio}{dead}")
    plot_map(results.file("classification_map.png"))
    q3_rows = []
    if not args.no_q3:
        q3cfg = dataclasses.replace(q3.QUICK if args.mode == "quick" else q3.FULL, seed=args.seed)
        t0 = time.perf_counter()
        q3_rows = q3.run(q3cfg, task)
        timings["q3"] = time.perf_counter() - t0
        write_csv(results.file("q3.csv"), q3_rows)
        q3.plot(q3_rows, results.file("q3.png"), args.mode)
        for r in q3_rows:
            print(f"  Q3 {r['regime']} {r['impact']} N = {r['n_banks']} {r['device']:<17} {r['learner']:<10} "
                  f"welfare {r['welfare']:.3f} (planner {r['planner_welfare']:.3f}), split hit {r['split_hit']:.2f}")
    write_json(results.file("q1_curves.json"), curves)
    plot_q1(cfg, curves, {k: v[1] for k, v in probs.items()}, results.file("q1.png"), args.mode)
    for r in rows:
        print(f"  r = {r['ratio']}, {r['learner']}: NashConv time-average {r['nashconv_average_median']:.4f} "
              f"(median), last {r['nashconv_last_median']:.4f}; ends pure {r['share_pure_end']:.0%}, "
              f"mixed {r['share_mixed_end']:.0%} (p* = {r['p_mixed']:.3f})")
    results.finish(rows, {"question": "Q1 (rows); Q2 in q2; Q3 in q3", "config": dataclasses.asdict(cfg),
                          "q2": q2_rows, "q3": q3_rows},
                   timings)
    print(f"results in {out}")
    return 0
