"""Pictures on a PDF page: is every one shown whole, or must the page be rasterised?

An image in a PDF is stored whole however little of it a reader sees: a clip path, a soft
mask, a placement half off the page, a rectangle painted over it, a transparency setting or
a resolution finer than anyone looks at all hide part of it on screen, while `pdfimages`
gives the whole picture back — with the name or the face the visible part leaves out. So a
page keeps its images only when each one is provably shown whole; any doubt rasterises it,
and the rasterised page carries nothing but what the render shows.

A page keeps its pictures only when:

- every picture is an image XObject of the page's own resources, drawn by the page's content
  (an inline image, or an image inside a form, pattern, Type 3 font or soft-mask group, is
  not checked one by one: the page is rasterised);
- no picture has a mask (``/SMask``, ``/Mask``, ``/SMaskInData``, or is a stencil mask);
- each drawing of it lies inside the visible page (MediaBox and CropBox) and is not finer
  than ``MAX_IMAGE_DPI`` (detail beyond what the page render shows is not checked);
- its decoded data is no longer than its pixels need (nothing rides after them);
- drawing it again, on top of everything and with no clip or transparency, changes no pixel
  of the page's render: whatever covers, clips or fades part of it shows up as a difference.

Images that no operator draws are not carried at all (the rebuild removes unreferenced
resources and ``undrawn_images`` proves it).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium

from sijill.protect.raster import DPI, _to_device

MAX_IMAGE_DPI = 1.5 * DPI
COMPARE_DPI = 100
MAX_USES = 24  # pictures drawn on one page; more than this rasterises the page
# A pixel "changed" when a channel moved more than this; a drawing is hidden in part when
# more than _CHANGED_PIXELS pixels (at COMPARE_DPI) changed inside it, edges left out.
_CHANGED_LEVEL = 24
_CHANGED_PIXELS = 12
_EDGE_PX = 2

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class _Use:
    name: str
    ctm: _Matrix


def _mul(m: _Matrix, n: _Matrix) -> _Matrix:
    """m × n in PDF's row-vector convention (apply m, then n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _corners(m: _Matrix) -> list[tuple[float, float]]:
    a, b, c, d, e, f = m
    return [(e, f), (a + e, b + f), (c + e, d + f), (a + c + e, b + d + f)]


def _images_elsewhere(res: pikepdf.Dictionary) -> bool:
    """Whether an image is reachable from the resources other than as a direct XObject."""
    stack: list[Any] = []
    xobjects = res.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        stack += [
            x
            for x in xobjects.values()
            if not (isinstance(x, pikepdf.Stream) and x.get("/Subtype") == pikepdf.Name.Image)
        ]
    stack += [res[k] for k in ("/Pattern", "/Font", "/ExtGState", "/Shading") if k in res]
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                return True
            if _draws_inline(obj):
                return True
            if obj.get("/Subtype") == pikepdf.Name.Type3:
                procs = obj.get("/CharProcs")
                if isinstance(procs, pikepdf.Dictionary) and any(
                    _draws_inline(glyph, always=True) for glyph in procs.values()
                ):
                    return True
            stack += [v for k, v in obj.items() if k != "/Parent"]
        elif isinstance(obj, pikepdf.Array):
            stack += list(obj)
    return False


def _draws_inline(obj: Any, *, always: bool = False) -> bool:
    """Whether a form, tiling pattern (or, with `always`, any content stream) holds an
    inline image; a stream that cannot be parsed counts as one."""
    if not isinstance(obj, pikepdf.Stream):
        return False
    if not always and not (
        obj.get("/Subtype") == pikepdf.Name.Form or obj.get("/PatternType") == 1
    ):
        return False
    try:
        instructions = pikepdf.parse_content_stream(obj)
    except pikepdf.PdfError:
        return True
    return any(isinstance(i, pikepdf.ContentStreamInlineImage) for i in instructions)


