"""Recording and showing people's judgements: item reviews, claim statuses, link decisions.

Rules, all enforced here:
- A judgement is a person's: the local custodian names who (`--as`); reviewers, investigators
  and owners of the item's case may record one, observers may not.
- Nothing is edited: a new judgement by the same person on the same subject and question
  supersedes their old one, which stays as history. Recording the same judgement again
  changes nothing.
- Every judgement is a custody event, and the review row's digest rides on it (`digests`).
- Blind: a person sees the others' answers to a question about an item only once they
  answered it themself. Owners and the custodian, who commission reviews, see everything;
  others are told how many answers wait for them. Claim statuses and link decisions are
  working decisions, shown to every member.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sijill.archive.access import Actor, Can, Role, require
from sijill.archive.claims import claim_ref, get_claim
from sijill.archive.context import Context
from sijill.errors import ConfigError, NotFound
from sijill.review import vocabulary as v
from sijill.review.agreement import Agreement, agreement
from sijill.storage import custody
from sijill.storage.models import Claim, ClaimLink, Item, Review
from sijill.storage.repositories import reviews as repo
from sijill.storage.repositories.item_views import resolve_item


@dataclass(frozen=True)
class ReviewView:
    id: int
    kind: str  # item claim link
    case: str
    item_id: str | None
    subject: str
    question: str
    answer: str
    confidence: str | None
    method: str | None
    note: str
    anchors: list[dict[str, Any]]
    reviewer: str
    created_at: datetime
    supersedes: int | None
    current: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reviews:
    reviews: list[ReviewView]
    # (item id, question) -> how many other people's answers stay hidden until you answer
    hidden: dict[tuple[str, str], int]
    agreement: list[Agreement]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _view(r: Review, current: bool) -> ReviewView:
    return ReviewView(
        r.id,
        r.kind,
        r.case_id,
        r.item_id,
        r.subject,
        r.question,
        r.answer,
        r.confidence,
        r.method,
        r.note,
        list(r.anchors or []),
        r.reviewer,
        _utc(r.created_at),
        r.supersedes_id,
        current,
        dict(r.info or {}),
    )


def _person(actor: Actor) -> int:
    if actor.user_id is None:
        raise ConfigError(
            "a review is a person's judgement: say whose with --as NAME (or SIJILL_USER)"
        )
    return actor.user_id


_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$")


def _seconds(text: str) -> float:
    m = _TIME.match(text.strip())
    if not m:
        raise ConfigError(f"{text!r} is not a time (seconds, M:SS or H:MM:SS)")
    parts = [p for p in m.groups() if p is not None]
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def anchor_at(text: str) -> dict[str, Any]:
    """`12-30`, `1:02-1:30` or `75`: a span of seconds of a recording."""
    start_s, sep, end_s = text.partition("-")
    start = _seconds(start_s)
    end = _seconds(end_s) if sep else start
    if end < start:
        raise ConfigError(f"anchor {text!r} ends before it starts")
    return {"start": start, "end": end}


def anchor_page(text: str) -> dict[str, Any]:
    """`3` or `3-4`: pages of a document, 1-based."""
    first, sep, last = text.partition("-")
    try:
        page, end_page = int(first), int(last) if sep else int(first)
    except ValueError:
        raise ConfigError(f"{text!r} is not a page or a page range such as 3-4") from None
    if page < 1 or end_page < page:
        raise ConfigError(f"page anchor {text!r}: pages count from 1, first before last")
    return {"page": page, "end_page": end_page}


def _check_anchors(item: Item, anchors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    info = item.info or {}
    pages, duration = info.get("page_count"), info.get("duration_s")
    for a in anchors:
        if "page" in a and isinstance(pages, int) and a["end_page"] > pages:
            raise ConfigError(f"item {item.id} has {pages} pages, not {a['end_page']}")
        if "start" in a and isinstance(duration, int | float) and a["end"] > duration + 0.5:
            raise ConfigError(f"item {item.id} lasts {duration:.0f} s, not {a['end']:.0f} s")
    return list(anchors)


def _record(s: Session, ctx: Context, row: Review, action: str) -> ReviewView:
    """Store `row` unless it repeats the person's current judgement; the custody event."""
    old = repo.latest(s, row.kind, row.subject, row.question, row.reviewer_id)
    same = ("answer", "confidence", "method", "note", "anchors")
    if old is not None and all(getattr(old, k) == getattr(row, k) for k in same):
        return _view(old, True)
    row.supersedes_id = old.id if old is not None else None
    repo.add(s, row)
    details: dict[str, Any] = {
        "review": row.id,
        "kind": row.kind,
        "question": row.question,
        "answer": row.answer,
        "reviewer": row.reviewer,
    }
    if row.confidence:
        details["confidence"] = row.confidence
    if row.supersedes_id:
        details["supersedes"] = row.supersedes_id
    if row.kind != "item":
        details["subject"] = row.subject
    custody.append(s, ctx.actor.name, action, row.item_id, details)
    return _view(row, True)


def review_item(
    ctx: Context,
    item_ref: str,
    question: str,
    answer: str,
    confidence: str,
    note: str,
    *,
    method: str | None = None,
    anchors: Sequence[dict[str, Any]] = (),
    exact: bool = False,
) -> ReviewView:
    """One person's answer to one named question about one item."""
    reviewer_id = _person(ctx.actor)
    q = v.question(question)
    a = v.answer(q, answer)
    c = v.confidence(confidence)
    if not note.strip():
        raise ConfigError("say why: a review needs its rationale (--note)")
    method = (method or "").strip() or None
    if q == "identity" and a != "unverified" and method is None:
        raise ConfigError(f"identity {a}: say by what method (--method)")
    with ctx.session() as s:
        item = _item(s, ctx.actor, item_ref, exact)
        require(ctx.actor, item.case_id, Can.REVIEW)
        row = Review(
            case_id=item.case_id,
            kind="item",
            item_id=item.id,
            subject=item.id,
            question=q,
            answer=a,
            confidence=c,
            method=method,
            note=note.strip(),
            anchors=_check_anchors(item, anchors),
            info={},
            reviewer_id=reviewer_id,
            reviewer=ctx.actor.name,
        )
        return _record(s, ctx, row, "review_recorded")


