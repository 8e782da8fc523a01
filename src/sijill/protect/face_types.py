"""Small types shared by the face modules (`faces`, `tracking`, `review_sheet`).

They live here, below all three, so that none of those modules needs to import another one's
types and no import cycle can form; `faces` re-exports them for its callers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1: pixels, x1 and y1 excluded


@dataclass(frozen=True)
class Detection:
    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    support: int = 1  # how many of the detector's passes (scales, tilts) saw this face

    def sure(self, threshold: float) -> bool:
        """Whether to fill it: a score at the threshold, or a doubtful one that two passes
        agree on (one texture rarely looks like a face at two scales or tilts)."""
        return self.score >= threshold or self.support >= 2
