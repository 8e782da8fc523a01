"""Corroboration: which claims of independent sources support or contradict each other, and why.

Candidates come from the multilingual embeddings: each claim's nearest claims of *other*
independence groups (`ann.nearest_neighbours`; a group is every item of one witness, one
source, or one container, so a witness never corroborates themself). Each candidate pair is
then read like an investigator would:

* **agreement**: the entities both name (after cross-item resolution, so "Abu Rayyan" and
  "أبو ريان" count as one), dates whose intervals overlap, numbers that agree for the same
  counted thing;
* **conflict**: dates that cannot both be true, numbers that disagree for the same counted
  thing, places that differ while the actor is the same.

A pair becomes **supports** when the two are close in meaning and nothing conflicts, and
**contradicts** when they are about the same event (close in meaning *and* sharing a named
anchor: a person, unit, place or facility) but a date, number or place conflicts. Everything
else is left unlinked: "same place, different event" must not become a link. Every link keeps
its score and the reasons in plain words. Thresholds were set on half of the labelled set in
`benchmarks/data/claim_pairs.yaml` and checked on the other half (`benchmarks/claims.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sijill.analysis.acts import acts_of, sites_of, tell_apart

# Bump when the scoring changes: stored links are recomputed when it does.
VERSION = 4

# Neighbours fetched per claim, and the cosine below which a pair is never looked at.
NEIGHBOURS = 10
MIN_COSINE = 0.80
# The match score is CSLS: 2·cos(a, b) − r(a) − r(b), where r is a claim's mean cosine to its
# NEIGHBOURS nearest claims of other groups. A claim close to everything ("in Raqqa, the
# group…") has a high r, so only a pair that stands out against both neighbourhoods scores
# high. Slots a small case cannot fill count as R_PRIOR, a typical neighbour cosine.
R_PRIOR = 0.80
# Supports: a high match with no conflict; lower when the slots agree (EVIDENCE).
SUPPORT_MATCH = 0.07
SUPPORT_MATCH_SHARED = 0.0
# A support with no fact in common needs this much (set on the dev half).
SUPPORT_MATCH_ALONE = 0.14
# CSLS depends on how alike a case's claims are; an absolute cosine floor keeps a sparse
# case (few, varied claims) from linking loosely related ones.
SUPPORT_FLOOR = 0.85
CONTRADICT_FLOOR = 0.84
# Contradicts: the same event (a high match and agreeing slots) with a conflicting fact.
CONTRADICT_MATCH = -0.04
# How much agreement (who 1, when 1, how many 1, where PLACE_WEIGHT) each relation needs.
PLACE_WEIGHT = 0.5
# The same act ("killed" and "قتل") is weak evidence too: acts are few, events many.
ACT_WEIGHT = 0.5
# A pair this far above both neighbourhoods is the same event on less slot evidence.
CONTRADICT_STRONG_MATCH = 0.02
SUPPORT_EVIDENCE = 2.0
CONTRADICT_EVIDENCE = 1.5
ANCHOR_LABELS = frozenset({"PERSON", "ORG", "PLACE", "TERM"})


@dataclass(frozen=True)
class Quantity:
    value: float
    approx: bool
    unit: str
    text: str
    low: float | None = None  # the span a range or a vague amount allows ("dozens")
    high: float | None = None


@dataclass(frozen=True)
class DateSpan:
    earliest: dt.date
    latest: dt.date
    text: str


@dataclass
class ClaimFacts:
    """What scoring needs to know about one claim."""

    id: int
    group: int
    text: str
    # entity key ("PLACE:12") -> how the claim names it
    entities: dict[str, str] = field(default_factory=dict)
    dates: list[DateSpan] = field(default_factory=list)
    numbers: list[Quantity] = field(default_factory=list)
    lang: str | None = None  # the claim's language (its text unit's); None when unknown
    # What was done and at what kind of site, read once per claim (`acts_of`, `sites_of`)
    _acts: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _sites: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def acts(self) -> dict[str, str]:
        if self._acts is None:
            self._acts = acts_of(self.text)
        return self._acts

    @property
    def sites(self) -> dict[str, str]:
        if self._sites is None:
            self._sites = sites_of(self.text)
        return self._sites


@dataclass(frozen=True)
class Link:
    a: int  # claim ids, a < b
    b: int
    relation: str  # supports | contradicts
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class NamedEntity:
    """A mention inside a claim, resolved to an entity (`entity_id`) when known."""

    label: str
    text: str
    start: int  # offsets in the claim's text unit
    end: int
    norm: str
    entity_id: int | None
    gazetteer_id: str | None = None


def claim_info(
    text: str,
    lang: str | None,
    entities: Sequence[NamedEntity],
    *,
    anchor: dt.date | None = None,
    anchor_basis: str = "",
    previous: Any = None,
) -> tuple[dict[str, Any], Any]:
    """What a claim states, normalised: its entities, dates and numbers.

    `previous` is the last resolved date before this claim in the same item (relative dates
    such as "the following month" count from it); the second value returned is the one to
    pass to the next claim.
    """
    from sijill.analysis.numbers import find_quantities
    from sijill.analysis.when import find_dates

    dates = find_dates(text, lang, anchor=anchor, previous=previous)
    for d in dates:
        if d.earliest is not None:
            previous = d
    info: dict[str, Any] = {
        "entities": [
            {
                "entity_id": e.entity_id,
                "label": e.label,
                "text": e.text,
                "norm": e.norm,
                "gazetteer_id": e.gazetteer_id,
            }
            for e in entities
            if e.label != "DATE"
        ],
        "dates": [
            {
                "text": d.text,
                "value": d.value,
                "earliest": d.earliest.isoformat() if d.earliest else None,
                "latest": d.latest.isoformat() if d.latest else None,
                "precision": d.precision,
                "kind": d.kind,
                "basis": d.basis,
                "char_start": d.start,  # in the claim's text
                "char_end": d.end,
            }
            for d in dates
        ],
        "numbers": [
            {
                "text": q.text,
                "value": q.value,
                "approx": q.approx,
                "unit": q.unit,
                **({"low": q.low, "high": q.high} if q.low is not None else {}),
            }
            for q in find_quantities(text, lang, [(d.start, d.end) for d in dates])
        ],
    }
    if any(d.kind == "relative" for d in dates):
        info["anchor"] = f"{anchor.isoformat()} ({anchor_basis})" if anchor else anchor_basis
    return info, previous


def facts_from_info(
    claim_id: int,
    group: int,
    text: str,
    info: dict[str, Any],
    entity_key: Callable[[dict[str, Any]], str | None],
    lang: str | None = None,
) -> ClaimFacts:
    """A claim's facts from what `claim_extractor` stored in its `info`."""
    entities: dict[str, str] = {}
    for e in info.get("entities", []):
        key = entity_key(e)
        if key:
            entities.setdefault(key, str(e.get("text", "")))
    dates = []
    for d in info.get("dates", []):
        if d.get("earliest") and d.get("latest"):
            dates.append(
                DateSpan(
                    dt.date.fromisoformat(d["earliest"]),
                    dt.date.fromisoformat(d["latest"]),
                    str(d.get("text", "")),
                )
            )
    numbers = [
        Quantity(
            float(n["value"]),
            bool(n.get("approx")),
            str(n.get("unit", "")),
            str(n["text"]),
            n.get("low"),
            n.get("high"),
        )
        for n in info.get("numbers", [])
    ]
    return ClaimFacts(claim_id, group, text, entities, dates, numbers, lang)


