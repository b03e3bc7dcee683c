"""The progress line of a long run (tqdm), and the test-only kill hook.

`JAXMARKETS_KILL_AFTER` = k makes the process kill itself (SIGKILL, no
clean-up) right after its k-th finished unit of work (a chunk or a task) is on
disk: the kill-and-resume tests need a kill at a known point, whatever the
machine's speed.
"""

from __future__ import annotations

import os
import signal
import sys

from tqdm.auto import tqdm

KILL_AFTER = "JAXMARKETS_KILL_AFTER"


class Progress:
    """Iterations done out of `total`, with the rate and time left (the first
    update includes compilation, so tqdm's smoothing matters)."""

    def __init__(self, n_runs: int, total: int, enabled: bool = True, unit: str = "it"):
        self.bar = tqdm(total=total, unit=unit, disable=not enabled, file=sys.stderr,
                        desc=f"{n_runs} runs", dynamic_ncols=True, leave=True)

    def update(self, done: int, phase: str) -> None:
        self.bar.set_postfix_str(phase, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def finished_unit(count: int) -> None:
    """Called after the `count`-th unit of work of this process is written."""
    k = os.environ.get(KILL_AFTER)
    if k and count >= int(k):
        os.kill(os.getpid(), signal.SIGKILL)
