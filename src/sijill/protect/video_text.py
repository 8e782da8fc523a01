"""Protected names burned into a video's frames: read on sampled frames, filled between them.

A caption, a name card, a sign in the shot or a news ticker puts a name in the pixels of many
frames. Reading every frame would take hours, so frames are sampled on the same stream that is
being filled (one timeline, no second decode that could drift by a start offset): the first
frame of every 1/`fps` slot, and every frame that differs sharply from the one before (a cut
to a name card between two samples). Each sample is read by `pictured_text`'s frame passes
(level grey with local thresholding, and white on any colour), fuzzy-matched against the
protected terms like any other text.

What a sample shows is assumed to show from the sample before it to the sample after it: a
frame between two samples is filled with the boxes found in both, and where the same term
was found in both, with the rectangle that holds both boxes (a ticker moving across the
screen). So a name that is on screen for at least one sampling interval is filled on every
frame it shows, however it fades in or out, and only a name shown for less than 1/`fps`
seconds without a cut can be missed. The leak check reads the written copy's frames again
with its own OCR (`leakcheck/ocr.py`).

The filler holds no frame itself: `video._run` asks `ready(i)` before it writes frame `i`
(the next sample after it has been read), so the frames between two samples wait in the
face tracker's buffer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from sijill.protect.pictured_text import FRAME_PASSES, LANGS, check_langs, find_text_regions
from sijill.protect.redact import Redactor

Box = tuple[int, int, int, int]
SAMPLE_FPS = 2.0  # the leak check reads one a second: protection reads twice as often
# Mean absolute difference (0-1) of small grey thumbnails of two consecutive frames above
# which the second is a cut and is read too; at most one such extra sample per `_CUT_GAP`.
CUT = 0.12
_CUT_GAP = 3
_THUMB = (64, 36)


@dataclass
class _Sample:
    index: int
    found: Future[list[tuple[str, Box]]]


@dataclass
class TextReport:
    samples: int = 0
    samples_with_names: int = 0
    filled_frames: int = 0
    names: list[dict[str, str]] = field(default_factory=list)  # pseudonym and kind, no term

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames_read": self.samples,
            "frames_read_with_names": self.samples_with_names,
            "filled_frames": self.filled_frames,
            "names": self.names,
        }


class BurnedInText:
    """Decides which boxes of each frame hold a protected name (see the module docstring)."""

    def __init__(
        self,
        redactor: Redactor,
        rate: float,
        width: int,
        height: int,
        *,
        langs: str = LANGS,
        fps: float = SAMPLE_FPS,
        workers: int = 1,
    ) -> None:
        check_langs(langs)
        if fps <= 0 or rate <= 0:
            raise ValueError("fps and the frame rate must be positive")
        self.redactor, self.langs = redactor, langs
        self.rate, self.fps = rate, fps
        self.width, self.height = width, height
        self.report = TextReport()
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="frame-ocr")
        self._samples: list[_Sample] = []
        self._first = 0  # samples before this one are no longer needed
        self._seen = -1  # the last frame offered
        self._thumb: np.ndarray | None = None
        self._ended = False
        self._named: set[tuple[str, str]] = set()

    def offer(self, index: int, frame: np.ndarray) -> None:
        """Every decoded frame, in order, before it is filled."""
        self._seen = index
        small = cv2.resize(
            cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), _THUMB, interpolation=cv2.INTER_AREA
        ).astype(np.float32)
        cut = self._thumb is not None and float(np.mean(np.abs(small - self._thumb))) / 255 > CUT
        self._thumb = small
        last = self._samples[-1].index if self._samples else None
        slot = math.floor(index / self.rate * self.fps)
        take = (
            last is None
            or slot > math.floor(last / self.rate * self.fps)
            or (cut and index - last >= _CUT_GAP)
        )
        if take:
            # A copy: the frame is filled in place later, maybe while it is being read.
            self._samples.append(_Sample(index, self._pool.submit(self._read, frame.copy())))
            self.report.samples += 1

    def end(self) -> None:
        """No more frames: the last sample covers every frame after it."""
        self._ended = True

    def ready(self, index: int) -> bool:
        """Whether frame `index` can be decided: two samples at or after it exist (the second
        tells how a name that appears at the first one was moving), or the stream ended."""
        if self._ended:
            return True
        return len(self._samples) >= 2 and self._samples[-2].index >= index

    def boxes(self, index: int) -> list[Box]:
        """The boxes to fill in frame `index` (waits for the samples around it to be read)."""
        samples = self._samples
        while self._first + 1 < len(samples) and samples[self._first + 1].index <= index:
            self._first += 1
        if self._first > 64:  # frames are decided in order: forget what lies behind
            del samples[: self._first - 2]
            self._first = 2
        if not samples:
            return []
        p = self._first if samples[self._first].index <= index else None
        q = next((k for k in range(self._first, len(samples)) if samples[k].index >= index), None)
        now = {k: _by_term(samples[k].found.result()) for k in {p, q} if k is not None}
        out = [box for hits in now.values() for boxes in hits.values() for box in boxes]
        if p is not None and q is not None and p != q:
            for term in now[p].keys() & now[q].keys():
                out.append(_hull(now[p][term] + now[q][term]))
            # A name seen on one side only came into view or left it in between: where it
            # was moving (seen in two samples in a row), its box is carried along its path.
            for term in now[p].keys() - now[q].keys():
                out += self._carried(term, p, p - 1, index)
            for term in now[q].keys() - now[p].keys():
                out += self._carried(term, q, q + 1, index)
        self.report.filled_frames += bool(out)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _carried(self, term: str, k: int, other: int, index: int) -> list[Box]:
        samples = self._samples
        if not 0 <= other < len(samples):
            return []
        seen = _by_term(samples[other].found.result()).get(term)
        if not seen:
            return []
        here = _hull(_by_term(samples[k].found.result())[term])
        there = _hull(seen)
        frames = samples[other].index - samples[k].index
        step = [(there[j] - here[j]) / frames for j in range(4)]
        ahead = index - samples[k].index
        moved = tuple(round(here[j] + step[j] * ahead) for j in range(4))
        x0, y0, x1, y1 = _hull([here, moved])  # type: ignore[list-item]
        box = (max(0, x0), max(0, y0), min(self.width, x1), min(self.height, y1))
        return [box] if box[2] > box[0] and box[3] > box[1] else []

    def _read(self, frame: np.ndarray) -> list[tuple[str, Box]]:
        regions = find_text_regions(
            frame, self.redactor, self.langs, passes=FRAME_PASSES, workers=len(FRAME_PASSES)
        )
        hits: list[tuple[str, Box]] = []
        for r in regions:
            x0, y0, x1, y1 = r.bounds()
            box = (
                max(0, math.floor(x0)),
                max(0, math.floor(y0)),
                min(self.width, math.ceil(x1)),
                min(self.height, math.ceil(y1)),
            )
            if box[2] > box[0] and box[3] > box[1]:
                hits.append((r.label or r.kind, box))
            if (r.label, r.kind) not in self._named:
                self._named.add((r.label, r.kind))
                self.report.names.append({"pseudonym": r.label, "kind": r.kind})
        self.report.samples_with_names += bool(hits)
        return hits


def _by_term(hits: Sequence[tuple[str, Box]]) -> dict[str, list[Box]]:
    out: dict[str, list[Box]] = {}
    for term, box in hits:
        out.setdefault(term, []).append(box)
    return out


def _hull(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def fill_text(frame: np.ndarray, boxes: Sequence[Box]) -> None:
    """Black over each box, whatever the face fill mode: a blurred name can be read."""
    for x0, y0, x1, y1 in boxes:
        frame[y0:y1, x0:x1] = 0
