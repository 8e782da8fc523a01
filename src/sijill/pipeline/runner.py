"""The local runner: the only thing that schedules work in embedded mode.

Pending work lives in the catalog (the jobs table); this process plans it, hands jobs to a
pool of worker processes, enforces each stage's timeout by killing the worker's process
group, and commits each result in one transaction. Killed at any moment, the next run resets
jobs left 'running' and carries on: results are keyed, so nothing is done twice.
"""

from __future__ import annotations

import fcntl
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from sijill.archive.archive import Archive
from sijill.errors import RunnerBusy, StageError
from sijill.pipeline import jobs
from sijill.pipeline.registry import Registry, default_registry
from sijill.pipeline.worker import JobOutcome, WorkerInit, worker_main
from sijill.storage.models import Job


@dataclass
class RunStats:
    done: int = 0
    failed: int = 0
    recovered: int = 0
    elapsed_s: float = 0.0
    failures: list[tuple[int, str, str]] = field(default_factory=list)


class Progress:
    """Callbacks for a progress display; the CLI passes a rich implementation."""

    def total(self, n: int) -> None: ...
    def advance(self, stage: str, ok: bool) -> None: ...


class _Worker:
    def __init__(self, ctx: Any, init: WorkerInit) -> None:
        self.conn, child = mp.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn.send(init)
        self.job: int | None = None
        self.stage: str = ""
        self.deadline: float = 0.0
        self.ready = False

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and any tool it started
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()


