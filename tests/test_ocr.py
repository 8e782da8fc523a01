"""OCR: orientation is detected, EXIF rotation applied, phone formats (HEIC) read."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import CLI, shared_data

LINES = ["The checkpoint at the northern gate", "was closed on the morning of the raid."]


def _page(size: tuple[int, int] = (1800, 700)) -> Image.Image:
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 56)
    im = Image.new("L", size, 255)
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(LINES):
        draw.text((80, 150 + i * 140), line, font=font, fill=0)
    return im


def test_rotated_scans_and_exif_orientation_are_read_upright(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    # A page scanned sideways: pixels rotated, no metadata saying so.
    _page().rotate(90, expand=True).save(src / "sideways.png", dpi=(300, 300))
    # A phone photo stored rotated with an EXIF orientation tag (6 = rotate 90 CW to view).
    exif = Image.Exif()
    exif[0x0112] = 6
    _page().rotate(90, expand=True).convert("RGB").save(src / "phone.jpg", exif=exif, quality=95)
    cli("ingest", str(src))
    cli("run")
    hits = cli.json("search", '"northern gate"')["hits"]
    assert {h["name"] for h in hits} == {"sideways.png", "phone.jpg"}
    assert all(h["method"] == "ocr" and h["lang"] == "en" for h in hits)


@pytest.mark.slow
def test_heic_phone_photo_is_processed(cli: CLI) -> None:
    heic = [p for p in shared_data("exif-samples").rglob("*") if p.suffix.lower() == ".heic"]
    assert heic, "exif-samples has HEIC photos"
    cli("ingest", str(heic[0]))
    cli("run")
    item = cli.json("items")["items"][0]
    assert item["mime"] in ("image/heic", "image/heif")
    assert item["status"] == "processed", item
    shown = cli.json("show", item["id"])
    meta = shown["metadata"]["exiftool"]
    assert any(k.endswith(":Model") for k in meta)  # captured as sealed evidence
    assert any(s["stage"] == "tesseract_ocr" and s["state"] == "done" for s in shown["stages"])


def _stage_read(pdf: Path, work: Path) -> tuple[str, list[int]]:
    from types import SimpleNamespace
    from typing import Any

    from sijill.pipeline.stage import ItemInfo
    from sijill.pipeline.stages.tesseract_ocr import TesseractOcr

    stage = TesseractOcr()
    item = ItemInfo(
        "i", "0" * 64, pdf.stat().st_size, pdf.name, "application/pdf", "document", 0, "c"
    )
    ctx: Any = SimpleNamespace(
        item=item,
        config=dict(stage.defaults),
        input_path=pdf,
        workdir=work,
        previous={"pdfium_text_extractor": {"ocr_pages": [1]}},
    )
    result = stage.run(ctx)
    return " ".join(u.text for u in result.text_units), result.data["dpi"]


def test_a_scan_is_read_at_its_own_resolution(tmp_path: Path) -> None:
    """A noisy 200 dpi scan, enlarged to 300 dpi, lost about one word in twelve (issue 11):
    it is read at 200."""
    import numpy as np

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 31)  # 11 pt
    page = Image.new("L", (1654, 2339), 250)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(LINES * 6):
        draw.text((200, 200 + i * 46), line, font=font, fill=25)
    rng = np.random.default_rng(4)
    pixels = np.asarray(page, np.float32) + rng.normal(0, 18, (2339, 1654))
    specks = rng.random(pixels.shape) < 0.006
    pixels[specks] = rng.choice([0.0, 255.0], size=int(specks.sum()))
    scan = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    pdf = tmp_path / "scan.pdf"
    scan.save(pdf, "PDF", resolution=200.0)
    text, dpis = _stage_read(pdf, tmp_path)
    assert dpis == [200], dpis
    read = " ".join(text.split())
    assert read.count("northern gate") == 6 and read.count("morning of the raid") == 6, read
