"""Files sent from a browser: received in chunks, sealed as `sijill ingest` seals them, then
processed in the background as `sijill run` processes them.

While it arrives, an upload lives in this process's RAM work space (storage/workspace.py),
never on a disk in clear; a restart forgets uploads in progress (they are sent again). Chunks
come in order: each names the offset it starts at, and one that does not start where the
last ended is refused with the offset expected, so a browser can resume after an error.
When the last byte is in, the file is sealed with `ingest_batches` (the same checks, limits,
custody events and item records as the CLI) under the name it had on the sender's machine
(its folder part dropped), and the copy in RAM is removed.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sijill.archive.access import Can, require
from sijill.archive.context import Context
from sijill.archive.ingest import IngestReport, check_request, ingest_batches
from sijill.errors import ConfigError, NotFound, RunnerBusy, StageError
from sijill.storage.archive import Archive

log = logging.getLogger("sijill.uploads")
MAX_CHUNK = 16 << 20
IDLE_S = 3600  # an upload not continued for an hour is dropped


@dataclass
class Upload:
    id: str
    user: str
    case: str
    name: str
    size: int
    info: dict[str, Any]
    path: Path
    received: int = 0
    touched: float = 0.0

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "size": self.size, "received": self.received}


def may_upload(ctx: Context, case: str) -> None:
    """NotFound outside the person's cases, Forbidden below investigator."""
    require(ctx.actor, case, Can.INVESTIGATE)


def safe_name(name: str) -> str:
    """The file's own name, without any folder part or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable()).strip()
    base = base.lstrip(".") or "upload"
    return base[:200]


class Uploads:
    """Uploads in progress, for one app (one archive)."""

    def __init__(self, archive: Archive, clock: Callable[[], float] = time.monotonic) -> None:
        self._archive = archive
        self._clock = clock
        self._open: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def start(
        self,
        ctx: Context,
        case: str,
        name: str,
        size: int,
        *,
        witness: str | None = None,
        date: str | None = None,
    ) -> Upload:
        may_upload(ctx, case)
        if size < 0:
            raise ConfigError("a file's size cannot be negative")
        if size > self._archive.settings.max_ingest_bytes:
            raise ConfigError("this file is larger than the archive takes at once")
        info = check_request([], witness=witness, date=date)
        self._expire()
        from sijill.storage.workspace import ram_check

        root = self._archive.work_dir()
        try:
            ram_check(root, size, "this upload")
        except StageError as exc:
            raise ConfigError(
                str(exc).split("; decrypted")[0] + ": it is kept in RAM only"
            ) from exc
        uid = secrets.token_urlsafe(16)
        folder = root / f"upload-{uid}"
        folder.mkdir(mode=0o700)
        up = Upload(
            uid,
            ctx.actor.name,
            case,
            safe_name(name),
            size,
            info,
            folder / safe_name(name),
            touched=self._clock(),
        )
        up.path.touch(mode=0o600)
        with self._lock:
            self._open[uid] = up
        return up

    def _get(self, ctx: Context, upload_id: str) -> Upload:
        with self._lock:
            up = self._open.get(upload_id)
        if up is None or up.user != ctx.actor.name:
            raise NotFound("no such upload in progress (it may have expired: send it again)")
        return up

    def chunk(self, ctx: Context, upload_id: str, offset: int, data: bytes) -> Upload:
        up = self._get(ctx, upload_id)
        if len(data) > MAX_CHUNK:
            raise ConfigError(f"a chunk is at most {MAX_CHUNK} bytes")
        if offset != up.received:
            raise ConfigError(f"expected the chunk at offset {up.received}")
        if up.received + len(data) > up.size:
            raise ConfigError("more bytes than the file's announced size")
        with open(up.path, "ab") as f:
            f.write(data)
        up.received += len(data)
        up.touched = self._clock()
        return up

    def finish(self, ctx: Context, upload_id: str) -> dict[str, Any]:
        """Seal the whole file into its case: the ingest outcome (new or duplicate, item id)."""
        up = self._get(ctx, upload_id)
        if up.received != up.size:
            raise ConfigError(f"only {up.received} of {up.size} bytes have arrived")
        require(ctx.actor, up.case, Can.INVESTIGATE)
        report = IngestReport()
        try:
            for _ids in ingest_batches(
                self._archive,
                [up.path],
                report=report,
                case=up.case,
                source="upload",
                actor=ctx.actor.name,
                witness=up.info.get("witness"),
                date=up.info.get("date"),
            ):
                pass
        finally:
            self.cancel(ctx, upload_id)
        outcome = report.outcomes[0].to_json() if report.outcomes else {}
        outcome["path"] = up.name  # the RAM folder is nobody's business
        return outcome

    def cancel(self, ctx: Context, upload_id: str) -> None:
        up = self._get(ctx, upload_id)
        with self._lock:
            self._open.pop(upload_id, None)
        shutil.rmtree(up.path.parent, ignore_errors=True)

    def _expire(self) -> None:
        now = self._clock()
        with self._lock:
            old = [u for u in self._open.values() if now - u.touched > IDLE_S]
            for u in old:
                del self._open[u.id]
        for u in old:
            shutil.rmtree(u.path.parent, ignore_errors=True)


class Processor:
    """One background thread that processes what is pending (`sijill run`, then the case
    passes) whenever it is woken; a wake-up during a run makes one more run."""

    def __init__(self, archive: Archive, actor: str, workers: int | None = None) -> None:
        self._archive = archive
        self._actor = actor
        self._workers = workers or archive.settings.workers
        self._wake = threading.Event()
        self._stop = False
        self.running = False
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sijill-processor", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        self._stop = True
        self._wake.set()

    def _loop(self) -> None:
        from sijill.archive.casework import analyse_cases
        from sijill.pipeline.runner import Runner

        while not self._stop:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            self.running = True
            try:
                Runner(self._archive, workers=self._workers, actor=self._actor).run()
                analyse_cases(Context.custodian_of(self._archive, self._actor))
                self.last_error = None
            except RunnerBusy:
                # A `sijill run` beside us does the work; look again in a while.
                self.last_error = "another run is processing this archive"
                threading.Timer(10.0, self._wake.set).start()
            except Exception as exc:  # the thread must outlive one bad run
                log.exception("background processing failed")
                self.last_error = type(exc).__name__
            finally:
                self.running = False
