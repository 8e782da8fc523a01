"""The chain of custody: an append-only log where each event hashes the one before it.

Two things make the log commit to more than itself:
- the last event of every transaction carries the digests of the records that transaction
  created, changed or deleted (items, receipts, metadata, text units, protected terms,
  publication copies, regions: see `digests`), computed just before the commit, so `verify`
  names a record edited after its event;
- after the commit, the chain's head is written to the archive's anchor (see `anchor`), so a
  chain cut short is noticed.
Both happen in session hooks, so every service that writes an event gets them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.orm import Session

from sijill.storage import digests
from sijill.storage.anchor import CustodyKeys, Head
from sijill.storage.models import CustodyEvent, utcnow
from sijill.storage.shapes import Event

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_EVENTS = "custody_events"  # session.info: events this transaction appended
_RECORDS = "custody_records"  # session.info: tracked records it touched
_PG_LOCK = 0x5349_4A49_4C4C  # "SIJILL": one advisory lock for the custody chain
_KEYS: weakref.WeakKeyDictionary[Engine, CustodyKeys] = weakref.WeakKeyDictionary()


def attach(engine: Engine, keys: CustodyKeys) -> None:
    """Anchor the custody chain of the catalog behind `engine` in `keys`."""
    _KEYS[engine] = keys


def keys_for(session: Session) -> CustodyKeys | None:
    bind = session.bind
    engine = getattr(bind, "engine", bind)
    return _KEYS.get(engine) if isinstance(engine, Engine) else None


def fmt_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    item_id: str | None,
    details: dict[str, Any],
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": fmt_time(at),
            "actor": actor,
            "action": action,
            "item_id": item_id,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(
    session: Session,
    actor: str,
    action: str,
    item_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Append one event inside the caller's transaction (which holds the write lock)."""
    mine = _live_events(session)
    if mine:
        # This transaction appended the last event and holds the lock since: it is the head
        # (a batch of a runner's results appends one per job).
        last: Any = (mine[-1].seq, mine[-1].hash)
    else:
        if session.get_bind().dialect.name == "postgresql":
            # SQLite transactions take the write lock at BEGIN IMMEDIATE; PostgreSQL ones
            # take this lock (held to commit or rollback), so "read the last hash, append"
            # never interleaves between writers, on one machine or many.
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        last = session.execute(
            select(CustodyEvent.seq, CustodyEvent.hash).order_by(CustodyEvent.seq.desc()).limit(1)
        ).first()
    seq = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS
    at = utcnow()
    det = details or {}
    ev = CustodyEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        item_id=item_id,
        details=det,
        prev_hash=prev,
        hash=event_hash(prev, seq, at, actor, action, item_id, det),
    )
    session.add(ev)
    mine.append(ev)
    session.info[_EVENTS] = mine
    return ev


def _live_events(session: Session) -> list[CustodyEvent]:
    """The events this transaction appended that are still in it: a savepoint rolled back
    (one file of an ingest batch that failed) takes its events out of the session."""
    events: list[CustodyEvent] = session.info.get(_EVENTS) or []
    return [ev for ev in events if ev in session]


