"""Rules that find names and dates in any script, where no statistical model helps.

* kunya names: Abu/Abou/Abū/Umm X (Latin script, capitalised names) and أبو/أبي/أبا/أم X,
  with an optional nisba or second name (al-Firansi, الفرنسي) and leading honorifics
  (Sheikh, الشيخ…), which belong to the mention but not to its key;
* nisbas of origin attached to a name: "Omar al-Shishani", "عمر الشيشاني";
* armed units and organisations (ORG, `find_units`): a unit word and the name it governs,
  "كتيبة النور", "بكتيبة النور", "لواء ثوار الرقة", "ديوان الزكاة", "Saraya al-Jabal",
  "Jaysh al-Islam", "the al-Nur battalion", "the Free Syrian Army", "le bataillon al-Nour",
  "la brigade Thuwar al-Raqqa", and the Hisba / Amniyat / الحسبة;
* dates with month names in English, French and Arabic (Levantine, Egyptian/Gulf and Hijri
  months, Arabic-Indic digits: ٥ أيار ٢٠٢٤, تموز/يوليو ٢٠١٤) and numeric dates.

Latin names are matched on the original text (capitals matter); Arabic names and dates on the
normalised text, mapped back to exact offsets.
"""

from __future__ import annotations

import re
from typing import Any

from sijill.analysis.mentions import HONORIFICS_ARABIC, Mention, name_key, original_span
from sijill.text.normalise import normalize, normalize_with_map

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
    """PERSON mentions (kunya, nisba rules) and ORG mentions of units (`find_units`)."""
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
    out += find_units(text)
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


