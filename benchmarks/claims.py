"""Precision and recall of corroboration links on the labelled claim pairs.

`benchmarks/data/claim_pairs.yaml` holds claim pairs in English, French and Arabic, labelled
supports / contradicts / unrelated (with hard negatives: same place or person, different
event). Each claim goes through what the archive does to a real one: entities (spaCy, rules,
gazetteer), cross-item entity merges, dates, numbers, the multilingual embedding; then
`corroborate.decide` judges every pair at the shipped thresholds.

A link counts as correct when its relation equals the label. Precision = correct links /
links made; recall = correct links / pairs labelled supports or contradicts. The thresholds
were set on the even-numbered pairs ("dev"); the odd ones ("test") were only measured, and
both halves are printed. `--sweep` prints how precision and recall move with the two main
cosine thresholds on the dev half (that is how the shipped values were chosen).

The "tune" row is a second tuning set (`data/claim_pairs_tune.yaml`) of the kinds the fresh
set found weak; its errors are shown with `--show-errors` like the dev half's.

The "fresh" row is a second held-out set (`data/claim_pairs_fresh.yaml`), written after the
first one's test half had been read while tuning; its claims join the same neighbourhood
(hubness) computation as the rest, as one case would.

    python benchmarks/claims.py [--data FILE] [--tune FILE] [--fresh FILE] [--sweep]
                                [--show-errors]
                                [--show-test-errors]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sijill.analysis import corroborate as cor
from sijill.analysis.embeddings import ENGINES, Embedder, default_embedder, embedder_for
from sijill.analysis.entities import extract_many
from sijill.analysis.gazetteer import Gazetteer
from sijill.analysis.resolve import AUTO_MERGE, EntityRecord, propose_merges

DATA = Path(__file__).parent / "data" / "claim_pairs.yaml"
# Held out as a whole, never used to tune (see its header): its figures only.
FRESH = Path(__file__).parent / "data" / "claim_pairs_fresh.yaml"
# Tuned on freely, like the dev half.
TUNE = Path(__file__).parent / "data" / "claim_pairs_tune.yaml"
EMBEDDER: list[Embedder] = []  # the engine chosen on the command line


def load(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(doc["pairs"]), list(doc.get("same_witness") or [])


def build_facts(
    sides: list[dict[str, Any]],
) -> tuple[list[cor.ClaimFacts], np.ndarray, Hood]:
    """Each distinct claim text as the archive would see it, one independence group per witness."""
    texts = [s["text"] for s in sides]
    langs = [s.get("lang") for s in sides]
    found = extract_many(list(zip(texts, langs, strict=True)), Gazetteer.default(), None)
    # Exact-key entities as the runner makes them, then the cross-item merges.
    ids: dict[tuple[str, str], int] = {}
    names: dict[int, list[str]] = {}
    for ms in found:
        for m in ms:
            gid = m.info.get("gazetteer_id")
            key = f"gaz:{gid}" if gid else m.norm
            if not key or m.label == "DATE":
                continue
            eid = ids.setdefault((m.label, key), len(ids) + 1)
            names.setdefault(eid, []).append(m.text)
    records = [
        EntityRecord(
            id=eid,
            case="bench",
            label=label,
            name=max(set(names[eid]), key=names[eid].count),
            key=key,
            aliases=tuple(sorted(set(names[eid]))),
            mentions=len(names[eid]),
        )
        for (label, key), eid in ids.items()
    ]
    canonical = {eid: eid for eid in names}
    for p in propose_merges(records):
        if p.confidence >= AUTO_MERGE:
            canonical[p.entity_id] = p.into_id
    witnesses: dict[str, int] = {}
    facts = []
    for i, (side, ms) in enumerate(zip(sides, found, strict=True)):
        named = []
        for m in ms:
            gid = m.info.get("gazetteer_id")
            key = f"gaz:{gid}" if gid else m.norm
            eid = ids.get((m.label, key))
            named.append(cor.NamedEntity(m.label, m.text, m.start, m.end, m.norm, eid, gid))
        info, _prev = cor.claim_info(side["text"], side.get("lang"), named)
        group = witnesses.setdefault(str(side.get("witness")), len(witnesses))

        def key_of(e: dict[str, Any]) -> str | None:
            if e.get("entity_id") is None:
                return None
            return f"{e['label']}:{canonical.get(e['entity_id'], e['entity_id'])}"

        facts.append(cor.facts_from_info(i, group, side["text"], info, key_of, side.get("lang")))
    vectors = EMBEDDER[0].embed(texts, "query")
    return facts, vectors, neighbourhood(sides, vectors)


class Hood:
    """Each side's r per language (rows follow the sides) and its own language's column."""

    def __init__(self, r: np.ndarray, column: np.ndarray):
        self.r, self.column = r, column

    def __getitem__(self, rows: list[int]) -> Hood:
        return Hood(self.r[rows], self.column[rows])

    def match(self, i: int, j: int, cos: float) -> float:
        return float(2 * cos - self.r[i, self.column[j]] - self.r[j, self.column[i]])


def neighbourhood(sides: list[dict[str, Any]], vectors: np.ndarray) -> Hood:
    """r of every side, as the archive computes it over a case: each distinct claim once,
    its nearest claims of other witnesses in each language (see `corroborate.neighbourhoods`)."""
    first: dict[str, int] = {}
    for i, side in enumerate(sides):
        first.setdefault(side["text"], i)
    texts = list(first)
    witnesses: dict[str, int] = {}
    groups = np.asarray(
        [witnesses.setdefault(str(sides[first[t]].get("witness")), len(witnesses)) for t in texts],
        dtype=np.int64,
    )
    unique = vectors[[first[t] for t in texts]]
    langs = [sides[first[t]].get("lang") for t in texts]
    hoods = cor.neighbourhoods(unique, groups, langs, every_r=True)
    rows = [{t: j for j, t in enumerate(texts)}[side["text"]] for side in sides]
    return Hood(hoods.r[rows], hoods.column[rows])


def evaluate(
    pairs: list[dict[str, Any]], facts: list[cor.ClaimFacts], vectors: np.ndarray, r: Hood
) -> tuple[dict[str, float], list[tuple[dict[str, Any], cor.Link | None]]]:
    made = correct = wanted = 0
    per: dict[str, list[int]] = {"supports": [0, 0, 0], "contradicts": [0, 0, 0]}
    results = []
    for n, p in enumerate(pairs):
        a, b = facts[2 * n], facts[2 * n + 1]
        cos = float(vectors[2 * n] @ vectors[2 * n + 1])
        link = cor.decide(a, b, cos, r.match(2 * n, 2 * n + 1, cos))
        results.append((p, link))
        label = p["label"]
        if label in per:
            wanted += 1
            per[label][2] += 1
        if link is not None:
            made += 1
            per[link.relation][1] += 1
            if link.relation == label:
                correct += 1
                per[label][0] += 1
    out = {
        "precision": correct / made if made else 1.0,
        "recall": correct / wanted if wanted else 1.0,
        "links": made,
        "pairs": len(pairs),
    }
    for rel, (ok, predicted, total) in per.items():
        out[f"{rel}_precision"] = ok / predicted if predicted else 1.0
        out[f"{rel}_recall"] = ok / total if total else 1.0
    return out, results


def _subset(
    idx: list[int], facts: list[cor.ClaimFacts], vectors: np.ndarray, r: Hood
) -> tuple[list[cor.ClaimFacts], np.ndarray, Hood]:
    rows = [k for i in idx for k in (2 * i, 2 * i + 1)]
    return [facts[k] for k in rows], vectors[rows], r[rows]


SWEEP = {
    "SUPPORT_MATCH": (0.03, 0.05, 0.07, 0.09, 0.11),
    "SUPPORT_MATCH_SHARED": (-0.04, 0.0, 0.04),
    "SUPPORT_MATCH_ALONE": (0.10, 0.14),
    "CONTRADICT_MATCH": (-0.08, -0.04, 0.0),
    "SUPPORT_FLOOR": (0.84, 0.86),
    "CONTRADICT_FLOOR": (0.84, 0.85),
    "CONTRADICT_STRONG_MATCH": (0.02, 0.06),
    "ACT_WEIGHT": (0.5, 1.0),
}


def _print_error(
    p: dict[str, Any], link: cor.Link | None, vectors: np.ndarray, r: Hood, i: int
) -> None:
    """One pair (row `i` of the whole list) if it was judged wrong, with its scores."""
    got = link.relation if link else "unrelated"
    if got == p["label"]:
        return
    cos = float(vectors[2 * i] @ vectors[2 * i + 1])
    match = r.match(2 * i, 2 * i + 1, cos)
    print(f"- {p['id']} [{p.get('kind')}] want {p['label']} got {got}", end="")
    print(f" cos {cos:.3f} match {match:+.3f}")
    print(f"    a: {p['a']['text']}")
    print(f"    b: {p['b']['text']}")
    if link:
        print(f"    reasons: {'; '.join(link.reasons)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--fresh", type=Path, default=FRESH, help="a wholly held-out set")
    ap.add_argument("--tune", type=Path, default=TUNE, help="a second tuning set")
    ap.add_argument("--sweep", action="store_true", help="threshold sweep on the dev half")
    ap.add_argument("--show-errors", action="store_true", help="wrong pairs of the dev half")
    ap.add_argument(
        "--show-test-errors",
        action="store_true",
        help="also the held-out half's (final reports only: what is read is no longer held out)",
    )
    ap.add_argument(
        "--engine", choices=ENGINES, default=None, help="embedding engine (default: the archive's)"
    )
    args = ap.parse_args()
    if args.fresh != FRESH and not args.fresh.is_file():
        ap.error(f"--fresh {args.fresh}: no such file")
    if args.tune != TUNE and not args.tune.is_file():
        ap.error(f"--tune {args.tune}: no such file")
    EMBEDDER.append(embedder_for(args.engine) if args.engine else default_embedder())
    print(f"embedding engine: {EMBEDDER[0].name}")

    pairs, same_witness = load(args.data)
    fresh = load(args.fresh)[0] if args.fresh.is_file() else []
    tune = load(args.tune)[0] if args.tune.is_file() else []
    t0 = time.perf_counter()
    sides = [side for p in pairs + same_witness + fresh + tune for side in (p["a"], p["b"])]
    facts, vectors, r = build_facts(sides)
    elapsed = time.perf_counter() - t0
    n = len(pairs)
    print(f"{n} labelled pairs ({len(sides)} claims) prepared in {elapsed:.1f} s")
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p["label"]] = counts.get(p["label"], 0) + 1
    cross = sum(1 for p in pairs if p["a"].get("lang") != p["b"].get("lang"))
    print("labels: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"cross-lingual pairs: {cross} ({cross / n:.0%})")

    halves = {
        "dev (even)": [i for i in range(n) if i % 2 == 0],
        "test (odd)": [i for i in range(n) if i % 2 == 1],
        "all": list(range(n)),
    }
    print()
    print(
        f"{'half':<12} {'pairs':>5} {'links':>5} {'precision':>9} {'recall':>7}"
        f" {'sup P/R':>11} {'con P/R':>11}"
    )
    first_fresh = n + len(same_witness)
    if fresh:
        halves["fresh"] = list(range(first_fresh, first_fresh + len(fresh)))
    first_tune = first_fresh + len(fresh)
    if tune:
        halves["tune"] = list(range(first_tune, first_tune + len(tune)))
    everything = pairs + same_witness + fresh + tune
    for name, idx in halves.items():
        m, _res = evaluate([everything[i] for i in idx], *_subset(idx, facts, vectors, r))
        print(
            f"{name:<12} {m['pairs']:>5} {m['links']:>5} {m['precision']:>9.3f} {m['recall']:>7.3f}"
            f" {m['supports_precision']:>5.2f}/{m['supports_recall']:<5.2f}"
            f" {m['contradicts_precision']:>5.2f}/{m['contradicts_recall']:<5.2f}"
        )
    print("targets: precision >= 0.9 at recall >= 0.8, contradiction recall >= 0.7")
    if fresh:
        by_kind: dict[str, list[int]] = {}
        _m, res = evaluate(fresh, *_subset(halves["fresh"], facts, vectors, r))
        for p, link in res:
            got = link.relation if link else "unrelated"
            tally = by_kind.setdefault(f"{p['label']}/{p.get('kind')}", [0, 0])
            tally[0] += got == p["label"]
            tally[1] += 1
        print(
            "fresh, right per label/kind: "
            + ", ".join(f"{k} {ok}/{total}" for k, (ok, total) in sorted(by_kind.items()))
        )

    if same_witness:
        idx = list(range(n, n + len(same_witness)))
        m, _res = evaluate(same_witness, *_subset(idx, facts, vectors, r))
        print(f"same-witness pairs linked: {m['links']} of {len(same_witness)} (must be 0)")

    if args.show_test_errors and fresh:
        _m, res = evaluate(fresh, *_subset(halves["fresh"], facts, vectors, r))
        print("\nerrors of the fresh set (it is spent once read):")
        for p, link in res:
            got = link.relation if link else "unrelated"
            if got != p["label"]:
                print(f"- {p['id']} [{p.get('kind')}] want {p['label']} got {got}")
                print(f"    a: {p['a']['text']}")
                print(f"    b: {p['b']['text']}")
                if link:
                    print(f"    reasons: {'; '.join(link.reasons)}")
    if tune and (args.show_errors or args.show_test_errors):
        _m, res = evaluate(tune, *_subset(halves["tune"], facts, vectors, r))
        print("\nerrors of the tuning set:")
        for k, (p, link) in enumerate(res):
            _print_error(p, link, vectors, r, first_tune + k)
    if args.show_errors or args.show_test_errors:
        _m, res = evaluate(pairs, *_subset(halves["all"], facts, vectors, r))
        shown = "dev and test" if args.show_test_errors else "dev only: tuning never reads test"
        print(f"\nerrors ({shown}):")
        for i, (p, link) in enumerate(res):
            if i % 2 and not args.show_test_errors:
                continue  # the held-out half (odd positions; ids p002, p004, ...)
            _print_error(p, link, vectors, r, i)

    if args.sweep:
        dev = halves["dev (even)"] + halves.get("tune", [])
        sub = _subset(dev, facts, vectors, r)
        saved = {k: getattr(cor, k) for k in SWEEP}
        results = []
        for values in itertools.product(*SWEEP.values()):
            for k, v in zip(SWEEP, values, strict=True):
                setattr(cor, k, v)
            m, _r = evaluate([everything[i] for i in dev], *sub)
            results.append((m["precision"], m["recall"], m["contradicts_recall"], values))
        for k, v in saved.items():
            setattr(cor, k, v)
        ok = sorted((x for x in results if x[1] >= 0.8 and x[2] >= 0.7), reverse=True)[:10]
        print(f"\nsweep on dev and tune, best precision at recall >= 0.7 ({', '.join(SWEEP)}):")
        for prec, rec, con, values in ok:
            print(f"  {values} -> P {prec:.3f} R {rec:.3f} contradicts R {con:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
