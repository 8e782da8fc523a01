"""Consonant skeletons of names in Arabic script and Latin transliteration, and how alike they are.

Arabic script writes consonants and long vowels (و ي) but not short vowels; Latin
transliterations write every vowel, with English and French conventions that disagree
(Mohammed/Muhammad/Mohamed, Hussein/Husayn, Deir/Dayr, Zor/Zawr, Chaddadi/Shaddadi). A
*skeleton* keeps what both agree on:

* consonants, with digraphs read as one sound (sh/ch/ş → š, kh → x, gh → ġ, th → t, dh → d,
  dj → j, ph → f) and the letters transliterations confuse folded together (q/k/c and ق/ك → k,
  ص/س → s, ط/ت/ث → t, ض/ذ/د → d, ظ/ز → z, ح/ه → h, p → b, v → f);
* doubled letters collapsed (Raqqa = Raqa, and shadda is not written anyway);
* ʿ ʾ ' ’ and the letters ا ع ء dropped; ى read as ا (Mustafa = مصطفى);
* glides: Arabic و ي are *firm* w/y. Latin vowels that spell a long vowel or diphthong
  (oo, au, ee, ei, ai, ie, ū, ī, a final i/u/o/ou, and the letters w/y) are firm too; a medial
  ou is half firm (``u``, missing costs 0.5), as French writes it for short u too. A single
  medial u/o or i/e may be a short vowel (unwritten in Arabic) or a long one, so it becomes an
  *optional* w/y: it matches a firm one at no cost and may be missing at no cost. Word-initial
  vowels are optional (أسامة = Oussama), and a is always dropped;
* a word-final ة / ه is an optional t/h (Raqqa = Raqqah = الرقة, Jabhat = جبهة); a Latin
  final h after a vowel is an optional h (Saleh = صالح, Raqqah = Raqqa);
* compounds with Abd are two words: Abdulrahman = Abdurrahman = Abd al-Rahman = عبدالرحمن.

Skeletons are strings of one character per sound: lower case letters are consonants and firm
glides (``c`` is š, ``g`` is ġ, ``x`` is kh, ``u`` a half-firm w), upper case ``W Y H T U`` are
the optional ones.

`token_similarity` is a weighted edit distance (optional letters cost nothing, š/s, s/z, d/z,
k/ġ and j/ġ cost half), normalised by the longer skeleton's firm length. Between two *Latin*
spellings it also compares where the vowels are, since Latin writes them and Arabic does not:
"Mahmud" and "Muhammad" have the same consonants (m-h-m-d) but a vowel in different places,
and cost 0.3 per difference. `name_similarity` compares names token by token (the weakest
token decides, so "Abu Bakr" and "Abu Saqr" differ however alike "Abu" is), or, when the
token counts differ, as one joined skeleton ("Abu Kamal" = البوكمال).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sijill.analysis.mentions import name_key

__all__ = [
    "SkelToken",
    "blocking_signature",
    "display",
    "is_arabic",
    "name_similarity",
    "similarity",
    "skeleton",
    "skeleton_tokens",
    "token_similarity",
]


@dataclass(frozen=True, slots=True)
class SkelToken:
    """One word of a name: its normalised form, skeleton, and (Latin only) vowel pattern."""

    word: str
    skel: str
    slot: str | None = None  # consonants and V for vowel groups; None for Arabic script
    firm: str = ""  # the skeleton without optional letters (what is shown to people)

    @classmethod
    def make(cls, word: str, skel: str, slot: str | None = None) -> SkelToken:
        firm = "".join("w" if c == "u" else c for c in skel if not c.isupper())
        return cls(word, skel, slot, firm)


# Before `name_key` (which strips diacritics): letters whose diacritic carries the sound.
_PREMAP = str.maketrans(
    {
        "ş": "sh", "š": "sh", "ṣ": "s", "ğ": "gh", "ġ": "gh", "ḫ": "kh", "ẖ": "kh", "ṯ": "th",
        "ḏ": "dh", "ǧ": "j", "ǰ": "j", "ī": "ii", "ū": "uu", "ō": "oo", "ē": "ee",
        "ʿ": "", "ʾ": "", "ʼ": "", "ʻ": "",
        "ى": "ا",  # alef maqsura is a long a, not y (normalize would make it ي)
    }
)  # fmt: skip

_ARABIC = re.compile(r"[\u0600-\u06ff]")

# Arabic letters (after `normalize`: أإآٱ → ا, ة → ه, ؤ → و, ئ → ي) to skeleton letters.
_AR_LETTERS: dict[str, str] = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "x", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "c", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h",
    "و": "w", "ي": "y", "پ": "b", "چ": "c", "ڤ": "f", "گ": "g", "ژ": "j",
    "ا": "", "ع": "", "ء": "",
}  # fmt: skip

_LAT_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("sch", "c"), ("tch", "c"), ("sh", "c"), ("ch", "c"), ("kh", "x"), ("gh", "g"),
    ("th", "t"), ("dh", "d"), ("dj", "j"), ("ph", "f"), ("ck", "k"), ("zh", "j"),
)  # fmt: skip
_LAT_LETTERS: dict[str, str] = {
    "b": "b", "c": "k", "d": "d", "f": "f", "g": "g", "h": "h", "j": "j", "k": "k",
    "l": "l", "m": "m", "n": "n", "p": "b", "q": "k", "r": "r", "s": "s", "t": "t",
    "v": "f", "w": "w", "x": "ks", "y": "y", "z": "z",
}  # fmt: skip
_VOWELS = frozenset("aeiou")
_FIRM_W = frozenset({"ou", "oo", "uu", "au"})
_FIRM_Y = frozenset({"ee", "ii", "ei", "ai", "ie", "ey"})

# Half-cost substitutions: letters transliterations and dialects swap.
_NEAR = frozenset(
    frozenset(p) for p in (("c", "s"), ("s", "z"), ("d", "z"), ("k", "g"), ("j", "g"))
)
# Blocking classes: near letters share a class, glides and optional letters vanish.
_CLASS = str.maketrans({"c": "s", "z": "s", "g": "k", "j": "k", "w": "", "y": ""})

# Optional (weight 0) and half-firm (u: a medial French ou) letters, and the sound they stand for.
_BASE = {"W": "w", "U": "w", "u": "w", "Y": "y", "H": "h", "T": "t"}

_ABD_LATIN = re.compile(r"^abd(?:ou|[aeiou])?(.*)$")
_SUN = ("sh", "r", "s", "t", "d", "n", "z")


def is_arabic(text: str) -> bool:
    return _ARABIC.search(text) is not None


def _collapse(symbols: list[str]) -> str:
    """Join symbols, collapsing runs of the same sound (a firm letter wins over optional)."""
    out: list[str] = []
    for s in symbols:
        if not s:
            continue
        if out and _BASE.get(out[-1], out[-1]) == _BASE.get(s, s):
            if _weight(s) > _weight(out[-1]):
                out[-1] = s
            continue
        if out and out[-1] == "T" and s in ("t", "h"):
            out[-1] = s
            continue
        out.append(s)
    return "".join(out)


def _arabic_token(word: str) -> SkelToken:
    symbols: list[str] = []
    last = len(word) - 1
    for i, ch in enumerate(word):
        if ch == "ه" and i == last and i > 0:
            symbols.append("T")  # ة (folded to ه) or a final ه: may be written t, h or nothing
            continue
        symbols.append(_AR_LETTERS.get(ch, ch if ch.isalpha() else ""))
    return SkelToken.make(word, _collapse(symbols), None)


def _vowel_group(group: str, *, initial: bool, final: bool) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(group):
        pair = group[i : i + 2]
        if pair in _FIRM_W:
            # French writes ou for short u too (Moustapha = مصطفى): a medial ou is half firm
            half = pair == "ou" and not (final and i + 2 == len(group))
            out.append("u" if half else "w")
            i += 2
            continue
        if pair in _FIRM_Y:
            out.append("y")
            i += 2
            continue
        ch = group[i]
        last = i == len(group) - 1
        if ch in "uo":
            out.append("w" if final and last else "W")
        elif ch in "ie":
            out.append("y" if final and last and ch == "i" else "Y")
        i += 1
    if initial:
        out = [s.upper() for s in out]
    return out


def _latin_token(word: str) -> SkelToken:
    symbols: list[str] = []
    slot: list[str] = []
    n = len(word)
    i = 0
    while i < n:
        ch = word[i]
        if ch in _VOWELS:
            j = i
            while j < n and word[j] in _VOWELS:
                j += 1
            symbols.extend(_vowel_group(word[i:j], initial=i == 0, final=j == n))
            slot.append("V")
            if word[j:] == "h":
                symbols.append("H")  # Raqqah, Saleh: a final h after a vowel may be silent
                j = n
            i = j
            continue
        for dig, sound in _LAT_DIGRAPHS:
            if word.startswith(dig, i):
                symbols.append(sound)
                slot.append(sound)
                i += len(dig)
                break
        else:
            if ch in "yw":
                glide_vowel = (i > 0 and word[i - 1] in _VOWELS) or (
                    i + 1 < n and word[i + 1] in _VOWELS
                )
                symbols.append(ch)
                slot.append("V" if glide_vowel or i + 1 == n else ch)
            else:
                sound = _LAT_LETTERS.get(ch, ch if ch.isalpha() else "")
                symbols.extend(sound)
                slot.extend(sound)
            i += 1
    return SkelToken.make(word, _collapse(symbols), _slot_pattern(slot))


def _slot_pattern(slot: list[str]) -> str:
    """Where the vowels are, ends trimmed, without the vowel before the last consonant.

    Ends differ freely (Amr/Amro, Raqqa/Raqq), and so does an epenthetic vowel in a final
    cluster (Bakr/Bakir, Saqr/Saker); a vowel inside the word does not (Mahmud/Muhammad).
    """
    out: list[str] = []
    for s in slot:
        if out and out[-1] == s:
            continue
        out.append(s)
    out = ["V" if s == "V" else "C" for s in out]
    while out and out[0] == "V":
        out.pop(0)
    while out and out[-1] == "V":
        out.pop()
    if len(out) >= 3 and out[-2] == "V":
        del out[-2]
    return "".join(out)


def _split_abd(word: str, arabic: bool) -> list[str]:
    """'abdulrahman' → ['abd', 'rahman'], 'عبدالرحمن' → ['عبد', 'رحمن'], 'abdur' → ['abd']."""
    if arabic:
        if word.startswith("عبدال") and len(word) > 5:
            return ["عبد", word[5:]]
        return [word]
    m = _ABD_LATIN.match(word)
    if m is None or word == "abd":
        return [word]
    rest = m.group(1)
    if rest.startswith("l"):
        rest = rest[1:]
    elif rest in _SUN:
        rest = ""  # "Abdur Rahman": the assimilated article alone
    elif not any(rest.startswith(s + s) for s in _SUN):
        return [word]  # Abdo, Abdan…: not the compound
    return ["abd", rest] if rest else ["abd"]


@lru_cache(maxsize=65536)
def skeleton_tokens(name: str) -> tuple[SkelToken, ...]:
    """The name's words as skeletons: articles and leading honorifics dropped (`name_key`)."""
    key = name_key(name.lower().translate(_PREMAP))
    out: list[SkelToken] = []
    for raw in key.split():
        arabic = is_arabic(raw)
        for word in _split_abd(raw, arabic):
            tok = _arabic_token(word) if arabic else _latin_token(word)
            if tok.skel:
                out.append(tok)
    return tuple(out)


