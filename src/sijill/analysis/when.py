"""Dates in testimonies, absolute and relative, in English, French and Arabic, as intervals.

Every expression becomes a `DateValue`: its exact span in the text (``text[start:end] ==
value.text``, harakat and tatweel included), the interval of days it denotes (inclusive), how
precise it is and, in plain English, what it was worked out from.

Absolute: all `sijill.analysis.entity_dates` finds (day, month and year in the three
languages, Levantine and Egyptian month names, ISO, day/month/year, Hijri months) plus
"July 5, 2014", 2014/07/05, 5/7/14, 07/2014, 2014-07, Hijri years ("1435 هـ"), seasons
("summer 2015", "l'été 2015", "صيف 2015"), parts of a year or a month ("early 2014",
"fin 2016", "أواخر تموز 2014"), decades ("the 1990s", "les années 90", "التسعينيات") and
ranges ("between March and May 2015", "de 2013 à 2015", "بين عامي 2013 و2015").

Choices, stated once:
- Numeric dates are read day/month/year (users are in the Middle East and Europe): 5/7/2014
  is 5 July. Only when the second number cannot be a month (7/25/2014) is it month/day/year;
  `lang="en-US"` reads them month/day/year.
- Hijri dates are converted with the tabular Islamic calendar and widened by a day on each
  side (the observed calendar can differ by a day or two).
- Seasons are meteorological, northern hemisphere: spring March-May, summer June-August,
  autumn September-November, winter December of the year before to February ("winter 2015"
  is 2014-12..2015-02).
- Parts: early = the first third (January-April, or days 1-10 of a month), mid = the middle
  third, late/end = the last third.
- A bare four-digit year counts only after a word that makes it a date ("in 2014", "en
  2014", "عام 2014", "في 2014", "(2014)"), between 1950 and 2035, and never when a counted
  noun follows it ("in 2014 fighters…" is a quantity).
- A month or a day without a year ("in July", "on 5 July") takes the year of the last date
  earlier in the text; failing that, the latest such month or day on or before the item's
  date. Both are reported as relative, with that basis.

Relative: to the item's date (`anchor`): "six weeks ago", "il y a six semaines", "قبل ستة
أسابيع", "last year", "l'année dernière", "العام الماضي", "yesterday", "hier", "أمس", "this
year"…; to the last resolved date earlier in the text (`previous`, threaded through the text
left to right): "the following month", "le mois suivant", "الشهر الذي تلاه", "two days
later", "بعد يومين", "the same day", "في اليوم نفسه", "that summer"… Counts are digits or
words in each language, Arabic duals included ("أسبوعين", "شهرين", "سنتين"). Without the
date to count from, the expression is still returned, unresolved: no date is ever invented.
Expressions counted from some other event ("two days after the attack", "قبل يومين من
الهجوم") are not resolved against the wrong date: they are left out.
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from sijill.analysis import entity_dates
from sijill.analysis.entity_dates import _MONTHS
from sijill.analysis.mentions import original_span
from sijill.analysis.numbers import NUMBER_PHRASE, UNITS, counted_noun, parse_number
from sijill.text.normalise import normalize, normalize_with_map

Date = datetime.date
NO_BASE = "no date to count from"
_MONTH_NAMES = [""] + [calendar.month_name[i] for i in range(1, 13)]
_HIJRI_NAMES = [
    "", "Muharram", "Safar", "Rabi al-Awwal", "Rabi al-Thani", "Jumada al-Ula",
    "Jumada al-Akhira", "Rajab", "Shaban", "Ramadan", "Shawwal", "Dhu al-Qada", "Dhu al-Hijja",
]  # fmt: skip


@dataclass(frozen=True)
class DateValue:
    start: int  # char offsets in the original text: text[start:end] is the expression
    end: int
    text: str
    earliest: Date | None  # the interval the expression denotes (inclusive)
    latest: Date | None
    precision: str  # "day" | "month" | "year" | "season" | "range" | "unknown"
    kind: str  # "absolute" | "relative"
    basis: str  # what it was worked out from, in plain English
    value: str  # "2014-07", "2015-01-19", "2014", "2014-07..2014-09"; "" if unresolved

    @property
    def resolved(self) -> bool:
        return self.earliest is not None and self.latest is not None


def overlap(a: DateValue, b: DateValue) -> str:
    """Whether two dates can be the same day.

    "same" when the intervals share a day, "different" when they are disjoint, "unknown"
    when either is unresolved."""
    if a.earliest is None or a.latest is None or b.earliest is None or b.latest is None:
        return "unknown"
    return "same" if a.earliest <= b.latest and b.earliest <= a.latest else "different"


def gap_days(a: DateValue, b: DateValue) -> int | None:
    """Days from the end of the earlier interval to the start of the later one (consecutive
    days give 1), 0 when they overlap, None when either is unresolved."""
    if a.earliest is None or a.latest is None or b.earliest is None or b.latest is None:
        return None
    if a.earliest <= b.latest and b.earliest <= a.latest:
        return 0
    if a.latest < b.earliest:
        return (b.earliest - a.latest).days
    return (a.earliest - b.latest).days


# --- calendar arithmetic ------------------------------------------------------------------


def _month_end(y: int, m: int) -> Date:
    return Date(y, m, calendar.monthrange(y, m)[1])


def _shift_month(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def _valid_year(y: int) -> bool:
    return 1 <= y <= 9998


def _hijri_ordinal(y: int, m: int, d: int) -> int:
    """Proleptic Gregorian ordinal of a date of the tabular Islamic calendar (civil epoch)."""
    jdn = d + math.ceil(29.5 * (m - 1)) + (y - 1) * 354 + (3 + 11 * y) // 30 + 1948439
    return jdn - 1721425


def _hijri_interval(y: int, m: int | None, d: int | None) -> tuple[Date, Date]:
    if m is None:
        first, last = _hijri_ordinal(y, 1, 1), _hijri_ordinal(y + 1, 1, 1) - 1
    elif d is None:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        first, last = _hijri_ordinal(y, m, 1), _hijri_ordinal(ny, nm, 1) - 1
    else:
        first = last = _hijri_ordinal(y, m, d)
    return Date.fromordinal(first - 1), Date.fromordinal(last + 1)


def _hijri_year_of(day: Date) -> int:
    y = int((day.year - 622) * 33 / 32)
    while _hijri_ordinal(y + 1, 1, 1) <= day.toordinal():
        y += 1
    while _hijri_ordinal(y, 1, 1) > day.toordinal():
        y -= 1
    return y


def _precision(e: Date, last: Date) -> str:
    if e == last:
        return "day"
    if e.day == 1 and last == _month_end(last.year, last.month):
        if (e.year, e.month) == (last.year, last.month):
            return "month"
        if e.year == last.year and e.month == 1 and last.month == 12:
            return "year"
    return "range"


def _display(e: Date, last: Date) -> str:
    if e == last:
        return e.isoformat()
    if e.day == 1 and last == _month_end(last.year, last.month):
        if e.month == 1 and last.month == 12:
            return str(e.year) if e.year == last.year else f"{e.year}..{last.year}"
        if (e.year, e.month) == (last.year, last.month):
            return f"{e.year:04d}-{e.month:02d}"
        return f"{e.year:04d}-{e.month:02d}..{last.year:04d}-{last.month:02d}"
    return f"{e.isoformat()}..{last.isoformat()}"


def _human(e: Date, last: Date) -> str:
    """A date as a person writes it: "5 July 2014", "July 2014", "2014"."""
    p = _precision(e, last)
    if p == "day":
        return f"{e.day} {_MONTH_NAMES[e.month]} {e.year}"
    if p == "month":
        return f"{_MONTH_NAMES[e.month]} {e.year}"
    return _display(e, last)


def _shift(e: Date, last: Date, lo: int, hi: int, unit: str) -> tuple[Date, Date] | None:
    """The interval [e, last] moved by lo..hi units, widened to whole units where the unit is
    a calendar one (month, year, calendar week)."""
    try:
        if unit == "day":
            return e + datetime.timedelta(days=lo), last + datetime.timedelta(days=hi)
        if unit == "week":
            return e + datetime.timedelta(weeks=lo), last + datetime.timedelta(weeks=hi)
        if unit == "cweek":
            a = e + datetime.timedelta(weeks=lo)
            b = last + datetime.timedelta(weeks=hi)
            return a - datetime.timedelta(days=a.weekday()), b + datetime.timedelta(
                days=6 - b.weekday()
            )
        if unit == "month":
            y1, m1 = _shift_month(e.year, e.month, lo)
            y2, m2 = _shift_month(last.year, last.month, hi)
            return Date(y1, m1, 1), _month_end(y2, m2)
        if unit == "year":
            return Date(e.year + lo, 1, 1), Date(last.year + hi, 12, 31)
    except (OverflowError, ValueError):
        return None
    raise ValueError(unit)


_SEASON_MONTHS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}


def _season(name: str, year: int) -> tuple[Date, Date]:
    first, last = _SEASON_MONTHS[name]
    if name == "winter":
        return Date(year - 1, 12, 1), _month_end(year, 2)
    return Date(year, first, 1), _month_end(year, last)


def _season_text(name: str) -> str:
    a, b = _SEASON_MONTHS[name]
    return f"{name} = {_MONTH_NAMES[a]}-{_MONTH_NAMES[b]}"


# --- regular expressions on normalised text -------------------------------------------------

_B = r"(?<![^\W\d_])"  # a word starts here
_E = r"(?![^\W\d_])"  # a word ends here
_AB = r"(?:(?<![^\W\d_])|(?<=(?<![^\W\d_])[وفب]))"  # an Arabic word, perhaps after و ف ب
_APOS = "['’]"


def _alt(*words: str) -> str:
    """A regex group of the normalised words, longest first."""
    forms = sorted({normalize(w) for w in words}, key=len, reverse=True)
    return (
        "(?:"
        + "|".join(
            re.escape(f).replace(r"\ ", r"\s+").replace("'", _APOS).replace(r"\-", r"\s*-\s*")
            for f in forms
        )
        + ")"
    )


def _month_key(word: str) -> tuple[int, str] | None:
    return _MONTHS.get(re.sub(r"\s+", " ", word.rstrip(".")))


_MONTH = "(?:" + "|".join(
    re.escape(m).replace(r"\ ", r"\s+") for m in sorted(_MONTHS, key=len, reverse=True)
) + ")"  # fmt: skip
# Month names alone (no day, no year): full names only; "mar", "jun"… are too ambiguous.
_MONTH_FULL = "(?:" + "|".join(
    re.escape(m).replace(r"\ ", r"\s+")
    for m in sorted(_MONTHS, key=len, reverse=True)
    if len(m) > 3 or m in ("may", "mai", "اب") or not m.isascii()
) + ")"  # fmt: skip
_YEAR_WORD = _alt("عام", "سنة", "العام", "السنة", "the year", "l'année", "l'an", "année")

# Time units, the same words the number reader counts with.
_UNIT_WORDS = {u: UNITS[u] for u in ("day", "week", "month", "year")}
_DUAL_WORDS = {
    "day": ("يومين", "يومان"),
    "week": ("أسبوعين", "أسبوعان"),
    "month": ("شهرين", "شهران"),
    "year": ("سنتين", "سنتان", "عامين", "عامان"),
}
_SINGULAR_AR = {"day": ("يوم",), "week": ("أسبوع",), "month": ("شهر",), "year": ("سنة", "عام")}
_UNIT_OF: dict[str, str] = {}
for _u, _ws in [*_UNIT_WORDS.items(), *_DUAL_WORDS.items()]:
    for _w in _ws:
        _UNIT_OF[normalize(_w)] = _u
_UNIT_LATIN = _alt(*(w for ws in _UNIT_WORDS.values() for w in ws if w.isascii() or "é" in w))
_UNIT_AR = _alt(*(w for ws in _UNIT_WORDS.values() for w in ws if not w.isascii() and "é" not in w))
_DUAL_AR = _alt(*(w for ws in _DUAL_WORDS.values() for w in ws))
_SING_AR = _alt(*(w for ws in _SINGULAR_AR.values() for w in ws))
_VAGUE_COUNT = {
    normalize(k): v
    for k, v in {
        "a few": (2, 5), "few": (2, 5), "several": (3, 7), "a couple of": (2, 2),
        "quelques": (2, 5), "plusieurs": (3, 7), "بضعة": (3, 9), "بضع": (3, 9), "عدة": (3, 7),
    }.items()
}  # fmt: skip
_ONE = frozenset({"a", "an", "one", "un", "une"})
_NUM = rf"\d{{1,4}}|{NUMBER_PHRASE}"
_COUNT_LATIN = (
    rf"(?P<n>{_alt('a few', 'a couple of', 'few', 'several', 'quelques', 'plusieurs')}"
    rf"|{_NUM}|an|a)\s+(?P<u>{_UNIT_LATIN}){_E}"
)
_COUNT_AR = (
    rf"ب?(?:(?P<n>{_alt('بضعة', 'بضع', 'عدة')}|{_NUM})\s+(?P<u>{_UNIT_AR}){_E}"
    rf"|(?P<dual>{_DUAL_AR}){_E}"
    rf"|(?P<sing>{_SING_AR}){_E}(?:\s+{_alt('واحد', 'واحدة')}{_E})?"
    rf"(?!\s*(?:\d|{_MONTH}{_E}|ال)))"
)
_SEASONS = {
    "spring": ("spring", "printemps", "ربيع", "الربيع"),
    "summer": ("summer", "été", "صيف", "الصيف"),
    "autumn": ("autumn", "fall", "automne", "خريف", "الخريف"),
    "winter": ("winter", "hiver", "شتاء", "الشتاء"),
}
_SEASON_OF = {normalize(w): k for k, ws in _SEASONS.items() for w in ws}
_SEASON = _alt(*_SEASON_OF)
_PARTS = {
    "early": ("early", "beginning", "start", "début", "أوائل", "بداية", "مطلع"),
    "mid": ("mid", "middle", "mi", "milieu", "منتصف", "أواسط", "وسط"),
    "late": ("late", "end", "fin", "أواخر", "نهاية", "آخر", "أخر"),
}
_PART_OF = {normalize(w): k for k, ws in _PARTS.items() for w in ws}
_DECADES_AR = {
    normalize(w): d
    for d, w in ((30, "ثلاثين"), (40, "أربعين"), (50, "خمسين"), (60, "ستين"), (70, "سبعين"),
                 (80, "ثمانين"), (90, "تسعين"))
}  # fmt: skip
_EVENT_AFTER = re.compile(
    rf"\s+(?:of|de|du|d{_APOS}|من(?!\s+{_alt('ذلك', 'ذلك التاريخ', 'هذا')}{_E}))"
)
_LETTER_NEXT = re.compile(r"\s*[^\W\d_]")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- candidates ---------------------------------------------------------------------------

_Res = tuple[Date | None, Date | None, str, str]  # earliest, latest, precision, basis
_Resolver = Callable[[Date | None, DateValue | None], _Res]


@dataclass
class _Cand:
    start: int  # original offsets
    end: int
    kind: str
    resolve: _Resolver


def _fixed(e: Date, last: Date, precision: str, basis: str) -> _Resolver:
    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        return e, last, precision, basis

    return resolve


def _unresolved(anchor: Date | None, previous: DateValue | None) -> _Res:
    return None, None, "unknown", NO_BASE


def _prev_span(previous: DateValue | None) -> tuple[Date, Date] | None:
    if previous is None or previous.earliest is None or previous.latest is None:
        return None
    return previous.earliest, previous.latest


def _prev_text(previous: DateValue) -> str:
    assert previous.earliest is not None and previous.latest is not None
    return f"{_human(previous.earliest, previous.latest)} (earlier in the text)"


def _offset_phrase(lo: int, hi: int, unit: str, named: bool) -> str:
    """ "6 weeks before", "the month after", "the same day as", "2 to 5 days before"."""
    word = "calendar week" if unit == "cweek" else unit
    if lo == hi == 0:
        return f"the same {word} as"
    direction = "after" if hi > 0 else "before"
    a, b = sorted((abs(lo), abs(hi)))
    if a == b == 1 and named:
        return f"the {word} {direction}"
    if a == b:
        return f"{a} {word}{'s' if a != 1 else ''} {direction}"
    return f"{a} to {b} {word}s {direction}"


def _from_anchor(lo: int, hi: int, unit: str, named: bool = False) -> _Resolver:
    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        if anchor is None:
            return _unresolved(anchor, previous)
        span = _shift(anchor, anchor, lo, hi, unit)
        if span is None:
            return _unresolved(anchor, previous)
        basis = f"{_offset_phrase(lo, hi, unit, named)} the item's date {anchor.isoformat()}"
        return span[0], span[1], _precision(*span), basis

    return resolve


def _from_previous(lo: int, hi: int, unit: str, named: bool = False) -> _Resolver:
    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        base = _prev_span(previous)
        if base is None or previous is None:
            return _unresolved(anchor, previous)
        span = _shift(base[0], base[1], lo, hi, unit)
        if span is None:
            return _unresolved(anchor, previous)
        basis = f"{_offset_phrase(lo, hi, unit, named)} {_prev_text(previous)}"
        return span[0], span[1], _precision(*span), basis

    return resolve


def _season_of_previous(name: str) -> _Resolver:
    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        base = _prev_span(previous)
        if base is None or previous is None:
            return _unresolved(anchor, previous)
        year = base[0].year
        if name == "winter" and base[0].month >= 3:
            year += 1  # the winter that follows, not the one that ended before
        e, last = _season(name, year)
        basis = f"the {name} ({_display(e, last)}) of {_prev_text(previous)}"
        return e, last, "season", basis

    return resolve


def _last_season(name: str) -> _Resolver:
    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        if anchor is None:
            return _unresolved(anchor, previous)
        for year in (anchor.year + 1, anchor.year, anchor.year - 1):
            e, last = _season(name, year)
            if last < anchor:
                basis = (
                    f"the last {name} ended before the item's date {anchor.isoformat()}"
                    f" ({_season_text(name)})"
                )
                return e, last, "season", basis
        return _unresolved(anchor, previous)

    return resolve


def _year_for(
    month: int,
    day: int | None,
    hijri: bool,
    anchor: Date | None,
    previous: DateValue | None,
) -> tuple[int, str] | None:
    """The year of a month (and day) written without one, and why."""
    base = _prev_span(previous)
    if base is not None and previous is not None:
        if hijri:
            return _hijri_year_of(base[0]), f"in the Hijri year of {_prev_text(previous)}"
        if base[0].year == base[1].year:
            return base[0].year, f"in the year of {_prev_text(previous)}"
    if anchor is None:
        return None
    if hijri:
        hy = _hijri_year_of(anchor)
        for y in (hy, hy - 1):
            if _hijri_interval(y, month, day)[0] <= anchor:
                return y, f"the last one on or before the item's date {anchor.isoformat()}"
        return None
    y = anchor.year if (month, day or 1) <= (anchor.month, anchor.day) else anchor.year - 1
    return y, f"the last one on or before the item's date {anchor.isoformat()}"


def _no_year(
    month: int, day: int | None, cal: str, label: str, part: str | None = None
) -> _Resolver:
    """A month (and day) with no year: the year comes from the text or the item's date."""
    hijri = cal == "hijri"

    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        found = _year_for(month, day, hijri, anchor, previous)
        if found is None:
            return None, None, "unknown", NO_BASE
        year, why = found
        span = _absolute_span(year, month, day, cal, part)
        if span is None:
            return None, None, "unknown", NO_BASE
        precision = "range" if part else ("day" if day else "month")
        return span[0], span[1], precision, f"{label}, {why}"

    return resolve


