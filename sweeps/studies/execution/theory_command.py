"""`jaxmarkets theory execution`: equilibria, expected costs and the Pareto front."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from jaxmarkets.core import InputError, params_to_dict, with_overrides
from jaxmarkets.execution.game import DEFAULT_TIMING, TIMINGS, ExecutionGame, ExecutionParams
from sweeps.cli.options import parse_assignments, split_game_fields
from sweeps.cli.options import print_json

STATIC_FIELDS = ("n_agents", "n_steps")


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="Almgren-Chriss execution game (paper 001)",
        description="Nash equilibria (continuous Eq. 7-8 and exact discrete), expected "
        "implementation shortfall of TWAP and of both equilibria, and the Pareto front.",
    )
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", default=[],
        help="a game field: n_agents, n_steps, q0 (a number or a JSON list per agent), "
        "S0, alpha, kappa, sigma, tau, lam",
    )
    p.add_argument("--timing", default=DEFAULT_TIMING, help=f"one of {', '.join(TIMINGS)}")
    p.add_argument(
        "--lam-convention", default="eq3", choices=["eq3", "eq8"],
        help="lam of Eq. 7-8 as E + lam Var (eq3, default) or as printed (eq8)",
    )
    p.add_argument("--points", type=int, default=41, help="points on the Pareto front")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def build_game(assignments: list[str], timing: str) -> tuple[ExecutionGame, ExecutionParams]:
    """Game and float64 params from `--set` pairs; validated before any compile."""
    static, overrides = split_game_fields(parse_assignments(assignments), ExecutionGame, ExecutionParams,
                                          STATIC_FIELDS)
    game = ExecutionGame(timing=timing, **static)
    params = with_overrides(game.default_params(), overrides)
    game.validate(params)
    return game, params


def theory_report(game: ExecutionGame, params: ExecutionParams, lam_convention="eq3", points=41) -> dict:
    from jaxmarkets.execution import theory as th

    # Where the discrete game has no equilibrium (round trips gain without
    # bound when alpha <= kappa tau / 2 and nothing is risky), its entries are
    # null and `nash_discrete_error` says why; everything else is still reported.
    try:
        th.check_discrete_nash(game, params)
        v_nash, nash_error = th.nash_discrete(game, params), None
    except InputError as err:
        v_nash, nash_error = None, str(err)
    q_cont = th.nash_continuous(game, params, lam_convention)
    v_cont = th.sells_from_inventory(q_cont)
    v_twap = th.twap(game, params)
    as_list = lambda x: np.asarray(x).tolist()  # noqa: E731
    schedules = [("twap", v_twap), ("nash_discrete", v_nash), ("nash_continuous", v_cont)]
    report = {
        "game": dataclasses.asdict(game),
        "params": params_to_dict(params),
        "nash_continuous": {"q": as_list(q_cont), "lam_convention": lam_convention},
        "nash_discrete": None if v_nash is None else {
            "v": as_list(v_nash), "q": as_list(th.inventory_from_sells(params.q0, v_nash))},
        "expected_is": {
            name: None if v is None else as_list(th.expected_is(game, params, v)) for name, v in schedules
        },
        "std_is": {
            name: None if v is None else
            as_list(np.sqrt(th.variance_is(game, params, v) + th.order_variance_is(game, params, v)))
            for name, v in schedules
        },
        "pareto_front": None,
    }
    if nash_error:
        report["nash_discrete_error"] = nash_error
    if game.n_agents == 2:
        front, _ = th.pareto_front(game, params, points)
        report["pareto_front"] = as_list(front)
    return report


def _table(report: dict) -> str:
    g, p = report["game"], report["params"]
    lines = [
        f"Almgren-Chriss execution game: {g['n_agents']} agents, N = {g['n_steps']}, timing = {g['timing']}",
        "params: " + ", ".join(f"{k} = {v}" for k, v in p.items()),
        "",
        "sells per step (agent: v_1 ... v_N)",
    ]
    fmt = lambda row: " ".join(f"{x:8.3f}" for x in row)  # noqa: E731
    if report["nash_discrete"] is None:
        lines.append(f"  nash discrete: none ({report['nash_discrete_error']})")
    else:
        for k, row in enumerate(report["nash_discrete"]["v"]):
            lines.append(f"  nash discrete    {k + 1}: {fmt(row)}")
    q = np.asarray(report["nash_continuous"]["q"])
    for k, row in enumerate(q[:, :-1] - q[:, 1:]):
        lines.append(f"  nash continuous  {k + 1}: {fmt(row)}")
    lines += ["", "expected IS (std) per agent"]
    for name, values in report["expected_is"].items():
        if values is None:
            continue
        stds = report["std_is"][name]
        lines.append(f"  {name:16s} " + "  ".join(f"{m:10.4f} ({s:.4f})" for m, s in zip(values, stds)))
    if report["pareto_front"] is not None:
        front = np.asarray(report["pareto_front"])
        lines += ["", f"Pareto front ({len(front)} points; E[IS_1], E[IS_2])"]
        for i in np.unique(np.linspace(0, len(front) - 1, 9).astype(int)):
            lines.append(f"  {front[i, 0]:10.4f} {front[i, 1]:10.4f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.points < 2:
        raise InputError(f"--points = {args.points} is outside the allowed range [2, inf)")
    import jax

    # Theory is solved in float64 (linear systems, fronts).
    with jax.enable_x64(True):
        game, params = build_game(args.set, args.timing)
        report = theory_report(game, params, args.lam_convention, args.points)
    print_json(report) if args.json else print(_table(report))
    return 0
