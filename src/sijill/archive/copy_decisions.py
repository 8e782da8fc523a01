"""People's decisions on publication copies: leak-check findings resolved as false positives.

The leak check errs on the side of caution, so a street photo can hold a "face" and a
common word can look like a protected name. A person who looked may resolve such a finding
("not a face", "not a name", with a note); a copy whose every finding is resolved counts as
passed with resolutions and may be written, and what was waved through, by whom and why, is
said wherever the copy is shown or written.

A resolution names its finding by a hash of the finding's content (file, where, what, kind)
together with the hashes of the copy's files: it cannot be moved to another finding, and it
is void once the copy's files change. It must also be backed by the custody event that
recorded it, so a row slipped into the catalog by hand does not count. Metadata, stream,
structure and unreadable findings can never be resolved: they are facts about the file, not
a detector's opinion.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sijill.errors import ConfigError, NotFound
from sijill.storage import custody
from sijill.storage.models import CopyResolution, PublicationCopy
from sijill.storage.repositories import copies as copies_repo

# The verdict that may wave through each kind of finding; no other kind can be resolved.
VERDICTS = {"face": "not-a-face", "term": "not-a-name", "speech": "not-a-name"}
PASSED = "passed"
RESOLVED = "passed-with-resolutions"
FAILED = "failed"
WRITABLE = (PASSED, RESOLVED)
RESOLVED_EVENT = "publication_copy_finding_resolved"


def terms_fingerprint(terms: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(terms))).encode()).hexdigest()


def findings_json(findings: Sequence[Any]) -> list[dict[str, str]]:
    """Leak-check findings as stored with a copy: the file by its name only."""
    return [
        {"file": Path(f.file).name, "where": f.where, "what": f.what, "kind": f.kind}
        for f in findings
    ]


def files_digest(files: Sequence[dict[str, Any]]) -> str:
    """One hash for the exact files of a copy (names and contents)."""
    body = "\n".join(sorted(f"{f['name']}:{f['sha256']}" for f in files))
    return hashlib.sha256(body.encode()).hexdigest()


def finding_key(finding: dict[str, Any]) -> tuple[str, str, str, str]:
    return (finding["file"], finding["where"], finding["what"], finding["kind"])


def finding_sha(finding: dict[str, Any], files: Sequence[dict[str, Any]]) -> str:
    body = json.dumps([files_digest(files), *finding_key(finding)], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def same_findings(a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> bool:
    return sorted(map(finding_key, a)) == sorted(map(finding_key, b))


def resolution_json(r: CopyResolution) -> dict[str, Any]:
    return {
        "finding": r.finding_no,
        "finding_sha256": r.finding_sha256,
        "verdict": r.verdict,
        "note": r.note,
        "by": r.created_by,
        "at": r.created_at,
    }


def _event_details(r: CopyResolution) -> dict[str, Any]:
    return {
        "copy": r.copy_id,
        "finding": r.finding_no,
        "finding_sha256": r.finding_sha256,
        "verdict": r.verdict,
        "note": r.note,
    }


def _holds(details: dict[str, Any], mine: dict[str, Any]) -> bool:
    return all(details.get(k) == v for k, v in mine.items())


def valid_resolutions(session: Session, row: PublicationCopy) -> dict[str, CopyResolution]:
    """The copy's resolutions that still hold, by finding hash.

    Each must name a finding of this copy's current files, fit that finding's kind, and be
    backed by its custody event (same actor, same words).
    """
    rows = copies_repo.resolutions(session, row.id)
    events = [
        # The digests custody adds to a transaction's last event are not the person's words.
        (e.actor, {k: v for k, v in (e.details or {}).items() if k != "digests"})
        for e in copies_repo.events(session, row.item_id, RESOLVED_EVENT)
    ]
    kinds = {finding_sha(f, row.files): f["kind"] for f in row.findings}
    out: dict[str, CopyResolution] = {}
    for r in rows:
        kind = kinds.get(r.finding_sha256)
        if kind is None or VERDICTS.get(kind) != r.verdict:
            continue
        mine = _event_details(r)
        # Subset match: the custody log may add its own keys (record digests) to details.
        if any(a == r.created_by and _holds(d, mine) for a, d in events):
            out[r.finding_sha256] = r
    return out


def status_for(
    findings: Sequence[dict[str, Any]],
    files: Sequence[dict[str, Any]],
    resolved: dict[str, CopyResolution],
) -> str:
    """passed (nothing found), passed-with-resolutions (all resolved) or failed."""
    if not findings:
        return PASSED
    if all(finding_sha(f, files) in resolved for f in findings):
        return RESOLVED
    return FAILED


def resolve_finding(
    session: Session, copy_id: int, number: int, verdict: str, note: str, actor: str
) -> PublicationCopy:
    """Record that finding `number` (1-based) of copy `copy_id` is a false positive."""
    row = session.get(PublicationCopy, copy_id)
    if row is None:
        raise NotFound(f"no publication copy {copy_id}")
    if not 1 <= number <= len(row.findings):
        raise NotFound(f"publication copy {copy_id} has no finding {number}")
    note = " ".join(note.split())
    if not note:
        raise ConfigError("say why in --note: what the finding really is")
    finding = row.findings[number - 1]
    allowed = VERDICTS.get(finding["kind"])
    if allowed is None:
        raise ConfigError(
            f"finding {number} is a {finding['kind']} finding: it cannot be resolved (only a "
            "face or a name the check may have mistaken can); fix the item and protect again"
        )
    if verdict != allowed:
        raise ConfigError(f"finding {number} is a {finding['kind']} finding: use --{allowed}")
    sha = finding_sha(finding, row.files)
    if copies_repo.is_resolved(session, copy_id, sha):
        raise ConfigError(f"finding {number} of copy {copy_id} is already resolved")
    res = CopyResolution(
        copy_id=copy_id,
        finding_no=number,
        finding_sha256=sha,
        verdict=verdict,
        note=note,
        created_by=actor,
    )
    session.add(res)
    session.flush()
    custody.append(session, actor, RESOLVED_EVENT, row.item_id, _event_details(res))
    new = status_for(row.findings, row.files, valid_resolutions(session, row))
    if row.status in (FAILED, RESOLVED) and new != row.status:
        row.status = new
    return row


_BOX = re.compile(r"(\d+)x(\d+) px at \((\d+), (\d+)\)")
_TIMES = re.compile(r"frames? at (\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))? s")


def fill_hint(item_id: str, finding: dict[str, Any]) -> str | None:
    """The `sijill protect` option that fills what a face finding points at, if it can."""
    if finding["kind"] != "face" or finding["where"].startswith("page"):
        return None
    box = _BOX.search(finding["what"])
    area = "X,Y,W,H"
    if box:
        w, h, x, y = (int(v) for v in box.groups())
        # A margin of a quarter on every side: the check's box is a cascade's, not the head's.
        mx, my = w // 4, h // 4
        area = f"{max(0, x - mx)},{max(0, y - my)},{w + 2 * mx},{h + 2 * my}"
    times = _TIMES.search(finding["where"])
    span = ""
    if times:
        start = float(times.group(1))
        end = float(times.group(2) or start)
        # Half a second either side: the check samples frames, the face is there between.
        span = f"@{max(0.0, start - 0.5):.1f}-{end + 0.5:.1f}"
    return f"sijill protect {item_id} --region {area}{span}"