def _part_span(part: str, e: Date, last: Date, of_month: bool) -> tuple[Date, Date]:
    if of_month:
        end = last.day
        bounds = {"early": (1, 10), "mid": (11, 20), "late": (21, end)}[part]
        return Date(e.year, e.month, bounds[0]), Date(e.year, e.month, bounds[1])
    months = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}[part]
    return Date(e.year, months[0], 1), _month_end(e.year, months[1])


def _absolute_span(
    year: int, month: int | None, day: int | None, cal: str, part: str | None = None
) -> tuple[Date, Date] | None:
    try:
        if cal == "hijri":
            if month is not None and not 1 <= month <= 12:
                return None
            if day is not None and not 1 <= day <= 30:
                return None
            if not 1 <= year <= 2000:
                return None
            return _hijri_interval(year, month, day)
        if not _valid_year(year):
            return None
        if month is None:
            span = Date(year, 1, 1), Date(year, 12, 31)
        elif day is None:
            span = Date(year, month, 1), _month_end(year, month)
        else:
            span = Date(year, month, day), Date(year, month, day)
    except ValueError:
        return None
    if part:
        return _part_span(part, span[0], span[1], month is not None)
    return span


def _label(year: int | None, month: int | None, day: int | None, cal: str) -> str:
    names = _HIJRI_NAMES if cal == "hijri" else _MONTH_NAMES
    parts = [str(day)] if day else []
    if month:
        parts.append(names[month])
    if year:
        parts.append(f"{year}{' AH' if cal == 'hijri' else ''}")
    return " ".join(parts)


