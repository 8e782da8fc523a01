"""Counted quantities in English, French and Arabic text: "about 300 fighters", "une trentaine
de combattants", "عشرين مقاتلاً", "dozens of cars", "15%".

Matching runs on normalised text (`sijill.text.normalise.normalize`: case, diacritics and
Arabic letter forms folded) and maps back to exact offsets, so ``text[q.start:q.end] == q.text``.

What counts as a number: digits (ASCII, Arabic-Indic ٠-٩, Persian ۰-۹) with thousands
separators ("1,500", "1 500", "1.500", "١٬٥٠٠": a separator followed by exactly three digits
groups thousands, otherwise it is a decimal point; `lang` "en" makes "." always decimal, "fr"
makes "," always decimal), number words (one … ninety-nine, hundred, thousand; un …
quatre-vingt-dix-neuf, cent, mille; واحد … تسعون with و compounds, مئة/مائة, مئتان,
ثلاثمئة, ألف/آلاف), approximate words ("a dozen", "une trentaine", "une centaine") and
vague multiples ("dozens of", "des centaines de", "عشرات", "آلاف"), ranges ("200-300",
"between 200 and 300", "deux ou trois"). Arabic dual nouns of the common counted things
("سيارتين", "يومين") are quantities of two.

Left out: dates and years (the spans `sijill.analysis.when.find_dates` finds, and bare
years 1900-2099 that count no known noun: "the 2014 offensive"), times of day (14:30, 3 pm),
ordinals (3rd, 2e, first, الأول), phone-number-like runs (7+ digits with spaces or dashes),
codes ("AK-47", "No. 5", "رقم 5"), and French "un"/"une" alone (an article far more often than
a count).

`Quantity.value` is the number said; for ranges and vague amounts ("hundreds of") it is the
lowest they can mean, and `low`/`high` hold the whole span. `unit` is the counted noun,
mapped through `UNITS` (one table, English keys) or crudely lemmatised when unknown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sijill.analysis.mentions import original_span
from sijill.text.normalise import normalize, normalize_with_map

# The counted things testimonies mention most, by English key; surface forms in any of the
# three languages, singular and plural, as written (they are normalised when loaded).
UNITS: dict[str, tuple[str, ...]] = {
    "fighter": (
        "fighter", "fighters", "combatant", "combatants", "militant", "militants",
        "gunman", "gunmen", "combattant", "combattants", "militants",
        "مقاتل", "مقاتلين", "مقاتلون", "مقاتلا", "مسلح", "مسلحين", "مسلحون", "مسلحا",
        "عنصر", "عناصر", "عنصرا",
    ),
    "soldier": (
        "soldier", "soldiers", "soldat", "soldats", "militaire", "militaires",
        "جندي", "جنود", "جنديا", "عسكري", "عسكريين", "عسكريون",
    ),
    "prisoner": (
        "prisoner", "prisoners", "detainee", "detainees", "inmate", "inmates",
        "détenu", "détenus", "détenue", "détenues", "prisonnier", "prisonniers",
        "prisonnière", "prisonnières", "otage", "otages", "hostage", "hostages",
        "معتقل", "معتقلين", "معتقلون", "معتقلا", "معتقلة", "معتقلات", "سجين", "سجناء",
        "سجينا", "سجينة", "سجينات", "أسير", "أسرى", "أسيرا", "محتجز", "محتجزين",
    ),
    "person": (
        "person", "persons", "people", "individual", "individuals",
        "personne", "personnes", "individu", "individus", "gens",
        "شخص", "أشخاص", "شخصا", "فرد", "أفراد", "فردا", "نفر", "إنسان",
    ),
    "civilian": (
        "civilian", "civilians", "civil", "civils", "مدني", "مدنيين", "مدنيون", "مدنيا",
    ),
    "vehicle": (
        "car", "cars", "vehicle", "vehicles", "pickup", "pickups", "véhicule", "véhicules",
        "voiture", "voitures", "سيارة", "سيارات", "عربة", "عربات", "آلية", "آليات",
    ),
    "truck": ("truck", "trucks", "lorry", "lorries", "camion", "camions", "شاحنة", "شاحنات"),
    "tank": ("tank", "tanks", "char", "chars", "دبابة", "دبابات"),
    "bus": ("bus", "buses", "autobus", "car", "حافلة", "حافلات", "باص", "باصات"),
    "day": ("day", "days", "jour", "jours", "journée", "journées", "يوم", "أيام", "يوما"),
    "week": ("week", "weeks", "semaine", "semaines", "أسبوع", "أسابيع", "أسبوعا"),
    "month": ("month", "months", "mois", "شهر", "أشهر", "شهور", "شهرا"),
    "year": (
        "year", "years", "an", "ans", "année", "années",
        "سنة", "سنوات", "سنين", "عام", "أعوام", "عاما",
    ),
    "hour": ("hour", "hours", "heure", "heures", "ساعة", "ساعات"),
    "minute": ("minute", "minutes", "دقيقة", "دقائق"),
    "km": (
        "km", "kilometre", "kilometres", "kilometer", "kilometers", "kilomètre", "kilomètres",
        "كيلومتر", "كيلومترات", "كيلومترا", "كم",
    ),
    "metre": ("m", "metre", "metres", "meter", "meters", "mètre", "mètres", "متر", "أمتار", "مترا"),
    "kg": ("kg", "kilogram", "kilograms", "kilogramme", "kilogrammes", "كيلوغرام", "كغ"),
    "child": (
        "child", "children", "kid", "kids", "boy", "boys", "girl", "girls",
        "enfant", "enfants", "garçon", "garçons", "fille", "filles",
        "طفل", "أطفال", "طفلا", "طفلة", "ولد", "أولاد",
    ),
    "woman": ("woman", "women", "femme", "femmes", "امرأة", "نساء", "سيدة", "سيدات", "امرأه"),
    "man": (
        "man", "men", "guy", "guys", "homme", "hommes", "رجل", "رجال", "رجلا", "شاب", "شب", "شبان",
        "شباب", "شابا",
    ),
    "member": ("member", "members", "membre", "membres", "عضو", "أعضاء", "عضوا"),
    "brother": (  # in testimonies, often the fighters of one's own side
        "brother", "brothers", "brethren", "frère", "frères", "أخ", "أخا", "إخوة", "إخوان",
        "اخوة", "اخوان",
    ),
    "checkpoint": (
        "checkpoint", "checkpoints", "check-point", "check-points", "barrage", "barrages",
        "حاجز", "حواجز", "حاجزا",
    ),
    "dead": (
        "dead", "killed", "deaths", "fatalities", "martyrs", "died",
        "mort", "morts", "tué", "tués", "tuées", "décès", "martyr",
        "قتيل", "قتلى", "قتيلا", "شهيد", "شهداء", "شهيدا", "ضحية", "ضحايا",
    ),
    "wounded": (
        "wounded", "injured", "blessé", "blessés", "blessées",
        "جريح", "جرحى", "جريحا", "مصاب", "مصابين", "مصابا",
    ),
    "body": ("body", "bodies", "corpse", "corpses", "corps", "cadavre", "cadavres", "جثة", "جثث"),
    "house": (
        "house", "houses", "home", "homes", "maison", "maisons", "منزل", "منازل", "بيت", "بيوت",
    ),
    "building": ("building", "buildings", "bâtiment", "bâtiments", "immeuble", "immeubles",
                 "مبنى", "مباني", "بناء"),
    "family": ("family", "families", "famille", "familles", "عائلة", "عائلات", "أسرة", "أسر"),
    "village": ("village", "villages", "قرية", "قرى"),
    "shell": ("shell", "shells", "obus", "قذيفة", "قذائف"),
    "rocket": ("rocket", "rockets", "missile", "missiles", "roquette", "roquettes",
               "صاروخ", "صواريخ"),
    "guard": ("guard", "guards", "gardien", "gardiens", "حارس", "حراس"),
    "time": ("times", "fois", "مرة", "مرات"),
    "dollar": ("dollar", "dollars", "$", "دولار", "دولارات", "دولارا"),
    "%": ("%", "٪", "percent", "per cent", "pour cent", "pourcent", "بالمئة", "بالمائة",
          "في المئة", "في المائة"),
}  # fmt: skip

# Arabic singulars whose dual ("سيارتين": two cars) alone counts two of them.
_DUAL_SINGULARS = (
    "يوم", "أسبوع", "شهر", "سنة", "عام", "ساعة", "سيارة", "دبابة", "حافلة", "شاحنة", "رجل",
    "طفل", "جندي", "حاجز", "بيت", "منزل", "قذيفة", "صاروخ", "مرة", "عائلة", "قرية", "شخص",
    "سجين", "أسير", "قتيل", "جثة", "كيلومتر", "مبنى",
)  # fmt: skip

_STOPWORDS = frozenset(
    normalize(w)
    for w in (
        # en
        "of", "the", "a", "an", "and", "or", "to", "in", "at", "on", "from", "by", "with",
        "for", "were", "was", "are", "is", "be", "been", "had", "have", "has", "more", "less",
        "them", "they", "he", "she", "it", "we", "i", "you", "who", "which", "that", "but",
        "as", "than", "out", "other", "others", "these", "those", "this", "his", "her",
        "their", "our", "my", "your", "after", "before", "into", "per", "each", "later", "ago",
        "earlier", "among", "all", "still", "not", "also", "only", "would", "could", "will",
        "did", "do", "then", "there", "here", "when", "while", "about", "over", "under",
        # fr
        "de", "des", "du", "le", "la", "les", "et", "ou", "a", "au", "aux", "en", "dans",
        "sur", "par", "pour", "avec", "sont", "ont", "etaient", "avaient", "etait", "plus",
        "moins", "ils", "elles", "il", "elle", "nous", "qui", "que", "dont", "mais", "sans",
        "entre", "apres", "avant", "autres", "ces", "ce", "leurs", "leur", "tard", "encore",
        # ar
        "من", "في", "على", "إلى", "الى", "عن", "و", "أو", "او", "ثم", "قد", "كان", "كانوا",
        "كانت", "هم", "هو", "هي", "التي", "الذي", "الذين", "مع", "بعد", "قبل", "منهم",
        "منذ", "حتى", "كل", "أكثر", "أقل", "تقريبا", "على", "لم", "لا", "ما", "آخرين",
    )
)  # fmt: skip

# Word numbers: class and value. Classes: u unit (1-9), t ten or teen, x tens, h hundred
# (multiplies what precedes), H a fixed hundreds word (Arabic مئتان, ثلاثمئة), m thousand or
# million (multiplies), M fixed (ألفان), P Arabic plural multiplier (ثلاثة آلاف), d dozen,
# a the English article before hundred/thousand/dozen, u11 Arabic one/two before عشر only.
_WORDS: dict[str, tuple[str, int]] = {}


def _add(cls: str, value: int, *words: str) -> None:
    for w in words:
        _WORDS[normalize(w)] = (cls, value)


for _v, _w in enumerate(
    "one two three four five six seven eight nine".split(), start=1
):  # fmt: skip
    _add("u", _v, _w)
for _v, _w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(),
    start=10,
):
    _add("t", _v, _w)
for _v, _w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2
):  # fmt: skip
    _add("x", _v * 10, _w)
_add("h", 100, "hundred")
_add("m", 1000, "thousand")
_add("m", 10**6, "million")
_add("m", 10**9, "billion")
_add("d", 12, "dozen")
_add("a", 1, "a")
for _v, _w in enumerate("un deux trois quatre cinq six sept huit neuf".split(), start=1):
    _add("u", _v, _w)
_add("u", 1, "une")
for _v, _w in enumerate("dix onze douze treize quatorze quinze seize".split(), start=10):
    _add("t", _v, _w)
for _v, _w in ((20, "vingt"), (20, "vingts"), (30, "trente"), (40, "quarante"),
               (50, "cinquante"), (60, "soixante")):  # fmt: skip
    _add("x", _v, _w)
_add("h", 100, "cent", "cents")
_add("m", 1000, "mille")
_add("m", 10**6, "millions")
_add("m", 10**9, "milliard", "milliards")
_AR_UNITS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("واحد", "واحدة")),
    (2, ("اثنان", "اثنين", "اثنتان", "اثنتين", "اتنين", "تنين")),
    (3, ("ثلاث", "ثلاثة", "تلات", "تلاتة")),
    (4, ("أربع", "أربعة")),
    (5, ("خمس", "خمسة")),
    (6, ("ست", "ستة")),
    (7, ("سبع", "سبعة")),
    (8, ("ثمان", "ثماني", "ثمانية", "تمان", "تمانية")),
    (9, ("تسع", "تسعة")),
)
for _v, _ws in _AR_UNITS:
    _add("u", _v, *_ws)
_add("u11", 1, "أحد", "إحدى")
_add("u11", 2, "اثنا", "اثني", "اثنتا", "اثنتي")
_add("t", 10, "عشر", "عشرة")
_AR_TENS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (20, ("عشرون", "عشرين")),
    (30, ("ثلاثون", "ثلاثين", "تلاتين")),
    (40, ("أربعون", "أربعين")),
    (50, ("خمسون", "خمسين")),
    (60, ("ستون", "ستين")),
    (70, ("سبعون", "سبعين")),
    (80, ("ثمانون", "ثمانين", "تمانين")),
    (90, ("تسعون", "تسعين")),
)
for _v, _ws in _AR_TENS:
    _add("x", _v, *_ws)
_add("h", 100, "مئة", "مائة", "مية")
_add("H", 200, "مئتان", "مئتين", "مائتان", "مائتين", "ميتين")
for _v, _stem in enumerate(("ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع"), start=3):
    _add("H", _v * 100, _stem + "مئة", _stem + "مائة")
_add("m", 1000, "ألف", "ألفا")
_add("m", 10**6, "مليون", "مليونا")
_add("M", 2000, "ألفان", "ألفين")
_add("M", 2 * 10**6, "مليونان", "مليونين")
_add("P", 1000, "آلاف")
_add("P", 10**6, "ملايين")

_AR_TEN = frozenset({normalize("عشر"), normalize("عشرة")})
_CONNECTORS = frozenset({"and", "et", "و"})
_A_TARGETS = frozenset({"hundred", "thousand", "million", "billion", "dozen"})
_WORD_ALT = "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True))
# One number word (not the start of a longer word).
NUMBER_WORD = rf"(?:{_WORD_ALT})(?![^\W\d_])"
# A run of number words as one number may be written: "two hundred and fifty",
# "quatre-vingt-dix-neuf", "خمسة وعشرون". `parse_number` says whether the run is one number.
# At most eight words ("three hundred and seventy-five thousand …" is longer than testimonies
# write), which also keeps a run of "a a a …" from making the search quadratic.
NUMBER_PHRASE = (
    rf"{NUMBER_WORD}"
    rf"(?:(?:\s+|\s*-\s*)(?:(?:and|et)\s+)?{NUMBER_WORD}|\s+و\s*{NUMBER_WORD}){{0,7}}"
)
_TOKEN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    text: str
    value: float
    approx: bool
    unit: str
    # The span the expression allows, where it is not the plain value: ranges ("200-300"),
    # vague amounts ("dozens": 24-99), bounds ("more than 300": 300-450).
    low: float | None = None
    high: float | None = None

    def bounds(self) -> tuple[float, float]:
        """The values this quantity allows: approximate ones ±25%."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
        if self.approx:
            return self.value * 0.75, self.value * 1.25
        return self.value, self.value


