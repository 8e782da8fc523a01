"""Publication copies of PDFs: a new document made of page content only.

Nothing of the source document is carried but each page's content streams and the resources
they draw with, copied into a document made from nothing (``pikepdf.new()``) and written in
one full pass: no Info, XMP, outlines, names (attachments, JavaScript), forms, annotations,
actions, structure tree or earlier revisions (an incremental update can hide an old version
of a page; only the current page tree is read, and the output has one xref section).

Every page is rendered when protection is asked for. A page on which a protected term is
found (in the text layer, in the strings of its content streams, or by Tesseract on the
render: a scan, or text drawn as outlines) or on which the face filter found a face is
rebuilt as an image: each hit is covered by a black box labelled with its pseudonym, faces are
filled, and Tesseract gives the image a new invisible text layer. That layer is read again
and must not contain a protected term. Pages using optional content (layers that may be
hidden) or JPEG 2000 images (which can carry metadata boxes) are rasterised too, so what the
reader sees is all there is. Every other page keeps its own vector content and text layer.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from sijill.errors import InputRejected, StageError, ToolMissing
from sijill.protect.images import FaceFn, face_report_dict, has_face
from sijill.protect.redact import Redactor

DPI = 200
MAX_RENDER_PIXELS = 50_000_000
PAGE_TIMEOUT_S = 600
_LANGS = re.compile(r"[a-z_]{3,}(\+[a-z_]{3,})*")
_PAGE_KEYS = ("/MediaBox", "/CropBox", "/Rotate")
_RESOURCE_KEYS = frozenset(
    {"/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/XObject", "/Font", "/ProcSet"}
)
# Keys never needed to draw a page; they carry metadata, actions or links to other objects.
_DROP_KEYS = frozenset(
    {
        "/Metadata",
        "/PieceInfo",
        "/LastModified",
        "/AA",
        "/A",
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/StructParent",
        "/StructParents",
        "/Ref",
        "/OPI",
        "/Alternates",
        "/URI",
        "/Annots",
        "/Parent",
        "/P",
        "/ID",
        "/Thumb",
    }
)
# Objects that belong to the document, not to a page's drawing; a reference to one from a
# page's resources (hostile or careless) is cut.
_FOREIGN_TYPES = frozenset(
    {
        "/Catalog",
        "/Pages",
        "/Page",
        "/Annot",
        "/Outlines",
        "/Filespec",
        "/EmbeddedFile",
        "/Action",
        "/Sig",
        "/Metadata",
        "/StructTreeRoot",
        "/StructElem",
        "/OCG",
        "/OCMD",
    }
)
_TRAILER_KEYS = frozenset(
    {"/Root", "/Size", "/ID", "/Type", "/W", "/Index", "/Length", "/Filter", "/DecodeParms"}
)
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
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=PAGE_TIMEOUT_S, env=env, check=False
        )
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


def _inherited(page: pikepdf.Dictionary, key: str) -> Any:
    node: Any = page
    for _ in range(64):  # a page tree deeper than this is hostile; stop looking
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node.Parent
    return None


class _Scrubber:
    """Cleans a copied page's resource graph in place and notes what forces rasterising."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.reasons: set[str] = set()
        self.jpeg_cleaned = 0

    def keep(self, obj: Any) -> bool:
        """False when `obj` must not be referenced at all."""
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if obj.is_indirect:
                if obj.objgen in self.seen:
                    return True
                self.seen.add(obj.objgen)
            typ = obj.get("/Type")
            if isinstance(typ, pikepdf.Name) and str(typ) in _FOREIGN_TYPES:
                if str(typ) in ("/OCG", "/OCMD"):
                    self.reasons.add("optional content")
                return False
            if "/OC" in obj:
                self.reasons.add("optional content")
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                self._image(obj)
            for key in list(obj.keys()):
                if key in _DROP_KEYS or not self.keep(obj[key]):
                    del obj[key]
            return True
        if isinstance(obj, pikepdf.Array):
            for i in range(len(obj)):
                if not self.keep(obj[i]):
                    obj[i] = pikepdf.Null()
        return True

    def _image(self, image: pikepdf.Stream) -> None:
        filters = image.get("/Filter")
        names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
        if pikepdf.Name.JPXDecode in names:
            self.reasons.add("JPEG 2000 image")
        elif names == [pikepdf.Name.DCTDecode]:
            raw = image.read_raw_bytes()
            clean = strip_jpeg_segments(raw)
            if clean != raw:
                image.write(clean, filter=pikepdf.Name.DCTDecode)
                self.jpeg_cleaned += 1
        elif pikepdf.Name.DCTDecode in names:
            self.reasons.add("JPEG image under another filter")


