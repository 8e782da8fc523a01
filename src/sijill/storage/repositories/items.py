"""SQL for items and their receipts: registering a file that arrived (ingested, or extracted
from a container by a stage) with its custody event, in the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sijill.storage import custody
from sijill.storage.models import Item, Receipt
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