def _absolute(
    start: int,
    end: int,
    year: int | None,
    month: int | None,
    day: int | None,
    cal: str = "gregorian",
    basis: str = "written date",
    part: str | None = None,
) -> _Cand | None:
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    if year is None:
        if month is None:
            return None
        label = _label(None, month, day, cal)
        if part:
            label = f"{part} {label}"
        return _Cand(start, end, "relative", _no_year(month, day, cal, label, part))
    span = _absolute_span(year, month, day, cal, part)
    if span is None:
        return None
    if cal == "hijri":
        precision = "day" if day else "month" if month else "year"
        basis = (
            f"written Hijri date {_label(year, month, day, cal)}, converted with the tabular "
            "Islamic calendar (±1 day)"
        )
    elif part:
        precision = "range"
    else:
        precision = "day" if day else "month" if month else "year"
    return _Cand(start, end, "absolute", _fixed(span[0], span[1], precision, basis))


class _Finder:
    """Candidates found in one text, in original offsets."""

    def __init__(self, text: str, lang: str | None) -> None:
        self.text = text
        self.lang = lang
        self.folded, self.nmap = normalize_with_map(text)
        self.cands: list[_Cand] = []

    def span(self, ns: int, ne: int) -> tuple[int, int]:
        return original_span(self.nmap, ns, ne, len(self.text))

    def add(self, cand: _Cand | None) -> None:
        if cand is not None and cand.end > cand.start:
            self.cands.append(cand)

    def year_is_count(self, ne: int) -> bool:
        """A counted noun right after a number: "2014 fighters" is not a year."""
        if counted_noun(self.folded, ne) is not None:
            return True
        m = re.match(r"\s+([a-z\u00c0-\u024f]+)", self.folded[ne : ne + 30])
        if m is None:
            return False
        word = m.group(1)
        return len(word) > 3 and word.endswith(("s", "x")) and word not in _NOT_PLURALS


_NOT_PLURALS = frozenset(
    "this thus was has his its was does plus sous dans vous nous alors depuis apres "
    "puis jamais toujours mais sans chez tres ensuite ailleurs moins ceux".split()
)


