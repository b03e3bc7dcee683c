"""Command-line values: `--set`/`--config` parsing and the one config convention.

The convention, for games, learners and studies alike:
- static sizes and switches (array shapes, timing readings, chunk sizes) are
  fields of frozen dataclasses (a game's environment object, `DQNConfig`, a
  study's config; nested dataclasses allowed); on the command line they are
  `--config NAME=VALUE`, one flat name per field;
- traced floats (a game's params, a learner's hparams) are `flax.struct`
  dataclasses; on the command line they are `--set NAME=V1[,V2...]`, and a
  sweep makes a grid axis of each.
Both lists of names are generated from the dataclasses, so a new field is on
the command line, in its help and in its errors without further code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import typing
from typing import Any

from jaxmarkets.core import InputError
from sweeps.engine.grid import Grid


def parse_value(text: str):
    """A number, a JSON list, true/false, or a bare string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(pairs: list[str] | None, flag: str = "--set") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"{flag} {pair!r}: expected NAME=VALUE")
        name, text = pair.split("=", 1)
        out[name.strip()] = parse_value(text.strip())
    return out


def parse_grid(pairs: list[str] | None, mode: str = "product") -> Grid:
    """`name=v1,v2,...` per axis; a JSON list value (`q0=[100,50]`) is one value."""
    axes = []
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"--set {pair!r}: expected NAME=VALUE[,VALUE...]")
        name, text = (s.strip() for s in pair.split("=", 1))
        parsed = parse_value(text)
        if isinstance(parsed, list) or "," not in text:
            values = (parsed,)
        else:
            values = tuple(parse_value(part.strip()) for part in text.split(","))
        axes.append((name, values))
    return Grid(tuple(axes), mode)


# ---------------------------------------------------------------- static configs


def flat_fields(cls, exclude: tuple[str, ...] = ()) -> dict[str, tuple[tuple[str, ...], Any]]:
    """Flat name -> (path through nested dataclasses, type) for every leaf field."""
    hints = typing.get_type_hints(cls)
    out: dict[str, tuple[tuple[str, ...], Any]] = {}
    for f in dataclasses.fields(cls):
        if f.name in exclude:
            continue
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            for name, (path, sub) in flat_fields(kind, exclude).items():
                if name in out:
                    raise TypeError(f"{cls.__name__}: field {name} appears twice")
                out[name] = ((f.name, *path), sub)
        else:
            if f.name in out:
                raise TypeError(f"{cls.__name__}: field {f.name} appears twice")
            out[f.name] = ((f.name,), kind)
    return out


def _coerce(name: str, value, kind):
    origin = typing.get_origin(kind)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise InputError(f"--config {name} = {value!r} must be true or false")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"--config {name} = {value!r} must be an integer")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"--config {name} = {value!r} must be a number")
        return float(value)
    if kind is str:
        return str(value)
    if origin is tuple:
        items = value if isinstance(value, list) else [value]
        (item_kind, *_rest) = typing.get_args(kind) or (Any,)
        return tuple(items if item_kind is Any else (_coerce(name, v, item_kind) for v in items))
    return value


def build_config(cls, overrides: dict[str, Any], base=None, exclude: tuple[str, ...] = ()):
    """`base` (or `cls()`) with flat-named overrides; unknown names and wrong
    types are InputErrors that list what is allowed."""
    fields = flat_fields(cls, exclude)
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise InputError(f"unknown --config field {unknown[0]!r}; allowed: {', '.join(sorted(fields))}")
    config = base if base is not None else cls()
    for name, value in overrides.items():
        path, kind = fields[name]
        config = _replace_path(config, path, _coerce(name, value, kind))
    return config


def _replace_path(obj, path, value):
    if len(path) == 1:
        return dataclasses.replace(obj, **{path[0]: value})
    return dataclasses.replace(obj, **{path[0]: _replace_path(getattr(obj, path[0]), path[1:], value)})


def traced_fields(*classes) -> list[str]:
    return sorted({f.name for cls in classes for f in dataclasses.fields(cls)})


# ---------------------------------------------------------------- shared arguments


def add_reproduce_arguments(p: argparse.ArgumentParser, name: str, quick: str, full: str) -> None:
    """--quick (the default) / --full, --out, --force, --resume and --seed."""
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help=f"{quick} (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help=full)
    p.set_defaults(mode="quick")
    p.add_argument("--out", default=None, help=f"results directory (default results/{name}-MODE)")
    p.add_argument("--force", action="store_true", help="overwrite an existing results directory")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed run in its results directory (same mode and options)")
    p.add_argument("--seed", type=int, default=0)


def results_dir(args, name: str) -> str:
    from jaxmarkets.core import check_int

    check_int("--seed", args.seed, 0)
    if args.resume and args.force:
        raise InputError("--resume and --force exclude each other")
    return args.out or f"results/{name}-{args.mode}"


def split_game_fields(overrides: dict[str, Any], env_cls, params_cls,
                      static_names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One game's `--set` values split into static sizes (fields of the environment
    class named in `static_names`) and params fields; an unknown name lists both."""
    static_fields = [f.name for f in dataclasses.fields(env_cls) if f.name in static_names]
    param_fields = [f.name for f in dataclasses.fields(params_cls)]
    static, params = {}, {}
    for name, value in overrides.items():
        if name in static_fields:
            static[name] = value
        elif name in param_fields:
            params[name] = value
        else:
            raise InputError(
                f"unknown field {name!r}; allowed fields: " + ", ".join(sorted(static_fields + param_fields))
            )
    return static, params


def print_json(obj) -> None:
    """A command's `--json` output: strict JSON, where NaN and +-inf are `null`
    (undefined there, e.g. a -inf utility) so any strict parser reads it."""
    from jaxmarkets.core import to_jsonable

    print(json.dumps(to_jsonable(obj), allow_nan=False))