def agree(a: Quantity, b: Quantity) -> str:
    """Whether two quantities can be the same amount of the same thing.

    "same" when their spans overlap, "different" when they cannot, "unknown" when they count
    different things (or one names no thing and the other does)."""
    if a.unit != b.unit:
        return "unknown"
    alo, ahi = a.bounds()
    blo, bhi = b.bounds()
    eps = 1e-9 * max(1.0, abs(ahi), abs(bhi))
    return "same" if alo <= bhi + eps and blo <= ahi + eps else "different"


# --- word numbers -------------------------------------------------------------------------


def _tokens(s: str) -> list[str]:
    """Folded words of a number phrase, with a leading Arabic و split off as a connector."""
    out: list[str] = []
    for tok in _TOKEN.findall(s):
        if tok.startswith("و") and tok not in _WORDS and tok[1:] in _WORDS:
            out += ["و", tok[1:]]
        else:
            out.append(tok)
    return out


def _parse_tokens(tokens: list[str]) -> tuple[int, int]:
    """(value, tokens used) of the longest prefix that is one number; (0, 0) when none."""
    total = hundreds = small = 0
    last_mult = math.inf
    best = (0, 0)
    prev = ""  # the previous number word
    after_conn = False
    pending = False  # a state that cannot end a number ("a", "un" alone, أحد before عشر)
    closed = False  # nothing may follow ("a dozen")
    n = 0
    for i, tok in enumerate(tokens):
        if tok in _CONNECTORS:
            if n == 0 or after_conn or pending:
                break
            after_conn = True
            continue
        entry = _WORDS.get(tok)
        if entry is None or closed:
            break
        cls, v = entry
        cur = hundreds + small
        ok = True
        if cls == "a":
            if n:
                break
            pending = True
        elif cls in ("u", "u11"):
            if pending and prev == "a":
                break
            if small == 0 and not (after_conn and hundreds == 0 and total == 0):
                small = v
                # French "un"/"une" alone is an article; Arabic أحد is "someone" unless عشر.
                pending = cls == "u11" or (tok in ("un", "une") and n == 0)
            elif 20 <= small < 100 and small % 10 == 0 and cls == "u":
                small += v
                pending = False
            elif small == 10 and prev == "dix" and cls == "u":
                small += v
            else:
                ok = False
        elif cls == "t":
            if tok in _AR_TEN and 1 <= small <= 9 and not after_conn and hundreds % 100 == 0:
                small += 10
                pending = False
            elif small == 0 and not pending:
                small = v
            elif small in (60, 80) and prev in ("soixante", "vingt", "vingts"):
                small += v
            else:
                ok = False
        elif cls == "x":
            if small == 0 and not pending:
                small = v
            elif v == 20 and small == 4 and prev == "quatre":
                small = 80
            elif 1 <= small <= 9 and after_conn and prev not in ("and", "et"):
                small += v  # Arabic: five and twenty
            else:
                ok = False
        elif cls == "h":
            if hundreds == 0 and 1 <= small <= 19 and not pending:
                hundreds, small = small * 100, 0
            elif hundreds == 0 and small == 0:
                hundreds = 100
                pending = False
            else:
                ok = False
        elif cls == "H":
            if hundreds == 0 and small == 0 and not pending:
                hundreds = v
            else:
                ok = False
        elif cls in ("m", "P"):
            if v >= last_mult or (pending and prev != "a" and prev not in ("un", "une")):
                ok = False
            elif cls == "P" and not 3 <= cur <= 10:
                ok = False
            else:
                total += max(cur, 1) * v
                hundreds = small = 0
                last_mult = v
                pending = False
        elif cls == "M":
            if cur or pending or v >= last_mult:
                ok = False
            else:
                total += v
                last_mult = v // 2
        elif cls == "d":
            if pending and prev == "a":
                small = 12
            elif 1 <= small <= 9 and hundreds == 0 and not pending:
                small *= 12
            else:
                ok = False
            pending = False
            closed = True
        if not ok:
            break
        if prev == "a" and tok not in _A_TARGETS and cls != "a":
            break
        n += 1
        prev = tok
        after_conn = False
        if not pending:
            best = (total + hundreds + small, i + 1)
    return best