def _tolerance(q: Quantity) -> tuple[float, float]:
    if q.low is not None and q.high is not None:
        return q.low, q.high
    if q.approx:
        return q.value * 0.75, q.value * 1.25
    return q.value, q.value


# Counted things that a witness may name differently for the same people: one battle's
# losses are "150 brothers", "about 40 fighters", "over 300 martyrs" (dead), "men", "members".
PEOPLE = frozenset(
    {"fighter", "man", "person", "prisoner", "soldier", "recruit", "guard", "detainee",
     "brother", "member", "dead", "wounded", "civilian"}
)  # fmt: skip
# A length of time ("two weeks", "three days") is said of countless different events: it is
# never, on its own, a sign that two claims tell the same one.
DURATIONS = frozenset({"minute", "hour", "day", "week", "month", "year", "time"})


_PLURALS = {
    "man": "men", "woman": "women", "child": "children", "person": "people", "dead": "dead",
    "wounded": "wounded", "family": "families", "body": "bodies", "%": "percent",
    "bus": "buses", "time": "times",
}  # fmt: skip


def _plural(unit: str) -> str:
    """How a reason names what was counted: "men", "dead", "fighters"."""
    return _PLURALS.get(unit, unit + "s")


def _known_unit(unit: str) -> bool:
    from sijill.analysis.numbers import UNITS

    return unit in UNITS