def _uses(page: pikepdf.Dictionary) -> tuple[list[_Use], set[str], int]:
    """The image XObject drawings of the page's content, reasons to rasterise, q depth."""
    reasons: set[str] = set()
    uses: list[_Use] = []
    ctm = _IDENTITY
    stack: list[_Matrix] = []
    xobjects = page.Resources.get("/XObject", pikepdf.Dictionary())
    for ins in pikepdf.parse_content_stream(page):
        if isinstance(ins, pikepdf.ContentStreamInlineImage):
            reasons.add("inline image")
            continue
        op = str(ins.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else _IDENTITY
        elif op == "cm" and len(ins.operands) == 6:
            try:
                m = tuple(float(v) for v in ins.operands)
            except (TypeError, ValueError):
                reasons.add("unreadable image placement")
                continue
            ctm = _mul(m, ctm)  # type: ignore[arg-type]
        elif op == "Do" and ins.operands:
            xobj = (
                xobjects.get(str(ins.operands[0]))
                if isinstance(xobjects, pikepdf.Dictionary)
                else None
            )
            if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == pikepdf.Name.Image:
                uses.append(_Use(str(ins.operands[0]), ctm))
    return uses, reasons, len(stack)


def _stored_whole(image: pikepdf.Stream) -> str | None:
    """A reason to rasterise found in the image itself, or None."""
    stencil = image.get("/ImageMask")
    if "/SMask" in image or "/Mask" in image or (isinstance(stencil, bool) and stencil):
        return "masked image"
    smid = image.get("/SMaskInData")
    if isinstance(smid, int) and smid != 0:
        return "masked image"
    filters = image.get("/Filter")
    names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    if pikepdf.Name.DCTDecode in names or pikepdf.Name.JPXDecode in names:
        return None  # JPEG: its end is cut by strip_jpeg_segments; JPEG 2000 rasterises
    try:
        width, height = int(image.Width), int(image.Height)
        bpc = int(image.get("/BitsPerComponent", 1))
        data = image.read_bytes()
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        return "image that cannot be decoded"
    comps = _components(image.get("/ColorSpace"))
    if comps is None:
        return "image in an unusual colour space"
    need = (width * comps * bpc + 7) // 8 * height
    if len(data) > need + 16:
        return "image data longer than its pixels"
    return None


_COMPONENTS = {
    "/DeviceGray": 1, "/CalGray": 1, "/Indexed": 1, "/Separation": 1,
    "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4,
}  # fmt: skip


def _components(space: Any) -> int | None:
    """Samples per pixel of an image colour space (the data length rule needs it)."""
    if isinstance(space, pikepdf.Name):
        return _COMPONENTS.get(str(space))
    if not isinstance(space, pikepdf.Array) or len(space) == 0:
        return None
    family = str(space[0])
    if family == "/ICCBased" and len(space) > 1 and isinstance(space[1], pikepdf.Stream):
        n = space[1].get("/N")
        return int(n) if isinstance(n, int) else None
    if family == "/DeviceN" and len(space) > 1 and isinstance(space[1], pikepdf.Array):
        return len(space[1])
    return _COMPONENTS.get(family)


def _visible_box(page: pikepdf.Dictionary) -> tuple[float, float, float, float]:
    media = [float(v) for v in page.MediaBox]
    crop = [float(v) for v in page.get("/CropBox", page.MediaBox)]
    mx0, mx1 = sorted(media[0::2])
    my0, my1 = sorted(media[1::2])
    cx0, cx1 = sorted(crop[0::2])
    cy0, cy1 = sorted(crop[1::2])
    return max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)