def parse_number(s: str) -> float | None:
    """The value of a whole number phrase (folded or not): "two hundred and fifty" → 250,
    "quatre-vingt-dix-neuf" → 99, "خمسة وعشرون" → 25, "1,500" → 1500; None if it is not one."""
    s = s.strip()
    digits = _digits_value(s, None)
    if digits is not None:
        return digits
    tokens = _tokens(normalize(s))
    value, used = _parse_tokens(tokens)
    if used == 0 or used != len(tokens):
        return None
    return float(value)


# --- digits -------------------------------------------------------------------------------

_DIGITS = re.compile(
    r"(?:(?<![^\W_])|(?<=(?<![^\W\d_])[وب]))(?<![\d][.,])"
    r"(?P<num>\d{1,3}(?P<sep>[,. ٬'])\d{3}(?:(?P=sep)\d{3})*(?:[.,٫]\d+)?|\d+(?:[.,٫]\d+)?)"
    r"(?P<att>[^\W\d_]+)?(?![\d])"
)
_PHONE = re.compile(r"(?<![\d\w])\+?\d[\d \-]{5,}\d(?![\d])")
_THOUSANDS_SPACED = re.compile(r"[1-9]\d{0,2}(?: \d{3})+")
_TIME = re.compile(r"(?<!\d)\d{1,2}\s*[:h]\s*\d{2}(?!\d)")
_DIGIT_MULT = {
    normalize(w): v
    for w, v in (
        ("thousand", 1000), ("million", 10**6), ("millions", 10**6), ("billion", 10**9),
        ("mille", 1000), ("milliard", 10**9), ("milliards", 10**9), ("ألف", 1000),
        ("آلاف", 1000), ("ألفا", 1000), ("مليون", 10**6), ("ملايين", 10**6),
    )
}  # fmt: skip
_DIGIT_MULT_RE = re.compile(r"\s+(" + "|".join(map(re.escape, _DIGIT_MULT)) + r")(?![^\W\d_])")


