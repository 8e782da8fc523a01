"""Notes on items, claims and entities (the `notes` table)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage.models import Note


def add(s: Session, note: Note) -> Note:
    s.add(note)
    s.flush()
    return note


def of_target(s: Session, target: str, target_id: str) -> list[Note]:
    return list(
        s.execute(
            select(Note).where(Note.target == target, Note.target_id == target_id).order_by(Note.id)
        ).scalars()
    )


def of_targets(s: Session, target: str, target_ids: list[str]) -> list[Note]:
    if not target_ids:
        return []
    return list(
        s.execute(
            select(Note)
            .where(Note.target == target, Note.target_id.in_(target_ids))
            .order_by(Note.id)
        ).scalars()
    )


def of_case(s: Session, case_id: str, limit: int = 50) -> list[Note]:
    return list(
        s.execute(
            select(Note).where(Note.case_id == case_id).order_by(Note.id.desc()).limit(limit)
        ).scalars()
    )
