"""Counted quantities in English, French and Arabic, and whether two of them agree.

Every quantity found by every test is checked for exact offsets. All names are fictional.
"""

from __future__ import annotations

import pytest

from sijill.analysis.numbers import UNITS, Quantity, agree, find_quantities, parse_number
from sijill.analysis.quantities import quantities


def _qs(text: str, lang: str | None = None) -> list[Quantity]:
    found = quantities(text, lang)
    for q in found:
        assert text[q.start : q.end] == q.text, q
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start, (a, b)
    return found


def _one(text: str, lang: str | None = None) -> Quantity:
    found = _qs(text, lang)
    assert len(found) == 1, found
    return found[0]


def _q(value: float, unit: str = "", approx: bool = False, **kw: float) -> Quantity:
    return Quantity(0, 1, "x", value, approx, unit, kw.get("low"), kw.get("high"))


# --- digits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("1,500 prisoners", "en", 1500),
        ("1 500 prisonniers", "fr", 1500),
        ("1\u202f500 prisonniers", "fr", 1500),
        ("1.500 prisonniers", "fr", 1500),
        ("1.500 prisonniers", None, 1500),
        ("١٬٥٠٠ معتقل", "ar", 1500),
        ("١٥٠٠ معتقل", "ar", 1500),
        ("۱۵۰۰ معتقل", "ar", 1500),
        ("2,500,000 people", "en", 2_500_000),
        ("1 500 000 people", "en", 1_500_000),
        ("2 million people", "en", 2_000_000),
        ("3 آلاف شخص", "ar", 3000),
    ],
)
def test_digits_with_thousands_separators(text: str, lang: str | None, value: float) -> None:
    q = _one(text, lang)
    assert q.text == text
    assert q.value == value
    assert q.unit in ("prisoner", "person")
    assert not q.approx


def test_decimals_and_the_language_of_the_separator() -> None:
    assert _one("2.5 km", "en").value == 2.5
    assert _one("2,5 km", "fr").value == 2.5
    assert _one("٢٫٥ كم", "ar").value == 2.5
    assert _one("1.500 km", "en").value == 1.5  # English: "." is a decimal point
    assert _one("1,500 km", "fr").value == 1.5  # French: "," is a decimal point
    assert _one("1,500 km", "en").value == 1500


# --- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("one", 1),
        ("twelve", 12),
        ("twenty-five", 25),
        ("ninety nine", 99),
        ("two hundred and fifty", 250),
        ("a hundred", 100),
        ("fifteen hundred", 1500),
        ("one thousand five hundred", 1500),
        ("a hundred thousand", 100_000),
        ("two dozen", 24),
        ("dix-sept", 17),
        ("vingt et un", 21),
        ("soixante-dix-sept", 77),
        ("soixante et onze", 71),
        ("quatre-vingts", 80),
        ("quatre-vingt-dix-neuf", 99),
        ("deux cents", 200),
        ("trois cent cinquante", 350),
        ("mille", 1000),
        ("deux mille cinq cents", 2500),
        ("واحد", 1),
        ("اثنان", 2),
        ("اثنين", 2),
        ("ثلاث", 3),
        ("ثلاثة", 3),
        ("عشرة", 10),
        ("أحد عشر", 11),
        ("إحدى عشرة", 11),
        ("اثنا عشر", 12),
        ("خمسة عشر", 15),
        ("عشرون", 20),
        ("خمسة وعشرون", 25),
        ("خمسة و عشرون", 25),
        ("مئة", 100),
        ("مائة", 100),
        ("مئتان", 200),
        ("مئتين وخمسين", 250),
        ("ثلاثمئة", 300),
        ("ثلاث مئة", 300),
        ("ثلاثمائة وخمسة وعشرون", 325),
        ("ألف", 1000),
        ("ألفان", 2000),
        ("ثلاثة آلاف", 3000),
        ("ألف وخمسمئة", 1500),
        ("عشرون ألفاً", 20_000),
        ("1,500", 1500),
    ],
)
def test_parse_number(words: str, value: int) -> None:
    assert parse_number(words) == value


@pytest.mark.parametrize("words", ["un", "une", "أحد", "a", "two three", "twenty twenty", "sept x"])
def test_parse_number_rejects_what_is_not_one_number(words: str) -> None:
    assert parse_number(words) is None


