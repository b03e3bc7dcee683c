"""Bad input anywhere on the command line: one line naming the field, exit 2,
before anything runs; a bug is not bad input and keeps its traceback."""

import json
import os

import pytest

from sweeps.cli import main

HERE = os.path.dirname(__file__)
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "firesale_instance.json")


def _instance(tmp_path, **impact):
    with open(EXAMPLE) as f:
        data = json.load(f)
    data["impact"] = impact
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("argv, words", [
    (["sweep", "execution", "--config", "chunk=0"], "chunk = 0 is outside"),
    (["sweep", "execution", "--config", "test_iterations=0"], "test_iterations = 0 is outside"),
    (["bench", "sweep", "--head", "foo"], "--head = 'foo'"),
    (["bench", "sweep", "--devices", "1,x"], "--devices"),
    (["reproduce", "firesale", "--seed", "-1"], "--seed = -1"),
    (["reproduce", "execution", "--resume", "--force"], "--resume and --force"),
    (["results", "/nonexistent/dir"], "not a results directory"),
    (["theory", "execution", "--set", "alpha=1e308"], "alpha = 1e+308 is outside the allowed range"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


@pytest.mark.parametrize("impact, words", [
    ({"kind": "power", "exponent": "abc"}, "impact.exponent"),
    ({"kind": "piecewise_linear", "knots": [[0.3], [0.2, 0.5]], "levels": [[0.5], [0.4, 0.6]]}, "impact.knots"),
])
def test_bad_instance_fields_are_named(tmp_path, capsys, impact, words):
    assert main(["theory", "firesale", _instance(tmp_path, **impact)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_an_internal_error_is_not_reported_as_bad_input(monkeypatch):
    # a plain ValueError raised mid-run is a bug: it propagates with its traceback
    from sweeps.studies.execution import theory_command

    def broken(*_args, **_kwargs):
        raise ValueError("internal: shapes disagree")

    monkeypatch.setattr(theory_command, "theory_report", broken)
    with pytest.raises(ValueError, match="internal"):
        main(["theory", "execution"])


def test_a_sweep_point_without_a_discrete_nash_is_refused_before_anything_is_solved(tmp_path, capsys):
    out = tmp_path / "never"
    argv = ["sweep", "execution", "--set", "alpha=0.002,0", "--config", "train_iterations=50",
            "--config", "test_iterations=50", "--config", "chunk=50", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "alpha = 0 is outside" in err and err.count("\n") == 1 and not out.exists()
    assert main(["theory", "execution", "--set", "alpha=true"]) == 2
    assert "alpha = True is not a number" in capsys.readouterr().err
