"""One results-directory format for every study, and `jaxmarkets results DIR`.

Every study (a reproduction or a sweep) writes through `ResultsDir`:

  manifest.json   schema, study, kind (reproduce / sweep), config (and grid and
                  seeds for a sweep), package versions, backend and devices,
                  start and end times, status (running / complete), timings,
                  the files written
  summary.csv     the study's main table; summary.json the same and more
  runs.csv        a sweep's runs: grid values and seed
  chunks/, checkpoint.npz, tasks/   finished work, kept for --resume
  metrics.npz     every metric array, once complete
  *.png, *.csv    figures and further tables

Every file is written atomically (a temporary file, then a rename), by process
0 only when several processes share a run, so a killed study leaves only whole
files behind.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import shutil
from typing import Any, Callable

import jax
import numpy as np

from jaxmarkets.core import InputError
from sweeps.engine import chunks
from sweeps.engine.devices import stack
from sweeps.engine.grid import Grid, run_table
from sweeps.engine.tasks import TASKS_DIR

MANIFEST = "manifest.json"
SCHEMA = 1
KINDS = ("reproduce", "sweep")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    from importlib import metadata

    import platform

    out = {"python": platform.python_version()}
    for name in ("jaxmarkets", "jax", "jaxlib", "flax", "optax", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def device_info(devices=None) -> dict[str, Any]:
    devices = list(devices if devices is not None else jax.devices())
    return {
        "backend": jax.default_backend(),
        "devices": [str(d) for d in devices],
        "process_count": jax.process_count(),
    }


def _write_atomic(path: str, text: str) -> None:
    if jax.process_index() != 0:
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: str, obj) -> None:
    """Strict JSON (no NaN or Infinity literals: they become null)."""
    from jaxmarkets.core import to_jsonable

    _write_atomic(path, json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n")


def write_csv(path: str, rows: list[dict]) -> None:
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]))
    writer.writeheader()
    writer.writerows(
        # floats in full (shortest round-trip form): a table is data, not only a view
        {k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()}
        for row in rows
    )
    _write_atomic(path, buf.getvalue())


def _json_identity(x):
    return json.dumps(json.loads(json.dumps(x, default=str)), sort_keys=True)


class ResultsDir:
    """A study's results directory: refuses to overwrite without `force`, checks
    that a `resume` continues the same study with the same identity, and keeps
    the manifest current."""

    def __init__(self, path: str, study: str, kind: str, identity: dict, *,
                 resume: bool = False, force: bool = False, devices=None):
        if kind not in KINDS:
            raise ValueError(f"kind = {kind!r} is not one of {KINDS}")
        self.path = path
        self.manifest_path = os.path.join(path, MANIFEST)
        ident = {"study": study, "kind": kind, **identity}
        if resume:
            old = read_manifest(path, "--resume")
            for field, value in ident.items():
                if _json_identity(old.get(field)) != _json_identity(value):
                    raise InputError(
                        f"--resume {path}: its {field} is {json.dumps(old.get(field), default=str)}, "
                        f"this run's is {json.dumps(value, default=str)}"
                    )
            self.manifest = old
            self.manifest.setdefault("resumed_at", []).append(_now())
            self.manifest["status"] = "running"
        else:
            if os.path.exists(path) and os.listdir(path):
                if not force:
                    raise InputError(f"--out {path} exists and is not empty; pass --force to overwrite it")
                if jax.process_index() == 0:
                    shutil.rmtree(path)
            self.manifest = {
                "schema": SCHEMA, **ident, "versions": versions(), **device_info(devices),
                "start_time": _now(), "status": "running", "timings_s": {}, "files": [],
            }
        os.makedirs(path, exist_ok=True)
        _sync("results-dir-ready")  # no process writes before process 0 has cleared the directory
        self.save_manifest()

    def file(self, name: str) -> str:
        """The path of a file the study writes; listed in the manifest."""
        if name not in self.manifest["files"]:
            self.manifest["files"].append(name)
        return os.path.join(self.path, name)

    def save_manifest(self) -> None:
        write_json(self.manifest_path, self.manifest)

    def finish(self, rows: list[dict], summary: dict | None = None, timings: dict | None = None) -> None:
        """The summary table and JSON, then status complete (the last write)."""
        write_csv(self.file("summary.csv"), rows)
        write_json(self.file("summary.json"), {"rows": rows, **(summary or {})})
        self.manifest["timings_s"].update(timings or {})
        self.manifest.update(status="complete", end_time=_now())
        self.save_manifest()


def _sync(name: str) -> None:
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def read_manifest(path: str, what: str = "results") -> dict:
    manifest = os.path.join(path, MANIFEST)
    if not os.path.exists(manifest):
        raise InputError(f"{what} {path}: not a results directory (it has no {MANIFEST})")
    try:
        with open(manifest) as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise InputError(f"{what} {path}: {MANIFEST} is not valid JSON ({err.msg})") from None


# ---------------------------------------------------------------- sweeps


@dataclasses.dataclass
class Setup:
    """What a study hands the engine for one sweep."""

    plan: chunks.Plan
    keys: Any  # [runs] typed PRNG keys
    params: Any  # pytree, leading run axis
    hparams: Any  # pytree, leading run axis
    summarise: Callable[[list[dict], dict, str], list[dict]]  # (runs, metrics, out_dir) -> rows

    @classmethod
    def over_seeds(cls, plan, params: list, hparams: list, seeds: list[int], summarise) -> "Setup":
        """The runs of a grid: every point's params and hparams (lists, one entry
        per point) repeated for each seed, in `run_table`'s order (point-major)."""
        n = len(seeds)
        repeat = lambda tree: jax.tree.map(lambda x: jax.numpy.repeat(x, n, axis=0), tree)  # noqa: E731
        keys = jax.numpy.concatenate([jax.vmap(jax.random.key)(jax.numpy.asarray(seeds))] * len(params))
        return cls(plan, keys, repeat(stack(params)), repeat(stack(hparams)), summarise)


