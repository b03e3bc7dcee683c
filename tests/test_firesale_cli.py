"""INSTANCE.json validation, `jaxmarkets theory firesale`, and the game's validate."""

import json
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.firesale.game import FireSaleGame, make_params
from jaxmarkets.firesale.instance import instance_from_dict, load_instance
from sweeps.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "firesale_instance.json"
GOOD = json.loads(EXAMPLE.read_text())


def with_(**changes):
    d = json.loads(json.dumps(GOOD))
    d.update(changes)
    return d


@pytest.mark.parametrize(
    "data, words",
    [
        (with_(holdings=[[1.2, 0.2], [0.0, 0.4], [0.2, 0.4]]), ["holdings", "1.2", "[0, 1]"]),
        (with_(holdings=[[0.8, 0.2], [0.3, 0.4], [0.2, 0.4]]), ["holdings column 0", "1.3", "at most 1"]),
        (with_(leverage_cap=1.0), ["leverage_cap", "(1, 1e+06]"]),
        (with_(leverage_cap=0.5), ["leverage_cap", "0.5"]),
        (with_(alpha=1.5), ["alpha", "1.5", "[0, 1]"]),
        (with_(alpha=-0.1), ["alpha", "-0.1"]),
        (with_(illiquid=[100.0, 100.0]), ["illiquid", "2 entries", "N = 3"]),
        (with_(prices0=[50.0]), ["prices0", "1 entries", "M = 2"]),
        (with_(prices0=[50.0, -1.0]), ["prices0", "-1"]),
        (with_(holdings=[0.5, 0.5]), ["holdings", "list of lists"]),
        (with_(impact={"kind": "cubic"}), ["impact.kind", "cubic"]),
        (with_(impact={"kind": "power"}), ["impact.exponent", "missing"]),
        (with_(impact={"kind": "power", "exponent": 0.0}), ["impact.exponent", "(0, inf)"]),
        (with_(impact={"kind": "piecewise_linear", "knots": [0.5, 0.4], "levels": [0.3, 0.6]}),
         ["impact.knots", "increasing"]),
        (with_(impact={"kind": "piecewise_linear", "knots": [0.4, 0.5], "levels": [0.6, 0.3]}),
         ["impact.levels", "increasing"]),
        (with_(impact={"kind": "piecewise_linear", "knots": [0.4], "levels": [1.2]}), ["impact.levels", "1.2"]),
        (with_(impact={"kind": "piecewise_linear", "knots": [0.4, 0.6], "levels": [0.5]}), ["impact.knots", "impact.levels"]),
        (with_(impact={"kind": "power", "exponent": "abc"}), ["impact.exponent = 'abc' is not a number"]),
        (with_(impact={"kind": "power", "exponent": [1.0, None]}), ["impact.exponent[1] = None is not a number"]),
        (with_(impact={"kind": "piecewise_linear", "knots": [[0.2], [0.3, 0.5]], "levels": [0.3, 0.6]}),
         ["impact.knots = [[0.2], [0.3, 0.5]] is ragged"]),
        (with_(holdings=[[0.5, "x"], [0.1, 0.1], [0.1, 0.1]]), ["holdings[0][1] = 'x' is not a number"]),
        (with_(alpha=True), ["alpha = True is not a number"]),
        (with_(leverage_cap=1e300), ["leverage_cap", "(1, 1e+06]"]),
        (with_(illiquid=[1e16, 100.0, 100.0]), ["illiquid", "[0, 1e+15]"]),
        (with_(extra=1), ["unknown field", "extra"]),
        ({"holdings": [[0.5]]}, ["missing", "illiquid"]),
        ([1, 2], ["JSON object"]),
    ],
)
def test_bad_instances_name_the_field(data, words):
    with pytest.raises(ValueError) as err:
        instance_from_dict(data)
    assert isinstance(err.value, InputError) and "\n" not in str(err.value), str(err.value)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_schema_round_trip_builds_the_game():
    game, params = instance_from_dict(
        with_(alpha=0.5, impact={"kind": "piecewise_linear", "knots": [[0.3, 0.6], [0.2, 0.5]],
                                 "levels": [[0.5, 0.8], [0.4, 0.7]]}))
    assert game == FireSaleGame(n_agents=3, n_assets=2, impact="piecewise_linear", n_knots=2)
    np.testing.assert_allclose(params.knots, [[0.3, 0.6], [0.2, 0.5]])
    assert float(params.alpha) == 0.5


def test_game_validate_rejects_bad_params():
    game = FireSaleGame(n_agents=2, n_assets=1)
    ok = make_params([[0.5], [0.5]], [1, 1], [0.5, 0.5], [1.0], 2.0, 1.0)
    game.validate(ok)
    with pytest.raises(ValueError, match="leverage_cap"):
        game.validate(ok.replace(leverage_cap=ok.leverage_cap * 0.5))
    with pytest.raises(ValueError, match="n_agents = 3"):
        FireSaleGame(n_agents=3, n_assets=1).validate(ok)
    with pytest.raises(ValueError, match="impact"):
        FireSaleGame(impact="quadratic")


def test_theory_cli_json_and_table(tmp_path, capsys):
    assert main(["theory", "firesale", str(EXAMPLE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("maximal_equilibrium", "utilities", "leverage", "social_welfare", "dynamics"):
        assert key in out
    # Figure 1's fire sale ends with everybody sold out (tests/test_firesale_examples.py)
    np.testing.assert_allclose(out["maximal_equilibrium"], [0.0, 0.0, 0.0])
    # welfare at y = 0 is sum(a^I - l) for alpha = 1
    assert out["social_welfare"] == pytest.approx(300 - (78 + 67 + 79))
    for rule in ("best_response", "simplified"):
        d = out["dynamics"][rule]
        assert d["converged"] and d["steps"] > 0
        np.testing.assert_allclose(d["y"], 0.0, atol=1e-5)
    assert not jax.config.jax_enable_x64  # the float64 switch stayed scoped
    assert main(["theory", "firesale", str(EXAMPLE)]) == 0
    assert "maximal equilibrium" in capsys.readouterr().out


def test_theory_cli_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"holdings": [[0.5]]')
    assert main(["theory", "firesale", str(bad)]) == 2
    assert "malformed JSON" in capsys.readouterr().err
    bad.write_text(json.dumps(with_(leverage_cap=1.0)))
    assert main(["theory", "firesale", str(bad)]) == 2
    assert "leverage_cap" in capsys.readouterr().err
    assert main(["theory", "firesale", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_load_instance_reads_the_example():
    game, params = load_instance(EXAMPLE)
    assert (game.n_agents, game.n_assets, game.impact) == (3, 2, "linear")


def test_bench_command_small(capsys):
    assert main(["bench", "firesale", "--instances", "40", "--numpy-instances", "8", "--n", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in out["rows"]] == ["best_response", "simplified"]
    for r in out["rows"]:
        assert r["max_abs_diff_vs_numpy"] < 1e-10  # the benchmarked runs agree with the NumPy loop
        assert r["instance_steps"] >= 40 and r["rate"] > 0 and r["numpy_rate"] > 0
    assert main(["bench", "firesale", "--tau", "2"]) == 2
