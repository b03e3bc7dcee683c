"""Running a study's sweep into a results directory, and reading one back.

A results directory holds:
  manifest.json   study, grid, seeds, config, package versions, backend and
                  devices, start and end times, status
  runs.csv        one row per run: its grid values and seed
  chunks/         metrics of every finished chunk (written as they finish)
  checkpoint.npz  the carry after the last finished chunk (for --resume)
  metrics.npz     every metric, concatenated, once the sweep is complete
  summary.csv     the study's table, one row per grid point; figures (PNG)
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import shutil
from typing import Any, Callable

import numpy as np

from sweeps import engine
from sweeps.grid import Grid, run_table
from jaxmarkets.core import InputError

MANIFEST = "manifest.json"


@dataclasses.dataclass
class Setup:
    """What a study hands the engine for one sweep."""

    plan: engine.Plan
    keys: Any  # [runs] typed PRNG keys
    params: Any  # pytree, leading run axis
    hparams: Any  # pytree, leading run axis
    summarise: Callable[[list[dict], dict, str], list[dict]]  # (runs, metrics, out_dir) -> rows


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def identity(study: str, grid: Grid, seeds: list[int], config: dict) -> dict:
    """What must match for a directory to be resumed."""
    return {"study": study, "grid": grid.to_json(), "seeds": seeds, "config": config}


def prepare_dir(out_dir: str, ident: dict | None, *, resume: bool, force: bool) -> None:
    """Refuse to overwrite, or to resume a directory of another sweep; before anything runs."""
    manifest_path = os.path.join(out_dir, MANIFEST)
    if resume:
        if not os.path.exists(manifest_path):
            raise InputError(f"--resume {out_dir}: no {MANIFEST} there, so nothing to resume")
        with open(manifest_path) as f:
            old = json.load(f)
        for field in ("study", "grid", "seeds", "config"):
            if json.dumps(old.get(field), sort_keys=True) != json.dumps(
                json.loads(json.dumps(ident[field])), sort_keys=True
            ):
                raise InputError(
                    f"--resume {out_dir}: its {field} is {json.dumps(old.get(field))}, "
                    f"this sweep's is {json.dumps(ident[field])}"
                )
        return
    if os.path.exists(out_dir) and os.listdir(out_dir):
        if not force:
            raise InputError(f"--out {out_dir} exists and is not empty; pass --force to overwrite it")
        shutil.rmtree(out_dir)
    os.makedirs(out_dir, exist_ok=True)


def run_study(
    name: str,
    grid: Grid,
    seeds: list[int],
    config: dict,
    setup: Setup,
    out_dir: str,
    *,
    resume: bool = False,
    progress: bool = True,
    devices=None,
    stop_after: int | None = None,
) -> list[dict] | None:
    """Run the sweep (or finish it, with `resume`) and write the results; returns the
    summary rows, or None when `stop_after` ended it early."""
    ident = identity(name, grid, seeds, config)
    runs = run_table(grid, seeds)
    manifest_path = os.path.join(out_dir, MANIFEST)
    if resume:
        with open(manifest_path) as f:
            manifest = json.load(f)
        manifest.setdefault("resumed_at", []).append(_now())
    else:
        manifest = {
            **ident,
            "n_runs": len(runs),
            "chunk_size": setup.plan.chunk_size,
            "phases": {p.name: p.iterations for p in setup.plan.phases},
            "versions": engine.versions(),
            **engine.device_info(devices),
            "start_time": _now(),
            "status": "running",
        }
        _write_runs_csv(os.path.join(out_dir, "runs.csv"), runs)
    engine.write_json(manifest_path, manifest)

    metrics = engine.run(
        setup.plan, setup.keys, setup.params, setup.hparams, out_dir,
        devices=devices, resume=resume, progress=progress, stop_after=stop_after,
    )
    if not engine.is_complete(setup.plan, out_dir):
        return None
    np.savez(
        os.path.join(out_dir, "metrics.npz"),
        **{f"{phase}/{k}": v for phase, d in metrics.items() for k, v in d.items()},
    )
    rows = setup.summarise(runs, metrics, out_dir)
    write_csv(os.path.join(out_dir, "summary.csv"), rows)
    manifest.update(status="complete", end_time=_now())
    engine.write_json(manifest_path, manifest)
    return rows


def _write_runs_csv(path: str, runs: list[dict]) -> None:
    write_csv(path, [{k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in runs])


def write_csv(path: str, rows: list[dict]) -> None:
    if not rows:
        return
    fields = list(rows[0])
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(
            {k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()} for row in rows
        )


def load_metrics(out_dir: str) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(os.path.join(out_dir, "metrics.npz")) as data:
        for key in data.files:
            phase, name = key.split("/", 1)
            out.setdefault(phase, {})[name] = data[key]
    return out


def describe(out_dir: str) -> str:
    """A readable account of any results directory (`jaxmarkets results DIR`)."""
    path = os.path.join(out_dir, MANIFEST)
    if not os.path.exists(path):
        raise InputError(f"{out_dir} is not a results directory: it has no {MANIFEST}")
    with open(path) as f:
        m = json.load(f)
    lines = [
        f"study {m.get('study')}: {m.get('n_runs', '?')} runs, status {m.get('status')}",
        f"grid {json.dumps(m.get('grid'))}, {len(m.get('seeds', []))} seeds",
        f"backend {m.get('backend')}, devices {', '.join(m.get('devices', []))}",
        f"started {m.get('start_time')}, ended {m.get('end_time', '-')}",
    ]
    summary = os.path.join(out_dir, "summary.csv")
    if os.path.exists(summary):
        with open(summary) as f:
            rows = list(csv.reader(f))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines.append("")
        lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    else:
        done = len(os.listdir(os.path.join(out_dir, engine.METRICS_DIR))) if os.path.isdir(
            os.path.join(out_dir, engine.METRICS_DIR)) else 0
        lines.append(f"no summary yet: {done} chunks finished (continue with --resume {out_dir})")
    return "\n".join(lines)
