"""The chain of custody: an append-only log where each event hashes the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.storage.models import CustodyEvent, utcnow

GENESIS = "0" * 64


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
    session.flush()
    return ev


@dataclass
class ChainBreak:
    seq: int
    reason: str


def verify_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """Recompute the whole chain; return (events checked, first break or None)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for ev in session.execute(select(CustodyEvent).order_by(CustodyEvent.seq)).scalars():
        count += 1
        if ev.seq != expected_seq:
            return count, ChainBreak(expected_seq, f"event {expected_seq} is missing")
        if ev.prev_hash != prev:
            return count, ChainBreak(ev.seq, "does not link to the event before it")
        h = event_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.item_id, ev.details)
        if h != ev.hash:
            return count, ChainBreak(ev.seq, "content does not match its recorded hash")
        prev = ev.hash
        expected_seq += 1
    return count, None


def events_for(session: Session, item_id: str) -> list[CustodyEvent]:
    return list(
        session.execute(
            select(CustodyEvent).where(CustodyEvent.item_id == item_id).order_by(CustodyEvent.seq)
        ).scalars()
    )
