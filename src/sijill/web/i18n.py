"""The interface's languages: English, French and Arabic, from gettext catalogues.

The catalogues are `web/locale/<lang>/LC_MESSAGES/sijill.po`, compiled in memory when first
used (no build step, no .mo file to go stale). `make messages` extracts the strings of the
templates and this package into `web/locale/sijill.pot` and merges them into each catalogue;
a test fails when a string has no translation.

The language is chosen, first to last: `?lang=` (then remembered in a cookie), the cookie,
the browser's Accept-Language, English. Arabic is right to left: pages say `dir="rtl"` and the
style sheet uses logical properties only, so the layout mirrors by itself.
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("en", "fr", "ar")
NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}
RTL = frozenset({"ar"})
COOKIE = "sijill_lang"
DOMAIN = "sijill"
LOCALE_DIR = Path(__file__).parent / "locale"


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang` (English is the source language: no catalogue)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.exists():
        return NullTranslations()
    with open(po, "rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language for a request (see the module's docstring)."""
    for choice in (query, cookie):
        if choice in LOCALES:
            return choice
    for lang in _accepted(accept or ""):
        base = lang.split("-")[0].lower()
        if base in LOCALES:
            return base
    return "en"


def _accepted(header: str) -> list[str]:
    """Accept-Language's tags, best first (q=0 left out)."""
    out: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            out.append((-q, n, tag.strip()))
    return [t for _, _, t in sorted(out)]


def direction(lang: str) -> str:
    return "rtl" if lang in RTL else "ltr"


def fmt_number(value: float | int | None, lang: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=_locale(lang))


def fmt_date(value: str | date | datetime | None, lang: str, *, time: bool = False) -> str:
    """A date (or an ISO date string, as the services give them) in the language's form."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: date | datetime = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if len(value) <= 10:
            parsed = parsed.date() if isinstance(parsed, datetime) else parsed
        value = parsed
    if isinstance(value, datetime):
        if time:
            return format_datetime(value, "medium", locale=_locale(lang))
        value = value.date()
    return format_date(value, "long", locale=_locale(lang))


def fmt_seconds(value: float | None) -> str:
    """83.2 → 1:23 (times in a recording are written the same in every language here)."""
    if value is None:
        return ""
    total = int(value)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LOCALES else "en")
