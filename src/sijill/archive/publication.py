"""Publication copies: make one from an item, leak-check it, store it, hand it out.

The copy is built from the sealed original (decrypted into the archive's private work
directory), the case's protected terms and the item's transcript or text. The leak check then
scans the files it made, with the case's terms, and its findings are stored with the copy.
Only a copy that passed (or whose every finding a person resolved, see `copy_decisions`) is
written out, and only after it is checked again: its files re-hashed and re-scanned, the
findings compared with the stored ones. A failed copy stays in the archive for review.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, object_session

from sijill.archive.copy_decisions import (
    FAILED,
    PASSED,
    WRITABLE,
    findings_json,
    resolution_json,
    terms_fingerprint,
    valid_resolutions,
)
from sijill.archive.copy_release import write_copy
from sijill.archive.terms import list_terms, propose
from sijill.errors import ConfigError, IntegrityError, NotFound, SijillError
from sijill.storage import custody, shapes
from sijill.storage.archive import Archive
from sijill.storage.blobs import sha256_file
from sijill.storage.models import Item, ProtectRegion, PublicationCopy, TextUnit
from sijill.storage.repositories import copies as copies_repo
from sijill.storage.repositories.item_views import resolve_item
from sijill.storage.workspace import ram_check
from sijill.tools import run_tool

LOSSLESS_IMAGES = ("image/png", "image/gif", "image/tiff", "image/bmp", "image/webp")


@dataclass
class ProtectOptions:
    face_mode: str = "solid"
    voice_mode: str = "revoice"
    accept_weak_voice: bool = False
    speech_check: bool = True
    # Re-voice or subtitle from a transcript nobody reviewed (recorded with the copy).
    accept_unreviewed: bool = False


@dataclass
class ProtectResult:
    copy: shapes.Copy
    files: list[Path] = field(default_factory=list)  # written to --out (only when passed)


def copy_json(c: PublicationCopy) -> shapes.Copy:
    s = object_session(c)
    resolved = valid_resolutions(s, c) if s is not None and c.findings else {}
    return {
        "id": c.id,
        "item": c.item_id,
        "case": c.case_id,
        "status": c.status,
        "passed": c.status in WRITABLE,
        "accepted_unreviewed": c.accepted_unreviewed,
        "resolutions": sorted(
            (resolution_json(r) for r in resolved.values()), key=lambda r: r["finding"]
        ),
        "files": [{k: v for k, v in f.items() if k != "blob"} for f in c.files],
        "findings": c.findings,
        "params": c.params,
        "report": c.report,
        "created_by": c.created_by,
        "created_at": c.created_at,
    }


def add_region(
    session: Session,
    ref: str,
    actor: str,
    box: tuple[int, int, int, int],
    *,
    start: float | None = None,
    end: float | None = None,
    note: str | None = None,
) -> ProtectRegion:
    item = resolve_item(session, ref)
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ConfigError("a region needs x, y ≥ 0 and a positive width and height")
    if start is not None and end is not None and end <= start:
        raise ConfigError("a region's end must come after its start")
    row = ProtectRegion(
        item_id=item.id, x=x, y=y, w=w, h=h, start=start, end=end, note=note, created_by=actor
    )
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor,
        "protect_region_added",
        item.id,
        {"region": row.id, "box": [x, y, w, h], "start": start, "end": end},
    )
    return row


def list_copies(session: Session, item: Item | None = None) -> list[PublicationCopy]:
    return copies_repo.of_item(session, item.id if item is not None else None)


def _build_kind(item: Item) -> str:
    if item.mime == "application/pdf":
        return "pdf"
    if item.kind in ("image", "video", "audio", "document", "email"):
        return item.kind
    raise ConfigError(
        f"item {item.id} is a {item.kind} ({item.mime}): it has no publication copy of its own"
        + ("; protect the items unpacked from it" if item.kind == "archive" else "")
    )


def _duration(path: Path) -> float | None:
    """Length of an original in seconds, probed with the same confinement as the pipeline's
    (plain file only, recording formats only)."""
    from sijill.tools.ffmpeg import input_options, source, tool

    cmd = [tool("ffprobe"), "-v", "error", *input_options()]
    cmd += ["-show_entries", "format=duration", "-of", "json", source(path)]
    proc = run_tool(cmd, capture_output=True, text=True, timeout=120, check=False)
    try:
        return float(json.loads(proc.stdout)["format"]["duration"])
    except (ValueError, KeyError, TypeError):
        return None


# The first version of each extractor that keeps what a reader never sees (comments, hidden
# runs and elements, deletions) out of the visible text units.
_HIDDEN_APART = {"office_text_extractor": 2, "email_unpacker": 2}


def _refuse_stale_text(s: Session, units: list[TextUnit]) -> None:
    """Text extracted by an older extractor still holds hidden text among what it shows."""
    jobs = {u.job_id for u in units if u.stage in _HIDDEN_APART}
    if not jobs:
        return
    for stage, version in copies_repo.stage_versions(s, jobs):
        if version < _HIDDEN_APART[stage]:
            raise ConfigError(
                f"this item's text was extracted by {stage} version {version}, which kept "
                "comments and hidden text in it; run `sijill run` to extract it again, then "
                "make the copy"
            )


def protect(
    archive: Archive,
    ref: str,
    actor: str,
    options: ProtectOptions,
    *,
    out: Path | None = None,
    progress: Any = None,
) -> ProtectResult:
    """Build, leak-check and store the publication copy of item `ref`."""
    from sijill.leakcheck import scan
    from sijill.protect.build import BuildInput, TimedText, build_copy
    from sijill.protect.faces import Region
    from sijill.protect.redact import ProtectedTerm, Redactor

    if options.voice_mode == "mcadams" and not options.accept_weak_voice:
        raise ConfigError(
            "the altered voice (McAdams) is weak: it can be undone or recognised. "
            "Pass --accept-weak-voice to use it anyway, or keep the default re-voicing"
        )
    if out is not None and out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; give a new or empty directory")
    archive.unlock()
    with archive.catalog.session() as s:
        item = resolve_item(s, ref)
        kind = _build_kind(item)
        item_id, case_id, sha, blob, mime = item.id, item.case_id, item.sha256, item.blob, item.mime
        size = item.size
        terms = [
            ProtectedTerm(term=t.term, pseudonym=t.pseudonym, kind=t.kind)
            for t in list_terms(s, case_id)
        ]
        regions = [
            Region(x=r.x, y=r.y, w=r.w, h=r.h, start=r.start, end=r.end)
            for r in copies_repo.regions(s, item_id)
        ]
        units = copies_repo.source_units(s, item_id)
        _refuse_stale_text(s, units)
        # A person's corrections of the transcript are what gets redacted and re-spoken.
        segments = [
            TimedText(
                text=(u.info or {}).get("reviewed_text", u.text),
                start=u.start,
                end=u.end,
                lang=u.lang,
            )
            for u in units
            if u.kind == "segment"
        ]
        reviewed = (item.info or {}).get("transcript_reviewed")
        # Comments, hidden and deleted text of a document (kind "hidden") are evidence to
        # search, never part of what a reader of the copy sees.
        pages = [
            TimedText(text=u.text, page=u.page, lang=u.lang)
            for u in units
            if u.kind not in ("segment", "hidden") and not (u.info or {}).get("hidden")
        ]
        # Names the machine found in this item that no protected term covers: the copy keeps
        # them, so they are shown to whoever made it.
        unprotected = [
            {"entity_id": p["entity_id"], "spellings": p["spellings"]}
            for p in propose(s, case_id, item_id=item_id)
        ]
    if kind in ("video", "audio") and options.voice_mode == "revoice" and not segments:
        raise ConfigError(
            f"item {item_id} has no transcript to re-voice: run `sijill run` first, "
            "or choose --voice none (subtitles only, no audio)"
        )
    accepted = _unreviewed_acceptance(item_id, kind, segments, reviewed, options, actor)
    work_root = archive.work_dir()  # in RAM: see storage/workspace.py
    # The original, the copy and its renders, in RAM only.
    ram_check(work_root, 3 * size, f"protecting item {item_id}")
    work = Path(tempfile.mkdtemp(prefix=f"protect-{item_id}-", dir=work_root))
    try:
        original = work / "original"
        archive.blobs.fetch_to(blob, original)
        if sha256_file(original)[0] != sha:
            raise IntegrityError(f"item {item_id}: the sealed original does not match its hash")
        inp = BuildInput(
            kind=kind,
            original=original,
            stem=item_id,
            redactor=Redactor(terms),
            segments=segments,
            pages=pages,
            regions=regions,
            face_mode=options.face_mode,
            voice_mode=options.voice_mode,
            duration=_duration(original) if kind in ("video", "audio") else None,
            lossless=mime in LOSSLESS_IMAGES,
        )
        try:
            built = build_copy(inp, work / "copy", progress=progress)
        except SijillError as exc:
            # Tools name the file they choke on: say which item, not where it was decrypted.
            exc.args = tuple(
                str(a).replace(str(original), f"item {item_id}") if isinstance(a, str) else a
                for a in exc.args
            )
            raise
        findings = scan(
            [p for p, _role in built.files],
            terms=[t.term for t in terms],
            speech=options.speech_check,
        )
        passed = not findings
        files: list[dict[str, Any]] = []
        for path, role in built.files:
            stored = archive.blobs.put_file(path)
            files.append(
                {
                    "name": path.name,
                    "role": role,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "blob": stored.name,
                }
            )
        review = None
        if built.review is not None:
            stored = archive.blobs.put_file(built.review)
            review = {"sha256": stored.sha256, "blob": stored.name}
        report = dict(built.report)
        if kind in ("video", "audio"):
            report["transcript_reviewed"] = bool(reviewed)
        report["unprotected_names"] = unprotected
        with archive.catalog.session() as s:
            row = PublicationCopy(
                item_id=item_id,
                case_id=case_id,
                status=PASSED if passed else FAILED,
                accepted_unreviewed=accepted,
                params={
                    "face_mode": options.face_mode,
                    "voice_mode": options.voice_mode,
                    "speech_check": options.speech_check,
                    "terms": len(terms),
                    "terms_fingerprint": terms_fingerprint([t.term for t in terms]),
                    "regions": len(regions),
                    **({"review_sheet": review} if review else {}),
                },
                files=files,
                report=report,
                findings=findings_json(findings),
                created_by=actor,
            )
            s.add(row)
            s.flush()
            custody.append(
                s,
                actor,
                "publication_copy_made",
                item_id,
                {
                    "copy": row.id,
                    "status": row.status,
                    "files": [{"name": f["name"], "sha256": f["sha256"]} for f in files],
                    "findings": len(findings),
                    **({"accepted_unreviewed": accepted} if accepted else {}),
                },
            )
            doc = copy_json(row)
        result = ProtectResult(copy=doc)
        if out is not None and passed:
            # The files were scanned a moment ago: the re-check before writing compares the
            # stored copy with that scan (its blobs re-hashed) instead of scanning again.
            result.files = write_copy(archive, doc["id"], out, actor, scanned=doc["findings"])
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unreviewed_acceptance(
    item_id: str,
    kind: str,
    segments: list[Any],
    reviewed: Any,
    options: ProtectOptions,
    actor: str,
) -> dict[str, Any] | None:
    """Refuse to re-voice or subtitle an unreviewed transcript unless the person accepts it.

    Whisper mishears names ("Abu Rayan" for "Abu Rayyan"); a misheard protected name is not
    recognised, so it would be spoken and subtitled. Only a person reading the transcript
    against the recording catches that. The refusal is a usage error (exit 2, like
    --accept-weak-voice): the person must choose, nothing was found yet.
    """
    uses = kind in ("video", "audio") and any(s.text.strip() for s in segments)
    if not uses or reviewed:
        return None
    if not options.accept_unreviewed:
        raise ConfigError(
            f"item {item_id}: nobody reviewed its transcript, and the copy re-speaks or "
            "subtitles it; a misheard protected name would not be recognised. Correct it "
            f"(`sijill transcript {item_id} --ids`, `--correct SEGMENT TEXT`) and mark it "
            "`--mark-reviewed`, or pass --accept-unreviewed to accept the risk (recorded)"
        )
    return {
        "by": actor,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "transcript": "unreviewed",
    }


def read_review(archive: Archive, copy_id: int, dest: Path) -> Path:
    with archive.catalog.session() as s:
        row = s.get(PublicationCopy, copy_id)
        if row is None:
            raise NotFound(f"no publication copy {copy_id}")
        sheet = (row.params or {}).get("review_sheet")
    if not sheet:
        raise NotFound(f"publication copy {copy_id} has no review sheet (nothing borderline)")
    archive.blobs.fetch_to(sheet["blob"], dest)
    return dest
