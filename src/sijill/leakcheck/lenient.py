"""The leak check's lenient name matching: misheard, misspelt, declined, glued and split names.

Written apart from the protection's matcher (nothing is shared, not even the approach to
finding candidates), so that a blind spot in one is not a blind spot in both. Words are
already normalised by `sijill.leakcheck.terms.normalise`; each is then reduced to a sound
form:

- the kunya and nasab openers in every case and spelling are one word: أبو أبي أبا بو,
  Abu Abi Aba Abou Abo Bu; أم, Umm Um Oum Om; ابن بن, Ibn Bin Ben;
- Latin transliteration variants fold together: ee→i, oo/ou/w→u, ph→f, ck/q→k, dj→j,
  ch→sh, y→i, e→a, o→u, doubled letters once, a final h after a vowel dropped
  (Rayyan = Rayan = Raian = Rayaan; Hussein = Husayn); in Arabic, alef after the first
  letter is dropped and doubled letters are written once (ريان = رايان).

Two sound forms are near when a few edits (Damerau–Levenshtein, with transpositions) turn
one into the other: none under 4 letters, 1 for 4–7, 2 for 8 and more; Latin forms with
the same consonants and length may differ by one edit more. A one-word term needs an equal
sound form (one edit from 8 letters on): alone, a short name is one edit from many common
words. Text windows as long as the term are compared word by word; shorter and longer ones
(down to one word, up to one more) glued together ("AbuRayyan", "Ray yan", "ابوريان").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

_LETTERS = re.compile(r"[^\W\d_]+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")

_OPENERS = {
    "abu": ("abu", "abi", "aba", "abou", "abo", "bu"),
    "umm": ("umm", "um", "oum", "om", "omm"),
    "ibn": ("ibn", "bin", "ben", "ebn"),
    "ابو": ("ابو", "ابي", "ابا", "بو"),
    "ام": ("ام",),
    "ابن": ("ابن", "بن"),
}
_OPENER = {spelling: one for one, spellings in _OPENERS.items() for spelling in spellings}
# Openers that may be glued to the name that follows them.
_GLUED_OPENERS = ("abou", "abu", "abi", "aba", "abo", "ابو", "ابي", "ابا")
_DIGRAPHS = {"ee": "i", "oo": "u", "ou": "u", "ph": "f", "ck": "k", "dj": "j", "ch": "sh"}
_LATIN = {"y": "i", "w": "u", "e": "a", "o": "u", "q": "k"}
# Proclitics an Arabic first word may carry: conjunction, then preposition.
_CLITICS = sorted(
    {c + p for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك")} - {""}, key=len, reverse=True
)


@lru_cache(maxsize=100_000)
def sound(word: str, *, keep_eo: bool = False) -> str:
    """The sound form of a normalised word (see the module docstring); `keep_eo` keeps e
    and o apart from a and u (for one-word terms: alone, "Raqqa" must not be "rake")."""
    word = _OPENER.get(word, word)
    for opener in _GLUED_OPENERS:
        if word.startswith(opener) and len(word) >= len(opener) + 3:
            word = _OPENER[opener] + word[len(opener) :]
            break
    out: list[str] = []
    if _ARABIC.match(word):
        for i, ch in enumerate(word):
            if (i and ch == "ا") or (out and out[-1] == ch):
                continue
            out.append(ch)
        return "".join(out)
    i = 0
    while i < len(word):
        if word[i : i + 2] in _DIGRAPHS:
            piece = _DIGRAPHS[word[i : i + 2]]
            i += 2
        else:
            piece = word[i] if keep_eo and word[i] in "eo" else _LATIN.get(word[i], word[i])
            i += 1
        for ch in piece:
            if not out or out[-1] != ch:
                out.append(ch)
    if len(out) > 3 and out[-1] == "h" and out[-2] in "aiu":
        out.pop()
    return "".join(out)


def allowed_edits(letters: int) -> int:
    return 0 if letters < 4 else 1 if letters < 8 else 2


@lru_cache(maxsize=100_000)
def within(a: str, b: str, edits: int) -> bool:
    """Whether at most `edits` insertions, deletions, substitutions or swaps of two
    neighbouring letters turn `a` into `b` (a search over edits, fine for two or fewer)."""
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if not a or not b:
        return len(a) + len(b) <= edits
    if edits == 0 or abs(len(a) - len(b)) > edits:
        return False
    n = edits - 1
    return (
        within(a[1:], b[1:], n)
        or within(a[1:], b, n)
        or within(a, b[1:], n)
        or (len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0] and within(a[2:], b[2:], n))
    )


def _consonants(form: str) -> str:
    return "".join(ch for ch in form if ch not in "aiu")


def near(term_word: str, text_word: str, *, alone: bool) -> bool:
    """Whether a normalised text word may be a spelling of a normalised term word."""
    if alone:
        t, x = sound(term_word, keep_eo=True), sound(text_word, keep_eo=True)
        if t == x:
            return len(term_word) >= 4 or term_word == text_word
        return len(term_word) >= 8 and within(t, x, 1)
    t, x = sound(term_word), sound(text_word)
    if t == x:
        return True
    edits = allowed_edits(len(term_word))
    if edits and within(t, x, edits):
        return True
    latin = not _ARABIC.match(t)
    return bool(
        edits
        and latin
        and len(t) == len(x)
        and len(_consonants(t)) >= 3
        and _consonants(t) == _consonants(x)
        and within(t, x, edits + 1)
    )


def glued_near(term_words: Sequence[str], glued: str) -> bool:
    """Whether text words written as one (`glued`, normalised) may be the term's words."""
    if len(term_words) == 1:
        keep = {"keep_eo": True}
        return len(term_words[0]) >= 4 and sound(term_words[0], **keep) == sound(glued, **keep)
    # The first word must be whole ("abortion" is no glued "Abu Rayyan"); the rest may carry
    # the edits its length allows.
    t, x, head = sound("".join(term_words)), sound(glued), sound(term_words[0])
    rest = sum(map(len, term_words[1:]))
    return x.startswith(head) and within(t, x, allowed_edits(rest))


