"""Releasing a publication copy: checked again, from its files, before anything is written.

The catalog alone is not trusted here. A status flipped to "passed" by someone who can edit
the database, findings deleted from the copy's row, a blob swapped in the store: each would
otherwise let a copy out that the leak check never passed. So the files are re-hashed and
scanned again, and the copy is written only when what the scan finds is what the catalog
says, and every finding is either absent or resolved by a person (`copy_decisions`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from sijill.archive.copy_decisions import (
    FAILED,
    WRITABLE,
    finding_key,
    findings_json,
    resolution_json,
    same_findings,
    status_for,
    terms_fingerprint,
    valid_resolutions,
)
from sijill.archive.terms import list_terms
from sijill.errors import LeakFound, NotFound
from sijill.storage import custody
from sijill.storage.archive import Archive
from sijill.storage.blobs import sha256_file
from sijill.storage.models import PublicationCopy


def write_copy(
    archive: Archive,
    copy_id: int,
    out: Path,
    actor: str,
    *,
    scanned: list[dict[str, Any]] | None = None,
) -> list[Path]:
    """Write a publication copy that passed its leak check to `out` (a custody event).

    The catalog alone is not trusted: a status flipped to "passed" or findings edited away
    must not release a copy. So every file is re-hashed against its recorded sha256 and
    scanned again with today's terms (`scanned`: the findings of a scan this process just
    made of the same bytes); the findings must be the stored ones, and the status must follow
    from them and the copy's valid resolutions. Anything else marks the copy failed (a
    custody event) and nothing is written.
    """
    from sijill.leakcheck import scan

    with archive.catalog.session() as s:
        row = s.get(PublicationCopy, copy_id)
        if row is None:
            raise NotFound(f"no publication copy {copy_id}")
        if row.status not in WRITABLE:
            raise LeakFound(
                f"publication copy {copy_id} did not pass the leak check; it cannot leave"
            )
        files, item_id, status = list(row.files), row.item_id, row.status
        stored = list(row.findings)
        resolved = valid_resolutions(s, row)
        resolutions = [resolution_json(r) for r in resolved.values()]
        terms = [t.term for t in list_terms(s, row.case_id)]
        stale = (row.params or {}).get("terms_fingerprint") != terms_fingerprint(terms)
        speech = bool((row.params or {}).get("speech_check", True))
    archive.unlock()
    stage = Path(tempfile.mkdtemp(prefix=f"copy-{copy_id}-", dir=archive.work_dir()))
    try:
        staged = []
        for f in files:
            dest = stage / Path(f["name"]).name
            archive.blobs.fetch_to(f["blob"], dest)
            if sha256_file(dest)[0] != f["sha256"]:
                _refuse(archive, copy_id, actor, None, f"{f['name']} does not match its hash")
            staged.append(dest)
        if scanned is None or stale:
            scanned = findings_json(scan(staged, terms=terms, speech=speech))
        if not same_findings(scanned, stored):
            new = {finding_key(f) for f in scanned} - {finding_key(f) for f in stored}
            why = (
                f"it no longer passes the leak check with the case's current protected terms "
                f"({len(scanned)} findings)"
                if stale and new
                else f"its files give {len(scanned)} findings, the catalog records "
                f"{len(stored)} ({len(new)} not recorded)"
            )
            _refuse(archive, copy_id, actor, scanned, why, terms)
        backed = status_for(scanned, files, resolved)
        if backed != status:
            _refuse(
                archive, copy_id, actor, scanned, f"its status {status!r} is not backed by "
                f"the re-check ({backed}: {len(scanned) - len(resolved)} unresolved findings)",
            )  # fmt: skip
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for src in staged:
            dest = out / src.name
            shutil.move(src, dest)
            written.append(dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    with archive.catalog.session() as s:
        custody.append(
            s,
            actor,
            "publication_copy_written",
            item_id,
            {
                "copy": copy_id,
                "files": [p.name for p in written],
                "to": out.name,
                "status": status,
                "resolutions": [
                    {k: r[k] for k in ("finding", "verdict", "note", "by")} for r in resolutions
                ],
            },
        )
    return written


def _refuse(
    archive: Archive,
    copy_id: int,
    actor: str,
    findings: list[dict[str, Any]] | None,
    why: str,
    terms: list[str] | None = None,
) -> NoReturn:
    """Mark the copy failed (with what the re-check found), record why, refuse to write."""
    with archive.catalog.session() as s:
        row = s.get_one(PublicationCopy, copy_id)
        row.status = FAILED
        if findings is not None:
            row.findings = findings
        if terms is not None:
            row.params = {**(row.params or {}), "terms_fingerprint": terms_fingerprint(terms)}
        custody.append(
            s,
            actor,
            "publication_copy_failed_recheck",
            row.item_id,
            {"copy": copy_id, "why": why, "findings": len(row.findings)},
        )
    raise LeakFound(
        f"publication copy {copy_id} was checked again before writing: {why}; "
        "nothing written, the copy is marked failed"
    )
