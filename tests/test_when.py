"""Dates as intervals: absolute and relative, English, French and Arabic; the item's own date.

Every date found by every test is checked for exact offsets. All names are fictional.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sijill.analysis.when import (
    NO_BASE,
    DateValue,
    find_dates,
    gap_days,
    item_anchor,
    overlap,
)

ANCHOR = dt.date(2015, 3, 2)  # a Monday
D = dt.date


def _dates(text: str, lang: str | None = None, **kw: Any) -> list[DateValue]:
    found = find_dates(text, lang, **kw)
    for d in found:
        assert text[d.start : d.end] == d.text, d
        assert (d.earliest is None) == (d.latest is None) == (d.value == ""), d
        if d.earliest is not None and d.latest is not None:
            assert d.earliest <= d.latest, d
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start, (a, b)
    return found


def _one(text: str, lang: str | None = None, **kw: Any) -> DateValue:
    found = _dates(text, lang, **kw)
    assert len(found) == 1, found
    return found[0]


def _by_text(text: str, lang: str | None = None, **kw: Any) -> dict[str, DateValue]:
    return {d.text: d for d in _dates(text, lang, **kw)}


def _prev(text: str) -> DateValue:
    return _one(text)


# --- absolute -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expr", "value", "precision"),
    [
        (
            "He was arrested on 5 July 2014 in the morning.",
            "en",
            "5 July 2014",
            "2014-07-05",
            "day",
        ),
        ("He was arrested on July 5, 2014.", "en", "July 5, 2014", "2014-07-05", "day"),
        ("on the 5th of July 2014", "en", "5th of July 2014", "2014-07-05", "day"),
        ("Il a été arrêté le 5 juillet 2014.", "fr", "5 juillet 2014", "2014-07-05", "day"),
        ("اعتقل في ٥ تموز ٢٠١٤ صباحاً", "ar", "٥ تموز ٢٠١٤", "2014-07-05", "day"),
        ("اعتقل في 5 يوليو 2014", "ar", "5 يوليو 2014", "2014-07-05", "day"),
        ("It started in July 2014.", "en", "July 2014", "2014-07", "month"),
        ("C'était en août 2013.", "fr", "août 2013", "2013-08", "month"),
        ("في آب 2013 بدأ القصف", "ar", "آب 2013", "2013-08", "month"),
        ("في أغسطس 2013 بدأ القصف", "ar", "أغسطس 2013", "2013-08", "month"),
        ("في كانون الثاني 2015", "ar", "كانون الثاني 2015", "2015-01", "month"),
        ("report dated 2014-07-05", "en", "2014-07-05", "2014-07-05", "day"),
        ("daté du 2014/07/05", "fr", "2014/07/05", "2014-07-05", "day"),
        ("filed in 2014-07", "en", "2014-07", "2014-07", "month"),
        ("dossier 07/2014", "fr", "07/2014", "2014-07", "month"),
        ("عام 2014", "ar", "عام 2014", "2014", "year"),
    ],
)
def test_absolute_dates_in_three_languages(
    text: str, lang: str, expr: str, value: str, precision: str
) -> None:
    d = _one(text, lang)
    assert (d.text, d.value, d.precision, d.kind) == (expr, value, precision, "absolute")
    assert d.basis.startswith("written")


def test_numeric_dates_are_day_month_year_unless_they_cannot_be() -> None:
    d = _one("le 5/7/2014")
    assert d.value == "2014-07-05"
    assert "day/month/year" in d.basis
    d = _one("on 7/25/2014")
    assert d.value == "2014-07-25"
    assert "month/day/year" in d.basis
    assert _one("on 5/7/2014", "en-US").value == "2014-05-07"
    assert _one("le 5.7.2014").value == "2014-07-05"
    assert _one("WhatsApp 05/07/14").value == "2014-07-05"
    assert _dates("on 31/02/2014") == []  # no 31 February
    assert _dates("score 25/13/2014") == []


def test_harakat_and_tatweel_stay_inside_the_span() -> None:
    text = "اعْتُقِلَ فِي ٥ تَمُّوزَ ٢٠١٤ ثُمَّ أُطْلِقَ"
    d = _one(text, "ar")
    assert d.text == "٥ تَمُّوزَ ٢٠١٤"
    assert d.value == "2014-07-05"
    text = "قَبْلَ سِتَّةِ أَسَابِيعَ"
    d = _one(text, "ar", anchor=ANCHOR)
    assert d.text == text
    assert d.value == "2015-01-19"


def test_a_sentence_full_stop_is_not_part_of_a_month() -> None:
    d = _one("وصلنا في شهر رمضان.", "ar", anchor=ANCHOR)
    assert d.text == "شهر رمضان"


def test_hijri_dates_become_approximate_gregorian_intervals() -> None:
    d = _one("اعتقل في رمضان 1435 هـ", "ar")
    assert d.text == "رمضان 1435 هـ"
    assert d.precision == "month"
    assert d.earliest is not None and d.latest is not None
    # Ramadan 1435 began on 28-29 June 2014 and ended on 27-28 July 2014.
    assert d.earliest <= D(2014, 6, 29) and D(2014, 6, 27) <= d.earliest
    assert D(2014, 7, 27) <= d.latest <= D(2014, 7, 30)
    assert "Hijri" in d.basis and "tabular" in d.basis
    y = _one("في عام 1435 هـ", "ar")
    assert y.precision == "year"
    assert y.earliest is not None and y.latest is not None
    assert y.earliest <= D(2013, 11, 5) and D(2014, 10, 24) <= y.latest
    assert overlap(d, y) == "same"
    assert _one("in 1435 AH").value == y.value


@pytest.mark.parametrize(
    ("text", "lang", "expr", "value"),
    [
        ("in summer 2015", "en", "summer 2015", "2015-06..2015-08"),
        ("during the summer of 2015", "en", "the summer of 2015", "2015-06..2015-08"),
        ("pendant l'été 2015", "fr", "l'été 2015", "2015-06..2015-08"),
        ("au printemps 2016", "fr", "printemps 2016", "2016-03..2016-05"),
        ("في صيف 2015", "ar", "صيف 2015", "2015-06..2015-08"),
        ("في خريف عام 2013", "ar", "خريف عام 2013", "2013-09..2013-11"),
        ("in winter 2015", "en", "winter 2015", "2014-12..2015-02"),
    ],
)
def test_seasons(text: str, lang: str, expr: str, value: str) -> None:
    d = _one(text, lang)
    assert (d.text, d.value, d.precision, d.kind) == (expr, value, "season", "absolute")


@pytest.mark.parametrize(
    ("text", "lang", "expr", "value"),
    [
        ("in early 2014", "en", "early 2014", "2014-01..2014-04"),
        ("by the end of 2016", "en", "the end of 2016", "2016-09..2016-12"),
        ("in mid-2014", "en", "mid-2014", "2014-05..2014-08"),
        ("début 2014", "fr", "début 2014", "2014-01..2014-04"),
        ("à la fin de 2016", "fr", "fin de 2016", "2016-09..2016-12"),
        ("à la mi-juillet 2014", "fr", "mi-juillet 2014", "2014-07-11..2014-07-20"),
        ("في أوائل 2014", "ar", "أوائل 2014", "2014-01..2014-04"),
        ("في نهاية عام 2016", "ar", "نهاية عام 2016", "2016-09..2016-12"),
        ("في أواخر تموز 2014", "ar", "أواخر تموز 2014", "2014-07-21..2014-07-31"),
        ("in early July 2014", "en", "early July 2014", "2014-07-01..2014-07-10"),
    ],
)
def test_parts_of_years_and_months(text: str, lang: str, expr: str, value: str) -> None:
    d = _one(text, lang)
    assert (d.text, d.value, d.precision, d.kind) == (expr, value, "range", "absolute")


@pytest.mark.parametrize(
    ("text", "lang", "expr"),
    [
        ("in the 1990s", "en", "the 1990s"),
        ("in the '90s", "en", "the '90s"),
        ("dans les années 90", "fr", "les années 90"),
        ("dans les années 1990", "fr", "les années 1990"),
        ("في التسعينيات", "ar", "التسعينيات"),
        ("في تسعينيات القرن الماضي", "ar", "تسعينيات القرن الماضي"),
    ],
)
def test_decades(text: str, lang: str, expr: str) -> None:
    d = _one(text, lang)
    assert (d.text, d.value, d.precision) == (expr, "1990..1999", "range")
    assert (d.earliest, d.latest) == (D(1990, 1, 1), D(1999, 12, 31))


@pytest.mark.parametrize(
    ("text", "lang", "expr", "value"),
    [
        ("between March and May 2015", "en", None, "2015-03..2015-05"),
        ("from 2013 to 2015", "en", None, "2013..2015"),
        ("from November to February 2015", "en", None, "2014-11..2015-02"),
        ("from March 2014 to May 2015", "en", None, "2014-03..2015-05"),
        ("from 5 to 7 July 2014", "en", None, "2014-07-05..2014-07-07"),
        ("during March–May 2015", "en", "March–May 2015", "2015-03..2015-05"),
        ("the war of 2013-2015", "en", "2013-2015", "2013..2015"),
        ("entre mars et mai 2015", "fr", None, "2015-03..2015-05"),
        ("de 2013 à 2015", "fr", None, "2013..2015"),
        ("du 3 au 5 mars 2015", "fr", None, "2015-03-03..2015-03-05"),
        ("بين آذار وأيار 2015", "ar", None, "2015-03..2015-05"),
        ("من 2013 إلى 2015", "ar", None, "2013..2015"),
        ("بين عامي 2013 و2015", "ar", None, "2013..2015"),
    ],
)
def test_ranges(text: str, lang: str, expr: str | None, value: str) -> None:
    d = _one(text, lang)
    assert d.text == (expr or text)
    assert (d.value, d.precision, d.kind) == (value, "range", "absolute")


def test_bare_years_only_in_a_date_context_and_not_before_a_counted_noun() -> None:
    assert _one("It happened in 2014, they said.").value == "2014"
    assert _one("Cela s'est passé en 2014.", "fr").text == "2014"
    assert _one("حدث ذلك في 2014", "ar").value == "2014"
    assert _one("حدث ذلك سنة 2014", "ar").value == "2014"
    assert _one("the report (2014) says").value == "2014"
    assert _dates("There were 2014 fighters.") == []
    assert _dates("in 2014 fighters crossed the river") == []
    assert _dates("en 2014 combattants") == []
    assert _dates("Room 2014 was full. The 2014 offensive.") == []
    assert _dates("in 1900 and in 2099") == []  # outside 1950-2035


def test_a_month_alone_needs_a_date_word_before_it() -> None:
    assert _dates("Mars is a planet; may I ask?", anchor=ANCHOR) == []
    d = _one("They came back in July.", anchor=ANCHOR)
    assert d.text == "July"
    assert d.kind == "relative"


# --- relative to the item's date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expr"),
    [
        ("He disappeared six weeks ago.", "en", "six weeks ago"),
        ("He disappeared 6 weeks ago.", "en", "6 weeks ago"),
        ("Il a disparu il y a six semaines.", "fr", "il y a six semaines"),
        ("Il a disparu il y a 6 semaines.", "fr", "il y a 6 semaines"),
        ("اختفى قبل ستة أسابيع", "ar", "قبل ستة أسابيع"),
        ("اختفى قبل ٦ أسابيع", "ar", "قبل ٦ أسابيع"),
        ("اختفى منذ ستة أسابيع", "ar", "منذ ستة أسابيع"),
    ],
)
def test_weeks_ago_in_three_languages(text: str, lang: str, expr: str) -> None:
    d = _one(text, lang, anchor=ANCHOR)
    assert (d.text, d.value, d.precision, d.kind) == (expr, "2015-01-19", "day", "relative")
    assert d.basis == "6 weeks before the item's date 2015-03-02"


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("two years ago", "en", "2013"),
        ("a year ago", "en", "2014"),
        ("three days ago", "en", "2015-02-27"),
        ("two months ago", "en", "2015-01"),
        ("twenty-one days ago", "en", "2015-02-09"),
        ("il y a deux ans", "fr", "2013"),
        ("il y a un mois", "fr", "2015-02"),
        ("il y a vingt et un jours", "fr", "2015-02-09"),
        ("قبل سنتين", "ar", "2013"),
        ("قبل عامين", "ar", "2013"),
        ("قبل شهرين", "ar", "2015-01"),
        ("قبل يومين", "ar", "2015-02-28"),
        ("قبل أسبوعين", "ar", "2015-02-16"),
        ("قبل ثلاث سنوات", "ar", "2012"),
        ("قبل ثلاثة أيام", "ar", "2015-02-27"),
        ("قبل عشرة أيام", "ar", "2015-02-20"),
        ("قبل أحد عشر يوماً", "ar", "2015-02-19"),
        ("قبل عشرين يوما", "ar", "2015-02-10"),
        ("قبل سنة", "ar", "2014"),
        ("قبل يوم واحد", "ar", "2015-03-01"),
    ],
)
def test_counts_ago_words_digits_duals(text: str, lang: str, value: str) -> None:
    d = _one(text, lang, anchor=ANCHOR)
    assert d.text == text
    assert (d.value, d.kind) == (value, "relative")


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("last year", "en", "2014"),
        ("l'année dernière", "fr", "2014"),
        ("l'an dernier", "fr", "2014"),
        ("العام الماضي", "ar", "2014"),
        ("السنة الماضية", "ar", "2014"),
        ("last month", "en", "2015-02"),
        ("le mois dernier", "fr", "2015-02"),
        ("الشهر الماضي", "ar", "2015-02"),
        ("yesterday", "en", "2015-03-01"),
        ("hier", "fr", "2015-03-01"),
        ("أمس", "ar", "2015-03-01"),
        ("البارحة", "ar", "2015-03-01"),
        ("the day before yesterday", "en", "2015-02-28"),
        ("avant-hier", "fr", "2015-02-28"),
        ("أول أمس", "ar", "2015-02-28"),
        ("this year", "en", "2015"),
        ("cette année", "fr", "2015"),
        ("هذا العام", "ar", "2015"),
        ("last week", "en", "2015-02-23..2015-03-01"),
        ("la semaine dernière", "fr", "2015-02-23..2015-03-01"),
        ("الأسبوع الماضي", "ar", "2015-02-23..2015-03-01"),
        ("last summer", "en", "2014-06..2014-08"),
        ("l'été dernier", "fr", "2014-06..2014-08"),
        ("الصيف الماضي", "ar", "2014-06..2014-08"),
    ],
)
def test_named_relative_dates(text: str, lang: str, value: str) -> None:
    d = _one(f"« {text} »", lang, anchor=ANCHOR)
    assert (d.text, d.value, d.kind) == (text, value, "relative")
    assert "the item's date 2015-03-02" in d.basis


def test_vague_counts_give_ranges() -> None:
    d = _one("a few days ago", anchor=ANCHOR)
    assert (d.earliest, d.latest, d.precision) == (D(2015, 2, 25), D(2015, 2, 28), "range")
    d = _one("il y a quelques semaines", "fr", anchor=ANCHOR)
    assert d.earliest is not None and d.latest is not None
    assert d.earliest < d.latest < ANCHOR


def test_arabic_today_is_not_the_day_of_something() -> None:
    assert _one("اعتقلوه اليوم", "ar", anchor=ANCHOR).value == "2015-03-02"
    assert _dates("في اليوم الأول من الاعتقال", "ar", anchor=ANCHOR) == []


def test_counts_from_another_event_are_left_out() -> None:
    assert _dates("قبل ستة أسابيع من الهجوم", "ar", anchor=ANCHOR) == []
    assert _dates("بعد يومين من اعتقاله", "ar", anchor=ANCHOR) == []
    assert _dates("the day after the raid", "en", anchor=ANCHOR) == []
    assert _dates("le lendemain de son arrestation", "fr", anchor=ANCHOR) == []
    # "before the month of Ramadan" is not "a month ago"
    d = _one("قبل شهر رمضان", "ar", anchor=ANCHOR)
    assert d.text == "شهر رمضان"


@pytest.mark.parametrize(
    "text",
    [
        "six weeks ago",
        "il y a six semaines",
        "قبل ستة أسابيع",
        "last year",
        "العام الماضي",
        "hier",
        "the following month",
        "le mois suivant",
        "الشهر التالي",
        "two days later",
        "بعد يومين",
        "the same day",
        "that summer",
        "in July",
    ],
)
def test_unresolved_without_a_date_to_count_from(text: str) -> None:
    d = _one(text)
    assert d.text in text
    assert (d.earliest, d.latest, d.value) == (None, None, "")
    assert (d.precision, d.kind, d.basis) == ("unknown", "relative", NO_BASE)


def test_anchor_alone_does_not_resolve_what_counts_from_the_text() -> None:
    d = _one("the following month", anchor=ANCHOR)
    assert d.basis == NO_BASE
    d = _one("six weeks ago", previous=_prev("5 July 2014"))
    assert d.basis == NO_BASE


# --- relative to the last date of the text ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value", "precision"),
    [
        ("the following month", "en", "2014-08", "month"),
        ("the next month", "en", "2014-08", "month"),
        ("in the month after, they moved him", "en", "2014-08", "month"),
        ("le mois suivant", "fr", "2014-08", "month"),
        ("le mois qui a suivi", "fr", "2014-08", "month"),
        ("الشهر التالي", "ar", "2014-08", "month"),
        ("في الشهر الذي تلاه", "ar", "2014-08", "month"),
        ("two days later", "en", "2014-07-07", "day"),
        ("deux jours plus tard", "fr", "2014-07-07", "day"),
        ("deux jours après.", "fr", "2014-07-07", "day"),
        ("بعد يومين", "ar", "2014-07-07", "day"),
        ("بعد ذلك بيومين", "ar", "2014-07-07", "day"),
        ("بعد ثلاثة أيام", "ar", "2014-07-08", "day"),
        ("three days earlier", "en", "2014-07-02", "day"),
        ("قبل ذلك بثلاثة أيام", "ar", "2014-07-02", "day"),
        ("قبل يومين من ذلك", "ar", "2014-07-03", "day"),
        ("the next day", "en", "2014-07-06", "day"),
        ("le lendemain", "fr", "2014-07-06", "day"),
        ("في اليوم التالي", "ar", "2014-07-06", "day"),
        ("la veille", "fr", "2014-07-04", "day"),
        ("the following year", "en", "2015", "year"),
        ("l'année suivante", "fr", "2015", "year"),
        ("في العام التالي", "ar", "2015", "year"),
        ("a year later", "en", "2015", "year"),
        ("the same day", "en", "2014-07-05", "day"),
        ("that same day", "en", "2014-07-05", "day"),
        ("le même jour", "fr", "2014-07-05", "day"),
        ("ce jour-là", "fr", "2014-07-05", "day"),
        ("في اليوم نفسه", "ar", "2014-07-05", "day"),
        ("في نفس اليوم", "ar", "2014-07-05", "day"),
        ("that year", "en", "2014", "year"),
        ("cette année-là", "fr", "2014", "year"),
        ("في ذلك العام", "ar", "2014", "year"),
        ("that summer", "en", "2014-06..2014-08", "season"),
        ("cet été-là", "fr", "2014-06..2014-08", "season"),
        ("ذلك الصيف", "ar", "2014-06..2014-08", "season"),
    ],
)
def test_relative_to_the_previous_date(text: str, lang: str, value: str, precision: str) -> None:
    prev = _prev("5 July 2014")
    d = _one(text, lang, previous=prev, anchor=ANCHOR)
    assert (d.value, d.precision, d.kind) == (value, precision, "relative")
    assert d.basis.endswith("5 July 2014 (earlier in the text)")


def test_basis_says_what_was_counted_from() -> None:
    d = _one("the following month", previous=_prev("July 2014"))
    assert d.basis == "the month after July 2014 (earlier in the text)"
    d = _one("two days later", previous=_prev("5 July 2014"))
    assert d.basis == "2 days after 5 July 2014 (earlier in the text)"


def test_coarse_previous_gives_an_honest_range() -> None:
    d = _one("two days later", previous=_prev("July 2014"))
    assert (d.earliest, d.latest, d.precision) == (D(2014, 7, 3), D(2014, 8, 2), "range")


def test_previous_is_threaded_through_the_text() -> None:
    text = (
        "On 5 July 2014 Karim Haddad was arrested. The following month he was moved. "
        "Two days later his brother Sami came. في اليوم نفسه أطلقوا سراح أمين."
    )
    found = _dates(text, anchor=ANCHOR)
    assert [d.value for d in found] == ["2014-07-05", "2014-08", "2014-08-03..2014-09-02"] + [
        "2014-08-03..2014-09-02"
    ]
    assert [d.kind for d in found] == ["absolute", "relative", "relative", "relative"]


def test_arabic_chain_with_harakat() -> None:
    text = "فِي ٥ تَمُّوز ٢٠١٤ اعْتُقِلَ، وَبَعْدَ يَوْمَيْنِ أُطْلِقَ، وَفِي الشَّهْرِ التَّالِي عَادَ."
    found = _dates(text, "ar")
    assert [d.value for d in found] == ["2014-07-05", "2014-07-07", "2014-08"]
    assert found[1].text == "بَعْدَ يَوْمَيْنِ"
    assert found[2].text == "الشَّهْرِ التَّالِي"


def test_month_or_day_without_a_year() -> None:
    # From the date before it in the text…
    d = _one("on 5 January", previous=_prev("3 January 2015"))
    assert (d.value, d.kind) == ("2015-01-05", "relative")
    assert "3 January 2015" in d.basis
    # …else the last such day on or before the item's date…
    assert _one("on 5 January", anchor=ANCHOR).value == "2015-01-05"
    assert _one("في شهر تموز", "ar", anchor=ANCHOR).value == "2014-07"
    assert _one("en juillet", "fr", anchor=ANCHOR).value == "2014-07"
    # …else nothing is invented.
    assert _one("on 5 January").basis == NO_BASE


# --- comparing --------------------------------------------------------------------------------


def test_overlap_and_gap() -> None:
    july = _prev("July 2014")
    fifth = _prev("5 July 2014")
    seventh = _prev("7 July 2014")
    august = _prev("August 2014")
    unknown = _one("the following month")
    assert overlap(july, fifth) == "same"
    assert overlap(fifth, seventh) == "different"
    assert overlap(july, august) == "different"
    assert overlap(july, unknown) == overlap(unknown, july) == "unknown"
    assert gap_days(fifth, seventh) == gap_days(seventh, fifth) == 2
    assert gap_days(july, fifth) == 0
    assert gap_days(july, august) == 1
    assert gap_days(july, unknown) is None
    summer = _prev("summer 2014")
    assert overlap(summer, july) == "same"
    assert overlap(summer, _prev("in 2015")) == "different"


def test_relative_and_absolute_expressions_of_the_same_day_agree() -> None:
    a = _one("six weeks ago", anchor=ANCHOR)
    b = _one("اعتقل في 19 كانون الثاني 2015", "ar")
    assert overlap(a, b) == "same"
    assert gap_days(a, b) == 0


# --- the item's own date ----------------------------------------------------------------------

_FULL: dict[str, Any] = {
    "email": {"date": "Mon, 02 Mar 2015 23:30:00 -0500", "date_utc": "2015-03-03T04:30:00Z"},
    "exiftool": {
        "ExifIFD:DateTimeOriginal": "2014:07:05 10:00:00",
        "ExifIFD:CreateDate": "2014:07:06 10:00:00",
        "System:FileModifyDate": "2015:01:01 00:00:00+00:00",
    },
    "ffprobe": {"format": {"tags": {"creation_time": "2013-04-01T00:00:00.000000Z"}}},
    "pdf": {"pages": 1, "info": {"CreationDate": "D:20120501101500+02'00'"}},
}


def _without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in _FULL.items() if k not in keys}


def test_item_anchor_priority() -> None:
    day, why = item_anchor(_FULL, today=D(2020, 1, 1))
    assert (day, why) == (D(2015, 3, 2), "e-mail Date header")  # the sender's own date
    day, why = item_anchor(_without("email"), today=D(2020, 1, 1))
    assert day == D(2014, 7, 5)
    assert why.startswith("EXIF DateTimeOriginal")
    day, why = item_anchor(_without("email", "exiftool"), today=D(2020, 1, 1))
    assert day == D(2013, 4, 1)
    assert "creation_time" in why
    day, why = item_anchor(_without("email", "exiftool", "ffprobe"), today=D(2020, 1, 1))
    assert (day, why) == (D(2012, 5, 1), "PDF CreationDate")


def test_item_anchor_accepts_stage_names_and_stage_metadata() -> None:
    md = {
        "email_unpacker": {"email": {"date": "2015-03-02T10:15:00+03:00", "format": "msg"}},
        "exiftool_metadata": {"exiftool": {"QuickTime:CreateDate": "2013:01:01 00:00:00"}},
    }
    assert item_anchor(md, today=D(2020, 1, 1)) == (D(2015, 3, 2), "e-mail Date header")
    del md["email_unpacker"]
    day, why = item_anchor(md, today=D(2020, 1, 1))
    assert day == D(2013, 1, 1)
    assert "QuickTime:CreateDate" in why


def test_item_anchor_ignores_placeholders_and_future_dates() -> None:
    md = {
        "email": {"date": "Thu, 01 Jan 1970 00:00:00 +0000"},
        "exiftool": {
            "ExifIFD:DateTimeOriginal": "0000:00:00 00:00:00",
            "QuickTime:CreateDate": "1904:01:01 00:00:00",
            "System:FileModifyDate": "2015:01:01 00:00:00+00:00",  # our temp copy
        },
        "ffprobe": {"format": {"tags": {"creation_time": "2031-01-01T00:00:00Z"}}},
        "pdf": {"info": {"CreationDate": "D:20120501"}},
    }
    day, why = item_anchor(md, today=D(2020, 1, 1))
    assert day == D(2012, 5, 1)
    assert why.startswith("PDF CreationDate; ignored ")
    assert "1970-01-01" in why and "1904-01-01" in why and "2031-01-01" in why
    del md["pdf"]
    assert item_anchor(md, today=D(2020, 1, 1)) == (None, "no date known for this item")
    # Tomorrow is allowed (time zones); later is not.
    future = {"email": {"date": "Thu, 02 Jan 2020 09:00:00 +0000"}}
    assert item_anchor(future, today=D(2020, 1, 1))[0] == D(2020, 1, 2)
    assert item_anchor(future, today=D(2019, 12, 30))[0] is None


def test_item_anchor_with_nothing() -> None:
    assert item_anchor({}) == (None, "no date known for this item")
    assert item_anchor({"email": {"date": None}, "pdf": {"info": {}}})[0] is None


def test_item_anchor_feeds_find_dates() -> None:
    anchor, _ = item_anchor({"email": {"date": "Mon, 02 Mar 2015 10:00:00 +0000"}})
    d = _one("il y a six semaines", "fr", anchor=anchor)
    assert d.value == "2015-01-19"


@pytest.mark.parametrize(
    ("text", "expr", "value"),
    [
        ("بكانون الثاني 2014 سيطرت الكتيبة على الصوامع", "كانون الثاني 2014", "2014-01"),
        ("بحزيران ٢٠١٧ طلع الرتل من الرقة", "حزيران ٢٠١٧", "2017-06"),
        ("وآذار 2015 كان باردا", "آذار 2015", "2015-03"),
    ],
)
def test_arabic_month_after_an_attached_preposition(text: str, expr: str, value: str) -> None:
    (d,) = find_dates(text, "ar")
    assert (d.text, d.value) == (expr, value)
    assert text[d.start : d.end] == expr


def test_bab_is_a_door_not_august() -> None:
    assert find_dates("وقفنا عند باب 2014 في السوق", "ar") == []


def test_levantine_month_names() -> None:
    # Spoken Syrian Arabic says التاني for الثاني: November and January all the same.
    nov = find_dates("بتشرين التاني ٢٠١٦ قصف الطيران الجسر", "ar")
    jan = find_dates("بكانون التاني ٢٠١٦ راح منا كتير", "ar")
    assert [(d.earliest, d.latest) for d in nov] == [(dt.date(2016, 11, 1), dt.date(2016, 11, 30))]
    assert [(d.earliest, d.latest) for d in jan] == [(dt.date(2016, 1, 1), dt.date(2016, 1, 31))]