# Absolute patterns beyond entity_dates.
_MDY = _rx(
    rf"{_B}(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,\s*|\s+)(?P<y>\d{{4}}){_E}"
)
_MD = _rx(
    rf"{_B}(?P<mon>{_MONTH_FULL})\s+(?P<d>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?{_E}(?!\s*[,.]?\s*\d)"
)
_DOM = _rx(
    rf"{_B}(?P<d>\d{{1,2}})(?:st|nd|rd|th)\s+of\s+(?P<mon>{_MONTH})\.?"
    rf"(?:\s*,?\s+(?P<y>\d{{4}}))?{_E}"
)
_YMD = _rx(r"(?<![\d/.])(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?![\d/.])")
_DMYY = _rx(r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{2})(?![\d/])")
_DMY = _rx(r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4})(?![\d/.])")
_MY = _rx(r"(?<![\d/.])(?P<m>\d{1,2})/(?P<y>\d{4})(?![\d/.])")
_YM = _rx(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{2})(?![\d-])")
_HIJRI_YEAR = _rx(
    rf"{_AB}(?:(?:{_alt('عام', 'سنة', 'العام', 'السنة')})\s+)?(?P<y>\d{{3,4}})\s*"
    rf"(?:ه|a\.?h\.?){_E}"
)
_YEAR_PREP_LATIN = _alt(
    "in", "during", "of", "since", "from", "until", "till", "by", "before", "after", "en",
    "pendant", "durant", "courant", "depuis", "dès", "jusqu'en", "avant", "après",
)  # fmt: skip
_YEAR_PREP_AR = _alt("في", "خلال", "منذ", "حتى", "قبل", "بعد")
_CONTEXT_YEAR = _rx(
    rf"(?:{_B}(?:{_YEAR_PREP_LATIN})|{_AB}(?:{_YEAR_PREP_AR}))\s+(?P<y>\d{{4}}){_E}"
    r"(?![.,٫/]\d)"
)
_YEAR_NOUN = _alt("the year", "l'année", "l'an", "année", "السنة")
_WORD_YEAR = _rx(rf"{_B}(?:{_YEAR_NOUN})\s+(?P<y>\d{{4}}){_E}(?![.,٫/]\d)")
_PAREN_YEAR = _rx(r"(?<=\()(?P<y>\d{4})(?=\))")
_SEASON_YEAR = _rx(
    rf"{_AB}(?:(?:the\s+|l{_APOS}))?(?P<s>{_SEASON})\s+(?:(?:of|de|d{_APOS})\s*)?"
    rf"(?:(?:{_YEAR_WORD})\s+)?(?P<y>\d{{4}}){_E}"
)
_PART_EN = _rx(
    rf"{_B}(?:the\s+)?(?P<p>early|beginning|start|middle|mid|late|end)(?:\s+part)?"
    rf"(?:\s+of(?:\s+the\s+year)?)?(?:\s+|\s*-\s*)"
    rf"(?:(?P<mon>{_MONTH})\.?(?:\s*,?\s+(?P<my>\d{{4}}))?|(?P<y>\d{{4}})){_E}"
)
_PART_FR = _rx(
    rf"{_B}(?P<p>debut|milieu|mi|fin)(?:\s+|\s*-\s*)(?:(?:de|d{_APOS})\s*)?"
    rf"(?:l{_APOS}ann[ée]e\s+|l{_APOS}an\s+)?"
    rf"(?:(?P<mon>{_MONTH})\.?(?:\s+(?P<my>\d{{4}}))?|(?P<y>\d{{4}})){_E}"
)
_PARTS_AR = _alt(*(w for ws in _PARTS.values() for w in ws if not w.isascii() and "é" not in w))
_PART_AR = _rx(
    rf"{_AB}(?P<p>{_PARTS_AR})\s+(?:{_alt('عام', 'سنة', 'العام', 'شهر')}\s+)?"
    rf"(?:(?P<mon>{_MONTH})(?:\s+(?:{_alt('عام', 'سنة')}\s+)?(?P<my>\d{{4}}))?"
    rf"|(?P<y>\d{{4}})){_E}"
)
_DECADE_EN = _rx(
    rf"{_B}(?:the\s+)?(?P<c>19|20)(?P<d>\d)0{_APOS}?s{_E}|{_B}the\s+{_APOS}?(?P<d2>\d)0{_APOS}?s{_E}"
)
_DECADE_FR = _rx(rf"{_B}(?:les\s+)?ann[ée]es\s+(?P<c>19|20)?(?P<d>\d)0{_E}")
_DECADE_AR = _rx(
    rf"{_AB}(?:{_alt('عقد')}\s+)?(?:ال)?(?P<d>{_alt(*_DECADES_AR)})(?:يات|ات){_E}"
    rf"(?:\s+(?:من\s+)?{_alt('القرن الماضي', 'القرن العشرين', 'القرن المنصرم')}{_E})?"
)


def _sd(p: str) -> str:
    """One end of a range: a day, a day and month, a month, a year, with what is given."""
    yw = _alt("عام", "عامي", "سنة", "سنتي", "العام", "العامين", "l'année", "the year")
    return (
        rf"(?:(?P<{p}d>\d{{1,2}})(?!\d)(?:er|st|nd|rd|th)?(?:\s+(?:de\s+)?(?P<{p}m>{_MONTH})\.?"
        rf"(?:\s*,?\s+(?:de\s+)?(?:(?:{yw})\s+)?(?P<{p}y>\d{{4}}))?)?"
        rf"|(?P<{p}m2>{_MONTH})\.?(?:\s*,?\s+(?:de\s+)?(?:(?:{yw})\s+)?(?P<{p}y2>\d{{4}}))?"
        rf"|(?:(?:{yw})\s+)?(?P<{p}yo>\d{{4}}))"
    )


_RANGE_FROM = _alt("between", "from", "entre", "de", "du", "من", "بين", "ما بين")
_RANGE_TO = _alt(
    "and", "to", "until", "till", "through", "thru", "et", "à", "au", "jusqu'à", "jusqu'au",
    "jusqu'en", "إلى", "حتى", "لغاية",
)  # fmt: skip
_RANGE = _rx(
    rf"(?:{_B}|{_AB})(?P<conn>{_RANGE_FROM})\s+{_sd('a')}\s*(?P<mid>{_RANGE_TO}|-|–|—|و)"
    rf"\s*{_sd('b')}{_E}"
)
_RANGE_DASH = _rx(rf"(?<![\d/.-]){_sd('a')}\s*[-–—]\s*{_sd('b')}{_E}(?![-/.]\d)")
_MONTH_PREP_LATIN = _alt(
    "in", "during", "since", "until", "by", "en", "pendant", "durant", "depuis", "dès",
    "jusqu'en", "au mois de", "au mois d'",
)  # fmt: skip
_MONTH_ALONE = _rx(
    rf"(?:{_B}(?:{_MONTH_PREP_LATIN})|{_AB}(?:{_alt('في', 'خلال', 'منذ', 'حتى')}))\s+"
    rf"(?P<mon>{_MONTH_FULL}){_E}(?!\s*,?\s*\d)"
)

