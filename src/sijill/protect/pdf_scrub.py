"""Allow-list scrubbing of a PDF page copied into a new document.

``append_clean_page`` copies a page's geometry (inherited attributes included), content
streams and drawing resources, nothing else; ``_Scrubber`` walks the copied resource graph,
dropping metadata, action and link keys and references to document-level objects (foreign
types), strips metadata segments from JPEG images (``strip_jpeg_segments``), draws with the
device colour spaces instead of ICC profiles (each profile names its maker, device and date),
and notes what forces the page to be rasterised (optional content, JPEG 2000).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf

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


# Default colour spaces remap the device ones through a profile: dropped with the profiles.
_DEFAULT_SPACES = frozenset({"/DefaultRGB", "/DefaultGray", "/DefaultCMYK"})
_DEVICE_SPACES = {1: pikepdf.Name.DeviceGray, 3: pikepdf.Name.DeviceRGB, 4: pikepdf.Name.DeviceCMYK}


def _device_space(obj: Any) -> pikepdf.Name | None:
    """The device colour space standing in for an ICC-based one ([/ICCBased profile]), else
    None. An ICC profile is a file of its own, with its maker, device model, description,
    copyright and date; the copy draws with the plain device space of as many components."""
    if not (isinstance(obj, pikepdf.Array) and len(obj) == 2 and obj[0] == pikepdf.Name.ICCBased):
        return None
    profile = obj[1]
    n = profile.get("/N") if isinstance(profile, pikepdf.Stream) else None
    return _DEVICE_SPACES.get(int(n) if isinstance(n, int) else 3, pikepdf.Name.DeviceRGB)


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
        self.profiles_dropped = 0

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
                if key in _DEFAULT_SPACES:
                    del obj[key]
                    self.profiles_dropped += 1
                elif (device := _device_space(obj[key])) is not None:
                    obj[key] = device
                    self.profiles_dropped += 1
                elif key in _DROP_KEYS or not self.keep(obj[key]):
                    del obj[key]
            return True
        if isinstance(obj, pikepdf.Array):
            for i in range(len(obj)):
                if (device := _device_space(obj[i])) is not None:
                    obj[i] = device
                    self.profiles_dropped += 1
                elif not self.keep(obj[i]):
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
    """A JPEG without APP1..APP13/APP15 (EXIF, XMP, ICC, IPTC), COM segments and anything
    after its end-of-image marker.

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
            # ... up to the end-of-image marker (FF D9 cannot occur inside entropy-coded
            # data): bytes after it (a second picture, a message) are cut.
            end = data.find(b"\xff\xd9", i)
            out += data[i:] if end == -1 else data[i : end + 2]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            return data
        segment = data[i : i + 2 + length]
        if not (0xE1 <= marker <= 0xED or marker == 0xEF or marker == 0xFE):
            out += segment
        i += 2 + length
    return data


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


def save_new(pdf: pikepdf.Pdf, dst: Path) -> None:
    """Write a PDF built from scratch in one piece: no incremental update, an /ID made from
    its content (never the source's), no metadata added on the way."""
    pdf.save(
        dst,
        linearize=False,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        fix_metadata_version=False,
    )
