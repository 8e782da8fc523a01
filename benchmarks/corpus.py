"""Benchmark: a large mixed corpus through `sijill ingest` + `sijill run`, throughput to the end.

Issue 11 saw a real corpus stall: after 953 of 2,300 third-party files no job finished for 29
minutes, one table holding both workers. This builds a corpus of the same kinds from what this
machine holds, sampled with a fixed seed: Debian's documentation (changelogs, copyright files,
READMEs, HTML manuals, gzip files), the data files of installed Python packages' test suites
(text, JSON, XML, CSV, images, WAV speech, office files), the photos of ../shared/data/exif-samples,
and generated material of the heavy kinds (three-page prose letters as PDF, an mbox of letters, a
1.2 MB CSV of rows that all look like claims, a ZIP of some of the above). Then one `sijill
ingest` and one `sijill run --workers 2` on a fresh archive, and from the catalog's job times:

* jobs and items finished in each tenth of the run, and the last tenth against the median one
  (steady means it does not fall off at the end, other than the tail of the last few jobs);
* the longest stretch in which no job finished while jobs were waiting;
* how long two workers were ever both on one item (the scheduler should never allow it while
  another item has work), and the longest jobs by stage.

    .venv/bin/python benchmarks/corpus.py [--files 500] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SHARED = ROOT.parent / "shared" / "data"
MAX_BYTES = 4_000_000
PACKAGE_EXTS = {
    ".txt", ".json", ".md", ".png", ".xml", ".csv", ".html", ".wav", ".rst", ".jpg", ".gif",
    ".tif", ".tiff", ".jpeg", ".docx", ".odt", ".rtf", ".pdf", ".eml", ".mbox",
}  # fmt: skip


def third_party(rng: random.Random, n: int) -> list[Path]:
    """Files from Debian's docs and installed packages' data, sampled without repeats."""
    docs = [p for p in Path("/usr/share/doc").rglob("*") if p.is_file() and not p.is_symlink()]
    site = Path(sys.prefix) / "lib"
    pkg = [
        p
        for p in site.rglob("*")
        if p.suffix.lower() in PACKAGE_EXTS and p.is_file() and not p.is_symlink()
        and "dist-info" not in str(p)
    ]  # fmt: skip
    fits = [p for p in pkg if 0 < p.stat().st_size <= MAX_BYTES]
    manuals = [p for p in docs if 0 < p.stat().st_size <= MAX_BYTES]
    rng.shuffle(fits)
    rng.shuffle(manuals)
    # A third from packages' data (speech, images, tables: the heavy kinds), the rest docs.
    chosen = fits[: n // 3]
    return chosen + manuals[: n - len(chosen)]


def tatoeba_sentences() -> list[str]:
    """Real sentences in English, French and Arabic (../shared/data/tatoeba)."""
    out: list[str] = []
    for name in ("fra-eng.eng", "fra-eng.fra", "ara-eng.ara"):
        path = SHARED / "tatoeba" / f"tatoeba.{name}"
        if path.is_file():
            out += path.read_text("utf-8").splitlines()
    if not out:
        sys.exit(f"the corpus needs the Tatoeba sentences in {SHARED / 'tatoeba'}")
    return out


def generated(folder: Path, rng: random.Random) -> list[Path]:
    """The heavy kinds: prose letters, an mbox, a claim-like table, a ZIP."""
    from ingest import make_prose_pdfs

    out = make_prose_pdfs(folder, 20)
    sentences = tatoeba_sentences()
    box = io.StringIO()
    for i in range(30):
        msg = EmailMessage()
        msg["From"] = f"field{i}@example.org"
        msg["To"] = "desk@example.org"
        msg["Subject"] = f"Report {i}"
        msg["Date"] = f"Mon, {1 + i % 28:02d} Mar 2021 10:00:00 +0000"
        msg.set_content("\n".join(rng.sample(sentences, 12)))
        box.write(f"From field{i}@example.org Mon Mar  1 10:00:00 2021\n")
        box.write(msg.as_string().replace("\nFrom ", "\n>From ") + "\n")
    mbox = folder / "reports.mbox"
    mbox.write_text(box.getvalue(), encoding="utf-8")
    out.append(mbox)
    table = folder / "incidents.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "date", "place", "account"])
        size, row = 0, 0
        while size < 1_200_000:
            line = [str(row), f"2021-03-{1 + row % 28:02d}", f"district {row % 40}"]
            line.append(" ".join(rng.sample(sentences, 2)))
            w.writerow(line)
            size += sum(len(c) for c in line) + 4
            row += 1
    out.append(table)
    archive = folder / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in out[:5]:
            z.write(p, p.name)
    out.append(archive)
    gz = folder / "notes.txt.gz"
    gz.write_bytes(gzip.compress("\n".join(rng.sample(sentences, 200)).encode()))
    out.append(gz)
    return out


def build(folder: Path, files: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    gen = folder / "generated"
    gen.mkdir(parents=True)
    made = generated(gen, rng)
    photos = sorted(p for p in (SHARED / "exif-samples").rglob("*") if p.is_file())
    photos = [p for p in photos if p.suffix.lower() in {".jpg", ".jpeg", ".tif", ".tiff", ".heic"}]
    third = third_party(rng, max(0, files - len(made) - len(photos)))
    out = list(made)
    for i, src in enumerate(photos + third):
        dst = folder / "third" / f"{i:05}-{src.name}"
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(src, dst)
        out.append(dst)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", type=Path, help="build the corpus and archive here and keep them")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="sijill-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SIJILL_PASSPHRASE": "corpus-benchmark-passphrase"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    try:
        corpus = work / "corpus"
        files = build(corpus, args.files, args.seed)
        size = sum(p.stat().st_size for p in files)
        kinds: dict[str, int] = {}
        for p in files:
            kinds[p.suffix.lower() or "(none)"] = kinds.get(p.suffix.lower() or "(none)", 0) + 1
        top = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:12])
        print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB ({top})")
        archive = work / "archive"
        sijill = [sys.executable, "-m", "sijill", "--archive", str(archive)]
        subprocess.run([*sijill, "init"], env=env, check=True, capture_output=True)
        t0 = time.perf_counter()
        ing = subprocess.run([*sijill, "ingest", str(corpus)], env=env, capture_output=True)
        t_ingest = time.perf_counter() - t0
        run = subprocess.run(
            [*sijill, "run", "--workers", str(args.workers)], env=env, capture_output=True
        )
        t_run = time.perf_counter() - t0 - t_ingest
        print(f"ingest {t_ingest:.0f} s (exit {ing.returncode}), run {t_run:.0f} s "
              f"(exit {run.returncode})")  # fmt: skip
        report(archive, env["SIJILL_PASSPHRASE"], args.workers, time.time(), t_run)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(archive: Path, passphrase: str, workers: int, run_end: float, run_s: float) -> None:
    from tests.dbutil import connect_catalog

    db = connect_catalog(archive, passphrase)
    rows = db.execute(
        "SELECT id, item_id, stage, state, started_at, finished_at, duration_s FROM jobs "
        "WHERE started_at IS NOT NULL AND finished_at IS NOT NULL"
    ).fetchall()
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    states = db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall()
    print(f"items {items}; jobs " + ", ".join(f"{s} {n}" for s, n in sorted(states)))
    if not rows:
        print("no job ran")
        return

    def ts(v: object) -> float:
        return datetime.fromisoformat(str(v)).replace(tzinfo=UTC).timestamp()

    jobs = [
        (i, item, stage, state, ts(a), ts(b), d or 0.0) for i, item, stage, state, a, b, d in rows
    ]
    begin = min(j[4] for j in jobs)
    end = max(j[5] for j in jobs)
    span = max(end - begin, 1e-6)
    tenths = [0] * 10
    for j in jobs:
        tenths[min(9, int((j[5] - begin) / span * 10))] += 1
    last_done: dict[str, float] = {}
    for j in jobs:
        last_done[j[1]] = max(last_done.get(j[1], 0.0), j[5])
    item_tenths = [0] * 10
    for t in last_done.values():
        item_tenths[min(9, int((t - begin) / span * 10))] += 1
    med = statistics.median(tenths)
    busy = [0.0] * 10
    for j in jobs:
        for k in range(10):
            lo, hi = begin + span * k / 10, begin + span * (k + 1) / 10
            busy[k] += max(0.0, min(hi, j[5]) - max(lo, j[4]))
    use = [b / (workers * span / 10) for b in busy]
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    print(f"jobs ran for {span:.0f} s of the run's {run_s:.0f} s; after the last job, "
          f"{run_end - end:.0f} s of case passes (entity merges, corroboration of {claims} "
          "claims)")  # fmt: skip
    print("workers busy per tenth: " + " ".join(f"{u:.2f}" for u in use))
    print(f"jobs finished per tenth: {tenths}")
    print(f"items finished per tenth: {item_tenths}")
    print(f"last tenth / median tenth (jobs): {tenths[-1] / med:.2f}; "
          f"lowest tenth / median: {min(tenths) / med:.2f}")  # fmt: skip
    finishes = sorted(j[5] for j in jobs)
    gaps = [(b - a, a) for a, b in zip(finishes, finishes[1:], strict=False)]
    gap, at = max(gaps) if gaps else (0.0, begin)
    print(f"longest stretch with no job finishing: {gap:.1f} s (at {at - begin:.0f} s)")
    by_item: dict[str, list[tuple[float, float]]] = {}
    for j in jobs:
        by_item.setdefault(j[1], []).append((j[4], j[5]))
    shared = 0.0
    for spans in by_item.values():
        spans.sort()
        for (_a0, a1), (b0, b1) in zip(spans, spans[1:], strict=False):
            shared += max(0.0, min(a1, b1) - b0)
    print(f"time two workers spent on one item at once: {shared:.1f} s")
    longest = sorted(jobs, key=lambda j: -j[6])[:5]
    print("longest jobs: " + "; ".join(f"{j[2]} {j[6]:.0f} s ({j[3]})" for j in longest))
    per_stage: dict[str, list[float]] = {}
    for j in jobs:
        per_stage.setdefault(j[2], []).append(j[6])
    for stage, ds in sorted(per_stage.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {stage:24} {len(ds):5} jobs {sum(ds):8.1f} s, longest {max(ds):6.1f} s")


if __name__ == "__main__":
    sys.exit(main())
