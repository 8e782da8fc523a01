"""A hostile file name or a library's warning never drives the terminal of whoever reads it.

File names carry ANSI and OSC escape sequences, an 8-bit CSI, BEL and bidi overrides
(U+202E makes "gpj.exe" read "exe.jpg"); every human-readable listing must show them as
visible escapes, JSON must give the exact name back, and Arabic must stay readable. A JPEG
whose EXIF is corrupt makes Pillow warn while `sijill run` draws its progress bar: the
warning belongs to the item (`sijill show`), not raw on the terminal.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from sijill.cli.common import emit_json, escape, shown
from tests.conftest import CLI

ESC_NAME = "report\x1b[31mRED\x1b]0;owned\x07\x9b2J.txt"
BIDI_NAME = "scan\u202egpj.exe\u2066x\u2069\u200f.pdf"
ARABIC_NAME = "شهادة الشاهد.txt"
# Nothing a terminal acts on or reorders with may reach it raw.
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u2069", "\u200f")


def corrupt_exif_jpeg(path: Path) -> None:
    """A JPEG whose EXIF description claims 200 bytes far past the end of its segment."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x010E, 2, 200, 0x1000) + b"\0\0\0\0"
    app1 = b"Exif\0\0II*\0" + struct.pack("<I", 8) + ifd
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 100, 90)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])


def assert_inert(text: str, what: str) -> None:
    raw = [hex(ord(c)) for c in RAW if c in text]
    assert not raw, (what, raw, text[-3000:])


def test_escaping_helpers_make_controls_visible_and_keep_arabic() -> None:
    assert shown(ESC_NAME, line=True) == "report\\x1b[31mRED\\x1b]0;owned\\x07\\x9b2J.txt"
    assert shown("a\u202eb\n") == "a\\u202eb\n" and shown("a\nb", line=True) == "a\\x0ab"
    arabic = "أبو ريان \u200d\u200c لأبي"  # joiners are part of Arabic writing: kept
    assert shown(arabic, line=True) == arabic
    assert escape("[red]x") == "\\[red]x"


def test_json_output_stays_exact_and_inert(capsys: object) -> None:
    import json

    emit_json({"name": ESC_NAME + BIDI_NAME + "\x7f" + ARABIC_NAME})
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert_inert(printed, "json")
    assert "\x7f" not in printed and ARABIC_NAME in printed
    assert json.loads(printed)["name"] == ESC_NAME + BIDI_NAME + "\x7f" + ARABIC_NAME


@pytest.mark.slow  # ingest, a real run (exiftool, Tesseract, pdfium) and every listing
def test_listings_escape_hostile_names_and_warnings_go_to_the_item(
    cli: CLI, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / ESC_NAME).write_text("Zarbelo a vu le convoi.\n", encoding="utf-8")
    (folder / BIDI_NAME).write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog")  # fails: a broken PDF
    (folder / ARABIC_NAME).write_text("شهد الشاهد أن القصف بدأ عند الفجر\n", encoding="utf-8")
    corrupt_exif_jpeg(folder / "camera.jpg")
    ingest = cli("ingest", str(folder))
    assert_inert(ingest.stdout + ingest.stderr, "ingest")
    run = cli("run", "--workers", "1")
    assert_inert(run.stdout + run.stderr, "run")
    assert "Tag data larger than file" not in run.stderr, run.stderr
    items = cli.json("items")["items"]
    names = {i["name"] for i in items}
    assert {ESC_NAME, BIDI_NAME, ARABIC_NAME} <= names  # JSON gives the exact names back
    listing = cli("items").stdout
    assert_inert(listing, "items")
    assert "\\x1b[31mRED" in listing and "\\u202egpj" in listing and ARABIC_NAME in listing
    status = cli("status", check=False)
    assert_inert(status.stdout + status.stderr, "status")
    assert "\\u202e" in status.stdout  # the broken PDF's failure names it, escaped
    hits = cli("search", "Zarbelo").stdout
    assert_inert(hits, "search")
    assert "\\x1b[31mRED" in hits
    by_name = {i["name"]: i["id"] for i in items}
    for name in (ESC_NAME, BIDI_NAME, ARABIC_NAME):
        shown_item = cli("show", by_name[name])
        assert_inert(shown_item.stdout + shown_item.stderr, f"show {name!r}")
    assert ARABIC_NAME in cli("show", by_name[ARABIC_NAME]).stdout
    photo = cli("show", by_name["camera.jpg"]).stdout
    assert "Tag data larger than file" in photo, photo