# Relative to the item's date.
_AGO_EN = _rx(rf"{_B}{_COUNT_LATIN}\s+ago{_E}")
_AGO_FR = _rx(rf"{_B}(?:il\s+y\s+a|voici|ca\s+fait)\s+{_COUNT_LATIN}")
_AGO_AR = _rx(rf"{_AB}(?:{_alt('قبل', 'منذ')})\s+{_COUNT_AR}")
# phrase → (unit, offset)
_NAMED_ANCHOR: dict[str, tuple[str, int]] = {}
for _unit, _off, _phrases in (
    ("day", -1, ("yesterday", "hier", "أمس", "الأمس", "بالأمس", "البارحة", "مبارح", "امبارح",
                 "last night", "ليلة أمس", "الليلة الماضية")),
    ("day", -2, ("the day before yesterday", "avant-hier", "أول أمس", "أول من أمس", "قبل أمس",
                 "أول البارحة")),
    ("day", 0, ("today", "aujourd'hui", "this morning", "ce matin", "صباح اليوم")),
    ("day", 1, ("tomorrow", "demain", "غدا", "غداً", "بكرة")),
    ("cweek", -1, ("last week", "la semaine dernière", "la semaine passée", "الأسبوع الماضي",
                   "الأسبوع المنصرم", "الأسبوع الفائت")),
    ("cweek", 0, ("this week", "cette semaine", "هذا الأسبوع", "الأسبوع الحالي",
                  "الأسبوع الجاري")),
    ("cweek", 1, ("next week", "la semaine prochaine", "الأسبوع المقبل", "الأسبوع القادم")),
    ("month", -1, ("last month", "le mois dernier", "le mois passé", "الشهر الماضي",
                   "الشهر المنصرم", "الشهر الفائت")),
    ("month", 0, ("this month", "ce mois-ci", "هذا الشهر", "الشهر الحالي", "الشهر الجاري")),
    ("month", 1, ("next month", "le mois prochain", "الشهر المقبل", "الشهر القادم")),
    ("year", -1, ("last year", "l'année dernière", "l'an dernier", "l'année passée",
                  "l'an passé", "العام الماضي", "السنة الماضية", "العام المنصرم",
                  "السنة المنصرمة", "العام الفائت", "السنة الفائتة")),
    ("year", -2, ("the year before last",)),
    ("year", 0, ("this year", "cette année", "هذا العام", "هذه السنة", "العام الحالي",
                 "العام الجاري", "السنة الحالية", "السنة الجارية")),
    ("year", 1, ("next year", "l'année prochaine", "l'an prochain", "العام المقبل",
                 "العام القادم", "السنة المقبلة", "السنة القادمة")),
):  # fmt: skip
    for _p in _phrases:
        _NAMED_ANCHOR[re.sub(r"\s+", " ", normalize(_p))] = (_unit, _off)
_NAMED_ANCHOR_RE = _rx(rf"(?:{_B}|{_AB})(?P<p>{_alt(*_NAMED_ANCHOR)}){_E}(?!\s*-\s*l[aà]{_E})")
_TODAY_AR = _rx(
    rf"{_AB}اليوم{_E}(?!\s+(?:ال|{_alt('نفس', 'نفسه', 'ذاته', 'عينه', 'ذلك', 'الذي', 'التي')}))"
)
_LAST_SEASON = _rx(
    rf"(?:{_B}last\s+(?P<en>{_SEASON})"
    rf"|{_B}l{_APOS}(?P<fr>ete|automne|hiver)\s+(?:dernier|passe)"
    rf"|{_B}le\s+(?P<fr2>printemps)\s+(?:dernier|passe)"
    rf"|{_AB}(?P<ar>{_alt('الصيف', 'الربيع', 'الخريف', 'الشتاء')})\s+"
    rf"(?:{_alt('الماضي', 'المنصرم', 'الفائت')})){_E}"
)

# Relative to the last date earlier in the text.
_LATER_EN = _rx(
    rf"{_B}{_COUNT_LATIN}\s+(?P<dir>later|afterwards|after\s+that|earlier|before\s+that"
    rf"|previously|beforehand|before(?=\s*(?:[,.;:!?)]|$))){_E}"
)
_LATER_FR = _rx(
    rf"{_B}{_COUNT_LATIN}\s+(?P<dir>plus\s+tard|apres\s+(?:cela|ca)|ensuite"
    rf"|apres(?=\s*(?:[,.;:!?)]|$))|plus\s+tot|auparavant|avant\s+(?:cela|ca)"
    rf"|avant(?=\s*(?:[,.;:!?)]|$))){_E}"
)
_THAT = _alt("ذلك", "ذلك التاريخ", "هذا")
_LATER_AR = _rx(
    rf"{_AB}(?:(?P<after>بعد)(?:\s+{_THAT}|ها)?|(?P<before>قبل)\s+{_THAT}|(?P<before2>قبلها))"
    rf"\s+{_COUNT_AR}(?P<of>\s+من\s+{_THAT}{_E})?"
)
_BEFORE_THAT_AR = _rx(rf"{_AB}(?P<before>قبل)\s+{_COUNT_AR}(?P<of>\s+من\s+{_THAT}{_E})")
_REL_UNIT_EN = {
    "day": "day", "morning": "day", "evening": "day", "night": "day", "afternoon": "day",
    "week": "cweek", "month": "month", "year": "year",
    "jour": "day", "matin": "day", "soir": "day", "nuit": "day", "soiree": "day",
    "semaine": "cweek", "mois": "month", "annee": "year", "an": "year",
}  # fmt: skip
_REL_UNIT_AR = {
    normalize(w): u
    for w, u in (
        ("اليوم", "day"), ("الليلة", "day"), ("الأسبوع", "cweek"), ("الشهر", "month"),
        ("العام", "year"), ("السنة", "year"),
    )
}  # fmt: skip
_U_EN = r"(?P<u>day|morning|evening|night|afternoon|week|month|year)"
_U_FR = r"(?P<u>jour|matin|soir|soiree|nuit|semaine|mois|annee|an)"
_U_AR = rf"(?P<u>{_alt('اليوم', 'الليلة', 'الأسبوع', 'الشهر', 'العام', 'السنة')})"
_FOLLOWING_AR = _alt(
    "التالي", "التالية", "اللاحق", "اللاحقة", "الموالي", "الموالية", "الذي تلاه", "الذي تلا",
    "الذي يليه", "التي تلته", "التي تلتها", "التي تليه", "التي تليها", "الذي بعده",
    "التي بعدها", "بعده", "بعدها",
)  # fmt: skip
_PRECEDING_AR = _alt(
    "السابق", "السابقة", "الذي سبقه", "التي سبقته", "التي سبقتها", "الذي قبله", "التي قبلها",
    "قبله", "قبلها",
)  # fmt: skip
_NEXT_PREV: list[tuple[re.Pattern[str], int]] = [
    (_rx(rf"{_B}the\s+(?:following|next|subsequent)\s+{_U_EN}(?P<tail>){_E}"), 1),
    (_rx(rf"{_B}the\s+{_U_EN}\s+after(?P<tail>wards|\s+that)?(?P<open>){_E}"), 1),
    (_rx(rf"{_B}the\s+(?:previous|preceding|prior)\s+{_U_EN}(?P<tail>){_E}"), -1),
    (_rx(rf"{_B}the\s+{_U_EN}\s+before(?P<tail>hand|\s+that)?(?P<open>){_E}"), -1),
    (
        _rx(
            rf"{_B}(?:le|la|l{_APOS})\s*{_U_FR}\s+(?:suivante?|d{_APOS}apres|qui\s+(?:a\s+suivi"
            rf"|suivit|suivait))(?P<tail>){_E}"
        ),
        1,
    ),
    (
        _rx(
            rf"{_B}(?:le|la|l{_APOS})\s*{_U_FR}\s+(?:precedente?|d{_APOS}avant"
            rf"|qui\s+(?:a\s+precede|preceda|precedait))(?P<tail>){_E}"
        ),
        -1,
    ),
    (
        _rx(
            rf"{_AB}(?:{_alt('صباح', 'مساء', 'ليلة', 'ظهر', 'فجر')}\s+)?{_U_AR}\s+"
            rf"{_FOLLOWING_AR}"
            rf"(?P<tail>){_E}"
        ),
        1,
    ),
    (
        _rx(
            rf"{_AB}{_U_AR}\s+{_PRECEDING_AR}"
            rf"(?P<tail>){_E}"
        ),
        -1,
    ),
]
_NEXT_DAY = _rx(
    rf"(?:{_B}(?:le\s+)?(?P<fr>lendemain|surlendemain)|{_B}(?P<veille>la\s+veille)"
    rf"|{_AB}(?P<ar>{_alt('في الغد', 'غداة', 'صبيحة اليوم التالي')})){_E}"
)
_SAME = [
    _rx(rf"{_B}(?:(?:the|that)\s+)?(?:very\s+)?same\s+{_U_EN}{_E}"),
    _rx(rf"{_B}that\s+(?:very\s+)?{_U_EN}{_E}"),
    _rx(rf"{_B}(?:le|la|l{_APOS})\s*meme\s+{_U_FR}{_E}"),
    _rx(rf"{_B}(?:le|la)\s+{_U_FR}\s+meme{_E}"),
    _rx(rf"{_B}(?:ce|cet|cette)\s+{_U_FR}\s*-\s*la{_E}"),
    _rx(rf"{_AB}{_alt('نفس')}\s+{_U_AR}{_E}"),
    _rx(rf"{_AB}{_U_AR}\s+(?:{_alt('نفسه', 'نفسها', 'ذاته', 'ذاتها', 'عينه', 'عينها')}){_E}"),
    _rx(rf"{_AB}(?:{_alt('ذلك', 'تلك')})\s+{_U_AR}{_E}"),
]
_THAT_YEAR_AR = _alt(
    "ذلك العام", "تلك السنة", "العام نفسه", "العام ذاته", "السنة نفسها", "السنة ذاتها",
    "نفس العام", "نفس السنة",
)  # fmt: skip
_THAT_SEASON = _rx(
    rf"(?:{_B}(?:that|the\s+same)\s+(?P<en>{_SEASON})"
    rf"|{_B}(?:cet|ce|cette)\s+(?P<fr>ete|printemps|automne|hiver)\s*-\s*la"
    rf"|{_AB}(?:{_alt('ذلك')})\s+(?P<ar>{_alt('الصيف', 'الربيع', 'الخريف', 'الشتاء')})"
    rf"|{_AB}(?P<ar2>{_alt('صيف', 'ربيع', 'خريف', 'شتاء')})\s+"
    rf"{_THAT_YEAR_AR}){_E}"
)


