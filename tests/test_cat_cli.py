"""`jaxmarkets cat game` and `bench cat`: bad input is one line naming the field
and its range, exit 2, before anything compiles; --json has the issue's keys."""

import copy
import json
from pathlib import Path

import pytest

from sweeps.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cat_game.json"
GOOD = json.loads(EXAMPLE.read_text())


def edited(change):
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def setitem(path, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


@pytest.mark.parametrize("change, words", [
    (setitem(("specialists", 0, "fees", "shout"), -1), ["specialists[0].fees.shout", "-1", "[0, 1e+06]"]),
    (setitem(("specialists", 1, "fees", "profit"), 1.5), ["specialists[1].fees.profit", "[0, 1]"]),
    (setitem(("specialists", 0, "pricing", "k"), 1.5), ["specialists[0].pricing.k", "1.5", "[0, 1]"]),
    (setitem(("specialists", 0, "pricing", "k"), -0.1), ["pricing.k", "[0, 1]"]),
    (setitem(("traders", "buyers"), {"zic": 0}), ["traders.buyers", "0 traders", "[1, inf)"]),
    (setitem(("traders", "sellers"), {}), ["traders.sellers", "[1, inf)"]),
    (setitem(("days",), 0), ["days", "[1, inf)"]),
    (setitem(("rounds",), -2), ["rounds", "[1, inf)"]),
    (setitem(("rounds",), 2.5), ["rounds", "integer"]),
    (setitem(("specialists", 0, "clearing"), "dutch"), ["specialists[0].clearing", "'dutch'", "'continuous'"]),
    (setitem(("specialists", 0, "accepting"), "maybe"), ["accepting", "'quote_beating'"]),
    (setitem(("specialists", 2, "pricing"), {"kind": "vickrey"}), ["pricing.kind", "'uniform'"]),
    (setitem(("specialists", 3, "charging"), "bait"), ["charging", "'cutting'"]),
    (setitem(("market_selection",), {"kind": "greedy"}), ["market_selection.kind", "'softmax'"]),
    (setitem(("market_selection", "epsilon"), 2), ["market_selection.epsilon", "[0, 1]"]),
    (setitem(("traders", "sellers", "kaplan"), 3), ["strategy", "'kaplan'", "'zip'"]),
    (setitem(("traders", "values"), [150, 50]), ["traders.values[1]", "[150"]),
    (setitem(("traders", "entitlement"), 0), ["traders.entitlement", "[1, inf)"]),
    (setitem(("specialists",), []), ["specialists", "[1, inf)"]),
    (setitem(("specialists", 0, "colour"), "red"), ["specialists[0]", "unknown field 'colour'"]),
    (setitem(("surprise",), 1), ["unknown field 'surprise'"]),
    (lambda d: d.pop("traders"), ["missing field 'traders'"]),
])
def test_bad_config_is_one_line_naming_the_field_exit_2(tmp_path, capsys, change, words):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(edited(change)))
    assert main(["cat", "game", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("jaxmarkets: error:")
    for w in words:
        assert w in err, (w, err)


def test_malformed_or_missing_config_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"days": 20,, }')
    assert main(["cat", "game", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["cat", "game", str(tmp_path / "nothing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["cat", "game", str(EXAMPLE), "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert main(["bench", "cat", "--scenarios", "zic,vickrey"]) == 2
    assert "--scenarios" in capsys.readouterr().err
    assert main(["reproduce", "cat", "--parts", "a,d", "--out", str(tmp_path / "r")]) == 2
    assert "--parts = 'd'" in capsys.readouterr().err


def test_game_json_has_the_issue_keys(tmp_path, capsys):
    config = {"days": 2, "rounds": 3, "traders": {"buyers": {"zic": 4}, "sellers": {"zic": 4}},
              "specialists": [{"name": "cda"}, {"name": "dear", "fees": {"registration": 1000}}]}
    path = tmp_path / "small.json"
    path.write_text(json.dumps(config))
    assert main(["cat", "game", str(path), "--seeds", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("efficiency", "efficiency_sd", "equilibrium_price", "mean_price", "smith_alpha", "trades_per_day"):
        assert isinstance(out[key], float), key
    assert out["seeds"] == 3 and out["days"] == 2
    names = [s["name"] for s in out["specialists"]]
    assert names == ["cda", "dear"]
    for s in out["specialists"]:
        assert set(s) >= {"name", "score", "profit_share", "market_share", "tsr", "traders_per_day"}
    assert 0.0 <= out["efficiency"] <= 100.0
    shares = sum(s["market_share"] for s in out["specialists"])
    assert shares == pytest.approx(1.0)
    # the human-readable form
    assert main(["cat", "game", str(path), "--seeds", "3"]) == 0
    text = capsys.readouterr().out
    assert "efficiency" in text and "dear" in text
