"""Search normalisation, applied identically to indexed text and to queries.

Arabic: alef/hamza forms (أ إ آ ٱ) → ا, taa marbuta ة → ه, alef maqsura ى → ي, tatweel and
harakat removed, hamza carriers ؤ → و and ئ → ي. Latin and others: NFKC, case folded,
combining marks (diacritics) removed. The result keeps a map back to the original offsets so
snippets and char positions refer to the text a person reads.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_ARABIC_MAP = {
    "\u0623": "\u0627",  # أ
    "\u0625": "\u0627",  # إ
    "\u0622": "\u0627",  # آ
    "\u0671": "\u0627",  # ٱ
    "\u0629": "\u0647",  # ة → ه
    "\u0649": "\u064a",  # ى → ي
    "\u0624": "\u0648",  # ؤ → و
    "\u0626": "\u064a",  # ئ → ي
    "\u06cc": "\u064a",  # Farsi yeh → ي
    "\u06a9": "\u0643",  # keheh → ك
}
_ARABIC_DROP = {"\u0640"} | {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670"}


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in _ARABIC_DROP:
        return ""
    mapped = _ARABIC_MAP.get(ch)
    if mapped is not None:
        return mapped
    if ch.isascii():
        return ch.lower()
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(c) == "Mn" or c in _ARABIC_DROP:
            continue
        out.append(_ARABIC_MAP.get(c, c))
    folded = unicodedata.normalize("NFC", "".join(out)).casefold()
    # Ligatures and other compatibility forms may expand; keep them.
    return folded


def normalize(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the index in `text` it came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets
