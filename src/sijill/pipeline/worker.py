"""Worker processes of the local runner: each runs one job at a time, inside limits.

A worker gets the archive identity once, over its pipe, and holds it only in memory. It
decrypts the job's original into a private folder in RAM (its own subfolder of the runner's
work space, `storage/workspace.py`, where its temp files and its tools' go too), runs the
stage, seals any files the stage produced, and sends back the result; the parent alone
writes to the catalog.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sijill.errors import InputRejected, SijillError, ToolMissing
from sijill.pipeline.captured import captured
from sijill.pipeline.stage import ItemInfo, SourceMention, SourceUnit, StageResult
from sijill.storage.blobs import LocalBlobStore, StoredBlob
from sijill.storage.crypto import Keyring
from sijill.storage.workspace import attach_worker, ram_check
from sijill.text.normalise import normalize
from sijill.tools import drop_secrets
from sijill.tools.exiftool import close_tools, die_with_parent


@dataclass
class JobSpec:
    job_id: int
    stage: str
    config: dict[str, Any]
    item: ItemInfo
    blob: str
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory_mb: int = 3072
    text_units: list[SourceUnit] = field(default_factory=list)
    mentions: list[SourceMention] = field(default_factory=list)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class JobOutcome:
    job_id: int
    ok: bool
    result: StageResult | None = None
    error: str | None = None
    status: str | None = None  # item status for rejected input (encrypted, invalid...)
    duration_s: float = 0.0


@dataclass
class WorkerInit:
    keys_dir: str
    blobs_root: str
    tmp_root: str
    identity: str
    device: str = "auto"
    threads: int = 1


class _Context:
    def __init__(
        self,
        spec: JobSpec,
        input_path: Path,
        workdir: Path,
        blobs: LocalBlobStore,
        report: Callable[[float], None] | None = None,
    ):
        self.item = spec.item
        self.config = spec.config
        self.input_path = input_path
        self.workdir = workdir
        self.previous = spec.previous
        self.text_units = spec.text_units
        self.mentions = spec.mentions
        self.metadata = spec.metadata
        self._blobs = blobs
        self._report = report
        self._last = 0.0

    def progress(self, fraction: float) -> None:
        import time

        now = time.monotonic()
        if self._report is not None and now - self._last >= 0.5:  # at most twice a second
            self._last = now
            self._report(min(1.0, max(0.0, float(fraction))))

    def store_file(self, path: Path) -> StoredBlob:
        return self._blobs.put_file(path)

    def store_bytes(self, data: bytes) -> StoredBlob:
        return self._blobs.put_bytes(data)


def _set_memory_limit(mb: int) -> None:
    limit = mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        limit = hard
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _finish_text(result: StageResult) -> None:
    from sijill.pipeline.langid import detect

    for unit in result.text_units:
        if unit.lang is None:
            unit.lang, unit.lang_confidence = detect(unit.text)
        unit.norm = normalize(unit.text)


def run_job(
    spec: JobSpec,
    blobs: LocalBlobStore,
    tmp_root: Path,
    report: Callable[[float], None] | None = None,
) -> JobOutcome:
    import time

    from sijill.pipeline.registry import default_registry

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"job{spec.job_id}-", dir=tmp_root))
    try:
        stage = default_registry().get(spec.stage)
        input_path = workdir / "original"
        # The original and what the stage makes from it (about as much again) must fit in
        # RAM: decrypted files never go to a disk.
        ram_check(tmp_root, 2 * spec.item.size, f"item {spec.item.id} ({spec.stage})")
        blobs.fetch_to(spec.blob, input_path)
        ctx = _Context(spec, input_path, workdir, blobs, report)
        _set_memory_limit(spec.memory_mb)
        try:
            # What libraries say about a damaged file belongs to this job, not the terminal.
            with captured() as notes:
                result = stage.run(ctx)
                _finish_text(result)
            result.warnings.extend(n for n in notes if n not in result.warnings)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        return JobOutcome(spec.job_id, True, result, duration_s=time.monotonic() - started)
    except InputRejected as exc:
        return JobOutcome(
            spec.job_id,
            False,
            error=str(exc),
            status=exc.status,
            duration_s=time.monotonic() - started,
        )
    except SijillError as exc:
        return JobOutcome(spec.job_id, False, error=str(exc), duration_s=time.monotonic() - started)
    except MemoryError:
        return JobOutcome(
            spec.job_id,
            False,
            error=f"memory limit of {spec.memory_mb} MB exceeded",
            duration_s=time.monotonic() - started,
        )
    except Exception as exc:  # noqa: BLE001 - any stage bug is recorded on the item, run goes on
        tb = traceback.format_exception(exc, limit=-3)
        return JobOutcome(
            spec.job_id,
            False,
            error=f"{type(exc).__name__}: {exc}",
            status=None,
            duration_s=time.monotonic() - started,
            result=StageResult(data={"traceback": "".join(tb)[-2000:]}),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def worker_main(conn: Connection, idle: Any = None) -> None:
    """Entry point of a worker process: receive JobSpecs until None. `idle` is the runner's
    shared count of idle workers (`pipeline.threads.idle_workers`).

    Sends "ready" once, then for each job ("started", job id) and ("done", JobOutcome); the
    parent may queue the next job in the pipe while this one runs.
    """
    die_with_parent()
    # The identity comes over the pipe: no passphrase or other secret stays in reach of a
    # library parsing a hostile file here (its parent withholds them at spawn, too).
    drop_secrets()
    os.setpgrp()  # the parent kills our whole group (us and any tool we started) on timeout
    # Tesseract gets OMP_THREAD_LIMIT=1 in its own environment. Here it must not be set:
    # CTranslate2 silently decodes garbage when the limit is below its thread count.
    os.environ.pop("OMP_THREAD_LIMIT", None)
    # CTranslate2 on MKL reserves about 1 GB of address space per Whisper model loaded (base
    # 1.1 GB, tiny.en 0.8 GB, though both use under 250 MB), and a job's memory limit is an
    # address-space limit: with both models of "auto" a 2.6 GB job failed to load them at all.
    # Without MKL (oneDNN/ruy kernels) they reserve 0.18 and 0.13 GB; transcription measured
    # 6% slower here, same words. A user's own setting wins.
    os.environ.setdefault("CT2_USE_MKL", "0")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Load stages and models first: this overlaps with the parent unlocking the identity,
    # and start-up never counts against the first job's time limit.
    from sijill.pipeline.langid import warm_up
    from sijill.pipeline.registry import default_registry
    from sijill.tools.exiftool import exiftool

    default_registry()
    warm_up()
    try:
        exiftool()  # Perl's start-up belongs to the worker, not to its first job
    except ToolMissing:
        pass  # the metadata stage reports it on each item
    try:
        init: WorkerInit | None = conn.recv()
    except EOFError:
        return
    if init is None:
        return
    os.environ["SIJILL_DEVICE"] = init.device
    os.environ["SIJILL_WORKER_THREADS"] = str(init.threads)
    from sijill.pipeline.threads import share_idle

    share_idle(idle)
    keys = Keyring(Path(init.keys_dir))
    keys.unlock_with_identity(init.identity)
    blobs = LocalBlobStore(Path(init.blobs_root), keys)
    tmp_root = attach_worker(Path(init.tmp_root))
    conn.send("ready")
    prepared: set[str] = set()
    try:
        while True:
            try:
                spec = conn.recv()
            except EOFError:
                return
            if spec is None:
                return
            if spec.stage not in prepared:
                # Model loading belongs to the worker, not to its first job's time limit.
                prepared.add(spec.stage)
                try:
                    default_registry().get(spec.stage).prepare()
                except Exception:  # noqa: BLE001 - the job itself will report the problem
                    pass
            conn.send(("started", spec.job_id))
            job_id = spec.job_id

            def report(fraction: float, job_id: int = job_id) -> None:
                conn.send(("progress", job_id, fraction))

            conn.send(("done", run_job(spec, blobs, tmp_root, report)))
    finally:
        close_tools()
