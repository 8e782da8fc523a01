"""Where a claim stands: the links other sources make to it, and what people decided.

Machines never say "verified". Until a person sets a claim's status, it shows how many
independent sources support or contradict it ("supported by 2 independent sources"), counted
by independence group (items sharing a container, source or witness count once), and a link a
person rejected counts for nothing. People's judgements are found by content keys, so they
hold after claims and links are recomputed (see `storage.repositories.reviews`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from sijill.storage import shapes
from sijill.storage.models import Claim, ClaimLink, Review
from sijill.storage.repositories import claims as claims_repo
from sijill.storage.repositories import reviews as review_repo


@dataclass
class Standing:
    supports: int = 0  # links, rejected ones left out
    contradicts: int = 0
    supporting: set[int] = field(default_factory=set)  # independence groups
    contradicting: set[int] = field(default_factory=set)


def _latest(rows: Iterable[Review]) -> dict[str, Review]:
    """Per subject, the newest current judgement of anybody."""
    out: dict[str, Review] = {}
    for r in review_repo.current(rows):
        if r.subject not in out or r.id > out[r.subject].id:
            out[r.subject] = r
    return out


def link_decisions(session: Session, links: list[ClaimLink]) -> dict[int, Review]:
    """link id -> the latest person's decision on it (by the two claims' content)."""
    if not links:
        return {}
    cases = {lk.case_id for lk in links}
    decided = [r for c in cases for r in review_repo.of_case(session, c, kind="link")]
    if not decided:
        return {}
    latest = _latest(decided)
    ids = {i for lk in links for i in (lk.claim_id, lk.other_id)}
    claims = claims_repo.by_ids(session, ids)
    out = {}
    for lk in links:
        a, b = claims.get(lk.claim_id), claims.get(lk.other_id)
        if a is not None and b is not None:
            r = latest.get(review_repo.link_key(a, b))
            if r is not None:
                out[lk.id] = r
    return out


def link_standings(session: Session, case: str | None = None) -> dict[int, Standing]:
    """Standing per claim id, for one case or all."""
    from sijill.archive.analysis import independence_groups

    links = claims_repo.links(session, case)
    decisions = link_decisions(session, links)
    items = claims_repo.items_of(session, {i for lk in links for i in (lk.claim_id, lk.other_id)})
    groups: dict[str, int] = {}
    for c in sorted({lk.case_id for lk in links}):
        groups.update(independence_groups(session, c))
    out: dict[int, Standing] = {}
    for lk in links:
        d = decisions.get(lk.id)
        if d is not None and d.answer == "reject":
            continue
        for me, other in ((lk.claim_id, lk.other_id), (lk.other_id, lk.claim_id)):
            st = out.setdefault(me, Standing())
            group = groups.get(items.get(other, ""), -1 - other)
            if lk.relation == "supports":
                st.supports += 1
                st.supporting.add(group)
            else:
                st.contradicts += 1
                st.contradicting.add(group)
    return out


def claim_statuses(session: Session, claims: Iterable[Claim]) -> dict[int, Review]:
    """claim id -> the latest status a person set for it (by the claim's content)."""
    keyed = {c.id: review_repo.claim_key(c.item_id, c.text) for c in claims}
    if not keyed:
        return {}
    latest = _latest(review_repo.of_subjects(session, "claim", keyed.values()))
    return {cid: latest[k] for cid, k in keyed.items() if k in latest}


def _sources(n: int) -> str:
    return f"{n} independent source{'s' if n != 1 else ''}"


def standing_json(st: Standing | None, status: Review | None) -> shapes.Standing:
    st = st or Standing()
    fields: shapes.Standing = {
        "supports": st.supports,
        "contradicts": st.contradicts,
        "sources_supporting": len(st.supporting),
        "sources_contradicting": len(st.contradicting),
        "status": None,
        "standing": "no other source yet",
    }
    if status is not None:
        fields["status"] = {
            "status": status.answer,
            "by": status.reviewer,
            "note": status.note,
            "at": status.created_at,
        }
        fields["standing"] = f"{status.answer} (set by {status.reviewer})"
        return fields
    parts = []
    if st.supporting:
        parts.append("supported by " + _sources(len(st.supporting)))
    if st.contradicting:
        parts.append("contradicted by " + _sources(len(st.contradicting)))
    fields["standing"] = "; ".join(parts) or "no other source yet"
    return fields
