"""Entity merges applied in memory (`archive.analysis._Forest`) must leave the catalog exactly as
folding them one by one in SQL (`_apply_merge`) does: every member points at its cluster's root,
re-merging is idempotent, and a pair a person split is never joined, not even through a third
entity."""

from __future__ import annotations

import random

import pytest

from sijill.archive.analysis import _Forest


def _sql_like(parent: dict[int, int | None], entity_id: int, into_id: int) -> None:
    """What `_apply_merge` does, on a dict: into's root; entity and its members follow."""

    def root(x: int) -> int:
        while parent[x]:
            x = parent[x]  # type: ignore[assignment]
        return x

    r = root(into_id)
    if r == entity_id:
        return
    for e, p in list(parent.items()):
        if p == entity_id:
            parent[e] = r
    parent[entity_id] = r


def test_forest_matches_folding_one_by_one() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(2, 30)
        start: dict[int, int | None] = {i: None for i in range(1, n + 1)}
        forest = _Forest(list(start.items()))
        reference = dict(start)
        for _ in range(rng.randint(1, 40)):
            a, b = rng.sample(range(1, n + 1), 2)
            forest.fold(a, b)
            _sql_like(reference, a, b)
        assert {e: forest.parent[e] for e in reference} == reference
        # Flat: nobody points at a member that points elsewhere.
        assert all(not reference[p] for p in reference.values() if p)


def test_forest_reports_only_what_changed_and_refuses_other_cases() -> None:
    forest = _Forest([(1, None), (2, None), (3, 2), (4, None)])
    forest.fold(2, 4)  # 2 and its member 3 go under 4
    assert forest.parent == {1: None, 2: 4, 3: 4, 4: None}
    assert forest.changed == {2, 3}
    forest.fold(4, 3)  # 3's root is 4 itself: nothing to do
    assert forest.parent[4] is None
    with pytest.raises(ValueError):
        forest.fold(1, 99)  # 99 is not in this case


def test_a_split_pair_is_not_joined_through_a_third_entity() -> None:
    forest = _Forest([(1, None), (2, None), (3, None)])
    splits = [(1, 2)]
    forest.fold(3, 1)  # 3 joins 1
    assert forest.crosses(2, 3, splits)  # 2 into 3's cluster would put 1 and 2 together
    assert not forest.crosses(3, 1, splits)
