"""PDFs: every text a reader or a curious person can get out of the file, in every revision.

A PDF saved incrementally keeps its earlier revisions byte for byte: a name blacked out in
revision 2 is still in revision 1, and any tool can show it. So the check cuts the file at
each `%%EOF`, opens each revision on its own (pikepdf for every object and decoded stream,
pypdfium2 for the page text), and reports a term in an earlier revision wherever the latest
one no longer has it there. Then a raw pass over the bytes (every `N G obj ... endobj`
block, Flate streams inflated, strings decoded) catches objects no cross-reference table
points at. The document-level places a name hides — Info, XMP, outlines, attachments,
annotations — are named as such in the findings. Image XObjects are checked for faces even
when something is drawn over them, since covering a picture does not remove it.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2

from sijill.leakcheck.files import jpeg_structure

MAX_REVISIONS = 50
RENDER_DPI = 150
MAX_IMAGES = 200
_EOF = re.compile(rb"%%EOF[ \t]*(\r\n|\r|\n)?")
_OBJ = re.compile(rb"(\d{1,10})\s+(\d{1,5})\s+obj\b(.*?)\bendobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


@dataclass
class PdfReport:
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) to search
    structure: list[tuple[str, str]] = field(default_factory=list)  # (where, what)
    images: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (where, RGB) faces
    revisions: int = 1


def decode_bytes(data: bytes) -> str:
    """Text from bytes of unknown encoding: UTF-16 by BOM, UTF-8, else Latin-1."""
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_OCTAL = frozenset(bytes([c]) for c in b"01234567")
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def strings_in(data: bytes) -> list[str]:
    """The literal `(...)` and hex `<...>` strings of PDF syntax in `data`, decoded."""
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        c = data[i : i + 1]
        if c == b"(":
            depth, j, buf = 1, i + 1, bytearray()
            while j < n and depth:
                ch = data[j : j + 1]
                if ch == b"\\" and j + 1 < n:
                    nxt = data[j + 1 : j + 2]
                    if nxt in _ESC:
                        buf += _ESC[nxt]
                        j += 2
                    elif nxt in _OCTAL:
                        m = re.match(rb"[0-7]{1,3}", data[j + 1 : j + 4])
                        digits = m.group(0) if m else nxt
                        buf.append(int(digits, 8) & 0xFF)
                        j += 1 + len(digits)
                    else:
                        # Any other escaped character stands for itself ("\8" is "8",
                        # "\(" is "("); a backslash before a line end joins the lines.
                        buf += nxt if nxt not in (b"\r", b"\n") else b""
                        j += 2
                    continue
                depth += ch == b"("
                depth -= ch == b")"
                if depth:
                    buf += ch
                j += 1
            out.append(decode_bytes(bytes(buf)))
            i = j
        elif c == b"<" and data[i + 1 : i + 2] != b"<":
            m = re.match(rb"<([0-9A-Fa-f\s]*)>", data[i : i + 200000])
            if m:
                hexs = re.sub(rb"\s", b"", m.group(1))
                if len(hexs) % 2:
                    hexs += b"0"
                out.append(decode_bytes(bytes.fromhex(hexs.decode())))
                i += m.end()
                continue
            i += 1
        else:
            i += 1
    return out


def _stream_texts(raw: bytes) -> list[str]:
    """Texts to search in (decoded) stream bytes: the strings, joined both ways so that a
    word split by kerning (`[(Abu R) -20 (ayyan)] TJ`) is whole in one of them, and the
    bytes as text (XMP, attachments, plain-text streams)."""
    strs = strings_in(raw)
    texts = [decode_bytes(raw)]
    if strs:
        texts += [" ".join(strs), "".join(strs)]
    return texts


def _revision_ends(data: bytes) -> list[int]:
    ends = [m.end() for m in _EOF.finditer(data)]
    return ends or [len(data)]


def _walk(obj: pikepdf.Object, out: list[str], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(obj, pikepdf.String):
        out.append(str(obj))
    elif isinstance(obj, pikepdf.Array):
        for x in obj:
            if isinstance(x, pikepdf.Object) and not x.is_indirect:
                _walk(x, out, depth + 1)
            elif isinstance(x, str):
                out.append(x)
    elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for k in obj.keys():
            v = obj[k]
            if isinstance(v, pikepdf.Object) and not v.is_indirect:
                _walk(v, out, depth + 1)
            elif isinstance(v, str):
                out.append(v)


def _objects(pdf: pikepdf.Pdf) -> Iterator[tuple[str, list[str]]]:
    """(object label, texts) for every object of an open revision."""
    for obj in pdf.objects:
        if not obj.is_indirect:
            continue
        texts: list[str] = []
        _walk(obj, texts)
        if isinstance(obj, pikepdf.Stream):
            if obj.get("/Subtype") == pikepdf.Name.Image:
                pass  # pixels, not text: the faces pass looks at them
            else:
                try:
                    texts += _stream_texts(obj.read_bytes())
                except pikepdf.PdfError:
                    texts += _stream_texts(obj.read_raw_bytes())
        num, gen = obj.objgen
        yield f"object {num} {gen}", texts


def _page_texts(data: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
            page.close()
        return texts
    finally:
        doc.close()


def _document_places(pdf: pikepdf.Pdf, rep: PdfReport) -> None:
    """Info, XMP, outline, attachments, annotations, scripts of the latest revision."""
    for k, v in pdf.docinfo.items():
        rep.texts.append((f"Info {k}", str(v)))
        rep.structure.append((f"Info {k}", f"document information entry: {str(v)[:80]}"))
    meta = pdf.Root.get("/Metadata")
    if isinstance(meta, pikepdf.Stream):
        rep.structure.append(("XMP", "an XMP metadata packet"))
        rep.texts.append(("XMP", decode_bytes(meta.read_bytes())))
    try:
        with pdf.open_outline() as outline:
            stack = list(outline.root)
            while stack:
                item = stack.pop()
                rep.texts.append(("outline", str(item.title or "")))
                stack.extend(item.children)
    except (pikepdf.PdfError, AttributeError, KeyError, ValueError) as exc:
        rep.structure.append(("outline", f"outline unreadable: {exc}"))
    for name, spec in pdf.attachments.items():
        rep.structure.append((f"attachment {name}", "an embedded file"))
        rep.texts.append((f"attachment {name} (name)", name))
        try:
            rep.texts.append((f"attachment {name}", decode_bytes(spec.get_file().read_bytes())))
        except (pikepdf.PdfError, KeyError, ValueError) as exc:
            rep.structure.append((f"attachment {name}", f"unreadable attachment: {exc}"))
    for key, what in (
        ("/OpenAction", "an action run on opening"),
        ("/AA", "automatic actions"),
        ("/AcroForm", "a form"),
        ("/Names", None),
    ):
        if key in pdf.Root and what:
            rep.structure.append((key.lstrip("/"), what))
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        rep.structure.append(("JavaScript", "document JavaScript"))
    for i, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", pikepdf.Array()):
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            texts: list[str] = []
            _walk(annot, texts)
            sub = str(annot.get("/Subtype", "/Annot")).lstrip("/")
            for t in texts:
                rep.texts.append((f"page {i} annotation ({sub})", t))


def _content_holders(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """(label, object) for everything with a content stream that can hold inline images:
    pages, form XObjects, tiling patterns, Type 3 glyphs, annotation appearances."""
    for i, page in enumerate(pdf.pages, 1):
        yield f"page {i}", page.obj
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and (
            obj.get("/Subtype") == pikepdf.Name.Form or obj.get("/PatternType") == 1
        ):
            yield f"object {obj.objgen[0]}", obj
        elif isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Type3:
            procs = obj.get("/CharProcs")
            if isinstance(procs, pikepdf.Dictionary):
                for glyph in procs.values():
                    if isinstance(glyph, pikepdf.Stream):
                        yield f"object {glyph.objgen[0]} (Type 3 glyph)", glyph


def _images(pdf: pikepdf.Pdf, rep: PdfReport) -> None:
    """Every picture's full pixels, as stored: masks, clips and covers are not applied, since
    `pdfimages` (or anyone) gets the whole picture back; inline images included."""
    from pikepdf import PdfImage, PdfInlineImage

    count = 0
    left_out = False

    def add(where: str, image: PdfImage | PdfInlineImage) -> None:
        nonlocal count
        count += 1
        try:
            pil = image.as_pil_image()
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a finding, not a crash
            rep.structure.append((where, f"an image that cannot be checked: {exc}"))
            return
        rep.images.append((where, np.asarray(pil.convert("RGB"))))

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
            if count >= MAX_IMAGES:
                left_out = True
                break
            where = f"image object {obj.objgen[0]}"
            _jpeg_segments(obj, where, rep)
            add(where, PdfImage(obj))
    for label, holder in _content_holders(pdf):
        try:
            instructions = pikepdf.parse_content_stream(holder)
        except pikepdf.PdfError as exc:
            rep.structure.append((label, f"content that cannot be parsed: {exc}"))
            continue
        n = 0
        for ins in instructions:
            if isinstance(ins, pikepdf.ContentStreamInlineImage):
                n += 1
                if count >= MAX_IMAGES:
                    left_out = True
                    break
                add(f"{label}, inline image {n}", ins.iimage)
    if left_out:
        rep.structure.append(("images", f"more than {MAX_IMAGES} images; the rest not checked"))


def _jpeg_segments(image: pikepdf.Stream, where: str, rep: PdfReport) -> None:
    """A JPEG stored in the PDF keeps its own EXIF, XMP, IPTC, comments and trailing bytes."""
    if image.get("/Filter") != pikepdf.Name.DCTDecode:
        return
    data = image.read_raw_bytes()
    if not data.startswith(b"\xff\xd8"):
        return
    for at, what in jpeg_structure(data):
        # APP14 "Adobe" says how to read CMYK and YCC samples, nothing else; decoders need it.
        if not what.startswith("an APP14 (Adobe"):
            rep.structure.append((f"{where}, JPEG {at}", what))


def render_pages(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(page number, RGB) of the latest revision at RENDER_DPI, as a reader shows it."""
    doc = pypdfium2.PdfDocument(str(path))
    try:
        for i in range(len(doc)):
            page = doc[i]
            bitmap = page.render(scale=RENDER_DPI / 72)
            yield i + 1, np.asarray(bitmap.to_pil().convert("RGB"))
            page.close()
    finally:
        doc.close()