def _pretty(firm: str) -> str:
    return "-".join({"c": "sh", "g": "gh", "x": "kh"}.get(c, c) for c in firm)


def display(tokens: Sequence[SkelToken]) -> str:
    """The firm skeleton as people read it: 'b-w r-y-n'."""
    return " ".join(_pretty(t.firm) for t in tokens if t.firm)


def skeleton(name: str) -> str:
    """`display` of the name's skeleton."""
    return display(skeleton_tokens(name))


def blocking_signature(tokens: Sequence[SkelToken]) -> str:
    """Firm consonants only, near letters merged, words joined: equal for most variants."""
    return "".join(t.firm.translate(_CLASS) for t in tokens)


def _weight(c: str) -> float:
    return 0.0 if c.isupper() else 0.5 if c == "u" else 1.0


@lru_cache(maxsize=4096)
def _sub(a: str, b: str) -> float:
    if a == b or _BASE.get(a, a) == _BASE.get(b, b):
        return 0.0
    if (a == "T" and b in "thH") or (b == "T" and a in "thH"):
        return 0.0
    wa, wb = _weight(a), _weight(b)
    if wa and wb and frozenset((a, b)) in _NEAR:
        return 0.5
    return max(wa, wb)


def _distance(a: str, b: str) -> float:
    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + _weight(ch))
    for ca in a:
        wa = _weight(ca)
        cur = [prev[0] + wa]
        for j, cb in enumerate(b):
            cur.append(min(prev[j + 1] + wa, cur[j] + _weight(cb), prev[j] + _sub(ca, cb)))
        prev = cur
    return prev[-1]


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _skel_similarity(a: str, b: str) -> float:
    length = max(sum(map(_weight, a)), sum(map(_weight, b)), 1.0)
    return max(0.0, 1.0 - _distance(a, b) / length)


SLOT_PENALTY = 0.3


@lru_cache(maxsize=65536)
def token_similarity(a: SkelToken, b: SkelToken) -> float:
    """0..1; 1.0 when the skeletons agree (optional letters aside)."""
    if a.word == b.word or (a.skel == b.skel and (a.slot is None or b.slot is None)):
        return 1.0
    sim = _skel_similarity(a.skel, b.skel)
    if a.slot is not None and b.slot is not None and a.slot != b.slot:
        sim -= SLOT_PENALTY * _levenshtein(a.slot, b.slot)
    return max(0.0, sim)


def name_similarity(a: Sequence[SkelToken], b: Sequence[SkelToken]) -> float:
    """Token by token (the weakest decides) when the counts match, else joined skeletons."""
    if not a or not b:
        return 0.0
    if len(a) == len(b):
        return min(token_similarity(x, y) for x, y in zip(a, b, strict=True))
    return _skel_similarity("".join(t.skel for t in a), "".join(t.skel for t in b))


def similarity(a: str, b: str) -> float:
    """`name_similarity` of two names as written."""
    return name_similarity(skeleton_tokens(a), skeleton_tokens(b))