def _digits_value(s: str, lang: str | None) -> float | None:
    m = re.fullmatch(
        r"(\d{1,3})([,. ٬'])(\d{3}(?:\2\d{3})*)([.,٫]\d+)?|(\d+)([.,٫](\d+))?", s.strip()
    )
    if m is None:
        return None
    if m.group(1):
        sep = m.group(2)
        if (lang == "en" and sep == ".") or (lang == "fr" and sep == ","):
            if m.group(4) or sep in m.group(3):
                return None  # "1.500.000" in English: not a number we can read
            return float(f"{int(m.group(1))}.{int(m.group(3))}".rstrip("0").rstrip("."))
        whole = int(m.group(1) + m.group(3).replace(sep, ""))
        frac = m.group(4)
        return float(f"{whole}.{int(frac[1:])}") if frac else float(whole)
    whole_s, frac_s = m.group(5), m.group(7)
    if frac_s is None:
        return float(int(whole_s))
    sep = m.group(6)[0]
    if (
        len(frac_s) == 3
        and sep in ".,"
        and not ((lang == "en" and sep == ".") or (lang == "fr" and sep == ","))
    ):
        return float(int(whole_s + frac_s))  # "1.500" / "1,500": thousands
    return float(f"{int(whole_s)}.{int(frac_s)}")


