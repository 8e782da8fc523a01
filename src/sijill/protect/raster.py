"""OCR and raster helpers: Tesseract runs, word boxes, filling hits, rendering pages.

Shared by the PDF rebuild (``sijill.protect.pdf``), office documents and pictures:
``tesseract`` runs the OCR engine on one image, ``ocr_words`` reads its TSV back as text
with a box per word, ``_hit_boxes`` maps hits in a PDF page's text layer to pixels of its
render, ``_fill`` covers boxes with black labelled with their pseudonyms, and
``redact_raster`` fills the protected terms Tesseract reads in a picture.
"""

from __future__ import annotations

import ctypes
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from sijill.errors import StageError, ToolMissing
from sijill.protect.redact import Redactor
from sijill.tools import run_tool

DPI = 200
MAX_RENDER_PIXELS = 50_000_000
PAGE_TIMEOUT_S = 600
_LANGS = re.compile(r"[a-z_]{3,}(\+[a-z_]{3,})*")
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float
    label: str = ""


def check_langs(langs: str) -> None:
    if not _LANGS.fullmatch(langs):
        raise StageError(f"bad OCR language list {langs!r}")


def tesseract(image: Path, base: Path, langs: str, dpi: int, outputs: tuple[str, ...]) -> None:
    """Run Tesseract on one image, writing base.pdf / base.tsv / base.txt as asked."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise ToolMissing("tesseract is not installed (Debian packages tesseract-ocr-*)")
    cmd = [exe, str(image), str(base), "-l", langs, "--dpi", str(dpi), *outputs]
    try:
        proc = run_tool(cmd, capture_output=True, timeout=PAGE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"tesseract took longer than {PAGE_TIMEOUT_S} s on one page") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"tesseract failed: {msg[-1] if msg else proc.returncode}")


def ocr_words(tsv: Path) -> tuple[str, list[tuple[int, int, _Box]]]:
    """The text of a Tesseract TSV (lines joined by newlines) and each word's span and box."""
    parts: list[str] = []
    spans: list[tuple[int, int, _Box]] = []
    pos = 0
    line_key: tuple[str, ...] | None = None
    for row in tsv.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        key = tuple(cols[1:5])
        if parts:
            sep = " " if key == line_key else "\n"
            parts.append(sep)
            pos += 1
        line_key = key
        word = cols[11]
        x, y, w, h = (int(c) for c in cols[6:10])
        spans.append((pos, pos + len(word), _Box(x, y, x + w, y + h)))
        parts.append(word)
        pos += len(word)
    return "".join(parts), spans


def _word_boxes(redactor: Redactor, tsv: Path) -> list[_Box]:
    text, spans = ocr_words(tsv)
    boxes = []
    for hit in redactor.find(text):
        for start, end, box in spans:
            if start < hit.end and end > hit.start:
                boxes.append(_Box(box.x0, box.y0, box.x1, box.y1, hit.term.pseudonym))
    return boxes


def _page_text(textpage: pdfium.PdfTextPage) -> str:
    """The text layer with exactly one character per pdfium char index."""
    n = textpage.count_chars()
    return "".join(
        chr(u) if 0 < (u := pdfium.raw.FPDFText_GetUnicode(textpage.raw, i)) < 0x110000 else " "
        for i in range(n)
    )


def _to_device(page: pdfium.PdfPage, size: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium.raw.FPDF_PageToDevice(
        page.raw, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
    )
    return dx.value, dy.value


def _hit_boxes(
    redactor: Redactor,
    page: pdfium.PdfPage,
    textpage: pdfium.PdfTextPage,
    text: str,
    size: tuple[int, int],
) -> list[_Box]:
    """Device-pixel boxes of each hit's characters, one box per line of the hit."""
    boxes: list[_Box] = []
    for hit in redactor.find(text):
        current: _Box | None = None
        for i in range(hit.start, hit.end):
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            if right <= left and top <= bottom:
                continue  # a generated space or line break
            xa, ya = _to_device(page, size, left, bottom)
            xb, yb = _to_device(page, size, right, top)
            box = _Box(min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb), hit.term.pseudonym)
            mid = (box.y0 + box.y1) / 2
            if current is not None and current.y0 <= mid <= current.y1:
                current.x0, current.y0 = min(current.x0, box.x0), min(current.y0, box.y0)
                current.x1, current.y1 = max(current.x1, box.x1), max(current.y1, box.y1)
            else:
                current = box
                boxes.append(box)
    return boxes


def _fill(image: Image.Image, boxes: list[_Box]) -> None:
    draw = ImageDraw.Draw(image)
    labelled: set[str] = set()
    for box in boxes:
        pad = max(2.0, 0.15 * (box.y1 - box.y0))
        rect = (box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
        draw.rectangle(rect, fill=(0, 0, 0))
        label = f"[{box.label}]" if box.label else ""
        key = f"{label}@{rect}"
        if not label or key in labelled:
            continue
        labelled.add(key)
        height = rect[3] - rect[1]
        size = int(height * 0.7)
        while size >= 8:
            font = ImageFont.truetype(_FONT, size)
            left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            if right - left <= rect[2] - rect[0] - 2:
                x = rect[0] + (rect[2] - rect[0] - (right - left)) / 2 - left
                y = rect[1] + (height - (bottom - top)) / 2 - top
                draw.text((x, y), label, font=font, fill=(255, 255, 255))
                break
            size = int(size * 0.85)


def _render(page: pdfium.PdfPage) -> tuple[Image.Image, float]:
    width, height = page.get_size()
    scale = DPI / 72.0
    if width * height * scale * scale > MAX_RENDER_PIXELS:
        scale = math.sqrt(MAX_RENDER_PIXELS / max(width * height, 1.0))
    bitmap = page.render(scale=scale, draw_annots=False, may_draw_forms=False)
    try:
        image = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    return image, scale * 72.0


def _kind(redactor: Redactor, pseudonym: str) -> str:
    for term in redactor.terms:
        if term.pseudonym == pseudonym:
            return term.kind
    return "other"


def redact_raster(
    rgb: np.ndarray, redactor: Redactor, ocr_langs: str = "eng+fra+ara", *, dpi: int = 300
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Fill protected terms that Tesseract reads in a picture (a sign, a photographed page).

    Returns the filled pixels and one {"pseudonym", "kind"} per filled hit. The reading is
    `pictured_text`'s: several passes (inverted, binarised, turned, other layouts), fuzzy
    matching; `dpi` is kept for callers, the passes let Tesseract estimate the resolution.
    """
    from sijill.protect.pictured_text import redact_picture

    if not redactor:
        return rgb, []
    check_langs(ocr_langs)
    filled, boxes = redact_picture(rgb, redactor, ocr_langs)
    return filled, [{"pseudonym": b.label, "kind": b.kind} for b in boxes]