def _count(m: re.Match[str]) -> tuple[int, int] | None:
    """The number of units an expression counts: (low, high)."""
    groups = m.groupdict()
    if groups.get("dual"):
        return 2, 2
    if groups.get("sing"):
        return 1, 1
    n = re.sub(r"\s+", " ", groups.get("n") or "")
    if not n:
        return None
    if n in _VAGUE_COUNT:
        return _VAGUE_COUNT[n]
    if n in _ONE:
        return 1, 1
    if n.isdigit():
        v = int(n)
    else:
        parsed = parse_number(n)
        if parsed is None or parsed != int(parsed):
            return None
        v = int(parsed)
    return (v, v) if 0 < v <= 5000 else None


def _count_unit(m: re.Match[str]) -> str | None:
    word = m.group("dual") if "dual" in m.groupdict() and m.group("dual") else None
    if word is None and "sing" in m.groupdict() and m.group("sing"):
        word = m.group("sing")
    if word is None:
        word = m.group("u")
    return _UNIT_OF.get(re.sub(r"\s+", " ", word)) if word else None


def _season_key(word: str | None) -> str | None:
    return _SEASON_OF.get(word) if word else None


def _collect(f: _Finder) -> None:
    text, folded = f.text, f.folded
    # entity_dates: day/month/year, month/year, ISO, d/m/y, عام 2014, Hijri months.
    for men in entity_dates.find_dates(text):
        info = men.info
        cal = str(info.get("calendar", "gregorian"))
        year = info.get("year")
        month = info.get("month")
        day = info.get("day")
        basis = "written date"
        if men.text.count("/") == 2 or re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", men.text):
            basis = "written date, read day/month/year"
            if f.lang in ("en-us", "en_us") and day is not None and day <= 12:
                month, day = day, month
                basis = "written date, read month/day/year"
        if month is None and year is not None and 1300 <= year <= 1500:
            cal = "hijri"  # "عام 1435": a Hijri year
        elif month is None and year is not None and not 1900 <= year <= 2099:
            continue
        end = men.end
        last_word = men.text.rstrip(".").split()[-1] if men.text.strip(".") else ""
        if men.text.endswith(".") and (len(last_word) > 4 or not last_word.isascii()):
            end -= 1  # the full stop ends the sentence, not an abbreviation
        f.add(_absolute(men.start, end, year, month, day, cal, basis))
    for m in _MDY.finditer(folded):
        key = _month_key(m.group("mon"))
        if key:
            s, e = f.span(m.start(), m.end())
            f.add(_absolute(s, e, int(m.group("y")), key[0], int(m.group("d")), key[1]))
    for m in _MD.finditer(folded):
        key = _month_key(m.group("mon"))
        if key:
            s, e = f.span(m.start(), m.end())
            f.add(_absolute(s, e, None, key[0], int(m.group("d")), key[1]))
    for m in _DOM.finditer(folded):
        key = _month_key(m.group("mon"))
        if key:
            s, e = f.span(m.start(), m.end())
            year = int(m.group("y")) if m.group("y") else None
            f.add(_absolute(s, e, year, key[0], int(m.group("d")), key[1]))
    for m in _YMD.finditer(folded):
        s, e = f.span(m.start(), m.end())
        f.add(_absolute(s, e, int(m.group("y")), int(m.group("m")), int(m.group("d"))))
    for m in _DMYY.finditer(folded):
        a, b, yy = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        year = 2000 + yy if yy <= Date.today().year % 100 + 1 else 1900 + yy
        basis = "written date, read day/month/year, two-digit year"
        if b > 12 or f.lang in ("en-us", "en_us"):
            a, b = b, a
            basis = "written date, read month/day/year, two-digit year"
        s, e = f.span(m.start(), m.end())
        f.add(_absolute(s, e, year, b, a, basis=basis))
    for m in _DMY.finditer(folded):
        a, b = int(m.group("a")), int(m.group("b"))
        if b > 12 and a <= 12:  # 7/25/2014: the day cannot be the month
            s, e = f.span(m.start(), m.end())
            basis = "written date, read month/day/year (the second number is over 12)"
            f.add(_absolute(s, e, int(m.group("y")), a, b, basis=basis))
    for m in _MY.finditer(folded):
        year = int(m.group("y"))
        if 1900 <= year <= 2099:
            s, e = f.span(m.start(), m.end())
            f.add(_absolute(s, e, year, int(m.group("m")), None))
    for m in _YM.finditer(folded):
        year = int(m.group("y"))
        if 1900 <= year <= 2099:
            s, e = f.span(m.start(), m.end())
            f.add(_absolute(s, e, year, int(m.group("m")), None))
    for m in _HIJRI_YEAR.finditer(folded):
        year = int(m.group("y"))
        if 1300 <= year <= 1500:
            s, e = f.span(m.start(), m.end())
            f.add(_absolute(s, e, year, None, None, "hijri"))
    for rx in (_CONTEXT_YEAR, _WORD_YEAR, _PAREN_YEAR):
        for m in rx.finditer(folded):
            year = int(m.group("y"))
            if not 1950 <= year <= 2035 or f.year_is_count(m.end("y")):
                continue
            ns = m.start("y") if rx is not _WORD_YEAR else m.start()
            s, e = f.span(ns, m.end("y"))
            f.add(_absolute(s, e, year, None, None))
    for m in _SEASON_YEAR.finditer(folded):
        name = _season_key(m.group("s"))
        year = int(m.group("y"))
        if name and 1900 <= year <= 2099:
            s, e = f.span(m.start(), m.end())
            lo, hi = _season(name, year)
            basis = f"written season ({_season_text(name)}, northern hemisphere)"
            f.add(_Cand(s, e, "absolute", _fixed(lo, hi, "season", basis)))
    for rx in (_PART_EN, _PART_FR, _PART_AR):
        for m in rx.finditer(folded):
            part = _PART_OF.get(m.group("p"))
            if part is None:
                continue
            s, e = f.span(m.start(), m.end())
            if m.group("mon"):
                key = _month_key(m.group("mon"))
                if key is None:
                    continue
                year = int(m.group("my")) if m.group("my") else None
                basis = f"written part of a month ({part}: days 1-10, 11-20, 21-end)"
                f.add(_absolute(s, e, year, key[0], None, key[1], basis, part))
            else:
                year = int(m.group("y"))
                if 1900 <= year <= 2099:
                    basis = f"written part of a year ({part}: thirds of the year)"
                    f.add(_absolute(s, e, year, None, None, "gregorian", basis, part))
    for m in _DECADE_EN.finditer(folded):
        if m.group("d2") is not None:
            d = int(m.group("d2"))
            first = (2000 if d <= 2 else 1900) + d * 10
        else:
            first = int(m.group("c")) * 100 + int(m.group("d")) * 10
        _decade(f, m, first)
    for m in _DECADE_FR.finditer(folded):
        d = int(m.group("d"))
        first = int(m.group("c")) * 100 + d * 10 if m.group("c") else (1900 + d * 10)
        _decade(f, m, first)
    for m in _DECADE_AR.finditer(folded):
        _decade(f, m, 1900 + _DECADES_AR[m.group("d")])
    for rx in (_RANGE, _RANGE_DASH):
        for m in rx.finditer(folded):
            _range(f, m)
    for m in _MONTH_ALONE.finditer(folded):
        key = _month_key(m.group("mon"))
        if key:
            s, e = f.span(m.start("mon"), m.end("mon"))
            f.add(_absolute(s, e, None, key[0], None, key[1]))
    _collect_relative(f)


