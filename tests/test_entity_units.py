"""Armed units and organisations (rule:unit) and the default gazetteer's towns of Syria and Iraq.

Unit names here are fictional or names of organisations; no real person is named. Every mention
of every test is checked for exact offsets.
"""

from __future__ import annotations

import pytest

from sijill.analysis.entities import Gazetteer, Mention, extract
from sijill.analysis.entity_rules import find_names, find_units
from sijill.analysis.translit import similarity


def _units(text: str) -> dict[str, Mention]:
    found = find_units(text)
    for m in found:
        assert text[m.start : m.end] == m.text, m
        assert (m.label, m.source) == ("ORG", "rule:unit"), m
    return {m.text: m for m in found}


def _places(text: str) -> list[tuple[str, str]]:
    found = extract(text, None)
    for m in found:
        assert text[m.start : m.end] == m.text, m
    return [(m.text, m.info["gazetteer_id"]) for m in found if m.source == "gazetteer"]


# --- units, Latin script ----------------------------------------------------------------------


def test_latin_units_named_after_the_unit_word() -> None:
    text = (
        "He joined Saraya al-Jabal in 2014, then katibat al-Nur and Liwa Suqur al-Wadi; "
        "Jaysh al-Islam and Jabhat al-Nusra li-Ahl al-Sham were further south. The fines went "
        "to Diwan al-Zakat, and Harakat Ahrar al-Wadi's emir signed."
    )
    found = _units(text)
    assert set(found) == {
        "Saraya al-Jabal",
        "katibat al-Nur",
        "Liwa Suqur al-Wadi",
        "Jaysh al-Islam",
        "Jabhat al-Nusra",  # stops before li-Ahl
        "Diwan al-Zakat",
        "Harakat Ahrar al-Wadi",  # the possessive is not part of the name
    }
    saraya = found["Saraya al-Jabal"]
    assert saraya.norm == "saraya jabal"
    assert saraya.info == {"unit": "company", "unit_word": "Saraya", "name": "al-Jabal"}
    assert found["Liwa Suqur al-Wadi"].info["unit"] == "brigade"
    assert found["Diwan al-Zakat"].info["unit"] == "office"


def test_english_and_french_unit_words() -> None:
    found = _units(
        "The commander of the al-Nur battalion met the Suqur al-Wadi brigade and the Free "
        "Syrian Army; the Syrian army shelled the town."
    )
    assert set(found) == {"al-Nur battalion", "Suqur al-Wadi brigade", "Free Syrian Army",
                          "Syrian army"}  # fmt: skip
    assert found["al-Nur battalion"].norm == "nur battalion"
    assert found["Free Syrian Army"].info == {
        "unit": "army",
        "unit_word": "Army",
        "name": "Free Syrian",
    }
    french = _units(
        "Il a rejoint le bataillon al-Nour, puis la brigade Suqur al-Wadi et la katiba al-Nour."
    )
    assert set(french) == {"bataillon al-Nour", "brigade Suqur al-Wadi", "katiba al-Nour"}
    assert french["brigade Suqur al-Wadi"].info["unit"] == "brigade"


def test_hisba_and_amniyat() -> None:
    found = _units("The Hisba took him; the Amniyat questioned him at the al-Hisba office.")
    assert set(found) == {"Hisba", "Amniyat", "al-Hisba"}
    assert {found["Hisba"].norm, found["al-Hisba"].norm} == {"hisba"}


def test_generic_unit_words_are_not_units() -> None:
    text = (
        "He joined the army in May. The brigade Abu Hamza led was destroyed. The Raqqa front "
        "was quiet and the Kurdish movement grew. In front of the house each katiba commander "
        "waited. The battalion left. Diwan of the sheikh. Le front était calme; la brigade a "
        "quitté la ville. A division of labour. The army's trucks. They hit the Army."
    )
    assert _units(text) == {}


# --- units, Arabic script ---------------------------------------------------------------------


def test_arabic_units_with_prefix_letters() -> None:
    text = (
        "انضم إلى كتيبة النور ثم سرايا الجبل، وقاتل بكتيبة النور ولكتيبة الفجر وفي لواء صقور "
        "الوادي. ذهبت الأموال إلى ديوان الزكاة. حركة نور الدين الوادي وحركة أحرار الوادي الإسلامية."
    )
    found = find_units(text)
    for m in found:
        assert text[m.start : m.end] == m.text
    assert [m.text for m in found] == [
        "كتيبة النور",
        "سرايا الجبل",
        "كتيبة النور",  # بكتيبة: the prefix letter is not in the mention
        "كتيبة الفجر",
        "لواء صقور الوادي",
        "ديوان الزكاة",
        "حركة نور الدين الوادي",
        "حركة أحرار الوادي الإسلامية",  # a nisba adjective ends the name
    ]
    assert found[2].start == text.index("بكتيبة") + 1
    assert found[0].norm == "كتيبه نور"
    assert found[4].info == {"unit": "brigade", "unit_word": "لواء", "name": "صقور الوادي"}


