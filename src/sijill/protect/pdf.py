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
hidden), JPEG 2000 images (which can carry metadata boxes) or a picture that is not provably
shown whole (clipped, masked, covered, partly off the page, inline, inside a form: see
``sijill.protect.pdf_images``) are rasterised too, so what the reader sees is all there is.
Every other page keeps its own vector content and text layer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
from PIL import Image

from sijill.errors import InputRejected, StageError
from sijill.protect.images import FaceFn, face_report_dict, has_face
from sijill.protect.pdf_images import image_reasons, undrawn_images
from sijill.protect.pdf_scrub import append_clean_page, save_new, strip_jpeg_segments
from sijill.protect.raster import (
    DPI,
    MAX_RENDER_PIXELS,
    PAGE_TIMEOUT_S,
    _Box,
    _fill,
    _hit_boxes,
    _kind,
    _page_text,
    _render,
    _word_boxes,
    check_langs,
    ocr_words,
    redact_raster,
    tesseract,
)
from sijill.protect.redact import Redactor

__all__ = [
    "DPI",
    "MAX_RENDER_PIXELS",
    "PAGE_TIMEOUT_S",
    "append_clean_page",
    "check_langs",
    "ocr_words",
    "rebuild_pdf",
    "redact_raster",
    "strip_jpeg_segments",
    "tesseract",
    "verify_pdf",
]

_TRAILER_KEYS = frozenset(
    {"/Root", "/Size", "/ID", "/Type", "/W", "/Index", "/Length", "/Filter", "/DecodeParms"}
)


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
        "icc_profiles_dropped": 0,
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
                report["icc_profiles_dropped"] += scrub.profiles_dropped
                reasons = sorted(scrub.reasons)
                if not reasons:
                    reasons = image_reasons(out, out.pages[-1].obj)
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
            save_new(out, dst)
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
            # A page that draws a picture (a scan, a photographed sign) is read the way a
            # picture is: several passes, turned, inverted, white on colour (`pictured_text`).
            if _draws_image(page):
                ocr_boxes += _pictured_boxes(image, redactor, langs, ocr_boxes)
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


def _draws_image(page: pdfium.PdfPage) -> bool:
    """Whether the page draws an image (inline, XObject, or inside a form), as pdfium sees it."""
    image_type = pdfium.raw.FPDF_PAGEOBJ_IMAGE
    return next(iter(page.get_objects(filter=[image_type])), None) is not None


def _pictured_boxes(
    image: Image.Image, redactor: Redactor, langs: str, known: list[_Box]
) -> list[_Box]:
    """Boxes of the terms the picture passes read on a page render that the plain reading
    (`known`) did not already box. A level box is returned as it is; a turned one (a slanted
    sign) is filled here as the polygon it is, since its upright rectangle would cover the
    lines around it, and returned as a dot at its centre (for the report). Readings centred
    inside a box already found are dropped: their wider margins would black out the letters
    next to the name, and the text layer read from the filled page would lose them."""
    from PIL import ImageDraw

    from sijill.protect.pictured_text import find_text_regions

    found = find_text_regions(np.asarray(image.convert("RGB")), redactor, langs)
    out: list[_Box] = []
    draw = ImageDraw.Draw(image)
    # Level readings first: a turned reading of a word a level one boxed is dropped.
    found.sort(key=lambda b: abs(b.points[1][1] - b.points[0][1]) > 1)
    for b in found:
        cx = sum(x for x, _ in b.points) / len(b.points)
        cy = sum(y for _, y in b.points) / len(b.points)
        if any(o.x0 <= cx <= o.x1 and o.y0 <= cy <= o.y1 for o in [*known, *out]):
            continue
        if abs(b.points[1][1] - b.points[0][1]) <= 1:
            out.append(_Box(*b.bounds(), label=b.label))
        else:
            draw.polygon([(round(x), round(y)) for x, y in b.points], fill=0)
            out.append(_Box(cx, cy, cx, cy, label=b.label))
    return out


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
        undrawn = undrawn_images(pdf)
        if undrawn:
            raise StageError(f"page {undrawn[0]} of the rebuilt PDF holds an image it never draws")
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