# --- approximations -----------------------------------------------------------------------


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """A regex group of the normalised words, longest first."""
    forms = sorted({normalize(w) for w in words}, key=len, reverse=True)
    alts = "|".join(re.escape(f).replace(r"\ ", r"\s+").replace("'", "['’]") for f in forms)
    return f"(?:{alts})"


_APPROX_BEFORE = (
    "about", "around", "approximately", "roughly", "nearly", "almost", "some", "circa",
    "ca.", "close to", "an estimated", "estimated", "in the region of",
    "environ", "à peu près", "près de", "presque", "quasiment", "approximativement",
    "autour de", "dans les", "quelque", "aux alentours de", "grosso modo",
    "حوالي", "حوالى", "نحو", "قرابة", "زهاء", "ما يقارب", "ما يقرب من", "ما يناهز", "يناهز",
    "تقريبا", "تقريباً",
)  # fmt: skip
_LOWER_BEFORE = (
    "more than", "over", "at least", "no fewer than", "no less than", "upwards of",
    "plus de", "plus d'", "au moins", "pas moins de", "أكثر من", "ما يزيد عن", "ما يزيد على",
    "ما لا يقل عن", "لا يقل عن", "أزيد من", "ما يربو على", "يزيد عن",
)  # fmt: skip
_UPPER_BEFORE = (
    "less than", "fewer than", "under", "up to", "at most", "no more than",
    "moins de", "moins d'", "jusqu'à", "au plus", "pas plus de", "أقل من", "ما لا يزيد عن",
    "لا يزيد عن",
)  # fmt: skip
_BEFORE = re.compile(
    rf"(?<![^\W\d_])(?:(?P<lower>{_alt(_LOWER_BEFORE)})|(?P<upper>{_alt(_UPPER_BEFORE)})"
    rf"|(?P<approx>{_alt(_APPROX_BEFORE)}))\s*$"
)
_APPROX_AFTER = ("or so", "odd", "environ", "approximately", "تقريبا", "أو نحو ذلك")
_LOWER_AFTER = ("or more", "at least", "ou plus", "au moins", "au minimum", "أو أكثر", "على الأقل")
_AFTER = re.compile(
    rf"\s*-?\s*(?:(?P<approx>{_alt(_APPROX_AFTER)})|(?P<lower>{_alt(_LOWER_AFTER)}))"
    r"(?![^\W\d_])"
)
_LOWER_FACTOR = 1.5  # "more than 300": 300 to 450
_UPPER_FACTOR = 0.5  # "fewer than 300": 150 to 300

# Vague amounts: (low, high) they allow.
_VAGUE: list[tuple[tuple[str, ...], float, float]] = [
    (("tens of thousands", "des dizaines de milliers", "plusieurs dizaines de milliers",
      "عشرات الآلاف", "عشرات آلاف", "عشرات الألوف"), 20_000, 99_999),
    (("hundreds of thousands", "des centaines de milliers", "plusieurs centaines de milliers",
      "مئات الآلاف", "مئات آلاف", "مئات الألوف"), 200_000, 999_999),
    (("dozens", "dozens and dozens"), 24, 99),
    (("scores",), 40, 99),
    (("tens", "des dizaines", "plusieurs dizaines", "quelques dizaines", "عشرات",
      "العشرات"), 20, 99),
    (("hundreds", "des centaines", "plusieurs centaines", "quelques centaines", "مئات",
      "المئات", "مئات من"), 200, 999),
    (("thousands", "des milliers", "plusieurs milliers", "quelques milliers", "آلاف",
      "الآلاف", "ألوف", "الألوف"), 2000, 9999),
    (("millions", "des millions", "ملايين"), 2_000_000, 999_999_999),
]  # fmt: skip
_VAGUE_RANGE: dict[str, tuple[float, float]] = {}
for _forms, _lo, _hi in _VAGUE:
    for _f in _forms:
        _VAGUE_RANGE[re.sub(r"\s+", " ", normalize(_f))] = (float(_lo), float(_hi))
_VAGUE_RE = re.compile(
    rf"(?<![^\W\d_])(?P<v>{_alt(list(_VAGUE_RANGE))})(?![^\W\d_])"
    r"(?P<of>\s+(?:of|de)(?![^\W\d_])|\s+d['’])?"
)
_VAGUE_NEEDS_OF = frozenset({"tens", "scores"})  # "the scores were…" counts nothing
_AINE = {
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30,
    "quarantaine": 40, "cinquantaine": 50, "soixantaine": 60, "centaine": 100, "millier": 1000,
}  # fmt: skip
_AINE_RE = re.compile(
    r"(?<![^\W\d_])(?:une|un|la|le|d['’]une|d['’]un)\s+(?:(?:petite|bonne|petit|bon)\s+)?"
    rf"(?P<aine>{'|'.join(_AINE)})(?![^\W\d_])(?:\s+de(?![^\W\d_])|\s+d['’])?"
)
# Between two numbers of a range: "200-300", "two or three", "200 à 300", "ثلاثة أو أربعة".
_RANGE_JOIN = re.compile(rf"\s*(?:-|–|—|{_alt(('to', 'à', 'ou', 'or', 'أو', 'إلى', 'حتى'))})\s*")
# "and" joins a range only after "between": "between 200 and 300", "بين 200 و300".
_RANGE_AND = re.compile(rf"\s*(?:{_alt(('and', 'et', 'و'))})\s*")
_RANGE_BEFORE = re.compile(
    rf"(?<![^\W\d_])(?:{_alt(('between', 'from', 'entre', 'de', 'بين', 'ما بين', 'من'))})\s+$"
)
_BETWEEN = frozenset(normalize(w) for w in ("between", "entre", "بين", "ما بين"))
_CODE_BEFORE = re.compile(
    r"(?:(?<![^\W\d_])(?:no|nr|n°|num|number|numero|page|p|art|article|resolution|chapter|"
    r"chapitre|rue|street|road|route|room|cell|cellule|block|"
    + _alt(("رقم", "الرقم", "المادة", "صفحة", "القرار", "قرار", "الطريق", "الزنزانة"))
    + r")\.?\s*|[#№])$"
)
_ONE_AFTER_WORD = re.compile(
    r"(?<![^\W\d_])(?:the|this|that|each|every|any|no|which|another|only|last|next|"
    + _alt(("كل", "أي", "هذا", "ذلك"))
    + r")\s+$"
)
_TIME_AFTER = re.compile(r"\s*(?:am|pm|a\.m\.|p\.m\.|o['’]clock)(?![^\W\d_])")
_TIME_BEFORE = re.compile(_alt(("الساعة",)) + r"\s*$")


# --- units --------------------------------------------------------------------------------

_UNIT_OF: dict[str, str] = {}
for _key, _forms in UNITS.items():
    for _f in _forms:
        _UNIT_OF.setdefault(normalize(_f), _key)
_DUALS: dict[str, str] = {}
for _s in _DUAL_SINGULARS:
    _n = normalize(_s)
    _stem = _n[:-1] + "ت" if _n.endswith("ه") else _n  # سيارة → سيارتين, يوم → يومين
    for _suffix in ("ين", "ان"):
        _DUALS[_stem + _suffix] = _UNIT_OF[_n]
_MULTIWORD_UNITS = [
    (re.compile(re.escape(f).replace(r"\ ", r"\s+") + r"(?![^\W\d_])"), _UNIT_OF[f])
    for f in sorted((f for f in _UNIT_OF if " " in f), key=len, reverse=True)
]
_WORD_AT = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?|[%٪$]")
_OF = re.compile(
    r"\s*(?:(?:of|among)\s+(?:the\s+|these\s+|those\s+|our\s+|their\s+|his\s+|her\s+|my\s+)?"
    r"|de\s+(?:ces\s+|les\s+|nos\s+|leurs\s+|mes\s+|ses\s+)?|d['’]|des\s+"
    r"|du\s+|parmi\s+(?:les\s+)?|من\s+)"
)
_SPACE = re.compile(r"\s*-?\s*")


def _lookup(word: str) -> str | None:
    key = _UNIT_OF.get(word)
    if key is not None:
        return key
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
        key = _UNIT_OF.get(word)
        if key is not None:
            return key
    if word.endswith("ا") and len(word) > 3:  # tanween: مقاتلاً
        return _UNIT_OF.get(word[:-1])
    return None


def _lemma(word: str) -> str:
    """A crude key for a counted noun the table does not know ("" for verbs and adverbs)."""
    if re.fullmatch(r"[a-z\u00c0-\u024f-]+", word):
        if word.endswith(("ed", "ing", "ly")) and len(word) > 4:
            return ""
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith(("s", "x")) and len(word) > 3 and not word.endswith("ss"):
            return word[:-1]
        return word
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    if word.endswith("ا") and len(word) > 3:
        word = word[:-1]
    return word


