"""`jaxmarkets theory execution` and bad input, through the command's entry point."""

import json

import jax
import numpy as np
import pytest

from jaxmarkets.execution import theory as th
from jaxmarkets.execution.game import ExecutionGame
from sweeps.cli import main


def test_theory_json_has_every_key_and_matches_the_library(capsys):
    code = main(["theory", "execution", "--json", "--points", "5", "--timing", "simultaneous",
                 "--set", "q0=[100, 50]", "--set", "kappa=0.002"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["game"]["timing"] == "simultaneous"
    assert out["params"]["q0"] == [100.0, 50.0] and out["params"]["kappa"] == 0.002
    assert set(out["expected_is"]) == {"twap", "nash_discrete", "nash_continuous"}
    assert len(out["pareto_front"]) == 5 and all(len(pt) == 2 for pt in out["pareto_front"])
    with jax.enable_x64(True):
        game = ExecutionGame(timing="simultaneous")
        params = game.make_params(q0=[100.0, 50.0], kappa=0.002)
        v = np.asarray(th.nash_discrete(game, params))
    np.testing.assert_allclose(out["nash_discrete"]["v"], v, rtol=1e-12)
    q = np.asarray(out["nash_discrete"]["q"])
    np.testing.assert_allclose(q[:, 0], [100, 50]) and np.testing.assert_allclose(q[:, -1], 0, atol=1e-9)
    assert np.asarray(out["nash_continuous"]["q"]).shape == (2, 11)


def test_theory_table_is_readable(capsys):
    assert main(["theory", "execution", "--points", "3", "--set", "n_agents=3"]) == 0
    text = capsys.readouterr().out
    assert "nash discrete    3:" in text and "expected IS" in text
    assert "Pareto front" not in text  # two agents only


@pytest.mark.parametrize(
    "argv, field",
    [
        (["--set", "q0=0"], "q0"),
        (["--set", "q0=[100, -5]"], "q0"),
        (["--set", "n_steps=0"], "n_steps"),
        (["--set", "tau=0"], "tau"),
        (["--set", "kappa=-0.1"], "kappa"),
        (["--set", "alpha=-1"], "alpha"),
        (["--set", "sigma=-1e-3"], "sigma"),
        (["--set", "lam=-1"], "lam"),
        (["--set", "q0=[1, 2, 3]"], "q0"),
        (["--set", "S0=abc"], "S0"),
        (["--set", "volatility=1"], "volatility"),
        (["--timing", "instant"], "timing"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(capsys, argv, field):
    assert main(["theory", "execution", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and field in err and err.startswith("jaxmarkets: error:")


def test_validate_errors_name_field_value_and_range():
    game = ExecutionGame()
    with pytest.raises(ValueError, match=r"q0 = \[-1, 100\] is outside the allowed range \[1e-08, 1e\+08\]"):
        game.validate(game.make_params(q0=[-1.0, 100.0]))
    with pytest.raises(ValueError, match=r"n_steps = 0"):
        ExecutionGame(n_steps=0)
    with pytest.raises(ValueError, match=r"timing = 'later' is not one of"):
        ExecutionGame(timing="later")
    with pytest.raises(ValueError, match=r"tau = 0 is outside the allowed range \[1e-08, 1e\+08\]"):
        game.validate(game.make_params(tau=0.0))