def test_arabic_unit_name_stops_at_verbs_objects_and_punctuation() -> None:
    found = _units("دخلت كتيبة النور المدينة، ثم جاءت سرايا الجبل. وجيش الفتح من الشرق.")
    assert set(found) == {"كتيبة النور", "سرايا الجبل", "جيش الفتح"}


def test_arabic_army_with_nationality_and_hisba() -> None:
    found = _units("قصف الجيش السوري الحي، ثم انسحب الجيش العراقي. أخذوه إلى الحسبة ثم للحسبة.")
    assert set(found) == {"الجيش السوري", "الجيش العراقي", "الحسبة", "للحسبة"}
    assert found["للحسبة"].norm == found["الحسبة"].norm == "حسبه"


def test_arabic_generic_unit_words_are_not_units() -> None:
    text = (
        "حركة المرور كانت خفيفة وحركة غريبة في الشارع. جبهة القتال بعيدة وجبهة الرأس. "
        "نطلب سرية التحقيق وسرية الهوية، وعملنا بسرية تامة. جلسنا في ديوان العشيرة. "
        "قاتلوا تحت لواء الدولة ورفعوا لواء الجهاد. كان في فرقة من الجيش. جيش كامل. "
        "الجيش دخل والكتيبة انسحبت. فرقة موسيقية. جبهة الرقة هادئة."
    )
    assert _units(text) == {}


def test_latin_and_arabic_unit_keys_share_a_skeleton() -> None:
    pairs = [
        ("Saraya al-Jabal", "سرايا الجبل"),
        ("Katibat al-Nur", "كتيبة النور"),
        ("Diwan al-Zakat", "ديوان الزكاة"),
        ("Jabhat al-Nusra", "جبهة النصرة"),
        ("al-Hisba", "الحسبة"),
    ]
    for latin, arabic in pairs:
        (a,) = find_units(f"x {latin} x")
        (b,) = find_units(f"س {arabic} س")
        assert similarity(a.norm, b.norm) >= 0.9, (a.norm, b.norm)


def test_units_come_out_of_find_names() -> None:
    found = find_names("Abu Hamza al-Firansi led Saraya al-Jabal.")
    assert {(m.label, m.text) for m in found} == {
        ("PERSON", "Abu Hamza al-Firansi"),
        ("ORG", "Saraya al-Jabal"),
    }


def test_unit_rule_beats_spacy_person() -> None:
    """spaCy (en) tags "Saraya al-Jabal" PERSON; the unit rule's ORG is kept."""
    text = "He joined Saraya al-Jabal in 2014 and Katibat al-Nur later."
    found = {m.text: m for m in extract(text, "en")}
    assert (found["Saraya al-Jabal"].label, found["Saraya al-Jabal"].source) == (
        "ORG",
        "rule:unit",
    )
    assert found["Katibat al-Nur"].label == "ORG"


def test_unit_named_after_a_place_beats_the_place() -> None:
    text = "He fought with Liwa Thuwar al-Raqqa, then لواء ثوار الرقة في الرقة."
    found = [(m.label, m.text) for m in extract(text, None)]
    assert found == [
        ("ORG", "Liwa Thuwar al-Raqqa"),
        ("ORG", "لواء ثوار الرقة"),
        ("PLACE", "الرقة"),
    ]


# --- the default gazetteer --------------------------------------------------------------------


def test_default_gazetteer_loads_and_every_variant_finds_its_entry() -> None:
    gaz = Gazetteer.default()
    assert Gazetteer.default() is gaz  # loaded once
    ids = [e.id for e in gaz.entries]
    assert len(ids) == len(set(ids)) and len(ids) >= 100
    for e in gaz.entries:
        if e.lat is not None and e.lon is not None:
            assert 29 < e.lat < 42 and 28 < e.lon < 49, e.id  # Syria, Iraq, Turkey
        for phrase in (e.name, *e.variants):
            text = f"x {phrase} y"
            hits = [(m.text, m.info["gazetteer_id"]) for m in gaz.find(text)]
            assert (phrase, e.id) in hits, (phrase, hits)


