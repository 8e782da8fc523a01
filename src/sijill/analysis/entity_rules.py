"""Rules that find names and dates in any script, where no statistical model helps.

* kunya names: Abu/Abou/Abū/Umm X (Latin script, capitalised names) and أبو/أبي/أبا/أم X,
  with an optional nisba or second name (al-Firansi, الفرنسي) and leading honorifics
  (Sheikh, الشيخ…), which belong to the mention but not to its key;
* nisbas of origin attached to a name: "Omar al-Shishani", "عمر الشيشاني";
* dates with month names in English, French and Arabic (Levantine, Egyptian/Gulf and Hijri
  months, Arabic-Indic digits: ٥ أيار ٢٠٢٤, تموز/يوليو ٢٠١٤) and numeric dates.

Latin names are matched on the original text (capitals matter); Arabic names and dates on the
normalised text, mapped back to exact offsets.
"""

from __future__ import annotations

import re
from typing import Any

from sijill.analysis.mentions import HONORIFICS_ARABIC, Mention, name_key, original_span
from sijill.storage.textnorm import normalize, normalize_with_map

_UPPER = "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper())
_LNAME = rf"[{_UPPER}][^\W\d_]*(?:['’ʼʿ][^\W\d_]+)*"
_LART = r"(?:[Aa]l|[Ee]l|[Aa][rstdnz]|[Ee][rstdnz]|[Aa]sh|[Aa]th|[Aa]dh)"
_HON_LATIN = (
    r"(?:Sheikh|Shaykh|Sheik|Shaikh|Cheikh|Emir|Amir|Émir|Hajji|Haji|Hajj|Hadj|Hadji|Dr\.?|"
    r"Doctor|Docteur|Mullah|Mollah|Imam|Qadi|Sayyid|Sayed|Mawlawi)"
)
_KUNYA_LATIN = r"(?:Abu|Abū|Abou|Abo|ABU|Umm|Um|Oum|Oumm|Om|UMM)"

# Nisbas of origin: normalised stem -> what it says (for `info`). Latin and Arabic forms.
NISBAS: dict[str, str] = {
    "firansi": "French", "faransi": "French", "faransawi": "French", "almani": "German",
    "britani": "British", "baritani": "British", "tunisi": "Tunisian", "shishani": "Chechen",
    "amriki": "American", "amreeki": "American", "iraqi": "Iraqi", "suri": "Syrian",
    "masri": "Egyptian", "libi": "Libyan", "maghribi": "Moroccan", "urduni": "Jordanian",
    "turki": "Turkish", "baljiki": "Belgian", "hulandi": "Dutch", "swidi": "Swedish",
    "australi": "Australian", "rusi": "Russian", "kurdi": "Kurdish", "jazairi": "Algerian",
    "halabi": "from Aleppo", "raqqawi": "from Raqqa", "mosuli": "from Mosul",
    "mawsili": "from Mosul", "baghdadi": "from Baghdad", "dimashqi": "from Damascus",
    "homsi": "from Homs", "idlibi": "from Idlib", "hindi": "Indian", "pakistani": "Pakistani",
}  # fmt: skip
NISBAS_ARABIC: dict[str, str] = {
    normalize(k): v
    for k, v in {
        "فرنسي": "French", "ألماني": "German", "بريطاني": "British", "تونسي": "Tunisian",
        "شيشاني": "Chechen", "أمريكي": "American", "أميركي": "American", "عراقي": "Iraqi",
        "سوري": "Syrian", "مصري": "Egyptian", "ليبي": "Libyan", "مغربي": "Moroccan",
        "أردني": "Jordanian", "تركي": "Turkish", "بلجيكي": "Belgian", "هولندي": "Dutch",
        "سويدي": "Swedish", "أسترالي": "Australian", "روسي": "Russian", "كردي": "Kurdish",
        "جزائري": "Algerian", "حلبي": "from Aleppo", "رقاوي": "from Raqqa",
        "موصلي": "from Mosul", "بغدادي": "from Baghdad", "دمشقي": "from Damascus",
        "حمصي": "from Homs", "إدلبي": "from Idlib", "هندي": "Indian", "باكستاني": "Pakistani",
    }.items()
}  # fmt: skip
_NISBA_LATIN_ALT = "|".join(sorted((k.capitalize() for k in NISBAS), key=len, reverse=True))

