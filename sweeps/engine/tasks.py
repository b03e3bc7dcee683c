"""Resumable studies made of independent tasks (a figure's point, a batch of
instances): each finished task's arrays are written atomically under `tasks/`,
and a resumed study loads them instead of running them again.

A task must be a pure function of its inputs (its key derived from the study's
seed and the task's name, never from the order tasks ran in), so a study killed
between tasks and resumed ends identical to an uninterrupted one.
"""

from __future__ import annotations

import os
import re
from typing import Callable

import numpy as np

from sweeps.engine.checkpoint import atomic_savez
from sweeps.engine.progress import finished_unit

TASKS_DIR = "tasks"
_NAME = re.compile(r"^[A-Za-z0-9_.=-]+$")
_NONE = ".none"  # suffix of a table column's mask of undefined (None) values


class TaskRunner:
    """`runner(name, fn)` returns `fn()`'s dict of arrays, from disk when it is there."""

    def __init__(self, out_dir: str, resume: bool):
        self.dir = os.path.join(out_dir, TASKS_DIR)
        os.makedirs(self.dir, exist_ok=True)
        self.resume = resume
        self.ran = 0
        self.loaded = 0

    def __call__(self, name: str, fn: Callable[[], dict]) -> dict[str, np.ndarray]:
        if not _NAME.match(name):
            raise ValueError(f"task name {name!r} must be letters, digits and _.=- only")
        path = os.path.join(self.dir, f"{name}.npz")
        if self.resume and os.path.exists(path):
            with np.load(path) as data:
                self.loaded += 1
                return {k: data[k] for k in data.files}
        out = {k: np.asarray(v) for k, v in fn().items()}
        atomic_savez(path, out)
        self.ran += 1
        finished_unit(self.ran)
        return out

    def rows(self, name: str, fn: Callable[[], list[dict]]) -> list[dict]:
        """A task whose result is a table (a list of flat dicts of one set of keys).
        None (an undefined value) is stored as NaN beside a mask column, so a
        stored table holds plain arrays and a loaded one has its None back."""

        def columns():
            rows = fn()
            cols = {}
            for k in rows[0]:
                values = [r[k] for r in rows]
                missing = [v is None for v in values]
                if any(missing):
                    cols[k + _NONE] = np.asarray(missing)
                    values = [np.nan if m else v for v, m in zip(values, missing)]
                cols[k] = np.asarray(values)
            return cols

        cols = self(name, columns)
        masks = {k[:-len(_NONE)]: cols.pop(k) for k in [k for k in cols if k.endswith(_NONE)]}
        n = len(next(iter(cols.values())))
        return [{k: None if k in masks and masks[k][i] else v[i].item() for k, v in cols.items()}
                for i in range(n)]

    def count(self) -> int:
        return len([f for f in os.listdir(self.dir) if f.endswith(".npz")])
