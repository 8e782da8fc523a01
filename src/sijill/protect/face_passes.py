"""Where CenterFace looks: several scales and tilts of one picture, merged into one answer.

CenterFace scores a face well when it spans roughly 20 to 300 pixels of its input and stands
within about 30 degrees of upright. A face filling a third of a 12-megapixel photo is a
thousand pixels tall: at full size the model sees only parts of it (a low score, a box on
one eye). So every picture is searched at its own size and again halved, and halved again,
down to about `MIN_SIDE` pixels; one of the smaller levels (at most `ROTATE_SIDE` pixels on
its longest side, where a pass is cheap) is searched again tilted by `TILTS` degrees either
way, and for still pictures a quarter turn either way (a phone held sideways, a person
lying down). Boxes found in a tilted pass are turned back and replaced by their upright
bounding box.

All detections are then merged: boxes that overlap (IoU over 0.3, or half of the smaller one
inside the other) are one face; its score is the best of them, its box the union of those
that reach the threshold (or the best box), and `support` counts the passes that saw it. A
face seen by two passes in the doubt band is plausible enough to fill (see
`Detection.sure`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from sijill.protect.face_types import RGB, Detection

MIN_SIDE = 360
ROTATE_SIDE = 1024
TILTS = (25.0, -25.0)
MERGE_IOU = 0.3
MERGE_INSIDE = 0.5


@dataclass(frozen=True)
class Pass:
    """One look at the picture: scaled by `scale`, then turned by `angle` degrees
    (counter-clockwise, about the centre; 90 and -90 turn the whole picture)."""

    scale: float
    angle: float = 0.0


def plan(width: int, height: int, *, tilts: bool = True, sideways: bool = False) -> list[Pass]:
    """The passes for a picture of this size."""
    side = max(width, height)
    scales = [1.0]
    while side * scales[-1] / 2 >= MIN_SIDE:
        scales.append(scales[-1] / 2)
    passes = [Pass(s) for s in scales]
    # The tilted passes run at the largest level that is small enough to be cheap; a face
    # too small to be found there is small enough for the upright passes to tolerate a tilt.
    turn = next((s for s in scales if side * s <= ROTATE_SIDE), scales[-1])
    if tilts:
        passes += [Pass(turn, a) for a in TILTS]
    if sideways:
        passes += [Pass(turn, 90.0), Pass(turn, -90.0)]
    return passes


def run_passes(
    rgb: RGB,
    passes: list[Pass],
    detect_one: Callable[[RGB], list[Detection]],
    threshold: float,
) -> list[Detection]:
    """Every pass of `passes` through `detect_one` (a single CenterFace run), merged, in the
    picture's own pixel coordinates, best first."""
    h, w = rgb.shape[:2]
    found: list[tuple[int, Detection]] = []
    levels: dict[float, RGB] = {}
    for k, p in enumerate(passes):
        img = levels.get(p.scale)
        if img is None:
            img = _scaled(rgb, p.scale)
            levels[p.scale] = img
        turned, back = _turned(img, p.angle)
        for d in detect_one(turned):
            x0, y0, x1, y1 = _upright((d.x0, d.y0, d.x1, d.y1), back)
            s = p.scale
            box = (
                max(0.0, x0 / s),
                max(0.0, y0 / s),
                min(float(w), x1 / s),
                min(float(h), y1 / s),
            )
            if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
                found.append((k, Detection(*box, d.score)))
    return merge(found, threshold)


def _scaled(rgb: RGB, scale: float) -> RGB:
    if scale == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)


def _turned(img: RGB, angle: float) -> tuple[RGB, np.ndarray]:
    """The picture turned by `angle`, and the 2x3 matrix taking its pixels back upright."""
    h, w = img.shape[:2]
    if angle == 0.0:
        return img, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if angle in (90.0, -90.0):
        # A quarter turn keeps every pixel. np.rot90 turns counter-clockwise: a point (x, y)
        # of the turned picture came from (w - 1 - y, x) (90) or (y, h - 1 - x) (-90).
        if angle == 90.0:
            return np.ascontiguousarray(np.rot90(img, 1)), np.array(
                [[0.0, -1.0, w - 1.0], [1.0, 0.0, 0.0]]
            )
        return np.ascontiguousarray(np.rot90(img, -1)), np.array(
            [[0.0, 1.0, 0.0], [-1.0, 0.0, h - 1.0]]
        )
    # Same canvas, corners cut: the upright passes already cover the corners, and a larger
    # canvas would cost almost twice as much.
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    return np.asarray(turned, np.uint8), cv2.invertAffineTransform(m)


def _upright(
    box: tuple[float, float, float, float], back: np.ndarray
) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    pts = corners @ back.T
    return (
        float(pts[:, 0].min()),
        float(pts[:, 1].min()),
        float(pts[:, 0].max()),
        float(pts[:, 1].max()),
    )


def _same_face(a: Detection, b: Detection) -> bool:
    ix = min(a.x1, b.x1) - max(a.x0, b.x0)
    iy = min(a.y1, b.y1) - max(a.y0, b.y0)
    if ix <= 0 or iy <= 0:
        return False
    inter = ix * iy
    area_a = (a.x1 - a.x0) * (a.y1 - a.y0)
    area_b = (b.x1 - b.x0) * (b.y1 - b.y0)
    union = area_a + area_b - inter
    return inter >= MERGE_IOU * union or inter >= MERGE_INSIDE * min(area_a, area_b)


def merge(found: list[tuple[int, Detection]], threshold: float) -> list[Detection]:
    """Detections of all passes (pass number, detection) as one per face, best first."""
    order = sorted(found, key=lambda kd: -kd[1].score)
    out: list[Detection] = []
    taken = [False] * len(order)
    for i, (_, best) in enumerate(order):
        if taken[i]:
            continue
        group = [order[i]]
        taken[i] = True
        for j in range(i + 1, len(order)):
            if not taken[j] and _same_face(best, order[j][1]):
                taken[j] = True
                group.append(order[j])
        # The union of the sure boxes: each pass sees a slightly different extent of the
        # face, and the fill must cover all of them.
        sure = [d for _, d in group if d.score >= threshold] or [best]
        out.append(
            Detection(
                min(d.x0 for d in sure),
                min(d.y0 for d in sure),
                max(d.x1 for d in sure),
                max(d.y1 for d in sure),
                best.score,
                support=len({k for k, _ in group}),
            )
        )
    return out


def head_box(
    box: tuple[float, float, float, float],
    width: int,
    height: int,
    grow: tuple[float, float, float, float],
) -> tuple[int, int, int, int]:
    """A face box grown to the whole head: `grow` is (left, top, right, bottom) in shares of
    the box's width or height; clipped to the picture, rounded outwards."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    left, top, right, bottom = grow
    return (
        max(0, math.floor(x0 - left * bw)),
        max(0, math.floor(y0 - top * bh)),
        min(width, math.ceil(x1 + right * bw)),
        min(height, math.ceil(y1 + bottom * bh)),
    )
