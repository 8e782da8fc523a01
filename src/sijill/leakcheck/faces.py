"""Faces, found with OpenCV's Haar cascades: a second opinion on the protecting detector.

The protection fills faces found by CenterFace (a neural network); the leak check looks again
with a different method (Viola-Jones cascades: frontal default and alt2, profile both ways),
so that one detector's blind spot is less likely to pass unseen. OpenCV 4 ships no LBP
cascades in cv2.data, so only Haar ones are used. Detections smaller than MIN_FACE pixels are
ignored: at that size nobody is recognisable and the cascades fire on noise.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from sijill.errors import StageError
from sijill.tools import start_tool

MIN_FACE = 20
# Work size: larger pictures are scaled down to this longest side before detection.
MAX_SIDE = 1280
VIDEO_FPS = 2.0
MAX_FRAMES = 200


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    w: int
    h: int
    cascade: str


@cache
def _cascades() -> tuple[tuple[str, cv2.CascadeClassifier, int], ...]:
    out = []
    # minNeighbors per cascade: the profile cascade fires more readily on texture, so it
    # must be more sure.
    for name, neighbours in (
        ("haarcascade_frontalface_default.xml", 5),
        ("haarcascade_frontalface_alt2.xml", 4),
        ("haarcascade_profileface.xml", 6),
    ):
        # cv2.data is a plain package next to the extension module; its stubs omit it.
        folder = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]
        c = cv2.CascadeClassifier(str(folder / name))
        if c.empty():
            raise StageError(f"OpenCV cascade {name} is missing or unreadable")
        out.append((name.removeprefix("haarcascade_").removesuffix(".xml"), c, neighbours))
    return tuple(out)


def detect(gray: np.ndarray) -> list[Face]:
    """Faces in an 8-bit greyscale picture, in its own pixel coordinates."""
    h, w = gray.shape[:2]
    # Histogram equalisation is left out on purpose: on a plain background it washed the
    # face out and the cascades missed it. Tiny pictures are enlarged so that a face of
    # MIN_FACE pixels still spans the cascades' 24-pixel window comfortably.
    scale = min(2.0, MAX_SIDE / max(h, w, 1)) if max(h, w) < 400 else min(1.0, MAX_SIDE / max(h, w))
    small = gray if scale == 1.0 else cv2.resize(gray, (int(w * scale), int(h * scale)))
    found: list[Face] = []
    min_px = max(MIN_FACE, int(MIN_FACE * scale))
    for name, cascade, neighbours in _cascades():
        views = [(small, False)]
        if name == "profileface":
            views.append((cv2.flip(small, 1), True))  # the cascade only knows left profiles
        for img, flipped in views:
            boxes = cascade.detectMultiScale(
                img, scaleFactor=1.1, minNeighbors=neighbours, minSize=(min_px, min_px)
            )
            for x, y, bw, bh in boxes if len(boxes) else ():
                if flipped:
                    x = img.shape[1] - x - bw
                f = Face(int(x / scale), int(y / scale), int(bw / scale), int(bh / scale), name)
                if f.w >= MIN_FACE and f.h >= MIN_FACE:
                    found.append(f)
    return found


def to_gray(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim == 2:
        return rgb.astype(np.uint8, copy=False)
    if rgb.shape[2] == 4:
        return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGBA2GRAY))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def video_frames(
    path: Path, width: int, height: int, duration: float | None
) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, greyscale frame) sampled at VIDEO_FPS, at most MAX_FRAMES, as shown
    (rotation applied), decoded by ffmpeg."""
    if width <= 0 or height <= 0:
        return
    fps = VIDEO_FPS
    if duration and duration * fps > MAX_FRAMES:
        fps = MAX_FRAMES / duration
    # ffmpeg applies the display rotation (as players do) and keeps the aspect ratio.
    vf = f"fps={fps:.6f},scale='min({MAX_SIDE},iw)':-2"
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
        "-map", "0:v:0", "-vf", vf, "-pix_fmt", "gray", "-f", "image2pipe", "-c:v", "pgm", "-",
    ]  # fmt: skip
    proc = start_tool(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        for i in range(MAX_FRAMES + 1):
            frame = _read_pgm(proc.stdout)
            if frame is None:
                break
            yield i / fps, frame
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def _read_pgm(stream: IO[bytes]) -> np.ndarray | None:
    """One binary PGM picture from a pipe of them (ffmpeg's image2pipe)."""
    read = stream.read
    fields: list[bytes] = []
    token = b""
    while len(fields) < 4:
        ch = read(1)
        if not ch:
            return None
        if ch.isspace():
            if token:
                fields.append(token)
                token = b""
        else:
            token += ch
    if fields[0] != b"P5":
        raise StageError("ffmpeg sent an unexpected frame format")
    w, h, maxval = int(fields[1]), int(fields[2]), int(fields[3])
    if maxval > 255:
        raise StageError("ffmpeg sent 16-bit frames")
    data = read(w * h)
    if len(data) < w * h:
        return None
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w)
