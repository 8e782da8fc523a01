"""SQL for claims and the machine's links between them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sijill.storage.models import Claim, ClaimLink


def get(session: Session, claim_id: int) -> Claim | None:
    return session.get(Claim, claim_id)


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, Claim]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in session.execute(select(Claim).where(Claim.id.in_(wanted))).scalars()}


def items_of(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """claim id -> the id of the item it was read from."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Claim.id, Claim.item_id).where(Claim.id.in_(wanted))).all()
    return {cid: item for cid, item in rows}


def page(
    session: Session,
    *,
    case: str | None = None,
    item_id: str | None = None,
    among: Iterable[int] | None = None,
    limit: int | None = None,
) -> tuple[list[Claim], int]:
    """Claims in reading order (item, text unit, position) and how many match in all."""
    q = select(Claim)
    if case:
        q = q.where(Claim.case_id == case)
    if item_id is not None:
        q = q.where(Claim.item_id == item_id)
    if among is not None:
        q = q.where(Claim.id.in_(sorted(set(among))))
    total = int(session.execute(select(func.count()).select_from(q.subquery())).scalar_one())
    q = q.order_by(Claim.item_id, Claim.text_unit_id, Claim.char_start)
    if limit:
        q = q.limit(limit)
    return list(session.execute(q).scalars()), total


def in_units(session: Session, unit_ids: Iterable[int]) -> list[Claim]:
    wanted = sorted(set(unit_ids))
    if not wanted:
        return []
    return list(session.execute(select(Claim).where(Claim.text_unit_id.in_(wanted))).scalars())


def links(session: Session, case: str | None = None) -> list[ClaimLink]:
    q = select(ClaimLink)
    if case:
        q = q.where(ClaimLink.case_id == case)
    return list(session.execute(q).scalars())


def links_of(session: Session, claim_id: int) -> list[ClaimLink]:
    """Every link with this claim at either end."""
    return list(
        session.execute(
            select(ClaimLink).where(
                or_(ClaimLink.claim_id == claim_id, ClaimLink.other_id == claim_id)
            )
        ).scalars()
    )


def ids_of_item(session: Session, item_id: str) -> list[int]:
    return list(session.execute(select(Claim.id).where(Claim.item_id == item_id)).scalars())
