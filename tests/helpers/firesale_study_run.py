"""Run the fire-sale study at a tiny size into argv[1] (argv[2] == "resume" to
continue): the subprocess that tests/test_sweep_sharding.py kills mid-study."""

import dataclasses
import sys

from sweeps.studies.firesale.reproduction import QUICK, run_study

TINY = dataclasses.replace(
    QUICK, instances=24, instances_fig2=24, n_values=(3,), taus=(0.5,), record=5,
    cascade_instances=4, cascade_taus=(0.0, 1.0), cascade_caps=(0.9, 1.0), cascade_leverages=(15.0, 25.0),
)

if __name__ == "__main__":
    run_study(TINY, sys.argv[1], resume=len(sys.argv) > 2 and sys.argv[2] == "resume", log=lambda *_: None)
