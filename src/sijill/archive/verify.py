"""Verification: re-hash every sealed blob and recompute the custody chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from sijill.archive import custody
from sijill.archive.archive import Archive
from sijill.errors import IntegrityError
from sijill.storage.models import Derivative, Item, PublicationCopy


@dataclass
class VerifyReport:
    blobs_checked: int = 0
    events_checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "blobs_checked": self.blobs_checked,
            "events_checked": self.events_checked,
            "problems": self.problems,
        }


def verify(archive: Archive, on_blob: Callable[[int, int], None] | None = None) -> VerifyReport:
    archive.unlock()
    report = VerifyReport()
    with archive.catalog.session() as s:
        targets: list[tuple[str, str, str, str]] = [
            ("original", i.id, i.sha256, i.blob)
            for i in s.execute(select(Item).order_by(Item.received_at, Item.id)).scalars()
        ]
        targets += [
            ("derivative", f"{d.item_id}/{d.stage}/{d.kind}", d.sha256, d.blob)
            for d in s.execute(select(Derivative).order_by(Derivative.id)).scalars()
        ]
        for c in s.execute(select(PublicationCopy).order_by(PublicationCopy.id)).scalars():
            targets += [
                ("publication_copy", f"{c.item_id}/copy {c.id}/{f['name']}", f["sha256"], f["blob"])
                for f in c.files
            ]
        n_events, brk = custody.verify_chain(s)
    report.events_checked = n_events
    if brk is not None:
        report.problems.append({"what": "custody_event", "seq": brk.seq, "reason": brk.reason})
    seen: set[str] = set()
    for n, (what, ref, sha, blob) in enumerate(targets, 1):
        if on_blob:
            on_blob(n, len(targets))
        if blob in seen:
            continue
        seen.add(blob)
        report.blobs_checked += 1
        try:
            actual, _size = archive.blobs.digest(blob)
        except IntegrityError as exc:
            report.problems.append({"what": what, "ref": ref, "blob": blob, "reason": str(exc)})
            continue
        if actual != sha:
            report.problems.append(
                {
                    "what": what,
                    "ref": ref,
                    "blob": blob,
                    "reason": f"content hashes to {actual}, recorded {sha}",
                }
            )
    return report
