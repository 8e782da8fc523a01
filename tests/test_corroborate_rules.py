"""The corroboration decision on hand-made facts: fast, no models, one rule per test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from numpy.typing import NDArray

from sijill.analysis import corroborate as cor
from sijill.analysis.corroborate import ClaimFacts, DateSpan, Quantity

NAMES = {
    "PERSON:1": "Abu Rayyan al-Nakhli",
    "PERSON:2": "Abu Tariq al-Firansi",
    "PERSON:5": "أبو ريان النخلي",
    "PERSON:8": "Umm Salma",
    "PERSON:9": "Abu Hafs al-Iraqi",
    "PLACE:7": "Tabqa",
    "PLACE:8": "Manbij",
    "PLACE:9": "Mosul",
}


def _facts(
    cid: int,
    group: int,
    *,
    who: str | None = "PERSON:1",
    where: str | None = "PLACE:7",
    year: int | None = 2014,
    month: int = 7,
    count: float | None = 300,
    unit: str = "prisoner",
) -> ClaimFacts:
    entities = {}
    if who:
        entities[who] = NAMES[who]
    if where:
        entities[where] = NAMES[where]
    dates = (
        [DateSpan(dt.date(year, month, 1), dt.date(year, month, 28), f"{year}-{month:02d}")]
        if year
        else []
    )
    numbers = [Quantity(count, False, unit, str(count))] if count is not None else []
    return ClaimFacts(cid, group, f"claim {cid}", entities, dates, numbers)


def test_agreeing_claims_of_independent_witnesses_support() -> None:
    link = cor.decide(_facts(1, 0), _facts(2, 1), 0.93, 0.05)
    assert link is not None and link.relation == "supports"
    assert (link.a, link.b) == (1, 2) and 0 < link.score <= 1
    text = " ".join(link.reasons)
    assert "same people" in text and "dates agree" in text and "same number" in text


def test_the_same_witness_never_corroborates_themself() -> None:
    assert cor.decide(_facts(1, 0), _facts(2, 0), 0.99, 0.3) is None


def test_same_event_with_another_number_contradicts() -> None:
    link = cor.decide(_facts(1, 0), _facts(2, 1, count=40), 0.93, 0.05)
    assert link is not None and link.relation == "contradicts"
    assert any("different number" in r for r in link.reasons)


def test_same_event_with_another_date_contradicts() -> None:
    link = cor.decide(_facts(1, 0), _facts(2, 1, year=2015), 0.93, 0.05)
    assert link is not None and link.relation == "contradicts"
    assert any("different dates" in r for r in link.reasons)


def test_a_conflict_without_a_shared_anchor_is_no_link() -> None:
    # Same kind of event, nothing in common but a town: not the same event.
    a = _facts(1, 0, who="PERSON:1", count=None)
    b = _facts(2, 1, who="PERSON:2", year=2016, count=None)
    assert cor.decide(a, b, 0.90, 0.0) is None


def test_one_name_in_two_scripts_is_not_a_conflict() -> None:
    # Entities not (yet) merged, but one sounds like the other: no "different people".
    a = _facts(1, 0, who="PERSON:1")
    b = _facts(2, 1, who="PERSON:5")
    link = cor.decide(a, b, 0.93, 0.05)
    assert link is not None and link.relation == "supports", link
    assert any("~" in r for r in link.reasons)


def test_two_bare_numbers_never_conflict() -> None:
    a = _facts(1, 0, count=10000, unit="")
    b = _facts(2, 1, count=11, unit="")
    link = cor.decide(a, b, 0.93, 0.05)
    assert link is None or not any("number" in r for r in link.reasons if "different" in r)


def test_numbers_of_people_compare_across_words() -> None:
    a = _facts(1, 0, count=200, unit="fighter")
    b = _facts(2, 1, count=30, unit="man")
    link = cor.decide(a, b, 0.93, 0.05)
    assert link is not None and link.relation == "contradicts"


def test_below_the_floor_nothing_links() -> None:
    assert cor.decide(_facts(1, 0), _facts(2, 1), cor.SUPPORT_FLOOR - 0.01, 0.5) is None


def test_corroborate_uses_groups_and_the_index() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 384)).astype(np.float32)
    rows = np.vstack([base[0], base[0], base[0], base[1], base[2]])
    rows += 0.05 * rng.normal(size=rows.shape).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    facts = [_facts(i, g) for i, g in enumerate([0, 0, 1, 2, 3])]
    facts[3] = _facts(3, 2, who="PERSON:9", where="PLACE:9", year=2019, count=None)
    facts[4] = _facts(4, 3, who="PERSON:8", where="PLACE:8", year=2011, count=None)
    links = cor.corroborate(facts, rows)
    pairs = {(lk.a, lk.b) for lk in links}
    assert (0, 1) not in pairs  # same group
    assert {(0, 2), (1, 2)} <= pairs
    assert all(lk.relation == "supports" for lk in links)


def test_a_shared_duration_is_no_evidence_of_one_event() -> None:
    # Two stays of "two weeks", nothing else in common: close in meaning, but no link.
    a = _facts(1, 0, who=None, where=None, year=None, count=2, unit="week")
    b = _facts(2, 1, who=None, where=None, year=None, count=2, unit="week")
    assert cor.decide(a, b, 0.91, 0.05) is None
    # Far above both neighbourhoods, a pair may still be linked on meaning alone...
    link = cor.decide(a, b, 0.97, 0.2)
    assert link is not None and link.relation == "supports"
    # ...but the duration is never given as a reason.
    assert not any("same number" in r for r in link.reasons)
    # A shared count of people is evidence (with a place in common it supports).
    a = _facts(3, 0, who=None, year=None, count=40, unit="fighter")
    b = _facts(4, 1, who=None, year=None, count=40, unit="fighter")
    link = cor.decide(a, b, 0.91, cor.SUPPORT_MATCH + 0.01)
    assert link is not None and any("same number" in r for r in link.reasons)


def test_counts_of_one_event_conflict_whatever_noun_counts_them() -> None:
    for unit_a, unit_b in (("brother", "fighter"), ("man", "fighter"), ("brother", "man")):
        a = _facts(1, 0, who=None, count=150, unit=unit_a)
        b = _facts(2, 1, who=None, count=40, unit=unit_b)
        link = cor.decide(a, b, 0.92, 0.03)
        assert link is not None and link.relation == "contradicts", (unit_a, unit_b)
        assert any("different number" in r for r in link.reasons)


def test_the_one_count_of_the_same_thing_conflicts_beside_bare_numbers() -> None:
    """ "100 dollars a month, 50 more per wife" against "400 dollars a month, 50 more per
    wife": the bare 50s agree, and the one number of dollars on each side differs."""
    a = _facts(1, 0, who=None, count=100, unit="dollar")
    b = _facts(2, 1, who=None, count=400, unit="dollar")
    a.numbers.append(Quantity(50, False, "", "50"))
    b.numbers.append(Quantity(50, False, "", "cinquante"))
    link = cor.decide(a, b, 0.93, 0.04)
    assert link is not None and link.relation == "contradicts"
    assert any("different number of dollars" in r for r in link.reasons), link.reasons
    # Two numbers of dollars on the other side: which one answers is not known, no conflict.
    b.numbers.append(Quantity(35, False, "dollar", "35 dollars"))
    link = cor.decide(a, b, 0.93, 0.04)
    assert link is None or not any("different number" in r for r in link.reasons)


