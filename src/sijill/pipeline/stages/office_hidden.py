"""Which parts of a DOCX, ODT or RTF a reader never sees: comments, hidden runs, deletions.

A publication copy is laid out from a document's *visible* text only, so everything a
reader of the document does not see must be told apart while the text is read: Word
comments, runs formatted hidden (`w:vanish`, directly or through a style), tracked
deletions (`w:del`, `w:moveFrom`), OpenDocument annotations, hidden paragraphs, hidden and
conditional text, sections and styles displayed "none", and RTF's `\\v` hidden text. Such
text is still evidence, so the extractor keeps it as separate text units marked hidden
(searchable in the archive, never laid out in a copy). When a rule cannot be evaluated
(an ODF display condition), the text counts as hidden: leaving out too much costs a copy
some text, leaving in too little could publish a name nobody reviewed.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TX = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
ST = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"

_OFF = frozenset({"0", "false", "off", "none"})
# Subtrees whose text a reader does not see, and why (the reason kept with the unit).
WORDML_HIDDEN = {W + "del": "deletion", W + "moveFrom": "deletion"}
ODF_HIDDEN = {
    OFFICE + "annotation": "comment",
    TX + "tracked-changes": "deletion",
    TX + "hidden-text": "hidden",
}


def _on(el: Element | None) -> bool | None:
    """A WordML toggle property: None when absent, else whether it is switched on."""
    if el is None:
        return None
    return str(el.get(W + "val", "true")).lower() not in _OFF


def _rpr_vanish(rpr: Element | None) -> bool | None:
    if rpr is None:
        return None
    for tag in ("vanish", "specVanish"):
        state = _on(rpr.find(W + tag))
        if state is not None:
            return state
    return None


class WordStyles:
    """Hidden-ness of runs through `word/styles.xml` (styles, their bases, doc defaults)."""

    def __init__(self, root: Element | None) -> None:
        self._own: dict[str, bool | None] = {}
        self._base: dict[str, str] = {}
        self.default: bool = False
        if root is None:
            return
        defaults = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        self.default = bool(_rpr_vanish(defaults))
        for style in root.iter(W + "style"):
            sid = str(style.get(W + "styleId", ""))
            self._own[sid] = _rpr_vanish(style.find(W + "rPr"))
            based = style.find(W + "basedOn")
            if based is not None:
                self._base[sid] = str(based.get(W + "val", ""))

    def _style(self, sid: str | None) -> bool | None:
        seen: set[str] = set()
        while sid and sid not in seen:  # a hostile basedOn cycle ends here
            seen.add(sid)
            own = self._own.get(sid)
            if own is not None:
                return own
            sid = self._base.get(sid)
        return None

    def run_hidden(self, run: Element, para: Element) -> bool:
        """Whether run `run` of paragraph `para` is hidden, as Word resolves it."""
        rpr = run.find(W + "rPr")
        direct = _rpr_vanish(rpr)
        if direct is not None:
            return direct
        rstyle = None if rpr is None else rpr.find(W + "rStyle")
        if rstyle is not None:
            state = self._style(rstyle.get(W + "val"))
            if state is not None:
                return state
        pstyle = para.find(f"{W}pPr/{W}pStyle")
        if pstyle is not None:
            state = self._style(pstyle.get(W + "val"))
            if state is not None:
                return state
        return self.default


class OdfStyles:
    """Styles whose text is not displayed (`text:display` none or a condition)."""

    def __init__(self) -> None:
        self._own: dict[str, bool] = {}
        self._parent: dict[str, str] = {}

    def saw(self, el: Element, parent: Element | None) -> None:
        """Called with every element as it ends, while the styles are streamed past."""
        if el.tag == ST + "text-properties" and parent is not None:
            name = parent.get(ST + "name")
            display = el.get(TX + "display")
            if name and display is not None:
                self._own[name] = display != "true"
        elif el.tag == ST + "style":
            name, up = el.get(ST + "name"), el.get(ST + "parent-style-name")
            if name and up:
                self._parent[name] = up

    def hidden(self, name: str | None) -> bool:
        seen: set[str] = set()
        while name and name not in seen:
            seen.add(name)
            if name in self._own:
                return self._own[name]
            name = self._parent.get(name)
        return False


def odf_hides(el: Element, styles: OdfStyles) -> str | None:
    """Why ODF element `el` (a container or an inline element) is not seen, or None."""
    tag = el.tag
    if tag in ODF_HIDDEN:
        return ODF_HIDDEN[tag]
    if tag == TX + "section" and (
        el.get(TX + "display") in ("none", "condition") or el.get(TX + "condition")
    ):
        return "hidden"
    if tag.startswith(ST + "header") or tag.startswith(ST + "footer"):
        return "hidden" if el.get(ST + "display") == "false" else None
    if tag in (TX + "span", TX + "p", TX + "h") and styles.hidden(el.get(TX + "style-name")):
        return "hidden"
    if tag in (TX + "p", TX + "h") and any(True for _ in el.iter(TX + "hidden-paragraph")):
        return "hidden"
    return None


# RTF tokens as striprtf reads them: control word, hex escape, control symbol, brace, text.
_RTF_TOKEN = re.compile(
    r"\\([a-z]{1,32})(-?\d{1,10})?[ ]?|\\'([0-9a-f]{2})|\\([^a-z])|([{}])|[\r\n]+|(.)",
    re.IGNORECASE | re.DOTALL,
)
# Control words that stand for text, so they follow the hidden state as characters do.
_RTF_CHARS = frozenset(
    "u emdash endash bullet lquote rquote ldblquote rdblquote emspace enspace qmspace".split()
)


def split_rtf(raw: str) -> tuple[str, str]:
    """(visible RTF, hidden RTF): the text formatted `\\v` (hidden) or `\\deleted` goes to the
    second, everything else to the first; control words and groups go to both, so each
    still parses as the same document."""
    visible: list[str] = []
    hidden: list[str] = []
    state = False
    stack: list[bool] = []
    for m in _RTF_TOKEN.finditer(raw):
        word, arg, _hex, sym, brace, _text = m.groups()
        tok = m.group(0)
        if brace:
            if brace == "{":
                stack.append(state)
            elif stack:
                state = stack.pop()
            visible.append(tok)
            hidden.append(tok)
        elif word and word.lower() in ("v", "deleted"):
            state = arg != "0"
        elif word and word.lower() == "plain":
            state = False
            visible.append(tok)
            hidden.append(tok)
        elif word and word.lower() not in _RTF_CHARS:
            visible.append(tok)
            hidden.append(tok)
        elif sym and sym in "*\r\n":
            visible.append(tok)  # a destination mark or a paragraph: both keep the structure
            hidden.append(tok)
        else:  # characters: plain, \'xx, \uN, \~, \\, \{ ...
            (hidden if state else visible).append(tok)
    return "".join(visible), "".join(hidden)
