"""The local runner: the only thing that schedules work in embedded mode.

Pending work lives in the catalog (the jobs table); this process plans it, hands jobs to a
pool of worker processes, enforces each stage's timeout by killing the worker's process
group, and commits each result in one transaction. Killed at any moment, the next run resets
jobs left 'running' and carries on: results are keyed, so nothing is done twice.
"""

from __future__ import annotations

import bisect
import fcntl
import itertools
import multiprocessing as mp
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sijill.errors import ConfigError, RunnerBusy, StageError
from sijill.pipeline import jobs
from sijill.pipeline.registry import Registry, default_registry
from sijill.pipeline.worker import JobOutcome, WorkerInit, worker_main
from sijill.storage.archive import Archive
from sijill.storage.models import Job
from sijill.storage.repositories import jobs as job_repo
from sijill.tools import secrets_withheld


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
    def job_progress(self, job_id: int, stage: str, fraction: float | None) -> None:
        """A long job's own progress (0..1); None when it has finished."""


# A worker holds one job at a time: a job queued behind a long one would wait for it while
# another worker sat idle. The next job is sent as soon as the last is reported done, before
# the parent commits its result, so catalog writes still overlap stage work.
PREFETCH = 1
# Except jobs that proved quick in this run: a stage that does not read text, whose jobs took
# under QUICK_S on average over at least QUICK_AFTER of them (text extraction of small PDFs,
# metadata). A worker then holds up to QUICK_PREFETCH of them, handed out in one catalog
# transaction, and their results are committed together: with hundreds of small files the
# parent's per-transaction work, not the stage, was what the user waited for. Jobs that read
# text are never held this way: their specs carry the text, and a pipe filled both ways at
# once would stall.
QUICK_S = 0.25
QUICK_AFTER = 4
QUICK_PREFETCH = 4
# How far down the queue a free worker looks for a job of an item no other worker is on.
LOOKAHEAD = 256


def choose_job(
    queue: Sequence[int] | JobQueue,
    item_of: dict[int, str],
    busy: set[str],
    lookahead: int = LOOKAHEAD,
) -> int:
    """The position in `queue` of the next job to hand out: the first whose item no other
    worker is processing, so that one item's long jobs (entities and translation of a huge
    table, say) never hold every worker while other items wait; the head if every job near
    it belongs to a busy item."""
    for pos, job_id in enumerate(queue):
        if pos >= lookahead:
            break
        if item_of.get(job_id) not in busy:
            return pos
    return 0


class JobQueue:
    """Pending jobs in the order they are handed out.

    Jobs that make an item readable (text extraction, OCR, transcription, unpacking) come
    first, then those that only describe the file (metadata, perceptual hashes), then the
    jobs that read the text (entities, claims, translation): every file is searchable before
    any is understood. Among the jobs that read text, the biggest item's go first, so the one
    long claim job of a huge table starts early instead of running alone at the end while the
    other workers have nothing left. Ties keep the order of arrival."""

    def __init__(self) -> None:
        self._keys: list[tuple[int, int, int]] = []
        self._ids: list[int] = []
        self._key_of: dict[int, tuple[int, int, int]] = {}
        self._seq = itertools.count()

    def add(self, job_id: int, tier: int, size: int) -> None:
        """`tier` 0: makes text or items; 1: only describes the file; 2: reads text."""
        key = (tier, -size if tier == 2 else 0, next(self._seq))
        self._key_of[job_id] = key
        self._insert(job_id, key)

    def _insert(self, job_id: int, key: tuple[int, int, int]) -> None:
        pos = bisect.bisect_right(self._keys, key)
        self._keys.insert(pos, key)
        self._ids.insert(pos, job_id)

    def requeue(self, job_ids: list[int]) -> None:
        """Jobs taken out and given back (their worker died): in their old places."""
        for j in job_ids:
            self._insert(j, self._key_of.get(j, (0, 0, -1)))

    def discard(self, job_ids: set[int]) -> None:
        """Take these jobs out, wherever they are."""
        if job_ids:
            kept = [(k, j) for k, j in zip(self._keys, self._ids, strict=True) if j not in job_ids]
            self._keys = [k for k, _j in kept]
            self._ids = [j for _k, j in kept]
            for j in job_ids:
                self._key_of.pop(j, None)

    def tier(self, job_id: int) -> int:
        """The tier a job was queued with (also once handed out); 0 if unknown."""
        return self._key_of.get(job_id, (0, 0, 0))[0]

    def pop(self, pos: int = 0) -> int:
        del self._keys[pos]
        return self._ids.pop(pos)

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __getitem__(self, pos: int) -> int:
        return self._ids[pos]