_KUNYA_LATIN_RE = re.compile(
    rf"(?<![\w-])(?P<hon>(?:{_HON_LATIN}\s+)*)(?P<kunya>{_KUNYA_LATIN})[\s-]+"
    rf"(?P<name>(?:{_LART}-)?{_LNAME})"
    rf"(?P<rest>(?:\s+(?:{_LART}[- ])(?:{_LNAME})|\s+(?:{_NISBA_LATIN_ALT})(?![\w'’])){{0,2}})"
)
_NISBA_LATIN_RE = re.compile(
    rf"(?<![\w-])(?P<hon>(?:{_HON_LATIN}\s+)*)(?P<name>{_LNAME}(?:\s+{_LNAME})?)"
    rf"\s+(?P<nisba>(?:{_LART}[- ])?(?:{_NISBA_LATIN_ALT}))(?![\w'’])"
)

# Arabic, on normalised text (أ→ا, ة→ه, ى→ي): a word, and a nisba-like word (ends in ي / يه).
_AW = r"[\u0621-\u064a]+"
_AR_HON = "|".join(
    sorted((re.escape(h) for h in HONORIFICS_ARABIC if len(h) > 1), key=len, reverse=True)
)
_AR_STOP = {
    normalize(w) for w in "لا هو هي هم ماذا كان كانت ما من في على الى إلى عن لم لن قد".split()
}
_KUNYA_ARABIC_RE = re.compile(
    rf"(?<![\w])(?P<hon>(?:(?:{_AR_HON})\s+)*)(?P<kunya>ابو|ابي|ابا|ام)\s+"
    rf"(?P<name>عبد\s*ال?{_AW}|{_AW})(?P<rest>(?:\s+ال{_AW}(?:ي|يه))?)(?![\w])"
)
_AR_NISBA_ALT = "|".join(sorted(NISBAS_ARABIC, key=len, reverse=True))
_NISBA_ARABIC_RE = re.compile(
    rf"(?<![\w])(?P<hon>(?:(?:{_AR_HON})\s+)*)(?P<name>(?!ال){_AW})\s+"
    rf"(?P<nisba>ال(?:{_AR_NISBA_ALT})(?:ه)?)(?![\w])"
)


def find_names(text: str) -> list[Mention]:
    """PERSON mentions from kunya and nisba rules, Latin and Arabic script."""
    out: list[Mention] = []
    for m in _KUNYA_LATIN_RE.finditer(text):
        rest = m.group("rest").strip()
        info: dict[str, Any] = {"kunya": f"{m.group('kunya')} {m.group('name')}"}
        _add_nisba(info, rest.split()[-1] if rest else "", latin=True)
        out.append(_person(text, m.start(), m.end(), "rule:kunya", info, m.group("hon")))
    for m in _NISBA_LATIN_RE.finditer(text):
        info = {}
        _add_nisba(info, m.group("nisba"), latin=True)
        out.append(_person(text, m.start(), m.end(), "rule:nisba", info, m.group("hon")))
    if any("\u0600" <= c <= "\u06ff" for c in text):
        folded, nmap = normalize_with_map(text)
        for m in _KUNYA_ARABIC_RE.finditer(folded):
            if m.group("name") in _AR_STOP:
                continue
            start, end = original_span(nmap, m.start(), m.end(), len(text))
            kunya_end = original_span(nmap, m.start("kunya"), m.end("name"), len(text))
            info = {"kunya": text[kunya_end[0] : kunya_end[1]]}
            if m.group("rest"):
                ns = original_span(nmap, m.start("rest") + 1, m.end("rest"), len(text))
                _add_nisba(info, text[ns[0] : ns[1]], latin=False)
            out.append(_person(text, start, end, "rule:kunya", info, m.group("hon")))
        for m in _NISBA_ARABIC_RE.finditer(folded):
            if m.group("name") in _AR_STOP or m.group("name") in HONORIFICS_ARABIC:
                continue
            start, end = original_span(nmap, m.start(), m.end(), len(text))
            ns = original_span(nmap, m.start("nisba"), m.end("nisba"), len(text))
            info = {}
            _add_nisba(info, text[ns[0] : ns[1]], latin=False)
            out.append(_person(text, start, end, "rule:nisba", info, m.group("hon")))
    return out


def _add_nisba(info: dict[str, Any], word: str, *, latin: bool) -> None:
    if not word:
        return
    info["nisba"] = word
    stem = name_key(word)
    meaning = NISBAS.get(stem) if latin else NISBAS_ARABIC.get(stem.removesuffix("ه"))
    if meaning:
        info["nisba_meaning"] = meaning


def _person(
    text: str, start: int, end: int, source: str, info: dict[str, Any], hon: str
) -> Mention:
    if hon.strip():
        info["honorific"] = hon.strip()
    return Mention("PERSON", text[start:end], start, end, name_key(text[start:end]), source, info)
