"""Read side of entities: who and what the archive's text names, with where it does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.storage.models import Entity, Item, Mention


def list_entities(
    session: Session,
    *,
    case: str | None = None,
    item: Item | None = None,
    label: str | None = None,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Entities with at least one live mention, most mentioned first."""
    per_entity = select(
        Mention.entity_id,
        func.count(Mention.id).label("n"),
        func.count(func.distinct(Mention.item_id)).label("n_items"),
    )
    if item is not None:
        per_entity = per_entity.where(Mention.item_id == item.id)
    counts = per_entity.group_by(Mention.entity_id).subquery()
    q = select(Entity, counts.c.n, counts.c.n_items).join(counts, counts.c.entity_id == Entity.id)
    if case:
        q = q.where(Entity.case_id == case)
    if label:
        q = q.where(Entity.label == label.upper())
    total = int(session.execute(select(func.count()).select_from(q.subquery())).scalar_one())
    q = q.order_by(counts.c.n.desc(), Entity.name)
    if limit:
        q = q.limit(limit)
    out = []
    for ent, n, items in session.execute(q).all():
        info = dict(ent.info or {})
        out.append(
            {
                "id": ent.id,
                "case": ent.case_id,
                "label": ent.label,
                "name": ent.name,
                "aliases": info.pop("aliases", []),
                "mentions": int(n),
                "items": int(items),
                **({"lat": info["lat"], "lon": info["lon"]} if "lat" in info else {}),
            }
        )
    return out, total


def entity_mentions(session: Session, entity_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Where an entity is named: item, page or seconds, exact text and offsets."""
    rows = session.execute(
        select(Mention, Item.name)
        .join(Item, Item.id == Mention.item_id)
        .where(Mention.entity_id == entity_id)
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
