"""Text painted in pixels, read for the leak check: several Tesseract passes per picture.

Written apart from protection's reader (`sijill.protect.pictured_text`), with other views
where that costs nothing, so that one blind spot is not shared by both:

- grey with Tesseract's local (Sauvola) threshold, sparse-text layout (psm 11), and grey with
  the global one and automatic layout (psm 3);
- chroma (brightest minus darkest channel): white or black letters on a coloured sign
  have no chroma and the sign has much, whatever its brightness;
- grey inverted (light text on dark);
- grey turned by OpenCV (borders replicated, so no blank corners) by ±15°, ±30°, 90°, 180°
  and 270°.

Large pictures are read downscaled to `SIDE` (letters stay well above Tesseract's needs
at that size for anything a viewer reads without zooming) and, when much larger, once more
at full size. Only the text comes back (Tesseract's plain text output): the leak check
reports terms, not where to fill them. Tesseract gets the picture on stdin, so nothing
decoded is written to disk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from sijill.errors import StageError, ToolMissing
from sijill.tools import run_tool

SIDE = 1600
FULL_SIDE = 2400
TIMEOUT_S = 300
LANGS = "eng+fra+ara"
_LANGS = re.compile(r"[a-z_]{3,}(\+[a-z_]{3,})*")
# (view, psm, degrees counter-clockwise, Tesseract thresholding method)
Pass = tuple[str, int, float, int]
PICTURE: tuple[Pass, ...] = (
    ("grey", 11, 0, 2),
    ("grey", 3, 0, 0),
    ("chroma", 11, 0, 2),
    ("inverted", 11, 0, 2),
    # Slanted views read sparse text (psm 11): with whole-page layout (psm 3) a sign turned
    # level inside a busy photograph reads as nothing at all. Quarter turns keep psm 3,
    # which reads a vertical sign that psm 11 misses.
    ("grey", 11, 15, 2),
    ("grey", 11, -15, 2),
    ("grey", 11, 30, 2),
    ("grey", 11, -30, 2),
    ("grey", 3, 90, 2),
    ("grey", 3, 180, 2),
    ("grey", 3, 270, 2),
)
# Video frames: many of them, so the level views only (captions, signs, tickers).
FRAME: tuple[Pass, ...] = (
    ("grey", 11, 0, 2),
    ("inverted", 11, 0, 2),  # light captions on a dark or saturated bar
    ("chroma", 11, 0, 2),
)


def _tesseract(grey: np.ndarray, langs: str, psm: int, method: int) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ToolMissing("tesseract is not installed (Debian packages tesseract-ocr-*)")
    ok, png = cv2.imencode(".png", grey, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise StageError("a picture could not be encoded for OCR")
    # No --dpi: declaring 300 dpi makes sparse-text layout (psm 11) read nothing on a frame
    # of mostly flat colour; Tesseract's own estimate reads it.
    cmd = [exe, "stdin", "stdout", "-l", langs, "--psm", str(psm)]
    cmd += ["-c", f"thresholding_method={method}"]
    try:
        proc = run_tool(cmd, input=png.tobytes(), capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"tesseract took longer than {TIMEOUT_S} s on a picture") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"tesseract failed: {lines[-1] if lines else proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def _view(rgb: np.ndarray, grey: np.ndarray, name: str) -> np.ndarray:
    if name == "chroma":
        spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
        return np.ascontiguousarray(spread.astype(np.uint8))
    if name == "inverted":
        return np.ascontiguousarray(255 - grey)
    return grey


def _turned(grey: np.ndarray, degrees: float) -> np.ndarray:
    if degrees == 0:
        return grey
    quarter = {90.0: cv2.ROTATE_90_COUNTERCLOCKWISE, 180.0: cv2.ROTATE_180}
    if degrees in quarter:
        return cv2.rotate(grey, quarter[degrees])
    if degrees == 270.0:
        return cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE)
    h, w = grey.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(grey, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def read_texts(
    rgb: np.ndarray,
    langs: str = LANGS,
    *,
    passes: Sequence[Pass] = PICTURE,
    workers: int | None = None,
) -> list[str]:
    """The text each pass reads in an RGB (or grey) picture, one string per pass."""
    if not _LANGS.fullmatch(langs):
        raise StageError(f"bad OCR language list {langs!r}")
    if rgb.ndim == 2:
        rgb = np.dstack([rgb] * 3)
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    if min(h, w) < 8:
        return []
    jobs: list[tuple[np.ndarray, Pass]] = []
    small = rgb
    if max(h, w) > SIDE:
        f = SIDE / max(h, w)
        small = cv2.resize(
            rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA
        )
    small_grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    for p in passes:
        jobs.append((_turned(_view(small, small_grey, p[0]), p[2]), p))
    if max(h, w) > FULL_SIDE:
        jobs.append((cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), ("grey", 11, 0, 2)))
    count = workers or min(len(jobs), os.cpu_count() or 1, 4)
    with ThreadPoolExecutor(max(1, count), thread_name_prefix="leak-ocr") as pool:
        return list(pool.map(lambda job: _tesseract(job[0], langs, job[1][1], job[1][3]), jobs))
