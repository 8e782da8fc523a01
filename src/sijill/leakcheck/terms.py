"""Finding protected terms (names, places, phone numbers) in any text, written independently.

The leak check must not share code with the redactor it checks, or one bug would hide itself
in both; so this normaliser and matcher are separate from `sijill.protect` and from
`sijill.text.normalise`, and they lean towards matching too much: a false alarm costs a
reviewer a minute, a miss can cost a life.

Normalisation: Unicode NFKD with every combining mark dropped (Latin diacritics, Arabic
harakat, and the hamza and madda that NFKD splits off alef, waw and yeh), casefold, Arabic
letter variants folded (ة→ه, ى/ی→ي, ٱ→ا, ک→ك), tatweel and invisible format characters
removed, Arabic-Indic digits turned into ASCII. Text and terms are then compared as word
sequences; an Arabic first word may carry the proclitics و ف ب ل ك and the article ال.
A hyphen (or soft hyphen) at a line end inside a word is taken out first ("Ray-" / "yan").
Names are also matched leniently (`sijill.leakcheck.lenient`: misheard or misspelt words, the
kunya in every case, glued and split names), everywhere text is checked. Phone numbers are
compared as digit strings whatever their separators (spaces, no-break spaces, dots, dashes
of any width, brackets, a line break) and digits (Latin, Arabic-Indic, Persian).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sijill.leakcheck.lenient import Lenient

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
# Runs of digits with the separators people put in phone numbers (after NFKD, which makes
# no-break spaces plain ones), a line break among them.
_PHONE_GAP = " \\t\\r\\n.\\-\u2010-\u2015\u2212()/\u066b\u066c"  # inside [...]
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d" + _PHONE_GAP + r"]{0,4}\d)+")
_PHONE_TERM = re.compile(r"[+\d][\d" + _PHONE_GAP + r"]*\d")
# A hyphen or soft hyphen ending a line inside a word: the word goes on below.
_BROKEN = re.compile(r"(?<=[^\W\d_])[\-\u2010\u2011\u00ad][ \t]*(?:\r\n|\r|\n)[ \t]*(?=[^\W\d_])")
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
        self._lenient = Lenient([(t.words, t.original) for t in self.terms if t.digits is None])

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

    def find(self, text: str, *, fuzzy: bool = True) -> list[str]:
        """The protected terms found in `text`, as given (each once, in input order).

        `fuzzy` (the default, wherever text is checked) also matches names leniently (see
        `sijill.leakcheck.lenient`); False matches exactly, to measure the difference.
        """
        if not self.terms or not text:
            return []
        found: set[str] = set()
        joined = _BROKEN.sub("", text)
        toks = words(joined)
        for tokens in (toks, words(text)) if joined != text else (toks,):
            self._exact(tokens, found)
        phones = [t for t in self.terms if t.digits is not None]
        if phones:
            for m in _DIGIT_RUN.finditer(normalise(text)):
                run = "".join(ch for ch in m.group(0) if ch.isdigit())
                for t in phones:
                    assert t.digits is not None
                    if _phone_match(t.digits, run):
                        found.add(t.original)
        if fuzzy:
            found |= self._lenient.find(toks)
        return [t.original for t in self.terms if t.original in found]

    def _exact(self, toks: Sequence[str], found: set[str]) -> None:
        for i, tok in enumerate(toks):
            for stem in self._stems(tok):
                for t in self._by_first.get(stem, ()):
                    if tuple(toks[i + 1 : i + len(t.words)]) == t.words[1:]:
                        found.add(t.original)
