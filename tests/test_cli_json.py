"""Every `--json` output is strict JSON: no NaN or Infinity literals (jq, browsers
and most non-Python readers reject them); an undefined value is `null`."""

import json
import os

import numpy as np
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
    ["theory", "execution", "--json", "--points", "3", "--set", "kappa=0", "--set", "sigma=0"],
    ["theory", "firesale", EXAMPLE, "--json"],
    ["bench", "execution", "--json", "--episodes", "4", "--repeats", "1"],
])
def test_json_outputs_parse_strictly_and_are_finite_where_defined(capsys, argv):
    assert main(argv) == 0
    out = strict(capsys.readouterr().out)
    assert isinstance(out, dict) and out
    if argv[1] == "execution" and argv[0] == "theory":
        # the continuous Nash, TWAP and its costs are defined for every valid input
        assert None not in np.ravel(out["nash_continuous"]["q"]).tolist()
        assert None not in out["expected_is"]["twap"] + out["expected_is"]["nash_continuous"]


def test_alpha_zero_reports_the_continuous_limit_and_why_no_discrete_nash(capsys):
    assert main(["theory", "execution", "--json", "--points", "3", "--set", "alpha=0"]) == 0
    out = strict(capsys.readouterr().out)
    # no temporary impact, kappa > 0: the average inventory is sold at once (Eq. 7-8's limit)
    q = np.asarray(out["nash_continuous"]["q"])
    assert np.all(np.isfinite(q)) and np.allclose(q[:, 1:], 0.0, atol=1e-6)
    assert out["nash_discrete"] is None and "alpha" in out["nash_discrete_error"]


def test_to_jsonable_turns_non_finite_values_into_null():
    import numpy as np

    from jaxmarkets.core import to_jsonable

    obj = {"a": np.array([1.0, np.nan, -np.inf]), "b": (np.float32(2.5), float("inf")), "c": np.int64(3)}
    assert json.loads(json.dumps(to_jsonable(obj), allow_nan=False)) == {"a": [1.0, None, None],
                                                                       "b": [2.5, None], "c": 3}
