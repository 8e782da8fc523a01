"""Read-side repository: the listings and views that the CLI and web app show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.errors import NotFound
from sijill.storage import custody
from sijill.storage.custody import fmt_time
from sijill.storage.models import Derivative, Item, ItemMetadata, Job, Receipt, TextUnit
from sijill.storage.shapes import ItemDetail, ItemSummary, Status


def item_json(item: Item) -> ItemSummary:
    return {
        "id": item.id,
        "sha256": item.sha256,
        "size": item.size,
        "kind": item.kind,
        "mime": item.mime,
        "name": item.name,
        "case": item.case_id,
        "source": item.source,
        "status": item.status,
        "status_reason": item.status_reason,
        "parent_id": item.parent_id,
        "depth": item.depth,
        "received_at": fmt_time(item.received_at),
        "received_by": item.received_by,
    }


def resolve_item(session: Session, ref: str) -> Item:
    """An item by id or unique id prefix (at least 4 characters)."""
    item = session.get(Item, ref)
    if item is not None:
        return item
    if len(ref) >= 4:
        found = (
            session.execute(select(Item).where(Item.id.startswith(ref)).limit(2)).scalars().all()
        )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NotFound(f"item id prefix {ref!r} is ambiguous; give more characters")
    raise NotFound(f"no item {ref!r}")


def list_items(
    session: Session,
    *,
    case: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    parent: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    cases: Sequence[str] | None = None,
) -> tuple[list[Item], int]:
    q = select(Item)
    if case:
        q = q.where(Item.case_id == case)
    if cases is not None:
        q = q.where(Item.case_id.in_(list(cases)))
    if kind:
        q = q.where(Item.kind == kind)
    if status:
        q = q.where(Item.status == status)
    if parent:
        q = q.where(Item.parent_id == parent)
    total = int(session.execute(select(func.count()).select_from(q.subquery())).scalar_one())
    q = q.order_by(Item.received_at, Item.id)
    if limit:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return list(session.execute(q).scalars()), total


def item_detail(session: Session, item: Item) -> ItemDetail:
    out: dict[str, Any] = dict(item_json(item))
    out["description"] = item.description
    out["info"] = {k: v for k, v in (item.info or {}).items() if not k.startswith("flag_")}
    out["receipts"] = [
        {
            "at": fmt_time(r.at),
            "actor": r.actor,
            "source": r.source,
            "name": r.name,
            "parent_id": r.parent_id,
            "file_mtime": fmt_time(r.file_mtime) if r.file_mtime else None,
        }
        for r in session.execute(
            select(Receipt).where(Receipt.item_id == item.id).order_by(Receipt.id)
        ).scalars()
    ]
    out["children"] = [
        {"id": c.id, "name": c.name, "kind": c.kind, "status": c.status}
        for c in session.execute(
            select(Item).where(Item.parent_id == item.id).order_by(Item.received_at, Item.id)
        ).scalars()
    ]
    live = select(Job.id).where(Job.item_id == item.id, Job.state == "done")
    out["stages"] = [
        {
            "stage": j.stage,
            "version": j.stage_version,
            "config_hash": j.config_hash,
            "state": j.state,
            "error": j.error,
            "warnings": list((j.result or {}).get("warnings", [])),
            "duration_s": j.duration_s,
        }
        for j in session.execute(
            select(Job).where(Job.item_id == item.id, Job.state != "superseded").order_by(Job.id)
        ).scalars()
    ]
    out["metadata"] = {
        m.source: m.data
        for m in session.execute(
            select(ItemMetadata)
            .where(ItemMetadata.item_id == item.id, ItemMetadata.job_id.in_(live))
            .order_by(ItemMetadata.id)
        ).scalars()
    }
    out["derivatives"] = [
        {
            "stage": d.stage,
            "kind": d.kind,
            "mime": d.mime,
            "sha256": d.sha256,
            "size": d.size,
            "info": d.info,
        }
        for d in session.execute(
            select(Derivative)
            .where(Derivative.item_id == item.id, Derivative.job_id.in_(live))
            .order_by(Derivative.id)
        ).scalars()
    ]
    out["text_units"] = [
        {
            "id": u.id,
            "kind": u.kind,
            "method": u.method,
            "page": u.page,
            "start": u.start,
            "end": u.end,
            "lang": u.lang,
            "lang_confidence": u.lang_confidence,
            "chars": len(u.text),
            "text": u.text,
            # A translation names the unit(s) it translates.
            "source_unit_id": u.source_unit_id,
            "sources": (u.info or {}).get("sources", []),
        }
        for u in session.execute(
            select(TextUnit)
            .where(TextUnit.item_id == item.id)
            .order_by(TextUnit.stage, TextUnit.page, TextUnit.seq)
        ).scalars()
    ]
    out["custody"] = [
        {
            "seq": e.seq,
            "at": fmt_time(e.at),
            "actor": e.actor,
            "action": e.action,
            "details": e.details,
            "hash": e.hash,
        }
        for e in custody.events_for(session, item.id)
    ]
    # Built key by key above; the API tests read every key of it.
    return cast(ItemDetail, out)


def status_summary(session: Session) -> Status:
    stage_rows = session.execute(
        select(Job.stage, Job.state, func.count())
        .where(Job.state != "superseded")
        .group_by(Job.stage, Job.state)
        .order_by(Job.stage)
    ).all()
    stages: dict[str, dict[str, int]] = {}
    for stage, state, n in stage_rows:
        stages.setdefault(stage, {})[state] = int(n)
    item_rows = session.execute(select(Item.status, func.count()).group_by(Item.status)).all()
    failures = [
        {"item_id": item_id, "name": name, "stage": stage, "error": error}
        for item_id, name, stage, error in session.execute(
            select(Job.item_id, Item.name, Job.stage, Job.error)
            .join(Item, Item.id == Job.item_id)
            .where(Job.state == "failed")
            .order_by(Job.id)
        ).all()
    ]
    flagged = [
        {"item_id": i.id, "name": i.name, "status": i.status, "reason": i.status_reason}
        for i in session.execute(
            select(Item)
            .where(Item.status.notin_(("processed", "pending", "failed")))
            .order_by(Item.id)
        ).scalars()
    ]
    return {
        "items_by_status": {s: int(n) for s, n in item_rows},
        "stages": stages,
        "failures": failures,
        "flagged": flagged,
        "total_items": sum(int(n) for _s, n in item_rows),
    }


def case_summary(session: Session, case_id: str, failures_limit: int = 50) -> dict[str, Any]:
    """One case's dashboard counts: items by kind and state, jobs by state, failures."""
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, n in session.execute(
        select(Item.kind, Item.status, func.count())
        .where(Item.case_id == case_id)
        .group_by(Item.kind, Item.status)
        .order_by(Item.kind)
    ).all():
        by_kind.setdefault(kind, {})[status] = int(n)
    jobs = {
        state: int(n)
        for state, n in session.execute(
            select(Job.state, func.count())
            .join(Item, Item.id == Job.item_id)
            .where(Item.case_id == case_id, Job.state != "superseded")
            .group_by(Job.state)
        ).all()
    }
    failures = [
        {"item_id": item_id, "name": name, "stage": stage, "error": error}
        for item_id, name, stage, error in session.execute(
            select(Job.item_id, Item.name, Job.stage, Job.error)
            .join(Item, Item.id == Job.item_id)
            .where(Item.case_id == case_id, Job.state == "failed")
            .order_by(Job.id.desc())
            .limit(failures_limit)
        ).all()
    ]
    return {"items": by_kind, "jobs": jobs, "failures": failures}


def processed_items(session: Session, case_id: str) -> list[tuple[str, str, str]]:
    """(id, name, kind) of the case's top-level processed items, newest first."""
    return [
        (i, n, k)
        for i, n, k in session.execute(
            select(Item.id, Item.name, Item.kind)
            .where(Item.case_id == case_id, Item.status == "processed", Item.parent_id.is_(None))
            .order_by(Item.received_at.desc(), Item.id)
        ).all()
    ]
