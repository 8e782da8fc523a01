"""Job bookkeeping in the catalog: planning work, committing results, item status."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from sijill.pipeline.registry import Registry
from sijill.pipeline.stage import ItemInfo, SourceMention, SourceUnit
from sijill.pipeline.worker import JobOutcome, JobSpec
from sijill.storage import custody
from sijill.storage.models import (
    Case,
    Claim,
    ClaimLink,
    Derivative,
    Entity,
    Item,
    ItemMetadata,
    Job,
    MediaHash,
    Mention,
    TextUnit,
)
from sijill.storage.repositories.items import register_item

FINAL = ("done", "failed", "skipped")


def item_info(item: Item) -> ItemInfo:
    return ItemInfo(
        id=item.id,
        sha256=item.sha256,
        size=item.size,
        name=item.name,
        mime=item.mime,
        kind=item.kind,
        depth=item.depth,
        case=item.case_id,
        info=dict(item.info or {}),
    )


def recover(session: Session) -> int:
    """Jobs left 'running' by a runner that died go back to pending."""
    res = session.execute(update(Job).where(Job.state == "running").values(state="pending"))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def plan(session: Session, registry: Registry, item_ids: Iterable[str] | None = None) -> list[int]:
    """Create the jobs that are now possible; return ids of pending jobs for these items."""
    q = select(Item).where(Item.status != "empty")
    if item_ids is not None:
        ids = list(item_ids)
        if not ids:
            return []
        q = q.where(Item.id.in_(ids))
    items = list(session.execute(q).scalars())
    if not items:
        return []
    case_cfg = {c.id: c.config or {} for c in session.execute(select(Case)).scalars()}
    jobs_by_item: dict[str, dict[str, Job]] = {}
    all_jobs = session.execute(
        select(Job).where(Job.item_id.in_([i.id for i in items]), Job.state != "superseded")
    ).scalars()
    for j in all_jobs:
        jobs_by_item.setdefault(j.item_id, {})[j.stage + f"@{j.stage_version}:{j.config_hash}"] = j
    pending: list[Job] = []
    names = set(registry.names())
    for item in items:
        info = item_info(item)
        existing = jobs_by_item.get(item.id, {})
        current: dict[str, Job] = {}
        # Stages that do not apply to this item do not hold back the stages after them.
        not_applicable: set[str] = set()
        for stage in registry.ordered():
            deps = [d for d in stage.after if d in names and d not in not_applicable]
            dep_jobs = [current.get(d) for d in deps]
            if any(j is None or j.state != "done" for j in dep_jobs):
                continue
            previous = {j.stage: dict(j.result or {}) for j in dep_jobs if j is not None}
            if not stage.accepts(info, previous):
                not_applicable.add(stage.name)
                continue
            cfg, chash = registry.config_and_hash(stage, case_cfg.get(item.case_id, {}))
            if stage.reads_text:
                # Its input is the text of those jobs: new text (a re-run of a stage before
                # it) means a new job, which supersedes this one's result when done.
                inputs = ",".join(f"{j.stage}:{j.id}" for j in dep_jobs if j is not None)
                chash = hashlib.sha256(f"{chash}|{inputs}".encode()).hexdigest()[:16]
            key = f"{stage.name}@{stage.version}:{chash}"
            job = existing.get(key)
            if job is None:
                job = Job(
                    item_id=item.id,
                    input_sha256=item.sha256,
                    stage=stage.name,
                    stage_version=stage.version,
                    config_hash=chash,
                    config=cfg,
                    state="pending",
                    attempts=0,
                    result={},
                )
                session.add(job)
                existing[key] = job
            current[stage.name] = job
            if job.state == "pending":
                pending.append(job)
        _refresh_status(item, list(existing.values()))
    session.flush()  # one flush gives every new job its id
    return [j.id for j in pending]


def spec_for(session: Session, job: Job, default_memory_mb: int, registry: Registry) -> JobSpec:
    item = session.get_one(Item, job.item_id)
    stage = registry.get(job.stage)
    previous: dict[str, dict[str, Any]] = {}
    dep_jobs: list[int] = []
    for dep in stage.after:
        d = session.execute(
            select(Job)
            .where(Job.item_id == item.id, Job.stage == dep, Job.state == "done")
            .order_by(Job.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if d is not None:
            previous[dep] = dict(d.result or {})
            if stage.reads_text:
                dep_jobs.append(d.id)
    units: list[SourceUnit] = []
    if dep_jobs:
        units = [
            SourceUnit(
                id=u.id,
                stage=u.stage,
                kind=u.kind,
                text=u.text,
                lang=u.lang,
                page=u.page,
                start=u.start,
                end=u.end,
                source_ids=tuple((u.info or {}).get("sources") or ()),
            )
            for u in session.execute(
                select(TextUnit)
                .where(TextUnit.job_id.in_(dep_jobs))
                .order_by(TextUnit.job_id, TextUnit.seq)
            ).scalars()
        ]
    mentions: list[SourceMention] = []
    metadata: dict[str, dict[str, Any]] = {}
    if dep_jobs:
        mentions = [
            SourceMention(
                unit_id=m.text_unit_id,
                entity_id=m.entity_id,
                label=m.label,
                text=m.text,
                start=m.char_start,
                end=m.char_end,
                norm=m.norm,
                info=dict(m.info or {}),
            )
            for m in session.execute(
                select(Mention).where(Mention.job_id.in_(dep_jobs)).order_by(Mention.id)
            ).scalars()
        ]
        for source, data in session.execute(
            select(ItemMetadata.source, ItemMetadata.data)
            .where(ItemMetadata.item_id == item.id)
            .order_by(ItemMetadata.id)
        ).all():
            metadata[source] = dict(data or {})
    return JobSpec(
        job_id=job.id,
        stage=job.stage,
        config=dict(job.config),
        item=item_info(item),
        blob=item.blob,
        previous=previous,
        memory_mb=stage.memory_mb or default_memory_mb,
        text_units=units,
        mentions=mentions,
        metadata=metadata,
    )


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


def commit_outcome(session: Session, outcome: JobOutcome, actor: str) -> list[str]:
    """Write a job's result; return ids of items whose planning may change.

    The caller runs `plan()` on those ids in the same transaction, which also brings the
    items' statuses up to date.
    """
    job = session.get(Job, outcome.job_id)
    if job is None or job.state != "running":
        return []
    item = session.get_one(Item, job.item_id)
    job.finished_at = datetime.now(UTC)
    job.duration_s = round(outcome.duration_s, 4)
    touched = [item.id]
    if not outcome.ok:
        job.state = "failed"
        job.error = outcome.error or "unknown failure"
        if outcome.result is not None:
            job.result = outcome.result.data
        if outcome.status:
            _flag(item, outcome.status, f"{job.stage}: {job.error}")
        return touched
    res = outcome.result
    assert res is not None
    data = dict(res.data)
    child_ids: list[str] = []
    for child in res.children:
        c, _created = register_item(
            session,
            case_id=item.case_id,
            sha256=child.sha256,
            size=child.size,
            blob=child.blob,
            name=child.name,
            mime=child.mime,
            description=child.description,
            actor=actor,
            source=None,
            parent=item,
            file_mtime=_safe_time(child.mtime),
        )
        child_ids.append(c.id)
    if res.children:
        data["children"] = child_ids
        touched.extend(child_ids)
    derivative_hashes = []
    for d in res.derivatives:
        session.add(
            Derivative(
                item_id=item.id,
                job_id=job.id,
                stage=job.stage,
                kind=d.kind,
                mime=d.mime,
                sha256=d.blob.sha256,
                size=d.blob.size,
                blob=d.blob.name,
                info=d.info,
            )
        )
        derivative_hashes.append(d.blob.sha256)
    for source, meta in res.metadata.items():
        session.add(ItemMetadata(item_id=item.id, job_id=job.id, source=source, data=meta))
    if res.text_units:
        # One executemany instead of an ORM object per unit: pages are the bulk of the work.
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
                for seq, u in enumerate(res.text_units)
            ],
        )
        if any(u.sources for u in res.text_units):
            _link_sources(session, job.id, res.text_units)
    if res.media_hashes:
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
                for h in res.media_hashes
            ],
        )
    if res.mentions:
        _store_mentions(session, item, job, res.mentions)
    if res.claims:
        _store_claims(session, item, job, res.claims)
    if res.item_info:
        merged = dict(item.info or {})
        merged.update(res.item_info)
        item.info = merged
    if res.item_status:
        _flag(item, res.item_status, res.item_status_reason or res.item_status)
    if res.warnings:
        data["warnings"] = res.warnings
    job.result = data
    job.state = "done"
    job.error = None
    _supersede_older(session, job)
    custody.append(
        session,
        actor,
        "processed",
        item.id,
        {
            "job": job.id,
            "stage": job.stage,
            "version": job.stage_version,
            "config_hash": job.config_hash,
            "derivatives": derivative_hashes,
            "text_units": len(res.text_units),
            "media_hashes": len(res.media_hashes),
            "mentions": len(res.mentions),
            "claims": len(res.claims),
            "children": len(child_ids),
        },
    )
    session.flush()
    return touched


MAX_ALIASES = 50


_NO_POSITION: dict[str, Any] = {"page": None, "start": None, "end": None}


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


def _store_mentions(session: Session, item: Item, job: Job, mentions: list[Any]) -> None:
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


def _store_claims(session: Session, item: Item, job: Job, claims: list[Any]) -> None:
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


def _safe_time(ts: float | None) -> datetime | None:
    """A member's claimed time, or None when it is absent or not a real date."""
    if ts is None or ts != ts:
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).replace(microsecond=0)
    except (ValueError, OverflowError, OSError):
        return None


def _supersede_older(session: Session, job: Job) -> None:
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


def _flag(item: Item, status: str, reason: str) -> None:
    info = dict(item.info or {})
    info["flag_status"] = status
    info["flag_reason"] = reason
    item.info = info


def _refresh_status(item: Item, item_jobs: list[Job]) -> None:
    """Derive the item's status from its (non-superseded) jobs and any flag a stage set."""
    if item.kind == "empty":
        return
    live = sorted((j for j in item_jobs if j.state != "superseded"), key=lambda j: j.id or 0)
    info = item.info or {}
    failures = [j for j in live if j.state == "failed"]
    if info.get("flag_status"):
        status, reason = str(info["flag_status"]), str(info.get("flag_reason"))
    elif failures:
        status, reason = "failed", f"{failures[0].stage}: {failures[0].error}"
    elif any(j.state in ("pending", "running") for j in live):
        status, reason = "pending", None
    else:
        status, reason = "processed", None
    if item.status != status or item.status_reason != reason:
        item.status = status
        item.status_reason = reason