class _Worker:
    def __init__(self, ctx: Any, init: WorkerInit | None = None, idle: Any = None) -> None:
        self.conn, child = mp.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, idle), daemon=True)
        with secrets_withheld():  # a spawned worker inherits the environment
            self.proc.start()
        child.close()
        if init is not None:
            self.conn.send(init)
        self.ready = False
        self.inflight: deque[tuple[int, str]] = deque()  # (job id, stage), oldest first
        self.started: int | None = None
        self.deadline = float("inf")

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
    def __init__(
        self,
        archive: Archive,
        *,
        workers: int = 1,
        registry: Registry | None = None,
        actor: str = "sijill",
        timeout_s: float | None = None,
        memory_mb: int | None = None,
        device: str | None = None,
    ) -> None:
        self.archive = archive
        self.device = device or archive.settings.device
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
        self._spare: list[_Worker] = []  # started by start_workers, not yet in use
        self.queue = JobQueue()
        self.item_of: dict[int, str] = {}
        self.stage_of: dict[int, str] = {}
        self._times: dict[str, tuple[int, float]] = {}  # stage: (jobs done, seconds)
        # `ingest --run`'s batches while it is still sealing files (see `_feed`, `_may_take`)
        self._sealing: Iterator[list[str]] | None = None
        self._mp: Any = None  # the spawn context, and the idle count its workers share
        self._idle: Any = None

    def _context(self) -> Any:
        if self._mp is None:
            self._mp = mp.get_context("spawn")
            self._idle = self._mp.Value("i", 0, lock=False)
        return self._mp

    def _note_idle(self, pool: list[_Worker]) -> None:
        """Tell the workers how many of them have nothing to do: a job running alone at the
        end of a run (the claims of one huge file) then uses the idle ones' cores. None while
        this process is sealing files: it needs its core then."""
        if self._idle is not None:
            idle = sum(1 for w in pool if w.ready and not w.inflight)
            self._idle.value = 0 if self._sealing is not None else idle

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

    def start_workers(self) -> None:
        """Start the worker processes now, before there is work (`sijill ingest --run`):
        their imports and models load while the files are sealed. Takes the run lock."""
        if self._lock_fd is None:
            self._lock()
        if not self._spare:
            ctx = self._context()
            self._spare = [_Worker(ctx, idle=self._idle) for _ in range(self.workers)]

    def stop_workers(self) -> None:
        """Stop workers started early and never used, and give back the lock."""
        for w in self._spare:
            w.stop()
        self._spare = []
        self._unlock()

    def run(
        self,
        progress: Progress | None = None,
        retry_failed: bool = False,
        feed: Iterator[list[str]] | None = None,
    ) -> RunStats:
        """Process every job that can be done. `feed` (`sijill ingest --run`) yields the ids
        of items as they are committed: their jobs join the queue while the workers work,
        and the next batch is sealed whenever this process has nothing else to do."""
        if self._lock_fd is None:
            self._lock()
        self.pool: list[_Worker] = []
        try:
            return self._run(progress or Progress(), retry_failed, feed)
        finally:
            for w in self.pool + self._spare:
                if w.proc.is_alive():
                    w.kill()
            self._spare = []
            self._unlock()

    def _enqueue(self, session: Any, job_ids: list[int]) -> None:
        facts = job_repo.queue_facts(session, job_ids)
        for j in job_ids:
            item_id, stage, size = facts.get(j, ("", "", 0))
            self.item_of[j] = item_id
            self.stage_of[j] = stage
            try:
                st = self.registry.get(stage)
                tier = 2 if st.reads_text else 1 if st.describes else 0
            except ConfigError:
                tier = 2
            self.queue.add(j, tier, size)

    def _feed(self, progress: Progress) -> None:
        """Seal the next batch and queue its jobs; at the end, sealing is over."""
        if self._sealing is None:
            return
        try:
            items = next(self._sealing)
        except StopIteration:
            self._sealing = None
            return
        with self.archive.catalog.session() as s:
            planned = [j for j in jobs.plan(s, self.registry, items) if j not in self.queued]
            self._enqueue(s, planned)
        self.queued.update(planned)
        self.total += len(planned)
        progress.total(self.total)

    def _run(
        self, progress: Progress, retry_failed: bool, feed: Iterator[list[str]] | None = None
    ) -> RunStats:
        stats = RunStats()
        started = time.monotonic()
        self.archive.sweep_work()  # what a run killed with -9 left
        with self.archive.catalog.session() as s:
            stats.recovered = job_repo.recover(s)
            if retry_failed:
                job_repo.requeue_failed(s)
            self.queue = JobQueue()
            self.item_of, self.stage_of, self._times = {}, {}, {}
            planned = jobs.plan(s, self.registry)
            self._enqueue(s, planned)
        self.queued = set(planned)
        self.total = len(self.queue)
        progress.total(self.total)
        self._sealing = feed
        while self._sealing is not None and not self.queue:
            self._feed(progress)  # the first batch with work in it
        if not self.queue:
            stats.elapsed_s = time.monotonic() - started
            return stats  # nothing to do, and no need to unlock the identity
        ctx = self._context()
        # Workers start (imports, models) while this process unlocks the identity, which is
        # deliberately slow (scrypt): the two overlap.
        pool = self.pool
        # The RAM work space first: workers inherit its TMPDIR from their first instruction.
        tmp_root = str(self.archive.work_dir())
        wanted = self.workers if self._sealing is not None else min(self.workers, len(self.queue))
        spare, self._spare = self._spare, []
        for w in spare[wanted:]:
            w.stop()
        pool.extend(spare[:wanted])
        pool.extend(_Worker(ctx, idle=self._idle) for _ in range(wanted - len(pool)))
        self.archive.unlock()
        init = WorkerInit(
            keys_dir=str(self.archive.keys.dir),
            blobs_root=str(self.archive.blobs.root),
            tmp_root=tmp_root,
            identity=self.archive.keys.identity_str(),
            device=self.device,
            # The cores are shared out among the workers (CTranslate2, ONNX Runtime threads).
            threads=max(1, (os.cpu_count() or 1) // len(pool)),
        )
        for w in pool:
            w.conn.send(init)
        try:
            while self._sealing is not None or self.queue or any(w.inflight for w in pool):
                self._fill(pool)
                soonest = min(w.deadline for w in pool)
                timeout = None if soonest == float("inf") else max(0.0, soonest - time.monotonic())
                if self._sealing is not None:
                    timeout = 0.0  # look at the workers, then seal the next batch
                ready = wait([w.conn for w in pool] + [w.proc.sentinel for w in pool], timeout)
                done: list[tuple[JobOutcome, str]] = []
                for i, w in enumerate(pool):
                    if w.conn in ready:
                        self._receive(w, done, progress)
                    if w.proc.sentinel in ready and not w.proc.is_alive():
                        if not w.ready and not w.inflight:
                            raise StageError(
                                f"a worker process could not start (exit code {w.proc.exitcode})"
                            )
                        code = w.proc.exitcode
                        why = (
                            f"killed by signal {-code}"
                            if code and code < 0
                            else f"exit code {code}"
                        )
                        pool[i] = self._fail_worker(
                            w,
                            ctx,
                            init,
                            stats,
                            progress,
                            (
                                f"worker died ({why}); the stage's memory limit or a crash in a "
                                "native library are likely causes"
                            ),
                        )
                    elif w.started is not None and time.monotonic() >= w.deadline:
                        stage = w.inflight[0][1]
                        limit = self._timeout_for(stage)
                        pool[i] = self._fail_worker(
                            w, ctx, init, stats, progress, f"timed out after {limit:g} s"
                        )
                if done:
                    self._fill(pool)  # they work while we commit
                    self._commit(done, stats, progress)
                if self._sealing is not None:
                    self._fill(pool)
                    self._feed(progress)
                self._note_idle(pool)
        except BaseException:
            for w in pool:
                w.kill()
            with self.archive.catalog.session() as s:
                job_repo.recover(s)
            raise
        for w in pool:
            w.stop()
        stats.elapsed_s = time.monotonic() - started
        return stats

    def _receive(self, w: _Worker, done: list[tuple[JobOutcome, str]], progress: Progress) -> None:
        """Handle every message a worker has sent so far; finished jobs go to `done`."""
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg == "ready":
                    w.ready = True
                elif msg[0] == "started":
                    w.started = msg[1]
                    w.deadline = time.monotonic() + self._timeout_for(w.inflight[0][1])
                elif msg[0] == "progress":
                    if w.inflight:
                        progress.job_progress(msg[1], w.inflight[0][1], msg[2])
                elif msg[0] == "done":
                    outcome: JobOutcome = msg[1]
                    _job, stage = w.inflight.popleft()
                    w.started, w.deadline = None, float("inf")
                    progress.job_progress(outcome.job_id, stage, None)
                    n, seconds = self._times.get(stage, (0, 0.0))
                    self._times[stage] = (n + 1, seconds + outcome.duration_s)
                    done.append((outcome, stage))
        except (EOFError, OSError):
            return  # the sentinel tells the rest

    def _fail_worker(
        self,
        w: _Worker,
        ctx: Any,
        init: WorkerInit,
        stats: RunStats,
        progress: Progress,
        error: str,
    ) -> _Worker:
        """Kill a worker: its current job fails with `error`, the jobs queued behind it wait."""
        w.kill()
        # What it had decrypted goes with it (its folder in the RAM work space).
        shutil.rmtree(Path(init.tmp_root) / f"w{w.proc.pid}", ignore_errors=True)
        if w.inflight:
            job_id, stage = w.inflight.popleft()
            self._commit([(JobOutcome(job_id, False, error=error), stage)], stats, progress)
        if w.inflight:
            waiting = [j for j, _s in w.inflight]
            with self.archive.catalog.session() as s:
                job_repo.requeue(s, waiting)
            self.queue.requeue(waiting)
        return _Worker(ctx, init, self._idle)

    def _timeout_for(self, stage: str) -> float:
        if self.timeout_override:
            return float(self.timeout_override)
        st = self.registry.get(stage)
        return float(st.timeout_s or self.timeout_s)

    def _quick(self, stage: str) -> bool:
        """Jobs of this stage may be held several at a time by one worker (see QUICK_S)."""
        n, seconds = self._times.get(stage, (0, 0.0))
        if n < QUICK_AFTER or seconds / n >= QUICK_S:
            return False
        try:
            return not self.registry.get(stage).reads_text
        except ConfigError:
            return False

    def _fill(self, pool: list[_Worker]) -> None:
        """Hand every ready worker with room the jobs it should run next: the first whose
        item no other worker is on (see `choose_job`); more than PREFETCH only of quick
        stages."""
        for w in pool:
            if not w.ready or not self.queue:
                continue
            held = [stage for _j, stage in w.inflight]
            busy = {
                self.item_of.get(j, "")
                for other in pool
                if other is not w
                for j, _s in other.inflight
            }
            taken: list[int] = []
            while self.queue and len(held) < QUICK_PREFETCH:
                pos = choose_job(self.queue, self.item_of, busy)
                stage = self.stage_of.get(self.queue[pos], "")
                if len(held) >= PREFETCH and not all(map(self._quick, [*held, stage])):
                    break
                if not self._may_take(w, pool, self.queue[pos], taken):
                    break
                taken.append(self.queue.pop(pos))
                held.append(stage)
            if taken:
                self._dispatch(w, taken)

    def _may_take(self, w: _Worker, pool: list[_Worker], job_id: int, taken: list[int]) -> bool:
        """While `ingest --run` is still sealing, one worker is kept for the jobs that make
        text: a job that reads text (claims, entities: seconds each) may go to every worker
        but one, so the next batch's text extraction never waits behind them. Searchable
        comes first; with one worker, or once sealing is over, every worker takes any job."""
        if self._sealing is None or len(pool) < 2 or self.queue.tier(job_id) < 2:
            return True
        reading = [
            other
            for other in pool
            if any(self.queue.tier(j) == 2 for j, _s in other.inflight)
            or (other is w and any(self.queue.tier(j) == 2 for j in taken))
        ]
        return w not in reading and len(reading) < len(pool) - 1

    def _dispatch(self, w: _Worker, job_ids: list[int]) -> None:
        specs = []
        with self.archive.catalog.session() as s:
            for job_id in job_ids:
                job = s.get_one(Job, job_id)
                spec = jobs.spec_for(s, job, self.memory_mb, self.registry)
                if self.memory_override:
                    spec.memory_mb = self.memory_override
                specs.append(spec)
            job_repo.mark_running(s, job_ids)
        for spec in specs:
            w.inflight.append((spec.job_id, spec.stage))
            w.conn.send(spec)

    def _commit(
        self, done: list[tuple[JobOutcome, str]], stats: RunStats, progress: Progress
    ) -> None:
        """Record finished jobs in one transaction, with the jobs they make possible."""
        fresh: list[int] = []

        def record(s: Any, outcomes: list[JobOutcome]) -> None:
            touched: list[str] = []
            for outcome in outcomes:
                touched.extend(jobs.commit_outcome(s, outcome, self.actor))
            planned = jobs.plan(s, self.registry, list(dict.fromkeys(touched)))
            fresh[:] = [j for j in planned if j not in self.queued]
            if fresh:
                self._enqueue(s, fresh)  # in the same transaction

        try:
            with self.archive.catalog.session() as s:
                record(s, [o for o, _stage in done])
        except (ValueError, OverflowError, UnicodeError, SQLAlchemyError) as exc:
            # A result the catalog cannot hold (an odd date, unencodable text...) fails that
            # job only; the transaction above was rolled back as a whole.
            self.queue.discard(set(fresh))  # queued by the transaction rolled back
            if len(done) > 1:
                for one in done:  # which one it was: each on its own
                    self._commit([one], stats, progress)
                return
            ((failed, stage),) = done
            done = [(JobOutcome(failed.job_id, False, error=f"result not recorded: {exc}"), stage)]
            with self.archive.catalog.session() as s:
                record(s, [done[0][0]])
        for outcome, stage in done:
            if outcome.ok:
                stats.done += 1
            else:
                stats.failed += 1
                stats.failures.append((outcome.job_id, stage, outcome.error or ""))
            progress.advance(stage, outcome.ok)
        if fresh:
            self.queued.update(fresh)
            self.total += len(fresh)
            progress.total(self.total)