@pytest.mark.parametrize(
    ("text", "lang", "value", "unit"),
    [
        ("two hundred and fifty prisoners", "en", 250, "prisoner"),
        ("twenty-five women", "en", 25, "woman"),
        ("quatre-vingt-dix-neuf hommes", "fr", 99, "man"),
        ("soixante et onze femmes", "fr", 71, "woman"),
        ("deux cents personnes", "fr", 200, "person"),
        ("vingt et un jours", "fr", 21, "day"),
        ("عشرين مقاتلاً", "ar", 20, "fighter"),
        ("خمسة وعشرون سجيناً", "ar", 25, "prisoner"),
        ("مئتان وخمسون شخصاً", "ar", 250, "person"),
        ("ثلاثمئة طفل", "ar", 300, "child"),
        ("ثلاثة آلاف شخص", "ar", 3000, "person"),
        ("ألف وخمسمئة رجل", "ar", 1500, "man"),
        ("أحد عشر يوماً", "ar", 11, "day"),
    ],
)
def test_number_words_with_their_nouns(text: str, lang: str, value: int, unit: str) -> None:
    q = _one(text, lang)
    assert (q.text, q.value, q.unit, q.approx) == (text, value, unit, False)


def test_arabic_proclitic_is_not_in_the_span() -> None:
    text = "جاء رجلان ومعهم وثلاثة أطفال"
    found = _qs(text, "ar")
    assert [(q.text, q.value, q.unit) for q in found] == [
        ("رجلان", 2.0, "man"),
        ("ثلاثة أطفال", 3.0, "child"),
    ]


def test_harakat_offsets() -> None:
    text = "رَأَيْتُ عِشْرِينَ مُقَاتِلاً عِنْدَ الحَاجِزِ"
    q = _one(text, "ar")
    assert q.text == "عِشْرِينَ مُقَاتِلاً"
    assert (q.value, q.unit) == (20, "fighter")


# --- approximate, vague, ranges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value", "unit"),
    [
        ("about 300 fighters", "en", 300, "fighter"),
        ("nearly 40 km", "en", 40, "km"),
        ("roughly two hundred cars", "en", 200, "vehicle"),
        ("thirty-odd guards", "en", 30, "guard"),
        ("300 fighters or so", "en", 300, "fighter"),
        ("environ 300 combattants", "fr", 300, "fighter"),
        ("près de 40 km", "fr", 40, "km"),
        ("une trentaine de combattants", "fr", 30, "fighter"),
        ("une centaine d'enfants", "fr", 100, "child"),
        ("une dizaine de véhicules", "fr", 10, "vehicle"),
        ("حوالي ٣٠٠ مقاتل", "ar", 300, "fighter"),
        ("نحو ثلاثين سيارة", "ar", 30, "vehicle"),
        ("قرابة 40 كم", "ar", 40, "km"),
        ("300 مقاتل تقريباً", "ar", 300, "fighter"),
        ("a dozen cars", "en", 12, "vehicle"),
    ],
)
def test_approximate(text: str, lang: str, value: int, unit: str) -> None:
    q = _one(text, lang)
    assert (q.text, q.value, q.unit, q.approx) == (text, value, unit, True)
    assert q.bounds() == (value * 0.75, value * 1.25)


@pytest.mark.parametrize(
    ("text", "lang", "low", "high", "unit"),
    [
        ("dozens of tanks", "en", 24, 99, "tank"),
        ("hundreds of people", "en", 200, 999, "person"),
        ("thousands of civilians", "en", 2000, 9999, "civilian"),
        ("tens of thousands of people", "en", 20_000, 99_999, "person"),
        ("des dizaines de morts", "fr", 20, 99, "dead"),
        ("des centaines de détenus", "fr", 200, 999, "prisoner"),
        ("des milliers de personnes", "fr", 2000, 9999, "person"),
        ("عشرات المقاتلين", "ar", 20, 99, "fighter"),
        ("مئات الأشخاص", "ar", 200, 999, "person"),
        ("آلاف المدنيين", "ar", 2000, 9999, "civilian"),
    ],
)
def test_vague_amounts(text: str, lang: str, low: int, high: int, unit: str) -> None:
    q = _one(text, lang)
    assert (q.text, q.unit, q.approx) == (text, unit, True)
    assert (q.value, q.low, q.high) == (low, low, high)


