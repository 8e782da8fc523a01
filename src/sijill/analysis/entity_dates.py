"""Dates in English, French and Arabic text, with Arabic-Indic digits, as DATE mentions.

A month name counts as a date only with a day or a year beside it, or after "شهر" (month):
"آب" alone is also "father" and "may" a verb. Matching runs on normalised text (أيار → ايار,
août → aout) and maps back to exact offsets. `info` carries what could be read: year, month,
day and calendar (gregorian or hijri); the key is ISO-like (2014-07, 2024-05-05) when known.
"""

from __future__ import annotations

import re
from typing import Any

from sijill.analysis.mentions import Mention, original_span
from sijill.text.normalise import normalize, normalize_with_map

_GREGORIAN = {
    1: "january jan janvier janv يناير كانون_الثاني كانون_التاني",
    2: "february feb fevrier fevr فبراير شباط",
    3: "march mars مارس اذار",
    4: "april apr avril ابريل نيسان",
    5: "may mai مايو ايار",
    6: "june jun juin يونيو يونيه حزيران",
    7: "july jul juillet يوليو يوليه تموز",
    8: "august aug aout اغسطس اب",
    9: "september sept sep septembre سبتمبر ايلول",
    10: "october oct octobre اكتوبر تشرين_الاول",
    11: "november nov novembre نوفمبر تشرين_الثاني تشرين_التاني",
    12: "december dec decembre ديسمبر كانون_الاول",
}
_HIJRI = {
    1: "محرم",
    2: "صفر",
    3: "ربيع_الاول",
    4: "ربيع_الثاني ربيع_الاخر",
    5: "جمادي_الاولي",
    6: "جمادي_الاخره جمادي_الثانيه",
    7: "رجب",
    8: "شعبان",
    9: "رمضان",
    10: "شوال",
    11: "ذو_القعده ذي_القعده",
    12: "ذو_الحجه ذي_الحجه",
}
_MONTHS: dict[str, tuple[int, str]] = {}
for _cal, _table in (("gregorian", _GREGORIAN), ("hijri", _HIJRI)):
    for _num, _names in _table.items():
        for _name in _names.split():
            _MONTHS[normalize(_name.replace("_", " "))] = (_num, _cal)

_MONTH_ALT = "|".join(
    re.escape(m).replace(r"\ ", r"\s+") for m in sorted(_MONTHS, key=len, reverse=True)
)
_MONTH = rf"(?:{_MONTH_ALT})\.?"
_DAY = r"(?P<day>\d{1,2})(?:er|st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})(?:\s*(?:م|ه|هـ|ad|ce))?"
_ALT_MONTH = rf"(?:\s*[/(]\s*{_MONTH}\s*\)?)?"
_DATE_RE = re.compile(
    # A word starts here, or after an attached Arabic و ف ب ل ("بحزيران 2016": in June 2016).
    rf"(?:(?<!\w)|(?<=(?<!\w)[وفبل]))(?:"
    rf"(?:{_DAY}\s+(?:de\s+)?)?(?P<m1>{_MONTH}){_ALT_MONTH}(?:\s*,?\s+(?:de\s+)?{_YEAR})?"
    rf"|(?P<m2>{_MONTH})\s+(?P<day2>\d{{1,2}}),?\s+(?P<year2>\d{{4}})"
    rf"|(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))"
    rf"|(?P<num>(?P<nd>\d{{1,2}})[/.](?P<nm>\d{{1,2}})[/.](?P<ny>\d{{4}}))"
    rf"|(?P<yearword>(?:عام|سنه|العام)\s+(?P<year3>\d{{4}}))"
    rf")(?!\w)"
)
_MONTH_WORD = re.compile(r"(?:شهر|month of|mois de|mois d')\s*$")


def find_dates(text: str) -> list[Mention]:
    folded, nmap = normalize_with_map(text)
    out = []
    for m in _DATE_RE.finditer(folded):
        info = _read(m)
        if info is None:
            continue
        ns = m.start()
        if ns > 0 and folded[ns - 1] == "ب" and folded.startswith("اب", ns):
            continue  # "باب" is "door", not "in August" (آب)
        if m.group("m1") and not (m.group("day") or m.group("year")):
            prefix = _MONTH_WORD.search(folded, 0, ns)
            if prefix is None:
                continue
            ns = prefix.start()
        start, end = original_span(nmap, ns, m.end(), len(text))
        out.append(
            Mention(
                "DATE",
                text[start:end],
                start,
                end,
                _key(info, folded[ns : m.end()]),
                "rule:date",
                info,
            )
        )
    return out


def _read(m: re.Match[str]) -> dict[str, Any] | None:
    """Year, month, day and calendar; None for impossible numbers (a score, not a date)."""
    if m.group("iso"):
        year, month, day = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        cal = "gregorian"
    elif m.group("num"):
        year, month, day = int(m.group("ny")), int(m.group("nm")), int(m.group("nd"))
        cal = "gregorian"
    elif m.group("yearword"):
        return {"year": int(m.group("year3"))}
    else:
        word = m.group("m1") or m.group("m2")
        month, cal = _MONTHS[re.sub(r"\s+", " ", word.rstrip("."))]
        day_s = m.group("day") or m.group("day2")
        year_s = m.group("year") or m.group("year2")
        day = int(day_s) if day_s else 0
        year = int(year_s) if year_s else 0
    if not 1 <= month <= 12 or day > 31:
        return None
    info: dict[str, Any] = {"month": month, "calendar": cal}
    if year:
        info["year"] = year
    if day:
        info["day"] = day
    return info


def _key(info: dict[str, Any], folded: str) -> str:
    if "year" not in info:
        return " ".join(folded.split())
    parts = [f"{info['year']:04d}"]
    if "month" in info:
        parts.append(f"{info['month']:02d}")
        if "day" in info:
            parts.append(f"{info['day']:02d}")
    key = "-".join(parts)
    return f"{key} AH" if info.get("calendar") == "hijri" else key
