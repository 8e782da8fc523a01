"""Faces, found with OpenCV's Haar cascades: a second opinion on the protecting detector.

The protection fills faces found by CenterFace (a neural network); the leak check looks again
with a different method (Viola-Jones cascades: frontal default and alt2, profile both ways),
so that one detector's blind spot is less likely to pass unseen. OpenCV 4 ships no LBP
cascades in cv2.data, so only Haar ones are used.

The cascades are trained on upright faces, so the picture is searched upright at its work
size (all cascades, every scale from MIN_FACE pixels up to the whole picture), and again,
scaled to TURN_SIDE pixels, tilted by TILTS degrees either way (a head on one side, a phone
held askew) and, for still pictures, turned a quarter either way. Boxes found turned are
turned back (their upright bounding box).

A lone cascade hit on a texture (a window, a street sign) is a false alarm that would stop a
clean copy, and a real face is almost always found more than once: by both frontal cascades,
or by one cascade in several passes, or by one cascade with many neighbouring windows. So a
candidate counts as a face only when two hits overlap (different cascades or passes) or one
hit has at least STRONG neighbours; see benchmarks/leakcheck_faces.py for what this costs
and gains. Detections smaller than MIN_FACE pixels are ignored: at that size nobody is
recognisable and the cascades fire on noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from sijill.errors import StageError

MIN_FACE = 20
# Work size: larger pictures are scaled down to this longest side before detection.
MAX_SIDE = 1280
# Turned passes run at this longest side: a tilted face big enough to matter is found there,
# at a quarter of the cost of the work size.
TURN_SIDE = 640
TILTS = (25.0, -25.0)
# Neighbouring windows (minNeighbors' count) that make one hit sure on its own.
STRONG = 12
# Candidates are collected leniently, then confirmed (see the module's docstring).
_LENIENT = 3


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    w: int
    h: int
    cascade: str


@dataclass(frozen=True)
class _Hit:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the picture's pixels
    cascade: str
    view: int  # which pass
    neighbours: int


@cache
def _cascades() -> tuple[tuple[str, cv2.CascadeClassifier], ...]:
    out = []
    for name in (
        "haarcascade_frontalface_default.xml",
        "haarcascade_frontalface_alt2.xml",
        "haarcascade_profileface.xml",
    ):
        # cv2.data is a plain package next to the extension module; its stubs omit it.
        folder = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]
        c = cv2.CascadeClassifier(str(folder / name))
        if c.empty():
            raise StageError(f"OpenCV cascade {name} is missing or unreadable")
        out.append((name.removeprefix("haarcascade_").removesuffix(".xml"), c))
    return tuple(out)


def detect(gray: np.ndarray, *, sideways: bool = True) -> list[Face]:
    """Faces in an 8-bit greyscale picture, in its own pixel coordinates; `sideways` adds
    the quarter-turn passes (still pictures; a video is filmed upright)."""
    hits = candidates(gray, sideways=sideways)
    return [
        Face(round(x0), round(y0), round(x1 - x0), round(y1 - y0), h.cascade)
        for h in confirmed(hits)
        for x0, y0, x1, y1 in [h.box]
    ]


def candidates(gray: np.ndarray, *, sideways: bool = True) -> list[_Hit]:
    """Every cascade hit of every pass, leniently (for `confirmed` to judge)."""
    h, w = gray.shape[:2]
    if min(h, w) < MIN_FACE:
        return []
    # Histogram equalisation is left out on purpose: on a plain background it washed the
    # face out and the cascades missed it. Tiny pictures are enlarged so that a face of
    # MIN_FACE pixels still spans the cascades' 24-pixel window comfortably.
    scale = min(2.0, MAX_SIDE / max(h, w, 1)) if max(h, w) < 400 else min(1.0, MAX_SIDE / max(h, w))
    small = _resized(gray, scale)
    hits: list[_Hit] = []
    for name, cascade in _cascades():
        hits += _run(cascade, name, small, scale, None, 0, flip=False)
        if name == "profileface":  # the cascade only knows left profiles
            hits += _run(cascade, name, small, scale, None, 1, flip=True)
    turn = min(scale, TURN_SIDE / max(h, w, 1)) if max(h, w) * scale > TURN_SIDE else scale
    base = small if turn == scale else _resized(gray, turn)
    angles = list(TILTS) + ([90.0, -90.0] if sideways else [])
    for k, angle in enumerate(angles, start=2):
        img, back = _turned(base, angle)
        for name, cascade in _cascades()[:2]:  # frontal only: profiles tilt less
            hits += _run(cascade, name, img, turn, back, k, flip=False)
    return hits


def confirmed(hits: list[_Hit]) -> list[_Hit]:
    """One hit per face among the candidates that are sure (see the module's docstring)."""
    order = sorted(hits, key=lambda h: -h.neighbours)
    out: list[_Hit] = []
    for i, hit in enumerate(order):
        # Agreement needs boxes of about the same face (IoU), not a small hit inside a big
        # one: a texture under a filled head fired that way.
        others = [o for j, o in enumerate(order) if j != i and _iou(hit.box, o.box) >= 0.3]
        agree = any(o.cascade != hit.cascade or o.view != hit.view for o in others)
        if (agree or hit.neighbours >= STRONG) and not any(
            _overlap(hit.box, kept.box) for kept in out
        ):
            out.append(hit)
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    inter = ix * iy
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return inter >= 0.4 * small


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _resized(gray: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return gray
    h, w = gray.shape[:2]
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def _turned(img: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The picture turned by `angle` degrees (counter-clockwise), and the 2x3 matrix that
    takes its pixels back; tilts keep the canvas (corners cut, the upright pass saw them)."""
    h, w = img.shape[:2]
    if angle == 90.0:
        return np.ascontiguousarray(np.rot90(img, 1)), np.array([[0, -1, w - 1], [1, 0, 0.0]])
    if angle == -90.0:
        return np.ascontiguousarray(np.rot90(img, -1)), np.array([[0, 1, 0], [-1, 0, h - 1.0]])
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return np.asarray(cv2.warpAffine(img, m, (w, h))), cv2.invertAffineTransform(m)


def _run(
    cascade: cv2.CascadeClassifier,
    name: str,
    img: np.ndarray,
    scale: float,
    back: np.ndarray | None,
    view: int,
    *,
    flip: bool,
) -> list[_Hit]:
    src = cv2.flip(img, 1) if flip else img
    min_px = max(MIN_FACE, int(MIN_FACE * scale)) if back is None else MIN_FACE
    boxes, counts = cascade.detectMultiScale2(
        src, scaleFactor=1.1, minNeighbors=_LENIENT, minSize=(min_px, min_px)
    )
    out = []
    for (x, y, bw, bh), n in zip(list(boxes), list(counts), strict=True):
        if flip:
            x = src.shape[1] - x - bw
        x0, y0, x1, y1 = float(x), float(y), float(x + bw), float(y + bh)
        if back is not None:
            pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ back.T
            x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
            x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
        box = (x0 / scale, y0 / scale, x1 / scale, y1 / scale)
        if box[2] - box[0] >= MIN_FACE and box[3] - box[1] >= MIN_FACE:
            out.append(_Hit(box, name, view, int(n)))
    return out


def to_gray(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim == 2:
        return rgb.astype(np.uint8, copy=False)
    if rgb.shape[2] == 4:
        return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGBA2GRAY))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def same_picture(a: np.ndarray, b: np.ndarray, noise: int = 3) -> bool:
    """Whether two greyscale frames differ by no more than compression noise anywhere."""
    if a.shape != b.shape:
        return False
    return int(cv2.absdiff(a, b).max()) <= noise