def inspect(path: Path) -> PdfReport:
    """Everything in the PDF to check; raises pikepdf.PdfError when it cannot be opened."""
    data = path.read_bytes()
    rep = PdfReport()
    ends = _revision_ends(data)
    with pikepdf.open(path) as latest:
        linearized = latest.is_linearized
        _document_places(latest, rep)
        _images(latest, rep)
    if linearized and len(ends) == 2:
        ends = ends[-1:]  # the first-page section of a linearized file is not a revision
    rep.revisions = len(ends)
    if len(ends) > 1:
        rep.structure.append(
            ("revisions", f"{len(ends)} revisions (incremental updates keep the old content)")
        )
    per_rev: list[tuple[dict[str, list[str]], list[str]]] = []
    for end in ends[-MAX_REVISIONS:]:
        chunk = data[:end]
        objs: dict[str, list[str]] = {}
        try:
            with pikepdf.open(io.BytesIO(chunk)) as pdf:
                for label, texts in _objects(pdf):
                    objs[label] = texts
        except pikepdf.PdfError as exc:
            rep.structure.append((f"revision ending at byte {end}", f"unreadable: {exc}"))
        try:
            pages = _page_texts(chunk)
        except pypdfium2.PdfiumError:
            pages = []
        per_rev.append((objs, pages))
    n = len(per_rev)
    last_objs, last_pages = per_rev[-1]
    for i, t in enumerate(last_pages, 1):
        rep.texts.append((f"page {i} text", t))
    for label, texts in last_objs.items():
        for t in texts:
            rep.texts.append((label, t))
    # Earlier revisions: only what differs from the latest, so each finding says where the
    # old content survives.
    for r, (objs, pages) in enumerate(per_rev[:-1], 1):
        tag = f"revision {r} of {n}"
        for label, texts in objs.items():
            if texts != last_objs.get(label):
                for t in texts:
                    rep.texts.append((f"{tag}, {label}", t))
        for i, t in enumerate(pages, 1):
            if i > len(last_pages) or t != last_pages[i - 1]:
                rep.texts.append((f"{tag}, page {i} text", t))
    _raw(data, rep)
    return rep


def _raw(data: bytes, rep: PdfReport) -> None:
    """Every object block in the bytes, referenced or not, with Flate streams inflated."""
    for m in _OBJ.finditer(data):
        label = f"raw bytes, object {int(m.group(1))} {int(m.group(2))} at byte {m.start()}"
        body = m.group(3)
        texts = strings_in(_STREAM.sub(b"", body))
        for sm in _STREAM.finditer(body):
            raw = sm.group(1)
            try:
                raw = zlib.decompressobj().decompress(raw, 50_000_000)
            except zlib.error:
                pass  # not Flate, or damaged: search the bytes as they are
            texts += _stream_texts(raw)
        for t in texts:
            rep.texts.append((label, t))
    # Bytes outside any object: comments, data after the last %%EOF.
    rep.texts.append(("raw bytes outside objects", decode_bytes(_OBJ.sub(b" ", data))))
