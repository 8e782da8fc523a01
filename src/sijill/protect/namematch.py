"""Lenient matching of protected names for the Redactor: misheard, misspelt, declined, glued
and broken names.

Speech recognition writes "Abu Rayan" for a protected "Abu Rayyan", a scribe writes "Raian",
Arabic declines the kunya (أبو, أبي, أبا, with proclitics: لأبي, بأبي, وأبو), Latin writes it
Abu / Abi / Aba / Abou / Bu. Exact matching lets all of these through, so each word of a term
is compared with each word of the text on three levels:

- a canonical form for kunya and nasab words (Abu, Umm, Ibn in their cases and spellings);
- a transliteration key: doubled letters collapsed, y→i, w/ou/oo→u, ee→i, e→a, o→u, q→k,
  ph→f, dj→j, ch→sh, a final h after a vowel dropped; in Arabic every non-initial alef dropped
  (رايان and ريان are one name);
- a bounded Damerau–Levenshtein distance (optimal string alignment) on the keys: 1 for words
  of 4–7 letters, 2 for longer ones, none for shorter ones; Latin words whose consonant
  skeletons agree may differ by one edit more.

A term of one word is held to less: its light key (e and o kept apart from a and u) must
be equal, or within one edit when it has 8 letters or more, since a lone short name is one
edit away from many common words ("Rayan" is a name; "Rayon", "rain" and "rake" are not).
A window of text words as long as the term is compared word by word; windows one word
shorter or longer are compared glued together (its first word whole), so "AbuRayyan",
"Ray yan" and "ابوريان" are found too.

Measured in benchmarks/term_matching.py against the exact matcher on real text that holds
none of the terms. This module is the protection's own; the leak check has its own matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

T = TypeVar("T")

_LETTERS = re.compile(r"[^\W\d_]+")
_ARABIC = re.compile("[\u0600-\u06ff]")

# One canonical form for the words that open a kunya or a nasab, in every grammatical case
# (nominative أبو, genitive أبي, accusative أبا) and common transliteration. Text is already
# folded (hamza on alef gone, lower case, no diacritics) when it is looked up here.
_CANON = {
    **dict.fromkeys(("abu", "abi", "aba", "abou", "abo", "bu"), "abu"),
    **dict.fromkeys(("umm", "um", "oum", "om", "omm", "oumm"), "umm"),
    **dict.fromkeys(("ibn", "bin", "ben", "ebn"), "ibn"),
    **dict.fromkeys(("ابو", "ابي", "ابا", "بو"), "ابو"),
    **dict.fromkeys(("ابن", "بن"), "ابن"),
}
# Latin transliteration folds, in order: digraphs first, then single letters.
_LATIN_FOLDS = (
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("ph", "f"),
    ("ck", "k"),
    ("dj", "j"),
    ("ch", "sh"),
)
_LATIN_LETTERS = str.maketrans({"y": "i", "w": "u", "e": "a", "o": "u", "q": "k"})
# The light key of a one-word term keeps e and o: alone, "Raqqa" must not be "rake".
_LIGHT_LETTERS = str.maketrans({"y": "i", "w": "u", "q": "k"})
_GLUED_KUNYA = re.compile("abou|abu|abi|aba|abo|ابو|ابي|ابا")
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = str.maketrans("", "", "aiu")


def canonical(word: str) -> str:
    return _CANON.get(word, word)


@lru_cache(maxsize=65536)
def key(word: str, *, light: bool = False) -> str:
    """The transliteration key of a folded word (see the module docstring); `light`: with
    e and o kept apart from a and u."""
    word = canonical(word)
    # A kunya glued to the name ("AbiRayyan", "لابيريان" once its proclitic is off).
    opener = _GLUED_KUNYA.match(word)
    if opener and len(word) - opener.end() >= 3:
        word = _CANON[opener.group()] + word[opener.end() :]
    if _ARABIC.match(word):
        word = _DOUBLE.sub(r"\1", word)
        return word[:1] + word[1:].replace("ا", "")
    for a, b in _LATIN_FOLDS:
        word = word.replace(a, b)
    word = _DOUBLE.sub(r"\1", word.translate(_LIGHT_LETTERS if light else _LATIN_LETTERS))
    if len(word) > 3 and word.endswith("h") and word[-2] in "aiu":
        word = word[:-1]
    return word


def skeleton(word_key: str) -> str:
    """The consonants of a Latin key."""
    return word_key.translate(_VOWELS)


def bound(letters: int) -> int:
    """How many edits a word of `letters` letters may carry and still match."""
    return 0 if letters < 4 else 1 if letters <= 7 else 2


@lru_cache(maxsize=65536)
def osa(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein distance (optimal string alignment) of `a` and `b`, or `limit` + 1
    once it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return min(prev[-1], limit + 1)


@dataclass(frozen=True, eq=False)  # one instance per word (see _word): hashed by identity
class _Word:
    folded: str
    key: str
    light: str
    skeleton: str
    latin: bool


@lru_cache(maxsize=65536)
def _word(folded: str) -> _Word:
    k = key(folded)
    latin = not _ARABIC.match(folded)
    return _Word(folded, k, key(folded, light=True), skeleton(k) if latin else "", latin)


def _glue(keys: Iterable[str]) -> str:
    """The key of words written as one: their keys glued, as `key` would fold the whole
    (each key has no doubled letter of its own, so only the joins are looked at)."""
    parts: list[str] = []
    for k in keys:
        if parts and k:
            if parts[-1][-1:] == k[0]:
                k = k[1:]
            if k[:1] == "ا":
                k = k[1:]
        parts.append(k)
    return "".join(parts)


@lru_cache(maxsize=65536)
def word_matches(term: _Word, text: _Word, *, alone: bool) -> bool:
    """Whether a word of the text may stand for a word of a term; `alone`: a one-word term."""
    if alone:
        # A lone name: its light key, 4 letters or more, or one edit from 8 letters on.
        if term.light == text.light:
            return len(term.folded) >= 4 or term.folded == text.folded
        return len(term.folded) >= 8 and osa(term.light, text.light, 1) <= 1
    if term.key == text.key:
        return True
    limit = bound(len(term.folded))
    if limit == 0:
        return False
    d = osa(term.key, text.key, limit + 1)
    if d <= limit:
        return True
    # One edit more where only vowels differ, none added or dropped (Hamid / Humed).
    return (
        d == limit + 1
        and term.latin
        and len(term.skeleton) >= 3
        and term.skeleton == text.skeleton
        and len(term.key) == len(text.key)
    )


@dataclass(frozen=True)
class _Term(Generic[T]):
    words: tuple[_Word, ...]
    glued: str  # the keys of the words, glued
    letters: int
    value: T


def _stems(word: str) -> Iterator[tuple[int, str]]:
    """(characters to keep in front, rest) for a text word: the word itself and, in Arabic,
    the word without its proclitics (و ف, then ب ك ل) and article, which stay in the text."""
    yield 0, word
    if not _ARABIC.match(word):
        return
    for conj in ("", "و", "ف"):
        for prep in ("", "ب", "ك", "ل"):
            pre = conj + prep
            if not word.startswith(pre):
                continue
            rest = word[len(pre) :]
            if pre and len(rest) >= 2:
                yield len(pre), rest
            if rest.startswith("ال") and len(rest) >= 4:
                yield len(pre), rest[2:]
            elif prep == "ل" and rest.startswith("ل") and len(rest) >= 3:
                yield len(pre), rest[1:]  # لل: li- before the article, its alef not written


@lru_cache(maxsize=65536)
def _deletions(word: str, depth: int) -> frozenset[str]:
    """`word` with up to `depth` letters taken out, anywhere."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return frozenset(out)