def strip_jpeg_segments(data: bytes) -> bytes:
    """A JPEG without APP1..APP13/APP15 (EXIF, XMP, ICC, IPTC) and COM segments.

    APP0 (JFIF) and APP14 (Adobe, which says how to read CMYK/YCC) are kept: decoding needs
    them. Anything unparsable is returned unchanged, and the caller's other checks apply.
    """
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(b"\xff\xd8")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return data
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            return data
        segment = data[i : i + 2 + length]
        if not (0xE1 <= marker <= 0xED or marker == 0xEF or marker == 0xFE):
            out += segment
        i += 2 + length
    return data


def _content_strings(obj: Any, out: list[str], seen: set[tuple[int, int]]) -> None:
    """Every string operand in a page's or form's content (ActualText, Alt, shown text)."""
    try:
        instructions = pikepdf.parse_content_stream(obj)
    except pikepdf.PdfError as exc:
        raise InputRejected(f"a page's content cannot be parsed: {exc}", "invalid") from exc

    def walk(value: Any) -> None:
        if isinstance(value, pikepdf.String):
            out.append(str(value))
        elif isinstance(value, pikepdf.Array):
            for v in value:
                walk(v)
        elif isinstance(value, pikepdf.Dictionary):
            for v in value.values():
                walk(v)

    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        for operand in instruction.operands:
            walk(operand)
    resources = (
        obj.get("/Resources") if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) else None
    )
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if isinstance(xobjects, pikepdf.Dictionary):
        for xobj in xobjects.values():
            if (
                isinstance(xobj, pikepdf.Stream)
                and xobj.get("/Subtype") == pikepdf.Name.Form
                and xobj.objgen not in seen
            ):
                seen.add(xobj.objgen)
                _content_strings(xobj, out, seen)


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


def _open(src: Path) -> tuple[pikepdf.Pdf, pdfium.PdfDocument]:
    try:
        source = pikepdf.open(src)
    except pikepdf.PasswordError as exc:
        raise InputRejected(
            "the PDF is protected by a password; it cannot be rebuilt", status="encrypted"
        ) from exc
    except (pikepdf.PdfError, OSError, ValueError, RecursionError) as exc:
        raise InputRejected(f"the PDF cannot be read: {exc}", status="invalid") from exc
    try:
        doc = pdfium.PdfDocument(str(src))
    except pdfium.PdfiumError as exc:
        source.close()
        raise InputRejected(f"the PDF cannot be rendered: {exc}", status="invalid") from exc
    try:
        count = len(source.pages)
    except (pikepdf.PdfError, RecursionError) as exc:
        doc.close()
        source.close()
        raise InputRejected(f"the PDF's page tree is broken: {exc}", status="invalid") from exc
    if count != len(doc) or count == 0:
        doc.close()
        source.close()
        raise InputRejected(
            f"the PDF's page tree is inconsistent ({count} pages; the renderer sees {len(doc)})",
            status="invalid",
        )
    return source, doc


def append_clean_page(out: pikepdf.Pdf, source: pikepdf.Pdf, page: pikepdf.Dictionary) -> _Scrubber:
    """Append a page built from the allow-list of `page`'s keys, its resources scrubbed."""
    fresh = pikepdf.Dictionary(Type=pikepdf.Name.Page)
    for key in _PAGE_KEYS:
        value = _inherited(page, key)
        if key == "/Rotate":
            if isinstance(value, int) and value % 90 == 0:
                fresh[key] = value % 360
        elif isinstance(value, pikepdf.Array) and len(value) == 4:
            fresh[key] = pikepdf.Array([float(v) for v in value])
    if "/MediaBox" not in fresh:
        fresh["/MediaBox"] = pikepdf.Array([0, 0, 612, 792])
    resources = _inherited(page, "/Resources")
    res = pikepdf.Dictionary()
    scrub = _Scrubber()
    if isinstance(resources, pikepdf.Dictionary):
        for key in _RESOURCE_KEYS:
            if key in resources:
                res[key] = resources[key]
        # Property lists (not copied: they may hold text) name the optional content groups.
        props = resources.get("/Properties")
        if isinstance(props, pikepdf.Dictionary) and any(
            isinstance(v, pikepdf.Dictionary)
            and v.get("/Type") in (pikepdf.Name.OCG, pikepdf.Name.OCMD)
            for v in props.values()
        ):
            scrub.reasons.add("optional content")
    contents = page.get("/Contents")
    parts: list[Any] = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    streams = [s for s in parts if isinstance(s, pikepdf.Stream)]
    holder = source.make_indirect(pikepdf.Dictionary(R=res, C=pikepdf.Array(streams)))
    copied = out.copy_foreign(holder)
    for stream in copied.C:
        for key in list(stream.keys()):
            if key not in ("/Length", "/Filter", "/DecodeParms"):
                del stream[key]
    scrub.keep(copied.R)
    fresh["/Resources"] = copied.R
    fresh["/Contents"] = copied.C
    out.pages.append(pikepdf.Page(out.make_indirect(fresh)))
    return scrub


