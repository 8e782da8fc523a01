"""Candidate search for corroboration: exact blocked search and the IVF index."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from sijill.analysis import ann
from sijill.analysis.ann import (
    IVFIndex,
    Neighbours,
    brute_force_neighbours,
    candidate_pairs,
    nearest_neighbours,
)


def unit(a: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(a / np.linalg.norm(a, axis=1, keepdims=True), dtype=np.float32)


def clustered(
    n: int, centres: int, *, sigma: float = 0.03, dim: int = 384, seed: int = 0
) -> NDArray[np.float32]:
    """Paraphrase-like data: unit centres plus noise (cosine to the centre ~0.86)."""
    rng = np.random.default_rng(seed)
    c = unit(rng.standard_normal((centres, dim), np.float32))
    x = c[rng.integers(0, centres, n)] + sigma * rng.standard_normal((n, dim), np.float32)
    return unit(x)


def random_groups(n: int, per_group: int = 50, seed: int = 1) -> NDArray[np.int64]:
    return np.random.default_rng(seed).integers(0, max(1, n // per_group), n).astype(np.int64)


def naive(x: NDArray[np.float32], k: int, groups: NDArray[np.int64] | None) -> Neighbours:
    """Every pair, one row at a time, in plain Python order: the reference answer."""
    n = x.shape[0]
    g = np.arange(n) if groups is None else groups
    ids = np.full((n, k), -1, dtype=np.int64)
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    for i in range(n):
        cand = [(float(x[i] @ x[j]), j) for j in range(n) if g[j] != g[i]]
        cand.sort(key=lambda t: -t[0])
        for r, (s, j) in enumerate(cand[:k]):
            ids[i, r], scores[i, r] = j, s
    return Neighbours(ids=ids, scores=scores)


def assert_valid(nb: Neighbours, x: NDArray[np.float32], groups: NDArray[np.int64]) -> None:
    """Shapes, padding, order, scores equal to the pairs' cosines, no self, no same group."""
    n = x.shape[0]
    assert nb.ids.dtype == np.int64 and nb.scores.dtype == np.float32
    pad = nb.ids < 0
    assert np.all(np.isneginf(nb.scores[pad])) and np.all(np.isfinite(nb.scores[~pad]))
    assert np.all(pad[:, :-1] <= pad[:, 1:]), "padding not at the end"
    assert np.all(np.diff(np.where(pad, -2.0, nb.scores), axis=1) <= 0), "scores not descending"
    rows = np.broadcast_to(np.arange(n)[:, None], nb.ids.shape)
    assert not np.any(nb.ids[~pad] == rows[~pad]), "a row is its own neighbour"
    assert not np.any(groups[nb.ids[~pad]] == groups[rows[~pad]]), "same-group neighbour"
    dots = np.einsum("ij,ij->i", x[rows[~pad]], x[nb.ids[~pad]])
    np.testing.assert_allclose(nb.scores[~pad], dots, atol=1e-5)
    for r in range(n):  # no duplicates within a row
        found = nb.ids[r][nb.ids[r] >= 0]
        assert found.size == np.unique(found).size


def recall(found: NDArray[np.int64], exact: Neighbours, keep: NDArray[np.bool_]) -> float:
    hit = total = 0
    for f, e, m in zip(found, exact.ids, keep, strict=True):
        want = set(e[m & (e >= 0)].tolist())
        total += len(want)
        hit += len(want & set(f.tolist()))
    return hit / total


@pytest.mark.parametrize("with_groups", [False, True])
def test_exact_equals_naive(with_groups: bool) -> None:
    x = clustered(240, 30, sigma=0.2, dim=16)
    groups = random_groups(240, per_group=8) if with_groups else None
    ref = naive(x, 7, groups)
    for block in (5, 64, 2048):  # bands smaller than, and larger than, the data
        nb = brute_force_neighbours(x, 7, groups=groups, block=block)
        np.testing.assert_array_equal(nb.ids, ref.ids)
        np.testing.assert_allclose(nb.scores, ref.scores, atol=1e-6)
    # Small inputs take the exact path by default.
    auto = nearest_neighbours(x, 7, groups=groups)
    np.testing.assert_array_equal(auto.ids, ref.ids)
    # A subset of query rows answers exactly those rows.
    rows = np.array([200, 3, 17, 3])
    part = brute_force_neighbours(x, 7, groups=groups, rows=rows)
    np.testing.assert_array_equal(part.ids, ref.ids[rows])


