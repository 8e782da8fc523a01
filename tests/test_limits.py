"""Size limits at ingest and per stage refuse clearly, and the rest goes on (issue 10, point 17).

The hostile inputs cost nothing to make: a 3 GB sparse file (no disk blocks), PDFs of blank
pages written by pikepdf, a page whose MediaBox is 200 inches square.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pikepdf

from tests.conftest import CLI
from tests.pdfgen import write_text_pdf


def _blank_pdf(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(612, 792))
    pdf.save(path)
    return path


def _flagged(cli: CLI) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in cli.json("status")["flagged"]}


def test_sparse_file_over_the_size_limit_is_refused_at_ingest(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    sparse = src / "recording.mp4"
    with open(sparse, "wb") as f:
        f.truncate(3 << 30)  # 3 GB that occupy no disk space
    (src / "note.txt").write_text("The convoy left at dawn.")
    cli.env["SIJILL_MAX_FILE_BYTES"] = str(1 << 30)
    res = cli.json("ingest", str(src))
    by_name = {Path(o["path"]).name: o for o in res["items"]}
    refused = by_name["recording.mp4"]
    assert refused["status"] == "skipped" and refused["item_id"] is None
    assert "SIJILL_MAX_FILE_BYTES" in refused["message"]
    assert "sparse" in refused["message"] and "3.0 GiB" in refused["message"]
    assert by_name["note.txt"]["status"] == "new"  # the rest goes on
    blobs = sum(p.stat().st_size for p in (cli.archive / "blobs").rglob("*") if p.is_file())
    assert blobs < 1 << 20  # nothing of the 3 GB was sealed
    # The same file under a limit it fits, but past what one ingest may take in all.
    cli.env["SIJILL_MAX_FILE_BYTES"] = str(4 << 30)
    cli.env["SIJILL_MAX_INGEST_BYTES"] = str(1 << 30)
    again = cli.json("ingest", str(sparse))["items"][0]
    assert again["status"] == "skipped" and "SIJILL_MAX_INGEST_BYTES" in again["message"]
    assert [i["name"] for i in cli.json("items")["items"]] == ["note.txt"]


def test_pdfs_over_the_page_limits_are_refused_by_their_stage_with_the_reason(
    cli: CLI, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _blank_pdf(src / "dump.pdf", 300)  # over the text extractor's limit
    _blank_pdf(src / "scans.pdf", 40)  # under it, but 40 pages would need OCR
    write_text_pdf(src / "memo.pdf", [["The convoy left at dawn on the fourth day."]])
    cli("ingest", str(src))
    cli(
        "case",
        "config",
        "default",
        "pdfium_text_extractor.max_pages=100",
        "tesseract_ocr.max_pages=20",
    )
    cli("run")
    flagged = _flagged(cli)
    dump = flagged["dump.pdf"]
    assert dump["status"] == "rejected"
    assert "pdfium_text_extractor" in dump["reason"] and "300 pages" in dump["reason"]
    assert "pdfium_text_extractor.max_pages" in dump["reason"]
    scans = flagged["scans.pdf"]
    assert scans["status"] == "rejected"
    assert "tesseract_ocr" in scans["reason"] and "40 PDF pages need OCR" in scans["reason"]
    assert "tesseract_ocr.max_pages" in scans["reason"]
    items = {i["name"]: i for i in cli.json("items")["items"]}
    assert items["memo.pdf"]["status"] == "processed"  # the run went on
    show = cli("show", items["dump.pdf"]["id"]).stdout
    assert "max_pages" in show


def test_a_page_that_declares_a_huge_size_is_ocrd_smaller(cli: CLI, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("L", (1200, 400), 255)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 160)
    ImageDraw.Draw(picture).text((60, 100), "CONVOY", font=font, fill=0)
    pdf = pikepdf.new()
    side = 14400  # 200 inches, the largest page PDF allows: 3.6 gigapixels at 300 dpi
    page = pdf.add_blank_page(page_size=(side, side))
    image = pikepdf.Stream(
        pdf,
        zlib.compress(picture.tobytes()),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=1200,
        Height=400,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=8,
        Filter=pikepdf.Name.FlateDecode,
    )
    page.obj["/Resources"] = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj["/Contents"] = pdf.make_stream(b"q 14000 0 0 4666 200 4800 cm /Im0 Do Q")
    path = tmp_path / "poster.pdf"
    pdf.save(path)
    cli("ingest", str(path))
    cli("case", "config", "default", "tesseract_ocr.max_pixels=4000000")
    cli("run")
    item = cli.json("items")["items"][0]
    assert item["status"] == "processed", cli.json("status")
    units = cli.json("show", item["id"])["text_units"]
    assert "CONVOY" in " ".join(u["text"] for u in units)
