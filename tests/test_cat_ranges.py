"""The CAT params' ranges table: validate names the params field first and the
CONFIG.json element last, and CONFIG.json loading rejects at the same bounds."""

import numpy as np
import pytest

import jaxmarkets
from jaxmarkets.cat.config import game_from_dict
from jaxmarkets.cat.params import RANGES, with_fees
from jaxmarkets.core import InputError

CONFIG = {"days": 1, "rounds": 1, "traders": {"buyers": {"zic": 1}, "sellers": {"zic": 1}},
          "specialists": [{"name": "cda"}, {"name": "ch", "clearing": "round"}]}


def test_validate_names_the_element_by_its_config_name():
    env = jaxmarkets.make("cat", specialists=({"name": "cda"}, {"name": "ch"}))
    base = env.default_params()
    with pytest.raises(InputError) as err:
        env.validate(base.replace(k=np.asarray([0.5, 1.5], np.float32)))
    assert str(err.value) == "k = 1.5 is outside the allowed range [0, 1] (specialists[1].pricing.k, 'ch')"
    fees = np.zeros((2, 5), np.float32)
    fees[0, 2] = -1.0  # the shout fee of the first specialist
    with pytest.raises(InputError, match=r"^flat_fees = -1 .*\(specialists\[0\]\.fees\.shout, 'cda'\)$"):
        env.validate(with_fees(base, fees))
    fees[0, 2], fees[1, 4] = 0.0, 1.5  # a profit fee is a share
    with pytest.raises(InputError, match=r"^profit_fee = 1.5 .*\[0, 1\] \(specialists\[1\]\.fees\.profit, 'ch'\)$"):
        env.validate(with_fees(base, fees))
    with pytest.raises(InputError, match=r"^value_high = 40 must be at least value_low = 50"):
        env.validate(base.replace(value_high=np.float32(40.0)))


def _path(label):
    """"specialists[0].fees.shout" -> ["specialists", 0, "fees", "shout"]."""
    out = []
    for part in label.split("."):
        name, *index = part.replace("]", "").split("[")
        out += [name, *map(int, index)]
    return out


def _set(data, label, value):
    *path, last = _path(label)
    node = data
    for key in path:
        node = node[key] if not isinstance(node, dict) or key in node else node.setdefault(key, {})
    node[last] = value


@pytest.mark.parametrize("row", RANGES, ids=lambda r: r.range.field)
def test_config_rejects_past_each_bound_of_the_table(row):
    import copy

    label = row.label.format(j=0, fee="shout")
    for bad in (row.range.low - 1.0, row.range.high + max(1.0, row.range.high)):
        data = copy.deepcopy(CONFIG)
        if label.startswith("strategies.zip.margin") or label.startswith("traders.values"):
            pair = [0.05, 0.35] if "zip" in label else [50, 150]
            _set(data, label.rsplit("[", 1)[0], list(pair))
        if label.startswith(("market_selection", "assessment")):
            data[label.split(".")[0]] = {"kind": "epsilon_greedy" if "market" in label else "sampled"}
        if label.endswith("charging.scale"):
            data["specialists"][0]["charging"] = {"kind": "cutting"}
        if label.endswith("pricing.k"):
            data["specialists"][0]["pricing"] = {"kind": "discriminatory"}
        _set(data, label, bad)
        with pytest.raises(InputError) as err:
            game_from_dict(data)
        assert str(err.value).startswith(label) and "\n" not in str(err.value), (label, str(err.value))
    data = copy.deepcopy(CONFIG)
    game, params = game_from_dict(data)
    game.validate(params)
