"""Job bookkeeping in the catalog: planning work, committing results, item status."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sijill.pipeline.registry import Registry
from sijill.pipeline.stage import ItemInfo, SourceMention, SourceUnit
from sijill.pipeline.worker import JobOutcome, JobSpec
from sijill.storage import custody
from sijill.storage.models import (
    Derivative,
    Item,
    ItemMetadata,
    Job,
)
from sijill.storage.repositories import jobs as repo
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


def plan(session: Session, registry: Registry, item_ids: Iterable[str] | None = None) -> list[int]:
    """Create the jobs that are now possible; return ids of pending jobs for these items."""
    ids = None if item_ids is None else list(item_ids)
    if ids is not None and not ids:
        return []
    items = repo.items_to_plan(session, ids)
    if not items:
        return []
    case_cfg = repo.case_configs(session)
    jobs_by_item: dict[str, dict[str, Job]] = {}
    for j in repo.live_jobs(session, [i.id for i in items]):
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
        d = repo.last_done(session, item.id, dep)
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
            for u in repo.units_of_jobs(session, dep_jobs)
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
            for m in repo.mentions_of_jobs(session, dep_jobs)
        ]
        for source, data in repo.metadata_of(session, item.id):
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
        repo.insert_text_units(session, item, job, res.text_units)
    if res.media_hashes:
        repo.insert_media_hashes(session, item, job, res.media_hashes)
    if res.mentions:
        repo.store_mentions(session, item, job, res.mentions)
    if res.claims:
        repo.store_claims(session, item, job, res.claims)
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
    repo.supersede_older(session, job)
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


def _safe_time(ts: float | None) -> datetime | None:
    """A member's claimed time, or None when it is absent or not a real date."""
    if ts is None or ts != ts:
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).replace(microsecond=0)
    except (ValueError, OverflowError, OSError):
        return None


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
