"""Part (c) of the CAT study: the learned specialist against the fixed families.

A run is one field of rivals and one reading of the learner:
"tournament" (all of part (b)'s families) or one family's name (head to
head), optionally ":day" (the myopic reading, learned.py; default ":return")
and ":daily" (a fee schedule): e.g. "tournament", "cutter",
"tournament:day", "tournament:daily". For each:

1. train the bandit (learned.py) over `iterations` x `games` vmapped games;
2. evaluate, on the same `eval_games` seeds (common random numbers), every
   menu option announced every day (the best constant option, found by brute
   force: what the learner should find if it learns) and the learned greedy
   policy, whose score is compared with each rival's in that field. With
   (options + 1) x eval_games = games, evaluation reuses training's program.

The traders are ZI-C by default (a learner needs thousands of games; the
mixed population with GD traders costs 20x more per game-day, docs/cat.md).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int
from sweeps.studies.cat.learned import (CREDIT, SCHEDULE, BanditConfig, fee_menu, greedy_fees, option_label,
                                        probabilities, train)

LEARNED_SPEC = {"name": "learned", "clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory"}
MENU = (("registration", (0.0, 0.5, 2.0)), ("transaction", (0.0, 0.5, 2.0)), ("profit", (0.0, 0.1, 0.3)))
METRICS = ("score", "market_share", "profit_share", "tsr", "profit", "traders", "new_shouts", "transactions")


@dataclasses.dataclass(frozen=True)
class LearnedConfig:
    traders: int = 20  # per side
    mix: tuple[str, ...] = ("zic",)  # equal shares per side
    days: int = 10
    rounds: int = 10
    runs: tuple[str, ...] = ("tournament", "cda", "cutter")
    eval_games: int = 64
    bandit: BanditConfig = BanditConfig(iterations=25, games=128)
    menu: tuple = MENU

    def validate(self, families: tuple[str, ...]) -> None:
        check_int("learned.traders", self.traders, 1)
        check_int("learned.days", self.days, 1)
        check_int("learned.rounds", self.rounds, 1)
        check_int("learned.eval_games", self.eval_games, 2)
        if not self.mix:
            raise InputError("learned.mix is empty; allowed: one or more of zic, zip, gd, re, truth")
        for s in self.mix:
            check_choice("learned.mix", s, ("zic", "zip", "gd", "re", "truth"))
        check_int("learned.traders", self.traders, len(self.mix))
        for run in self.runs:
            parse_run(run, families)
        self.bandit.validate()
        fee_menu(dict(self.menu))


def parse_run(run: str, families: tuple[str, ...]) -> tuple[str, str, str]:
    """"field[:credit][:schedule]" -> (field, credit, schedule)."""
    field, *rest = run.split(":")
    check_choice("learned run field", field, ("tournament", *families))
    credit = next((r for r in rest if r in CREDIT), "return")
    schedule = next((r for r in rest if r in SCHEDULE), "constant")
    unknown = [r for r in rest if r not in CREDIT + SCHEDULE]
    if unknown:
        raise InputError(f"learned run {run!r}: {unknown[0]!r} is not one of {', '.join(CREDIT + SCHEDULE)}")
    return field, credit, schedule


def field_game(cfg: LearnedConfig, field: str, tournament):
    """(game, params, names): the field's fixed families, then the learned seat (last)."""
    from jaxmarkets.cat import CatGame
    from jaxmarkets.cat.params import with_fees

    chosen = [t for t in tournament if field == "tournament" or t[0] == field]
    share = max(1, cfg.traders // len(cfg.mix))
    mix = {s: share for s in cfg.mix}
    specs = tuple({"name": n, **s} for n, s, _ in chosen) + (LEARNED_SPEC,)
    game = CatGame(days=cfg.days, rounds=cfg.rounds, buyers=mix, sellers=mix, specialists=specs)
    fees = np.asarray([f for _, _, f in chosen] + [(0, 0, 0, 0, 0)], np.float32)
    return game, with_fees(game.default_params(), fees), tuple(s["name"] for s in specs)


def run_field(cfg: LearnedConfig, run: str, tournament, seed: int, log=print) -> dict[str, np.ndarray]:
    """Train and evaluate one run; every array the results are made of."""
    import jax

    from sweeps.studies.cat.runs import run_games

    field, credit, schedule = parse_run(run, tuple(t[0] for t in tournament))
    game, params, names = field_game(cfg, field, tournament)
    seat = len(names) - 1
    menu = fee_menu(dict(cfg.menu))
    m, days, e = menu.shape[0], cfg.days, cfg.eval_games

    def play(seat_fees, play_seed, group):
        n = seat_fees.shape[0]
        keys = np.repeat(np.asarray(jax.random.key_data(jax.random.split(jax.random.key(play_seed), n // group))),
                         group, 0)
        out = run_games(game, params, n, seat=seat, seat_fees=seat_fees, keys=keys)
        return np.asarray(out.score[..., seat], np.float64)

    bandit = dataclasses.replace(cfg.bandit, credit=credit, schedule=schedule, seed=seed)
    trained = train(play, menu, days, bandit, log)
    # every option announced every day, and the greedy learned policy, on the same eval seeds
    eval_keys = np.asarray(jax.random.key_data(jax.random.split(jax.random.key(seed + 7_919), e)))
    # one batch (one program): M constant options, then the learned policy, each on the same e games
    learned_fees = greedy_fees(trained.logits, menu, days, schedule)
    fees = np.concatenate([np.repeat(menu[:, None, :], days, 1), learned_fees[None]])  # [M + 1, days, 5]
    both = run_games(game, params, (m + 1) * e, seat=seat, seat_fees=np.repeat(fees, e, 0),
                     keys=np.tile(eval_keys, (m + 1, 1)))
    option_scores = np.asarray(both.score[: m * e, :, seat], np.float64).reshape(m, e, days).mean(2)  # [M, games]
    out = {f"eval_{k}": np.asarray(getattr(both, k)[m * e:], np.float64) for k in METRICS}
    out.update(
        curve=np.asarray([h["score"] for h in trained.history]),
        probabilities=probabilities(trained.logits), learned_fees=learned_fees, menu=menu,
        option_scores=option_scores, train_seconds=np.asarray(trained.seconds),
    )
    return out


def summarise(run: str, r: dict, names: tuple[str, ...]) -> tuple[list[dict], dict]:
    """(one row per specialist of the field, the learner's row) from run_field's arrays."""
    seat = len(names) - 1
    games = r["eval_score"].shape[0]
    per_game = r["eval_score"].mean(1)  # [games, S]
    rows = []
    for j, name in enumerate(names):
        rows.append({
            "run": run, "specialist": name, "games": games,
            "score": float(per_game[:, j].mean()), "score_sd": float(per_game[:, j].std(ddof=1)),
            "market_share": float(r["eval_market_share"][..., j].mean()),
            "profit_share": float(r["eval_profit_share"][..., j].mean()),
            "tsr": float(r["eval_tsr"][..., j].mean()), "profit_per_day": float(r["eval_profit"][..., j].mean()),
            "learned_minus_this": float((per_game[:, seat] - per_game[:, j]).mean()),
        })
    option_mean = r["option_scores"].mean(1)
    best = int(option_mean.argmax())
    learned_days = [option_label(f) for f in r["learned_fees"]]
    choice = learned_days[0] if len(set(learned_days)) == 1 else " / ".join(learned_days)
    p = r["probabilities"].mean(0)
    learner = {
        "run": run, "learned_fees": choice, "learned_score": rows[seat]["score"],
        "learned_score_sd": rows[seat]["score_sd"], "policy_top_probability": float(p.max()),
        "best_constant_option": option_label(r["menu"][best]), "best_constant_score": float(option_mean[best]),
        "free_option_score": float(option_mean[0]),
        "learned_rank_among_options": int((option_mean > rows[seat]["score"] + 1e-12).sum()) + 1,
        "options": int(len(option_mean)), "first_iteration_score": float(r["curve"][0]),
        "last_iteration_score": float(r["curve"][-1]), "train_seconds": float(r["train_seconds"]),
        "rivals_beaten": sum(x["score"] < rows[seat]["score"] for x in rows[:seat]), "rivals": seat,
    }
    return rows, learner


def learned(study, task, log=print) -> tuple[list[dict], list[dict], dict]:
    """(c): every run of study.learned; (specialist rows, learner rows, arrays for the figure)."""
    from sweeps.studies.cat.reproduction import TOURNAMENT, _seed

    cfg = study.learned
    rows, learners, curves = [], [], {}
    for run in cfg.runs:
        name = "learned_" + run.replace(":", "_")
        t0 = time.perf_counter()
        r = task(name, lambda run=run, name=name: run_field(cfg, run, TOURNAMENT, _seed(study, name), log))
        field = parse_run(run, tuple(t[0] for t in TOURNAMENT))[0]
        names = field_game(cfg, field, TOURNAMENT)[2]
        spec_rows, learner = summarise(run, r, names)
        rows += spec_rows
        learners.append(learner)
        curves[run] = (r["curve"], r["option_scores"].mean(1), learner)
        log(f"  (c) {run}: learned {learner['learned_fees']} score {learner['learned_score']:.3f} "
            f"(best constant option {learner['best_constant_option']} {learner['best_constant_score']:.3f}; "
            f"beats {learner['rivals_beaten']} of {learner['rivals']} rivals) ({time.perf_counter() - t0:.1f} s)")
    return rows, learners, curves
