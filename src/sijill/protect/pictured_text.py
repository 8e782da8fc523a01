"""Protected names painted in pixels: found by several Tesseract passes, filled over.

One Tesseract pass misses a lot of what a person reads at a glance: white letters on a red
sign, a name written at 15°, 30° or 90°, Arabic shop signs that its page layout analysis
takes for a picture. So every picture goes through several passes, each a different view
of the same pixels:

- grey as is, with sparse-text (psm 11) and block (psm 6) layout: signs and captions are
  sparse, a photographed page is a block;
- grey inverted: light text on dark ground;
- the darkest channel, binarised (Otsu) and inverted: white on any saturated colour (red,
  blue, green) becomes black on white, which grey alone loses when the colour is light;
- grey turned by ±15°, ±30°, 90°, 180° and 270°, so slanted and vertical text is level.

Detection passes read a copy downscaled to `DETECT_SIDE` (Tesseract re-scales each line it
reads anyway, and cost grows with pixels); a picture much larger gets one extra full-size
pass for small print. Each pass gives word boxes (TSV); the boxes of turned passes are mapped
back onto the upright picture as four-corner polygons. Words are matched against the
`Redactor` line by line and as runs of adjacent words (names split over blocks), and, for
OCR errors, by comparing the glued letters of each run of words with each term within a
small edit distance. Every hit is filled with black, with a margin, and labelled with its
pseudonym where the box is level.

Tesseract reads PNM on stdin and writes TSV on stdout: no page render rests on disk.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from sijill.errors import StageError, ToolMissing
from sijill.protect.redact import ProtectedTerm, Redactor
from sijill.text.normalise import normalize
from sijill.tools import run_tool

DETECT_SIDE = 1600  # longest side of the detection copy
FULL_SIDE = 2400  # above this, one more pass at full size reads small print
PASS_TIMEOUT_S = 300
LANGS = "eng+fra+ara"
_LANGS = re.compile(r"[a-z_]{3,}(\+[a-z_]{3,})*")
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
_NONWORD = re.compile(r"[\W_]+")
_PROCLITICS = tuple(
    sorted(
        {c + p for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل", "ال", "بال", "كال", "لل")}
        - {""},
        key=len,
        reverse=True,
    )
)
# Views of the picture: (name, psm, turn in degrees counter-clockwise, thresholding).
# Thresholding 0 is Tesseract's global Otsu, 2 its local Sauvola: a pale sign on a mid-grey
# wall vanishes under a global threshold, and a turned view's blank corners skew it.
View = tuple[str, int, float, int]
ALL_PASSES: tuple[View, ...] = (
    ("grey", 11, 0, 0),
    ("grey", 11, 0, 2),
    ("grey", 6, 0, 2),
    ("inverted", 11, 0, 2),
    ("white-on-colour", 11, 0, 0),
    ("grey", 11, 15, 2),
    ("grey", 11, -15, 2),
    ("grey", 11, 30, 2),
    ("grey", 11, -30, 2),
    ("grey", 11, 90, 2),
    ("grey", 11, 270, 2),
    ("grey", 11, 180, 2),
)
# Video frames: level text (captions, signs, tickers), dark on light and light on dark (a
# white caption on a red bar is read by neither grey view but the inverted one).
FRAME_PASSES: tuple[View, ...] = (
    ("grey", 11, 0, 2),
    ("inverted", 11, 0, 2),
    ("white-on-colour", 11, 0, 0),
)
# Small print in a large picture: one more level pass at full size.
FULL_PASS: View = ("full-size grey", 11, 0, 2)
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """Where a protected term is painted: a polygon of the upright picture, margin included."""

    points: tuple[Point, ...]
    label: str  # the pseudonym
    kind: str
    text: str  # what Tesseract read (never logged or stored: it may be the name)
    view: View = ("grey", 11, 0, 0)  # the pass that read it

    def bounds(self) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class _Word:
    text: str
    line: tuple[int, ...]  # pass, block, paragraph, line
    points: tuple[Point, ...]


def check_langs(langs: str) -> None:
    if not _LANGS.fullmatch(langs):
        raise StageError(f"bad OCR language list {langs!r}")


def _run_tesseract(image: Image.Image, langs: str, psm: int, method: int) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise ToolMissing("tesseract is not installed (Debian packages tesseract-ocr-*)")
    buf = io.BytesIO()
    image.save(buf, "PPM")  # PGM for grey: no compression, fast both ways
    # No --dpi: a picture has no true resolution, and a declared 300 dpi makes the sparse-text
    # layout (psm 11) find nothing at all on a frame that is mostly flat colour (a caption
    # bar over a plain background), at any letter size; left to estimate it, Tesseract reads it.
    cmd = [exe, "stdin", "stdout", "-l", langs, "--psm", str(psm)]
    cmd += ["-c", f"thresholding_method={method}", "tsv"]
    try:
        proc = run_tool(
            cmd,
            input=buf.getvalue(),
            capture_output=True,
            timeout=PASS_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"tesseract took longer than {PASS_TIMEOUT_S} s on one picture") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"tesseract failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def _view(grey: Image.Image, rgb: np.ndarray, name: str) -> Image.Image:
    if name == "inverted":
        return ImageOps.invert(grey)
    if name == "white-on-colour":
        low = Image.fromarray(np.ascontiguousarray(rgb.min(axis=2)), "L")
        return ImageOps.invert(_otsu(low))
    return grey


def _otsu(image: Image.Image) -> Image.Image:
    hist = np.asarray(image.histogram()[:256], dtype=np.float64)
    total = hist.sum()
    if total == 0:
        return image
    levels = np.arange(256)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * levels)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1)
    cut = int(np.argmax(between))
    return image.point(lambda v: 255 if v > cut else 0)


def _turn(image: Image.Image, degrees: float) -> Image.Image:
    if degrees == 0:
        return image
    # The corners a turn uncovers take the picture's median grey: white or black corners
    # make Tesseract take the whole picture for one image region and read nothing in it.
    fill = int(np.median(np.asarray(image)))
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def _unturn(
    points: Iterable[Point], degrees: float, size: tuple[int, int], turned: tuple[int, int]
) -> tuple[Point, ...]:
    """Points of a turned view (PIL rotate, expand=True) back in the upright picture."""
    if degrees == 0:
        return tuple(points)
    a = math.radians(degrees)
    cos, sin = math.cos(a), math.sin(a)
    cx, cy = size[0] / 2, size[1] / 2
    tx, ty = turned[0] / 2, turned[1] / 2
    out = []
    for x, y in points:
        dx, dy = x - tx, y - ty
        out.append((cx + cos * dx - sin * dy, cy + sin * dx + cos * dy))
    return tuple(out)


def _read_pass(
    grey: Image.Image,
    rgb: np.ndarray,
    view: View,
    langs: str,
    index: int,
    scale: float,
) -> list[_Word]:
    name, psm, degrees, method = view
    picture = _view(grey, rgb, name)
    turned = _turn(picture, degrees)
    tsv = _run_tesseract(turned, langs, psm, method)
    words: list[_Word] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        x, y, w, h = (int(c) for c in cols[6:10])
        # The margin: a quarter of the letter height, at least 3 px of the view.
        m = max(3.0, 0.25 * h)
        corners = ((x - m, y - m), (x + w + m, y - m), (x + w + m, y + h + m), (x - m, y + h + m))
        upright = _unturn(corners, degrees, picture.size, turned.size)
        points = tuple((px / scale, py / scale) for px, py in upright)
        line = (index, *(int(c) for c in cols[2:5]))
        words.append(_Word(cols[11].strip(), line, points))
    return words


def _key(text: str) -> str:
    return _NONWORD.sub("", normalize(text))


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 once it is certainly larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _tolerance(key: str) -> int:
    # OCR confuses a letter or two (l/1/I, rn/m, dots of Arabic letters): one error from
    # five letters, two from ten. Shorter terms must be read exactly.
    return 0 if len(key) < 5 else (1 if len(key) < 10 else 2)


class _Matcher:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.keys = [
            (key, t)
            for t in redactor.terms
            if t.kind != "phone" and (key := _key(t.term)) and _tolerance(key)
        ]
        self.longest = max((len(t.term.split()) for t in redactor.terms), default=1) + 1

    def fuzzy(self, glued: str) -> ProtectedTerm | None:
        found = self.closest(glued)
        return found[0] if found is not None else None

    def closest(self, glued: str) -> tuple[ProtectedTerm, int] | None:
        """The first term within its tolerance of `glued`, and how many edits away."""
        for key, term in self.keys:
            limit = _tolerance(key)
            if (d := _distance(glued, key, limit)) <= limit:
                return term, d
            # An Arabic proclitic glued to the front (و ب ل ك ف, the article) is no error.
            for clitic in _PROCLITICS:
                if glued.startswith(clitic) and not key.startswith(clitic):
                    if (d := _distance(glued[len(clitic) :], key, limit)) <= limit:
                        return term, d
        return None

    def hits(self, words: Sequence[_Word]) -> list[tuple[_Word, ProtectedTerm]]:
        """Words that are (part of) a protected term, each with its term."""
        marked: dict[int, ProtectedTerm] = {}
        # Lines as Tesseract grouped them, then the whole pass as one run of words: a sign's
        # two words may land in two blocks.
        groups: list[list[int]] = []
        for i, w in enumerate(words):
            if groups and words[groups[-1][-1]].line == w.line:
                groups[-1].append(i)
            else:
                groups.append([i])
        runs = [*groups, list(range(len(words)))]
        for run in runs:
            self._exact(words, run, marked)
        for start in range(len(words)):
            for n in range(1, self.longest + 1):
                window = list(range(start, min(start + n, len(words))))
                if len(window) < n:
                    break
                keys = [_key(words[i].text) for i in window]
                if not keys[0] or not keys[-1]:
                    continue  # a stray mark ("|", a dot) at either end is not part of a name
                found = self.closest("".join(keys))
                if found is None:
                    continue
                term, dist = found
                # "of Ali al-Nakhli" glued is within two letters of the name too: a run is
                # dropped when one word shorter it reads the same term more closely, so
                # "of" (or "في") next to a name is not blacked out with it. A name broken
                # into pieces ("Ka rim Nakhli") is read best whole and stays whole.
                if n > 1 and any(
                    (inner := self.closest("".join(part))) is not None
                    and inner[0] == term
                    and inner[1] < dist
                    for part in (keys[1:], keys[:-1])
                ):
                    continue
                for i in window:
                    marked.setdefault(i, term)
        return [(words[i], t) for i, t in sorted(marked.items())]

    def _exact(
        self, words: Sequence[_Word], run: list[int], marked: dict[int, ProtectedTerm]
    ) -> None:
        text_parts: list[str] = []
        spans: list[tuple[int, int, int]] = []
        pos = 0
        for i in run:
            if text_parts:
                text_parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(words[i].text), i))
            text_parts.append(words[i].text)
            pos += len(words[i].text)
        for hit in self.redactor.find("".join(text_parts)):
            for start, end, i in spans:
                if start < hit.end and end > hit.start:
                    marked.setdefault(i, hit.term)


def find_text_regions(
    rgb: np.ndarray,
    redactor: Redactor,
    langs: str = LANGS,
    *,
    passes: Sequence[View] = ALL_PASSES,
    workers: int | None = None,
    full_size: bool = True,
) -> list[Box]:
    """Polygons (upright pixels, margin included) of every protected term read in `rgb`."""
    if not redactor or not redactor.terms:
        return []
    check_langs(langs)
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    height, width = rgb.shape[:2]
    full = Image.fromarray(rgb, "RGB")
    jobs: list[tuple[Image.Image, np.ndarray, View, float]] = []
    scale = min(1.0, DETECT_SIDE / max(width, height))
    small = (
        full
        if scale == 1.0
        else full.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
        )
    )
    small_rgb = np.asarray(small)
    small_grey = small.convert("L")
    jobs += [(small_grey, small_rgb, view, scale) for view in passes]
    if max(width, height) > FULL_SIDE and full_size:
        jobs.append((full.convert("L"), rgb, FULL_PASS, 1.0))
    count = workers or min(len(jobs), os.cpu_count() or 1, 4)
    with ThreadPoolExecutor(max(1, count), thread_name_prefix="ocr") as pool:
        results = list(
            pool.map(
                lambda ij: _read_pass(ij[1][0], ij[1][1], ij[1][2], langs, ij[0], ij[1][3]),
                enumerate(jobs),
            )
        )
    matcher = _Matcher(redactor)
    boxes: dict[tuple[Point, ...], Box] = {}
    for (_, _, view, _), words in zip(jobs, results, strict=True):
        for word, term in matcher.hits(words):
            points = tuple((round(x, 1), round(y, 1)) for x, y in word.points)
            boxes.setdefault(points, Box(points, term.pseudonym, term.kind, word.text, view))
    return list(boxes.values())


def fill_boxes(image: Image.Image, boxes: Sequence[Box], *, labels: bool = True) -> None:
    """Cover each polygon with black; level ones carry their pseudonym in white."""
    draw = ImageDraw.Draw(image)
    for box in boxes:
        draw.polygon([(round(x), round(y)) for x, y in box.points], fill=(0, 0, 0))
    if not labels:
        return
    for box in boxes:
        if abs(box.points[1][1] - box.points[0][1]) > 1 or not box.label:
            continue  # a turned box keeps only its black: a level label would stick out
        left, top, right, bottom = box.bounds()
        label = f"[{box.label}]"
        size = int((bottom - top) * 0.6)
        while size >= 8:
            font = ImageFont.truetype(_FONT, size)
            x0, y0, x1, y1 = draw.textbbox((0, 0), label, font=font)
            if x1 - x0 <= right - left - 2:
                x = left + (right - left - (x1 - x0)) / 2 - x0
                y = top + (bottom - top - (y1 - y0)) / 2 - y0
                draw.text((x, y), label, font=font, fill=(255, 255, 255))
                break
            size = int(size * 0.85)


def redact_picture(
    rgb: np.ndarray,
    redactor: Redactor,
    langs: str = LANGS,
    *,
    passes: Sequence[View] = ALL_PASSES,
) -> tuple[np.ndarray, list[Box]]:
    """`rgb` with every protected term read in it filled, and the boxes filled.

    After a fill the picture is read again by the passes that found something: covering one
    word can let layout analysis find another it had merged into a picture, and those views
    are the ones in which this picture's text is legible (the others found nothing before).
    """
    found: list[Box] = []
    image = Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8), "RGB")
    views = list(passes)
    full_size = True
    for _ in range(3):
        boxes = find_text_regions(
            np.asarray(image), redactor, langs, passes=views, full_size=full_size
        )
        if not boxes:
            break
        fill_boxes(image, boxes)
        found += boxes
        full_size = any(b.view == FULL_PASS for b in boxes)
        views = [v for v in views if any(b.view == v for b in boxes)]
    return np.asarray(image), found
