"""The face review sheet: thumbnails of frames with a borderline face outlined, as one JPEG.

A borderline detection (scored between the doubt level and the threshold, and not covered by a
fill) is left in the picture and shown here for a person to look at. `faces` re-exports it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from sijill.errors import ConfigError
from sijill.protect.face_types import RGB, Box

SHEET_FRAMES = 24


class ReviewSheet:
    """Thumbnails of published frames with a borderline face outlined, as one JPEG."""

    def __init__(self, limit: int = SHEET_FRAMES, thumb_width: int = 320) -> None:
        self.limit = limit
        self.thumb_width = thumb_width
        self.thumbs: list[RGB] = []
        self._seen = 0
        self._stride = 1  # keeps memory bounded on long videos: every stride-th frame

    def add(self, rgb: RGB, boxes: Sequence[Box], seconds: float, score: float) -> None:
        self._seen += 1
        if (self._seen - 1) % self._stride:
            return
        h, w = rgb.shape[:2]
        f = self.thumb_width / w
        size = (self.thumb_width, max(1, round(h * f)))
        thumb: RGB = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
        for x0, y0, x1, y1 in boxes:
            p0, p1 = (round(x0 * f), round(y0 * f)), (round(x1 * f) - 1, round(y1 * f) - 1)
            cv2.rectangle(thumb, p0, p1, (255, 220, 0), 2)
        label = f"{seconds:.2f} s  score {score:.2f}"
        cv2.putText(thumb, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3)
        cv2.putText(thumb, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        self.thumbs.append(thumb)
        if len(self.thumbs) >= 2 * self.limit:
            self.thumbs = self.thumbs[::2]
            self._stride *= 2

    def write(self, review_dir: Path) -> Path | None:
        if not self.thumbs:
            return None
        n, k = len(self.thumbs), max(self.limit, 1)
        picks = self.thumbs
        if n > k:
            picks = [self.thumbs[round(i * (n - 1) / max(k - 1, 1))] for i in range(k)]
        cols = min(6, len(picks))
        rows = -(-len(picks) // cols)
        ch = max(t.shape[0] for t in picks)
        sheet = np.full((rows * (ch + 4), cols * (self.thumb_width + 4), 3), 40, np.uint8)
        for i, t in enumerate(picks):
            y, x = (i // cols) * (ch + 4) + 2, (i % cols) * (self.thumb_width + 4) + 2
            sheet[y : y + t.shape[0], x : x + t.shape[1]] = t
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        if not ok:
            raise ConfigError("could not encode the face review sheet")
        review_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="faces-review-", suffix=".jpg", dir=review_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(jpeg.tobytes())
        return Path(name)