# --- Armed units and organisations ------------------------------------------------------------
# A unit word and the name it governs. Arabic (construct state): كتيبة النور, لواء ثوار الرقة,
# حركة نور الدين الزنكي, جيش خالد بن الوليد: up to three words, the name ending on a word with
# the article, then at most one nisba adjective (…ي / …ية): "حركة أحرار الشام الإسلامية". A
# unit word with the article is generic ("الجيش", "الكتيبة"), except الجيش + a nationality
# ("الجيش السوري", "الجيش الحر"), as "the Syrian army" is an ORG in English. `info["unit"]` is
# the kind of unit in English; the key is `name_key` of the mention (no prefix letter), so
# "Saraya al-Jabal" (saraya jabal) and سرايا الجبل (سرايا جبل) share a transliteration skeleton.
_UNIT_GLOSS_ARABIC: dict[str, str] = {
    normalize(k): v
    for k, v in {
        "كتيبة": "battalion", "كتائب": "battalion", "سرايا": "company", "سرية": "company",
        "لواء": "brigade", "فرقة": "division", "جيش": "army", "جبهة": "front",
        "حركة": "movement", "ديوان": "office", "فيلق": "corps",
    }.items()
}  # fmt: skip
_UNIT_GLOSS_LATIN: dict[str, str] = {  # transliterated Arabic, any case: "Katibat al-Nur"
    "katibat": "battalion", "katiba": "battalion", "katibah": "battalion",
    "kateeba": "battalion", "kateebat": "battalion", "kataib": "battalion",
    "kata'ib": "battalion", "kata’ib": "battalion", "kataeb": "battalion",
    "saraya": "company", "sariyat": "company", "sariya": "company", "sariyya": "company",
    "liwa": "brigade", "liwa'": "brigade", "liwa’": "brigade", "liwaa": "brigade",
    "firqat": "division", "firqa": "division", "jaysh": "army", "jaish": "army",
    "jeish": "army", "jaych": "army", "jeich": "army", "djeich": "army", "djaych": "army",
    "jabhat": "front", "jabhet": "front", "jebhat": "front", "harakat": "movement",
    "harakah": "movement", "haraka": "movement", "diwan": "office", "dewan": "office",
    "diouane": "office", "faylaq": "corps", "failaq": "corps",
}  # fmt: skip
# English and French unit words. After the name (English): "the al-Nur battalion"; "front"
# and "movement" only capitalised ("the Raqqa front" is a front line, not a group).
_UNIT_GLOSS_ENGLISH = {
    "battalion": "battalion", "brigade": "brigade", "division": "division", "army": "army",
    "corps": "corps", "regiment": "regiment", "front": "front", "movement": "movement",
}  # fmt: skip
# Before the name (French): "le bataillon al-Nour", "la brigade Thuwar al-Raqqa". brigade,
# division and front are English words too, so they need a French article before them.
_UNIT_GLOSS_FRENCH = {
    "bataillon": "battalion", "compagnie": "company", "armée": "army", "mouvement": "movement",
    "brigade": "brigade", "division": "division", "front": "front",
}  # fmt: skip
_FRENCH_NEEDS_ARTICLE = {"brigade", "division", "front"}
# Capitalised words that are not (the start of) a unit's name.
_LATIN_UNIT_STOP = frozenset(
    """the a an and or but nor in on at of to from by with for as into onto over under near
    he she it they we i you his her its their our my your this that these those there here
    then when while after before later yesterday today tonight now once so some many most
    all every each both no not one two three four five six seven eight nine ten also even
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    le la les l un une des du de d et ou mais il elle ils elles nous vous je j on en dans sur
    avec pour par ce cet cette ces son sa ses leur leurs puis quand après avant hier
    aujourd janvier février mars avril mai juin juillet août septembre octobre novembre
    décembre lundi mardi mercredi jeudi vendredi samedi dimanche
    battalion battalions brigade brigades division army corps regiment front movement
    bataillon compagnie armée mouvement""".split()
)
_LATIN_CONNECTORS = r"(?:ibn|bin|ben|bint)"
_UNIT_NAME_WORD = rf"(?:{_LART}-[^\W\d_]+(?:['’ʼʿ][^\W\d_]+)*|(?:[Aa]l|[Ee]l)\s+{_LNAME}|{_LNAME})"
_LATIN_NAME_STEP = re.compile(
    rf"\s+(?:{_LATIN_CONNECTORS}\s+)?(?P<w>{_UNIT_NAME_WORD})(?![\w'’ʼ-])"
)
_LATIN_UNIT_ALT = "|".join(sorted(map(re.escape, _UNIT_GLOSS_LATIN), key=len, reverse=True))
_LATIN_UNIT_BEFORE_RE = re.compile(rf"(?<![\w'’ʼ-])(?P<unit>(?i:{_LATIN_UNIT_ALT}))(?=\s)")
_FRENCH_UNIT_RE = re.compile(
    r"(?<![\w'’ʼ-])(?P<det>(?i:la|le|du|au|de\s+la|à\s+la)\s+|(?i:l)['’])?"
    rf"(?P<unit>(?i:{'|'.join(_UNIT_GLOSS_FRENCH)}))(?=\s)"
)
_ENGLISH_UNIT_RE = re.compile(
    rf"(?<![\w'’ʼ-])(?P<name>{_UNIT_NAME_WORD}(?:\s+(?:{_LATIN_CONNECTORS}\s+)?"
    rf"{_UNIT_NAME_WORD}){{0,3}})\s+"
    r"(?P<unit>(?:[Bb]attalion|[Bb]rigade|[Dd]ivision|[Rr]egiment)s?|[Aa]rmy|[Cc]orps|Front|"
    r"Movement)(?![\w'’ʼ-])"
)
_LATIN_WORD_IN_NAME = re.compile(_UNIT_NAME_WORD)
_LATIN_TERM_RE = re.compile(
    r"(?<![\w'’ʼ-])(?P<t>(?:(?:[Aa]l|[Ee]l)-)?(?:Hisba|Hisbah|Hisbeh|HISBA|Amniyat|Amniyyat|"
    r"Amnyat|AMNIYAT|Emni))(?![\w'’ʼ-])"
)
_POSSESSIVE_END = re.compile(r"['’]s$")

