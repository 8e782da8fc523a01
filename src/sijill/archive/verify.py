"""Verification: re-hash every sealed blob, recompute the custody chain, check it against its
anchor (and a head someone wrote down), and check records against the digests events hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sijill.errors import ConfigError, IntegrityError
from sijill.storage import custody, record_check
from sijill.storage.anchor import AnchorRead, CustodyKeys, Head
from sijill.storage.archive import Archive
from sijill.storage.models import CustodyEvent
from sijill.storage.repositories import items as items_repo

_HEAD = re.compile(r"([0-9a-fA-F]{64})(?::(\d+))?")


@dataclass
class VerifyReport:
    blobs_checked: int = 0
    events_checked: int = 0
    records_checked: int = 0
    head: Head | None = None
    anchor: Head | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_covered: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        def head(h: Head | None) -> dict[str, Any] | None:
            return {"length": h.length, "hash": h.hash} if h else None

        return {
            "ok": self.ok,
            "blobs_checked": self.blobs_checked,
            "events_checked": self.events_checked,
            "records_checked": self.records_checked,
            "head": head(self.head),
            "anchor": head(self.anchor),
            "problems": self.problems,
            "warnings": self.warnings,
            "not_covered": self.not_covered,
        }


def parse_head(text: str) -> tuple[str, int | None]:
    """`HASH` or `HASH:LENGTH`, as `verify` prints the head."""
    m = _HEAD.fullmatch(text.strip())
    if m is None:
        raise ConfigError(f"--expect-head {text!r}: give the 64-hex head hash, optionally :LENGTH")
    return m.group(1).lower(), int(m.group(2)) if m.group(2) else None


def verify(
    archive: Archive,
    on_blob: Callable[[int, int], None] | None = None,
    expect_head: str | None = None,
) -> VerifyReport:
    expected = parse_head(expect_head) if expect_head else None
    archive.unlock()
    keys = CustodyKeys(archive.keys)
    anchor = keys.read()
    report = VerifyReport()
    latest: dict[str, record_check.Recorded] = {}
    # The hashes of the events the anchor and the expected head name, and where that hash is.
    watch = {n for n in (anchor.head.length if anchor.head else None, *(expected or ())[1:]) if n}
    hash_at: dict[int, str] = {}
    found_at: list[int] = []

    def visit(ev: CustodyEvent) -> None:
        report.head = Head(ev.seq, ev.hash)
        if ev.seq in watch:
            hash_at[ev.seq] = ev.hash
        if expected and ev.hash == expected[0]:
            found_at.append(ev.seq)
        record_check.collect(latest, ev)

    with archive.catalog.session() as s:
        targets: list[tuple[str, str, str, str]] = [
            ("original", i.id, i.sha256, i.blob) for i in items_repo.in_arrival_order(s)
        ]
        targets += [
            ("derivative", f"{d.item_id}/{d.stage}/{d.kind}", d.sha256, d.blob)
            for d in items_repo.all_derivatives(s)
        ]
        for c in items_repo.all_copies(s):
            targets += [
                ("publication_copy", f"{c.item_id}/copy {c.id}/{f['name']}", f["sha256"], f["blob"])
                for f in c.files
            ]
        n_events, brk = custody.verify_chain(s, visit)
        records = record_check.check(s, latest, keys.term_key())
    report.events_checked = n_events
    if brk is not None:
        report.problems.append({"what": "custody_event", "seq": brk.seq, "reason": brk.reason})
    _check_anchor(keys.path.name, anchor, hash_at, report, bool(latest))
    if expected:
        _check_expected(expected, found_at, report)
    report.records_checked = records.checked
    report.problems += records.problems
    report.not_covered = records.not_covered
    for prefix, n in records.not_covered.items():
        noun = record_check.NOUNS.get(prefix, prefix)
        report.warnings.append(f"{n} × {noun}: not covered (made before digests)")
    _check_blobs(archive, targets, report, on_blob)
    return report


def _check_anchor(
    name: str, got: AnchorRead, hash_at: dict[int, str], report: VerifyReport, digests_seen: bool
) -> None:
    head = report.head
    if got.problem is not None:
        report.problems.append({"what": "custody_anchor", "reason": got.problem})
        return
    if got.head is None:
        if head is None:
            return
        if digests_seen:
            # Events written since anchors exist always leave an anchor behind.
            report.problems.append(
                {"what": "custody_anchor", "reason": f"the custody anchor {name} is missing"}
            )
        else:
            report.warnings.append("no custody anchor yet: the next recorded event writes one")
        return
    report.anchor = anchor = got.head
    length = head.length if head else 0
    if anchor.length > length:
        first = length + 1
        span = f"{first}..{anchor.length}" if anchor.length > first else f"{first}"
        report.problems.append(
            {
                "what": "custody_anchor",
                "seq": first,
                "reason": f"custody events {span} deleted (the anchor says the chain had "
                f"{anchor.length} events, it has {length})",
            }
        )
        return
    if anchor.length < length:
        report.warnings.append(
            f"custody events {anchor.length + 1}..{length} were recorded after the anchor was "
            "last written (a crash between a commit and its anchor?); the next event anchors them"
        )
    if hash_at.get(anchor.length) != anchor.hash:
        report.problems.append(
            {
                "what": "custody_anchor",
                "seq": anchor.length,
                "reason": f"custody event {anchor.length} is not the one anchored: the chain "
                "was rewritten",
            }
        )


def _check_expected(
    expected: tuple[str, int | None], found_at: list[int], report: VerifyReport
) -> None:
    want, length = expected
    seq = found_at[0] if found_at else None
    if seq is not None and (length is None or seq == length):
        if report.head is not None and seq < report.head.length:
            report.warnings.append(
                f"the expected head is event {seq}; {report.head.length - seq} events "
                "were recorded after it"
            )
        return
    at = f" at event {length}" if length is not None else ""
    report.problems.append(
        {
            "what": "expected_head",
            "reason": f"the custody chain does not contain the expected head {want}{at}: "
            "events were changed, deleted or replaced since it was written down",
        }
    )


def _check_blobs(
    archive: Archive,
    targets: list[tuple[str, str, str, str]],
    report: VerifyReport,
    on_blob: Callable[[int, int], None] | None,
) -> None:
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
