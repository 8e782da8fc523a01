"""What a record says, as one digest: the custody event that creates or changes a record
carries its digest, and `verify` recomputes it from the row as it is now.

One canonical function per record type, used both when an event is written and when it is
checked. Digests live in the event's details under "digests", keyed "<type>:<id>"; a record
a transaction deleted is recorded as DELETED. A protected term's digest is keyed with a
secret only the unlocked identity yields: the custody log may be shown to a court or an
editor, and a plain hash of a short name could be matched against a list of names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage.models import (
    Item,
    ItemMetadata,
    ProtectedTerm,
    ProtectRegion,
    PublicationCopy,
    Receipt,
    Review,
    TextUnit,
)

DELETED = "deleted"
# A text unit's digest is shortened (128 bits stays out of reach of a second preimage):
# a long PDF's event lists one per page.
UNIT_HEX = 32


def _default(o: Any) -> Any:
    if isinstance(o, datetime):
        if o.tzinfo is not None:
            o = o.astimezone(UTC).replace(tzinfo=None)
        return o.isoformat()
    if isinstance(o, bytes):
        return o.hex()
    raise TypeError(f"cannot digest {type(o).__name__}")


def canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode()


def _sha(kind: str, obj: Any) -> str:
    return hashlib.sha256(f"sijill/{kind}/1\n".encode() + canonical(obj)).hexdigest()


def item_digest(i: Item) -> str:
    # status and info change as the pipeline works; what was received does not.
    fields = (i.id, i.case_id, i.sha256, i.size, i.name, i.mime, i.kind, i.description, i.blob)
    return _sha("item", [*fields, i.parent_id, i.depth, i.source, i.received_by, i.received_at])


def receipt_digest(r: Receipt) -> str:
    return _sha("receipt", [r.id, r.item_id, r.at, r.actor, r.source, r.name, r.parent_id])


def metadata_digest(m: ItemMetadata) -> str:
    return _sha("metadata", [m.id, m.item_id, m.job_id, m.source, m.data])


def unit_digest(u: TextUnit) -> str:
    fields = [u.id, u.item_id, u.job_id, u.stage, u.kind, u.seq, u.page, u.start, u.end]
    fields += [u.lang, u.method, u.text, u.norm, u.info, u.source_unit_id]
    return _sha("text_unit", fields)[:UNIT_HEX]


def job_units_digest(unit_ids: list[int]) -> str:
    """Which text units a job made: catches a unit added or deleted afterwards."""
    return _sha("job_units", sorted(unit_ids))


def copy_digest(c: PublicationCopy) -> str:
    files = [[f.get("name"), f.get("role"), f.get("sha256"), f.get("blob")] for f in c.files]
    return _sha("copy", [c.id, c.item_id, c.case_id, c.status, files, c.findings, c.params or {}])


def region_digest(r: ProtectRegion) -> str:
    return _sha("region", [r.id, r.item_id, r.x, r.y, r.w, r.h, r.start, r.end, r.note])


def review_digest(r: Review) -> str:
    fields = [r.id, r.case_id, r.kind, r.item_id, r.subject, r.question, r.answer, r.confidence]
    fields += [r.method, r.note, r.anchors, r.reviewer_id, r.reviewer, r.supersedes_id]
    return _sha("review", [*fields, r.created_at])


def term_digest(key: bytes, t: ProtectedTerm) -> str:
    body = canonical([t.id, t.case_id, t.term, t.kind, t.pseudonym, t.entity_id, t.created_by])
    return hmac.new(key, b"sijill/term/1\n" + body, hashlib.sha256).hexdigest()


def job_unit_digests(session: Session, job_id: int) -> dict[str, str]:
    """The digests of every text unit a job made, and of which ones it made."""
    units = list(
        session.execute(select(TextUnit).where(TextUnit.job_id == job_id).order_by(TextUnit.seq))
        .scalars()
        .all()
    )
    out = {f"text_unit:{u.id}": unit_digest(u) for u in units}
    out[f"job_units:{job_id}"] = job_units_digest([u.id for u in units])
    return out


# The record types events carry: model, key prefix, digest (None: needs the term key).
TRACKED: dict[type[Any], tuple[str, Callable[[Any], str] | None]] = {
    Item: ("item", item_digest),
    Receipt: ("receipt", receipt_digest),
    ItemMetadata: ("metadata", metadata_digest),
    TextUnit: ("text_unit", unit_digest),
    PublicationCopy: ("copy", copy_digest),
    ProtectRegion: ("region", region_digest),
    ProtectedTerm: ("term", None),
    Review: ("review", review_digest),
}
MODELS: dict[str, type[Any]] = {prefix: model for model, (prefix, _fn) in TRACKED.items()}

# The columns whose change makes a record's digest change (changes to others are not logged).
WATCHED: dict[type[Any], tuple[str, ...]] = {
    Item: (
        "case_id",
        "sha256",
        "size",
        "name",
        "mime",
        "kind",
        "description",
        "blob",
        "parent_id",
        "depth",
        "source",
        "received_by",
        "received_at",
    ),
}


def digest_of(obj: Any, term_key: bytes | None) -> str | None:
    """The digest of a tracked record (None for a term when the term key is unavailable)."""
    _prefix, fn = TRACKED[type(obj)]
    if fn is not None:
        return fn(obj)
    return term_digest(term_key, obj) if term_key is not None else None


def key_of(obj: Any) -> str:
    prefix, _fn = TRACKED[type(obj)]
    return f"{prefix}:{obj.id}"