def _comparable(a: Quantity, b: Quantity) -> bool:
    """Whether two numbers count the same kind of thing (as far as can be told)."""
    if a.unit == b.unit:
        return True
    if a.unit in PEOPLE and b.unit in PEOPLE:
        return True
    # An unknown or untranslated noun ("enseignant", "رؤوس") cannot rule a match out.
    return not (_known_unit(a.unit) and _known_unit(b.unit))


def _counts_alike(a: Quantity, b: Quantity) -> bool:
    """Whether two numbers surely count one kind of thing, so that differing is a conflict.

    Two bare numbers ("10,000" and "Point 11") may count anything; an unknown noun on one
    side (often a mis-read word) proves nothing either."""
    if a.unit and a.unit == b.unit:
        return True
    if a.unit in PEOPLE and b.unit in PEOPLE:
        return True
    return bool(a.unit and b.unit) and not (_known_unit(a.unit) or _known_unit(b.unit))


def _counts(q: list[Quantity]) -> list[Quantity]:
    """Numbers that count something: a bare four-digit year is a date, not a count, and a
    bare "one" ("in one night", "بليلة وحدة") is an article more often than a count."""
    return [
        x
        for x in q
        if not (x.text.strip().isdigit() and len(x.text.strip()) == 4 and 1900 <= x.value <= 2100)
        and not (x.value == 1 and not x.unit)
    ]


def _numbers(
    a: ClaimFacts, b: ClaimFacts, *, same_act: bool = False
) -> tuple[list[str], list[str]]:
    """(agreements, conflicts) between the numbers of two claims, for the same counted thing.

    Agreeing durations ("two weeks" and "deux semaines") are not listed: they are no evidence
    of one event (see `DURATIONS`); differing ones still conflict. When both claims state
    the same act and each gives one count, two counts that may count the same people
    conflict whatever nouns count them ("twelve of the drivers' guards were killed" against
    "sept morts")."""
    agree: list[str] = []
    conflict: list[str] = []
    bn = _counts(b.numbers)
    an = _counts(a.numbers)
    one_each = same_act and len(an) == 1 and len(bn) == 1
    # One count of people on each side ("eighty brothers" / "over 200 martyrs"), whatever
    # else is counted: the same event's losses, so differing is a conflict.
    people_a = [x for x in an if x.unit in PEOPLE]
    people_b = [x for x in bn if x.unit in PEOPLE]
    one_people = len(people_a) == 1 and len(people_b) == 1
    for qa in an:
        comparable = [qb for qb in bn if _comparable(qa, qb)]
        if not comparable:
            continue
        lo_a, hi_a = _tolerance(qa)
        matched = [
            qb for qb in comparable if _tolerance(qb)[0] <= hi_a and lo_a <= _tolerance(qb)[1]
        ]
        what = f" of {_plural(qa.unit)}" if qa.unit and _known_unit(qa.unit) else ""
        if matched:
            if qa.unit not in DURATIONS or matched[0].unit not in DURATIONS:
                agree.append(f"same number{what}: {qa.text!r} and {matched[0].text!r}")
            continue
        # The one number of the other side that counts the same thing ("100 dollars" and
        # "400 dollars", though both also give bare numbers) differs: a conflict.
        same = [qb for qb in comparable if qa.unit and qb.unit == qa.unit]
        if len(same) == 1:
            conflict.append(f"different number{what}: {qa.text!r} against {same[0].text!r}")
        elif one_people and qa is people_a[0]:
            conflict.append(f"different number of people: {qa.text!r} against {people_b[0].text!r}")
        elif len(comparable) == 1 and (one_each or _counts_alike(qa, comparable[0])):
            conflict.append(f"different number: {qa.text!r} against {comparable[0].text!r}")
    return agree, conflict


