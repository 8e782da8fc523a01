"""Face detections of successive video frames joined into tracks, and the boxes to fill.

`FaceTracker` matches each frame's detections to the tracks still alive (by overlap, or by
centres closer than a box size), confirms a track once one of its detections reaches the
threshold (or two detector passes agree on it), interpolates boxes across frames the
detector missed, and pads each track in time before its first and after its last detection.
`faces` re-exports it; `video` drives it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sijill.protect.face_types import Detection


def _iou(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(ix, 0.0) * max(iy, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class _Track:
    frames: list[int]
    boxes: list[npt.NDArray[np.float64]]
    scores: list[float]
    confirmed: bool = False


class FaceTracker:
    """Detections of successive frames joined into tracks, and the boxes to fill per frame.

    A track starts at any detection; it is confirmed (filled) once one of its detections
    reaches the threshold, and from then on also takes borderline detections, so a face
    that turns away stays covered. Within a track, missed frames are filled with boxes
    interpolated between the detections on both sides, and `pad` frames before the first
    and after the last detection are filled with the nearest box (and a second box moved
    along the track's recent motion), so a face is not seen for a frame or two at the
    edges of what the model caught. `boxes(f)` uses only frames up to `latest`: a caller
    that streams asks for frame f once it has fed frame f + pad.
    """

    def __init__(self, threshold: float, pad: int, max_gap: int | None = None) -> None:
        self.threshold = threshold
        self.pad = max(0, pad)
        # Within 2 * pad + 1 frames of a gap, padding covers every frame anyway.
        self.max_gap = 2 * self.pad + 1 if max_gap is None else max_gap
        self.tracks: list[_Track] = []
        self.latest = -1
        self.confirmed = 0
        self.detections = 0

    def update(self, frame: int, dets: Sequence[Detection]) -> None:
        if frame <= self.latest:
            raise ValueError("frames must be fed in increasing order")
        self.latest = frame
        live = [t for t in self.tracks if frame - t.frames[-1] <= self.max_gap + 1]
        pairs: list[tuple[float, int, int]] = []
        for ti, t in enumerate(live):
            last = t.boxes[-1]
            size = max(last[2] - last[0], last[3] - last[1], 1.0)
            for di, d in enumerate(dets):
                box = np.array([d.x0, d.y0, d.x1, d.y1])
                iou = _iou(last, box)
                dist = math.dist(
                    ((last[0] + last[2]) / 2, (last[1] + last[3]) / 2),
                    ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
                )
                if iou > 0.05 or dist < size:
                    pairs.append((iou - dist / size, ti, di))
        taken_t: set[int] = set()
        taken_d: set[int] = set()
        for _, ti, di in sorted(pairs, reverse=True):
            if ti in taken_t or di in taken_d:
                continue
            taken_t.add(ti)
            taken_d.add(di)
            self._add(live[ti], frame, dets[di])
        for di, d in enumerate(dets):
            if di not in taken_d:
                track = _Track([], [], [])
                self.tracks.append(track)
                self._add(track, frame, d)

    def _add(self, t: _Track, frame: int, d: Detection) -> None:
        t.frames.append(frame)
        t.boxes.append(np.array([d.x0, d.y0, d.x1, d.y1]))
        t.scores.append(d.score)
        if not t.confirmed and d.sure(self.threshold):
            t.confirmed = True
            self.confirmed += 1
            self.detections += len(t.frames)
        elif t.confirmed:
            self.detections += 1

    def boxes(self, frame: int) -> list[npt.NDArray[np.float64]]:
        """Boxes of confirmed tracks to fill at `frame` (not yet enlarged)."""
        out: list[npt.NDArray[np.float64]] = []
        for t in self.tracks:
            if t.confirmed:
                out.extend(self._track_boxes(t, frame))
        return out

    def _track_boxes(self, t: _Track, frame: int) -> list[npt.NDArray[np.float64]]:
        k = bisect.bisect_left(t.frames, frame)
        if k < len(t.frames) and t.frames[k] == frame:
            return [t.boxes[k]]
        before, after = k - 1, k  # detections on either side, if any
        if before >= 0 and after < len(t.frames):
            f0, f1 = t.frames[before], t.frames[after]
            if f1 - f0 <= self.max_gap + 1:
                a = (frame - f0) / (f1 - f0)
                return [t.boxes[before] * (1 - a) + t.boxes[after] * a]
        out = []
        if after < len(t.frames) and t.frames[after] - frame <= self.pad:
            out += self._held(t, after, min(after + 4, len(t.frames) - 1), frame)
        if before >= 0 and frame - t.frames[before] <= self.pad:
            out += self._held(t, before, max(before - 4, 0), frame)
        return out

    @staticmethod
    def _held(t: _Track, k: int, j: int, frame: int) -> list[npt.NDArray[np.float64]]:
        box = t.boxes[k]
        if j == k:
            return [box]
        # The centre moved on along the recent motion, by at most one box size.
        v = (t.boxes[k] - t.boxes[j]) / (t.frames[k] - t.frames[j])
        step = (v[:2] + v[2:]) / 2 * (frame - t.frames[k])
        size = max(box[2] - box[0], box[3] - box[1])
        step = np.clip(step, -size, size)
        return [box, box + np.concatenate([step, step])]

    def doubtful(self, frame: int) -> list[Detection]:
        """Detections at `frame` of tracks not (yet) confirmed: not filled by the tracker."""
        out = []
        for t in self.tracks:
            if t.confirmed:
                continue
            k = bisect.bisect_left(t.frames, frame)
            if k < len(t.frames) and t.frames[k] == frame:
                x0, y0, x1, y1 = (float(v) for v in t.boxes[k])
                out.append(Detection(x0, y0, x1, y1, t.scores[k]))
        return out

    def prune(self, done: int) -> None:
        """Forget what frames after `done` (all emitted up to it) no longer need."""
        keep_from = done - self.max_gap - 2
        kept = []
        for t in self.tracks:
            if t.frames[-1] < keep_from and self.latest - t.frames[-1] > self.max_gap + 1:
                continue
            k = min(bisect.bisect_left(t.frames, keep_from), max(len(t.frames) - 5, 0))
            if k > 0:
                del t.frames[:k], t.boxes[:k], t.scores[:k]
            kept.append(t)
        self.tracks = kept