def test_new_towns_in_latin_script() -> None:
    text = (
        "We fled from Mayadine to Abu Kamal, then Hajin and al-Baghuz. In Tal Afer, Jerablus, "
        "al-Bab and Menbij the checkpoints were the same. They held us at the Omar oil field "
        "and near the Tabqa Dam, then in Hammam al-Alil, Qayyarah and the town of Hit."
    )
    assert _places(text) == [
        ("Mayadine", "mayadin"),
        ("Abu Kamal", "abu-kamal"),
        ("Hajin", "hajin"),
        ("al-Baghuz", "baghuz"),
        ("Tal Afer", "tal-afar"),
        ("Jerablus", "jarablus"),
        ("al-Bab", "al-bab"),
        ("Menbij", "manbij"),
        ("Omar oil field", "omar-oil-field"),
        ("Tabqa Dam", "tabqa-dam"),
        ("Hammam al-Alil", "hammam-al-alil"),
        ("Qayyarah", "qayyarah"),
        ("town of Hit", "hit"),
    ]


def test_new_towns_in_french() -> None:
    text = (
        "Nous sommes passés par Boukamal, Djarablous, Hassaké et Kobané, puis par le barrage "
        "de Tichrine et le rond-point al-Naim, avant la Turquie et la Belgique."
    )
    assert _places(text) == [
        ("Boukamal", "abu-kamal"),
        ("Djarablous", "jarablus"),
        ("Hassaké", "hasakah"),
        ("Kobané", "kobani"),
        ("barrage de Tichrine", "tishrin-dam"),
        ("rond-point al-Naim", "naim-roundabout"),
        ("Turquie", "turkey"),
        ("Belgique", "belgium"),
    ]


def test_new_towns_in_arabic_script() -> None:
    text = (
        "خرجنا من الميادين إلى البوكمال ثم هجين والباغوز، وسُجنتُ في حقل العمر قرب الشدادي. "
        "مررنا بمنبج وجرابلس ومدينة الباب وتلعفر وتل عفر، ثم سد تشرين ودوار النعيم وباب الطوب "
        "وحمام العليل ومخيم الهول وقضاء حديثة، ومنها إلى تركيا."
    )
    found = _places(text)
    assert found == [
        ("الميادين", "mayadin"),
        ("البوكمال", "abu-kamal"),
        ("هجين", "hajin"),
        ("الباغوز", "baghuz"),
        ("حقل العمر", "omar-oil-field"),
        ("الشدادي", "shaddadi"),
        ("منبج", "manbij"),
        ("جرابلس", "jarablus"),
        ("مدينة الباب", "al-bab"),
        ("تلعفر", "tal-afar"),
        ("تل عفر", "tal-afar"),
        ("سد تشرين", "tishrin-dam"),
        ("دوار النعيم", "naim-roundabout"),
        ("باب الطوب", "bab-al-tob"),
        ("حمام العليل", "hammam-al-alil"),
        ("مخيم الهول", "al-hol"),
        ("قضاء حديثة", "haditha"),
        ("تركيا", "turkey"),
    ]


def test_gazetteer_coordinates_and_keys_of_new_places() -> None:
    gaz = Gazetteer.default()
    (m,) = gaz.find("في الميادين")
    assert m.norm == "mayadin" and m.info["lat"] == pytest.approx(35.0, abs=0.1)
    (m,) = gaz.find("البوكمال")
    assert m.norm == "abu kamal" and m.info["lon"] == pytest.approx(40.9, abs=0.1)
    (m,) = gaz.find("Tabqa Dam")  # the dam, not the town
    assert m.info["gazetteer_id"] == "tabqa-dam"
    (m,) = gaz.find("la Syrie")
    assert "lat" not in m.info  # a country is not a point


@pytest.mark.parametrize(
    "text",
    [
        # English
        "The shell hit the house; another hit district offices. It was a sham trial.",
        "Omar was at the field with his brother. The sarin attack. A mare and her foal.",
        "The hol was empty. We prayed after Maghrib. The door (bab) was closed.",
        # French
        "Il a frappé à la porte près de la mare. Le bab était fermé. Omar est parti.",
        # Arabic: common words that are (part of) place names
        "فتح الباب ودخل، وأغلقوا الباب علينا. من الهول لم أتكلم.",  # the door, the horror
        "عاش في مدينة حديثة واشترى سيارة حديثة.",  # a modern city
        "كان سلوكه جيدا وسلوك العناصر سيئا. الماء السخنة. على بصيرة من أمري. البصيرة.",
        "دفنوه في الأرض الرطبة. القائم بالأعمال. كان القائم على الحاجز. الكلس الأبيض.",
        "صلاة المغرب. بعد المغرب ذهبنا. تكلم برقة. رقة القلب.",  # sunset prayer, gentleness
    ],
)
def test_common_words_are_not_places(text: str) -> None:
    assert _places(text) == []
