"""Finding protected terms (names, places, phone numbers) in any text, written independently.

The leak check must not share code with the redactor it checks, or one bug would hide itself
in both; so this normaliser and matcher are separate from `sijill.protect` and from
`sijill.storage.textnorm`, and they lean towards matching too much: a false alarm costs a
reviewer a minute, a miss can cost a life.

Normalisation: Unicode NFKD with every combining mark dropped (Latin diacritics, Arabic
harakat, and the hamza and madda that NFKD splits off alef, waw and yeh), casefold, Arabic
letter variants folded (ة→ه, ى/ی→ي, ٱ→ا, ک→ك), tatweel and invisible format characters
removed, Arabic-Indic digits turned into ASCII. Text and terms are then compared as word
sequences; an Arabic first word may carry the proclitics و ف ب ل ك and the article ال.
Phone numbers are compared as digit strings whatever their separators.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_FOLD = str.maketrans(
    {
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian yeh, common in mixed keyboards
        "ٱ": "ا",
        "ک": "ك",
        "ء": "",  # a bare hamza is written or dropped at will
        "ـ": "",  # tatweel
        # Latin letters NFKD does not split into base letter and mark.
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ħ": "h",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
# Words: letters and digits; "_" separates words (file names use it for spaces).
_WORD = re.compile(r"[^\W_]+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Proclitics before an Arabic word: conjunction, preposition, article, in that order;
# "لل" is li- before the article, whose alef is then not written.
_PREFIXES = tuple(
    sorted(
        {
            c + p + a
            for c in ("", "و", "ف")
            for p in ("", "ب", "ل", "ك")
            for a in ("", "ال")
            if c + p + a
        }
        | {"لل", "ولل", "فلل"},
        key=len,
        reverse=True,
    )
)
# Runs of digits with the separators people put in phone numbers.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d \t.\-()/\u00a0]{0,3}\d)+")
_PHONE_TERM = re.compile(r"[+\d][\d \t.\-()/\u00a0]*\d")
# Suffix length of a phone number compared when the country code or trunk 0 differs.
_PHONE_TAIL = 8


def normalise(text: str) -> str:
    """Fold `text` for comparison (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cf", "Mn")
    )
    return kept.casefold().translate(_FOLD)


def words(text: str) -> list[str]:
    """The normalised words of `text`."""
    return _WORD.findall(normalise(text))


@dataclass(frozen=True)
class _Term:
    original: str
    words: tuple[str, ...]
    digits: str | None  # set for a phone number


def _digits(text: str) -> str:
    return "".join(ch for ch in normalise(text) if ch.isdigit())


def _phone_match(term_digits: str, run_digits: str) -> bool:
    if term_digits in run_digits:
        return True
    # "+963 944 123 456", "00963944123456" and "0944 123 456" are one number: compare the
    # subscriber part.
    tail = term_digits[-_PHONE_TAIL:]
    return len(term_digits) >= _PHONE_TAIL and tail in run_digits


def _edit_distance_le1(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


class TermMatcher:
    """Finds which of a set of protected terms occur in a text."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms: list[_Term] = []
        seen: set[tuple[str, ...]] = set()
        for raw in terms:
            raw = raw.strip()
            if not raw:
                continue
            digits = _digits(raw)
            is_phone = bool(_PHONE_TERM.fullmatch(normalise(raw))) and len(digits) >= 6
            ws = tuple(words(raw))
            # One-letter terms would match everywhere and protect nothing.
            if not is_phone and (not ws or sum(len(w) for w in ws) < 2):
                continue
            key = ("#" + digits,) if is_phone else ws
            if key in seen:
                continue
            seen.add(key)
            self.terms.append(_Term(raw, ws, digits if is_phone else None))
        self._by_first: dict[str, list[_Term]] = {}
        for t in self.terms:
            if t.digits is None:
                self._by_first.setdefault(t.words[0], []).append(t)
                # Article-initial terms (الرقة) also appear as لل+رقة after li-.
                if t.words[0].startswith("ال") and len(t.words[0]) > 3:
                    self._by_first.setdefault("\0" + t.words[0][2:], []).append(t)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def originals(self) -> list[str]:
        return [t.original for t in self.terms]

    def _stems(self, token: str) -> Iterable[str]:
        yield token
        if not _ARABIC.match(token):
            return
        for p in _PREFIXES:
            if token.startswith(p) and len(token) - len(p) >= 2:
                yield token[len(p) :]
                if p.endswith("لل"):
                    yield "\0" + token[len(p) :]

    def find(self, text: str, *, fuzzy: bool = False) -> list[str]:
        """The protected terms found in `text`, as given (each once, in input order).

        `fuzzy` (for speech transcripts) also accepts one wrong, missing or extra letter in
        each word of five letters or more, and a name written as one word.
        """
        if not self.terms or not text:
            return []
        found: set[str] = set()
        toks = words(text)
        for i, tok in enumerate(toks):
            for stem in self._stems(tok):
                for t in self._by_first.get(stem, ()):
                    if tuple(toks[i + 1 : i + len(t.words)]) == t.words[1:]:
                        found.add(t.original)
        phones = [t for t in self.terms if t.digits is not None]
        if phones:
            for m in _DIGIT_RUN.finditer(normalise(text)):
                run = "".join(ch for ch in m.group(0) if ch.isdigit())
                for t in phones:
                    assert t.digits is not None
                    if _phone_match(t.digits, run):
                        found.add(t.original)
        if fuzzy:
            found |= self._fuzzy(toks)
        return [t.original for t in self.terms if t.original in found]

    def _fuzzy(self, toks: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for t in self.terms:
            if t.digits is not None:
                continue
            n = len(t.words)
            joined = "".join(t.words)
            for i in range(len(toks)):
                window = toks[i : i + n]
                if len(window) == n and all(
                    _word_close(w, x) for w, x in zip(t.words, window, strict=True)
                ):
                    found.add(t.original)
                    break
                # "Abu Rayyan" heard as "Aburayan", or one word heard as two.
                for k in (1, 2, 3):
                    glued = "".join(toks[i : i + k])
                    if len(joined) >= 5 and (
                        glued == joined or (len(glued) >= 5 and _edit_distance_le1(glued, joined))
                    ):
                        found.add(t.original)
                        break
        return found


def _word_close(term_word: str, heard: str) -> bool:
    if len(term_word) >= 5:
        return _edit_distance_le1(term_word, heard)
    return term_word == heard