def test_score_blocks_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny block budget every product is cut into bands; the answers do not change."""
    x = clustered(3000, 150, dim=32)
    groups = random_groups(3000)
    exact = brute_force_neighbours(x, 10, groups=groups)
    ivf = nearest_neighbours(x, 10, groups=groups, exact=False)
    monkeypatch.setattr(ann, "MAX_BLOCK_ELEMENTS", 500)
    for before, after in (
        (exact, brute_force_neighbours(x, 10, groups=groups)),
        (ivf, nearest_neighbours(x, 10, groups=groups, exact=False)),
    ):
        # BLAS sums in another order for other shapes: near-ties may swap, nothing else.
        np.testing.assert_allclose(after.scores, before.scores, atol=1e-5)
        assert np.mean(after.ids == before.ids) > 0.999


@pytest.mark.parametrize("exact", [True, False])
def test_group_exclusion(exact: bool) -> None:
    x = clustered(4000, 200)
    groups = random_groups(4000, per_group=20)
    nb = nearest_neighbours(x, 12, groups=groups, exact=exact)
    assert nb.ids.shape == (4000, 12)
    assert_valid(nb, x, groups)
    assert np.all(nb.ids >= 0)  # plenty of other groups: every row is full
    # Without groups only the row itself is excluded.
    alone = nearest_neighbours(x, 12, exact=exact)
    assert_valid(alone, x, np.arange(4000))


@pytest.mark.parametrize("exact", [True, False])
def test_padding_when_groups_hold_everything(exact: bool) -> None:
    n = 2500
    x = clustered(n, 100, dim=32)
    one = nearest_neighbours(x, 5, groups=np.zeros(n, dtype=np.int64), exact=exact)
    assert np.all(one.ids == -1) and np.all(np.isneginf(one.scores))
    # Three rows in a group of their own: everyone else can find at most those three.
    groups = np.zeros(n, dtype=np.int64)
    groups[[10, 500, 2000]] = 1
    nb = nearest_neighbours(x, 5, groups=groups, exact=exact)
    assert_valid(nb, x, groups)
    big = groups == 0
    assert np.all(nb.ids[big, 3:] == -1)
    if exact:
        assert np.all(np.sort(nb.ids[big, :3], axis=1) == [10, 500, 2000])
        assert np.all(nb.ids[~big, :5] >= 0)
    # Fewer rows than k.
    tiny = nearest_neighbours(x[:4], 10)
    assert np.all(tiny.ids[:, :3] >= 0) and np.all(tiny.ids[:, 3:] == -1)


@pytest.mark.parametrize(
    ("centres", "min_score"),
    [
        # ~20 paraphrases per centre: the whole top-10 is paraphrases.
        (1000, -1.0),
        # ~10 per centre: the 10th neighbour is often an unrelated row at noise level (cosine
        # ~0.1), a tie among thousands that no index recalls; count the paraphrases only.
        (2000, 0.5),
    ],
)
def test_ivf_recall_on_clustered_data(centres: int, min_score: float) -> None:
    n = 20_000
    x = clustered(n, centres)
    groups = random_groups(n)
    nb = nearest_neighbours(x, 10, groups=groups)  # 20k rows: the index, default nprobe
    sample = np.random.default_rng(2).choice(n, size=1000, replace=False)
    exact = brute_force_neighbours(x, 10, groups=groups, rows=sample)
    r = recall(nb.ids[sample], exact, exact.scores >= min_score)
    assert r >= 0.95, f"recall@10 {r:.3f}"
    assert_valid(nb, x, groups)


def test_deterministic_for_a_seed() -> None:
    x = clustered(6000, 300)
    groups = random_groups(6000)
    a = nearest_neighbours(x, 10, groups=groups, exact=False, seed=3)
    b = nearest_neighbours(x, 10, groups=groups, exact=False, seed=3)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.scores, b.scores)
    c = IVFIndex.build(x, seed=3)
    d = IVFIndex.build(x, seed=3)
    np.testing.assert_array_equal(c.centroids, d.centroids)
    np.testing.assert_array_equal(c.ids, d.ids)


def test_index_search_for_outside_queries() -> None:
    x = clustered(5000, 250)
    groups = random_groups(5000)
    index = IVFIndex.build(x, seed=0, groups=groups)
    assert len(index) == 5000 and index.list_sizes().sum() == 5000
    rng = np.random.default_rng(5)
    rows = rng.choice(5000, size=200, replace=False)
    queries = unit(x[rows] + 0.005 * rng.standard_normal((200, 384), np.float32))
    nb = index.search(queries, 3, nprobe=4)
    assert np.mean(nb.ids[:, 0] == rows) > 0.98  # each query finds the row it was made from
    excl = index.search(queries, 3, nprobe=4, exclude_groups=groups[rows])
    found = excl.ids >= 0
    assert np.all(found[:, 0])
    query_group = np.broadcast_to(groups[rows][:, None], excl.ids.shape)
    assert not np.any(groups[excl.ids[found]] == query_group[found])


def test_unnormalised_input_scores_cosine() -> None:
    x = clustered(300, 20, dim=16)
    scaled = x * np.linspace(0.5, 3.0, 300, dtype=np.float32)[:, None]
    a = nearest_neighbours(scaled, 5)
    b = nearest_neighbours(x, 5)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)


def test_candidate_pairs_dedups() -> None:
    nb = Neighbours(
        ids=np.array([[1, 2, -1], [0, 3, 2], [0, 1, -1], [1, -1, -1]], dtype=np.int64),
        scores=np.array(
            [[0.9, 0.5, -np.inf], [0.9, 0.8, 0.7], [0.5, 0.7, -np.inf], [0.8, -np.inf, -np.inf]],
            dtype=np.float32,
        ),
    )
    pairs = candidate_pairs(nb, 0.6)
    np.testing.assert_array_equal(pairs, [[0, 1], [1, 2], [1, 3]])
    assert candidate_pairs(nb, 0.95).shape == (0, 2)
    # On a real answer: unique, ordered, and every found pair above the bar is there.
    x = clustered(3000, 150)
    found = nearest_neighbours(x, 10, exact=False)
    pairs = candidate_pairs(found, 0.6)
    assert np.all(pairs[:, 0] < pairs[:, 1])
    assert np.unique(pairs, axis=0).shape == pairs.shape
    strong = found.ids[found.scores >= 0.6].size
    assert strong // 2 <= pairs.shape[0] <= strong


def test_progress_and_arguments() -> None:
    x = clustered(3000, 150, dim=32)
    seen: list[float] = []
    nearest_neighbours(x, 5, exact=False, progress=seen.append)
    assert seen and seen[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in zip(seen, seen[1:], strict=False))
    with pytest.raises(ValueError):
        nearest_neighbours(x, 0)
    with pytest.raises(ValueError):
        nearest_neighbours(x, 5, groups=np.zeros(10, dtype=np.int64))
    with pytest.raises(ValueError):
        nearest_neighbours(x[0], 5)
    empty = nearest_neighbours(np.zeros((0, 8), dtype=np.float32), 3)
    assert empty.ids.shape == (0, 3)


@pytest.mark.parametrize("exact", [True, False])
def test_neighbours_among_a_subset_of_rows(exact: bool) -> None:
    # Every row against one subset (one language of a case): ids are rows of the whole set,
    # never outside the subset, never the row itself or its group; exact equals the naive
    # answer restricted to the subset, and the index finds most of it.
    x = clustered(3000, 60, sigma=0.05, dim=32)
    groups = random_groups(3000)
    targets = np.arange(0, 3000, 3)
    nb = ann.neighbours_among(x, targets, 10, groups=groups, exact=exact)
    assert nb.ids.shape == (3000, 10)
    assert_valid(nb, x, groups)
    assert set(nb.ids[nb.ids >= 0].tolist()) <= set(targets.tolist())
    # The reference: naive search with every non-target row put in each row's own group.
    sims = x @ x[targets].T
    sims[groups[:, None] == groups[targets][None, :]] = -np.inf
    want = targets[np.argsort(-sims, axis=1)[:, :10]]
    keep = np.ones(want.shape, dtype=bool)
    ref = Neighbours(ids=want, scores=np.take_along_axis(sims, np.argsort(-sims, 1), 1)[:, :10])
    got = recall(nb.ids, ref, keep)
    assert got == 1.0 if exact else got >= 0.9


def test_neighbours_among_pads_small_subsets() -> None:
    x = clustered(20, 4, dim=8)
    nb = ann.neighbours_among(x, [0, 1, 2], 10, groups=np.arange(20))
    assert nb.ids.shape == (20, 10)
    assert np.all(nb.ids[:, 3:] == -1) and np.all(nb.ids[0, 2:] == -1)  # row 0 is a target
    with pytest.raises(ValueError):
        ann.neighbours_among(x, [25], 3)


def test_neighbours_among_for_some_query_rows() -> None:
    x = clustered(500, 20, sigma=0.05, dim=16)
    groups = random_groups(500, per_group=10)
    targets = np.arange(1, 500, 2)
    full = ann.neighbours_among(x, targets, 5, groups=groups, exact=True)
    queries = np.array([3, 0, 499, 250])
    some = ann.neighbours_among(x, targets, 5, groups=groups, queries=queries, exact=True)
    np.testing.assert_array_equal(some.ids, full.ids[queries])
    np.testing.assert_allclose(
        some.scores, full.scores[queries], rtol=1e-5
    )  # BLAS may round the last bits differently per batch
    with pytest.raises(ValueError):
        ann.neighbours_among(x, targets, 5, queries=[500])
