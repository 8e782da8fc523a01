"""A tiny, dependency-free writer of text PDFs (Helvetica, WinAnsi) for tests and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any


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


# Hostile image PDFs: a picture drawn only in part, so that what a reader sees and what
# `pdfimages` pulls out of the file differ (issue 10, point 1).

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Pixels = NDArray[Any]

_PAGE = (612.0, 792.0)
_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def two_halves_picture(
    hidden: str, shown: str = "PUBLIC", size: tuple[int, int] = (1200, 300)
) -> Pixels:
    """RGB pixels (numpy) with `shown` written in the left half and `hidden` in the right."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    im = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(im)
    fnt = ImageFont.truetype(_FONT_BOLD, 56)
    d.text((40, size[1] // 2 - 30), shown, font=fnt, fill=(0, 0, 0))
    d.text((size[0] // 2 + 30, size[1] // 2 - 30), hidden, font=fnt, fill=(0, 0, 0))
    return np.asarray(im)


def _jpeg(rgb: Pixels, quality: int = 92) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def image_page_pdf(
    path: Path,
    rgb: Pixels,
    *,
    how: str,
    caption: str = "A page with a picture.",
) -> Path:
    """A one-page PDF with a caption (real text) and the picture `rgb` drawn 468 pt wide.

    `how` says how the picture is hidden in part:
    - "plain": drawn whole (nothing hidden);
    - "clip": a JPEG XObject clipped to its left half;
    - "smask": a JPEG XObject whose soft mask makes its right half transparent;
    - "cover": a JPEG XObject whose right half is painted over with a black rectangle;
    - "offpage": a JPEG XObject drawn so that its right half lies beyond the page's edge;
    - "inline": an inline image (BI ... ID ... EI, Flate) clipped to its left half;
    - "undrawn": the picture is an XObject in the page's resources that no operator draws
      (a small plain picture is drawn instead).
    """
    import zlib

    import numpy as np
    import pikepdf

    h, w = rgb.shape[:2]
    width = 468.0
    height = width * h / w
    x, y = 72.0, 400.0
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                           BaseFont=pikepdf.Name.Helvetica)
    )  # fmt: skip
    text = b"BT /F1 14 Tf 72 720 Td (" + _escape(caption) + b") Tj ET\n"

    def jpeg_xobject(pixels: Pixels) -> pikepdf.Stream:
        return pdf.make_stream(
            _jpeg(pixels), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
            Width=pixels.shape[1], Height=pixels.shape[0], ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode,
        )  # fmt: skip

    xobjects = pikepdf.Dictionary()
    place = b"%.2f 0 0 %.2f %.2f %.2f cm" % (width, height, x, y)
    clip_left = b"%.2f %.2f %.2f %.2f re W n " % (x, y, width / 2, height)
    if how in ("plain", "clip", "smask", "offpage", "cover"):
        image = jpeg_xobject(rgb)
        xobjects.Im1 = image
        if how == "smask":
            alpha = np.full((h, w), 255, np.uint8)
            alpha[:, w // 2 :] = 0
            image.SMask = pdf.make_stream(
                zlib.compress(alpha.tobytes()), Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image, Width=w, Height=h,
                ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                Filter=pikepdf.Name.FlateDecode,
            )  # fmt: skip
        if how == "offpage":
            place = b"%.2f 0 0 %.2f %.2f %.2f cm" % (width, height, _PAGE[0] - width / 2, y)
        draw = b"q " + (clip_left if how == "clip" else b"") + place + b" /Im1 Do Q\n"
        if how == "cover":  # a black box painted over the right half, as a careless redaction
            draw += b"0 g %.2f %.2f %.2f %.2f re f\n" % (x + width / 2, y, width / 2, height)
    elif how == "inline":
        data = zlib.compress(np.ascontiguousarray(rgb[..., :3]).tobytes())
        draw = (
            b"q " + clip_left + place
            + b" BI /W %d /H %d /CS /RGB /BPC 8 /F /Fl ID " % (w, h) + data + b"\nEI Q\n"
        )  # fmt: skip
    elif how == "undrawn":
        xobjects.Im1 = jpeg_xobject(np.full((64, 64, 3), 200, np.uint8))
        xobjects.Im2 = jpeg_xobject(rgb)
        draw = b"q 64 0 0 64 72 400 cm /Im1 Do Q\n"
    else:
        raise ValueError(how)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, *_PAGE]),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=xobjects),
        Contents=pdf.make_stream(text + draw),
    )
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(path)
    return path


def face_on_the_right(face: Pixels) -> Pixels:
    """A picture twice as wide as `face` (RGB pixels): plain grey on the left, `face` on the
    right, so that any of image_page_pdf's ways of hiding the right half hides the face."""
    import numpy as np

    h, w = face.shape[:2]
    out = np.full((h, 2 * w, 3), 180, np.uint8)
    out[:, w:] = face[..., :3]
    return out
