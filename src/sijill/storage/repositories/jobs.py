"""SQL for jobs and what they produce: planning inputs, the queue's facts, and committing a
job's text units, hashes, mentions and claims (superseding an older run of the same stage).

Results arrive as the pipeline's own objects; this module reads their attributes only, so the
storage layer does not import the pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from sijill.storage.models import (
    Case,
    Claim,
    ClaimLink,
    Entity,
    Item,
    ItemMetadata,
    Job,
    MediaHash,
    Mention,
    TextUnit,
)

MAX_ALIASES = 50

_NO_POSITION: dict[str, Any] = {"page": None, "start": None, "end": None}


def requeue_failed(session: Session) -> None:
    session.execute(update(Job).where(Job.state == "failed").values(state="pending"))


def requeue(session: Session, job_ids: list[int]) -> None:
    """Jobs a stopped runner had in flight go back to pending."""
    session.execute(update(Job).where(Job.id.in_(job_ids)).values(state="pending"))


def items_to_plan(session: Session, item_ids: list[str] | None) -> list[Item]:
    q = select(Item).where(Item.status != "empty")
    if item_ids is not None:
        q = q.where(Item.id.in_(item_ids))
    return list(session.execute(q).scalars())


def case_configs(session: Session) -> dict[str, dict[str, Any]]:
    return {c.id: c.config or {} for c in session.execute(select(Case)).scalars()}


def live_jobs(session: Session, item_ids: list[str]) -> list[Job]:
    """Every job of these items that was not superseded."""
    return list(
        session.execute(
            select(Job).where(Job.item_id.in_(item_ids), Job.state != "superseded")
        ).scalars()
    )


def last_done(session: Session, item_id: str, stage: str) -> Job | None:
    return session.execute(
        select(Job)
        .where(Job.item_id == item_id, Job.stage == stage, Job.state == "done")
        .order_by(Job.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def units_of_jobs(session: Session, job_ids: list[int]) -> list[TextUnit]:
    return list(
        session.execute(
            select(TextUnit)
            .where(TextUnit.job_id.in_(job_ids))
            .order_by(TextUnit.job_id, TextUnit.seq)
        ).scalars()
    )


def mentions_of_jobs(session: Session, job_ids: list[int]) -> list[Mention]:
    return list(
        session.execute(
            select(Mention).where(Mention.job_id.in_(job_ids)).order_by(Mention.id)
        ).scalars()
    )


def metadata_of(session: Session, item_id: str) -> list[tuple[str, dict[str, Any] | None]]:
    rows = session.execute(
        select(ItemMetadata.source, ItemMetadata.data)
        .where(ItemMetadata.item_id == item_id)
        .order_by(ItemMetadata.id)
    ).all()
    return [(source, data) for source, data in rows]


def insert_text_units(session: Session, item: Item, job: Job, units: list[Any]) -> None:
    """One executemany instead of an ORM object per unit: pages are the bulk of the work."""
    session.execute(
        insert(TextUnit),
        [
            {
                "item_id": item.id,
                "job_id": job.id,
                "stage": job.stage,
                "kind": u.kind,
                "seq": seq,
                "page": u.page,
                "start": u.start,
                "end": u.end,
                "lang": u.lang,
                "lang_confidence": u.lang_confidence,
                "method": u.method,
                "text": u.text,
                "norm": u.norm,
                "info": _unit_info(u.info, u.source_ids),
                "source_unit_id": u.source_ids[0] if u.source_ids else None,
            }
            for seq, u in enumerate(units)
        ],
    )
    if any(u.sources for u in units):
        _link_sources(session, job.id, units)


def insert_media_hashes(session: Session, item: Item, job: Job, hashes: list[Any]) -> None:
    session.execute(
        insert(MediaHash),
        [
            {
                "item_id": item.id,
                "job_id": job.id,
                "algo": h.algo,
                "t": h.t,
                "hash": h.hash,
                "quality": h.quality,
            }
            for h in hashes
        ],
    )


def recover(session: Session) -> int:
    """Jobs left 'running' by a runner that died go back to pending."""
    res = session.execute(update(Job).where(Job.state == "running").values(state="pending"))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def queue_facts(session: Session, job_ids: Iterable[int]) -> dict[int, tuple[str, str, int]]:
    """(item id, stage, item size in bytes) of each job: what the runner orders its queue by."""
    ids = list(job_ids)
    out: dict[int, tuple[str, str, int]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Job.id, Job.item_id, Job.stage, Item.size)
            .join(Item, Item.id == Job.item_id)
            .where(Job.id.in_(ids[start : start + 500]))
        ).all()
        out.update({int(j): (str(i), str(st), int(sz or 0)) for j, i, st, sz in rows})
    return out


def mark_running(session: Session, job_ids: int | list[int]) -> None:
    ids = [job_ids] if isinstance(job_ids, int) else job_ids
    session.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(state="running", started_at=datetime.now(UTC), attempts=Job.attempts + 1)
    )


def _unit_positions(session: Session, unit_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Page or seconds of each text unit, to copy onto what was found in it."""
    return {
        uid: {"page": page, "start": start, "end": end}
        for uid, page, start, end in session.execute(
            select(TextUnit.id, TextUnit.page, TextUnit.start, TextUnit.end).where(
                TextUnit.id.in_(unit_ids)
            )
        ).all()
    }


