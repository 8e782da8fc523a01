"""Near-duplicate media: items whose PDQ hashes (images, video frames) are close to an item's.

Matching follows vPDQ: hashes below `min_quality` (featureless frames: black, flat colour)
are ignored; two hashes match when they differ in at most `max_distance` of 256 bits (31 is
PDQ's usual threshold). Between videos, what counts is the share of each one's frames that
have a match in the other, and the runs of matching frames whose time offset stays the same:
an excerpt shows up as one such run, at its place in the longer video.

Distances are computed with numpy, a block of hash pairs at a time: XOR, then popcount
(about 6 ns a pair on one core here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from sijill.errors import NotFound
from sijill.storage.models import Item
from sijill.storage.repositories import items as items_repo

ALGO = "pdq"
# Pairs of hashes compared at once: bounds memory (about 20 bytes per pair in flight).
_BLOCK_PAIRS = 1_000_000
# A run of matching frames goes on across this many seconds without a match.
MAX_GAP_S = 2.0
# ... and while the other item's time keeps the same offset, give or take this much.
OFFSET_TOLERANCE_S = 2.0
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

Words = npt.NDArray[np.uint64]


@dataclass
class Hashes:
    """One item's usable hashes: `t` is NaN for an image, else the frame time in seconds."""

    t: npt.NDArray[np.float64]
    words: Words  # (n, 4): the 256 bits as four 64-bit words
    quality: npt.NDArray[np.int64]

    @property
    def is_video(self) -> bool:
        return bool(len(self.t)) and not np.isnan(self.t[0])

    def step(self) -> float:
        """Seconds between sampled frames (1 at vPDQ's 1 fps)."""
        if len(self.t) < 2:
            return 1.0
        return float(np.median(np.diff(self.t))) or 1.0


def pack(hexes: list[str]) -> Words:
    """Hex PDQ hashes as an (n, 4) array of 64-bit words."""
    raw = bytes.fromhex("".join(hexes))
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32).copy().view(np.uint64)


def _popcount_table(x: Words) -> npt.NDArray[np.uint8]:
    counts: npt.NDArray[np.uint8] = (
        _POPCOUNT[x.view(np.uint8)].reshape(*x.shape, 8).sum(axis=-1, dtype=np.uint8)
    )
    return counts


# numpy >= 2 counts bits in hardware; older numpy uses the byte table.
_bitcount: Any = getattr(np, "bitwise_count", None) or _popcount_table


def distances(a: Words, b: Words) -> npt.NDArray[np.uint16]:
    """Hamming distances of every hash of `a` to every hash of `b`, shape (len(a), len(b))."""
    d = np.zeros((len(a), len(b)), dtype=np.uint16)
    for k in range(4):  # a word at a time: flat 2-D arrays, no slow sums over a short axis
        d += _bitcount(a[:, k, None] ^ b[None, :, k])
    return d