def image_reasons(out: pikepdf.Pdf, page: pikepdf.Dictionary) -> list[str]:
    """Why the copied `page` (already in `out`) must be rasterised for its pictures."""
    res = page.get("/Resources")
    if not isinstance(res, pikepdf.Dictionary):
        return []
    reasons: set[str] = set()
    if _images_elsewhere(res):
        reasons.add("image inside a form, pattern, font or soft mask")
    uses, found, depth = _uses(page)
    reasons |= found
    if not uses:
        return sorted(reasons)
    if len(uses) > MAX_USES:
        reasons.add("many images")
    x0, y0, x1, y1 = _visible_box(page)
    xobjects = res.XObject
    for use in uses:
        image = xobjects[use.name]
        assert isinstance(image, pikepdf.Stream)  # _uses keeps image streams only
        why = _stored_whole(image)
        if why:
            reasons.add(why)
        pts = _corners(use.ctm)
        if any(x < x0 - 0.5 or x > x1 + 0.5 or y < y0 - 0.5 or y > y1 + 0.5 for x, y in pts):
            reasons.add("image partly outside the page")
        a, b, c, d, _, _ = use.ctm
        shown_w, shown_h = math.hypot(a, b) / 72, math.hypot(c, d) / 72
        try:
            width, height = int(image.Width), int(image.Height)
        except (AttributeError, TypeError, ValueError):
            reasons.add("image that cannot be decoded")
            continue
        if min(shown_w, shown_h) <= 1e-6 or max(width / shown_w, height / shown_h) > MAX_IMAGE_DPI:
            reasons.add("image finer than the page render")
    if not reasons and _hidden_in_part(out, page, uses, depth):
        reasons.add("image covered, cut or faded in part")
    return sorted(reasons)


def _hidden_in_part(
    out: pikepdf.Pdf, page: pikepdf.Dictionary, uses: list[_Use], depth: int
) -> bool:
    """Render the page, then the page with each drawing repeated on top of everything: any
    pixel the repeat changes was hidden by something (a clip, a cover, transparency)."""
    probe = pikepdf.new()
    holder = out.make_indirect(
        pikepdf.Dictionary(R=page.Resources, C=page.Contents, M=page.MediaBox)
    )
    copied = probe.copy_foreign(holder)
    parts = list(copied.C) if isinstance(copied.C, pikepdf.Array) else [copied.C]
    opening = probe.make_stream(b"q\n")
    closing = b"\n" + b"Q\n" * (depth + 1)

    def add_page(extra: bytes) -> None:
        fresh = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=copied.M,
            Resources=copied.R,
            Contents=pikepdf.Array([opening, *parts, probe.make_stream(closing + extra)]),
        )
        for key in ("/CropBox", "/Rotate"):
            if key in page:
                fresh[key] = page[key]
        probe.pages.append(pikepdf.Page(probe.make_indirect(fresh)))

    add_page(b"")
    for use in uses:
        cm = b" ".join(b"%.6f" % v for v in use.ctm)
        add_page(b"q " + cm + b" cm " + pikepdf.Name(use.name).unparse() + b" Do Q\n")
    buf = io.BytesIO()
    probe.save(buf)
    doc = pdfium.PdfDocument(buf.getvalue())
    try:
        base_page = doc[0]
        base = _render(base_page)
        for i, use in enumerate(uses, 1):
            again = _render(doc[i])
            xs, ys = zip(
                *(
                    _to_device(base_page, (base.shape[1], base.shape[0]), x, y)
                    for x, y in _corners(use.ctm)
                ),
                strict=True,
            )
            left, right = max(0, min(xs) + _EDGE_PX), min(base.shape[1], max(xs) - _EDGE_PX)
            top, bottom = max(0, min(ys) + _EDGE_PX), min(base.shape[0], max(ys) - _EDGE_PX)
            if right <= left or bottom <= top:
                continue
            diff = np.abs(base[top:bottom, left:right] - again[top:bottom, left:right])
            if int((diff.max(axis=2) > _CHANGED_LEVEL).sum()) > _CHANGED_PIXELS:
                return True
        base_page.close()
    finally:
        doc.close()
    return False


def _render(page: pdfium.PdfPage) -> np.ndarray:
    bitmap = page.render(scale=COMPARE_DPI / 72, draw_annots=False, may_draw_forms=False)
    try:
        return np.asarray(bitmap.to_pil().convert("RGB"), dtype=np.int16)
    finally:
        bitmap.close()


def undrawn_images(pdf: pikepdf.Pdf) -> list[int]:
    """Page numbers whose own resources hold an image XObject their content never draws."""
    bad = []
    for number, page in enumerate(pdf.pages, 1):
        xobjects = page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        images = {
            k for k, v in xobjects.items()
            if isinstance(v, pikepdf.Stream) and v.get("/Subtype") == pikepdf.Name.Image
        }  # fmt: skip
        if images - {u.name for u in _uses(page.obj)[0]}:
            bad.append(number)
    return bad
