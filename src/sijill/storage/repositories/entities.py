"""SQL for entities: who and what the archive's text names, with where it does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from sijill.storage import shapes
from sijill.storage.models import Entity, EntityMerge, Item, Mention, TextUnit


def list_entities(
    session: Session,
    *,
    case: str | None = None,
    item: Item | None = None,
    label: str | None = None,
    limit: int | None = None,
) -> tuple[list[shapes.Entity], int]:
    """Entities with at least one live mention, most mentioned first.

    An entity merged into another counts under it: its mentions, and its aliases, are the
    other's. `merged` lists what was folded in, with each merge's status and confidence.
    """
    member = aliased(Entity)
    canonical = func.coalesce(member.merged_into_id, member.id)
    per_entity = select(
        canonical.label("entity_id"),
        func.count(Mention.id).label("n"),
        func.count(func.distinct(Mention.item_id)).label("n_items"),
    ).join(member, member.id == Mention.entity_id)
    if item is not None:
        per_entity = per_entity.where(Mention.item_id == item.id)
    counts = per_entity.group_by(canonical).subquery()
    q = select(Entity, counts.c.n, counts.c.n_items).join(counts, counts.c.entity_id == Entity.id)
    if case:
        q = q.where(Entity.case_id == case)
    if label:
        q = q.where(Entity.label == label.upper())
    total = int(session.execute(select(func.count()).select_from(q.subquery())).scalar_one())
    q = q.order_by(counts.c.n.desc(), Entity.name)
    if limit:
        q = q.limit(limit)
    rows = session.execute(q).all()
    folded: dict[int, list[Entity]] = {}
    ids = [ent.id for ent, _n, _i in rows]
    if ids:
        for e in session.execute(select(Entity).where(Entity.merged_into_id.in_(ids))).scalars():
            folded.setdefault(e.merged_into_id or 0, []).append(e)
    out: list[shapes.Entity] = []
    for ent, n, items in rows:
        info = dict(ent.info or {})
        aliases = list(info.pop("aliases", []))
        merged = []
        for e in folded.get(ent.id, []):
            for a in (e.info or {}).get("aliases", []):
                if a not in aliases:
                    aliases.append(a)
            merged.append({"id": e.id, "name": e.name})
        row: shapes.Entity = {
            "id": ent.id,
            "case": ent.case_id,
            "label": ent.label,
            "name": ent.name,
            "aliases": aliases,
            "mentions": int(n),
            "items": int(items),
        }
        if merged:
            row["merged"] = merged
        if "lat" in info:
            row["lat"], row["lon"] = info["lat"], info["lon"]
        out.append(row)
    return out, total


def list_merges(
    session: Session, *, case: str | None = None, status: str | None = None
) -> list[shapes.Merge]:
    """Every merge of one entity into another, with its confidence, reasons and decision."""
    q = select(EntityMerge).order_by(EntityMerge.status != "proposed", EntityMerge.id)
    if case:
        q = q.where(EntityMerge.case_id == case)
    if status:
        q = q.where(EntityMerge.status == status)
    merges = list(session.execute(q).scalars())
    ents = {
        e.id: e
        for e in session.execute(
            select(Entity).where(
                Entity.id.in_({m.entity_id for m in merges} | {m.into_id for m in merges})
            )
        ).scalars()
    }
    return [
        {
            "id": m.id,
            "case": m.case_id,
            "label": ents[m.entity_id].label,
            "entity": {"id": m.entity_id, "name": ents[m.entity_id].name},
            "into": {"id": m.into_id, "name": ents[m.into_id].name},
            "confidence": m.confidence,
            "reasons": list(m.reasons or []),
            "status": m.status,
            "decided_by": m.decided_by,
            "decided_at": m.decided_at.isoformat() if m.decided_at else None,
        }
        for m in merges
    ]


def entity_mentions(session: Session, entity_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Where an entity (or one merged into it) is named: item, page or seconds, exact text."""
    ids = [entity_id] + list(
        session.execute(select(Entity.id).where(Entity.merged_into_id == entity_id)).scalars()
    )
    rows = session.execute(
        select(Mention, Item.name)
        .join(Item, Item.id == Mention.item_id)
        .where(Mention.entity_id.in_(ids))
        .order_by(Mention.item_id, Mention.text_unit_id, Mention.char_start)
        .limit(limit)
    )
    return [
        {
            "item_id": m.item_id,
            "item_name": name,
            "text_unit_id": m.text_unit_id,
            "text": m.text,
            "char_start": m.char_start,
            "char_end": m.char_end,
            "page": m.page,
            "start": m.start,
            "end": m.end,
            "source": m.source,
        }
        for m, name in rows
    ]


def get(session: Session, entity_id: int) -> Entity | None:
    return session.get(Entity, entity_id)


def merged_into(session: Session, entity_id: int) -> list[int]:
    """Ids of the entities merged into this one."""
    return list(
        session.execute(select(Entity.id).where(Entity.merged_into_id == entity_id)).scalars()
    )


def named(session: Session, key: str, case: str | None = None) -> list[Entity]:
    """Unmerged entities whose key (or gazetteer key) is `key`."""
    q = select(Entity).where(
        Entity.merged_into_id.is_(None), or_(Entity.key == key, Entity.key == f"gaz:{key}")
    )
    if case:
        q = q.where(Entity.case_id == case)
    return list(session.execute(q).scalars())


def mentioned_as(session: Session, norm: str) -> list[Entity]:
    """Entities with a mention whose normalised form is `norm`."""
    return list(
        session.execute(
            select(Entity).join(Mention, Mention.entity_id == Entity.id).where(Mention.norm == norm)
        )
        .scalars()
        .unique()
    )


def mention_spans(session: Session, entity_ids: Iterable[int]) -> set[tuple[int, int, int]]:
    """(text unit, start, end) of every mention of these entities."""
    rows = session.execute(
        select(Mention.text_unit_id, Mention.char_start, Mention.char_end).where(
            Mention.entity_id.in_(sorted(set(entity_ids)))
        )
    ).all()
    return {(u, s, e) for u, s, e in rows}


def mentions_in_item(session: Session, item_id: str) -> list[tuple[int, int, int, int, str]]:
    """(text unit, char start, char end, entity (the one merged into, if any), label) of every
    resolved mention in an item: what a viewer highlights and links."""
    canonical = func.coalesce(Entity.merged_into_id, Entity.id)
    return [
        (int(u), int(a), int(b), int(e), str(lbl))
        for u, a, b, e, lbl in session.execute(
            select(
                Mention.text_unit_id, Mention.char_start, Mention.char_end, canonical, Entity.label
            )
            .join(Entity, Entity.id == Mention.entity_id)
            .where(Mention.item_id == item_id)
            .order_by(Mention.text_unit_id, Mention.char_start)
        ).all()
    ]


def unit_texts(session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    return {
        int(i): str(t)
        for i, t in session.execute(select(TextUnit.id, TextUnit.text).where(TextUnit.id.in_(ids)))
    }


def folded_into(session: Session, entity_id: int) -> list[Entity]:
    """The entities merged into this one."""
    return list(session.execute(select(Entity).where(Entity.merged_into_id == entity_id)).scalars())