def _decade(f: _Finder, m: re.Match[str], first: int) -> None:
    if not 1900 <= first <= 2090:
        return
    s, e = f.span(m.start(), m.end())
    lo, hi = Date(first, 1, 1), Date(first + 9, 12, 31)
    f.add(_Cand(s, e, "absolute", _fixed(lo, hi, "range", "written decade")))


def _range(f: _Finder, m: re.Match[str]) -> None:
    g = m.groupdict()
    conn = re.sub(r"\s+", " ", g.get("conn") or "")
    mid = g.get("mid")
    if mid == "و" and conn not in ("بين", "ما بين"):
        return

    def end(p: str) -> tuple[int | None, int | None, int | None, str]:
        mon = g.get(f"{p}m") or g.get(f"{p}m2")
        key = _month_key(mon) if mon else None
        y = g.get(f"{p}y") or g.get(f"{p}y2") or g.get(f"{p}yo")
        d = g.get(f"{p}d")
        return (
            int(y) if y else None,
            key[0] if key else None,
            int(d) if d else None,
            key[1] if key else "gregorian",
        )

    ay, am, ad, acal = end("a")
    by, bm, bd, bcal = end("b")
    if acal == "hijri" or bcal == "hijri":
        return
    if bm is None and by is None:
        return  # "from 5 to 7": numbers, not dates
    if am is None and ay is None:  # a day alone: "from 5 to 7 July"
        if bm is None or ad is None:
            return
        am = bm
    if ad is not None and am is None:
        return  # "5 2014"
    if bd is not None and bm is None:
        return
    for y in (ay, by):
        if y is not None and not 1900 <= y <= 2099:
            return
    if am is None and bm is not None and by is None:
        return  # "from 2013 to May": too loose
    if bm is None and by is not None and f.year_is_count(m.end()):
        return  # "2013-2015 fighters"
    s, e = f.span(m.start(), m.end())

    def build(year_b: int) -> tuple[Date, Date] | None:
        year_a = ay
        if year_a is None:
            year_a = year_b - 1 if am is not None and bm is not None and am > bm else year_b
        try:
            lo = Date(year_a, am or 1, ad or 1)
            hi = (
                Date(year_b, bm, bd)
                if bm and bd
                else _month_end(year_b, bm)
                if bm
                else Date(year_b, 12, 31)
            )
        except ValueError:
            return None
        return (lo, hi) if lo <= hi else None

    if by is not None:
        span = build(by)
        if span is None:
            return
        f.add(_Cand(s, e, "absolute", _fixed(span[0], span[1], "range", "written range")))
        return
    if bm is None:
        return
    month_b = bm

    def resolve(anchor: Date | None, previous: DateValue | None) -> _Res:
        found = _year_for(month_b, bd, False, anchor, previous)
        if found is None:
            return None, None, "unknown", NO_BASE
        span = build(found[0])
        if span is None:
            return None, None, "unknown", NO_BASE
        return span[0], span[1], "range", f"range with no year, {found[1]}"

    f.add(_Cand(s, e, "relative", resolve))


def _collect_relative(f: _Finder) -> None:
    folded = f.folded
    for rx in (_AGO_EN, _AGO_FR, _AGO_AR):
        for m in rx.finditer(folded):
            if rx is _AGO_AR and _EVENT_AFTER.match(folded, m.end()):
                continue  # "قبل ستة أسابيع من الهجوم": before some event, not before now
            count, unit = _count(m), _count_unit(m)
            if count is None or unit is None:
                continue
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _from_anchor(-count[1], -count[0], unit)))
    for m in _NAMED_ANCHOR_RE.finditer(folded):
        unit, off = _NAMED_ANCHOR[re.sub(r"\s+", " ", m.group("p"))]
        s, e = f.span(m.start("p"), m.end("p"))
        f.add(_Cand(s, e, "relative", _from_anchor(off, off, unit, named=True)))
    for m in _TODAY_AR.finditer(folded):
        before = folded[max(0, m.start() - 8) : m.start()]
        if re.search(rf"(?:{_alt('في', 'ذلك', 'نفس', 'هذا')})\s+$", before):
            continue  # في اليوم = on the day; ذلك اليوم = that day
        s, e = f.span(m.start(), m.end())
        f.add(_Cand(s, e, "relative", _from_anchor(0, 0, "day", named=True)))
    for m in _LAST_SEASON.finditer(folded):
        word = m.group("en") or m.group("fr") or m.group("fr2") or m.group("ar")
        name = _season_key(word)
        if name:
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _last_season(name)))
    for rx in (_LATER_EN, _LATER_FR):
        for m in rx.finditer(folded):
            count, unit = _count(m), _count_unit(m)
            if count is None or unit is None:
                continue
            d = re.sub(r"\s+", " ", m.group("dir"))
            back = ("earlier", "before", "previously", "plus tot", "auparavant", "avant")
            sign = -1 if d.startswith(back) else 1
            lo, hi = (count[0], count[1]) if sign == 1 else (-count[1], -count[0])
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _from_previous(lo, hi, unit)))
    for m in [*_LATER_AR.finditer(folded), *_BEFORE_THAT_AR.finditer(folded)]:
        if m.group("of") is None and _EVENT_AFTER.match(folded, m.end()):
            continue  # "بعد يومين من اعتقاله": after some other event
        count, unit = _count(m), _count_unit(m)
        if count is None or unit is None:
            continue
        after = m.groupdict().get("after") is not None
        lo, hi = (count[0], count[1]) if after else (-count[1], -count[0])
        s, e = f.span(m.start(), m.end())
        f.add(_Cand(s, e, "relative", _from_previous(lo, hi, unit)))
    for rx, off in _NEXT_PREV:
        for m in rx.finditer(folded):
            if not m.group("tail") and _EVENT_AFTER.match(folded, m.end()):
                continue  # "le mois suivant son arrestation"…
            if (
                not m.group("tail")
                and "open" in m.groupdict()
                and _LETTER_NEXT.match(folded, m.end())
            ):
                continue  # "the day after the attack": counted from something else
            unit = _rel_unit(m.group("u"))
            if unit is None:
                continue
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _from_previous(off, off, unit, named=True)))
    for m in _NEXT_DAY.finditer(folded):
        if m.group("fr") or m.group("veille"):
            if _EVENT_AFTER.match(folded, m.end()):
                continue  # "le lendemain de son arrestation"
        off = -1 if m.group("veille") else 2 if m.group("fr") == "surlendemain" else 1
        s, e = f.span(m.start(), m.end())
        f.add(_Cand(s, e, "relative", _from_previous(off, off, "day", named=True)))
    for rx in _SAME:
        for m in rx.finditer(folded):
            unit = _rel_unit(m.group("u"))
            if unit is None:
                continue
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _from_previous(0, 0, unit, named=True)))
    for m in _THAT_SEASON.finditer(folded):
        word = m.group("en") or m.group("fr") or m.group("ar") or m.group("ar2")
        name = _season_key(word)
        if name:
            s, e = f.span(m.start(), m.end())
            f.add(_Cand(s, e, "relative", _season_of_previous(name)))


def _rel_unit(word: str | None) -> str | None:
    if not word:
        return None
    word = re.sub(r"\s+", " ", word)
    return _REL_UNIT_EN.get(word) or _REL_UNIT_AR.get(word)