@pytest.mark.parametrize(
    ("text", "lang", "low", "high", "unit"),
    [
        ("200-300 men", "en", 200, 300, "man"),
        ("between 200 and 300 people", "en", 200, 300, "person"),
        ("from 200 to 300 people", "en", 200, 300, "person"),
        ("two or three cars", "en", 2, 3, "vehicle"),
        ("entre 200 et 300 personnes", "fr", 200, 300, "person"),
        ("deux ou trois voitures", "fr", 2, 3, "vehicle"),
        ("بين 200 و300 شخص", "ar", 200, 300, "person"),
        ("من 200 إلى 300 شخص", "ar", 200, 300, "person"),
        ("ثلاثة أو أربعة رجال", "ar", 3, 4, "man"),
    ],
)
def test_ranges(text: str, lang: str, low: int, high: int, unit: str) -> None:
    q = _one(text, lang)
    assert (q.text, q.unit, q.approx) == (text, unit, True)
    assert (q.low, q.high, q.value) == (low, high, low)


def test_bounds() -> None:
    q = _one("more than 300 dead", "en")
    assert (q.low, q.high, q.approx) == (300, 450, True)
    q = _one("أكثر من 50 قتيلاً", "ar")
    assert (q.value, q.unit, q.low) == (50, "dead", 50)
    q = _one("moins de 20 personnes", "fr")
    assert (q.low, q.high) == (10, 20)
    q = _one("at least 12 children")
    assert (q.low, q.unit) == (12, "child")


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "unit"),
    [
        (("12 fighters", "12 combattants", "12 مقاتلا", "١٢ مقاتل"), "fighter"),
        (("12 prisoners", "12 détenus", "12 prisonniers", "12 معتقلا", "12 سجينا"), "prisoner"),
        (("12 people", "12 personnes", "12 شخصا"), "person"),
        (("12 cars", "12 véhicules", "12 voitures", "12 سيارة"), "vehicle"),
        (("12 days", "12 jours", "12 يوما"), "day"),
        (("12 km", "12 kilomètres", "12 كيلومترا", "12km"), "km"),
        (("12 children", "12 enfants", "12 طفلا"), "child"),
        (("12 women", "12 femmes", "12 امرأة"), "woman"),
        (("12 men", "12 hommes", "12 رجلا"), "man"),
        (("12 checkpoints", "12 barrages", "12 حاجزا"), "checkpoint"),
        (("12 killed", "12 morts", "12 tués", "12 قتيلا"), "dead"),
        (("12 wounded", "12 blessés", "12 جريحا"), "wounded"),
        (("12 tanks", "12 chars", "12 دبابة"), "tank"),
        (("12 houses", "12 maisons", "12 منزلا"), "house"),
        (("12%", "12 %", "12 percent", "12 pour cent", "12٪", "12 بالمئة"), "%"),
    ],
)
def test_units_map_to_one_key_in_three_languages(texts: tuple[str, ...], unit: str) -> None:
    assert unit in UNITS
    for text in texts:
        q = _one(f"« {text} »")
        assert (q.text, q.value, q.unit) == (text, 12, unit), text


def test_unit_details() -> None:
    assert _one("three of the fighters").unit == "fighter"
    assert _one("ثلاثة من المقاتلين", "ar").unit == "fighter"
    assert _one("300 armed men").unit == "man"
    assert _one("12 donkeys").unit == "donkey"  # not in the table: crude lemma
    assert _one("12 batteries").unit == "battery"
    q = _one("300 were taken")
    assert (q.text, q.unit) == ("300", "")


def test_arabic_duals_and_ones_after_their_noun() -> None:
    assert [(q.text, q.value, q.unit) for q in _qs("رأيت سيارتين ودبابة واحدة", "ar")] == [
        ("سيارتين", 2.0, "vehicle"),
        ("دبابة واحدة", 1.0, "tank"),
    ]
    q = _one("اعتقلوا رجلين اثنين", "ar")
    assert (q.text, q.value, q.unit) == ("رجلين اثنين", 2, "man")


# --- left out ---------------------------------------------------------------------------------