def sweep_identity(grid: Grid, seeds: list[int], config: dict) -> dict:
    """What must match for a sweep directory to be resumed."""
    return {"grid": grid.to_json(), "seeds": seeds, "config": config}


def run_sweep(grid: Grid, seeds: list[int], setup: Setup, results: ResultsDir, *, resume: bool = False, progress: bool = True, devices=None,
              stop_after: int | None = None) -> list[dict] | None:
    """Run the sweep (or finish it, with `resume`) and write its results; returns
    the summary rows, or None when `stop_after` ended it early."""
    runs = run_table(grid, seeds)
    results.manifest.update(
        n_runs=len(runs), chunk_size=setup.plan.chunk_size,
        phases={p.name: p.iterations for p in setup.plan.phases},
    )
    results.save_manifest()
    if not resume:
        write_csv(results.file("runs.csv"), runs)
    metrics = chunks.run(
        setup.plan, setup.keys, setup.params, setup.hparams, results.path,
        devices=devices, resume=resume, progress=progress, stop_after=stop_after,
    )
    if not chunks.is_complete(setup.plan, results.path):
        return None
    from sweeps.engine.checkpoint import atomic_savez

    atomic_savez(results.file("metrics.npz"),
                 {f"{phase}/{k}": v for phase, d in metrics.items() for k, v in d.items()})
    # every process holds the gathered metrics; process 0 draws and writes
    rows = setup.summarise(runs, metrics, results.path) if jax.process_index() == 0 else []
    results.finish(rows, {"grid": grid.to_json(), "seeds": len(seeds)})
    _sync("results-written")
    return rows


def load_metrics(out_dir: str) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(os.path.join(out_dir, "metrics.npz")) as data:
        for key in data.files:
            phase, name = key.split("/", 1)
            out.setdefault(phase, {})[name] = data[key]
    return out


# ---------------------------------------------------------------- reading


def _table(path: str, max_rows: int = 40) -> list[str]:
    with open(path) as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    def cell(text):
        try:
            return f"{float(text):.6g}" if any(c in text for c in ".eE") else text
        except ValueError:
            return text

    shown = [rows[0]] + [[cell(c) for c in r] for r in rows[1: max_rows + 1]]
    widths = [max(len(r[i]) for r in shown if i < len(r)) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in shown]
    if len(rows) > len(shown):
        lines.append(f"... {len(rows) - len(shown)} more rows in {os.path.basename(path)}")
    return lines


def describe(out_dir: str) -> str:
    """A readable account of any study's results directory."""
    m = read_manifest(out_dir)
    if m.get("schema") != SCHEMA:
        raise InputError(
            f"results {out_dir}: manifest schema {m.get('schema')!r}; this version reads schema "
            f"{SCHEMA} (re-run the study to rewrite it)"
        )
    lines = [f"study {m['study']} ({m['kind']}), status {m['status']}"]
    if m["kind"] == "sweep":
        grid = m.get("grid", {})
        lines.append(f"{m.get('n_runs', '?')} runs: grid {json.dumps(grid.get('axes', {}))} "
                     f"({grid.get('mode', 'product')}), {len(m.get('seeds', []))} seeds")
    config = m.get("config", {})
    if config:
        shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in list(config.items())[:12])
        more = f", ... ({len(config)} fields)" if len(config) > 12 else ""
        lines.append(f"config {shown}{more}")
    lines.append(f"backend {m.get('backend')}, {len(m.get('devices', []))} device(s), "
                 f"{m.get('process_count', 1)} process(es)")
    lines.append(f"started {m.get('start_time')}, ended {m.get('end_time', '-')}")
    timings = m.get("timings_s") or {}
    if timings:
        lines.append("timings " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    summary = os.path.join(out_dir, "summary.csv")
    if m["status"] == "complete" and os.path.exists(summary):
        lines += ["", *_table(summary)]
        others = [f for f in m.get("files", []) if f not in ("summary.csv", "summary.json")]
        if others:
            lines += ["", f"{len(others)} more files: " + ", ".join(others)]
    else:
        done = [
            f"{len(os.listdir(os.path.join(out_dir, d)))} {d}"
            for d in (chunks.METRICS_DIR, TASKS_DIR) if os.path.isdir(os.path.join(out_dir, d))
        ]
        lines.append(f"not complete: {', '.join(done) or 'nothing'} finished so far; continue it with "
                     f"the same command and --resume {out_dir}")
    return "\n".join(lines)