def _unit_after(folded: str, pos: int) -> tuple[str, int]:
    """The counted noun right after a number ending at `pos`: (key, end) or ("", pos)."""
    m = _SPACE.match(folded, pos)
    at = m.end() if m else pos
    for rx, multi in _MULTIWORD_UNITS:
        mm = rx.match(folded, at)
        if mm:
            return multi, mm.end()
    of = _OF.match(folded, at)
    for start in [at] if of is None else [of.end(), at]:
        w1 = _WORD_AT.match(folded, start)
        if w1 is None:
            continue
        word = w1.group()
        key = _lookup(word)
        if key is not None:
            return key, w1.end()
        if word in _STOPWORDS or word in _WORDS:
            continue
        # One adjective before a noun we know: "armed men", "مسلحين"…
        sp = _SPACE.match(folded, w1.end())
        w2 = _WORD_AT.match(folded, sp.end() if sp else w1.end())
        key2 = _lookup(w2.group()) if w2 is not None else None
        if w2 is not None and key2 is not None:
            return key2, w2.end()
        lemma = _lemma(word)
        if lemma:
            return lemma, w1.end()
        break
    return "", pos


def counted_noun(folded: str, pos: int) -> str | None:
    """The `UNITS` key of the noun right after `pos` in folded text, if it is one we know."""
    m = _SPACE.match(folded, pos)
    w = _WORD_AT.match(folded, m.end() if m else pos)
    return _lookup(w.group()) if w else None


# --- finding ------------------------------------------------------------------------------


@dataclass
class _Cand:
    ns: int  # folded span of the whole expression
    ne: int
    num_s: int  # folded span of the number itself (checked against dates, codes, phones)
    num_e: int
    value: float
    approx: bool
    unit: str = ""
    low: float | None = None
    high: float | None = None
    year_like: bool = False


_MAX_RUN = 12  # words looked at for one number written in words