# Arabic, on normalised text.
_AR_L = "\u0621-\u064a"
_AR_UNIT_RE = re.compile(
    rf"(?<![{_AR_L}])(?P<pre>[وف]?[بكل]?)"
    rf"(?P<unit>{'|'.join(sorted(_UNIT_GLOSS_ARABIC, key=len, reverse=True))})(?![{_AR_L}])"
)
_AR_NAME_STEP = re.compile(rf"\s+([{_AR_L}]+)")
_AR_ARMY_RE = re.compile(
    rf"(?<![{_AR_L}])[وف]?[بك]?(?P<m>(?:ال|لل)جيش(?:\s+ال(?:"
    + "|".join(sorted(NISBAS_ARABIC, key=len, reverse=True))
    + rf")ه?(?:\s+الحر)?|\s+الحر))(?![{_AR_L}])"
)
_AR_TERM_RE = re.compile(
    rf"(?<![{_AR_L}])[وف]?[بك]?(?P<t>جهاز\s+الحسبه|جهاز\s+الامن\s+العام|الشرطه\s+الاسلاميه|"
    rf"الحسبه|للحسبه)(?![{_AR_L}])"
)
# Words that end a unit's name before it starts (particles, pronouns, a few verbs), normalised.
_AR_UNIT_STOP = _AR_STOP | {
    normalize(w)
    for w in """في من على إلى الى عن مع بعد قبل عند حتى ثم أو او و لا لم لن قد كان كانت كانوا
    هو هي هم هذا هذه ذلك تلك التي الذي الذين اللذين اللتين كل بين تحت فوق خلال ضد منذ لكن كما
    أن إن انه أنه أنها انها أي غير دون مثل عبر نحو حول لدى أمام وراء ضمن بعض جميع كامل كاملة
    تابع تابعة تابعين كبير كبيرة صغير صغيرة واحد واحدة أخرى آخر دخل دخلت خرج خرجت جاء جاءت
    وصل وصلت هاجم هاجمت سيطر سيطرت قصف قصفت اعتقل اعتقلت قتل قتلت أخذ أخذت انسحب انسحبت
    يا الآن هناك هنا""".split()
}  # fmt: skip
# Complements that make a unit word an ordinary noun: traffic (حركة المرور), the battle front
# or forehead (جبهة القتال, جبهة الرأس), confidentiality (سرية التحقيق, سرية الهوية), a guest
# hall or a poetry collection (ديوان العشيرة, ديوان الشعر).
_AR_UNIT_BLOCK: dict[str, frozenset[str]] = {
    gloss: frozenset(normalize(w) for w in words.split())
    for gloss, words in {
        "movement": """المرور مرور السير سير النزوح نزوح الناس السيارات الاليات الآليات
            الطيران الطائرات الأسواق الاسواق التجارة البيع الشراء الدخول الخروج العناصر
            الدوريات القوات الجيش الأسعار الاسعار النقل الشارع المدنيين السكان""",
        "front": """القتال المعركة المعارك الحرب المواجهة المواجهات الرأس الراس الصراع""",
        "company": """التحقيق التحقيقات المعلومات الهوية الشهادة الشهادات الشاهد الشهود
            المصادر المصدر الأسماء الاسماء البيانات العمل المراسلات الاتصالات الملف
            الملفات الوثائق الاجتماع الاجتماعات التنقل المقابلة المقابلات التامة""",
        "office": """العشيرة العشائر العائلة الأسرة البيت الشعر الشاعر المختار الضيوف""",
    }.items()
}  # fmt: skip
# "تحت لواء" (under the banner of), "رفع لواء" (raised the banner of): لواء is a banner.
_AR_BANNER = frozenset(
    normalize(w) for w in "تحت رفع رفعوا يرفع يرفعون رافعين حمل حملوا يحمل يحملون حاملين".split()
)
_AR_PREV_WORD = re.compile(rf"([{_AR_L}]+)\s+$")


def find_units(text: str) -> list[Mention]:
    """ORG mentions of armed units, their offices and the Hisba/Amniyat, any script."""
    out: list[Mention] = []
    for m in _LATIN_UNIT_BEFORE_RE.finditer(text):
        end, words = _latin_name_after(text, m.end())
        if words:
            gloss = _UNIT_GLOSS_LATIN[m.group("unit").lower()]
            out.append(_unit(text, m.start(), end, gloss, m.group("unit"), text[m.end() : end]))
    for m in _FRENCH_UNIT_RE.finditer(text):
        unit = m.group("unit").lower()
        if unit in _FRENCH_NEEDS_ARTICLE and not m.group("det"):
            continue
        end, words = _latin_name_after(text, m.end())
        if words:
            gloss = _UNIT_GLOSS_FRENCH[unit]
            name = text[m.end() : end]
            out.append(_unit(text, m.start("unit"), end, gloss, m.group("unit"), name))
    for m in _ENGLISH_UNIT_RE.finditer(text):
        parts = list(_LATIN_WORD_IN_NAME.finditer(m.group("name")))
        stops = [i for i, w in enumerate(parts) if w.group().lower() in _LATIN_UNIT_STOP]
        parts = parts[stops[-1] + 1 :] if stops else parts
        parts = parts[-3:]
        if not parts or any(_POSSESSIVE_END.search(w.group()) for w in parts):
            continue
        start = m.start("name") + parts[0].start()
        unit = m.group("unit").lower()
        gloss = _UNIT_GLOSS_ENGLISH.get(unit) or _UNIT_GLOSS_ENGLISH.get(unit[:-1], unit)
        name = text[start : m.start("unit")].strip()
        out.append(_unit(text, start, m.end(), gloss, m.group("unit"), name))
    for m in _LATIN_TERM_RE.finditer(text):
        term = m.group("t")
        gloss = "hisba" if "isba" in term.lower() else "amniyat"
        out.append(_unit(text, m.start(), m.end(), gloss, term, term))
    if any("\u0600" <= c <= "\u06ff" for c in text):
        out += _arabic_units(text)
    return out