def _choose(cands: list[_Cand]) -> list[_Cand]:
    """The longest of overlapping candidates (the earliest among equals), in text order."""
    chosen: list[_Cand] = []
    for c in sorted(cands, key=lambda c: (-(c.end - c.start), c.start)):
        if all(c.end <= o.start or o.end <= c.start for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


def find_dates(
    text: str,
    lang: str | None = None,
    *,
    anchor: Date | None = None,
    previous: DateValue | None = None,
) -> list[DateValue]:
    """Every date expression in `text`, in order, each resolved where it can be.

    `anchor` is the item's date (see `item_anchor`), for "six weeks ago"; `previous` the last
    resolved date of the text before this one, for "the following month". Within the text,
    each resolved date becomes `previous` for the expressions after it. `lang` ("en", "fr",
    "ar", "en-US"…) only changes how numeric dates are read: patterns of all three languages
    always apply, since testimonies mix them.
    """
    if not text:
        return []
    f = _Finder(text, (lang or "").lower() or None)
    _collect(f)
    out: list[DateValue] = []
    for c in _choose(f.cands):
        e, last, precision, basis = c.resolve(anchor, previous)
        value = _display(e, last) if e is not None and last is not None else ""
        dv = DateValue(
            c.start, c.end, text[c.start : c.end], e, last, precision, c.kind, basis, value
        )
        out.append(dv)
        if dv.resolved:
            previous = dv
    return out


# --- the item's own date --------------------------------------------------------------------

_SECTIONS = {
    "email": ("email", "email_unpacker"),
    "exif": ("exiftool", "exiftool_metadata"),
    "media": ("ffprobe", "ffprobe_metadata"),
    "pdf": ("pdf", "pdfium_text_extractor"),
}
_EXIF_DATE = re.compile(r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})")
_PDF_DATE = re.compile(r"^\s*(?:D:)?(\d{4})(\d{2})(\d{2})")
_EPOCHS = {Date(1980, 1, 1), Date(1904, 1, 1), Date(1601, 1, 1)}
_NOT_ITEM_DATES = ("System:", "File:", "ExifTool:", "Composite:FileModifyDate")


def _sections(metadata: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The metadata dicts of one source, whether keyed by source or by stage name."""
    out: list[Mapping[str, Any]] = []
    inner = _SECTIONS[kind][0]
    for name in _SECTIONS[kind]:
        value = metadata.get(name)
        if not isinstance(value, Mapping):
            continue
        nested = value.get(inner)
        if isinstance(nested, Mapping):
            out.append(nested)
        out.append(value)
    return out


def _parse_date(value: Any, kind: str) -> Date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, Date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    if kind == "email":
        try:
            return parsedate_to_datetime(s).date()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    m = (_PDF_DATE if kind == "pdf" else _EXIF_DATE).match(s) or _EXIF_DATE.match(s)
    if m is None:
        return None
    try:
        return Date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None  # 0000:00:00


def _exif_values(sections: list[Mapping[str, Any]], tags: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(key, value) of exiftool tags named `tags` (any group, in the order of `tags`)."""
    out: list[tuple[str, Any]] = []
    for tag in tags:
        for sec in sections:
            for key in sorted(sec):
                if key.startswith(_NOT_ITEM_DATES):
                    continue
                if key == tag or key.endswith(":" + tag):
                    out.append((key, sec[key]))
    return out


def _candidates(metadata: Mapping[str, Any]) -> list[tuple[str, str, Any, str]]:
    """(description, field, raw value, parse kind), best first; a field may repeat."""
    out: list[tuple[str, str, Any, str]] = []
    for sec in _sections(metadata, "email"):
        out.append(("e-mail Date header", "email:date", sec.get("date"), "email"))
        out.append(("e-mail Date header (UTC)", "email:date_utc", sec.get("date_utc"), "iso"))
    exif = [*_sections(metadata, "exif"), metadata]

    def tags(names: tuple[str, ...], groups: tuple[str, ...] | None, desc: str) -> None:
        for key, value in _exif_values(exif, names):
            if groups is None or key.split(":")[0] in groups:
                out.append((desc.format(key=key), f"exif:{key}", value, "exif"))

    tags(("DateTimeOriginal", "SubSecDateTimeOriginal"), None, "EXIF DateTimeOriginal ({key})")
    tags(("CreateDate",), ("ExifIFD", "EXIF", "IFD0", "CreateDate"), "EXIF CreateDate ({key})")
    for sec in _sections(metadata, "media"):
        fmt = sec.get("format")
        ftags = fmt.get("tags") if isinstance(fmt, Mapping) else None
        if isinstance(ftags, Mapping):
            for tag in ("com.apple.quicktime.creationdate", "creation_time", "date"):
                if tag in ftags:
                    out.append((f"media {tag} (ffprobe)", f"ffprobe:{tag}", ftags[tag], "iso"))
        streams = sec.get("streams")
        for stream in streams if isinstance(streams, list) else []:
            stags = stream.get("tags") if isinstance(stream, Mapping) else None
            if isinstance(stags, Mapping) and "creation_time" in stags:
                desc = "media stream creation_time (ffprobe)"
                out.append((desc, "ffprobe:stream", stags["creation_time"], "iso"))
    media_groups = ("Keys", "QuickTime", "UserData", "ItemList", "Track1", "Track2")
    tags(
        ("CreationDate", "MediaCreateDate", "TrackCreateDate", "ContentCreateDate", "CreateDate"),
        media_groups,
        "media creation date ({key})",
    )
    for sec in _sections(metadata, "pdf"):
        info = sec.get("info")
        if isinstance(info, Mapping) and "CreationDate" in info:
            out.append(("PDF CreationDate", "pdf:CreationDate", info["CreationDate"], "pdf"))
    tags(("CreateDate", "CreationDate"), ("PDF", "XMP-xmp", "XMP-pdf"), "PDF creation date ({key})")
    tags(
        ("DateCreated", "DateTimeDigitized", "ModifyDate", "MetadataDate", "CreateDate"),
        None,
        "{key} (exiftool)",
    )
    for sec in _sections(metadata, "pdf"):
        info = sec.get("info")
        if isinstance(info, Mapping) and "ModDate" in info:
            out.append(("PDF ModDate", "pdf:ModDate", info["ModDate"], "pdf"))
    return out


def item_anchor(
    metadata: Mapping[str, Any], *, today: Date | None = None
) -> tuple[Date | None, str]:
    """The item's own date, to count "six weeks ago" from, and where it came from.

    `metadata` maps a source to its metadata as the stages store them: "email" (e-mail
    headers), "exiftool", "ffprobe", "pdf" (keys of `item_metadata`), or the stage names
    ("email_unpacker"…) with either that dict or the stage's `metadata` ({"email": {...}})
    as value. Priority: the e-mail Date header, EXIF DateTimeOriginal (then EXIF CreateDate),
    the media creation time, the PDF CreationDate, then other creation or modification dates.
    Placeholders (1970-01-01 and before, 0000:00:00, the 1904 QuickTime and 1980 DOS epochs)
    and dates after tomorrow are ignored, and said so.
    """
    today = today or Date.today()
    ignored: list[str] = []
    seen: set[str] = set()
    for desc, field, raw, kind in _candidates(metadata):
        if raw is None or raw == "" or field in seen:
            continue
        seen.add(field)
        day = _parse_date(raw, kind)
        label = desc.split(" (")[0]
        if day is None:
            note = f"{label} {str(raw)[:40]!r} (not a date)"
        elif day <= Date(1970, 1, 1) or day in _EPOCHS:
            note = f"{label} {day.isoformat()} (a placeholder, not a real date)"
        elif day > today + datetime.timedelta(days=1):
            note = f"{label} {day.isoformat()} (in the future)"
        else:
            return day, desc + (f"; ignored {', '.join(ignored)}" if ignored else "")
        if note not in ignored:
            ignored.append(note)
    return None, "no date known for this item"