def _dates(a: ClaimFacts, b: ClaimFacts) -> tuple[list[str], list[str]]:
    agree: list[str] = []
    conflict: list[str] = []
    if not a.dates or not b.dates:
        return agree, conflict
    overlapping = [
        (da, db)
        for da in a.dates
        for db in b.dates
        if da.earliest <= db.latest and db.earliest <= da.latest
    ]
    if overlapping:
        da, db = overlapping[0]
        agree.append(f"dates agree: {da.text!r} and {db.text!r}")
    else:
        da, db = a.dates[0], b.dates[0]
        gap = max((db.earliest - da.latest).days, (da.earliest - db.latest).days)
        conflict.append(f"different dates: {da.text!r} against {db.text!r}{_apart(gap)}")
    return agree, conflict


def _apart(days: int) -> str:
    """The gap between two dates that cannot both hold, as a reviewer would say it; nothing
    where the two are next to each other (2015 against 2016 is one day from end to start)."""
    if days < 2:
        return ""
    if days < 60:
        return f" ({days} days apart)"
    if days < 730:
        return f" (about {round(days / 30.44)} months apart)"
    return f" (about {round(days / 365.25)} years apart)"


def _label(key: str) -> str:
    return key.split(":", 1)[0]


def _keys(f: ClaimFacts, labels: tuple[str, ...]) -> set[str]:
    return {k for k in f.entities if _label(k) in labels}


# Words that say what kind of name it is, not which one.
_GENERIC = frozenset(
    {
        "abu", "abou", "umm", "oum", "um", "ابو", "ام", "bataillon", "battalion", "brigade",
        "katibat", "katiba", "saraya", "liwa", "jaysh", "jabhat", "army", "armee", "the", "le",
        "la", "de", "of", "كتيبه", "سرايا", "لواء", "جيش", "جبهه", "فرقه", "ديوان", "school",
        "ecole", "prison", "dam", "barrage", "سد", "سجن", "مدرسه", "quartier", "district", "حي",
    }
)  # fmt: skip


def _significant(name: str) -> list[str]:
    from sijill.analysis.mentions import name_key

    return [t for t in name_key(name).split() if t not in _GENERIC and len(t) > 1]


def _maybe_same(a: str, b: str) -> bool:
    """Whether two names may be one thing written differently (another script, a translated
    unit word, a merge not yet confirmed): a distinctive word of one sounds like one of the
    other's. Such a pair is never read as a conflict."""
    from sijill.analysis.translit import similarity

    ta, tb = _significant(a), _significant(b)
    return any(similarity(x, y) >= 0.8 for x in ta for y in tb)


