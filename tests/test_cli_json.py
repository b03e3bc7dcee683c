"""Every `--json` output is strict JSON: no NaN or Infinity literals (jq, browsers
and most non-Python readers reject them); an undefined value is `null`."""

import json
import os

import pytest

from sweeps.cli import main

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples", "firesale_instance.json")


def _reject(literal):
    raise AssertionError(f"non-strict JSON literal {literal}")


def strict(text: str):
    return json.loads(text, parse_constant=_reject)


@pytest.mark.parametrize("argv", [
    ["theory", "execution", "--json", "--points", "3"],
    ["theory", "execution", "--json", "--points", "3", "--set", "alpha=0"],
    ["theory", "execution", "--json", "--points", "3", "--set", "alpha=1e308"],
    ["theory", "execution", "--json", "--points", "3", "--set", "kappa=0", "--set", "sigma=0"],
    ["theory", "firesale", EXAMPLE, "--json"],
    ["bench", "execution", "--json", "--episodes", "4", "--repeats", "1"],
])
def test_json_outputs_parse_strictly_and_are_finite_where_defined(capsys, argv):
    assert main(argv) == 0
    out = strict(capsys.readouterr().out)
    assert isinstance(out, dict) and out


def test_to_jsonable_turns_non_finite_values_into_null():
    import numpy as np

    from jaxmarkets.core import to_jsonable

    obj = {"a": np.array([1.0, np.nan, -np.inf]), "b": (np.float32(2.5), float("inf")), "c": np.int64(3)}
    assert json.loads(json.dumps(to_jsonable(obj), allow_nan=False)) == {"a": [1.0, None, None],
                                                                       "b": [2.5, None], "c": 3}
