"""The act of a claim (killed, arrested, fled…) and how it keeps different events apart."""

from __future__ import annotations

import datetime as dt

import pytest

from sijill.analysis import corroborate as cor
from sijill.analysis.acts import acts_of, sites_of
from sijill.analysis.corroborate import ClaimFacts, DateSpan, Quantity


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("In October 2015 forty men were arrested in the market.", "arrest"),
        ("Ils ont arrêté mon cousin au barrage.", "arrest"),
        ("مسكوا أبو ريان على الحاجز.", "arrest"),
        ("أعدموا أربعين رجل بالموصل.", "kill"),
        ("بعد صلاة الجمعة قطعوا راس سبع أشخاص بالساحة.", "kill"),
        ("En février 2017, dix prisonniers ont été fusillés.", "kill"),
        ("راح منا أكثر من مئتين شهيد بليلة وحدة.", "kill"),
        ("We lost eighty brothers in one night.", "kill"),
        ("They flogged seven young men for smoking.", "flog"),
        ("جلدوا سبعة شبان في الساحة.", "flog"),
        ("Ten prisoners escaped from the prison.", "flee"),
        ("Abu Bara deserted by hiding in a truck.", "flee"),
        ("أبو البراء الشامي هرب مع مقاتلين اثنين.", "flee"),
        ("Ils ont bombardé le village pendant trois jours.", "bomb"),
        ("The fine for smoking was one hundred dollars.", "fine"),
        ("Un combattant touchait cent dollars par mois.", "pay"),
        ("Three hundred fighters left Raqqa for the front.", "depart"),
        ("Trois cents combattants sont arrivés à Deir ez-Zor.", "arrive"),
        ("Les combattants sont partis de Raqqa à l'aube.", "depart"),
        ("Une frappe a touché la boulangerie et tué onze personnes.", "kill"),
        ("Ils ont tué dix hommes au barrage.", "kill"),
    ],
)
def test_acts_are_read_in_three_languages(text: str, act: str) -> None:
    assert act in acts_of(text), acts_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "Abu Rayyan ran to the checkpoint at the old bridge in 2015.",  # not "ran away"
        "He writes with his left hand.",  # not "left" a place
        "Nothing was left of the village.",
        "Tue, 03 Mar 2015 10:00: the report from the office.",  # Tuesday, not "tué"
        "Le parti a tenu une réunion à Raqqa.",  # a party
        "Une partie des combattants est restée à Tabqa.",  # a part of
        "Il est arrivé quelque chose au barrage.",  # "happened"
        "بيان صادر عن المكتب الإعلامي.",  # "issued by", not confiscated
    ],
)
def test_words_that_only_look_like_acts_are_not_acts(text: str) -> None:
    assert acts_of(text) == {}, acts_of(text)


def _claim(cid: int, group: int, text: str, count: float, unit: str) -> ClaimFacts:
    return ClaimFacts(
        cid,
        group,
        text,
        {"PLACE:7": "al-Mayadin"},
        [DateSpan(dt.date(2015, 10, 1), dt.date(2015, 10, 31), "October 2015")],
        [Quantity(count, False, unit, f"{count:g} {unit}s")],
    )


def test_different_acts_are_different_events_however_much_else_is_shared() -> None:
    # Same place, month and count; one arrest, one execution: no link of either kind.
    a = _claim(1, 0, "In October 2015 forty men were arrested in al-Mayadin.", 40, "man")
    b = _claim(2, 1, "أعدموا أربعين رجل بالميادين بتشرين الأول ٢٠١٥.", 40, "man")
    assert cor.decide(a, b, 0.95, 0.10) is None
    # The same act, the same facts: a support, and the act is one of the reasons.
    c = _claim(3, 1, "En octobre 2015, quarante hommes ont été arrêtés à Mayadine.", 40, "man")
    link = cor.decide(a, c, 0.95, 0.10)
    assert link is not None and link.relation == "supports"
    assert any(r.startswith("same act:") for r in link.reasons)
    # An act one side does not state says nothing: still a support.
    d = _claim(4, 2, "Forty men, al-Mayadin, October 2015: that is what I saw.", 40, "man")
    link = cor.decide(a, d, 0.95, 0.10)
    assert link is not None and link.relation == "supports"