def nearest(
    a: Words, b: Words
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """For each hash of `a`, its smallest distance to `b` and where; for each of `b`, to `a`.

    Works through `b` in blocks so memory stays bounded for long videos."""
    best_a = np.full(len(a), 257, dtype=np.int32)
    where_a = np.zeros(len(a), dtype=np.int64)
    best_b = np.full(len(b), 257, dtype=np.int32)
    size = max(1, _BLOCK_PAIRS // max(1, len(a)))
    for start in range(0, len(b), size):
        d = distances(a, b[start : start + size])
        best_b[start : start + size] = d.min(axis=0)
        col = d.argmin(axis=1)
        val = d[np.arange(len(a)), col]
        better = val < best_a
        best_a[better] = val[better]
        where_a[better] = col[better] + start
    return best_a, where_a, best_b


def match_runs(
    query: Hashes,
    other: Hashes,
    best: npt.NDArray[np.int32],
    where: npt.NDArray[np.int64],
    max_distance: int,
) -> list[dict[str, Any]]:
    """Runs of matching query frames, each with the other item's matching time range.

    A run breaks where more than MAX_GAP_S passes without a match, or where the other item's
    best-matching time jumps (its offset from the query time changes): a re-encode is one run
    at offset 0, an excerpt one run at its place in the longer video."""
    hit = np.flatnonzero(best <= max_distance)
    if not len(hit):
        return []
    qt = query.t[hit]
    ot = other.t[where[hit]]
    qstep, ostep = query.step(), other.step()
    offset = ot - qt
    breaks = np.zeros(len(hit), dtype=bool)
    breaks[1:] = (np.diff(qt) > qstep + MAX_GAP_S) | (np.abs(np.diff(offset)) > OFFSET_TOLERANCE_S)
    run_id = np.cumsum(breaks)
    runs: list[dict[str, Any]] = []
    for r in range(int(run_id[-1]) + 1):
        sel = run_id == r
        runs.append(
            {
                "start": _sec(qt[sel].min()),
                "end": _sec(qt[sel].max() + qstep),
                "other_start": _sec(ot[sel].min()),
                "other_end": _sec(ot[sel].max() + ostep),
                "frames": int(sel.sum()),
                "distance": int(best[hit][sel].min()),
            }
        )
    return runs


def _sec(x: float) -> float:
    return round(float(x), 3)


def compare(query: Hashes, other: Hashes, max_distance: int) -> dict[str, Any] | None:
    """How `other` matches `query`, or None when no pair of hashes is close enough."""
    best_q, where_q, best_o = nearest(query.words, other.words)
    q_hit = best_q <= max_distance
    if not q_hit.any():
        return None
    o_hit = best_o <= max_distance
    out: dict[str, Any] = {
        "distance": int(best_q.min()),
        "median_distance": float(np.median(best_q[q_hit])),
        "query_fraction": round(float(q_hit.mean()), 3),
        "other_fraction": round(float(o_hit.mean()), 3),
        "query_frames": int(q_hit.sum()),
        "other_frames": int(o_hit.sum()),
        "ranges": [],
    }
    if query.is_video and other.is_video:
        out["ranges"] = match_runs(query, other, best_q, where_q, max_distance)
    elif query.is_video:  # the other is an image: where it appears in this video
        out["ranges"] = _image_runs(query.t[q_hit], query.step(), best_q[q_hit], other_side=False)
    elif other.is_video:  # this is an image: where it appears in the other video
        out["ranges"] = _image_runs(other.t[o_hit], other.step(), best_o[o_hit], other_side=True)
    out["reason"] = _reason(query, other, out)
    return out


def _image_runs(
    times: npt.NDArray[np.float64], step: float, dist: npt.NDArray[np.int32], *, other_side: bool
) -> list[dict[str, Any]]:
    """Runs of video frames that match an image (times in the video)."""
    breaks = np.zeros(len(times), dtype=bool)
    breaks[1:] = np.diff(times) > step + MAX_GAP_S
    run_id = np.cumsum(breaks)
    runs = []
    for r in range(int(run_id[-1]) + 1):
        sel = run_id == r
        span: tuple[float | None, float | None] = (
            _sec(times[sel].min()),
            _sec(times[sel].max() + step),
        )
        none: tuple[float | None, float | None] = (None, None)
        here, there = none, span
        if not other_side:
            here, there = there, here
        runs.append(
            {
                "start": here[0],
                "end": here[1],
                "other_start": there[0],
                "other_end": there[1],
                "frames": int(sel.sum()),
                "distance": int(dist[sel].min()),
            }
        )
    return runs


def clock(seconds: float | None) -> str:
    """Seconds as m:ss (or h:mm:ss)."""
    if seconds is None:
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _span(start: float | None, end: float | None) -> str:
    return f"{clock(start)}–{clock(end)}"


def _frames(n: int) -> str:
    return "1 frame" if n == 1 else f"{n} frames"


def _likeness(distance: int) -> str:
    if distance == 0:
        return "the same picture (identical hash)"
    if distance <= 10:
        return "the same picture (re-encoded or resized)"
    if distance <= 20:
        return "very similar (re-encoded, resized or slightly edited)"
    return "similar (possibly cropped or edited)"


def _reason(query: Hashes, other: Hashes, m: dict[str, Any]) -> str:
    d = m["distance"]
    runs = m["ranges"]
    where = ", ".join(_span(r["start"], r["end"]) for r in runs[:3])
    there = ", ".join(_span(r["other_start"], r["other_end"]) for r in runs[:3])
    more = f" and {len(runs) - 3} more" if len(runs) > 3 else ""
    if not query.is_video and not other.is_video:
        return f"{_likeness(d)}: {d} of 256 PDQ bits differ"
    if not query.is_video:
        return (
            f"this image appears in the video at {there}{more} "
            f"({_frames(m['other_frames'])}, best distance {d})"
        )
    if not other.is_video:
        return (
            f"the image appears in this video at {where}{more} "
            f"({_frames(m['query_frames'])}, best distance {d})"
        )
    qf, of = m["query_fraction"], m["other_fraction"]
    shares = (
        f"{m['query_frames']} of {len(query.t)} frames here ({qf:.0%}) and "
        f"{m['other_frames']} of {len(other.t)} there ({of:.0%}) match, "
        f"best distance {d}, median {m['median_distance']:g}"
    )
    if qf >= 0.9 and of >= 0.9:
        return f"the same footage (re-encoded or resized): {shares}"
    if of >= 0.9:
        return f"the other video looks like an excerpt of this one, at {where}{more}: {shares}"
    if qf >= 0.9:
        return f"this video looks like an excerpt of the other, its {there}{more}: {shares}"
    return f"shares footage: {where}{more} here ↔ {there} there; {shares}"


def _load(session: Session, min_quality: int, **where: str | None) -> dict[str, Hashes]:
    rows = items_repo.media_hashes(session, ALGO, min_quality, **where)
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return {
        item_id: Hashes(
            t=np.array([np.nan if r[1] is None else r[1] for r in rs], dtype=np.float64),
            words=pack([r[2] for r in rs]),
            quality=np.array([r[3] for r in rs], dtype=np.int64),
        )
        for item_id, rs in grouped.items()
    }


def hash_counts(session: Session, item_id: str, min_quality: int = 50) -> tuple[int, int]:
    """How many PDQ hashes an item has, and how many are of usable quality."""
    qualities = items_repo.hash_qualities(session, item_id, ALGO)
    return len(qualities), sum(1 for q in qualities if q >= min_quality)


def similar(
    session: Session,
    item_id: str,
    *,
    max_distance: int = 31,
    min_quality: int = 50,
    case: str | None = None,
) -> list[dict[str, Any]]:
    """Items of the same case (or of `case`) that are near-duplicates of `item_id`.

    Strongest first: the most of both items matching, then the smaller distance."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id!r}")
    query = _load(session, min_quality, item_id=item.id).get(item.id)
    if query is None:
        return []
    candidates = _load(session, min_quality, case_id=case or item.case_id, other_than=item.id)
    if not candidates:
        return []
    # Screen every candidate hash at once, then look closely only at items with a match.
    ids = list(candidates)
    _, _, best = nearest(query.words, np.concatenate([candidates[i].words for i in ids]))
    starts = np.cumsum([0] + [len(candidates[i].t) for i in ids[:-1]])
    per_item = np.minimum.reduceat(best, starts)
    hits = [ids[n] for n in np.flatnonzero(per_item <= max_distance)]
    items = items_repo.by_ids(session, hits)
    results: list[dict[str, Any]] = []
    for other_id in hits:
        m = compare(query, candidates[other_id], max_distance)
        if m is None:
            continue
        other = items[other_id]
        results.append(
            {"id": other.id, "name": other.name, "kind": other.kind, "mime": other.mime, **m}
        )
    # Whole copies first, then excerpts and stills (less of the two items in common).
    results.sort(
        key=lambda r: (
            -(r["query_fraction"] + r["other_fraction"]),
            r["distance"],
            r["id"],
        )
    )
    return results
