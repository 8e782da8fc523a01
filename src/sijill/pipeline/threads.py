"""CPU threads for native engines (CTranslate2) inside one worker."""

from __future__ import annotations

import os
from typing import Any

# The runner's count of workers with nothing to do (a shared multiprocessing value, set in
# each worker at start; see `Runner._note_idle`). A job alone on the machine may use their
# cores: the claim stage runs that many more embeddings at once.
_IDLE: Any = None


def share_idle(counter: Any) -> None:
    """In a worker: the runner's count of idle workers (None outside a run)."""
    global _IDLE
    _IDLE = counter


def idle_workers() -> int:
    """Workers the runner last saw idle, 0 outside a run. A hint, read at every text: it may
    lag the runner by one of its loops."""
    counter = _IDLE
    if counter is None:
        return 0
    try:
        return max(0, int(counter.value))
    except (OSError, ValueError):
        return 0


def within_omp_limit(n: int) -> int:
    """CTranslate2 returns garbage (no segments, random languages) when OpenMP is limited to
    fewer threads than it was asked for: never ask for more."""
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    return min(n, int(limit)) if limit.isdigit() and int(limit) > 0 else n


def worker_threads() -> int:
    """This worker's share of the cores (the runner sets SIJILL_WORKER_THREADS), within any
    OpenMP limit."""
    try:
        n = int(os.environ.get("SIJILL_WORKER_THREADS", "0"))
    except ValueError:
        n = 0
    return within_omp_limit(n if n > 0 else (os.cpu_count() or 1))