def rebuild_pdf(
    src: Path,
    dst: Path,
    *,
    redactor: Redactor,
    faces: FaceFn | None = None,
    ocr_langs: str = "eng+fra+ara",
) -> dict[str, Any]:
    """Write `dst`, a new PDF of `src`'s pages, redacted and with faces filled."""
    check_langs(ocr_langs)
    source, doc = _open(src)
    out = pikepdf.new()
    report: dict[str, Any] = {
        "pages": len(doc),
        "rasterised": [],
        "reasons": {},
        "redactions": [],
        "faces": None,
        "text_layer": "kept",
        "annotations_dropped": 0,
        "jpeg_metadata_stripped": 0,
    }
    face_pages: list[int] = []
    face_reports: list[dict[str, Any] | None] = []
    protect = bool(redactor) or faces is not None
    try:
        with tempfile.TemporaryDirectory(prefix="sijill-pdf-") as tmpdir:
            tmp = Path(tmpdir)
            for index in range(len(doc)):
                number = index + 1
                src_page = source.pages[index].obj
                annots = src_page.get("/Annots")
                if isinstance(annots, pikepdf.Array):
                    report["annotations_dropped"] += len(annots)
                # Copy first: the scrub of the copy says whether the page needs rasterising.
                scrub = append_clean_page(out, source, src_page)
                report["jpeg_metadata_stripped"] += scrub.jpeg_cleaned
                reasons = sorted(scrub.reasons)
                if not protect and not reasons:
                    continue
                image, boxes, reasons, page_faces = _inspect(
                    doc[index], out.pages[-1].obj, redactor, faces, reasons, tmp, ocr_langs
                )
                if page_faces is not None:
                    face_reports.append(face_report_dict(page_faces))
                    if has_face(page_faces):
                        face_pages.append(number)
                if not reasons:
                    continue
                del out.pages[-1]
                image_pdf = _rasterise(image, boxes, redactor, tmp, number, ocr_langs)
                with pikepdf.open(image_pdf) as ocr:
                    append_clean_page(out, ocr, ocr.pages[0].obj)
                report["rasterised"].append(number)
                report["reasons"][str(number)] = reasons
                report["text_layer"] = "ocr"
                for label in dict.fromkeys(b.label for b in boxes if b.label):
                    report["redactions"].append(
                        {"page": number, "pseudonym": label, "kind": _kind(redactor, label)}
                    )
            out.remove_unreferenced_resources()
            out.save(
                dst,
                linearize=False,
                deterministic_id=True,
                compress_streams=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                fix_metadata_version=False,
            )
    except pikepdf.PdfError as exc:
        raise InputRejected(f"the PDF cannot be rebuilt: {exc}", status="invalid") from exc
    finally:
        doc.close()
        source.close()
    if faces is not None:
        report["faces"] = {"pages_with_faces": face_pages, "per_page": face_reports}
    if len(report["rasterised"]) == 0:
        report["text_layer"] = "kept"
    elif len(report["rasterised"]) < report["pages"]:
        report["text_layer"] = "mixed"
    try:
        verify_pdf(dst, redactor)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    return report


def _kind(redactor: Redactor, pseudonym: str) -> str:
    for term in redactor.terms:
        if term.pseudonym == pseudonym:
            return term.kind
    return "other"


