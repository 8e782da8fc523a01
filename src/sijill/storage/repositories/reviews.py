"""SQL for reviews, and the content keys that tie a judgement to a claim or a link.

A claim's key is its item and its text: a later run that extracts the same sentence again
(new row, new id) gets the same key, so a status set on it still applies. A link's key is its
two claims' keys, sorted, so the decision on it survives links being recomputed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage.models import Claim, Review


def claim_key(item_id: str, text: str) -> str:
    body = f"sijill/claim/1\n{item_id}\n{' '.join(text.split())}"
    return "c:" + hashlib.sha256(body.encode()).hexdigest()[:40]


def link_key(a: Claim, b: Claim) -> str:
    first, second = sorted((claim_key(a.item_id, a.text), claim_key(b.item_id, b.text)))
    return "l:" + hashlib.sha256(f"{first}\n{second}".encode()).hexdigest()[:40]


def add(s: Session, review: Review) -> Review:
    s.add(review)
    s.flush()
    return review


def latest(s: Session, kind: str, subject: str, question: str, reviewer_id: int) -> Review | None:
    return s.execute(
        select(Review)
        .where(
            Review.kind == kind,
            Review.subject == subject,
            Review.question == question,
            Review.reviewer_id == reviewer_id,
        )
        .order_by(Review.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def of_item(s: Session, item_id: str) -> list[Review]:
    """Every judgement ever recorded on the item, its claims and links, oldest first."""
    return list(
        s.execute(select(Review).where(Review.item_id == item_id).order_by(Review.id)).scalars()
    )


def of_case(s: Session, case_id: str, kind: str | None = None) -> list[Review]:
    q = select(Review).where(Review.case_id == case_id)
    if kind is not None:
        q = q.where(Review.kind == kind)
    return list(s.execute(q.order_by(Review.id)).scalars())


def of_subjects(s: Session, kind: str, subjects: Iterable[str]) -> list[Review]:
    keys = sorted(set(subjects))
    out: list[Review] = []
    for i in range(0, len(keys), 500):
        out += s.execute(
            select(Review)
            .where(Review.kind == kind, Review.subject.in_(keys[i : i + 500]))
            .order_by(Review.id)
        ).scalars()
    return out


def current(rows: Iterable[Review]) -> list[Review]:
    """The judgements not superseded: each person's latest per subject and question."""
    last: dict[tuple[str, str, str, int], Review] = {}
    for r in rows:
        k = (r.kind, r.subject, r.question, r.reviewer_id)
        if k not in last or r.id > last[k].id:
            last[k] = r
    return sorted(last.values(), key=lambda r: r.id)