def first_words(token: str) -> Iterator[str]:
    """A text word as it may open a name: itself and, in Arabic, without its proclitics and
    article (لل is li- before the article, whose alef is not written)."""
    yield token
    if not _ARABIC.match(token):
        return
    for clitic in _CLITICS:
        if token.startswith(clitic) and len(token) - len(clitic) >= 2:
            rest = token[len(clitic) :]
            yield rest
            if clitic.endswith("ل") and rest.startswith("ل") and len(rest) >= 3:
                yield rest[1:]
    if token.startswith("ال") and len(token) >= 4:
        yield token[2:]


class Lenient:
    """Name terms (each a tuple of normalised words, with what a match reports) looked for
    leniently in lists of normalised words."""

    def __init__(self, terms: Sequence[tuple[tuple[str, ...], str]]) -> None:
        self._terms = [(tuple(ws), name) for ws, name in terms if ws]
        # Terms by the first and second letter of their first word's sound form: a text word
        # whose first or second letter is one of those of a term's may be it (one edit at
        # the front moves a letter by at most one place).
        self._by_letter: dict[str, list[int]] = {}
        for n, (ws, _name) in enumerate(self._terms):
            s = sound(ws[0]) + sound("".join(ws))
            for ch in {s[:1], s[1:2]} - {""}:
                self._by_letter.setdefault(ch, []).append(n)
        self._openers: dict[str, tuple[int, ...]] = {}

    def find(self, toks: Sequence[str]) -> set[str]:
        """The names of the terms found in `toks` (normalised words of one text)."""
        toks = [t for tok in toks for t in _LETTERS.findall(tok)]
        found: set[str] = set()
        for i in range(len(toks)):
            for first in first_words(toks[i]):
                candidates = self._openers.get(first)
                if candidates is None:
                    candidates = self._openers[first] = self._may_open(first)
                for n in candidates:
                    ws, name = self._terms[n]
                    if name not in found and self._at(ws, first, toks, i):
                        found.add(name)
        return found

    def _may_open(self, first: str) -> tuple[int, ...]:
        """The terms a name starting with the text word `first` may be: its first word is
        near, or glued to what follows it, or split with `first` its beginning."""
        s = sound(first)
        out = []
        for n in sorted({n for ch in {s[:1], s[1:2]} for n in self._by_letter.get(ch, ())}):
            ws = self._terms[n][0]
            head = sound(ws[0])
            if near(ws[0], first, alone=len(ws) == 1) or s.startswith(head) or head.startswith(s):
                out.append(n)
        return tuple(out)

    @staticmethod
    def _at(ws: tuple[str, ...], first: str, toks: Sequence[str], i: int) -> bool:
        alone = len(ws) == 1
        window = [first, *toks[i + 1 : i + len(ws)]]
        if len(window) == len(ws) and all(
            near(w, x, alone=alone) for w, x in zip(ws, window, strict=True)
        ):
            return True
        for width in range(1, len(ws) + 2):
            if width != len(ws) and i + width <= len(toks):
                if glued_near(ws, first + "".join(toks[i + 1 : i + width])):
                    return True
        return False
