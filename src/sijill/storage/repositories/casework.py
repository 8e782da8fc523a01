"""SQL for the case passes: entity merges, independence of items, claim links, and the
fingerprints (`case_state`) that let a pass skip a case whose inputs did not change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sijill.storage.models import (
    CaseState,
    Claim,
    ClaimLink,
    Entity,
    EntityMerge,
    Item,
    Job,
    Mention,
)


def state(session: Session, case_id: str, name: str) -> dict[str, Any]:
    row = session.get(CaseState, (case_id, name))
    return dict(row.value) if row else {}


def set_state(session: Session, case_id: str, name: str, value: dict[str, Any]) -> None:
    row = session.get(CaseState, (case_id, name))
    if row is None:
        session.add(CaseState(case_id=case_id, name=name, value=value))
    else:
        row.value = value
        row.updated_at = datetime.now(UTC)


# --- entities ------------------------------------------------------------------------------


def entity_parents(session: Session, case_id: str) -> list[tuple[int, int | None]]:
    """(entity id, the id it is merged into or None) for every entity of the case."""
    rows = session.execute(
        select(Entity.id, Entity.merged_into_id).where(Entity.case_id == case_id)
    ).all()
    return [(e, into) for e, into in rows]


def mentioned_entities(session: Session, case_id: str) -> list[tuple[Entity, int]]:
    """The case's entities that something mentions, with how many mentions each has."""
    live = (
        select(Mention.entity_id, func.count(Mention.id).label("n"))
        .join(Entity, Entity.id == Mention.entity_id)
        .where(Entity.case_id == case_id)
        .group_by(Mention.entity_id)
        .subquery()
    )
    rows = session.execute(select(Entity, live.c.n).join(live, live.c.entity_id == Entity.id))
    return [(e, int(n)) for e, n in rows.all()]


def merge_decisions(session: Session, case_id: str) -> list[tuple[int, int, str]]:
    """(entity, into, status) of every merge the case has (proposed, applied or decided)."""
    rows = session.execute(
        select(EntityMerge.entity_id, EntityMerge.into_id, EntityMerge.status).where(
            EntityMerge.case_id == case_id
        )
    ).all()
    return [(a, b, s) for a, b, s in rows]


def claim_results(session: Session, case_id: str) -> list[dict[str, Any]]:
    """The results of the case's finished claim-extraction jobs."""
    rows = session.execute(
        select(Job.result)
        .join(Item, Item.id == Job.item_id)
        .where(Item.case_id == case_id, Job.stage == "claim_extractor", Job.state == "done")
    ).scalars()
    return [dict(r or {}) for r in rows]


def add_merges(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(EntityMerge), list(rows))


def set_parents(session: Session, parents: dict[int, int | None]) -> None:
    """Point each entity at the one it is merged into, in one executemany."""
    if parents:
        session.execute(
            update(Entity), [{"id": i, "merged_into_id": p} for i, p in sorted(parents.items())]
        )
        session.expire_all()


def parent_of(session: Session, entity_id: int) -> int | None:
    return session.execute(
        select(Entity.merged_into_id).where(Entity.id == entity_id)
    ).scalar_one_or_none()


def repoint_children(session: Session, entity_id: int, root: int) -> None:
    """What was merged into `entity_id` now points at `root`."""
    # By merged_into_id alone (its index): with the case in the filter too, SQLite may scan
    # the whole case. Entities only ever point into their own case.
    session.execute(
        update(Entity).where(Entity.merged_into_id == entity_id).values(merged_into_id=root)
    )


def find_merge(session: Session, entity_id: int, into_id: int) -> EntityMerge | None:
    return session.execute(
        select(EntityMerge).where(
            EntityMerge.entity_id == entity_id, EntityMerge.into_id == into_id
        )
    ).scalar_one_or_none()


# --- claims --------------------------------------------------------------------------------


def item_lineage(session: Session, case_id: str) -> list[tuple[str, str | None, str | None, Any]]:
    """(item, parent, source, info) of every item of the case."""
    rows = session.execute(
        select(Item.id, Item.parent_id, Item.source, Item.info).where(Item.case_id == case_id)
    ).all()
    return [(i, p, s, info) for i, p, s, info in rows]


def _with_vector(case_id: str) -> Any:
    return (Claim.case_id == case_id) & Claim.embedding.is_not(None)


def embedded_claim_ids(session: Session, case_id: str) -> list[int]:
    """Ids of the case's claims that have an embedding, in order (cheap: no vectors read)."""
    return list(
        session.execute(select(Claim.id).where(_with_vector(case_id)).order_by(Claim.id)).scalars()
    )


def embedded_claims(session: Session, case_id: str) -> Sequence[Row[Any]]:
    """id, item_id, text, lang, info, embedding and model of each claim with an embedding."""
    return session.execute(
        select(
            Claim.id,
            Claim.item_id,
            Claim.text,
            Claim.lang,
            Claim.info,
            Claim.embedding,
            Claim.model,
        )
        .where(_with_vector(case_id))
        .order_by(Claim.id)
    ).all()


def replace_links(session: Session, case_id: str, links: Sequence[Any]) -> None:
    """The case's claim links are these (each with a, b, relation, score, reasons)."""
    session.execute(delete(ClaimLink).where(ClaimLink.case_id == case_id))
    if links:
        now = datetime.now(UTC)
        session.execute(
            insert(ClaimLink),
            [
                {
                    "case_id": case_id,
                    "claim_id": link.a,
                    "other_id": link.b,
                    "relation": link.relation,
                    "score": link.score,
                    "reasons": list(link.reasons),
                    "created_at": now,
                }
                for link in links
            ],
        )