def _word_numbers(folded: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each number written in words, folded offsets."""
    toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(folded)]
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(toks):
        s, e, w = toks[i]
        lead = 0
        if w not in _WORDS and len(w) > 1 and w[0] in "وبف" and w[1:] in _WORDS:
            lead = 1  # a proclitic: وثلاثة, بخمسة
        if w not in _WORDS and not lead:
            i += 1
            continue
        words, ends = [w[lead:]], [e]
        j = i + 1
        while (
            j < len(toks)
            and j - i < _MAX_RUN
            and re.fullmatch(r"\s*-?\s*", folded[toks[j - 1][1] : toks[j][0]])
        ):
            words.append(toks[j][2])
            ends.append(toks[j][1])
            j += 1
        split: list[str] = []
        split_ends: list[int] = []
        for word, end in zip(words, ends, strict=True):
            parts = _tokens(word)
            split += parts
            split_ends += [end] * len(parts)
        value, used = _parse_tokens(split)
        if used:
            end_at = split_ends[used - 1]
            out.append((s + lead, end_at, value))
            while i < len(toks) and toks[i][1] <= end_at:
                i += 1
        else:
            i += 1
    return out


def _candidates(folded: str, lang: str | None) -> list[_Cand]:
    cands: list[_Cand] = []
    for m in _DIGITS.finditer(folded):
        num = m.group("num")
        value = _digits_value(num, lang)
        if value is None:
            continue
        s, e = m.start("num"), m.end("num")
        att = m.group("att")
        unit, end = "", e
        if att:
            key = _lookup(att)
            if key is None:
                continue  # "3rd", "2e", "3G", "5x", "3pm": an ordinal or a code, not a count
            unit, end = key, m.end("att")
        if re.search(r"[^\W\d_]-$", folded[max(0, s - 2) : s]):
            continue  # "AK-47", "T-72"
        if _CODE_BEFORE.search(folded[max(0, s - 16) : s]):
            continue
        if _TIME_AFTER.match(folded, e) or _TIME_BEFORE.search(folded[max(0, s - 12) : s]):
            continue
        if not att:
            mm = _DIGIT_MULT_RE.match(folded, e)
            if mm:
                value *= _DIGIT_MULT[mm.group(1)]
                end = e = mm.end()
        year_like = re.fullmatch(r"\d{4}", num) is not None and 1900 <= value <= 2099
        cands.append(_Cand(s, end, s, e, value, False, unit, year_like=year_like))
    for s, e, v in _word_numbers(folded):
        if v == 1 and _ONE_AFTER_WORD.search(folded[max(0, s - 12) : s]):
            continue  # "no one", "the one", "كل واحد"
        cands.append(_Cand(s, e, s, e, float(v), "dozen" in folded[s:e]))
    for m in _VAGUE_RE.finditer(folded):
        key = re.sub(r"\s+", " ", m.group("v"))
        if key in _VAGUE_NEEDS_OF and not m.group("of"):
            continue
        lo, hi = _VAGUE_RANGE[key]
        cands.append(_Cand(m.start(), m.end(), m.start(), m.end("v"), float(lo), True, "", lo, hi))
    for m in _AINE_RE.finditer(folded):
        about = float(_AINE[m.group("aine")])
        cands.append(_Cand(m.start(), m.end(), m.start(), m.end("aine"), about, True))
    for m in _TOKEN.finditer(folded):
        w = m.group()
        key = _DUALS.get(w) or (_DUALS.get(w[2:]) if w.startswith("ال") else None)
        if key:
            cands.append(_Cand(m.start(), m.end(), m.start(), m.end(), 2.0, False, key))
    return cands


def _surroundings(folded: str, c: _Cand) -> None:
    """Extend a candidate over its unit, and over words that make it approximate or a bound."""
    if not c.unit:
        pos = c.ne
        am = _AFTER.match(folded, pos)
        if am is not None and am.group("approx"):
            c.approx = True  # "thirty-odd fighters", "300 environ"
            pos = am.end()
        c.unit, end = _unit_after(folded, pos)
        c.ne = end if c.unit else pos
    head = folded[max(0, c.ns - 30) : c.ns]
    bm = _BEFORE.search(head)
    if bm:
        c.ns -= len(head) - bm.start()
        if bm.group("lower"):
            c.approx, c.low, c.high = True, c.value, c.value * _LOWER_FACTOR
        elif bm.group("upper"):
            c.approx, c.low, c.high = True, c.value * _UPPER_FACTOR, c.value
        else:
            c.approx = True
    am = _AFTER.match(folded, c.ne)
    if am is not None:
        c.ne = am.end()
        c.approx = True
        if am.group("lower") and c.low is None:
            c.low, c.high = c.value, c.value * _LOWER_FACTOR
    # Arabic one and two follow their noun: "رجل واحد", "سيارتين اثنتين".
    word = folded[c.num_s : c.num_e]
    if not c.unit and c.value in (1.0, 2.0) and word.startswith(("واحد", "اثن", "اتن")):
        pm = re.search(r"([^\W\d_]+)\s+$", folded[max(0, c.ns - 40) : c.ns])
        if pm:
            noun, lead = pm.group(1), 0
            key = _DUALS.get(noun) or _lookup(noun)
            if key is None and len(noun) > 3 and noun[0] in "وفب":
                lead = 1  # ودبابة واحدة
                key = _DUALS.get(noun[1:]) or _lookup(noun[1:])
            if key:
                c.unit = key
                c.ns -= len(pm.group(0)) - lead


def _ranges(folded: str, cands: list[_Cand]) -> list[_Cand]:
    """Join "200-300", "between 200 and 300", "deux ou trois" into one candidate each."""
    cands.sort(key=lambda c: (c.ns, -c.ne))
    out: list[_Cand] = []
    for c in cands:
        p = out[-1] if out else None
        if (
            p is not None
            and p.ne == p.num_e
            and p.num_e <= c.num_s
            and p.low is None
            and c.low is None
            and p.value < c.value
        ):
            gap = folded[p.num_e : c.num_s]
            before = _RANGE_BEFORE.search(folded[max(0, p.ns - 12) : p.ns])
            joined = _RANGE_JOIN.fullmatch(gap) is not None or (
                _RANGE_AND.fullmatch(gap) is not None
                and before is not None
                and re.sub(r"\s+", " ", before.group().strip()) in _BETWEEN
            )
            if joined:
                ns = p.ns - (min(p.ns, 12) - before.start()) if before else p.ns
                out[-1] = _Cand(ns, c.ne, p.num_s, c.num_e, p.value, True, c.unit, p.value, c.value)
                continue
        out.append(c)
    return out


def find_quantities(
    text: str, lang: str | None, date_spans: list[tuple[int, int]]
) -> list[Quantity]:
    """Every counted quantity in `text`, in order, with exact offsets into `text`.

    `date_spans` are the dates found in `text` (`when.find_dates`), which are not quantities
    (`quantities.quantities` finds both; `when` reads this module's number words, so this
    module does not read `when`)."""
    if not text:
        return []
    lang = (lang or "").split("-")[0].lower() or None
    folded, nmap = normalize_with_map(text)
    blocked = [m.span() for m in _TIME.finditer(folded)]
    for m in _PHONE.finditer(folded):
        run = m.group()
        if sum(ch.isdigit() for ch in run) < 7 or _THOUSANDS_SPACED.fullmatch(run):
            continue
        if run.startswith(("+", "0")) or "-" in run or len(run.split()) >= 3:
            blocked.append(m.span())

    cands = _candidates(folded, lang)
    for c in cands:
        _surroundings(folded, c)
    cands = _ranges(folded, cands)

    # The longest of overlapping candidates; no dates, times, phones or bare years.
    cands.sort(key=lambda c: (-(c.ne - c.ns), c.ns))
    chosen: list[_Cand] = []
    for c in cands:
        if any(c.ns < o.ne and o.ns < c.ne for o in chosen):
            continue
        if any(c.num_s < b_e and b_s < c.num_e for b_s, b_e in blocked):
            continue
        os_, oe = original_span(nmap, c.num_s, c.num_e, len(text))
        if any(os_ < de and ds < oe for ds, de in date_spans):
            continue
        if c.year_like and c.low is None and not c.approx and c.unit not in UNITS:
            continue  # "the 2014 offensive": a year, not a count
        chosen.append(c)
    chosen.sort(key=lambda c: c.ns)
    out: list[Quantity] = []
    for c in chosen:
        start, end = original_span(nmap, c.ns, c.ne, len(text))
        out.append(Quantity(start, end, text[start:end], c.value, c.approx, c.unit, c.low, c.high))
    return out
