"""Text of word-processor files, web pages and plain text, as text units.

DOCX and ODT are zips of XML: their parts are streamed out of the zip through a byte cap
(checked while inflating, so a zip bomb is refused, never expanded) into defusedxml's
iterparse (no DTDs with entities, no external references), and each paragraph is released
as soon as it is read. Plain text is decoded in chunks. Whatever the format, at most
`max_chars` characters are kept. The format is chosen by the item's identified mime type,
never by its file name. Legacy Word (.doc) is not handled here.

The zip and XML machinery lives in `office_xml`, encoding guessing, HTML and the cutting
into units in `plain_text`; this module only picks the extractor and reads RTF.

What a reader of the document never sees (comments, hidden runs and elements, tracked
deletions; `office_hidden`) becomes separate units of kind `hidden` with info
{"hidden": reason}: searchable evidence, never part of a publication copy, which is laid
out from the visible units only.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any, ClassVar

from striprtf.striprtf import rtf_to_text

from sijill.errors import InputRejected
from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult, TextUnitOut
from sijill.pipeline.stages.office_hidden import split_rtf
from sijill.pipeline.stages.office_xml import read_docx, read_odt
from sijill.pipeline.stages.plain_text import (
    Doc,
    Extractor,
    choose_encoding,
    read_capped,
    read_html,
    reader,
    split_text,
    text_units,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_MIMES = frozenset(
    {
        DOCX,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        "application/vnd.ms-word.document.macroEnabled.12",
        "application/vnd.ms-word.template.macroEnabled.12",
    }
)
ODT_MIMES = frozenset(
    {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template"}
)
RTF_MIMES = frozenset({"application/rtf", "text/rtf"})
HTML_MIMES = frozenset({"text/html", "application/xhtml+xml"})


_FORMATS = {
    **dict.fromkeys(DOCX_MIMES, "docx"),
    **dict.fromkeys(ODT_MIMES, "odt"),
    **dict.fromkeys(RTF_MIMES, "rtf"),
    **dict.fromkeys(HTML_MIMES, "html"),
}


def format_of(mime: str) -> str | None:
    """docx, odt, rtf, html, plain (any other text/*), or None for what this stage skips."""
    return _FORMATS.get(mime) or ("plain" if mime.startswith("text/") else None)


def _rtf(path: Path, cfg: dict[str, Any]) -> Doc:
    size = path.stat().st_size
    if size > int(cfg["max_rtf_bytes"]):
        raise InputRejected(f"RTF of {size} bytes is over max_rtf_bytes ({cfg['max_rtf_bytes']})")
    raw = path.read_bytes()
    m = re.search(rb"\\ansicpg(\d+)", raw[:4096])
    enc = f"cp{int(m.group(1))}" if m else "cp1252"
    try:
        codecs.lookup(enc)
    except LookupError:
        enc = "cp1252"
    # Raw 8-bit bytes are in the document code page; \'xx escapes striprtf decodes itself.
    # Text formatted hidden (\v) or deleted is parsed apart from what a reader sees.
    visible, unseen = split_rtf(raw.decode(enc, "replace"))
    try:
        text, hidden = (
            str(rtf_to_text(part, encoding=enc, errors="replace"))  # type: ignore[no-untyped-call]
            for part in (visible, unseen)
        )
    except (ValueError, OverflowError, IndexError) as exc:  # e.g. a \u beyond Unicode
        raise InputRejected(f"RTF could not be parsed: {exc}", status="invalid") from exc
    hidden = "\n".join(line.strip() for line in hidden.splitlines() if line.strip())
    return Doc(text, {}, encoding=enc, hidden=(("hidden", hidden),) if hidden else ())


_EXTRACTORS: dict[str, Extractor] = {
    "docx": read_docx,
    "odt": read_odt,
    "rtf": _rtf,
    "html": read_html,
}


def _hidden_units(
    hidden: tuple[tuple[str, str], ...], max_chars: int, limit: int, fmt: str
) -> list[TextUnitOut]:
    return [
        TextUnitOut(kind="hidden", text=piece, method=fmt, info={"hidden": reason})
        for reason, text in hidden
        for piece in split_text(iter([text[:max_chars]]), limit)
    ]


class OfficeTextExtractor(Stage):
    name = "office_text_extractor"
    # 2: comments, hidden and deleted text are no longer part of the visible units.
    version = 2
    description = "text of DOCX, ODT, RTF, HTML and plain text files (chosen by content type)"
    defaults: ClassVar[dict[str, Any]] = {
        "max_chars": 20_000_000,
        "max_xml_bytes": 100 * 2**20,
        "max_rtf_bytes": 100 * 2**20,
        "section_chars": 20_000,
        "text_section_chars": 50_000,
    }
    config_help: ClassVar[dict[str, str]] = {
        "max_chars": "characters kept per document; the rest is dropped with a warning",
        "max_xml_bytes": "largest inflated XML part of a DOCX/ODT (zip bomb guard)",
        "max_rtf_bytes": "largest RTF file read (it is parsed in memory)",
        "section_chars": "longest text unit for DOCX/ODT/RTF/HTML before splitting",
        "text_section_chars": "longest text unit for plain text before splitting",
    }
    timeout_s = 900

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return format_of(item.mime) is not None

    def run(self, ctx: StageContext) -> StageResult:
        fmt = str(format_of(ctx.item.mime))
        cfg, path = ctx.config, ctx.input_path
        max_chars = int(cfg["max_chars"])
        data: dict[str, Any] = {"format": fmt}
        metadata: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        if fmt == "plain":
            data["encoding"] = enc = choose_encoding(path, max_chars)
            with reader(path, enc, "replace") as r:
                pieces = split_text(read_capped(r, max_chars), int(cfg["text_section_chars"]))
                truncated = bool(r.read(1))
        else:
            doc = _EXTRACTORS[fmt](path, cfg)
            truncated = doc.truncated or len(doc.text) > max_chars
            pieces = split_text(iter([doc.text[:max_chars]]), int(cfg["section_chars"]))
            warnings += doc.warnings
            if doc.meta:
                metadata[fmt] = doc.meta
            if doc.encoding:
                data["encoding"] = doc.encoding
        if truncated:
            warnings.append(f"text truncated at max_chars={max_chars}")
        units = text_units(pieces, fmt)
        if fmt != "plain":
            units += _hidden_units(doc.hidden, max_chars, int(cfg["section_chars"]), fmt)
        data.update(chars=sum(len(u.text) for u in units), units=len(units), truncated=truncated)
        return StageResult(data=data, text_units=units, metadata=metadata, warnings=warnings)
