"""`core.to_jsonable`: strict JSON of nested results, null for undefined numbers."""

import dataclasses
import json
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import to_jsonable


class Pair(NamedTuple):
    y: object
    steps: object


@dataclasses.dataclass
class Box:
    low: object
    name: str


def test_nested_results_dump_as_strict_json_with_null_for_undefined():
    obj = {
        "utility": np.array([1.5, -np.inf, np.nan]),
        "leverage": jnp.array([[np.inf, 2.0], [3.0, 4.0]]),
        "scalars": (np.float32(0.25), np.int64(7), np.bool_(True), jnp.float32(np.nan), float("inf"), 3, None),
        "pair": Pair(jnp.arange(3), np.int32(4)),
        "box": Box(np.zeros(2), "b"),
        7: [[], {"deep": [np.array(-0.0), jnp.bool_(False)]}],
    }
    text = json.dumps(to_jsonable(obj), allow_nan=False)
    back = json.loads(text)
    assert back["utility"] == [1.5, None, None]
    assert back["leverage"] == [[None, 2.0], [3.0, 4.0]]
    assert back["scalars"] == [0.25, 7, True, None, None, 3, None]
    assert back["pair"] == {"y": [0, 1, 2], "steps": 4}
    assert back["box"] == {"low": [0.0, 0.0], "name": "b"}
    assert back["7"] == [[], {"deep": [-0.0, False]}]
    assert isinstance(to_jsonable(np.int64(7)), int) and isinstance(to_jsonable(np.float64(1.0)), float)
    assert isinstance(to_jsonable(np.bool_(True)), bool)


def test_what_has_no_json_form_is_an_error():
    with pytest.raises(TypeError, match="object"):
        to_jsonable(object())
    with pytest.raises(TypeError, match="complex"):
        to_jsonable(np.array([1 + 2j]))