def _slot(
    a: ClaimFacts, b: ClaimFacts, labels: tuple[str, ...], what: str
) -> tuple[list[str], list[str]]:
    """Agreement when both name the same one; conflict when each names one the other does
    not (and the two do not look like one name written two ways)."""
    ka, kb = _keys(a, labels), _keys(b, labels)
    if not ka or not kb:
        return [], []
    agree = []
    shared = ka & kb
    only_a, only_b = ka - kb, kb - ka
    alike = [(x, y) for x in only_a for y in only_b if _maybe_same(a.entities[x], b.entities[y])]
    if shared or alike:
        names = [repr(a.entities[k]) for k in sorted(shared)[:3]]
        names += [f"{a.entities[x]!r} ~ {b.entities[y]!r}" for x, y in alike[:2]]
        agree.append(f"same {what}: {', '.join(names)}")
    only_a -= {x for x, _y in alike}
    only_b -= {y for _x, y in alike}
    if only_a and only_b:
        ea = a.entities[sorted(only_a)[0]]
        eb = b.entities[sorted(only_b)[0]]
        return agree, [f"different {what}: {ea!r} against {eb!r}"]
    return agree, []


def _place_slot(a: ClaimFacts, b: ClaimFacts) -> tuple[list[str], list[str]]:
    return _slot(a, b, ("PLACE",), "place")


def hubness(nb: Any, k: int = NEIGHBOURS) -> NDArray[np.float32]:
    """r(x) of every row: mean cosine to its k nearest rows of other groups (R_PRIOR where a
    row has fewer)."""
    scores = np.asarray(nb.scores[:, :k], dtype=np.float64)
    filled = np.where(np.isfinite(scores) & (nb.ids[:, :k] >= 0), scores, R_PRIOR)
    if filled.shape[1] < k:
        pad = np.full((filled.shape[0], k - filled.shape[1]), R_PRIOR)
        filled = np.hstack([filled, pad])
    return np.asarray(filled.mean(axis=1), dtype=np.float32)


def _lang_key(lang: str | None) -> str:
    """ "fr", "fr-FR" and "FR" are one language; unknown languages are one more."""
    return (lang or "?").split("-")[0].split("_")[0].lower()


@dataclass
class Neighbourhoods:
    """A case's candidate pairs, and each claim's neighbourhood in the languages it needs.

    CSLS as it was defined for matching across languages (Conneau et al., 2018): r is taken
    per target language, so the pair (a in Arabic, b in English) scores
    2·cos(a, b) − r_en(a) − r_ar(b). Sentences sit nearer to others of their own language in
    the multilingual space; one neighbourhood over all languages gave an Arabic claim a high
    r from its Arabic neighbours, and sank its true English match (measured in
    `benchmarks/claims.py`). Candidates come from one index over the case (symmetrised: a
    pair found from either end is a candidate).
    """

    pairs: NDArray[np.int64]  # unique (i, j), i < j, that could become a link (see below)
    r: NDArray[np.float32]  # (rows, languages): r of row i against language column c
    column: NDArray[np.int64]  # each row's own language column

    def match(self, i: int, j: int, cosine: float) -> float:
        # Summed in one order whichever claim comes first, so match(i, j) == match(j, i).
        lo, hi = sorted((float(self.r[i, self.column[j]]), float(self.r[j, self.column[i]])))
        return 2 * cosine - (lo + hi)