def test_dates_and_years_are_not_quantities() -> None:
    assert _qs("On 5 July 2014, in 2014, the 2014 offensive.") == []
    assert _qs("في ٥ تموز ٢٠١٤ وفي عام 2015") == []
    assert _qs("il y a six semaines, deux jours plus tard") == []
    assert _qs("قبل ستة أسابيع وبعد يومين") == []
    q = _one("There were 2014 fighters.")
    assert (q.value, q.unit) == (2014, "fighter")
    q = _one("He was held for six weeks.")
    assert (q.value, q.unit) == (6, "week")


def test_times_ordinals_codes_phones_articles_are_not_quantities() -> None:
    assert _qs("at 14:30, at 3 pm, vers 15h30") == []
    assert _qs("the 3rd man, le 2e étage, the first car, le premier jour, الرجل الأول") == []
    assert _qs("an AK-47, a T-72, No. 5, room #12, رقم 5") == []
    assert _qs("call +963 933 123 456 or 0933-123-456 or 0933 123 456") == []
    assert _qs("un homme et une femme") == []
    assert _qs("لم يأت أحد ولست أدري") == []
    assert _qs("no one came; the one who spoke") == []


def test_several_in_one_text_in_order() -> None:
    text = (
        "Karim Haddad said about 300 fighters came with 12 tanks; "
        "Amira Sayegh counted des dizaines de véhicules and عشرين مقاتلاً."
    )
    found = _qs(text)
    assert [(q.value, q.unit) for q in found] == [
        (300, "fighter"),
        (12, "tank"),
        (20, "vehicle"),
        (20, "fighter"),
    ]


# --- agreement --------------------------------------------------------------------------------


def test_agree_exact() -> None:
    assert agree(_q(300, "fighter"), _q(300, "fighter")) == "same"
    assert agree(_q(300, "fighter"), _q(301, "fighter")) == "different"
    assert agree(_q(300, "fighter"), _q(300, "prisoner")) == "unknown"
    assert agree(_q(300, "fighter"), _q(300, "")) == "unknown"
    assert agree(_q(300), _q(300)) == "same"


def test_agree_approximate_allows_a_quarter() -> None:
    about = _q(300, "fighter", approx=True)
    assert agree(about, _q(375, "fighter")) == "same"
    assert agree(about, _q(225, "fighter")) == "same"
    assert agree(about, _q(376, "fighter")) == "different"
    assert agree(about, _q(224, "fighter")) == "different"
    # Two approximations overlap more widely: 300±25% and 450±25% share 337.5-375.
    assert agree(about, _q(450, "fighter", approx=True)) == "same"
    assert agree(about, _q(520, "fighter", approx=True)) == "different"


def test_agree_vague_amounts() -> None:
    dozens = _one("dozens of fighters")
    hundreds = _one("des centaines de combattants", "fr")
    assert agree(dozens, _q(24, "fighter")) == "same"
    assert agree(dozens, _q(99, "fighter")) == "same"
    assert agree(dozens, _q(23, "fighter")) == "different"
    assert agree(dozens, _q(100, "fighter")) == "different"
    assert agree(hundreds, _q(200, "fighter")) == "same"
    assert agree(hundreds, _q(999, "fighter")) == "same"
    assert agree(hundreds, _q(150, "fighter")) == "different"
    assert agree(dozens, hundreds) == "different"
    assert agree(hundreds, _one("about 300 fighters")) == "same"


def test_agree_across_languages() -> None:
    a = _one("about 300 fighters", "en")
    b = _one("حوالي ثلاثمئة مقاتل", "ar")
    c = _one("une trentaine de combattants", "fr")
    assert agree(a, b) == "same"
    assert agree(a, c) == "different"
    assert agree(_one("between 200 and 300 people"), _one("250 personnes", "fr")) == "same"
    assert agree(_one("more than 300 dead"), _one("400 morts", "fr")) == "same"
    assert agree(_one("more than 300 dead"), _one("200 قتيل", "ar")) == "different"


def test_colloquial_young_men_are_men() -> None:
    (q,) = find_quantities("صيف ٢٠١٤ انضم خمسين شب من هجين للتنظيم.", "ar", [])
    assert (q.value, q.unit) == (50, "man")
