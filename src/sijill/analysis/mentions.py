"""The `Mention` record and the normalised keys mentions are merged by later.

A mention is a name found in one text unit: its label, the exact text and character offsets
into that unit (so ``text[start:end] == mention.text``), a normalised key (`norm`) and the
source that found it. Keys fold case, diacritics and Arabic letter forms the same way search
does (`sijill.text.normalise.normalize`) and drop articles (al-, el-, ar-, ال) and leading
honorifics, so "Sheikh Abu Hamza al-Firansi" and "abu hamza firansi" share a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sijill.text.normalise import normalize

LABELS = ("PERSON", "PLACE", "ORG", "DATE", "TERM")

# Honorifics, normalised (lower case, Arabic forms folded): in a mention, not in its key.
HONORIFICS_LATIN = frozenset(
    {
        "sheikh", "shaykh", "sheik", "shaikh", "cheikh", "emir", "amir", "hajji", "haji",
        "hajj", "hadj", "hadji", "dr", "doctor", "docteur", "mullah", "mollah", "imam",
        "qadi", "cadi", "sayyid", "sayed", "mawlawi", "ustadh", "ustaz",
    }
)  # fmt: skip
HONORIFICS_ARABIC = frozenset(
    normalize(w)
    for w in (
        "الشيخ", "شيخ", "الأمير", "أمير", "الحاج", "حاج", "الحجي", "حجي", "الدكتور", "د",
        "الملا", "ملا", "الإمام", "إمام", "القاضي", "السيد", "الأستاذ",
    )
)  # fmt: skip
HONORIFICS = HONORIFICS_LATIN | HONORIFICS_ARABIC

# Latin transliterations of the Arabic article, as attached words: al-, el-, ar-, ash-, …
_LATIN_ARTICLE = re.compile(
    r"(?<![^\W\d_])(?:al|el|[ae][rstdnz]|[ae]sh|[ae]th|[ae]dh)-(?=[^\W\d_])"
)
_LOOSE_ARTICLE = re.compile(r"(?<![^\W\d_])(?:al|el) (?=[^\W\d_])")
# An English possessive is not part of a name: "Abu Musab's checkpoint" names Abu Musab.
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])['’]s\b")
_APOSTROPHES = re.compile(r"['’ʼʿʾ‘`]")
_SEPARATORS = re.compile(r"[\s\-‐–—_.,;:()\[\]«»\"“”]+")


@dataclass(frozen=True, slots=True)
class Mention:
    label: str
    text: str
    start: int
    end: int
    norm: str
    source: str
    info: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "text": self.text,
            "char_start": self.start,
            "char_end": self.end,
            "norm": self.norm,
            "source": self.source,
            "info": dict(self.info),
        }


def name_key(text: str, *, strip_honorifics: bool = True) -> str:
    """A merge key: normalised, articles and leading honorifics dropped, spaces collapsed."""
    folded = _APOSTROPHES.sub("", _POSSESSIVE.sub("", normalize(text)))
    folded = _LATIN_ARTICLE.sub("", folded)
    folded = _LOOSE_ARTICLE.sub("", folded)
    tokens = [t for t in _SEPARATORS.split(folded) if t]
    if strip_honorifics:
        while len(tokens) > 1 and tokens[0] in HONORIFICS:
            tokens.pop(0)
    out = []
    for tok in tokens:
        if tok.startswith("ال") and len(tok) > 3:
            tok = tok[2:]
        out.append(tok)
    return " ".join(out)


def original_span(nmap: list[int], ns: int, ne: int, text_len: int) -> tuple[int, int]:
    """Offsets in the original text of the normalised span [ns, ne).

    Characters dropped by normalisation right after the span (harakat, tatweel) belong to
    its last letter, so they are kept inside it.
    """
    start = nmap[ns]
    last = nmap[ne - 1]
    if ne < len(nmap):
        end = max(nmap[ne], last + 1)
    else:
        end = text_len
    return start, end
