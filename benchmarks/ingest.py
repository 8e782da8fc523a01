"""Benchmark: `sijill ingest` + `sijill run` per page, against the raw tools on the same files.

Text layer: N generated text PDFs of P pages, against `pdftotext` on each file.
OCR: N generated scanned pages (PNG), against `tesseract` with the same languages and mode.
Both sides run one file at a time (our run with --workers 1) in the same process tree and
the same run, so the ratio is our overhead; peak memory is the largest resident set of any
process in the tree. Usage:

    .venv/bin/python benchmarks/ingest.py [--docs 40] [--pages 20] [--scans 8] [--workers 1]

Targets (issue 2): text-layer ratio <= 1.5, OCR ratio <= 1.15.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pdfgen import write_text_pdf  # noqa: E402

WORDS = ("checkpoint convoy battalion witness detainee prison commander district order "
         "report bridge dawn unit kunya office market hospital school road river").split()


def make_text_pdfs(d: Path, docs: int, pages: int) -> list[Path]:
    out = []
    for i in range(docs):
        body = []
        for p in range(pages):
            lines = [" ".join(WORDS[(i + p + k + j) % len(WORDS)] for j in range(11))
                     for k in range(40)]
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
        for k in range(30):
            line = " ".join(WORDS[(i * 7 + k + j) % len(WORDS)] for j in range(8))
            draw.text((160, 200 + k * 100), line.capitalize() + ".", font=font, fill=0)
        p = d / f"scan{i:03}.png"
        im.rotate(0.6, fillcolor=255).save(p)
        out.append(p)
    return out


def timed(cmds: list[list[str]], env: dict[str, str]) -> float:
    t = time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def peak_children_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def ours(files: Path, workers: int, env: dict[str, str], work: Path, tag: str) -> float:
    archive = work / f"archive-{tag}"
    sijill = [sys.executable, "-m", "sijill", "--archive", str(archive)]
    subprocess.run([*sijill, "init"], env=env, check=True, capture_output=True)
    return timed([[*sijill, "ingest", str(files)],
                  [*sijill, "run", "--workers", str(workers)]], env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--scans", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--languages", default="eng+fra+ara")
    args = ap.parse_args()
    env = dict(os.environ, SIJILL_PASSPHRASE="benchmark", SIJILL_USER="bench",
               OMP_THREAD_LIMIT="1")
    for tool in ("pdftotext", "tesseract"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    work = Path(tempfile.mkdtemp(prefix="sijill-bench-"))
    try:
        pdf_dir = work / "pdfs"
        scan_dir = work / "scans"
        pdf_dir.mkdir()
        scan_dir.mkdir()
        pdfs = make_text_pdfs(pdf_dir, args.docs, args.pages)
        scans = make_scans(scan_dir, args.scans)
        n_pages = args.docs * args.pages

        raw_text = timed([["pdftotext", str(p), str(work / "out.txt")] for p in pdfs], env)
        our_text = ours(pdf_dir, args.workers, env, work, "text")
        raw_ocr = timed([["tesseract", str(p), str(work / "out"), "-l", args.languages,
                          "--psm", "1"] for p in scans], env)
        our_ocr = ours(scan_dir, args.workers, env, work, "ocr")
        peak = peak_children_mb()

        print(f"text layer: {args.docs} PDFs x {args.pages} pages = {n_pages} pages")
        print(f"  pdftotext      {1000 * raw_text / n_pages:8.2f} ms/page  ({raw_text:.2f} s)")
        print(f"  sijill         {1000 * our_text / n_pages:8.2f} ms/page  ({our_text:.2f} s, "
              f"ingest+run, --workers {args.workers})")
        print(f"  ratio          {our_text / raw_text:8.2f}   (target <= 1.5)")
        print(f"OCR: {args.scans} scanned pages, tesseract -l {args.languages} --psm 1")
        print(f"  tesseract      {1000 * raw_ocr / args.scans:8.0f} ms/page  ({raw_ocr:.2f} s)")
        print(f"  sijill         {1000 * our_ocr / args.scans:8.0f} ms/page  ({our_ocr:.2f} s)")
        print(f"  ratio          {our_ocr / raw_ocr:8.2f}   (target <= 1.15)")
        print(f"peak memory of any process: {peak:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
