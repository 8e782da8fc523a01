"""How far reviewers agree, per question: Krippendorff's alpha over a case's items.

Alpha is computed on the nominal answers (yes / no / unclear; the identity scale) of every
item that at least two people answered, each person's current answer only. It is honest about
what it rests on: the number of items and of answers, and no figure at all where alpha is
undefined (fewer than two answers on every item, or everybody giving the same one answer,
where there is no disagreement to expect and alpha divides zero by zero)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sijill.review.vocabulary import QUESTIONS
from sijill.storage.models import Review


@dataclass(frozen=True)
class Agreement:
    question: str
    alpha: float | None
    items: int  # items with at least two answers: what alpha rests on
    answers: int  # the answers on those items
    reviewers: int
    note: str


def agreement(rows: Iterable[Review]) -> list[Agreement]:
    """One Agreement per question answered in `rows` (current item reviews)."""
    by_q: dict[str, dict[str, dict[int, str]]] = {}
    for r in rows:
        if r.kind == "item" and r.item_id is not None:
            by_q.setdefault(r.question, {}).setdefault(r.item_id, {})[r.reviewer_id] = r.answer
    out = []
    for q in (q for q in QUESTIONS if q in by_q):
        items = {i: a for i, a in by_q[q].items() if len(a) >= 2}
        reviewers = sorted({p for a in items.values() for p in a})
        n_answers = sum(len(a) for a in items.values())
        if not items:
            out.append(Agreement(q, None, 0, 0, 0, "no item has two answers yet"))
            continue
        domain = QUESTIONS[q][0]
        data = np.full((len(reviewers), len(items)), np.nan)
        for col, answers in enumerate(items.values()):
            for person, a in answers.items():
                data[reviewers.index(person), col] = domain.index(a)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            import krippendorff

            alpha = float(
                krippendorff.alpha(
                    reliability_data=data,
                    value_domain=list(range(len(domain))),
                    level_of_measurement="nominal",
                )
            )
        if math.isnan(alpha):
            used = sorted({a for ans in items.values() for a in ans.values()})
            out.append(
                Agreement(
                    q,
                    None,
                    len(items),
                    n_answers,
                    len(reviewers),
                    f"every answer is {used[0]!r}: alpha is undefined with one value",
                )
            )
            continue
        note = "few items: read alpha with care" if len(items) < 10 else ""
        out.append(Agreement(q, round(alpha, 3), len(items), n_answers, len(reviewers), note))
    return out