def test_french_corps_are_bodies() -> None:
    from sijill.analysis.quantities import quantities

    (q,) = quantities("une quarantaine de corps ont été jetés dans le puits", "fr")
    assert (q.value, q.unit) == (40, "body")


def _language_case() -> tuple[list[ClaimFacts], NDArray[np.float32]]:
    """Twelve Arabic claims of other witnesses close around claim 0 (Arabic), nearer to it
    than its English telling (claim 13), as the multilingual space puts sentences of one
    language together; twelve unrelated English claims."""
    rng = np.random.default_rng(3)
    basis, _r = np.linalg.qr(rng.normal(size=(64, 64)))
    event, arabic = basis[:, 0], basis[:, 1]
    noise = basis[:, 2:].T  # orthonormal directions of what each claim says alone
    rows = [0.92 * event + 0.39 * arabic]
    rows += [0.85 * event + 0.39 * arabic + 0.35 * noise[i] for i in range(12)]
    rows.append(0.97 * event + 0.24 * noise[20])
    rows += [0.3 * event + 0.95 * noise[30 + i] for i in range(12)]
    x = np.asarray(rows, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    langs = ["ar"] * 13 + ["en"] * 13
    facts = [
        ClaimFacts(i, i, f"claim {i}", {"PLACE:7": "Tabqa"}, [], [], lang)
        for i, lang in enumerate(langs)
    ]
    return facts, x


def test_neighbourhoods_are_taken_per_language() -> None:
    facts, x = _language_case()
    groups = [f.group for f in facts]
    hoods = cor.neighbourhoods(x, groups, [f.lang for f in facts])
    ar, en = hoods.column[0], hoods.column[13]
    assert ar != en and hoods.r.shape == (26, 2)
    # r of claim 0 against each language: the mean of its 10 best cosines there.
    for col, rows in ((ar, range(1, 13)), (en, range(13, 26))):
        best = np.sort([float(x[0] @ x[j]) for j in rows])[::-1][:10]
        assert hoods.r[0, col] == pytest.approx(best.mean(), abs=1e-5)
    cos = float(x[0] @ x[13])
    # The Arabic neighbours crowd claim 0: against them its English telling does not stand
    # out, against the English claims it does (the match is taken language against language).
    mixed = 2 * cos - float(hoods.r[0, ar]) - float(hoods.r[13, ar])
    assert hoods.match(0, 13, cos) > mixed
    assert hoods.match(0, 13, cos) == hoods.match(13, 0, cos)
    # The pair is a candidate though twelve Arabic claims are nearer to claim 0.
    nearer = sum(float(x[0] @ x[j]) > cos for j in range(1, 13))
    assert nearer >= 10
    assert cos >= cor.MIN_COSINE and [0, 13] in hoods.pairs.tolist()
    # Decided on the per-language match, the two support each other; on one neighbourhood
    # over both languages they would not.
    link = cor.corroborate(facts, x)
    assert any((lk.a, lk.b) == (0, 13) and lk.relation == "supports" for lk in link)
    assert cor.decide(facts[0], facts[13], cos, mixed) is None


def test_unknown_and_spelled_out_languages_share_a_column() -> None:
    x = np.eye(4, dtype=np.float32)
    hoods = cor.neighbourhoods(x, [0, 1, 2, 3], ["fr", "fr-FR", None, "FR"])
    assert hoods.column[0] == hoods.column[1] == hoods.column[3] != hoods.column[2]


def test_more_facts_at_odds_than_in_common_is_another_event() -> None:
    # The same woman, another town and another year: two events, not one told two ways.
    a = _facts(1, 0, who="PERSON:8", where="PLACE:7", year=2015, count=None)
    b = _facts(2, 1, who="PERSON:8", where="PLACE:8", year=2016, count=None)
    assert cor.decide(a, b, 0.92, 0.10) is None
    # One conflict against one agreement is still a contradiction of one event.
    c = _facts(3, 1, who="PERSON:8", where="PLACE:7", year=2016, count=None)
    link = cor.decide(a, c, 0.92, 0.10)
    assert link is not None and link.relation == "contradicts"


def test_date_conflicts_say_how_far_apart_in_plain_words() -> None:
    def year(cid: int, y: int) -> ClaimFacts:
        span = DateSpan(dt.date(y, 1, 1), dt.date(y, 12, 31), str(y))
        return ClaimFacts(cid, cid, "claim", {}, [span], [])

    def day(cid: int, d: dt.date) -> ClaimFacts:
        return ClaimFacts(cid, cid, "claim", {}, [DateSpan(d, d, d.isoformat())], [])

    # 2015 against 2016: next to each other, no "(1 days apart)".
    assert cor._dates(year(1, 2015), year(2, 2016))[1] == ["different dates: '2015' against '2016'"]
    assert cor._dates(year(1, 2015), year(2, 2019))[1][0].endswith("(about 3 years apart)")
    first, later = day(1, dt.date(2016, 3, 1)), day(2, dt.date(2016, 3, 20))
    assert cor._dates(first, later)[1][0].endswith("(19 days apart)")
    assert cor._dates(first, day(2, dt.date(2016, 9, 1)))[1][0].endswith("(about 6 months apart)")


def test_r_is_computed_where_a_candidate_needs_it_and_candidates_are_filtered() -> None:
    facts, x = _language_case()
    groups, langs = [f.group for f in facts], [f.lang for f in facts]
    lazy = cor.neighbourhoods(x, groups, langs)
    full = cor.neighbourhoods(x, groups, langs, every_r=True)
    assert [0, 13] in lazy.pairs.tolist()
    for i, j in lazy.pairs:
        # Every candidate's two r values are the real ones, not the placeholder (equal but
        # for the last bits: BLAS may round a product of another shape differently).
        assert lazy.r[i, lazy.column[j]] == pytest.approx(full.r[i, full.column[j]], abs=1e-6)
        assert lazy.r[j, lazy.column[i]] == pytest.approx(full.r[j, full.column[i]], abs=1e-6)
        cos = float(x[i] @ x[j])
        assert cos >= min(cor.SUPPORT_FLOOR, cor.CONTRADICT_FLOOR)
        assert lazy.match(int(i), int(j), cos) >= cor._least_match()
