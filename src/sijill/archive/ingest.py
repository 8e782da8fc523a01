"""Ingest: seal files into the archive (hash, identify, encrypt) and record their receipt."""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as date_cls
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sijill.errors import ConfigError
from sijill.storage.archive import DEFAULT_CASE, Archive
from sijill.storage.blobs import sha256_file
from sijill.storage.repositories import items as items_repo
from sijill.storage.repositories.items import register_item
from sijill.tools.identify import identify


@dataclass
class IngestOutcome:
    path: str
    item_id: str | None
    status: str  # new, duplicate, skipped, error
    message: str = ""
    kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "item_id": self.item_id,
            "status": self.status,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class IngestReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def walk(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, problem) for every regular file under the paths; never follows symlinks."""
    for p in paths:
        try:
            st = p.lstat()
        except OSError as exc:
            yield p, f"cannot read: {exc.strerror}"
            continue
        if stat.S_ISLNK(st.st_mode):
            yield p, "symbolic link not followed"
        elif stat.S_ISDIR(st.st_mode):
            entries = []
            try:
                entries = sorted(os.scandir(p), key=lambda e: e.name)
            except OSError as exc:
                yield p, f"cannot list: {exc.strerror}"
            yield from walk([Path(e.path) for e in entries])
        elif stat.S_ISREG(st.st_mode):
            yield p, None
        else:
            yield p, "not a regular file"


def ingest(
    archive: Archive,
    paths: list[Path],
    *,
    case: str | None = None,
    source: str | None = None,
    actor: str,
    on_file: Callable[[Path], None] | None = None,
    witness: str | None = None,
    date: str | None = None,
) -> IngestReport:
    """Seal every file under `paths` into `case`.

    `witness` (a codename) says who speaks in these files; `date` (YYYY-MM-DD) is when they
    were recorded or written, which relative dates in them count from.
    """
    report = IngestReport()
    for _ids in ingest_batches(
        archive,
        paths,
        report=report,
        case=case,
        source=source,
        actor=actor,
        on_file=on_file,
        witness=witness,
        date=date,
    ):
        pass
    return report


def check_request(
    paths: list[Path], *, witness: str | None = None, date: str | None = None
) -> dict[str, Any]:
    """The item info an ingest gives its files; ConfigError for a path that does not exist
    or a date that is not YYYY-MM-DD (checked before any work starts)."""
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise ConfigError(f"{p}: no such file or directory")
    info: dict[str, Any] = {}
    if witness:
        info["witness"] = witness.strip()
    if date:
        try:
            info["date"] = date_cls.fromisoformat(date.strip()).isoformat()
        except ValueError as exc:
            raise ConfigError(f"--date {date!r}: write it as YYYY-MM-DD") from exc
    return info


def ingest_batches(
    archive: Archive,
    paths: list[Path],
    *,
    report: IngestReport,
    case: str | None = None,
    source: str | None = None,
    actor: str,
    on_file: Callable[[Path], None] | None = None,
    witness: str | None = None,
    date: str | None = None,
    batch_seconds: float | None = None,
) -> Generator[list[str], None, None]:
    """`ingest`, one committed batch at a time: yields the ids of the items each catalog
    transaction received (new or again), so that `sijill ingest --run` can process them
    while the next files are sealed. Outcomes go into `report` as they happen.

    The paths and options are checked before anything is sealed; an ill-formed one raises
    on the first step. A consumer that stops early still gets what was sealed committed.
    """
    info = check_request(paths, witness=witness, date=date)
    case_id = archive.ensure_case(case or DEFAULT_CASE)
    archive_root = archive.root.resolve()
    sealed = 0  # bytes this command has taken so far, against SIJILL_MAX_INGEST_BYTES
    batch = _Batch(archive, batch_seconds)
    try:
        for path, problem in walk(paths):
            if on_file:
                on_file(path)
            if problem:
                report.outcomes.append(IngestOutcome(str(path), None, "skipped", problem))
                continue
            if path.resolve().is_relative_to(archive_root):
                report.outcomes.append(
                    IngestOutcome(str(path), None, "skipped", "inside the archive itself")
                )
                continue
            refusal = _over_limit(archive, path, sealed)
            if refusal:
                report.outcomes.append(IngestOutcome(str(path), None, "skipped", refusal))
                continue
            try:
                outcome = _ingest_file(batch.session(), archive, path, case_id, source, actor, info)
                report.outcomes.append(outcome)
                if outcome.item_id is not None:
                    batch.items.append(outcome.item_id)
                if outcome.status == "new":
                    sealed += path.stat().st_size
            except OSError as exc:
                report.outcomes.append(IngestOutcome(str(path), None, "error", str(exc)))
            committed = batch.after_file()
            if committed:
                yield committed
        committed = batch.commit()
        if committed:
            yield committed
    finally:
        batch.close()


class _Batch:
    """Files sealed a few at a time in one catalog transaction (one savepoint per file).

    One transaction per file cost more than the sealing itself. A batch is committed after
    BATCH_FILES files or BATCH_SECONDS, whichever comes first, and at the end; each file's
    blob is written and synced before its records, so a command killed mid-batch loses only
    the records of that batch (its blobs are found again by name when the files are
    ingested again), never a record without its blob."""

    BATCH_FILES = 50
    BATCH_SECONDS = 0.5  # a `sijill run` beside it waits at most this long to commit

    def __init__(self, archive: Archive, seconds: float | None = None) -> None:
        self._archive = archive
        self._seconds = self.BATCH_SECONDS if seconds is None else seconds
        self._cm: Any = None
        self._s: Session | None = None
        self._count = 0
        self._since = 0.0
        self.items: list[str] = []  # received in the open transaction

    def session(self) -> Session:
        if self._s is None:
            self._cm = self._archive.catalog.session()
            self._s = self._cm.__enter__()
            self._count, self._since = 0, time.monotonic()
        return self._s

    def after_file(self) -> list[str]:
        """Commit when the batch is full or old enough; the item ids it committed."""
        self._count += 1
        if self._count >= self.BATCH_FILES or time.monotonic() - self._since > self._seconds:
            return self.commit()
        return []

    def commit(self) -> list[str]:
        items, self.items = self.items, []
        if self._cm is not None:
            cm, self._cm, self._s = self._cm, None, None
            cm.__exit__(None, None, None)
        return items

    def close(self) -> None:
        """Commit what the batch's files sealed, also when an error ends the ingest (the
        failing file's savepoint is already rolled back)."""
        failing = sys.exc_info()[0] is not None
        try:
            self.commit()
        except Exception:
            if not failing:
                raise


