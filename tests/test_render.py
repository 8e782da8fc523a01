"""Page images are rendered from hostile originals in a limited child process: a bomb, a
broken file or a page that is not there is a clear refusal, never a crash of the server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sijill.errors import ConfigError, NotFound
from sijill.tools.render import render


def _png(img: Image.Image, **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", **kw)
    return out.getvalue()


def _pdf(pages: int, size: tuple[float, float] = (595, 842)) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(*size)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_decompression_bomb_is_refused() -> None:
    bomb = _png(Image.new("1", (20000, 20000)))  # 400 million pixels in a few kB
    assert len(bomb) < 200_000
    with pytest.raises(ConfigError, match="cannot be shown"):
        render(bomb, "image/png", 1)


def test_broken_files_are_refused() -> None:
    for data, mime in ((b"%PDF-1.4\n garbage", "application/pdf"), (b"\x89PNG\r\n", "image/png")):
        with pytest.raises(ConfigError):
            render(data, mime, 1)


def test_pages_that_are_not_there() -> None:
    with pytest.raises(NotFound):
        render(_pdf(2), "application/pdf", 3)
    with pytest.raises(NotFound):
        render(_png(Image.new("RGB", (10, 10))), "image/png", 2)


def test_a_giant_page_is_rendered_small() -> None:
    png = render(_pdf(1, (14400, 14400)), "application/pdf", 1)  # a 200-inch page
    img = Image.open(io.BytesIO(png))
    assert max(img.size) <= 1600 and img.size[0] * img.size[1] <= 4_000_000


def test_metadata_never_comes_along() -> None:
    img = Image.new("RGB", (64, 48), (10, 20, 30))
    exif = Image.Exif()
    exif[0x013B] = "Someone Real"
    exif[0x8825] = {1: "N", 2: (36.0, 1.0, 2.0)}
    src = io.BytesIO()
    img.save(src, "JPEG", exif=exif)
    png = render(src.getvalue(), "image/jpeg", 1)
    assert b"Someone Real" not in png and b"Exif" not in png
    assert not Image.open(io.BytesIO(png)).getexif()
