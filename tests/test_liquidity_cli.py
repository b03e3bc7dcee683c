"""`jaxmarkets theory liquidity`: the JSON keys of issue 12, strict JSON, and
bad input as one line naming the field with exit code 2."""

import json

import pytest

from sweeps.cli import main


def _reject(literal):
    raise AssertionError(f"non-strict JSON literal {literal}")


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out, parse_constant=_reject)


def test_sizes_json_keys_and_values(capsys):
    out = run_json(capsys, ["theory", "liquidity", "--sizes", "2", "--json"])
    assert out["payoffs"]["row"] == [[1.0, 1.0], [0.0, 2.0]] and out["payoffs"]["col"] == out["payoffs"]["row"]
    assert out["pure_equilibria"] == [[0, 0], [1, 1]]
    eqs = {(tuple(e["row"]), tuple(e["col"])): e["payoffs"] for e in out["equilibria"]}
    assert eqs == {((1.0, 0.0), (1.0, 0.0)): [1.0, 1.0], ((1.0, 0.0), (0.5, 0.5)): [1.0, 1.0],
                   ((0.0, 1.0), (0.0, 1.0)): [2.0, 2.0]}
    assert out["has_continuum"] and out["method"] == "vertex_enumeration"


def test_sizes_beyond_the_solver_use_the_closed_form(capsys):
    out = run_json(capsys, ["theory", "liquidity", "--sizes", "9", "--set", "scale=2", "--json"])
    assert out["method"] == "closed_form" and len(out["equilibria"]) == 2 ** 9 - 1
    assert out["pure_equilibria"] == [[k, k] for k in range(9)]
    assert out["equilibria"][-1]["payoffs"] == [18.0, 18.0]


def test_custom_square_payoffs(capsys):
    out = run_json(capsys, ["theory", "liquidity", "--set", "payoffs.row=[[2,0],[0,1]]",
                            "--set", "payoffs.col=[[1,0],[0,2]]", "--json"])
    assert out["sizes"] == 2 and len(out["equilibria"]) == 3 and out["custom_payoffs"]


def test_bayesian_json_keys_and_values(capsys):
    out = run_json(capsys, ["theory", "liquidity", "--bayesian", "--prior", "0.35", "--json"])
    assert out["threshold"] == pytest.approx(5 / 9)
    assert out["row_strategies"] == ["low|large", "high|large"]
    assert len(out["col_strategies"]) == 4 and len(out["payoffs"]["row"]) == 2 and len(out["payoffs"]["col"][0]) == 4
    assert {"row", "col", "payoffs"} <= set(out["equilibria"][0])
    assert out["hit_ratio"] == 0.75 and out["tables"]["hit_ratio"] == 0.75
    assert out["tables"]["quadrant_sums_of_rounded"]["total"] == pytest.approx(41.1)
    rule = run_json(capsys, ["theory", "liquidity", "--bayesian", "--set", "reading=rule", "--json"])
    assert rule["threshold"] == pytest.approx(0.5)


@pytest.mark.parametrize("argv, words", [
    (["--sizes", "1"], "sizes = 1 is outside the allowed range [2, 12]"),
    (["--sizes", "13"], "sizes = 13 is outside"),
    ([], "--sizes"),
    (["--bayesian", "--prior", "1.5"], "prior = 1.5 is outside the allowed range [0, 1]"),
    (["--bayesian", "--prior", "-0.1"], "prior = -0.1 is outside"),
    (["--bayesian", "--prior", "nan"], "prior = nan is outside"),
    (["--sizes", "2", "--set", "payoffs.row=[[1,2,3],[4,5,6]]"], "payoffs.row has shape (2, 3); expected a square"),
    (["--sizes", "2", "--set", "payoffs.row=[[1,NaN],[0,1]]"], "payoffs.row contains a non-finite value"),
    (["--sizes", "2", "--set", "payoffs.col=[[1,Infinity],[0,1]]"], "payoffs.col contains a non-finite value"),
    (["--set", "payoffs.row=[[1,0,0],[0,1,0],[0,0,1]]", "--set", "payoffs.col=[[1,0],[0,1]]"], "payoffs.col has shape"),
    (["--bayesian", "--set", "large.row=[[1,2,3],[4,5,6]]"], "large.row has shape (2, 3); expected a square"),
    (["--bayesian", "--set", "small.col=[[1,NaN],[0,1]]"], "small.col contains a non-finite value"),
    (["--bayesian", "--set", "reading=garbled"], "reading = 'garbled'"),
    (["--sizes", "2", "--set", "ties=maybe"], "ties = 'maybe'"),
    (["--sizes", "2", "--set", "scale=0"], "scale = 0 is outside"),
    (["--sizes", "2", "--set", "n=3"], "unknown field 'n'"),
    (["--sizes", "2", "--bayesian"], "exclude each other"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    assert main(["theory", "liquidity", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err

