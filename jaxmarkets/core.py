"""The environment protocol every game follows, and the validation convention.

A game is an `Environment` object whose attributes are the *static* sizes that fix
array shapes (number of agents, steps, assets...) and whose `params` are a frozen
pytree of array leaves, so `vmap` over a batch of params gives parameter regimes.

Agents are a leading array axis of observations, actions and rewards.

`validate(params)` runs in plain Python before anything is compiled; it raises an
`InputError` that names the field, the offending value and the allowed range.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import math
from typing import Any, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class InputError(ValueError):
    """A user's input is outside its documented range; the message names the field.

    The command line turns this, and only this, into one line and exit code 2:
    any other exception is a bug and keeps its traceback. It subclasses
    ValueError so callers that catch bad values in general still do.
    """


class Box(NamedTuple):
    """A box of continuous values; `low` and `high` broadcast to `shape`."""

    low: Any
    high: Any
    shape: tuple[int, ...]
    dtype: Any = jnp.float32

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.uniform(
            key, self.shape, self.dtype, minval=self.low, maxval=self.high
        )


class StepResult(NamedTuple):
    obs: jax.Array
    state: Any
    rewards: jax.Array
    done: jax.Array
    info: dict


class Environment(abc.ABC):
    """Pure-functional multi-agent environment.

    Subclasses are frozen dataclasses of static configuration; all floats a user
    may sweep live in `params`.
    """

    n_agents: int

    @abc.abstractmethod
    def default_params(self) -> Any:
        """Params of the reference setting of the game's paper."""

    @abc.abstractmethod
    def validate(self, params) -> None:
        """Raise ValueError naming field, value and allowed range; runs before jit."""

    def param_ranges(self) -> tuple["ParamRange", ...]:
        """The documented range of every float params field this game checks.

        `validate` checks them (with its structural rules on top) and the
        property tests draw params from them, so the two cannot drift apart.
        """
        return ()

    @abc.abstractmethod
    def reset(self, key: jax.Array, params) -> tuple[jax.Array, Any]:
        """Return (obs[n_agents, ...], state)."""

    @abc.abstractmethod
    def step(self, key: jax.Array, state, actions: jax.Array, params) -> StepResult:
        """Return (obs, state, rewards[n_agents], done, info).

        `info` holds `terminated` and `truncated` separately: a learner bootstraps
        through truncation, never through termination.
        """

    @abc.abstractmethod
    def observation_space(self, params) -> Box: ...

    @abc.abstractmethod
    def action_space(self, params) -> Box: ...


# --------------------------------------------------------------------------
# validation helpers


def _fmt(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{arr.item():g}" if arr.dtype.kind == "f" else str(arr.item())
    if arr.size > 16:
        return f"<array of shape {arr.shape}, min {arr.min():g}, max {arr.max():g}>"
    return "[" + ", ".join(_fmt(x) for x in arr) + "]"


def _interval(low, high, low_open, high_open) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"


def check_range(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ValueError unless every element of `value` lies in the interval."""
    arr = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        raise InputError(
            f"{name} = {_fmt(value)} is outside the allowed range "
            f"{_interval(low, high, low_open, high_open)}"
        )


class ParamRange(NamedTuple):
    """The documented range of one params field, applied to every element.

    `why` says where a bound that is not the model's own comes from (say, the
    float32 range of the environment).
    """

    field: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    why: str = ""

    def check(self, value) -> None:
        low, high = self.low, self.high
        dtype = np.asarray(value).dtype
        if dtype.kind == "f" and dtype.itemsize < 8:
            # the bounds in the value's own precision: an edge typed in float32
            # (1e-8 rounds down) is inside, as documented
            low = None if low is None else float(np.asarray(low, dtype))
            high = None if high is None else float(np.asarray(high, dtype))
        check_range(self.field, value, low, high, low_open=self.low_open, high_open=self.high_open)

    def interval(self) -> str:
        return _interval(self.low, self.high, self.low_open, self.high_open)


def check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise InputError(
            f"{name} = {value!r} is not one of the allowed values: "
            + ", ".join(repr(a) for a in allowed)
        )


def check_int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} = {value!r} must be an integer in [{low}, {high or 'inf'}]")
    check_range(name, value, low, high)


# --------------------------------------------------------------------------
# params from plain values


def with_overrides(params, overrides: Mapping[str, Any]):
    """Replace params fields, broadcasting each value to the field's shape.

    A value of the wrong shape or type is a ValueError naming the field.
    """
    updates = {}
    for name, value in overrides.items():
        old = np.asarray(getattr(params, name))
        if isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value)):
            raise InputError(f"{name} = {value!r} is not a number")
        try:
            new = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name} = {value!r} is not a number") from None
        if new.ndim > old.ndim or (new.ndim == old.ndim and new.shape != old.shape):
            try:
                np.broadcast_to(new, old.shape)
            except ValueError:
                raise InputError(
                    f"{name} = {_fmt(new)} has shape {new.shape}; expected a scalar "
                    f"or shape {old.shape}"
                ) from None
        updates[name] = jnp.asarray(np.broadcast_to(new, old.shape), dtype=old.dtype)
    return params.replace(**updates)


def params_to_dict(params) -> dict[str, Any]:
    """Plain-Python view of params for printing and JSON."""
    out = {}
    for f in dataclasses.fields(params):
        arr = np.asarray(getattr(params, f.name))
        out[f.name] = arr.tolist() if arr.ndim else arr.item()
    return out


def is_finite_tree(tree) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(x)))) for x in jax.tree.leaves(tree))


def to_jsonable(obj):
    """A plain-Python copy of `obj` that `json.dumps(..., allow_nan=False)` accepts.

    Arrays (NumPy or JAX) become nested lists, NumPy and JAX scalars Python
    numbers, mappings dicts with string keys, tuples (NamedTuples as dicts of
    their fields) and dataclasses lists or dicts. NaN and +-inf become None:
    in our JSON null means *undefined*, e.g. the -inf utility of an infeasible
    agent, the infinite leverage of an insolvent one, or a ratio with a zero
    denominator. Strict JSON has no NaN or Infinity, so nothing else would do.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_asdict"):
        return {k: to_jsonable(v) for k, v in obj._asdict().items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (np.ndarray, jax.Array)) or hasattr(obj, "__array__"):
        arr = np.asarray(obj)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"to_jsonable: arrays of dtype {arr.dtype} have no JSON form")
        return to_jsonable(arr.tolist()) if arr.ndim else to_jsonable(arr.item())
    raise TypeError(f"to_jsonable: {type(obj).__name__} has no JSON form")
