"""A tiny, dependency-free writer of text PDFs (Helvetica, WinAnsi) for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A PDF whose page i shows the lines pages[i] with a real text layer."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objects) + 1 + 2 * len(pages) + 1  # placeholder fixed below
    page_ids = []
    kids_ref_slot = []
    for lines in pages:
        stream = (
            b"BT /F1 12 Tf 14 TL 72 770 Td "
            + b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines)
            + b" ET"
        )
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(add(b""))  # filled once the Pages object number is known
        kids_ref_slot.append(content)
    pages_id = add(b"")
    for pid, content in zip(page_ids, kids_ref_slot, strict=True):
        objects[pid - 1] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, content, font)
        )
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info_id = None
    if info:
        entries = b" ".join(b"/" + k.encode() + b" (" + _escape(v) + b")" for k, v in info.items())
        info_id = add(b"<< " + entries + b" >>")
    return assemble(objects, catalog, info_id)


def assemble(objects: list[bytes], catalog: int, info: int | None = None) -> bytes:
    """Serialise numbered PDF objects (1-based, in order) with a byte-exact xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def write_text_pdf(path: Path, pages: list[list[str]], info: dict[str, str] | None = None) -> Path:
    path.write_bytes(text_pdf(pages, info))
    return path


def write_scanned_pdf(
    path: Path, lines: list[str], font: str | None = None, size: int = 40
) -> Path:
    """An image-only PDF page (no text layer), as a scanner would make."""
    from PIL import Image, ImageDraw, ImageFont

    fnt = ImageFont.truetype(font or "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
    im = Image.new("L", (2480, 3508), 255)
    d = ImageDraw.Draw(im)
    for i, line in enumerate(lines):
        d.text((150, 200 + i * int(size * 2.2)), line, font=fnt, fill=0)
    im.save(path, "PDF", resolution=300.0)
    return path