def _latin_name_after(text: str, pos: int) -> tuple[int, list[str]]:
    """Up to three name words right after `pos`: (end offset, words); stops at a stop word."""
    words: list[str] = []
    end = pos
    while len(words) < 3:
        m = _LATIN_NAME_STEP.match(text, end)
        if m is None or m.group("w").lower() in _LATIN_UNIT_STOP:
            break
        word = m.group("w")
        if _POSSESSIVE_END.search(word):  # "Katibat al-Nur's commander": the name ends here
            words.append(word[:-2])
            end = m.end() - 2
            break
        words.append(word)
        end = m.end()
    return end, words


def _arabic_units(text: str) -> list[Mention]:
    out: list[Mention] = []
    folded, nmap = normalize_with_map(text)
    for m in _AR_UNIT_RE.finditer(folded):
        gloss = _UNIT_GLOSS_ARABIC[m.group("unit")]
        if gloss == "brigade":
            prev = _AR_PREV_WORD.search(folded, max(0, m.start() - 20), m.start())
            word = prev.group(1) if prev else ""
            if word in _AR_BANNER or (word[:1] in "وف" and word[1:] in _AR_BANNER):
                continue
        end = _arabic_name_end(folded, m.end(), _AR_UNIT_BLOCK.get(gloss, frozenset()))
        if end is None:
            continue
        start, stop = original_span(nmap, m.start("unit"), end, len(text))
        name_start = original_span(nmap, m.end("unit"), end, len(text))[0]
        name = text[name_start:stop].strip()
        if gloss == "front" and _is_one_place(name):
            continue  # جبهة الرقة: the Raqqa front line
        unit_word = text[start:name_start].strip()
        out.append(_unit(text, start, stop, gloss, unit_word, name))
    for m in _AR_ARMY_RE.finditer(folded):
        start, stop = original_span(nmap, m.start("m"), m.end("m"), len(text))
        core = m.group("m")
        key = name_key("ال" + core[2:] if core.startswith("لل") else core)
        info = {"unit": "army", "unit_word": text[start:stop].split()[0]}
        out.append(Mention("ORG", text[start:stop], start, stop, key, "rule:unit", info))
    for m in _AR_TERM_RE.finditer(folded):
        start, stop = original_span(nmap, m.start("t"), m.end("t"), len(text))
        term = m.group("t")
        key = name_key("ال" + term[2:] if term.startswith("لل") else term)
        gloss = "hisba" if "حسبه" in term else "security"
        info = {"unit": gloss, "unit_word": text[start:stop]}
        out.append(Mention("ORG", text[start:stop], start, stop, key, "rule:unit", info))
    return out


def _arabic_name_end(folded: str, pos: int, blocked: frozenset[str]) -> int | None:
    """End of the name after a unit word: indefinite words, then one with the article, then
    at most one nisba adjective; three words at most. None when there is no such name."""
    words = 0
    end = pos
    definite_seen = False
    while words < 3:
        m = _AR_NAME_STEP.match(folded, end)
        if m is None:
            break
        word = m.group(1)
        if word in _AR_UNIT_STOP:
            break
        if word in blocked:
            return None
        definite = word.startswith("ال") and len(word) > 3
        if definite_seen and not (definite and word.endswith(("ي", "يه"))):
            break
        words += 1
        end = m.end()
        definite_seen = definite_seen or definite
    return end if definite_seen else None


def _is_one_place(name: str) -> bool:
    from sijill.analysis.gazetteer import Gazetteer

    return any(
        p.label == "PLACE" and p.start == 0 and p.end == len(name)
        for p in Gazetteer.default().find(name)
    )


def _unit(text: str, start: int, end: int, gloss: str, unit_word: str, name: str) -> Mention:
    info: dict[str, Any] = {"unit": gloss, "unit_word": unit_word, "name": name.strip()}
    return Mention("ORG", text[start:end], start, end, name_key(text[start:end]), "rule:unit", info)