class NameIndex(Generic[T]):
    """Lenient matches of name terms in normalised text; `T` is what a hit carries.

    Candidates come from indexes, not from comparing every word with every term: a term is
    found through its first word's key or the key's deletion variants (a word within k edits
    shares a variant with k deletions on each side), its consonant skeleton, or its glued
    key (whole for a one-word term, its first three letters otherwise); each candidate is
    then compared in full.
    """

    def __init__(self, terms: Iterable[tuple[str, T]]) -> None:
        """`terms`: (normalised term, value) pairs."""
        self._first: dict[str, list[_Term[T]]] = {}
        self._skeletons: dict[str, list[_Term[T]]] = {}
        self._glued: dict[str, list[_Term[T]]] = {}
        self._widths: set[int] = set()
        self._glued_heads: set[str] = set()  # the first one to three letters of glued keys
        self._depth: dict[int, int] = {}  # by length of a text word's key: deletions to try
        for norm, value in terms:
            words = tuple(_word(w) for w in _LETTERS.findall(norm))
            if not words:
                continue
            term = _Term(
                words, _glue(w.key for w in words), sum(len(w.folded) for w in words), value
            )
            head = words[0]
            if len(words) == 1:
                depth = 1 if len(head.folded) >= 8 else 0
            else:
                depth = bound(len(head.folded))
            for length in range(len(head.key) - depth, len(head.key) + depth + 1):
                self._depth[length] = max(self._depth.get(length, 0), depth)
            for variant in _deletions(head.key, depth):
                self._first.setdefault(variant, []).append(term)
            if len(words) > 1 and head.latin and len(head.skeleton) >= 3:
                self._skeletons.setdefault(head.skeleton, []).append(term)
            glued_key = term.glued if len(words) == 1 else term.glued[:3]
            self._glued.setdefault(glued_key, []).append(term)
            self._glued_heads |= {term.glued[:k] for k in (1, 2, 3)}
            self._widths |= {w for w in (len(words) - 1, len(words) + 1) if w >= 1}

    def __bool__(self) -> bool:
        return bool(self._first)

    def find(self, norm: str) -> list[tuple[int, int, T]]:
        """(start, end, value) in `norm` of every lenient match; overlaps are left to the
        caller."""
        if not self._first:
            return []
        spans = [(m.start(), m.end()) for m in _LETTERS.finditer(norm)]
        words = [_word(norm[a:b]) for a, b in spans]
        out: list[tuple[int, int, T]] = []
        for i, start in enumerate(a for a, _ in spans):
            for skip, stem in _stems(words[i].folded):
                first = words[i] if skip == 0 else _word(stem)
                candidates = dict(self._word_candidates(first))
                glued: dict[int, str] = {}
                for width in self._widths if first.key[:3] in self._glued_heads else ():
                    if i + width <= len(words):
                        g = _glue([first.key, *(w.key for w in words[i + 1 : i + width])])
                        glued[width] = g
                        for term in (*self._glued.get(g, ()), *self._glued.get(g[:3], ())):
                            candidates[id(term)] = term
                for term in candidates.values():
                    end = self._match(term, first, glued, words, i)
                    if end is not None:
                        out.append((start + skip, spans[end][1], term.value))
        return out

    @lru_cache(maxsize=16384)  # noqa: B019 (one index per Redactor; words repeat in text)
    def _word_candidates(self, first: _Word) -> tuple[tuple[int, _Term[T]], ...]:
        """Terms whose first word may be `first`, by their first word's key or skeleton."""
        found: dict[int, _Term[T]] = {}
        for variant in _deletions(first.key, self._depth.get(len(first.key), 0)):
            for term in self._first.get(variant, ()):
                found[id(term)] = term
        for term in self._skeletons.get(first.skeleton, ()) if first.skeleton else ():
            found[id(term)] = term
        return tuple(found.items())

    @staticmethod
    def _match(
        term: _Term[T], first: _Word, glued: dict[int, str], words: list[_Word], i: int
    ) -> int | None:
        """The index of the last text word of a match of `term` starting at word `i` (whose
        proclitics are already taken off, leaving `first`; `glued`: the key of the words
        from there written as one, by how many words), or None."""
        n = len(term.words)
        alone = n == 1
        if (
            i + n <= len(words)
            and word_matches(term.words[0], first, alone=alone)
            and all(
                word_matches(t, x, alone=alone)
                for t, x in zip(term.words[1:], words[i + 1 : i + n], strict=True)
            )
        ):
            return i + n - 1
        # Glued or split: one word fewer or more than the term, compared glued together.
        for width in (n - 1, n + 1):
            g = glued.get(width)
            if g is None:
                continue
            if alone:
                if g == term.glued and term.letters >= 4:
                    return i + width - 1
                continue
            # The first word whole (no glued form of "Abu" starts "abortion"); the edits
            # allowed by the length of the rest.
            head = term.words[0]
            limit = bound(term.letters - len(head.folded))
            if g.startswith(head.key) and osa(g, term.glued, limit) <= limit:
                return i + width - 1
        return None