def _watched_changed(obj: Any) -> bool:
    cols = digests.WATCHED.get(type(obj))
    state = inspect(obj)
    names = cols if cols is not None else [a.key for a in state.mapper.column_attrs]
    return any(state.attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
    records: dict[int, tuple[Any, str | None]] = session.info.setdefault(_RECORDS, {})
    for obj in session.new:
        if type(obj) in digests.TRACKED:
            records[id(obj)] = (obj, None)
    for obj in session.dirty:
        if type(obj) in digests.TRACKED and _watched_changed(obj):
            records[id(obj)] = (obj, None)
    for obj in session.deleted:
        if type(obj) in digests.TRACKED:
            records[id(obj)] = (obj, digests.key_of(obj))


@event.listens_for(Session, "before_commit")
def _seal_records(session: Session) -> None:
    """Put the digests of what this transaction wrote into its last custody event."""
    events = _live_events(session)
    session.info[_EVENTS] = events
    if not events:
        session.info.pop(_RECORDS, None)
        return
    session.flush()
    keys = keys_for(session)
    term_key = keys.term_key() if keys is not None else None
    found: dict[str, str] = {}
    for obj, deleted in (session.info.pop(_RECORDS, None) or {}).values():
        if deleted is not None:
            if obj not in session:  # in the session again: the delete was rolled back
                found[deleted] = digests.DELETED
            continue
        if obj not in session:
            continue  # added in a savepoint that was rolled back
        d = digests.digest_of(obj, term_key)
        if d is not None:
            found[digests.key_of(obj)] = d
    for ev in events:
        job = (ev.details or {}).get("job")
        if ev.action == "processed" and isinstance(job, int):
            found.update(digests.job_unit_digests(session, job))
    last = events[-1]
    if not found:
        return
    details = dict(last.details or {})
    details["digests"] = {**details.get("digests", {}), **found}
    last.details = details
    last.hash = event_hash(
        last.prev_hash, last.seq, last.at, last.actor, last.action, last.item_id, details
    )
    session.flush()


@event.listens_for(Session, "after_commit")
def _anchor(session: Session) -> None:
    # SQLAlchemy also calls this when a savepoint is released, but nothing is durable until
    # the outermost transaction commits: an anchor advanced then would claim events that a
    # rollback or a crash takes back, and `verify` would read that as a cut-off chain. (It
    # also cost an anchor write, with its fsync, per file an ingest batch sealed.)
    if session.in_nested_transaction():
        return
    events: list[CustodyEvent] = session.info.pop(_EVENTS, None) or []
    session.info.pop(_RECORDS, None)
    if not events:
        return
    keys = keys_for(session)
    if keys is None:
        return
    try:
        keys.advance(Head(events[-1].seq, events[-1].hash))
    except OSError as exc:
        # The commit stands; verify will say that the chain runs past its anchor.
        log.warning("custody anchor not written: %s", exc.strerror)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        # One savepoint (one file of an ingest batch): its events and records leave the
        # session with it, and `_live_events` / `_seal_records` skip what is gone; the
        # rest of the transaction's events must still be anchored at its commit.
        return
    session.info.pop(_EVENTS, None)
    session.info.pop(_RECORDS, None)


@dataclass
class ChainBreak:
    seq: int
    reason: str


def verify_chain(
    session: Session, visit: Callable[[CustodyEvent], None] | None = None
) -> tuple[int, ChainBreak | None]:
    """Recompute the whole chain; return (events checked, first break or None).

    `visit` sees every event in order, also past a break (to check what events record)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    brk: ChainBreak | None = None
    for ev in session.execute(select(CustodyEvent).order_by(CustodyEvent.seq)).scalars():
        if visit is not None:
            visit(ev)
        if brk is not None:
            continue
        count += 1
        if ev.seq != expected_seq:
            brk = ChainBreak(expected_seq, f"event {expected_seq} is missing")
        elif ev.prev_hash != prev:
            brk = ChainBreak(ev.seq, "does not link to the event before it")
        elif (
            event_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.item_id, ev.details) != ev.hash
        ):
            brk = ChainBreak(ev.seq, "content does not match its recorded hash")
        prev = ev.hash
        expected_seq += 1
    return count, brk


def events_for(session: Session, item_id: str) -> list[CustodyEvent]:
    return list(
        session.execute(
            select(CustodyEvent).where(CustodyEvent.item_id == item_id).order_by(CustodyEvent.seq)
        ).scalars()
    )


def event_json(e: CustodyEvent, *, with_item: bool = False) -> Event:
    """One event as listings show it (with its item's id in a case's log)."""
    doc: Event = {
        "seq": e.seq,
        "at": fmt_time(e.at),
        "actor": e.actor,
        "action": e.action,
        "details": e.details,
        "hash": e.hash,
    }
    if with_item:
        doc["item_id"] = e.item_id
    return doc


def events_of_case(session: Session, case_id: str, limit: int = 200) -> list[CustodyEvent]:
    """The case's events, newest first: those of its items, and those that name the case
    (people's roles, terms, exports)."""
    from sijill.storage.models import Item

    in_case = select(Item.id).where(Item.case_id == case_id)
    return list(
        session.execute(
            select(CustodyEvent)
            .where(
                CustodyEvent.item_id.in_(in_case)
                | (
                    CustodyEvent.item_id.is_(None)
                    & (CustodyEvent.details["case"].as_string() == case_id)
                )
            )
            .order_by(CustodyEvent.seq.desc())
            .limit(limit)
        ).scalars()
    )
