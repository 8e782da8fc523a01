"""SQL for a case's protected terms, and the entity counts that proposals are made from."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.storage.models import Entity, Mention, ProtectedTerm


def pseudonyms(session: Session, case_id: str) -> set[str]:
    return set(
        session.execute(
            select(ProtectedTerm.pseudonym).where(ProtectedTerm.case_id == case_id)
        ).scalars()
    )


def find(session: Session, case_id: str, term: str) -> ProtectedTerm | None:
    return session.execute(
        select(ProtectedTerm).where(ProtectedTerm.case_id == case_id, ProtectedTerm.term == term)
    ).scalar_one_or_none()


def pseudonym_of_entity(session: Session, case_id: str, entity_id: int) -> str | None:
    return session.execute(
        select(ProtectedTerm.pseudonym)
        .where(ProtectedTerm.case_id == case_id, ProtectedTerm.entity_id == entity_id)
        .limit(1)
    ).scalar_one_or_none()


def listed(session: Session, case_id: str | None = None) -> list[ProtectedTerm]:
    q = select(ProtectedTerm).order_by(
        ProtectedTerm.case_id, ProtectedTerm.pseudonym, ProtectedTerm.id
    )
    if case_id is not None:
        q = q.where(ProtectedTerm.case_id == case_id)
    return list(session.execute(q).scalars())


def mentions_per_root(session: Session, case_id: str, item_id: str | None = None) -> dict[int, int]:
    """Unmerged entity id -> mentions of it and of everything merged into it (in one item)."""
    member = (
        select(Entity.id, func.coalesce(Entity.merged_into_id, Entity.id).label("root"))
        .where(Entity.case_id == case_id)
        .subquery()
    )
    per_root = (
        select(member.c.root, func.count(Mention.id))
        .join(Mention, Mention.entity_id == member.c.id)
        .group_by(member.c.root)
    )
    if item_id is not None:
        per_root = per_root.where(Mention.item_id == item_id)
    return {root: int(n) for root, n in session.execute(per_root).all()}


def unmerged_entities(session: Session, case_id: str, labels: tuple[str, ...]) -> list[Entity]:
    return list(
        session.execute(
            select(Entity).where(
                Entity.case_id == case_id,
                Entity.merged_into_id.is_(None),
                Entity.label.in_(labels),
            )
        ).scalars()
    )


def merged_into(session: Session, entity_id: int) -> list[Entity]:
    return list(session.execute(select(Entity).where(Entity.merged_into_id == entity_id)).scalars())
