"""SQL for items and what hangs off them: registering a file that arrived (ingested, or
extracted from a container by a stage) with its custody event, in the caller's transaction;
lookups by id and content, text units, derivatives, copies, cases, perceptual hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.storage import custody
from sijill.storage.models import (
    Case,
    Derivative,
    Item,
    Job,
    MediaHash,
    PublicationCopy,
    Receipt,
    TextUnit,
)
from sijill.tools.identify import kind_of


def item_id_for(case_id: str, sha256: str) -> str:
    """Stable id: the same content in the same case is always the same item."""
    return hashlib.sha256(f"{case_id}:{sha256}".encode()).hexdigest()[:16]


def register_item(
    session: Session,
    *,
    case_id: str,
    sha256: str,
    size: int,
    blob: str,
    name: str,
    mime: str,
    description: str,
    actor: str,
    source: str | None,
    parent: Item | None = None,
    file_mtime: datetime | None = None,
    via: str = "ingest",
    info: dict[str, Any] | None = None,
    found: tuple[Item | None] | None = None,
) -> tuple[Item, bool]:
    """Create the item (or find it) and record this receipt and its custody event.

    Returns (item, created). The caller's transaction makes both records atomic. `found`
    is the caller's own lookup of the item, `(item or None,)`, when it has made one.
    """
    item_id = item_id_for(case_id, sha256)
    item = found[0] if found is not None else session.get(Item, item_id)
    created = item is None
    if item is None:
        kind = kind_of(mime)
        item = Item(
            id=item_id,
            case_id=case_id,
            sha256=sha256,
            size=size,
            name=name,
            mime=mime,
            kind=kind,
            description=description[:500],
            blob=blob,
            parent_id=parent.id if parent else None,
            depth=(parent.depth + 1) if parent else 0,
            source=source if source is not None else (parent.source if parent else None),
            status="empty" if kind == "empty" else "pending",
            status_reason="the file is empty (0 bytes)" if kind == "empty" else None,
            received_by=actor,
            info={**_inherited(parent), **(info or {})},
        )
        session.add(item)
        session.flush()
    elif info:
        # Received again with what the investigator now knows: fill in, never overwrite.
        missing = {k: v for k, v in info.items() if k not in (item.info or {})}
        if missing:
            item.info = {**(item.info or {}), **missing}
    session.add(
        Receipt(
            item_id=item_id,
            actor=actor,
            source=source,
            name=name,
            parent_id=parent.id if parent else None,
            file_mtime=file_mtime,
        )
    )
    details: dict[str, Any] = {"sha256": sha256, "size": size, "name": name, "mime": mime}
    if source:
        details["source"] = source
    if info:
        details.update(info)
    if parent is not None:
        details["parent_id"] = parent.id
    action = ("extracted" if parent is not None else via) if created else "received_again"
    custody.append(session, actor, action, item_id, details)
    return item, created


def _inherited(parent: Item | None) -> dict[str, Any]:
    """What a container's members take from it: the same witness tells them."""
    if parent is None or "witness" not in (parent.info or {}):
        return {}
    return {"witness": parent.info["witness"]}


def by_ids(session: Session, ids: Iterable[str]) -> dict[str, Item]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {i.id: i for i in session.execute(select(Item).where(Item.id.in_(wanted))).scalars()}


def by_content(session: Session, case_id: str, sha256: str) -> Item | None:
    """The item holding this content in this case, if one does."""
    return session.execute(
        select(Item).where(Item.case_id == case_id, Item.sha256 == sha256)
    ).scalar_one_or_none()


def in_arrival_order(session: Session) -> list[Item]:
    return list(session.execute(select(Item).order_by(Item.received_at, Item.id)).scalars())


def text_units(session: Session, item_id: str, kinds: Sequence[str]) -> list[TextUnit]:
    """An item's text units of these kinds, in time (then id) order."""
    return list(
        session.execute(
            select(TextUnit)
            .where(TextUnit.item_id == item_id, TextUnit.kind.in_(kinds))
            .order_by(TextUnit.start, TextUnit.id)
        ).scalars()
    )


def live_derivatives(session: Session, item_id: str, kinds: Sequence[str]) -> list[Derivative]:
    """The item's derivatives of these kinds made by jobs that finished."""
    done = select(Job.id).where(Job.item_id == item_id, Job.state == "done")
    return list(
        session.execute(
            select(Derivative).where(
                Derivative.item_id == item_id,
                Derivative.kind.in_(kinds),
                Derivative.job_id.in_(done),
            )
        ).scalars()
    )


def all_derivatives(session: Session) -> list[Derivative]:
    return list(session.execute(select(Derivative).order_by(Derivative.id)).scalars())


def all_copies(session: Session) -> list[PublicationCopy]:
    return list(session.execute(select(PublicationCopy).order_by(PublicationCopy.id)).scalars())


def case_ids(session: Session) -> list[str]:
    return list(session.execute(select(Case.id).order_by(Case.id)).scalars())


def cases_with_counts(session: Session) -> list[tuple[Case, int]]:
    counts = dict(session.execute(select(Item.case_id, func.count()).group_by(Item.case_id)).all())
    return [
        (c, int(counts.get(c.id, 0)))
        for c in session.execute(select(Case).order_by(Case.id)).scalars()
    ]


def media_hashes(
    session: Session,
    algo: str,
    min_quality: int,
    *,
    item_id: str | None = None,
    case_id: str | None = None,
    other_than: str | None = None,
) -> list[tuple[str, float | None, str, int]]:
    """(item id, time, hash, quality) of one item's or one case's perceptual hashes, in item
    and time order."""
    q = (
        select(MediaHash.item_id, MediaHash.t, MediaHash.hash, MediaHash.quality)
        .join(Item, Item.id == MediaHash.item_id)
        .where(MediaHash.algo == algo, MediaHash.quality >= min_quality)
    )
    if item_id is not None:
        q = q.where(Item.id == item_id)
    if case_id is not None:
        q = q.where(Item.case_id == case_id)
    if other_than is not None:
        q = q.where(Item.id != other_than)
    rows = session.execute(q.order_by(MediaHash.item_id, MediaHash.t, MediaHash.id)).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def hash_qualities(session: Session, item_id: str, algo: str) -> list[int]:
    return list(
        session.execute(
            select(MediaHash.quality).where(MediaHash.item_id == item_id, MediaHash.algo == algo)
        ).scalars()
    )