def _over_limit(archive: Archive, path: Path, sealed: int) -> str | None:
    """Why a file is refused by the size limits (settings), or None.

    Checked before a byte is read: a 2 GB sparse file (no disk space, 2 GB of zeros to hash
    and seal) is stopped with the setting that refuses it."""
    try:
        st = path.stat()
    except OSError:
        return None  # reading it fails next, with the reason
    limit = archive.settings.max_file_bytes
    if st.st_size > limit:
        allocated = st.st_blocks * 512
        sparse = (
            f"; only {_bytes(allocated)} of it is stored on disk (a sparse file)"
            if allocated < st.st_size // 8
            else ""
        )
        return (
            f"refused: {_bytes(st.st_size)} is over the ingest limit of {_bytes(limit)} per "
            f"file{sparse} (setting SIJILL_MAX_FILE_BYTES)"
        )
    total = archive.settings.max_ingest_bytes
    if sealed + st.st_size > total:
        return (
            f"refused: this ingest has already taken {_bytes(sealed)} and this file would "
            f"pass the limit of {_bytes(total)} per command (setting SIJILL_MAX_INGEST_BYTES)"
        )
    return None


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit} ({n} bytes)"
    return f"{n} bytes"


def _ingest_file(
    s: Session,
    archive: Archive,
    path: Path,
    case_id: str,
    source: str | None,
    actor: str,
    info: dict[str, Any] | None = None,
) -> IngestOutcome:
    sha, size = sha256_file(path)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    existing = items_repo.by_content(s, case_id, sha)
    if existing is None:
        mime, desc = identify(path)
        blob_name = archive.blobs.put_file(path, sha).name
    else:
        mime, desc, blob_name = existing.mime, existing.description, existing.blob
    with s.begin_nested():  # this file's records, or none of them
        item, created = register_item(
            s,
            case_id=case_id,
            sha256=sha,
            size=size,
            blob=blob_name,
            name=path.name,
            mime=mime,
            description=desc,
            actor=actor,
            source=source,
            file_mtime=mtime,
            info=info,
            found=(existing,),
        )
        kind = item.kind
        item_id = item.id
    return IngestOutcome(
        str(path),
        item_id,
        "new" if created else "duplicate",
        "" if created else "same content already in the archive",
        kind,
    )