def _inspect(
    page: pdfium.PdfPage,
    copied: pikepdf.Dictionary,
    redactor: Redactor,
    faces: FaceFn | None,
    reasons: list[str],
    tmp: Path,
    langs: str,
) -> tuple[Image.Image, list[_Box], list[str], Any]:
    """Render a page and find what must be hidden on it: terms (three ways) and faces."""
    try:
        image, dpi = _render(page)
        size = image.size
        boxes: list[_Box] = []
        face_report = None
        if redactor:
            textpage = page.get_textpage()
            try:
                text = _page_text(textpage)
                boxes += _hit_boxes(redactor, page, textpage, text, size)
            finally:
                textpage.close()
            if boxes:
                reasons.append("term in text layer")
            strings: list[str] = []
            _content_strings(copied, strings, set())
            if redactor.find("\n".join(strings)):
                reasons.append("term in page content")
            # The render is read too: a scan has no text layer, and text drawn as outlines or
            # in an image is only seen this way.
            probe = tmp / "probe.png"
            image.save(probe, dpi=(dpi, dpi), compress_level=1)
            tesseract(probe, tmp / "probe", langs, round(dpi), ("tsv",))
            ocr_boxes = _word_boxes(redactor, tmp / "probe.tsv")
            if ocr_boxes:
                reasons.append("term in rendered page")
                boxes += ocr_boxes
        if faces is not None:
            rgb, face_report = faces(np.asarray(image))
            if has_face(face_report):
                reasons.append("face")
                image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
        image.info["dpi"] = (dpi, dpi)
        return image, boxes, sorted(set(reasons)), face_report
    finally:
        page.close()


def _rasterise(
    image: Image.Image,
    boxes: list[_Box],
    redactor: Redactor,
    tmp: Path,
    number: int,
    langs: str,
) -> Path:
    """A one-page PDF of the filled image with a Tesseract text layer free of terms."""
    dpi = round(image.info.get("dpi", (DPI, DPI))[0])
    _fill(image, boxes)
    base = tmp / f"page-{number}"
    for attempt in range(2):
        picture = tmp / f"page-{number}.jpg"
        # A new JPEG from the pixels: no EXIF or ICC; Tesseract embeds JPEG files as they are.
        image.save(picture, "JPEG", quality=85, dpi=(dpi, dpi))
        tesseract(picture, base, langs, dpi, ("pdf", "tsv"))
        left = _word_boxes(redactor, base.with_suffix(".tsv")) if redactor else []
        if not left:
            return base.with_suffix(".pdf")
        if attempt == 0:
            _fill(image, left)
    raise StageError(
        f"page {number}: a protected term is still readable after redaction; "
        "redact this page by hand"
    )


def verify_pdf(path: Path, redactor: Redactor) -> None:
    """Fail if the written PDF still shows a term or carries document-level metadata."""
    with pikepdf.open(path) as pdf:
        # An xref stream's dictionary is the trailer too; its own keys are fine.
        extra = pdf.trailer.keys() - _TRAILER_KEYS
        if extra:
            raise StageError(f"the rebuilt PDF has unexpected trailer entries {sorted(extra)}")
        extra = pdf.Root.keys() - {"/Type", "/Pages"}
        if extra:
            raise StageError(f"the rebuilt PDF's catalog has unexpected entries {sorted(extra)}")
        strings: list[str] = []
        for page in pdf.pages:
            _content_strings(page.obj, strings, set())
    if redactor and redactor.find("\n".join(strings)):
        raise StageError("a protected term is still in the rebuilt PDF's page content")
    if not redactor:
        return
    doc = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(doc)):
            page = doc[index]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
            finally:
                page.close()
            if redactor.find(text):
                raise StageError(f"page {index + 1}: a protected term is still in the text layer")
    finally:
        doc.close()


def redact_raster(
    rgb: np.ndarray, redactor: Redactor, ocr_langs: str = "eng+fra+ara", *, dpi: int = 300
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Fill protected terms that Tesseract reads in a picture (a sign, a photographed page).

    Returns the filled pixels and one {"pseudonym", "kind"} per filled hit. Photos carry no
    usable resolution, so `dpi` is the one Tesseract is told to assume.
    """
    if not redactor:
        return rgb, []
    check_langs(ocr_langs)
    image = Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8), "RGB")
    found: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="sijill-raster-") as tmpdir:
        tmp = Path(tmpdir)
        for _ in range(2):
            picture = tmp / "picture.png"
            image.save(picture, compress_level=1)
            tesseract(picture, tmp / "picture", ocr_langs, dpi, ("tsv",))
            boxes = _word_boxes(redactor, tmp / "picture.tsv")
            if not boxes:
                break
            _fill(image, boxes)
            found += [{"pseudonym": b.label, "kind": _kind(redactor, b.label)} for b in boxes]
    return np.asarray(image), found