class Runner:
    def __init__(self, archive: Archive, *, workers: int = 1, registry: Registry | None = None,
                 actor: str = "sijill", timeout_s: float | None = None,
                 memory_mb: int | None = None) -> None:
        self.archive = archive
        self.workers = max(1, workers)
        self.registry = registry or default_registry()
        self.actor = actor
        # Explicit limits apply to every stage; otherwise a stage's own declaration wins,
        # then the settings' defaults.
        self.timeout_override = timeout_s
        self.memory_override = memory_mb
        self.timeout_s = timeout_s or archive.settings.stage_timeout_s
        self.memory_mb = memory_mb or archive.settings.stage_memory_mb
        self._lock_fd: int | None = None

    def _lock(self) -> None:
        fd = os.open(self.archive.root / "run.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise RunnerBusy("another `sijill run` is processing this archive") from exc
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def pending_count(self) -> int:
        with self.archive.catalog.session() as s:
            jobs.plan(s, self.registry)
            return len(s.execute(select(Job.id).where(Job.state == "pending")).all())

    def run(self, progress: Progress | None = None, retry_failed: bool = False) -> RunStats:
        self.archive.unlock()
        self._lock()
        try:
            return self._run(progress or Progress(), retry_failed)
        finally:
            self._unlock()

    def _run(self, progress: Progress, retry_failed: bool) -> RunStats:
        stats = RunStats()
        started = time.monotonic()
        remove_stale_tmp(self.archive.root)
        cat = self.archive.catalog
        with cat.session() as s:
            stats.recovered = jobs.recover(s)
            if retry_failed:
                s.execute(update(Job).where(Job.state == "failed").values(state="pending"))
            queue = deque(jobs.plan(s, self.registry))
        progress.total(len(queue))
        if not queue:
            stats.elapsed_s = time.monotonic() - started
            return stats
        tmp = self.archive.work_dir()
        init = WorkerInit(keys_dir=str(self.archive.keys.dir), blobs_root=str(self.archive.blobs.root),
                          tmp_root=str(tmp), identity=self.archive.keys.identity_str())
        ctx = mp.get_context("spawn")
        pool = [_Worker(ctx, init) for _ in range(min(self.workers, len(queue)))]
        queued = set(queue)
        total = len(queue)
        try:
            while queue or any(w.job is not None for w in pool):
                for w in pool:
                    if w.ready and w.job is None and queue:
                        self._dispatch(w, queue.popleft())
                starting = [w for w in pool if not w.ready]
                busy = [w for w in pool if w.job is not None]
                if not busy and not starting:
                    continue
                timeout = (max(0.0, min(w.deadline for w in busy) - time.monotonic())
                           if busy else None)
                watched = busy + starting
                ready = wait([w.conn for w in watched] + [w.proc.sentinel for w in watched],
                             timeout)
                for w in starting:
                    if w.conn in ready:
                        try:
                            w.ready = w.conn.recv() == "ready"
                        except (EOFError, OSError):
                            w.ready = False
                    if not w.ready and (w.proc.sentinel in ready or w.conn in ready):
                        raise StageError(
                            f"a worker process could not start (exit code {w.proc.exitcode})"
                        )
                for i, w in enumerate(pool):
                    if w.job is None:
                        continue
                    job_id, stage = w.job, w.stage
                    outcome: JobOutcome | None = None
                    if w.conn in ready:
                        try:
                            outcome = w.conn.recv()
                        except (EOFError, OSError):
                            outcome = None
                    if outcome is None and (w.proc.sentinel in ready or w.conn in ready):
                        code = w.proc.exitcode
                        why = (f"killed by signal {-code}" if code is not None and code < 0
                               else f"exit code {code}")
                        outcome = JobOutcome(job_id, False, error=(
                            f"worker died ({why}); the stage's memory limit or a crash in a "
                            "native library are likely causes"))
                        pool[i] = self._replace(w, ctx, init)
                    elif outcome is None and time.monotonic() >= w.deadline:
                        outcome = JobOutcome(job_id, False, error=(
                            f"timed out after {self._timeout_for(stage):g} s"))
                        pool[i] = self._replace(w, ctx, init)
                    if outcome is None:
                        continue
                    new = self._commit(outcome, stats)
                    pool[i].job = None
                    fresh = [j for j in new if j not in queued]
                    queued.update(fresh)
                    queue.extend(fresh)
                    if fresh:
                        total += len(fresh)
                        progress.total(total)
                    progress.advance(stage, outcome.ok)
        except BaseException:
            for w in pool:
                w.kill()
            with cat.session() as s:
                jobs.recover(s)
            raise
        for w in pool:
            w.stop()
        stats.elapsed_s = time.monotonic() - started
        return stats

    def _timeout_for(self, stage: str) -> float:
        if self.timeout_override:
            return float(self.timeout_override)
        st = self.registry.get(stage)
        return float(st.timeout_s or self.timeout_s)

    def _replace(self, w: _Worker, ctx: Any, init: WorkerInit) -> _Worker:
        w.kill()
        return _Worker(ctx, init)

    def _dispatch(self, w: _Worker, job_id: int) -> None:
        with self.archive.catalog.session() as s:
            job = s.get_one(Job, job_id)
            spec = jobs.spec_for(s, job, self.memory_mb, self.registry)
            if self.memory_override:
                spec.memory_mb = self.memory_override
            jobs.mark_running(s, job_id)
        w.job = job_id
        w.stage = spec.stage
        w.deadline = time.monotonic() + self._timeout_for(spec.stage)
        w.conn.send(spec)

    def _commit(self, outcome: JobOutcome, stats: RunStats) -> list[int]:
        with self.archive.catalog.session() as s:
            touched = jobs.commit_outcome(s, outcome, self.actor)
            new = jobs.plan(s, self.registry, touched)
            if outcome.ok:
                stats.done += 1
            else:
                stats.failed += 1
                job = s.get_one(Job, outcome.job_id)
                stats.failures.append((outcome.job_id, job.stage, outcome.error or ""))
        return new


def remove_stale_tmp(root: Path) -> None:
    """Decrypted work files of a killed run must not linger."""
    import shutil

    tmp = root / "tmp"
    if tmp.exists():
        for p in tmp.iterdir():
            if p.name.startswith("job"):
                shutil.rmtree(p, ignore_errors=True)
