"""Grids of params/hparams fields and seeds, flattened into one run axis.

A grid is a set of axes, each a field name and a list of values, combined as a
cartesian product (default) or zipped (all lists of one length). Every grid point
runs once per seed; the run axis is point-major, seed-minor.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from jaxmarkets.core import InputError

MODES = ("product", "zip")


@dataclasses.dataclass(frozen=True)
class Grid:
    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    mode: str = "product"

    def __post_init__(self):
        if self.mode not in MODES:
            raise InputError(f"grid mode = {self.mode!r} is not one of {', '.join(MODES)}")
        names = [name for name, _ in self.axes]
        if len(set(names)) != len(names):
            raise InputError(f"grid: a field is given twice in {names}")
        for name, values in self.axes:
            if not values:
                raise InputError(f"grid: field {name} has no values")
        if self.mode == "zip" and len({len(v) for _, v in self.axes}) > 1:
            lengths = {name: len(v) for name, v in self.axes}
            raise InputError(f"grid mode zip needs lists of one length; got {lengths}")

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.axes]

    def check_names(self, allowed: set[str], context: str) -> None:
        """Every axis a field the study can vary; else one line naming the first that is not."""
        unknown = [n for n in self.names if n not in allowed]
        if unknown:
            raise InputError(f"unknown --set field {unknown[0]!r} for {context}; "
                             f"allowed: {', '.join(sorted(allowed))}")

    def points(self) -> list[dict[str, Any]]:
        if not self.axes:
            return [{}]
        names = self.names
        lists = [values for _, values in self.axes]
        combos = zip(*lists) if self.mode == "zip" else itertools.product(*lists)
        return [dict(zip(names, combo)) for combo in combos]

    def to_json(self) -> dict:
        return {"mode": self.mode, "axes": {name: list(values) for name, values in self.axes}}


def run_table(grid: Grid, seeds: list[int]) -> list[dict[str, Any]]:
    """One row per run: the grid point's values and the seed."""
    return [{**point, "seed": seed} for point in grid.points() for seed in seeds]