def store_mentions(session: Session, item: Item, job: Job, mentions: list[Any]) -> None:
    """Insert mentions, each resolved to the case's entity with the same label and key
    (created on first sight); the surface forms seen become the entity's aliases."""
    units = _unit_positions(session, {m.unit_id for m in mentions})
    keys = {(m.label, m.key) for m in mentions}
    found = {
        (e.label, e.key): e
        for e in session.execute(
            select(Entity).where(
                Entity.case_id == item.case_id, Entity.key.in_({k for _l, k in keys})
            )
        ).scalars()
    }
    for m in mentions:
        ent = found.get((m.label, m.key))
        if ent is None:
            info = {k: v for k, v in m.info.items() if k in ("lat", "lon", "gazetteer_id")}
            ent = Entity(
                case_id=item.case_id,
                label=m.label,
                name=m.info.get("canonical") or m.text,
                key=m.key,
                info={**info, "aliases": [m.text]},
            )
            session.add(ent)
            found[(m.label, m.key)] = ent
        else:
            aliases = list((ent.info or {}).get("aliases", []))
            if m.text not in aliases and len(aliases) < MAX_ALIASES:
                ent.info = {**(ent.info or {}), "aliases": [*aliases, m.text]}
    session.flush()  # entity ids
    session.execute(
        insert(Mention),
        [
            {
                "item_id": item.id,
                "job_id": job.id,
                "text_unit_id": m.unit_id,
                "entity_id": found[(m.label, m.key)].id,
                "label": m.label,
                "text": m.text,
                "norm": m.norm,
                "char_start": m.start,
                "char_end": m.end,
                **units.get(m.unit_id, _NO_POSITION),
                "source": m.source,
                "info": m.info,
            }
            for m in mentions
        ],
    )


def store_claims(session: Session, item: Item, job: Job, claims: list[Any]) -> None:
    """Insert claims with the page or seconds of the unit each was read from."""
    units = _unit_positions(session, {c.unit_id for c in claims})
    session.execute(
        insert(Claim),
        [
            {
                "case_id": item.case_id,
                "item_id": item.id,
                "job_id": job.id,
                "text_unit_id": c.unit_id,
                "char_start": c.start,
                "char_end": c.end,
                **units[c.unit_id],
                "text": c.text,
                "lang": c.lang,
                "speaker": c.speaker,
                "gloss": c.gloss,
                "info": c.info,
                "embedding": c.embedding,
                "model": c.model,
            }
            for c in claims
            if c.unit_id in units
        ],
    )


def _unit_info(info: dict[str, Any] | None, source_ids: list[int]) -> dict[str, Any] | None:
    if not source_ids:
        return info
    return {**(info or {}), "sources": list(source_ids)}


def _link_sources(session: Session, job_id: int, units: list[Any]) -> None:
    """Turn `sources` (indices into the same result) into catalog ids, now they exist."""
    rows = session.execute(select(TextUnit.seq, TextUnit.id).where(TextUnit.job_id == job_id))
    ids = {seq: uid for seq, uid in rows.all()}
    for seq, u in enumerate(units):
        if not u.sources:
            continue
        src = [ids[i] for i in u.sources if i in ids]
        session.execute(
            update(TextUnit)
            .where(TextUnit.id == ids[seq])
            .values(info={**(u.info or {}), "sources": src}, source_unit_id=src[0] if src else None)
        )


def supersede_older(session: Session, job: Job) -> None:
    # Filter on the item (indexed) only: with the state in the WHERE clause SQLite picks the
    # state index and scans every finished job of the archive.
    older = [
        jid
        for jid, stage, state in session.execute(
            select(Job.id, Job.stage, Job.state).where(Job.item_id == job.item_id)
        ).all()
        if stage == job.stage and jid != job.id and state in ("done", "failed", "pending")
    ]
    if older:
        session.execute(delete(TextUnit).where(TextUnit.job_id.in_(older)))
        session.execute(delete(MediaHash).where(MediaHash.job_id.in_(older)))
        session.execute(delete(Mention).where(Mention.job_id.in_(older)))
        gone = select(Claim.id).where(Claim.job_id.in_(older)).scalar_subquery()
        session.execute(
            delete(ClaimLink).where(ClaimLink.claim_id.in_(gone) | ClaimLink.other_id.in_(gone))
        )
        session.execute(delete(Claim).where(Claim.job_id.in_(older)))
        session.execute(update(Job).where(Job.id.in_(older)).values(state="superseded"))