def neighbourhoods(
    vectors: NDArray[np.float32],
    groups: Sequence[int] | NDArray[np.int64],
    langs: Sequence[str | None],
    *,
    k: int = NEIGHBOURS,
    progress: Callable[[float], None] | None = None,
    every_r: bool = False,
) -> Neighbourhoods:
    """Candidate pairs and per-language r for rows of `vectors` (unit length, one per claim).
    `every_r`: r of every row against every language (a benchmark that scores pairs of its
    own, not only the candidates).

    Candidates are each claim's k nearest claims of other groups (one index over the case).
    r is then computed, per language, only for the claims that have a candidate in that
    language: a case of 164,000 claims in nine detected languages needs every r of its main
    language but few of the others (computing all of them, and taking candidates per
    language too, made 12 million candidate pairs and tripled the search).
    """
    from sijill.analysis.ann import candidate_pairs, nearest_neighbours, neighbours_among

    n = int(vectors.shape[0])
    keys = [_lang_key(x) for x in langs]
    names = sorted(set(keys))
    index = {name: c for c, name in enumerate(names)}
    column = np.asarray([index[x] for x in keys], dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    r = np.full((n, len(names)), R_PRIOR, dtype=np.float32)

    def step(lo: float, hi: float) -> Callable[[float], None] | None:
        if progress is None:
            return None
        report = progress
        return lambda f: report(lo + (hi - lo) * f)

    nb = nearest_neighbours(vectors, min(k, max(1, n - 1)), groups=g, progress=step(0.0, 0.5))
    pairs = candidate_pairs(nb, max(MIN_COSINE, _least_cosine())).reshape(-1, 2)
    if len(names) == 1:
        r[:, 0] = hubness(nb, k)
    else:
        for c in range(len(names)):
            # The rows that have a candidate in language c: their r against c is needed.
            ends = np.concatenate(
                (pairs[column[pairs[:, 1]] == c, 0], pairs[column[pairs[:, 0]] == c, 1])
            )
            queries = np.arange(n) if every_r else np.unique(ends)
            if queries.size:
                targets = np.flatnonzero(column == c)
                share = 0.5 / len(names)
                nb_c = neighbours_among(
                    vectors,
                    targets,
                    k,
                    groups=g,
                    queries=queries,
                    progress=step(0.5 + c * share, 0.5 + (c + 1) * share),
                )
                r[queries, c] = hubness(nb_c, k)
    # Only pairs that could become a link go on to be read: the lowest match of either
    # relation, in bulk.
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), _PAIR_CHUNK):
        i, j = pairs[start : start + _PAIR_CHUNK, 0], pairs[start : start + _PAIR_CHUNK, 1]
        cos = np.einsum("ij,ij->i", vectors[i], vectors[j])
        match = 2 * cos - r[i, column[j]] - r[j, column[i]]
        keep[start : start + len(i)] = match >= _least_match()
    return Neighbourhoods(pairs[keep].astype(np.int64), r, column)


_PAIR_CHUNK = 1 << 18


