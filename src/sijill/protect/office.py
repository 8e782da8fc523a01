"""Publication copies of office documents and e-mails: their reviewed text, laid out anew.

The source file is never carried (its styles, comments, tracked changes, embedded objects
and metadata are where names hide). Only the already redacted text is drawn onto A4 pages
with Pillow, shaped by libraqm so Arabic joins and runs right to left, and each page image
gets a Tesseract text layer; the pages are joined into a new PDF with no Info or XMP. Images
embedded in the document are not carried.

The text is the document's *visible* text only: the extractor keeps comments, hidden runs
and elements and tracked deletions in units of kind "hidden", which the caller
(`archive.publication`) never hands here.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from sijill.errors import StageError
from sijill.protect.pdf import append_clean_page, check_langs, tesseract
from sijill.protect.pdf_scrub import save_new

DPI = 200
PAGE = (1654, 2339)  # A4 at 200 dpi
MARGIN = 150
FONT_PX = 32  # about 11.5 pt at 200 dpi
LINE_PX = 50
# DejaVu Sans has Latin and Arabic glyphs, so a mixed line needs no font switching.
_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


def _font() -> ImageFont.FreeTypeFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, FONT_PX, layout_engine=ImageFont.Layout.RAQM)
    raise StageError("no font for laying out text (Debian package fonts-dejavu-core)")


def _is_rtl(paragraph: str) -> bool:
    return len(_ARABIC.findall(paragraph)) > len(_LATIN.findall(paragraph))


def _wrap(paragraph: str, font: ImageFont.FreeTypeFont, width: int, rtl: bool) -> list[str]:
    direction = "rtl" if rtl else "ltr"
    lines: list[str] = []
    current = ""
    for word in paragraph.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate, direction=direction) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
    # A single word wider than the page is cut by characters rather than drawn off the edge.
    out: list[str] = []
    for line in [*lines, current] if current else lines:
        while font.getlength(line, direction=direction) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and font.getlength(line[:cut], direction=direction) > width:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out or [""]


def _layout(pages: Sequence[str], font: ImageFont.FreeTypeFont) -> list[list[tuple[str, bool]]]:
    """Lines (text, right-to-left) per output page; a long source page runs onto more."""
    width = PAGE[0] - 2 * MARGIN
    per_page = (PAGE[1] - 2 * MARGIN) // LINE_PX
    out: list[list[tuple[str, bool]]] = []
    for text in pages:
        lines: list[tuple[str, bool]] = []
        for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            rtl = _is_rtl(paragraph)
            lines.extend((line, rtl) for line in _wrap(paragraph, font, width, rtl))
        while lines and not lines[-1][0].strip():
            lines.pop()
        for i in range(0, max(len(lines), 1), per_page):
            out.append(lines[i : i + per_page])
    return out


def _draw(lines: list[tuple[str, bool]], font: ImageFont.FreeTypeFont) -> Image.Image:
    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    for i, (line, rtl) in enumerate(lines):
        y = MARGIN + i * LINE_PX
        if rtl:
            draw.text((PAGE[0] - MARGIN, y), line, font=font, fill=0, direction="rtl", anchor="ra")
        else:
            draw.text((MARGIN, y), line, font=font, fill=0, direction="ltr", anchor="la")
    return image


def text_to_pdf(
    pages: Sequence[str], dst: Path, *, ocr_langs: str = "eng+fra+ara"
) -> dict[str, Any]:
    """Write `dst`: the (already redacted) `pages` of text as A4 pages with a text layer."""
    check_langs(ocr_langs)
    font = _font()
    laid_out = _layout(list(pages) or [""], font)
    out = pikepdf.new()
    with tempfile.TemporaryDirectory(prefix="sijill-text-") as tmpdir:
        tmp = Path(tmpdir)
        for number, lines in enumerate(laid_out, start=1):
            picture = tmp / f"page-{number}.png"
            _draw(lines, font).save(picture, dpi=(DPI, DPI))
            base = tmp / f"page-{number}"
            tesseract(picture, base, ocr_langs, DPI, ("pdf",))
            with pikepdf.open(base.with_suffix(".pdf")) as ocr:
                append_clean_page(out, ocr, ocr.pages[0].obj)
        save_new(out, dst)
    return {
        "pages": len(laid_out),
        "source_pages": len(pages),
        "text_layer": "ocr",
        "images_carried": False,
        "note": "only the reviewed text is laid out; images in the document are not carried",
    }
