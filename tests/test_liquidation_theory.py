"""The 2x2 reduction: closed-form payoffs against the environment and against
hand derivation, classification against the closed-form bands, equilibria, and
`jaxmarkets theory liquidation`."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.liquidation import theory as th
from sweeps.cli import main

PROFILES = [(0, 0), (0, 1), (1, 0), (1, 1)]


def symmetric(game, ratio, phi, a1=0.002, h=50.0):
    """Both banks hold h units of each asset at price 1, no debt, no need: nobody defaults."""
    return game.make_params(holdings=h, cash=0.0, liabilities=0.0, withdrawal=0.0, max_sale=phi,
                            impact_coef=[a1, a1 * ratio])


@pytest.mark.parametrize("static", [
    dict(impact="linear", execution="post", objective="equity"),
    dict(impact="linear", execution="pre", objective="cash", need="leverage"),
    dict(impact="exponential", execution="pre", objective="equity"),
    dict(impact="power", execution="post", objective="cash", on_default="freeze"),
], ids=lambda s: "-".join(s.values()))
def test_closed_form_payoffs_equal_the_environment(static):
    """Each profile played as one environment step (actions 1 + strategy) gives the
    matrices' objective values and defaults; random thin instances, some defaulting."""
    game = th.reduction_game(**static)
    rng = np.random.default_rng(7)
    with jax.enable_x64(True):
        instances = []
        while len(instances) < 6:
            h = rng.uniform(10, 100, (2, 2))
            risky = h.sum(1)
            p = game.make_params(holdings=h, liabilities=risky * rng.uniform(0.8, 0.97, 2),
                                 impact_coef=rng.uniform(0.001, 0.01, 2), exponent=rng.uniform(0.5, 1.5, 2),
                                 withdrawal=rng.uniform(0, 0.4, 2) * risky, leverage_cap=rng.uniform(8, 20),
                                 max_sale=rng.uniform(0.5, 1.0), default_penalty=rng.uniform(0, 3))
            try:
                game.validate(p)
            except ValueError:
                continue
            instances.append(p)

        @jax.jit
        def values(params):
            def one(profile):
                _, state = game.reset(jax.random.key(0), params)
                out = game.step(jax.random.key(1), state, 1 + profile, params)
                return out.state.value, out.state.defaulted
            return jax.vmap(one)(jnp.asarray(PROFILES))

        any_default = False
        for p in instances:
            env_values, env_dead = map(np.asarray, values(p))
            pay, dead = th.payoff_matrices(game, p)
            np.testing.assert_allclose(env_values[:, 0], pay.row.reshape(-1), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(env_values[:, 1], pay.col.reshape(-1), rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(env_dead, dead.reshape(4, 2))
            any_default |= bool(dead.any())
    assert any_default


def test_linear_payoffs_by_hand():
    with jax.enable_x64(True):
        # default instance: 50 units each, sale 25, a = (0.002, 0.006), L = 89, need 20
        game = th.reduction_game()
        pay, dead = th.payoff_matrices(game, game.default_params())
        # (1,1): p1 = 0.9, E = 25 (0.9) + 25 (0.9) + 50 - 89 = 6; apart: p = (0.95, 0.85),
        # E = 23.75 + 23.75 + 42.5 - 89 = 1; (2,2): p2 = 0.7, E = -4 < 0: default, value 0
        np.testing.assert_allclose(pay.row, [[6, 1], [1, 0]], atol=1e-12)
        np.testing.assert_allclose(pay.col, pay.row.T, atol=1e-12)
        assert dead.tolist() == [[[False, False], [False, False]], [[False, False], [True, True]]]

        cash = th.reduction_game(objective="cash")
        pay, _ = th.payoff_matrices(cash, cash.make_params(impact_coef=[0.002, 0.003]))
        np.testing.assert_allclose(pay.row, [[25 * 0.9, 25 * 0.95], [25 * 0.925, 25 * 0.85]], atol=1e-12)

        pre = th.reduction_game(execution="pre")
        pay, _ = th.payoff_matrices(pre, symmetric(pre, 1.25, 0.4))
        # per h q = 50 * 20 with a1 = 0.002, a2 = 0.0025, phi = 0.4, plus 2h = 100:
        # -2 a1 (1 - phi), -(a1 + a2) + a1 phi, -(a1 + a2) + a2 phi, -2 a2 (1 - phi)
        a1, a2, phi, hq = 0.002, 0.0025, 0.4, 1000.0
        expect = 100 + hq * np.array([[-2 * a1 * (1 - phi), -(a1 + a2) + a1 * phi],
                                      [-(a1 + a2) + a2 * phi, -2 * a2 * (1 - phi)]])
        np.testing.assert_allclose(pay.row, expect, rtol=1e-12)


RATIOS = [0.2, 0.3, 1 / 3, 0.45, 0.5, 0.55, 0.6, 2 / 3, 0.7, 0.9, 1.0, 1.2, 1.4, 1.5, 1.6, 1.9, 2.0, 2.1, 2.9, 3.0,
          3.1, 4.0, 9.0]


@pytest.mark.parametrize("objective, execution", [("cash", "post"), ("equity", "pre"), ("equity", "post"),
                                                  ("cash", "pre")])
def test_classification_follows_the_closed_form_bands(objective, execution):
    """Numerical best responses of the closed-form matrices against the bands in r
    (1/2 and 2 for cash; (1 - 2 phi) / (1 - phi) and its inverse for equity, pre;
    phi = 0.25 and 0.4 put boundaries at 2/3, 3/2, 1/3 and 3 in RATIOS), ties on them."""
    game = th.reduction_game(objective=objective, execution=execution)
    kinds = set()
    with jax.enable_x64(True):
        check_bands(game, objective, execution, kinds)
    expected = {("cash", "post"): {"anti_coordination", "dominant_strategy", "degenerate"},
                ("equity", "pre"): {"coordination", "dominant_strategy", "degenerate"},
                ("equity", "post"): {"dominant_strategy", "degenerate"},
                ("cash", "pre"): {"degenerate"}}[objective, execution]
    assert kinds == expected


def check_bands(game, objective, execution, kinds):
    for phi in (0.2, 0.25, 0.4, 0.6):
        for ratio in RATIOS:
            params = symmetric(game, ratio, phi)
            pay, dead = th.payoff_matrices(game, params)
            assert not dead.any()
            got = th.classify(pay)["kind"]
            want = th.predicted_kind(objective, execution, phi, ratio)
            assert got == want, (phi, ratio, got, want)
            kinds.add(got)


def test_equilibria_of_each_kind():
    with jax.enable_x64(True):
        cash = th.reduction_game(objective="cash")
        for ratio in (0.8, 1.5):
            out = th.analyse(cash, symmetric(cash, ratio, 0.5))
            assert out["classification"]["kind"] == "anti_coordination"
            pure = sorted((tuple(e["row"]), tuple(e["col"])) for e in out["equilibria"] if e["row"].max() == 1)
            assert pure == [((0, 1), (1, 0)), ((1, 0), (0, 1))]
            mixed = [e for e in out["equilibria"] if e["row"].max() < 1]
            p = th.mixed_probability_cash_post(ratio)
            assert len(mixed) == 1
            np.testing.assert_allclose(mixed[0]["row"], [p, 1 - p], atol=1e-9)
            np.testing.assert_allclose(mixed[0]["col"], [p, 1 - p], atol=1e-9)
        dominant = th.analyse(cash, symmetric(cash, 3.0, 0.5))
        assert [(e["row"].tolist(), e["col"].tolist()) for e in dominant["equilibria"]] == [([1, 0], [1, 0])]
        assert dominant["classification"]["dominant"] == {"row": 0, "col": 0}


def test_theory_command_json(capsys):
    argv = ["theory", "liquidation", "--set", "objective=cash", "--set", "impact_coef=[0.002,0.003]",
            "--episodes", "16"]
    assert main([*argv, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(r["payoffs"]["row"], [[22.5, 23.75], [23.125, 21.25]])
    np.testing.assert_allclose(r["payoffs"]["col"], np.transpose(r["payoffs"]["row"]))
    assert r["classification"]["kind"] == "anti_coordination"
    assert r["classification"]["closed_form"]["band"] == {"kind": "anti_coordination", "ratio_low": 0.5,
                                                          "ratio_high": 2.0}
    mixed = [e for e in r["equilibria"] if max(e["row"]) < 1]
    assert len(r["equilibria"]) == 3 and len(mixed) == 1
    np.testing.assert_allclose(mixed[0]["row"], [0.8, 0.2], atol=1e-9)  # (2 r - 1) / (1 + r) at r = 1.5
    # at the mixed equilibrium a bank gets its indifference value p u(1,1) + (1 - p) u(1,2)
    np.testing.assert_allclose(mixed[0]["payoffs"], [0.8 * 22.5 + 0.2 * 23.75] * 2)
    full = r["full_game"]
    assert set(full["benchmarks"]) == {"myopic", "random", "proportional", "proportional_stochastic"}
    # the planner's welfare bounds every benchmark's mean and equals its banks' values
    assert all(b["welfare"] <= full["planner"]["welfare"] + 1e-9 for b in full["benchmarks"].values())
    assert full["planner"]["welfare"] == pytest.approx(sum(full["planner"]["values"]), rel=1e-12)
    assert main(argv) == 0  # the same game: the compiled programs are reused
    text = capsys.readouterr().out
    assert "anti_coordination" in text and "social planner (exact)" in text


@pytest.mark.parametrize("argv, words", [
    (["--set", "impact_coef=[-1,0.003]"], "impact_coef = [-1, 0.003] is outside the allowed range [0, 1e+12]"),
    (["--set", "objective=profit"], "objective = 'profit' is not one of"),
    (["--set", "max_sale=0.3"], "allowed: max_sale in [0.4, 1]"),
    (["--set", "n_banks=3"], "unknown field 'n_banks'"),
    (["--set", "horizon=0"], "horizon = 0 is outside the allowed range [1, inf)"),
    (["--episodes", "0"], "--episodes = 0 is outside the allowed range [1, 1e+06]"),
])
def test_theory_command_bad_input(capsys, argv, words):
    assert main(["theory", "liquidation", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_classification_map_is_the_closed_form_on_the_symmetric_instance():
    with jax.enable_x64(True):
        game = th.reduction_game()
        phi = 0.4
        out = th.classification_map(game, symmetric(game, 1.0, phi))
    for reading, kinds in out["kinds"].items():
        objective, execution = reading.split("/")
        want = [th.predicted_kind(objective, execution, phi, r) for r in out["ratios"]]
        assert kinds == want, reading
    # the cash/post band (1/2, 2) is 2^-1 .. 2^1 on the log grid: 15 strict interior points
    assert out["kinds"]["cash/post"].count("anti_coordination") == 15


@pytest.mark.parametrize("objective, execution", [("cash", "post"), ("equity", "pre"), ("equity", "post")])
def test_power_impact_classification_follows_its_thresholds(objective, execution):
    """Power impact p = 1 - a X^delta: the numerical classification of the
    environment's matrices against the closed-form thresholds, concave and convex
    exponents (a1 small enough that no price reaches its floor). Concave impact
    must turn equity/post into a coordination game around r = 1, convex into an
    anti-coordination one."""
    game = th.reduction_game(objective=objective, execution=execution, impact="power")
    kinds = set()
    with jax.enable_x64(True):
        for delta in (0.5, 0.8, 1.5, 2.0):
            for phi in (0.1, 0.3):
                for ratio in np.geomspace(0.1, 10.0, 41):
                    params = symmetric(game, ratio, phi, a1=1e-4).replace(exponent=jnp.full(2, delta))
                    pay, dead = th.payoff_matrices(game, params)
                    assert not dead.any()
                    got = th.classify(pay)["kind"]
                    assert got == th.predicted_kind(objective, execution, phi, ratio, delta), (delta, phi, ratio)
                    kinds.add((delta < 1, got))
    if (objective, execution) == ("equity", "post"):
        assert (True, "coordination") in kinds and (False, "anti_coordination") in kinds
    assert th.predicted_kind(objective, execution, 0.3, 1.7, 1.0) == th.predicted_kind(
        objective, execution, 0.3, 1.7)


def test_classification_figure_data_is_the_closed_form():
    """The figure's equity/pre panel (sale fraction x ratio) cell by cell against
    the closed form, and its power rows against the power thresholds (calibrated
    coefficients change no kind: the thresholds do not depend on a1)."""
    from sweeps.studies.liquidation import classification_figure as cf

    ratios = np.geomspace(0.2, 5.0, 13)
    phis = np.array([0.1, 0.3, 0.5, 0.7])
    d = cf.map_data(ratios, phis)
    kind = lambda i: cf.KIND_ORDER[i]  # noqa: E731
    for phi, row in zip(phis, d["equity_pre_by_phi"]):
        assert [kind(i) for i in row] == [th.predicted_kind("equity", "pre", phi, r) for r in ratios]
    rows = dict(zip(d["impact_labels"], d["impacts"]))
    for reading in ("equity/post", "cash/post", "equity/pre"):
        objective, execution = reading.split("/")
        want = [th.predicted_kind(objective, execution, 0.5, r, 0.5) for r in ratios]
        assert [kind(i) for i in rows[f"power: {reading}"]] == want, reading
