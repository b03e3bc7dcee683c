"""The sweep engine: grids, device placement, chunked and resumable runs, tasks,
checkpoints, and the one results-directory format.

    devices     use_all_cpu_cores, shard_runs, shard_batch, initialize_distributed
    chunks      Plan, Phase, run, learner_plan: many runs as one sharded, chunked program
    tasks       TaskRunner: studies made of independent, resumable tasks
    checkpoint  atomic writes and the carry's checkpoint
    results     ResultsDir, run_sweep, describe
    grid        Grid, run_table
    progress    the progress line, the test-only kill hook
"""

from sweeps.engine.chunks import Phase, Plan, is_complete, learner_plan, run
from sweeps.engine.devices import (
    initialize_distributed,
    pad_runs,
    run_sharding,
    shard_batch,
    shard_runs,
    stack,
    use_all_cpu_cores,
)

__all__ = [
    "Phase", "Plan", "initialize_distributed", "is_complete", "learner_plan", "pad_runs", "run", "run_sharding",
    "shard_batch", "shard_runs", "stack", "use_all_cpu_cores",
]
