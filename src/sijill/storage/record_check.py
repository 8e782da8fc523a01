"""Check the catalog's records against the digests their custody events carry.

The latest event that recorded a record's digest says what the record must say now. A record
that says something else was edited outside sijill; one that is gone was deleted; one that no
event recorded, made after digests began, was added outside sijill. Records made before
digests existed are counted as not covered, not as breaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage import digests
from sijill.storage.models import CustodyEvent, Item, Job, TextUnit

CHUNK = 500
NOUNS = {
    "item": "item",
    "receipt": "receipt",
    "metadata": "metadata record",
    "text_unit": "text unit",
    "copy": "publication copy",
    "region": "protect region",
    "term": "protected term",
    "job_units": "text units of job",
}


@dataclass
class Recorded:
    seq: int
    digest: str
    item_id: str | None
    job: int | None = None  # for a text unit: the job that made it


@dataclass
class RecordReport:
    checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    not_covered: dict[str, int] = field(default_factory=dict)


def collect(latest: dict[str, Recorded], ev: CustodyEvent) -> None:
    """Remember what `ev` recorded (a later event's digest replaces an earlier one's)."""
    details = ev.details or {}
    job = details.get("job") if ev.action == "processed" else None
    for key, d in (details.get("digests") or {}).items():
        if isinstance(d, str):
            before = latest.get(key)
            made_by = job if isinstance(job, int) else before.job if before else None
            latest[key] = Recorded(ev.seq, d, ev.item_id, made_by)


def _label(prefix: str, rid: Any, row: Any, item_id: str | None) -> str:
    noun = NOUNS.get(prefix, prefix)
    if prefix == "term" and row is not None:
        # The term's text never appears in verify's output: its kind and pseudonym do.
        return f"{noun} {rid} ({row.kind}, {row.pseudonym}) of case {row.case_id}"
    owner = getattr(row, "item_id", None) if row is not None else item_id
    text = f"{noun} {rid}"
    if prefix == "metadata" and row is not None:
        text += f" ({row.source})"
    if owner and prefix != "item":
        text += f" of item {owner}"
    if prefix == "text_unit" and row is not None:
        text += f" (job {row.job_id}, {row.stage})"
    return text


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _superseded(session: Session, job_ids: set[int]) -> set[int]:
    if not job_ids:
        return set()
    return set(
        session.execute(
            select(Job.id).where(Job.id.in_(job_ids), Job.state == "superseded")
        ).scalars()
    )


def check(session: Session, latest: dict[str, Recorded], term_key: bytes | None) -> RecordReport:
    rep = RecordReport()
    by_prefix: dict[str, dict[Any, Recorded]] = {}
    for key, rec in latest.items():
        prefix, _, raw = key.partition(":")
        rid: Any = raw if prefix == "item" else int(raw) if raw.isdigit() else None
        if rid is not None:
            by_prefix.setdefault(prefix, {})[rid] = rec

    def problem(prefix: str, rid: Any, row: Any, rec: Recorded, reason: str) -> None:
        label = _label(prefix, rid, row, rec.item_id)
        rep.problems.append(
            {
                "what": "record",
                "record": prefix,
                "id": rid,
                "item": getattr(row, "item_id", None) if row is not None else rec.item_id,
                "event": rec.seq,
                "reason": f"{label} {reason} custody event #{rec.seq}",
            }
        )

    for prefix, model in digests.MODELS.items():
        recorded = by_prefix.get(prefix, {})
        rows: dict[Any, Any] = {}
        for part in _chunks(list(recorded)):
            rows.update(
                (r.id, r)
                for r in session.execute(select(model).where(model.id.in_(part))).scalars()
            )
        missing_units: list[tuple[Any, Recorded]] = []
        for rid, rec in recorded.items():
            row = rows.get(rid)
            rep.checked += 1
            if rec.digest == digests.DELETED:
                if row is not None:
                    problem(prefix, rid, row, rec, "is back after it was deleted in")
                continue
            if row is None:
                if prefix == "text_unit":
                    missing_units.append((rid, rec))
                else:
                    problem(prefix, rid, None, rec, "was deleted outside sijill after")
                continue
            actual = digests.digest_of(row, term_key)
            if actual is None:
                continue  # a term without the term key: verify unlocks, so not reached
            if actual[: len(rec.digest)] != rec.digest:
                problem(prefix, rid, row, rec, "was edited after")
        if missing_units:
            # A re-run of a stage replaces the text units of the job before it.
            gone = _superseded(session, {r.job for _i, r in missing_units if r.job is not None})
            for rid, rec in missing_units:
                if rec.job not in gone:
                    problem(prefix, rid, None, rec, "was deleted outside sijill after")
        _uncovered(session, model, prefix, set(recorded), rep)
    _check_job_units(session, by_prefix.get("job_units", {}), rep, problem)
    _items_without_events(session, rep)
    return rep


def _check_job_units(
    session: Session, recorded: dict[Any, Recorded], rep: RecordReport, problem: Any
) -> None:
    gone = _superseded(session, set(recorded))
    for job_id, rec in recorded.items():
        if job_id in gone:
            continue
        ids = list(session.execute(select(TextUnit.id).where(TextUnit.job_id == job_id)).scalars())
        rep.checked += 1
        if digests.job_units_digest(ids) != rec.digest:
            problem("job_units", job_id, None, rec, "were added or deleted outside sijill after")


def _uncovered(
    session: Session, model: Any, prefix: str, covered: set[Any], rep: RecordReport
) -> None:
    ids = list(session.execute(select(model.id)).scalars())
    loose = [i for i in ids if i not in covered]
    if not loose:
        return
    if prefix != "item" and covered:
        # Ids only grow: a record newer than the first one an event recorded was made
        # when every write recorded its digest, so none should be missing.
        first = min(covered)
        for rid in sorted(i for i in loose if i > first):
            rep.problems.append(
                {
                    "what": "record",
                    "record": prefix,
                    "id": rid,
                    "item": None,
                    "event": None,
                    "reason": f"{NOUNS[prefix]} {rid} has no custody event: added outside sijill",
                }
            )
        loose = [i for i in loose if i <= first]
    if loose:
        rep.not_covered[prefix] = len(loose)


def _items_without_events(session: Session, rep: RecordReport) -> None:
    logged = select(CustodyEvent.item_id).where(CustodyEvent.item_id.is_not(None)).distinct()
    for iid in session.execute(select(Item.id).where(Item.id.not_in(logged))).scalars():
        rep.problems.append(
            {
                "what": "record",
                "record": "item",
                "id": iid,
                "item": iid,
                "event": None,
                "reason": f"item {iid} has no custody event: added outside sijill",
            }
        )
