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

# Bump when the scoring changes: stored links are recomputed when it does.
VERSION = 1

# Neighbours fetched per claim, and the cosine below which a pair is never looked at.
NEIGHBOURS = 10
MIN_COSINE = 0.80
# Supports: close in meaning with no conflict; lower when they also share named entities.
SUPPORT_COSINE = 0.90
SUPPORT_COSINE_SHARED = 0.86
# Contradicts: the same event (close, sharing an anchor) with a conflicting fact.
CONTRADICT_COSINE = 0.84
ANCHOR_LABELS = frozenset({"PERSON", "ORG", "PLACE", "TERM"})


@dataclass(frozen=True)
class Quantity:
    value: float
    approx: bool
    unit: str
    text: str


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
            {"text": q.text, "value": q.value, "approx": q.approx, "unit": q.unit}
            for q in find_quantities(text, lang)
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
        Quantity(float(n["value"]), bool(n.get("approx")), str(n.get("unit", "")), str(n["text"]))
        for n in info.get("numbers", [])
    ]
    return ClaimFacts(claim_id, group, text, entities, dates, numbers)


def _tolerance(q: Quantity) -> tuple[float, float]:
    if q.approx:
        return q.value * 0.75, q.value * 1.25
    return q.value, q.value


def _numbers(a: ClaimFacts, b: ClaimFacts) -> tuple[list[str], list[str]]:
    """(agreements, conflicts) between the numbers of two claims, for the same counted thing."""
    agree: list[str] = []
    conflict: list[str] = []
    for qa in a.numbers:
        same_unit = [qb for qb in b.numbers if qb.unit == qa.unit]
        if not same_unit:
            continue
        lo_a, hi_a = _tolerance(qa)
        matched = [
            qb for qb in same_unit if _tolerance(qb)[0] <= hi_a and lo_a <= _tolerance(qb)[1]
        ]
        what = f" {qa.unit}" if qa.unit else ""
        if matched:
            agree.append(f"same number{what}: {qa.text!r} and {matched[0].text!r}")
        elif len(same_unit) == 1:
            conflict.append(f"different number{what}: {qa.text!r} against {same_unit[0].text!r}")
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
        conflict.append(f"different dates: {da.text!r} against {db.text!r} ({gap} days apart)")
    return agree, conflict


def _label(key: str) -> str:
    return key.split(":", 1)[0]


def decide(a: ClaimFacts, b: ClaimFacts, cosine: float) -> Link | None:
    """The link between two claims of independent sources, or None."""
    if a.group == b.group or cosine < MIN_COSINE:
        return None
    shared = [k for k in a.entities if k in b.entities and _label(k) in ANCHOR_LABELS]
    n_agree, n_conflict = _numbers(a, b)
    d_agree, d_conflict = _dates(a, b)
    places_a = {k for k in a.entities if _label(k) == "PLACE"}
    places_b = {k for k in b.entities if _label(k) == "PLACE"}
    p_conflict: list[str] = []
    actors_shared = [k for k in shared if _label(k) in ("PERSON", "ORG")]
    if actors_shared and places_a and places_b and not (places_a & places_b):
        pa = a.entities[sorted(places_a)[0]]
        pb = b.entities[sorted(places_b)[0]]
        p_conflict.append(f"different places: {pa!r} against {pb!r}")
    conflicts = n_conflict + d_conflict + p_conflict
    reasons = [f"close in meaning across the two texts (cosine {cosine:.2f})"]
    if shared:
        names = ", ".join(f"{a.entities[k]!r}" for k in shared[:4])
        reasons.append(f"both name {names}")
    reasons += n_agree + d_agree
    if conflicts:
        if shared and cosine >= CONTRADICT_COSINE:
            score = min(1.0, cosine + 0.02 * len(shared))
            return _link(a, b, "contradicts", score, reasons + conflicts)
        return None
    threshold = SUPPORT_COSINE_SHARED if (shared or n_agree or d_agree) else SUPPORT_COSINE
    if cosine >= threshold:
        score = min(1.0, cosine + 0.02 * len(shared) + 0.02 * len(n_agree + d_agree))
        return _link(a, b, "supports", score, reasons)
    return None


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
    from sijill.analysis.ann import candidate_pairs, nearest_neighbours

    if len(facts) < 2:
        return []
    groups = np.asarray([f.group for f in facts], dtype=np.int64)
    nb = nearest_neighbours(vectors, min(k, len(facts) - 1), groups=groups, progress=progress)
    pairs = candidate_pairs(nb, MIN_COSINE)
    links = []
    for i, j in pairs:
        cos = float(vectors[i] @ vectors[j])
        link = decide(facts[i], facts[j], cos)
        if link is not None:
            links.append(link)
    return links
