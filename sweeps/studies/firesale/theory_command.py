"""`jaxmarkets theory firesale INSTANCE.json`: equilibria and dynamics of a user's game."""

from __future__ import annotations

import argparse

import numpy as np

from jaxmarkets.core import check_int, check_range
from sweeps.cli.options import print_json


def add_parser(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="fire-sale game (paper 003) of an INSTANCE.json",
        description="Maximal equilibrium (best responses from y = 1), utilities, leverage and "
        "social welfare there, and both dynamics from y = 1 (best response and simplified). "
        "Schema of INSTANCE.json: docs/firesale.md.",
    )
    p.add_argument("instance", help="path to INSTANCE.json")
    p.add_argument("--tol", type=float, default=1e-5, help="a run stops at the first step that changes every y_i by less (default 1e-5)")
    p.add_argument("--max-steps", type=int, default=100_000, help="step cap of each run (default 100000)")
    p.add_argument("--json", action="store_true", help="write one JSON object to stdout")
    p.set_defaults(func=run)


def _flat(arr):
    return np.asarray(arr, np.float64).ravel().tolist()  # non-finite entries: null in --json


def theory_report(game, params, tol: float = 1e-5, max_steps: int = 100_000) -> dict:
    from jaxmarkets.firesale.dynamics import run_dynamics
    from jaxmarkets.firesale.equilibria import epsilon_equilibrium
    from jaxmarkets.firesale.game import evaluate

    impact = game.impact
    eq_tol = min(tol, 1e-12)
    eq = run_dynamics(impact, params, None, "best_response", tol=eq_tol, max_steps=max_steps)
    prof = evaluate(impact, params, eq.y)
    alpha = float(params.alpha)
    convex = impact == "linear" or (impact == "power" and bool(np.all(np.asarray(params.exponent) >= 1)))
    report = {
        "game": {"n_agents": game.n_agents, "n_assets": game.n_assets, "impact": impact, "alpha": alpha,
                 "leverage_cap": float(params.leverage_cap)},
        # Theorem 2: from y = 1 best responses decrease to the point-wise maximal
        # equilibrium when alpha = 1 or impact is convex.
        "theorem2_applies": bool(alpha == 1.0 or convex),
        "maximal_equilibrium": _flat(eq.y),
        "maximal_equilibrium_converged": bool(eq.converged),
        "maximal_equilibrium_steps": int(eq.steps),
        "epsilon_equilibrium_1e-6": bool(epsilon_equilibrium(impact, params, eq.y, 1e-6).ok),
        "utilities": _flat(prof.utility),
        "equity": _flat(prof.equity),
        "leverage": _flat(prof.leverage),
        "social_welfare": float(np.sum(np.asarray(prof.utility))),
        "dynamics": {},
        "tol": tol,
        "step_counting": "a step is one simultaneous update of all agents; steps counts the steps "
        "that changed some y_i by at least tol",
    }
    for rule in ("best_response", "simplified"):
        r = run_dynamics(impact, params, None, rule, tol=tol, max_steps=max_steps)
        report["dynamics"][rule] = {
            "steps": int(r.steps),
            "converged": bool(r.converged),
            "cycle_period": int(r.cycle_period),
            "y": _flat(r.y),
        }
    return report


def _fmt(values):
    return " ".join("   -inf" if v is None else f"{v:7.4f}" for v in values)


def _table(r: dict) -> str:
    g = r["game"]
    lines = [
        f"fire-sale game: {g['n_agents']} agents, {g['n_assets']} assets, impact = {g['impact']}, "
        f"alpha = {g['alpha']:g}, lambda = {g['leverage_cap']:g}",
        f"maximal equilibrium (best responses from y = 1; Theorem 2 applies: {r['theorem2_applies']}; "
        f"converged: {r['maximal_equilibrium_converged']} in {r['maximal_equilibrium_steps']} steps)",
        f"  y          {_fmt(r['maximal_equilibrium'])}",
        f"  utility    {_fmt(r['utilities'])}",
        f"  leverage   {_fmt(r['leverage'])}",
        f"  social welfare {r['social_welfare']:g}",
        f"  epsilon-equilibrium (Definition 1, eps = 1e-6): {r['epsilon_equilibrium_1e-6']}",
        f"dynamics from y = 1 (tol {r['tol']:g}; {r['step_counting']})",
    ]
    for rule, d in r["dynamics"].items():
        extra = f", cycle of period {d['cycle_period']}" if d["cycle_period"] else ""
        lines.append(f"  {rule:14s} steps {d['steps']:6d}  converged {d['converged']}{extra}  y {_fmt(d['y'])}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    check_range("--tol", args.tol, 0.0, low_open=True)
    check_int("--max-steps", args.max_steps, 1)
    import jax

    from jaxmarkets.firesale.instance import load_instance

    # float64 for the theory: scoped, so an in-process caller keeps its setting.
    with jax.enable_x64(True):
        game, params = load_instance(args.instance)
        report = theory_report(game, params, args.tol, args.max_steps)
    print_json(report) if args.json else print(_table(report))
    return 0
