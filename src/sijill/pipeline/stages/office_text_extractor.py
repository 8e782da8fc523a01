"""Text of word-processor files, web pages and plain text, as text units.

DOCX and ODT are zips of XML: their parts are streamed out of the zip through a byte cap
(checked while inflating, so a zip bomb is refused, never expanded) into defusedxml's
iterparse (no DTDs with entities, no external references), and each paragraph is released
as soon as it is read. Plain text is decoded in chunks. Whatever the format, at most
`max_chars` characters are kept. The format is chosen by the item's identified mime type,
never by its file name. Legacy Word (.doc) is not handled here.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any, ClassVar, NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from striprtf.striprtf import rtf_to_text

from sijill.errors import InputRejected
from sijill.pipeline.stage import ItemInfo, Stage, StageContext, StageResult, TextUnitOut

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCX_MIMES = frozenset({
    DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.ms-word.template.macroEnabled.12",
})
ODT_MIMES = frozenset({"application/vnd.oasis.opendocument.text",
                       "application/vnd.oasis.opendocument.text-template"})
RTF_MIMES = frozenset({"application/rtf", "text/rtf"})
HTML_MIMES = frozenset({"text/html", "application/xhtml+xml"})

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TX = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TB = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
ST = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
META_LIMIT = 16 * 2**20  # property parts are small; a bigger one is not a real document


_FORMATS = {**dict.fromkeys(DOCX_MIMES, "docx"), **dict.fromkeys(ODT_MIMES, "odt"),
            **dict.fromkeys(RTF_MIMES, "rtf"), **dict.fromkeys(HTML_MIMES, "html")}


def format_of(mime: str) -> str | None:
    """docx, odt, rtf, html, plain (any other text/*), or None for what this stage skips."""
    return _FORMATS.get(mime) or ("plain" if mime.startswith("text/") else None)


class _Doc(NamedTuple):
    text: str
    meta: dict[str, Any]
    truncated: bool = False
    warnings: tuple[str, ...] = ()
    encoding: str | None = None


_Extractor = Callable[[Path, dict[str, Any]], _Doc]


@dataclass(frozen=True)
class _Dialect:
    """How one XML vocabulary spells paragraphs, tables and special characters."""

    paras: frozenset[str]
    rows: frozenset[str]
    cells: frozenset[str]
    skip: frozenset[str]  # subtrees that are never text (properties, duplicate fallbacks)
    chars: dict[str, str]  # empty elements that stand for a character
    leaf: str | None  # WordML: only this element holds text; ODF: None, all text counts


WORDML = _Dialect(
    paras=frozenset({W + "p"}), rows=frozenset({W + "tr"}), cells=frozenset({W + "tc"}),
    # mc:Fallback repeats the text of text boxes for old readers; w:pPr holds tab *stops*.
    skip=frozenset({MC + "Fallback", W + "pPr", W + "rPr", W + "tblPr", W + "trPr",
                    W + "tcPr", W + "sectPr"}),
    chars={W + "tab": "\t", W + "ptab": "\t", W + "br": "\n", W + "cr": "\n",
           W + "noBreakHyphen": "-"},
    leaf=W + "t",
)
ODF = _Dialect(
    paras=frozenset({TX + "p", TX + "h"}), rows=frozenset({TB + "table-row"}),
    cells=frozenset({TB + "table-cell", TB + "covered-table-cell"}),
    # Deleted text of tracked changes lives here; it is not part of the document's text.
    skip=frozenset({TX + "tracked-changes", TX + "note-citation"}),
    chars={TX + "tab": "\t", TX + "line-break": "\n"},
    leaf=None,
)


class _Capped:
    """A readable stream that refuses to yield more than `limit` bytes."""

    def __init__(self, raw: IO[bytes], limit: int, what: str) -> None:
        self._raw, self._limit, self._what, self._seen = raw, limit, what, 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(self._limit + 1 - self._seen if n < 0 else n)
        self._seen += len(data)
        if self._seen > self._limit:
            raise InputRejected(f"{self._what} inflates beyond {self._limit} bytes "
                                "(limit max_xml_bytes); refused as a possible zip bomb")
        return data


class _Flow:
    """Paragraph text from an XML part, streamed; tables become tab-separated lines."""

    def __init__(self, dialect: _Dialect, budget: int, scope: frozenset[str] = frozenset()):
        self.d, self.budget, self.scope = dialect, budget, scope
        self.out: list[list[str]] = [[]]
        self.chars = 0
        self.truncated = False

    def parse(self, stream: _Capped) -> None:
        d = self.d
        stack: list[Element] = []
        skipping = in_scope = in_para = 0
        for event, el in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = el.tag
            if event == "start":
                stack.append(el)
                skipping += tag in d.skip
                in_scope += tag in self.scope
                in_para += tag in d.paras
                if tag in d.rows or tag in d.cells:
                    self.out.append([])
                continue
            stack.pop()
            skipping -= tag in d.skip
            in_scope -= tag in self.scope
            if tag in d.cells:
                cell = self.out.pop()
                self.out[-1].append(" ".join(x for x in cell if x.strip()))
            elif tag in d.rows:
                cells = self.out.pop()
                if any(cells):
                    self.out[-1].append("\t".join(cells))
            elif tag in d.paras:
                in_para -= 1
                if not skipping and (in_scope or not self.scope):
                    text = self._text(el)
                    self.out[-1].append(text)
                    self.chars += len(text) + 1
                    if self.chars > self.budget:
                        self.truncated = True
                        return
            if in_para == 0 and stack:
                stack[-1].remove(el)  # read and done: keeps memory flat on huge documents
            elif tag in d.paras:
                tail = el.tail  # an enclosing paragraph still needs the text after this one
                el.clear()
                el.tail = tail

    def _text(self, p: Element) -> str:
        d, parts = self.d, []
        todo: list[Element | str] = [p]
        while todo:  # iterative: hostile nesting depth cannot exhaust the stack
            node = todo.pop()
            if isinstance(node, str):
                parts.append(node)
                continue
            tag = node.tag
            if node is not p and (tag in d.skip or tag in d.paras):
                continue  # nested paragraphs (notes, text boxes) were emitted on their own
            if tag in d.chars:
                parts.append(d.chars[tag])
            elif tag == TX + "s":
                count = node.get(TX + "c", "1")
                parts.append(" " * (min(int(count), 200) if count.isdigit() else 1))
            elif tag == d.leaf:
                parts.append(node.text or "")
            elif d.leaf is None and node.text:
                parts.append(node.text)
            for child in reversed(node):
                if d.leaf is None and child.tail:
                    todo.append(child.tail)
                todo.append(child)
        return "".join(parts)

    def text(self) -> str:
        return "\n".join(self.out[0])


def _zip_text(z: zipfile.ZipFile, name: str, dialect: _Dialect, budget: int, limit: int,
              scope: frozenset[str] = frozenset()) -> tuple[str, bool, list[str]]:
    """(text, truncated, warnings) of one XML part; a damaged part keeps what was read."""
    flow = _Flow(dialect, budget, scope)
    try:
        flow.parse(_open(z, name, limit))
    except (ParseError, zlib.error, EOFError, zipfile.BadZipFile) as exc:
        text = flow.text()
        if not text.strip():
            raise InputRejected(f"{name} is damaged: {exc}", status="invalid") from exc
        return text, flow.truncated, [f"{name} is damaged after {len(text)} chars: {exc}"]
    return flow.text(), flow.truncated, []


def _open(z: zipfile.ZipFile, name: str, limit: int) -> _Capped:
    info = z.getinfo(name)
    if info.flag_bits & 0x1:
        raise InputRejected(f"{name} is encrypted", status="encrypted")
    if info.file_size > limit:
        raise InputRejected(f"{name} declares {info.file_size} bytes, over max_xml_bytes "
                            f"({limit}); refused as a possible zip bomb")
    return _Capped(z.open(info), limit, name)


def _small_xml(z: zipfile.ZipFile, name: str) -> Element | None:
    if name not in z.NameToInfo:
        return None
    try:
        root: Element = fromstring(_open(z, name, META_LIMIT).read(), forbid_dtd=True)
    except ParseError:
        return None  # damaged properties must not cost the document its text
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()


def _props(box: Element | None, rename: dict[str, str]) -> dict[str, Any]:
    """The simple properties directly inside `box`, as {snake_name: text}."""
    out: dict[str, Any] = {}
    for el in [] if box is None else box:
        if len(el) == 0 and (el.text or "").strip() and _local(el.tag) != "user-defined":
            key = rename.get(_local(el.tag), _snake(_local(el.tag)))
            out.setdefault(key, (el.text or "").strip())
    return out


def _natural(name: str) -> tuple[int, str]:
    m = re.search(r"(\d+)\.xml$", name)
    return (int(m.group(1)) if m else 0, name)


def _docx(path: Path, cfg: dict[str, Any]) -> _Doc:
    limit, budget = int(cfg["max_xml_bytes"]), int(cfg["max_chars"])
    with zipfile.ZipFile(path) as z:
        main = "word/document.xml"
        rels = _small_xml(z, "_rels/.rels")
        for rel in [] if rels is None else rels:
            if str(rel.get("Type", "")).endswith("/officeDocument"):
                main = str(rel.get("Target", main)).lstrip("/")
        if main not in z.NameToInfo:
            raise InputRejected(f"no main document part ({main})", status="invalid")
        folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""

        def parts(stem: str) -> list[str]:
            pattern = re.compile(re.escape(folder + stem) + r"\d*\.xml")
            return sorted((n for n in z.namelist() if pattern.fullmatch(n)), key=_natural)

        # Reading order: headers, body, notes, footers, comments.
        order = [*parts("header"), main, *parts("footnotes"), *parts("endnotes"),
                 *parts("footer"), *parts("comments")]
        texts: list[str] = []
        warnings: list[str] = []
        truncated = False
        for name in order:
            text, truncated, warn = _zip_text(z, name, WORDML, budget, limit)
            warnings += warn
            if text.strip() and text not in texts:  # first/even-page headers often repeat
                texts.append(text)
                budget -= len(text)
            if truncated or budget <= 0:
                truncated = True
                break
        core = _props(_small_xml(z, "docProps/core.xml"), {
            "creator": "author", "description": "comments", "lastModifiedBy": "last_modified_by"})
        app = _props(_small_xml(z, "docProps/app.xml"), {})
        if app:
            core["app"] = app
    return _Doc("\n\n".join(texts), core, truncated, tuple(warnings))


def _odt(path: Path, cfg: dict[str, Any]) -> _Doc:
    limit, budget = int(cfg["max_xml_bytes"]), int(cfg["max_chars"])
    with zipfile.ZipFile(path) as z:
        manifest = _small_xml(z, "META-INF/manifest.xml")
        if manifest is not None and any(_local(e.tag) == "encryption-data"
                                         for e in manifest.iter()):
            raise InputRejected("the document is password-protected", status="encrypted")
        if "content.xml" not in z.NameToInfo:
            raise InputRejected("no content.xml in this OpenDocument file", status="invalid")
        text, truncated, warnings = _zip_text(z, "content.xml", ODF, budget, limit)
        headers = ""
        if not truncated and "styles.xml" in z.NameToInfo:
            # Page headers and footers live in the master pages of styles.xml.
            scope = frozenset(ST + t for t in ("header", "footer", "header-left",
                                                "footer-left", "header-first", "footer-first"))
            headers, _t, warn = _zip_text(z, "styles.xml", ODF, budget - len(text), limit, scope)
            warnings += warn
        meta_root = _small_xml(z, "meta.xml")
    box = None if meta_root is None else next(iter(meta_root), None)  # office:meta
    meta = _props(box, {"initial-creator": "author", "creator": "last_modified_by",
                        "creation-date": "created", "date": "modified",
                        "editing-cycles": "revision"})
    for el in [] if meta_root is None else meta_root.iter():
        if _local(el.tag) == "user-defined":
            meta.setdefault("user_defined", {})[str(el.get(
                "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}name", ""))] = el.text or ""
        elif _local(el.tag) == "document-statistic":
            meta["statistics"] = {_snake(_local(k)): v for k, v in el.attrib.items()}
    text = "\n\n".join(t for t in (headers, text) if t.strip())
    return _Doc(text, meta, truncated, tuple(warnings))


def _bom(head: bytes) -> str | None:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return enc
    return None


def _reader(path: Path, encoding: str, errors: str = "strict") -> io.TextIOWrapper:
    # newline=None: CRLF and CR become LF, so units cut at line breaks whatever the source.
    return io.TextIOWrapper(open(path, "rb"), encoding=encoding, errors=errors, newline=None)


def _choose_encoding(path: Path, max_chars: int) -> str:
    """BOM, else the first of utf-8 / utf-16 / cp1256 / latin-1 decoding without error."""
    with open(path, "rb") as f:
        head = f.read(65536)
    bom = _bom(head)
    if bom:
        return bom
    candidates = ["utf-8"]
    # Without a BOM, UTF-16 is only plausible with NULs in every other byte (mostly-ASCII
    # text); otherwise any even-length file would "decode" as UTF-16 garbage.
    if head[1::2].count(0) > len(head) * 0.15:
        candidates.append("utf-16-le")
    elif head[0::2].count(0) > len(head) * 0.15:
        candidates.append("utf-16-be")
    # cp1256 maps every byte (and keeps French accented letters at their Latin-1 places), so
    # latin-1 is the last resort only in principle.
    for enc in [*candidates, "cp1256"]:
        decoder = codecs.getincrementaldecoder(enc)("strict")
        try:
            with open(path, "rb") as f:
                seen = 0
                while seen < max_chars and (raw := f.read(1 << 20)):
                    # Never final: a file cut inside its last character is still that encoding.
                    seen += len(decoder.decode(raw))
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _read_capped(r: io.TextIOWrapper, max_chars: int) -> Iterator[str]:
    seen = 0
    while seen < max_chars and (chunk := r.read(min(1 << 20, max_chars - seen))):
        seen += len(chunk)
        yield chunk


def _cut(buf: str, pos: int, limit: int) -> int:
    """End of a unit starting at `pos`: the last line break before `limit`, else a space."""
    for sep in ("\n", " "):
        i = buf.rfind(sep, pos + limit // 2, pos + limit)
        if i >= 0:
            return i + 1
    return pos + limit


def _split(chunks: Iterator[str], limit: int) -> list[str]:
    pieces: list[str] = []
    pending = ""
    for chunk in chunks:
        pending += chunk
        pos = 0
        while len(pending) - pos > limit:
            end = _cut(pending, pos, limit)
            pieces.append(pending[pos:end])
            pos = end
        pending = pending[pos:]
    pieces.append(pending)
    return [p for p in pieces if p.strip()]


def _units(pieces: list[str], method: str) -> list[TextUnitOut]:
    kind = "body" if len(pieces) == 1 else "section"
    return [TextUnitOut(kind=kind, text=p, method=method) for p in pieces]


class _Html(HTMLParser):
    BLOCKS = frozenset(
        "address article aside blockquote body dd div dl dt fieldset figcaption figure footer "
        "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tr ul".split())
    SKIP = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.meta: dict[str, str] = {}
        self.skip = self.pre = 0
        self.in_head = self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "head":
            self.in_head = True
        elif tag == "title":
            self.in_title = True
        elif tag == "meta" and len(self.meta) < 100:
            a = dict(attrs)
            key = a.get("name") or a.get("property") or a.get("http-equiv")
            if key and a.get("content"):
                self.meta[key.lower()] = str(a["content"])[:2000]
        if tag in self.BLOCKS:
            self.in_head = False  # a page that never closes <head> still has a body
            self.parts.append("\n")
        self.pre += tag == "pre"
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag == "head":
            self.in_head = False
        elif tag == "title":
            self.in_title = False
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag == "pre" and self.pre:
            self.pre -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.in_title:
            self.title.append(data)
        elif not self.in_head:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (line.rstrip().lstrip(" ") for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


_ENCODING_DECL = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""")


def _html_encoding(path: Path, max_chars: int) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    declared = _bom(head)
    m = _ENCODING_DECL.search(head)
    if declared is None and m:
        try:
            declared = codecs.lookup(m.group(1).decode("ascii")).name
            # As browsers do: pages labelled Latin-1 are really written in windows-1252.
            declared = "cp1252" if declared in ("latin-1", "iso8859-1", "ascii") else declared
        except LookupError:
            declared = None
    return declared or _choose_encoding(path, max_chars)


def _zipped(extract: _Extractor) -> _Extractor:
    """Turn what a damaged or hostile zip of XML raises into a refusal of this item."""

    def guarded(path: Path, cfg: dict[str, Any]) -> _Doc:
        what = extract.__name__.strip("_").upper()
        try:
            return extract(path, cfg)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                ParseError) as exc:
            raise InputRejected(f"not a readable {what} file: {exc}", status="invalid") from exc
        except DefusedXmlException as exc:
            raise InputRejected(f"{what} uses forbidden XML constructs (DTD/entities): "
                                f"{exc}") from exc

    return guarded


def _rtf(path: Path, cfg: dict[str, Any]) -> _Doc:
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
    try:
        text = rtf_to_text(raw.decode(enc, "replace"),  # type: ignore[no-untyped-call]
                           encoding=enc, errors="replace")
    except (ValueError, OverflowError, IndexError) as exc:  # e.g. a \u beyond Unicode
        raise InputRejected(f"RTF could not be parsed: {exc}", status="invalid") from exc
    return _Doc(str(text), {}, encoding=enc)


def _html(path: Path, cfg: dict[str, Any]) -> _Doc:
    max_chars = int(cfg["max_chars"])
    enc = _html_encoding(path, max_chars)
    parser = _Html()
    with _reader(path, enc, "replace") as r:
        for chunk in _read_capped(r, max_chars):
            parser.feed(chunk)
        truncated = bool(r.read(1))
    parser.close()
    head: dict[str, Any] = dict(parser.meta)
    title = " ".join("".join(parser.title).split())
    if title:
        head["title"] = title
    return _Doc(parser.text(), head, truncated, encoding=enc)


_EXTRACTORS: dict[str, _Extractor] = {
    "docx": _zipped(_docx), "odt": _zipped(_odt), "rtf": _rtf, "html": _html}


class OfficeTextExtractor(Stage):
    name = "office_text_extractor"
    version = 1
    description = "text of DOCX, ODT, RTF, HTML and plain text files (chosen by content type)"
    defaults: ClassVar[dict[str, Any]] = {
        "max_chars": 20_000_000, "max_xml_bytes": 100 * 2**20, "max_rtf_bytes": 100 * 2**20,
        "section_chars": 20_000, "text_section_chars": 50_000,
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
            data["encoding"] = enc = _choose_encoding(path, max_chars)
            with _reader(path, enc, "replace") as r:
                pieces = _split(_read_capped(r, max_chars), int(cfg["text_section_chars"]))
                truncated = bool(r.read(1))
        else:
            doc = _EXTRACTORS[fmt](path, cfg)
            truncated = doc.truncated or len(doc.text) > max_chars
            pieces = _split(iter([doc.text[:max_chars]]), int(cfg["section_chars"]))
            warnings += doc.warnings
            if doc.meta:
                metadata[fmt] = doc.meta
            if doc.encoding:
                data["encoding"] = doc.encoding
        if truncated:
            warnings.append(f"text truncated at max_chars={max_chars}")
        units = _units(pieces, fmt)
        data.update(chars=sum(len(u.text) for u in units), units=len(units), truncated=truncated)
        return StageResult(data=data, text_units=units, metadata=metadata, warnings=warnings)
