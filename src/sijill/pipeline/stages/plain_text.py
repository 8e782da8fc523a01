"""Decoded text of plain-text and HTML files, and the pieces every format shares.

Plain text and web pages come with no reliable label of their encoding, so it is guessed
from a BOM, a declaration, or the first encoding that decodes the file without error, and
the file is then read in chunks so that nothing past `max_chars` is ever decoded. Every
extractor, whatever its format, hands back a `Doc`, and its text is cut into text units
here, at line breaks where it can be, so a unit never ends mid-word without need.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

from sijill.pipeline.stage import TextUnitOut


class Doc(NamedTuple):
    """What an extractor hands back: its text, whole, before the `max_chars` cut."""

    text: str
    meta: dict[str, Any]
    truncated: bool = False
    warnings: tuple[str, ...] = ()
    encoding: str | None = None
    # (reason, text) of what a reader never sees: comments, hidden or deleted text. It is
    # kept for search and never laid out in a publication copy.
    hidden: tuple[tuple[str, str], ...] = ()


Extractor = Callable[[Path, dict[str, Any]], Doc]


def _bom(head: bytes) -> str | None:
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return enc
    return None


def reader(path: Path, encoding: str, errors: str = "strict") -> io.TextIOWrapper:
    # newline=None: CRLF and CR become LF, so units cut at line breaks whatever the source.
    return io.TextIOWrapper(open(path, "rb"), encoding=encoding, errors=errors, newline=None)


def choose_encoding(path: Path, max_chars: int) -> str:
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


def read_capped(r: io.TextIOWrapper, max_chars: int) -> Iterator[str]:
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


def split_text(chunks: Iterator[str], limit: int) -> list[str]:
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


def text_units(pieces: list[str], method: str) -> list[TextUnitOut]:
    kind = "body" if len(pieces) == 1 else "section"
    return [TextUnitOut(kind=kind, text=p, method=method) for p in pieces]


class _Html(HTMLParser):
    BLOCKS = frozenset(
        "address article aside blockquote body dd div dl dt fieldset figcaption figure footer "
        "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tr ul".split()
    )
    SKIP = frozenset({"script", "style", "template"})
    VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []
        self.comments: list[str] = []
        self.title: list[str] = []
        self.meta: dict[str, str] = {}
        self.skip = self.pre = 0
        self.in_head = self.in_title = False
        # Open elements, each with whether it (or one around it) is not displayed.
        self.open: list[tuple[str, bool]] = []
        self.deep = False

    def _opened(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        implied = _IMPLIED_END.get(tag, frozenset())
        while self.open and self.open[-1][0] in implied:  # <li>a<li>b: the first one ends
            self.open.pop()
        a = {k: (v or "") for k, v in attrs}
        unseen = "hidden" in a or bool(_HIDDEN_STYLE.search(a.get("style", "")))
        if len(self.open) > 10_000:
            # Not a page a person reads: the rest counts as unseen, so the stack stays small
            # and nothing hidden can surface when its end tags no longer match.
            self.deep = True
            return
        self.open.append((tag, unseen or bool(self.open and self.open[-1][1])))

    def _closed(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):  # as browsers do: up to the nearest match
            if self.open[i][0] == tag:
                del self.open[i:]
                return

    def handle_comment(self, data: str) -> None:
        if data.strip() and sum(map(len, self.comments)) < 1 << 20:
            self.comments.append(data.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._opened(tag, attrs)
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
        self._closed(tag)
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
            text = data if self.pre else re.sub(r"\s+", " ", data)
            unseen = self.deep or bool(self.open and self.open[-1][1])
            (self.hidden if unseen else self.parts).append(text)

    def text(self) -> str:
        lines = (line.rstrip().lstrip(" ") for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# Elements a new start tag of the key closes when they are the innermost open one.
_IMPLIED_END = {
    "p": frozenset({"p"}),
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "option": frozenset({"option"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tr": frozenset({"td", "th", "tr"}),
}
# Inline styles that keep an element's text off the screen.
_HIDDEN_STYLE = re.compile(
    r"(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|content-visibility\s*:\s*hidden"
    r"|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9]))",
    re.IGNORECASE,
)
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
    return declared or choose_encoding(path, max_chars)


def read_html(path: Path, cfg: dict[str, Any]) -> Doc:
    max_chars = int(cfg["max_chars"])
    enc = _html_encoding(path, max_chars)
    parser = _Html()
    with reader(path, enc, "replace") as r:
        for chunk in read_capped(r, max_chars):
            parser.feed(chunk)
        truncated = bool(r.read(1))
    parser.close()
    head: dict[str, Any] = dict(parser.meta)
    title = " ".join("".join(parser.title).split())
    if title:
        head["title"] = title
    hidden = " ".join(" ".join(parser.hidden).split())
    unseen = [("hidden", hidden)] if hidden else []
    if parser.comments:
        unseen.append(("comment", "\n".join(parser.comments)))
    return Doc(parser.text(), head, truncated, encoding=enc, hidden=tuple(unseen))
