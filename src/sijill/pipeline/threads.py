"""CPU threads for native engines (CTranslate2) inside one worker."""

from __future__ import annotations

import os


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
