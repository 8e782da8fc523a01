"""Cross-item entity merge proposals and transliteration skeletons (pure functions, no DB).

Every person named here is fictional; place names are real places, used as place names.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from sijill.analysis.aliases import AliasTable, alias_key
from sijill.analysis.mentions import name_key
from sijill.analysis.resolve import (
    AUTO_MERGE,
    VARIANT_MIN_SIM,
    EntityRecord,
    MergeProposal,
    acronym_definitions,
    initials,
    propose_merges,
)
from sijill.analysis.translit import (
    similarity,
    skeleton,
    skeleton_tokens,
)
from sijill.errors import ConfigError

# ---------------------------------------------------------------------------------------------
# helpers


def ent(
    id: int,
    label: str,
    name: str,
    mentions: int = 1,
    *,
    key: str | None = None,
    case: str = "case-1",
    aliases: tuple[str, ...] = (),
) -> EntityRecord:
    return EntityRecord(
        id=id,
        case=case,
        label=label,
        name=name,
        key=key if key is not None else name_key(name),
        aliases=aliases,
        mentions=mentions,
    )


def check_invariants(props: list[MergeProposal]) -> None:
    """Each entity once (ambiguous ones aside, all below AUTO_MERGE); roots are never folded."""
    per_entity = Counter(p.entity_id for p in props)
    for p in props:
        assert 0.0 <= p.confidence <= 1.0
        assert p.entity_id != p.into_id
        assert p.reasons and all(isinstance(r, str) and r for r in p.reasons)
        if per_entity[p.entity_id] > 1:
            assert p.confidence < AUTO_MERGE
            assert p.reasons[0].startswith("ambiguous")
    folded = {p.entity_id for p in props if per_entity[p.entity_id] == 1}
    for p in props:
        assert p.into_id not in folded, p


NO_ALIASES = AliasTable(())


def merges(entities: list[EntityRecord], **kw: object) -> dict[int, MergeProposal]:
    props = propose_merges(entities, **kw)  # type: ignore[arg-type]
    check_invariants(props)
    out = {p.entity_id: p for p in props}
    assert len(out) == len(props), "unexpected ambiguous proposals"
    return out


# ---------------------------------------------------------------------------------------------
# translit: skeletons and similarity

VARIANT_GROUPS = [
    ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "محمد"],
    ["Hussein", "Husayn", "Hussain", "Hossein", "حسين"],
    ["Raqqa", "Raqqah", "ar-Raqqa", "Rakka", "الرقة"],
    ["Deir ez-Zor", "Dayr al-Zawr", "Deir al-Zour", "Deir Ezzor", "دير الزور"],
    ["Abu Bakr", "Abou Bakr", "أبو بكر"],
    ["Shaddadi", "al-Shaddadi", "Chaddadi", "Şaddadi", "الشدادي"],
    ["Tabqa", "al-Tabqa", "Tabaqa", "الطبقة"],
    ["Manbij", "Menbij", "منبج"],
    ["Khalid", "Khaled", "خالد"],
    ["Omar", "Umar", "عمر"],
    ["Abu Rayyan", "Abou Rayane", "Abū Rayyān", "أبو ريان"],
    ["Deir Hafer", "Dayr Hafir", "دير حافر"],
    ["Youssef", "Yusuf", "يوسف"],
    ["Mahmoud", "Mahmud", "محمود"],
    ["Mustafa", "Mostafa", "مصطفى"],
    ["Qamishli", "Kamechli", "al-Qamishli", "القامشلي"],
    ["Hasakah", "al-Hasakah", "Hassakeh", "الحسكة"],
    ["Saeed", "Said", "Sa'id", "Saʿīd", "سعيد"],
    ["Daoud", "Dawud", "Daud", "داود"],
    ["Oussama", "Usama", "أسامة"],
    ["Abdulrahman", "Abd al-Rahman", "Abdel Rahman", "Abdurrahman", "عبد الرحمن", "عبدالرحمن"],
    ["Abdullah", "Abdallah", "Abd Allah", "عبد الله"],
    ["Jabhat al-Nusra", "جبهة النصرة"],
    ["Tell Abyad", "تل أبيض"],
    ["Ain Issa", "عين عيسى"],
    ["Saleh", "Salih", "صالح"],
    ["Umm Khalid", "Oum Khaled", "أم خالد"],
]


@pytest.mark.parametrize("group", VARIANT_GROUPS, ids=lambda g: g[0])
def test_transliteration_variants_agree(group: list[str]) -> None:
    for a, b in itertools.combinations(group, 2):
        assert similarity(a, b) == pytest.approx(1.0), (a, b, skeleton(a), skeleton(b))


NEGATIVES = [
    ("Hama", "حمص"),
    ("Homs", "Hama"),
    ("Tabqa", "Tadmur"),
    ("Khalid", "Walid"),
    ("Abu Bakr", "Abu Saqr"),
    ("Abu Rayyan", "Umm Rayyan"),
    ("Raqqa", "Ruqayya"),
    ("Hasan", "Husayn"),
    ("حسن", "حسين"),
    ("Manbij", "Mayadin"),
    ("Deir ez-Zor", "Deir Hafer"),
    ("Mahmoud", "Muhammad"),  # Latin: consonants agree (m-h-m-d) but the vowels do not
    ("Mahmud", "Mohammed"),
    ("محمود", "محمد"),
    ("Ahmad", "Ahmed al-Halabi"),
]


@pytest.mark.parametrize(("a", "b"), NEGATIVES, ids=lambda x: x)
def test_different_names_do_not_match(a: str, b: str) -> None:
    assert similarity(a, b) < VARIANT_MIN_SIM, (skeleton(a), skeleton(b))


def test_skeleton_rules() -> None:
    # sh / ch / ş all read as one sound, kh and gh are single letters
    assert skeleton("Shaddadi") == skeleton("Chaddadi") == skeleton("Şaddadi") == "sh-d-y"
    assert skeleton("Khalid") == "kh-l-d"
    assert skeleton("Baghouz") == skeleton("الباغوز") == "b-gh-w-z"
    # q/k/c loosened, doubled letters collapsed, article dropped, ة read as optional
    assert skeleton("Raqqa") == skeleton("Rakka") == skeleton("الرقة") == "r-k"
    # ʿ and ' dropped; long vowels written ee/ai/ī are y like Arabic ي
    assert skeleton("Saʿīd") == skeleton("Sa'id") == skeleton("Saeed") == skeleton("سعيد")
    assert skeleton("Saeed") == "s-y-d"
    # ou/oo are w like و; ى is a long a, not y
    assert skeleton("Mahmoud") == skeleton("محمود") == "m-h-m-w-d"
    assert skeleton("مصطفى") == skeleton("Mustafa") == "m-s-t-f"
    # honorifics and articles are not part of the name
    assert skeleton("Sheikh Abu Rayyan al-Nakhli") == skeleton("أبو ريان النخلي")
    assert skeleton("أبو ريان") == "b-w r-y-n"
    # short vowels are optional: Zor and Zawr agree, though only Zawr spells the w
    assert skeleton("Deir ez-Zor") == "d-y-r z-r"
    assert skeleton("Dayr al-Zawr") == "d-y-r z-w-r"
    assert similarity("Deir ez-Zor", "Dayr al-Zawr") == 1.0


def test_medial_ou_is_half_firm() -> None:
    # French writes ou for a short u (Moustapha = مصطفى) and for a long one (Mahmoud = محمود):
    # a missing و costs half a letter, so both stay proposals for a person, never automatic.
    assert similarity("Mahmoud", "محمود") == 1.0
    assert similarity("Youssef", "Yusuf") == 1.0
    assert similarity("Moustapha", "مصطفى") == pytest.approx(1 - 0.5 / 4.5)
    assert similarity("Mahmoud", "محمد") == pytest.approx(1 - 0.5 / 4.5)
    assert similarity("Abou", "أبو") == 1.0  # a final ou is firm


def test_near_letters_cost_half_and_words_are_compared_one_by_one() -> None:
    # g for ج (Egyptian) is a near letter: close, not equal
    assert similarity("Gamal", "Jamal") == pytest.approx(1 - 0.5 / 3)
    assert similarity("Jawdat", "Gawdat") == pytest.approx(1 - 0.5 / 4)
    # the weakest word decides: Abu is shared, Bakr and Saqr are not
    assert similarity("Abu Bakr", "Abu Saqr") == similarity("Bakr", "Saqr") < VARIANT_MIN_SIM
    # different word counts are compared joined
    assert similarity("Abu Kamal", "البوكمال") == 1.0
    assert len(skeleton_tokens("Abu Kamal")) != len(skeleton_tokens("البوكمال"))


# ---------------------------------------------------------------------------------------------
# kunya


def test_kunya_short_form_joins_the_one_longer_name() -> None:
    got = merges(
        [
            ent(1, "PERSON", "Abu Rayyan", 7),
            ent(2, "PERSON", "Abu Rayyan al-Nakhli", 2),
            ent(3, "PERSON", "Umm Khalid"),
            ent(4, "PERSON", "Umm Khalid al-Shami"),
            ent(5, "PERSON", "أبو ريان"),
            ent(6, "PERSON", "أبو ريان النخلي"),
        ]
    )
    assert got[1].into_id == 2  # longer name wins over more mentions
    assert got[1].confidence >= AUTO_MERGE
    assert got[1].reasons[0] == (
        "'Abu Rayyan' is the kunya at the start of 'Abu Rayyan al-Nakhli', "
        "the only longer name with it in this case"
    )
    assert got[3].into_id == 4 and got[3].confidence >= AUTO_MERGE
    # Arabic short form: into the Arabic long form, which itself joins the Latin one
    assert got[6].into_id == 2
    assert got[5].into_id == 2
    assert any("kunya" in r for r in got[5].reasons)


def test_kunya_across_scripts() -> None:
    got = merges([ent(1, "PERSON", "أبو ريان"), ent(2, "PERSON", "Abu Rayyan al-Nakhli")])
    assert got[1].into_id == 2
    assert got[1].confidence >= AUTO_MERGE
    assert "another script" in got[1].reasons[0]
    assert "b-w r-y-n" in got[1].reasons[0]


def test_kunya_with_two_longer_names_is_ambiguous_and_never_automatic() -> None:
    entities = [
        ent(1, "PERSON", "Abu Rayyan", 5),
        ent(2, "PERSON", "Abu Rayyan al-Nakhli"),
        ent(3, "PERSON", "Abu Rayyan al-Shami"),
    ]
    props = propose_merges(entities)
    check_invariants(props)
    assert sorted((p.entity_id, p.into_id) for p in props) == [(1, 2), (1, 3)]
    for p in props:
        assert p.confidence < AUTO_MERGE
        assert p.reasons[0].startswith("ambiguous")
        assert "2 different longer names" in p.reasons[0]


def test_kunya_longer_names_that_are_one_person_are_not_ambiguous() -> None:
    got = merges(
        [
            ent(1, "PERSON", "Abu Rayyan"),
            ent(2, "PERSON", "Abu Rayyan al-Nakhli", 3),
            ent(3, "PERSON", "أبو ريان النخلي"),
        ]
    )
    assert got[3].into_id == 2
    assert got[1].into_id == 2
    assert got[1].confidence >= AUTO_MERGE


def test_variants_of_an_ambiguous_short_form_follow_it() -> None:
    props = propose_merges(
        [
            ent(1, "PERSON", "Abu Hamza", 4),
            ent(2, "PERSON", "Abou Hamza"),
            ent(3, "PERSON", "Abu Hamza al-Tunisi"),
            ent(4, "PERSON", "Abu Hamza al-Masri"),
        ]
    )
    by = {(p.entity_id, p.into_id): p for p in props}
    assert set(by) == {(1, 3), (1, 4), (2, 1)}
    assert by[(2, 1)].confidence >= AUTO_MERGE
    assert by[(1, 3)].confidence < AUTO_MERGE


def test_different_kunyas_sharing_only_abu_do_not_merge() -> None:
    props = propose_merges(
        [
            ent(1, "PERSON", "Abu Bakr"),
            ent(2, "PERSON", "Abu Saqr"),
            ent(3, "PERSON", "Abu Saqr al-Halabi"),
            ent(4, "PERSON", "Umm Rayyan"),
            ent(5, "PERSON", "Abu Rayyan al-Nakhli"),
        ]
    )
    assert [(p.entity_id, p.into_id) for p in props] == [(2, 3)]


def test_only_kunyas_extend_to_longer_names() -> None:
    props = propose_merges(
        [
            ent(1, "PERSON", "Ahmad", 9),
            ent(2, "PERSON", "Ahmed al-Halabi"),
            ent(3, "PERSON", "Khalid"),
            ent(4, "PERSON", "Khalid al-Nakhli"),
            ent(5, "PERSON", "Mahmoud al-Nakhli"),
            ent(6, "PERSON", "Muhammad al-Nakhli"),
        ]
    )
    assert props == []


# ---------------------------------------------------------------------------------------------
# scripts and transliterations


def test_latin_and_arabic_script_variants() -> None:
    got = merges(
        [
            ent(1, "PERSON", "Abu Rayyan", 2),
            ent(2, "PERSON", "أبو ريان", 5),
            ent(3, "PLACE", "Deir Hafer", 3),
            ent(4, "PLACE", "دير حافر"),
        ]
    )
    assert got[1].into_id == 2  # same length: more mentions wins
    assert got[1].confidence >= AUTO_MERGE
    assert got[1].reasons == (
        "'Abu Rayyan' transliterates to 'أبو ريان' (consonants b-w r-y-n match exactly)",
    )
    assert got[4].into_id == 3 and got[4].confidence >= AUTO_MERGE


def test_place_joins_the_gazetteer_entity_and_two_gazetteer_places_never_merge() -> None:
    got = merges(
        [
            ent(1, "PLACE", "Raqqah", 40),
            ent(2, "PLACE", "الرقة", 1, key="gaz:raqqa"),
            ent(3, "PLACE", "Hama", key="gaz:hama"),
            ent(4, "PLACE", "Hamah", key="gaz:hamah-other"),
        ]
    )
    assert set(got) == {1}
    assert got[1].into_id == 2
    assert got[1].confidence >= AUTO_MERGE


def test_full_name_transliterations_with_confidence_from_similarity() -> None:
    got = merges(
        [
            ent(1, "PERSON", "Abu Rayyan al-Nakhli", 3),
            ent(2, "PERSON", "Abou Rayane al-Nakhli"),
            ent(3, "PERSON", "Gawdat al-Nakhli"),
            ent(4, "PERSON", "Jawdat al-Nakhli", 2),
        ]
    )
    assert got[2].into_id == 1 and got[2].confidence >= AUTO_MERGE
    assert "spellings of the same name" in got[2].reasons[0]
    assert got[3].into_id == 4
    assert got[3].confidence < got[2].confidence
    assert "similarity" in got[3].reasons[0]


def test_one_word_person_names_wait_for_review() -> None:
    got = merges([ent(1, "PERSON", "Khaled"), ent(2, "PERSON", "خالد", 3)])
    assert got[1].into_id == 2
    assert got[1].confidence < AUTO_MERGE
    places = merges([ent(1, "PLACE", "Manbij"), ent(2, "PLACE", "منبج", 3)])
    assert places[1].confidence >= AUTO_MERGE


def test_clear_negatives_are_not_proposed() -> None:
    entities = [
        ent(1, "PLACE", "Tabqa"),
        ent(2, "PLACE", "Tadmur"),
        ent(3, "PLACE", "Hama"),
        ent(4, "PLACE", "حمص"),
        ent(5, "PLACE", "Homs"),
        ent(6, "PERSON", "Khalid al-Shami"),
        ent(7, "PERSON", "Walid al-Shami"),
    ]
    props = propose_merges(entities)
    assert [(p.entity_id, p.into_id) for p in props] == [(5, 4)]  # Homs = حمص only


def test_labels_must_match_and_dates_and_terms_never_merge() -> None:
    props = propose_merges(
        [
            ent(1, "PERSON", "Raqqa"),
            ent(2, "PLACE", "الرقة"),
            ent(3, "TERM", "Hisba"),
            ent(4, "TERM", "حسبة"),
            ent(5, "DATE", "Ramadan"),
            ent(6, "DATE", "رمضان"),
            ent(7, "ORG", "Abu Rayyan"),
            ent(8, "PERSON", "Abu Rayyan al-Nakhli"),
        ]
    )
    assert props == []


# ---------------------------------------------------------------------------------------------
# acronyms


def test_acronyms_by_initials_wait_for_review() -> None:
    # Without the alias table (which knows ISIS, EI, ASL and FSA): initials alone.
    got = merges(
        [
            ent(1, "ORG", "FSA", 9),
            ent(2, "ORG", "Free Syrian Army"),
            ent(3, "ORG", "ISIS"),
            ent(4, "ORG", "Islamic State of Iraq and Syria"),
            ent(5, "ORG", "EI"),
            ent(6, "ORG", "État islamique"),
            ent(7, "ORG", "ASL"),
            ent(8, "ORG", "l'Armée syrienne libre"),
            ent(9, "ORG", "SDF"),
        ],
        aliases=NO_ALIASES,
    )
    assert {k: v.into_id for k, v in got.items()} == {1: 2, 3: 4, 5: 6, 7: 8}
    assert got[1].reasons == ("'FSA' is the initials of 'Free Syrian Army'",)
    for p in got.values():
        assert 0.5 <= p.confidence < AUTO_MERGE


def test_acronym_defined_in_a_text_is_automatic() -> None:
    entities = [ent(1, "ORG", "FSA"), ent(2, "ORG", "Free Syrian Army")]
    defs = acronym_definitions("Fighters of the Free Syrian Army (FSA) withdrew.")
    assert defs == {"FSA": "Free Syrian Army"}
    got = merges(entities, definitions=defs, aliases=NO_ALIASES)
    assert got[1].into_id == 2
    assert got[1].confidence >= AUTO_MERGE
    assert got[1].reasons[0] == "defined in the text: 'Free Syrian Army (FSA)'"
    # normalised keys work too, and a definition needs no matching initials
    got = merges(
        [ent(1, "ORG", "HTS"), ent(2, "ORG", "Hayat Tahrir al-Sham")],
        definitions={"hts": "hayat tahrir sham"},
        aliases=NO_ALIASES,
    )
    assert got[1].confidence >= AUTO_MERGE
    got = merges(
        [ent(1, "ORG", "ASL"), ent(2, "ORG", "l'Armée syrienne libre")],
        definitions=acronym_definitions("Des combattants de l'Armée syrienne libre (ASL)."),
        aliases=NO_ALIASES,
    )
    assert got[1].into_id == 2 and got[1].confidence >= AUTO_MERGE
    got = merges(
        [ent(1, "ORG", "Daesh"), ent(2, "ORG", "Islamic State")],
        definitions={"DAESH": "the Islamic State"},
        aliases=NO_ALIASES,
    )
    assert got[1].into_id == 2 and got[1].confidence >= AUTO_MERGE


def test_acronym_with_two_full_names_is_ambiguous() -> None:
    props = propose_merges(
        [
            ent(1, "ORG", "SDF"),
            ent(2, "ORG", "Syrian Democratic Forces"),
            ent(3, "ORG", "Southern Defence Front"),
        ]
    )
    check_invariants(props)
    assert sorted(p.into_id for p in props) == [2, 3]
    assert all(p.confidence < AUTO_MERGE and "ambiguous" in p.reasons[0] for p in props)


def test_acronyms_only_between_orgs() -> None:
    assert propose_merges([ent(1, "PLACE", "FSA"), ent(2, "ORG", "Free Syrian Army")]) == []
    assert propose_merges([ent(1, "ORG", "FSA"), ent(2, "PERSON", "Farid Salim Antar")]) == []


def test_initials_skip_function_words() -> None:
    assert initials("Islamic State of Iraq and Syria")[0] == "isis"
    assert initials("Islamic State of Iraq and the Levant")[0] == "isil"
    assert initials("Armée syrienne libre") == ("asl",)
    assert initials("l'Armée syrienne libre") == ("asl",)
    assert initials("Forces démocratiques syriennes") == ("fds",)
    assert initials("Hay'at Tahrir al-Sham") == ("hts",)
    assert initials("Syrian Observatory for Human Rights")[0] == "sohr"


def test_acronym_definitions_in_english_and_french() -> None:
    text = (
        "Selon l'Armée syrienne libre (ASL) et l'État islamique (EI), rien. "
        "The Islamic State of Iraq and Syria (ISIS) and the SDF (Syrian Democratic Forces) met; "
        "F.S.A. (Free Syrian Army) units too. The group (ABC) said nothing. "
        "Witness (WX1) left."
    )
    assert acronym_definitions(text) == {
        "ASL": "Armée syrienne libre",
        "EI": "État islamique",
        "ISIS": "Islamic State of Iraq and Syria",
        "SDF": "Syrian Democratic Forces",
        "F.S.A.": "Free Syrian Army",
    }
    # a name does not run across a sentence end
    assert acronym_definitions("We were free. Syrian Army (FSA) units came.") == {}


# ---------------------------------------------------------------------------------------------
# API rules: one case, skip, chains


def test_entities_of_different_cases_raise() -> None:
    with pytest.raises(ValueError, match="different cases"):
        propose_merges([ent(1, "PLACE", "Raqqa"), ent(2, "PLACE", "الرقة", case="case-2")])


def test_skip_pairs_in_either_order() -> None:
    entities = [
        ent(1, "PERSON", "Abu Rayyan"),
        ent(2, "PERSON", "Abu Rayyan al-Nakhli"),
        ent(3, "PLACE", "Deir Hafer"),
        ent(4, "PLACE", "دير حافر"),
    ]
    assert len(propose_merges(entities)) == 2
    assert propose_merges(entities, skip=[(2, 1), (3, 4)]) == []
    # a split kunya candidate leaves the other one unique
    entities.append(ent(5, "PERSON", "Abu Rayyan al-Shami"))
    props = propose_merges(entities, skip={(1, 3), (5, 1)})
    assert [(p.entity_id, p.into_id) for p in props] == [(1, 2), (4, 3)]
    assert props[0].confidence >= AUTO_MERGE


def test_skip_holds_through_a_chain() -> None:
    entities = [
        ent(1, "PERSON", "أبو ريان"),
        ent(2, "PERSON", "Abu Rayyan", 5),
        ent(3, "PERSON", "Abu Rayyan al-Nakhli"),
    ]
    got = merges(entities)
    assert got[1].into_id == 3 and got[2].into_id == 3
    got = merges(entities, skip=[(1, 3)])
    assert 1 not in got  # not into 3 through 2, and 2 is folded, so not into 2 either
    assert got[2].into_id == 3


def test_chains_point_to_the_final_root_with_the_weakest_confidence() -> None:
    got = merges(
        [
            ent(1, "PERSON", "Abou Rayane"),
            ent(2, "PERSON", "Abu Rayyan", 4),
            ent(3, "PERSON", "Abu Rayyan al-Nakhli"),
            ent(4, "PERSON", "أبو ريان النخلي"),
            ent(5, "ORG", "FSA"),
            ent(6, "ORG", "Free Syrian Army"),
            ent(7, "ORG", "الجيش السوري الحر"),
        ]
    )
    # الجيش السوري الحر is the Free Syrian Army by the alias table, not by its letters.
    assert {k: v.into_id for k, v in got.items()} == {1: 3, 2: 3, 4: 3, 5: 6, 7: 6}
    assert got[7].reasons[0].startswith("alias table: ")
    assert got[1].confidence <= min(got[2].confidence, 0.9)
    assert len(got[1].reasons) >= 1


def test_many_entities_block_candidates() -> None:
    """5,000 entities of one case: 2,000 people in two scripts, kunyas, acronyms, dates."""
    rng = random.Random(4)
    consonants = [
        ("b", "ب"), ("t", "ت"), ("d", "د"), ("r", "ر"), ("f", "ف"), ("q", "ق"),
        ("l", "ل"), ("m", "م"), ("n", "ن"), ("kh", "خ"), ("j", "ج"), ("s", "س"),
    ]  # fmt: skip
    given = [
        ("Khalid", "خالد"), ("Omar", "عمر"), ("Hussein", "حسين"), ("Yusuf", "يوسف"),
        ("Ibrahim", "إبراهيم"), ("Tariq", "طارق"), ("Nabil", "نبيل"), ("Faris", "فارس"),
    ]  # fmt: skip
    families = list(itertools.permutations(consonants, 3))
    entities: list[EntityRecord] = []
    next_id = itertools.count(1)

    def add(label: str, name: str) -> int:
        i = next(next_id)
        entities.append(ent(i, label, name, rng.randint(1, 20)))
        return i

    for p in range(2000):
        g = given[p % len(given)]
        c = families[p // len(given)]
        add("PERSON", f"{g[0]} {c[0][0].capitalize()}a{c[1][0]}a{c[2][0]}i")
        add("PERSON", f"{g[1]} {c[0][1]}{c[1][1]}{c[2][1]}ي")
    for k in range(300):  # kunya short forms, each with one longer name
        c = families[1000 + k]
        nick = f"{c[0][0].capitalize()}a{c[1][0]}i{c[2][0]}"
        add("PERSON", f"Abu {nick}")
        add("PERSON", f"Abu {nick} al-Nakhli")
    combos = itertools.product(
        ["Northern", "Eastern", "Western", "Southern", "Central"],
        ["Liberation", "Revolutionary", "Defence", "Security", "Unity"],
        ["Front", "Brigade", "Council", "Movement", "Army"],
    )
    for words in itertools.islice(combos, 100):  # 100 organisations and their initials
        add("ORG", " ".join(words))
        add("ORG", "".join(w[0] for w in words))
    for d in range(200):  # dates are never merged
        add("DATE", f"{d % 28 + 1} May {2000 + d // 28}")
    assert len(entities) == 5000

    props = propose_merges(entities)
    check_invariants(props)
    ids = {e.id for e in entities}
    assert all(p.entity_id in ids and p.into_id in ids for p in props)
    people = [p for p in props if p.entity_id <= 4000]
    # every person's two spellings, and nothing else among them
    assert len(people) == 2000
    assert all(abs(p.entity_id - p.into_id) == 1 for p in people)
    kunyas = [p for p in props if 4000 < p.entity_id <= 4600]
    assert len(kunyas) == 300
    assert all(p.confidence >= AUTO_MERGE for p in kunyas)
    orgs = [p for p in props if p.entity_id > 4600]
    assert len(orgs) == 100
    assert all(p.into_id == p.entity_id - 1 and p.confidence < AUTO_MERGE for p in orgs)


# ---------------------------------------------------------------------------------------------
# the alias table


def test_one_organisation_under_its_names_in_three_languages_is_one() -> None:
    names = ["Islamic State", "ISIS", "ISIL", "Daesh", "داعش", "الدولة الإسلامية",
             "État islamique", "l'État islamique", "EI", "Daech", "تنظيم الدولة"]  # fmt: skip
    entities = [ent(i + 1, "ORG", n, 3 if n == "Islamic State" else 1) for i, n in enumerate(names)]
    entities.append(ent(50, "ORG", "Free Syrian Army"))
    entities.append(ent(51, "ORG", "الجيش الحر"))
    entities.append(ent(52, "ORG", "Jaysh al-Islam"))  # another group: never with them
    got = merges(entities)
    assert {k: v.into_id for k, v in got.items() if k < 50} == {k: 1 for k in range(2, 12)}
    assert got[51].into_id == 50 and 52 not in got
    for p in got.values():
        assert p.confidence >= AUTO_MERGE
    reason = got[4].reasons[0]
    assert reason.startswith("alias table: 'Daesh' and 'Islamic State' are names of ")
    assert "resolution 2249" in reason  # the source is shown
    # Another label is another thing: a person called "Daesh" in a text is not the group.
    assert not merges([ent(1, "ORG", "Islamic State"), ent(2, "PERSON", "Daesh")])


def test_an_acronym_alias_stays_in_doubt_where_the_case_has_other_initials() -> None:
    props = propose_merges(
        [
            ent(1, "ORG", "SDF"),
            ent(2, "ORG", "Syrian Democratic Forces"),
            ent(3, "ORG", "قوات سوريا الديمقراطية"),
            ent(4, "ORG", "Southern Defence Front"),
        ]
    )
    check_invariants(props)
    sdf = [p for p in props if p.entity_id == 1]
    assert sorted(p.into_id for p in sdf) == [2, 4]
    assert all(p.confidence < AUTO_MERGE for p in sdf)
    arabic = [p for p in props if p.entity_id == 3]
    assert [p.into_id for p in arabic] == [2] and arabic[0].confidence >= AUTO_MERGE


def test_a_case_extends_the_alias_table(tmp_path: Path) -> None:
    extra = tmp_path / "aliases.yaml"
    extra.write_text(
        "entries:\n"
        "  - id: jamaat-al-sarab\n"
        "    label: ORG\n"
        "    name: Jama'at al-Sarab\n"
        "    aliases:\n"
        "      - {name: Jama'at al-Sarab, source: its own name (fictional)}\n"
        "      - {name: Mirage Brigade, lang: en, source: case notes (fictional)}\n"
        "      - {name: JAS, exact_case: true, source: case notes (fictional)}\n",
        encoding="utf-8",
    )
    table = AliasTable.for_case(str(extra))
    assert table.lookup("Daesh") is not None  # the shipped entries stay
    got = merges(
        [
            ent(1, "ORG", "Jama'at al-Sarab", 2),
            ent(2, "ORG", "Mirage Brigade"),
            ent(3, "ORG", "JAS"),
        ],
        aliases=table,
    )
    assert {k: v.into_id for k, v in got.items()} == {2: 1, 3: 1}
    assert "case notes (fictional)" in got[2].reasons[0]
    found = table.find(
        "The Mirage Brigade, known as JAS, with the SDF. Then see THE JAS HQ ADDRESS."
    )
    assert [(m.text, m.info["alias_of"]) for m in found] == [
        ("Mirage Brigade", "jamaat-al-sarab"),
        ("JAS", "jamaat-al-sarab"),
        ("SDF", "syrian-democratic-forces"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: x, name: X, aliases: [{name: Y}]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs a source"):
        AliasTable.load(bad)


def test_the_shipped_alias_table_is_sound() -> None:
    table = AliasTable.default()
    assert len(table.entries) >= 20
    seen: dict[str, str] = {}
    for entry in table.entries:
        for alias in entry.aliases:
            assert alias.source, (entry.id, alias.name)
            key = alias.name if alias.exact_case else alias_key(alias.name)
            assert seen.setdefault(key, entry.id) == entry.id, f"{alias.name} in two entries"
    # Common words are not aliases, in any language (the header of aliases.yaml says why).
    text = (
        "This is the base of the rule. Les jeunes et le parti. The youth (الشباب) met at "
        "القاعدة العسكرية. Richard Wagner wrote operas. Is it? IS IT? Ei, ei!"
    )
    assert table.find(text) == []
