"""SQL for publication copies: the copies, manual regions, resolutions of findings, and what a
copy is built from."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage.models import (
    CopyResolution,
    CustodyEvent,
    Job,
    ProtectRegion,
    PublicationCopy,
    TextUnit,
)


def of_item(session: Session, item_id: str | None = None) -> list[PublicationCopy]:
    q = select(PublicationCopy).order_by(PublicationCopy.id)
    if item_id is not None:
        q = q.where(PublicationCopy.item_id == item_id)
    return list(session.execute(q).scalars())


def regions(session: Session, item_id: str) -> list[ProtectRegion]:
    return list(
        session.execute(select(ProtectRegion).where(ProtectRegion.item_id == item_id)).scalars()
    )


def source_units(session: Session, item_id: str) -> list[TextUnit]:
    """The item's own text (no translations), in reading order: what a copy is built from."""
    return list(
        session.execute(
            select(TextUnit)
            .where(TextUnit.item_id == item_id, TextUnit.kind != "translation")
            .order_by(TextUnit.seq, TextUnit.id)
        ).scalars()
    )


def stage_versions(session: Session, job_ids: Iterable[int]) -> list[tuple[str, int]]:
    """(stage, stage version) of these jobs."""
    wanted = sorted(set(job_ids))
    if not wanted:
        return []
    rows = session.execute(select(Job.stage, Job.stage_version).where(Job.id.in_(wanted)))
    return [(stage, int(version)) for stage, version in rows.all()]


def resolutions(session: Session, copy_id: int) -> list[CopyResolution]:
    return list(
        session.execute(select(CopyResolution).where(CopyResolution.copy_id == copy_id)).scalars()
    )


def is_resolved(session: Session, copy_id: int, finding_sha256: str) -> bool:
    return (
        session.execute(
            select(CopyResolution.id).where(
                CopyResolution.copy_id == copy_id,
                CopyResolution.finding_sha256 == finding_sha256,
            )
        ).first()
        is not None
    )


def events(session: Session, item_id: str, action: str) -> list[CustodyEvent]:
    """An item's custody events of one action."""
    return list(
        session.execute(
            select(CustodyEvent).where(
                CustodyEvent.item_id == item_id, CustodyEvent.action == action
            )
        ).scalars()
    )
