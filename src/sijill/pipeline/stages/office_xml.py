"""Text and properties of DOCX and ODT files: zips of XML, read without trusting them.

Their parts are streamed out of the zip through a byte cap (checked while inflating, so a
zip bomb is refused, never expanded) into defusedxml's iterparse (no DTDs with entities, no
external references), and each paragraph is released as soon as it is read, so memory stays
flat however large the document. WordprocessingML and OpenDocument differ only in how they
spell paragraphs, tables and special characters; a `_Dialect` captures that difference.

What a reader of the document never sees (comments, hidden runs, tracked deletions; see
`office_hidden`) is kept apart from the visible text, by reason, in `Doc.hidden`.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

from sijill.errors import InputRejected
from sijill.pipeline.stages.office_hidden import WORDML_HIDDEN, OdfStyles, WordStyles, odf_hides
from sijill.pipeline.stages.plain_text import Doc, Extractor

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TX = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TB = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
ST = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
META_LIMIT = 16 * 2**20  # property parts are small; a bigger one is not a real document


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
    paras=frozenset({W + "p"}),
    rows=frozenset({W + "tr"}),
    cells=frozenset({W + "tc"}),
    # mc:Fallback repeats the text of text boxes for old readers; w:pPr holds tab *stops*.
    skip=frozenset(
        {MC + "Fallback", W + "pPr", W + "rPr", W + "tblPr", W + "trPr", W + "tcPr", W + "sectPr"}
    ),
    chars={
        W + "tab": "\t",
        W + "ptab": "\t",
        W + "br": "\n",
        W + "cr": "\n",
        W + "noBreakHyphen": "-",
    },
    leaf=W + "t",
)
ODF = _Dialect(
    paras=frozenset({TX + "p", TX + "h"}),
    rows=frozenset({TB + "table-row"}),
    cells=frozenset({TB + "table-cell", TB + "covered-table-cell"}),
    # Deleted text of tracked changes (text:tracked-changes) is hidden text, see office_hidden.
    skip=frozenset({TX + "note-citation"}),
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
            raise InputRejected(
                f"{self._what} inflates beyond {self._limit} bytes "
                "(limit max_xml_bytes); refused as a possible zip bomb"
            )
        return data


class _Flow:
    """Paragraph text from an XML part, streamed; tables become tab-separated lines.

    Text a reader does not see goes to `hidden` (reason -> paragraphs), never to `out`;
    `hidden_as` marks a whole part as unseen (Word's comments part)."""

    def __init__(
        self,
        dialect: _Dialect,
        budget: int,
        scope: frozenset[str] = frozenset(),
        *,
        word_styles: WordStyles | None = None,
        odf_styles: OdfStyles | None = None,
        hidden_as: str | None = None,
    ):
        self.d, self.budget, self.scope = dialect, budget, scope
        self.out: list[list[str]] = [[]]
        self.hidden: dict[str, list[str]] = {}
        self.chars = 0
        self.truncated = False
        self.word_styles = word_styles or WordStyles(None)
        self.odf_styles = odf_styles or OdfStyles()
        self.hidden_as = hidden_as

    def _hides(self, el: Element) -> str | None:
        if self.d is ODF:
            return odf_hides(el, self.odf_styles)
        return WORDML_HIDDEN.get(el.tag)

    def _keep_hidden(self, reason: str, text: str) -> None:
        if text.strip():
            self.hidden.setdefault(reason, []).append(text.strip())
            self.chars += len(text) + 1

    def parse(self, stream: _Capped) -> None:
        d = self.d
        stack: list[Element] = []
        hiding: list[str | None] = [self.hidden_as]  # why the open containers are unseen
        skipping = in_scope = in_para = 0
        for event, el in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = el.tag
            if event == "start":
                stack.append(el)
                skipping += tag in d.skip
                in_scope += tag in self.scope
                in_para += tag in d.paras
                hiding.append(hiding[-1] or self._hides(el))
                if tag in d.rows or tag in d.cells:
                    self.out.append([])
                continue
            stack.pop()
            hidden = hiding.pop()
            skipping -= tag in d.skip
            in_scope -= tag in self.scope
            if d is ODF:
                self.odf_styles.saw(el, stack[-1] if stack else None)
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
                    hidden = hidden or self._hides(el)
                    text, unseen = self._text(el, hidden)
                    for reason, words in unseen.items():
                        self._keep_hidden(reason, "".join(words))
                    if hidden is None:
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

    def _text(self, p: Element, base: str | None) -> tuple[str, dict[str, list[str]]]:
        """(visible text, {reason: hidden pieces}) of paragraph `p`; `base`: p is unseen."""
        d, parts = self.d, list[str]()
        unseen: dict[str, list[str]] = {}
        todo: list[tuple[Element | str, str | None]] = [(p, base)]
        while todo:  # iterative: hostile nesting depth cannot exhaust the stack
            node, why = todo.pop()
            if isinstance(node, str):
                (parts if why is None else unseen.setdefault(why, [])).append(node)
                continue
            tag = node.tag
            if node is not p and (tag in d.skip or tag in d.paras):
                continue  # nested paragraphs (notes, text boxes) were emitted on their own
            if node is not p and why is None:
                why = self._hides(node)
                if why is None and tag == W + "r" and self.word_styles.run_hidden(node, p):
                    why = "hidden"
            sink = parts if why is None else unseen.setdefault(why, [])
            if tag in d.chars:
                sink.append(d.chars[tag])
            elif tag == TX + "s":
                count = node.get(TX + "c", "1")
                sink.append(" " * (min(int(count), 200) if count.isdigit() else 1))
            elif tag == d.leaf:
                sink.append(node.text or "")
            elif tag == W + "delText":  # deleted text, wherever a hostile file puts it
                unseen.setdefault("deletion", []).append(node.text or "")
            elif d.leaf is None and node.text:
                sink.append(node.text)
            for child in reversed(node):
                if d.leaf is None and child.tail:
                    todo.append((child.tail, why))
                todo.append((child, why))
        return "".join(parts), unseen

    def text(self) -> str:
        return "\n".join(self.out[0])

    def hidden_text(self) -> list[tuple[str, str]]:
        return [(reason, "\n".join(texts)) for reason, texts in self.hidden.items()]


def _zip_text(
    z: zipfile.ZipFile, name: str, flow: _Flow, limit: int
) -> tuple[str, bool, list[str]]:
    """(visible text, truncated, warnings) of one XML part; a damaged part keeps what was read.
    The part's hidden text stays in `flow.hidden`."""
    try:
        flow.parse(_open(z, name, limit))
    except (ParseError, zlib.error, EOFError, zipfile.BadZipFile) as exc:
        text = flow.text()
        if not text.strip() and not flow.hidden:
            raise InputRejected(f"{name} is damaged: {exc}", status="invalid") from exc
        return text, flow.truncated, [f"{name} is damaged after {len(text)} chars: {exc}"]
    return flow.text(), flow.truncated, []


def _open(z: zipfile.ZipFile, name: str, limit: int) -> _Capped:
    info = z.getinfo(name)
    if info.flag_bits & 0x1:
        raise InputRejected(f"{name} is encrypted", status="encrypted")
    if info.file_size > limit:
        raise InputRejected(
            f"{name} declares {info.file_size} bytes, over max_xml_bytes "
            f"({limit}); refused as a possible zip bomb"
        )
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


def _docx(path: Path, cfg: dict[str, Any]) -> Doc:
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

        # Reading order: headers, body, notes, footers (all seen on the page), comments (not).
        order = [
            *parts("header"),
            main,
            *parts("footnotes"),
            *parts("endnotes"),
            *parts("footer"),
            *parts("comments"),
        ]
        # Runs hidden through a style or the document defaults are as hidden as direct ones.
        styles = WordStyles(_small_xml(z, folder + "styles.xml"))
        texts: list[str] = []
        hidden: list[tuple[str, str]] = []
        warnings: list[str] = []
        truncated = False
        for name in order:
            comments = name.startswith(folder + "comments")
            flow = _Flow(
                WORDML, budget, word_styles=styles, hidden_as="comment" if comments else None
            )
            text, truncated, warn = _zip_text(z, name, flow, limit)
            warnings += warn
            hidden += flow.hidden_text()
            budget -= flow.chars
            if text.strip() and text not in texts:  # first/even-page headers often repeat
                texts.append(text)
            if truncated or budget <= 0:
                truncated = True
                break
        core = _props(
            _small_xml(z, "docProps/core.xml"),
            {"creator": "author", "description": "comments", "lastModifiedBy": "last_modified_by"},
        )
        app = _props(_small_xml(z, "docProps/app.xml"), {})
        if app:
            core["app"] = app
    return Doc("\n\n".join(texts), core, truncated, tuple(warnings), hidden=tuple(hidden))


def _odt(path: Path, cfg: dict[str, Any]) -> Doc:
    limit, budget = int(cfg["max_xml_bytes"]), int(cfg["max_chars"])
    with zipfile.ZipFile(path) as z:
        manifest = _small_xml(z, "META-INF/manifest.xml")
        if manifest is not None and any(
            _local(e.tag) == "encryption-data" for e in manifest.iter()
        ):
            raise InputRejected("the document is password-protected", status="encrypted")
        if "content.xml" not in z.NameToInfo:
            raise InputRejected("no content.xml in this OpenDocument file", status="invalid")
        styles = OdfStyles()
        headers, warnings = "", list[str]()
        hidden: list[tuple[str, str]] = []
        if "styles.xml" in z.NameToInfo:
            # Page headers and footers live in the master pages of styles.xml; it is read
            # first because its styles may hide text of content.xml.
            scope = frozenset(
                ST + t
                for t in (
                    "header",
                    "footer",
                    "header-left",
                    "footer-left",
                    "header-first",
                    "footer-first",
                )
            )
            flow = _Flow(ODF, budget, scope, odf_styles=styles)
            headers, _t, warnings = _zip_text(z, "styles.xml", flow, limit)
            hidden += flow.hidden_text()
            budget -= flow.chars
        flow = _Flow(ODF, budget, odf_styles=styles)
        text, truncated, warn = _zip_text(z, "content.xml", flow, limit)
        warnings += warn
        hidden += flow.hidden_text()
        meta_root = _small_xml(z, "meta.xml")
    box = None if meta_root is None else next(iter(meta_root), None)  # office:meta
    meta = _props(
        box,
        {
            "initial-creator": "author",
            "creator": "last_modified_by",
            "creation-date": "created",
            "date": "modified",
            "editing-cycles": "revision",
        },
    )
    for el in [] if meta_root is None else meta_root.iter():
        if _local(el.tag) == "user-defined":
            meta.setdefault("user_defined", {})[
                str(el.get("{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}name", ""))
            ] = el.text or ""
        elif _local(el.tag) == "document-statistic":
            meta["statistics"] = {_snake(_local(k)): v for k, v in el.attrib.items()}
    text = "\n\n".join(t for t in (headers, text) if t.strip())
    return Doc(text, meta, truncated, tuple(warnings), hidden=tuple(hidden))


def _zipped(extract: Extractor) -> Extractor:
    """Turn what a damaged or hostile zip of XML raises into a refusal of this item."""

    def guarded(path: Path, cfg: dict[str, Any]) -> Doc:
        what = extract.__name__.strip("_").upper()
        try:
            return extract(path, cfg)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ParseError) as exc:
            raise InputRejected(f"not a readable {what} file: {exc}", status="invalid") from exc
        except DefusedXmlException as exc:
            raise InputRejected(
                f"{what} uses forbidden XML constructs (DTD/entities): {exc}"
            ) from exc

    return guarded


read_docx = _zipped(_docx)
read_odt = _zipped(_odt)