def decide(a: ClaimFacts, b: ClaimFacts, cosine: float, match: float | None = None) -> Link | None:
    """The link between two claims of independent sources, or None.

    Four slots are read: who (people and organisations), where, when and how many. A slot
    agrees, conflicts, or says nothing (one side does not state it). A contradiction needs
    the same event: close in meaning, at least one slot agreeing, and one conflicting.
    `match` is the CSLS score (see `hubness`); without it, cosine against R_PRIOR.
    """
    if a.group == b.group or cosine < MIN_COSINE:
        return None
    if match is None:
        match = 2 * cosine - 2 * R_PRIOR
    if cosine < _least_cosine() or match < _least_match():
        return None  # neither relation is possible: nothing else needs reading
    # What was done: forty men arrested and forty men executed are two events, however
    # much else the claims share. Unknown acts say nothing.
    acts_a, acts_b = a.acts, b.acts
    shared_acts = acts_a.keys() & acts_b.keys()
    if tell_apart(acts_a, acts_b):
        return None
    # Where it was done, as a kind of site: two weeks in a prison and two weeks in a hospital
    # of the same town are two stays.
    sites_a, sites_b = a.sites, b.sites
    if sites_a and sites_b and not sites_a.keys() & sites_b.keys():
        return None
    who_agree, who_conflict = _slot(a, b, ("PERSON", "ORG"), "people or units")
    where_agree, where_conflict = _place_slot(a, b)
    n_agree, n_conflict = _numbers(a, b, same_act=bool(shared_acts))
    d_agree, d_conflict = _dates(a, b)
    term_agree, _t = _slot(a, b, ("TERM",), "terms")
    act_agree = [f"same act: {acts_a[k]!r} and {acts_b[k]!r}" for k in sorted(shared_acts)[:1]]
    agree = who_agree + where_agree + d_agree + n_agree + term_agree + act_agree
    conflicts = who_conflict + where_conflict + d_conflict + n_conflict
    reasons = [
        f"close in meaning across the two texts (cosine {cosine:.2f}; "
        f"{match:+.2f} against each claim's nearest others)"
    ] + agree
    # A shared town is weak evidence of one event (many things happen in Raqqa); the same
    # person or unit, date or number is stronger.
    evidence = (
        (1.0 if who_agree else 0.0)
        + (PLACE_WEIGHT if where_agree else 0.0)
        + (1.0 if d_agree else 0.0)
        + (1.0 if n_agree else 0.0)
    )
    facts_in_common = evidence > 0  # who, where, when or how many; an act alone is not one
    evidence += ACT_WEIGHT if shared_acts else 0.0
    if conflicts:
        # More facts at odds than in common (the same woman, but another town and another
        # year) reads as another event, not as one told two ways.
        at_one = sum(bool(x) for x in (who_agree, where_agree, d_agree, n_agree, shared_acts))
        at_odds = sum(bool(x) for x in (who_conflict, where_conflict, d_conflict, n_conflict))
        if at_odds > at_one:
            return None
        same_event = evidence >= CONTRADICT_EVIDENCE or (
            match >= CONTRADICT_STRONG_MATCH and facts_in_common
        )
        if cosine >= CONTRADICT_FLOOR and match >= CONTRADICT_MATCH and same_event:
            score = _score(match, evidence)
            return _link(a, b, "contradicts", score, reasons + conflicts)
        return None
    if cosine < SUPPORT_FLOOR:
        return None
    # Closeness in meaning alone is not enough: two stays of "two weeks" read alike. A
    # support needs one fact in common (who, where, when, how many) or a match far above
    # both neighbourhoods.
    if not facts_in_common and match < SUPPORT_MATCH_ALONE:
        return None
    if match >= SUPPORT_MATCH or (match >= SUPPORT_MATCH_SHARED and evidence >= SUPPORT_EVIDENCE):
        score = _score(match, evidence)
        return _link(a, b, "supports", score, reasons)
    return None


def _least_match() -> float:
    """The lowest match any link can have (read at call time: the benchmark's sweep sets
    the thresholds)."""
    return min(SUPPORT_MATCH, SUPPORT_MATCH_SHARED, CONTRADICT_MATCH)


def _least_cosine() -> float:
    """The lowest cosine any link can have (read at call time, like `_least_match`)."""
    return min(SUPPORT_FLOOR, CONTRADICT_FLOOR)


def _score(match: float, evidence: float) -> float:
    """0..1 for people: the match (-0.05 → 0.5, 0 → 0.6, 0.15 → 0.9) plus agreeing slots."""
    return float(min(1.0, max(0.01, 0.6 + 2 * match + 0.03 * evidence)))


def _link(a: ClaimFacts, b: ClaimFacts, relation: str, score: float, reasons: list[str]) -> Link:
    lo, hi = (a.id, b.id) if a.id < b.id else (b.id, a.id)
    return Link(lo, hi, relation, round(float(score), 4), tuple(reasons))


def corroborate(
    facts: Sequence[ClaimFacts],
    vectors: NDArray[np.float32],
    *,
    k: int = NEIGHBOURS,
    progress: Callable[[float], None] | None = None,
) -> list[Link]:
    """Links among `facts` (rows of `vectors` in the same order), candidates from the index."""
    if len(facts) < 2:
        return []
    hoods = neighbourhoods(
        vectors, [f.group for f in facts], [f.lang for f in facts], k=k, progress=progress
    )
    links = []
    for i, j in hoods.pairs:
        cos = float(vectors[i] @ vectors[j])
        link = decide(facts[i], facts[j], cos, hoods.match(int(i), int(j), cos))
        if link is not None:
            links.append(link)
    return links