def test_one_count_of_people_each_conflicts_whatever_else_is_counted() -> None:
    # "eighty brothers" against "over two hundred martyrs" (dead), with a bare "one" night
    # on one side that counts nothing: the same losses, told differently.
    a = _claim(1, 0, "We lost eighty brothers in one night.", 80, "brother")
    b = ClaimFacts(
        2,
        1,
        "راح منا أكثر من مئتين شهيد بليلة وحدة.",
        {"PLACE:7": "عين عيسى"},
        a.dates,
        [
            Quantity(200, True, "dead", "أكثر من مئتين شهيد", 200, 300),
            Quantity(1, False, "", "وحدة"),
        ],
    )
    link = cor.decide(a, b, 0.90, 0.0)
    assert link is not None and link.relation == "contradicts"
    assert any("different number of people" in r for r in link.reasons)
    # Killed and wounded counted on one side: only the like count is compared (80 dead
    # against 40 dead), never the one count of people against whichever is nearest.
    c = ClaimFacts(
        3,
        1,
        "Forty were killed and three hundred wounded.",
        a.entities,
        a.dates,
        [Quantity(40, False, "dead", "forty killed"), Quantity(300, False, "wounded", "300")],
    )
    d = _claim(4, 2, "Eighty killed.", 80, "dead")
    _agree, conflicts = cor._numbers(d, c, same_act=True)
    assert conflicts == ["different number of dead: '80 deads' against 'forty killed'"]


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("بقيت أسبوعين بالمنفردة بسجن الملعب بالرقة.", "prison"),
        ("My brother stayed two weeks in the hospital in Raqqa.", "hospital"),
        ("Il a passé deux semaines à l'hôpital de Raqqa.", "hospital"),
        ("نقلوه على المستشفى الوطني.", "hospital"),
        ("They turned the school into a training camp.", "school"),
        ("حوّلوا المدرسة لمعسكر.", "school"),
        ("بعد معركة مطار الطبقة", "airport"),
        ("The prison in the lower floors of the Tabqa dam.", "dam"),
        ("صلينا بالجامع الكبير", "mosque"),
        ("L'atelier d'obus de l'ancienne usine de tabac.", "factory"),
    ],
)
def test_sites_are_read_in_three_languages(text: str, site: str) -> None:
    assert site in sites_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "درس بجامعة الرقة",  # a university is not a mosque (جامع)
        "We walked for three days before the road block.",
        "Nous avons marché trois jours.",  # "walked", not a market
        "He is a teacher: مدرس بالقرية",
    ],
)
def test_words_that_only_look_like_sites_are_not_sites(text: str) -> None:
    found = sites_of(text)
    assert "mosque" not in found and "market" not in found and "school" not in found


def test_two_stays_of_two_weeks_at_two_sites_are_not_linked() -> None:
    # Same town, same duration, close in meaning: a prison and a hospital are two stays.
    def claim(cid: int, text: str) -> ClaimFacts:
        return ClaimFacts(
            cid, cid, text, {"PLACE:7": "Raqqa"}, [], [Quantity(2, False, "week", "two weeks")]
        )

    a = claim(1, "بقيت أسبوعين بالمنفردة بسجن الملعب بالرقة.")
    b = claim(2, "After the bombing my brother stayed two weeks in the hospital in Raqqa.")
    assert cor.decide(a, b, 0.95, 0.20) is None
    # The same site named in two languages: the stay may be one.
    c = claim(3, "Je suis resté deux semaines en cellule d'isolement à la prison du stade.")
    link = cor.decide(a, c, 0.95, 0.20)
    assert link is not None and link.relation == "supports"


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("Abu Rayyan ran the checkpoint at the old bridge in 2015.", "lead"),
        ("أبو حمزة التونسي كان أمير ديوان الزكاة.", "lead"),
        ("Abu Musa al-Shami married a woman from Tabqa.", "marry"),
        ("صيف ٢٠١٤ انضم خمسين شب من هجين للتنظيم.", "join"),
        ("Abou Hamza a été blessé à Albou Kamal.", "wound"),
        ("They opened fire on the crowd.", "attack"),
        ("فتحوا النار عالناس.", "attack"),
        ("The Organisation opened two new schools.", "open"),
        ("بشباط ٢٠١٥ سكّروا المدارس بالموصل.", "close"),
        ("Seven families were sent from Raqqa to al-Mayadin.", "transfer"),
        ("En 2015, j'ai monté la garde la nuit sur le pont.", "guard"),
    ],
)
def test_more_acts(text: str, act: str) -> None:
    assert act in acts_of(text)


def test_adjectives_and_nouns_are_not_acts() -> None:
    # "closed trucks", "opened fire", "مسكّرة" (closed, not caught), "prisoners" (people)
    assert acts_of("They moved seventy prisoners in closed trucks.") == {}
    assert "open" not in acts_of("They opened fire on the crowd.")
    assert "arrest" not in acts_of("نقلوا سبعين سجين بشاحنات مسكّرة.")
    assert sites_of("They moved seventy prisoners.") == {}


def test_a_car_bomb_and_an_ambush_are_two_events_though_both_killed() -> None:
    def claim(cid: int, text: str) -> ClaimFacts:
        return ClaimFacts(
            cid,
            cid,
            text,
            {"PLACE:7": "Tal Abyad"},
            [DateSpan(dt.date(2015, 10, 1), dt.date(2015, 10, 31), "October 2015")],
            [Quantity(9, False, "person", "nine people")],
        )

    a = claim(1, "In October 2015 a car bomb killed nine people at the Tal Abyad crossing.")
    b = claim(2, "بتشرين الأول ٢٠١٥ انقتلوا تسع عناصر بكمين قرب تل أبيض.")
    assert cor.decide(a, b, 0.95, 0.20) is None
    c = claim(3, "En octobre 2015, une voiture piégée a tué neuf personnes à Tall Abyad.")
    link = cor.decide(a, c, 0.95, 0.20)
    assert link is not None and link.relation == "supports"
