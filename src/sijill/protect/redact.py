"""Protected terms (names, places, phone numbers) found in text and replaced by pseudonyms.

Matching runs on normalised text (``sijill.text.normalise``: Arabic letter-form folding,
harakat and tatweel dropped, Latin case and diacritics folded) with a map back to the
original offsets, so a hit always names the characters a person reads. Invisible format
characters (zero-width joiners, bidi marks, soft hyphens) are dropped too: one inside a name
must not hide it. Names match as whole words; spaces, hyphens and apostrophes between the
parts of a term may vary or be missing; Arabic proclitics (و ف ب ك ل and the article) may
be glued to the front and are kept, only the term itself is replaced.

A word broken at a line end with a hyphen ("Ray-" / "yan", also a soft hyphen) is joined
before matching; the hit spans the whole broken word, hyphen and line break included.
Names, places and other terms are also matched leniently (``sijill.protect.namematch``):
misheard and misspelt words within a bounded edit distance, the kunya in its grammatical
cases and transliterations (أبي ريان, لأبي ريان, Abi/Aba/Abou Rayyan), glued and split names.

Phone numbers are compared as digit strings (Latin, Arabic-Indic and Persian digits), so any
spelling of the same national number is found, with or without a country code, whatever
its separators (spaces, no-break spaces, dots, dashes of every width, brackets) and when it
is broken over two lines.

All name terms are compiled into one regular expression built from a trie of the terms,
so the cost grows with the text, not with text × terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sijill.protect.namematch import NameIndex
from sijill.text.normalise import normalize_with_map

KINDS = ("name", "place", "phone", "other")
_PREFIX = {"name": "Witness", "place": "Place", "phone": "Phone", "other": "Term"}
_MAX_TERM = 300  # normalised characters; the trie regex nests one level per branch point

# Characters that may separate (or be missing between) the parts of a multi-word term.
_SEP_RE = "[\\s\\-\u2010-\u2015'\u2018\u2019\u02bc`._]*"
_SPLIT = re.compile(_SEP_RE.replace("]*", "]+"))
_SEP_MARK = "\x00"
_DIGITS = {
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
}
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
# A phone number as written: digits with at most a few separators between them (a line break
# among them: a number is broken over lines; two numbers on two lines are told apart by
# where each one's digits end, see _find_phones).
_PHONE_SEP = "[ \t\r\n\u00a0\u202f.\\-\u2010-\u2015\u2212/()\u066b\u066c]"
_PHONE_RUN = re.compile(r"\+?\(?\d(?:" + _PHONE_SEP + r"{0,4}\d)*")
# A hyphen (or soft hyphen) at a line end between two letters: the word goes on below.
_SOFT_BREAK = re.compile(
    r"(?<=[^\W\d_])[\-\u2010\u2011\u00ad][ \t]*(?:\r\n|\r|\n)[ \t]*(?=[^\W\d_])"
)
# Country calling codes of one and two digits; codes are prefix-free, every other one has three.
_CC1 = {"1", "7"}
_CC2 = set(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split()
)
_MIN_PHONE = 7


@dataclass(frozen=True)
class ProtectedTerm:
    term: str
    pseudonym: str  # "Witness A", "Place B", "Phone A"
    kind: str = "name"  # name | place | phone | other


@dataclass(frozen=True)
class Hit:
    start: int  # offsets in the original text
    end: int
    term: ProtectedTerm


def pseudonym_for(kind: str, index: int) -> str:
    """The pseudonym of the index-th (0-based) term of a kind: Witness A … Z, AA, AB …"""
    if index < 0:
        raise ValueError("pseudonym index must not be negative")
    letters = ""
    n = index + 1
    while n:  # bijective base 26: A..Z, AA..ZZ, AAA..
        n, r = divmod(n - 1, 26)
        letters = chr(ord("A") + r) + letters
    return f"{_PREFIX.get(kind, 'Term')} {letters}"


def _normalise(text: str) -> tuple[str, list[int]]:
    """Normalised text and offsets, with format characters dropped and digits made ASCII."""
    norm, offsets = normalize_with_map(text)
    if "\n" in norm or "\r" in norm:
        norm, offsets = _join_soft_breaks(norm, offsets)
    if norm.isascii():
        return norm, offsets
    chars: list[str] = []
    kept: list[int] = []
    for ch, off in zip(norm, offsets, strict=True):
        if unicodedata.category(ch) == "Cf":
            continue
        chars.append(_DIGITS.get(ch, ch))
        kept.append(off)
    return "".join(chars), kept


def _join_soft_breaks(norm: str, offsets: list[int]) -> tuple[str, list[int]]:
    """`norm` with each hyphen-and-line-break inside a word taken out, offsets kept."""
    chars: list[str] = []
    kept: list[int] = []
    pos = 0
    for m in _SOFT_BREAK.finditer(norm):
        chars.append(norm[pos : m.start()])
        kept.extend(offsets[pos : m.start()])
        pos = m.end()
    if pos == 0:
        return norm, offsets
    chars.append(norm[pos:])
    kept.extend(offsets[pos:])
    return "".join(chars), kept


def _term_key(term: str) -> str:
    """The normalised term with its parts joined by the separator mark."""
    norm, _ = _normalise(term)
    parts = [p for p in _SPLIT.split(norm) if p]
    return _SEP_MARK.join(parts)


def _phone_key(term: str) -> str:
    """The national digits of a phone number: country code and trunk zeros taken off."""
    raw = "".join(_DIGITS.get(c, c) for c in term)
    digits = "".join(c for c in raw if c.isascii() and c.isdigit())
    international = raw.lstrip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    # Written without + or 00, a number this long most likely starts with its country code.
    if not international and len(digits) >= 11 and not digits.startswith("0"):
        international = True
    if international:
        if digits[:1] in _CC1:
            digits = digits[1:]
        elif digits[:2] in _CC2:
            digits = digits[2:]
        else:
            digits = digits[3:]
    return digits.lstrip("0")


def _trie_regex(keys: Iterable[str]) -> str:
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
    branches = [
        (_SEP_RE if ch == _SEP_MARK else re.escape(ch)) + _node_regex(child)
        for ch, child in sorted(node.items())
        if ch
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy: a longer term through this node is tried before the one ending here.
    return f"(?:{body})?" if "" in node else body


class Redactor:
    """Finds a case's protected terms in text and replaces them by their pseudonyms."""

    def __init__(self, terms: Iterable[ProtectedTerm], *, fuzzy: bool = True) -> None:
        """`fuzzy`: also match leniently (see the module docstring); off only to measure."""
        self.terms = tuple(terms)
        # Three tables: 0 Arabic terms with the article (keyed by the rest), 1 other Arabic
        # terms, 2 everything else. Keys are the parts joined by the separator mark.
        self._tables: tuple[dict[str, ProtectedTerm], ...] = ({}, {}, {})
        self._phones: dict[int, dict[str, ProtectedTerm]] = {}
        for t in self.terms:
            if t.kind not in KINDS:
                raise ValueError(f"unknown kind of protected term: {t.kind!r}")
            if t.kind == "phone":
                key = _phone_key(t.term)
                if len(key) < _MIN_PHONE:
                    raise ValueError(
                        f"phone term {t.term!r} has fewer than {_MIN_PHONE} national digits"
                    )
                self._phones.setdefault(len(key), {}).setdefault(key, t)
                continue
            key = _term_key(t.term)
            if not key:
                raise ValueError(f"protected term {t.term!r} is empty once normalised")
            if len(key) > _MAX_TERM:
                raise ValueError(f"protected term is longer than {_MAX_TERM} characters")
            if _ARABIC.match(key) and key.startswith("ال") and len(key.strip(_SEP_MARK)) > 3:
                self._tables[0].setdefault(key[2:].lstrip(_SEP_MARK), t)
            elif _ARABIC.match(key):
                self._tables[1].setdefault(key, t)
            else:
                self._tables[2].setdefault(key, t)
        self._regex = self._compile()
        self._lenient: NameIndex[ProtectedTerm] = NameIndex(
            (_normalise(t.term)[0], t) for t in self.terms if fuzzy and t.kind != "phone"
        )
        # Matches are looked up with their separators taken out.
        self._lookup = tuple(
            {k.replace(_SEP_MARK, ""): v for k, v in table.items()} for table in self._tables
        )

    def _compile(self) -> re.Pattern[str] | None:
        # Proclitics: conjunction و/ف, then preposition ب/ك/ل; they stay in the text. A term
        # with the article needs it (or the ل of لل = li + al); one without may have it.
        shapes = (
            f"(?P<p0>[وف]?[بكل]?)(?P<t0>ا?ل{_SEP_RE}(?P<c0>{{}}))",
            "(?P<p1>[وف]?[بكل]?)(?P<t1>(?:ا?ل)?(?P<c1>{}))",
            "(?P<t2>(?P<c2>{}))",
        )
        alts = [
            shape.format(_trie_regex(table))
            for shape, table in zip(shapes, self._tables, strict=True)
            if table
        ]
        if not alts:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")

    def __bool__(self) -> bool:
        return bool(self.terms)

    def find(self, text: str) -> list[Hit]:
        """Hits in `text`, non-overlapping; where two overlap the longer one wins."""
        if not text or not self.terms:
            return []
        norm, offsets = _normalise(text)
        # (norm start, norm end, term) of every candidate
        found: list[tuple[int, int, ProtectedTerm]] = []
        if self._regex is not None:
            for m in self._regex.finditer(norm):
                groups = m.groupdict()
                for n, lookup in enumerate(self._lookup):
                    core = groups.get(f"c{n}")
                    if core is None:
                        continue
                    term = lookup.get(_SPLIT.sub("", core))
                    if term is not None:  # always: the regex only matches keys of the table
                        found.append((m.start(f"t{n}"), m.end(f"t{n}"), term))
                    break
        if self._lenient:
            found.extend(self._lenient.find(norm))
        if self._phones:
            found.extend(self._find_phones(norm))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        hits: list[Hit] = []
        last_end = 0
        for start, end, term in found:
            if start < last_end:
                continue
            last_end = end
            # Extend over characters that normalised to nothing (harakat, marks) so none
            # is left dangling after the pseudonym.
            orig_end = offsets[end] if end < len(offsets) else len(text)
            hits.append(Hit(offsets[start], orig_end, term))
        return hits

    def _find_phones(self, norm: str) -> list[tuple[int, int, ProtectedTerm]]:
        out: list[tuple[int, int, ProtectedTerm]] = []
        lengths = sorted(self._phones, reverse=True)
        for m in _PHONE_RUN.finditer(norm):
            run = m.group()
            positions = [i for i, c in enumerate(run) if c.isdigit()]
            digits = "".join(run[i] for i in positions)
            if len(digits) < _MIN_PHONE:
                continue
            for k, pos in enumerate(positions):
                # A number ends at the last digit of the run or before a separator
                # (another number may follow on the same line).
                if k + 1 < len(positions) and positions[k + 1] == pos + 1:
                    continue
                for length in lengths:
                    if length > k + 1:
                        continue
                    term = self._phones[length].get(digits[k + 1 - length : k + 1])
                    if term is not None:
                        # From the start of the run, or of the line where the number's
                        # digits begin (what comes before, on the line, is its prefix).
                        first = m.start() + positions[k + 1 - length]
                        line = max(
                            norm.rfind("\n", m.start(), first), norm.rfind("\r", m.start(), first)
                        )
                        out.append((m.start() if line < 0 else line + 1, m.start() + pos + 1, term))
                        break
        return out

    def redact(self, text: str) -> str:
        """`text` with each hit replaced by its term's pseudonym."""
        parts: list[str] = []
        pos = 0
        for hit in self.find(text):
            parts.append(text[pos : hit.start])
            parts.append(hit.term.pseudonym)
            pos = hit.end
        parts.append(text[pos:])
        return "".join(parts)