def set_claim_status(ctx: Context, ref: str, status: str, note: str) -> ReviewView:
    """A person's status for a claim (unverified, corroborated, verified, disputed, false)."""
    reviewer_id = _person(ctx.actor)
    st = v.claim_status(status)
    if not note.strip():
        raise ConfigError("say why: a claim's status needs its rationale (--note)")
    with ctx.session() as s:
        claim = _claim(s, ctx.actor, ref)
        require(ctx.actor, claim.case_id, Can.REVIEW)
        row = Review(
            case_id=claim.case_id,
            kind="claim",
            item_id=claim.item_id,
            subject=repo.claim_key(claim.item_id, claim.text),
            question="status",
            answer=st,
            confidence=None,
            method=None,
            note=note.strip(),
            anchors=[],
            info={"claim": claim.id, "text": claim.text},
            reviewer_id=reviewer_id,
            reviewer=ctx.actor.name,
        )
        return _record(s, ctx, row, "claim_status_set")


def decide_link(ctx: Context, link_id: int, accept: bool, note: str) -> ReviewView:
    """A person accepts or rejects a machine link; the decision follows the two claims'
    content, so it holds after links are recomputed."""
    reviewer_id = _person(ctx.actor)
    if not note.strip():
        raise ConfigError("say why: a decision on a link needs a note (--note)")
    with ctx.session() as s:
        link = s.get(ClaimLink, link_id)
        if link is None or not ctx.actor.sees(link.case_id):
            raise NotFound(f"no link {link_id}")
        require(ctx.actor, link.case_id, Can.REVIEW)
        a, b = s.get(Claim, link.claim_id), s.get(Claim, link.other_id)
        if a is None or b is None:
            raise NotFound(f"no link {link_id}")
        row = Review(
            case_id=link.case_id,
            kind="link",
            item_id=a.item_id,
            subject=repo.link_key(a, b),
            question="decision",
            answer="accept" if accept else "reject",
            confidence=None,
            method=None,
            note=note.strip(),
            anchors=[],
            info={
                "link": link.id,
                "relation": link.relation,
                "claims": [a.id, b.id],
                "items": [a.item_id, b.item_id],
            },
            reviewer_id=reviewer_id,
            reviewer=ctx.actor.name,
        )
        return _record(s, ctx, row, "link_decided")


def _item(s: Session, actor: Actor, ref: str, exact: bool = False) -> Item:
    """The item `ref` names: its id, or (the CLI's custodian) a unique prefix of it. Faces for
    people pass `exact`: a prefix could say that an id exists in a case they cannot see."""
    item = s.get(Item, ref) if exact else resolve_item(s, ref)
    if item is None or not actor.sees(item.case_id):
        raise NotFound(f"no item {ref!r}")
    return item


def _claim(s: Session, actor: Actor, ref: str) -> Claim:
    cid = claim_ref(ref)
    if cid is None:
        raise ConfigError(f"{ref!r} is not a claim (claims are written c42)")
    claim = get_claim(s, cid)
    if not actor.sees(claim.case_id):
        raise NotFound(f"no claim c{cid}")
    return claim


def _sees_all(actor: Actor, case_id: str) -> bool:
    role = actor.role_in(case_id)
    return role is not None and role >= Role.OWNER


def _shown(actor: Actor, rows: list[Review], history: bool) -> Reviews:
    """What of `rows` (one or more items' judgements) the actor may see: blind item reviews."""
    live = repo.current(rows)
    live_ids = {r.id for r in live}
    answered = {
        (r.item_id, r.question) for r in live if r.kind == "item" and r.reviewer_id == actor.user_id
    }

    def visible(r: Review) -> bool:
        if r.kind != "item" or _sees_all(actor, r.case_id) or r.reviewer_id == actor.user_id:
            return True
        return (r.item_id, r.question) in answered

    hidden = Counter(
        (r.item_id or "", r.question) for r in live if r.kind == "item" and not visible(r)
    )
    shown = [r for r in (rows if history else live) if visible(r)]
    return Reviews(
        [_view(r, r.id in live_ids) for r in shown],
        dict(hidden),
        agreement([r for r in live if visible(r)]),
    )


def reviews_of_item(
    ctx: Context, item_ref: str, *, history: bool = False, exact: bool = False
) -> Reviews:
    with ctx.reading() as s:
        item = _item(s, ctx.actor, item_ref, exact)
        require(ctx.actor, item.case_id, Can.READ)
        return _shown(ctx.actor, repo.of_item(s, item.id), history)


def reviews_of_case(ctx: Context, case_id: str, *, history: bool = False) -> Reviews:
    with ctx.reading() as s:
        require(ctx.actor, case_id, Can.READ)
        return _shown(ctx.actor, repo.of_case(s, case_id), history)


def waiting_for(
    ctx: Context, case_id: str, items: Sequence[dict[str, Any]], limit: int = 20
) -> list[dict[str, Any]]:
    """Of `items` (a case's processed items), those the person has not yet answered any
    question about: what waits for their review."""
    shown = reviews_of_case(ctx, case_id)
    mine = {r.item_id for r in shown.reviews if r.reviewer == ctx.actor.name and r.kind == "item"}
    return [i for i in items if i["id"] not in mine][:limit]
