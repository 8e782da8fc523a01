"""Benchmark: OCR of scanned PDF pages, against the true text and against raw Tesseract.

Pages are made here: fictional prose in English and French (not text anything was tuned
on), drawn at 150, 200 and 300 dpi, speckled with noise as a flatbed scanner and a copier
leave it, and stored as image-only PDFs at that resolution. Each page is read three ways in
the same run:

- `sijill`: the `tesseract_ocr` stage as `sijill run` calls it (the page read at its own
  resolution, `scan_dpi`);
- `old`: the same stage with every page rendered at 300 dpi (the behaviour before issue 11);
- `raw`: `tesseract` run on the page's embedded image (`pdfimages -png`), same languages.

Word error rate (jiwer, lower case, punctuation removed) against the text drawn, per page,
and the ratio sijill / raw (goal ≤ 1.05).

Real scans: the scanned PDFs of OCRmyPDF's test suite (its sdist; fetch it with `pip download
ocrmypdf==17.13.0 --no-deps --no-binary :all: -d DIR` and pass `--ocrmypdf DIR/....tar.gz`),
each page read by `sijill` and by raw Tesseract on its embedded image: their agreement is
1 - WER of sijill's words against raw's (no true text exists for them). Usage:

    .venv/bin/python benchmarks/ocr_quality.py [--quick] [--ocrmypdf SDIST]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LANGS = "eng+fra+ara"
TEXTS = {
    "en": (
        "The convoy left the depot before dawn and reached the second checkpoint at about "
        "seven. The guards asked every driver for his papers and wrote the numbers of the "
        "lorries in a green register. Two men were taken aside and questioned for an hour; "
        "one of them was allowed to go on, the other was driven back towards the river. A "
        "clerk in the office kept copies of the orders in a metal cupboard, and each week a "
        "summary was sent to the district command with the fees collected and the names of "
        "those held. Witnesses describe the same yellow barrier, the same concrete blocks "
        "and a water tank painted with the number nine."
    ),
    "fr": (
        "Le marché ouvrait le jeudi matin sur la place de la fontaine. Les commerçants "
        "venaient des villages voisins avec leurs charrettes et payaient un droit d'entrée "
        "au bureau installé dans l'ancienne école. Selon plusieurs témoins, les contrôles "
        "se sont durcis au printemps : les téléphones étaient fouillés, les cartes "
        "d'identité photographiées, et les hommes de moins de quarante ans devaient "
        "présenter une autorisation signée. Le registre tenu par le secrétaire mentionne "
        "des amendes pour des motifs aussi divers que le retard ou la tenue vestimentaire."
    ),
}


def words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def wer(truth: str, got: str) -> float:
    import jiwer

    return float(jiwer.wer(words(truth), words(got) or "x"))


def draw_page(text: str, dpi: int, noise: float, seed: int) -> Image.Image:
    """An A4 page of `text` at `dpi`, 11 pt, with speckle noise and a slight blur."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, round(11 / 72 * dpi))
    margin, y = round(dpi), round(dpi)
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > width - 2 * margin:
            draw.text((margin, y), line, font=font, fill=25)
            y += round(font.size * 1.5)
            line = word
        else:
            line = trial
    draw.text((margin, y), line, font=font, fill=25)
    page = page.filter(ImageFilter.GaussianBlur(0.6 * dpi / 300))
    rng = np.random.default_rng(seed)
    pixels = np.asarray(page, dtype=np.float32)
    pixels += rng.normal(0, 18, pixels.shape)
    specks = rng.random(pixels.shape) < noise
    pixels[specks] = rng.choice([0.0, 255.0], size=int(specks.sum()))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def stage_ocr(
    pdf: Path, work: Path, *, native: bool, pages: list[int] | None = None
) -> tuple[str, float]:
    from sijill.pipeline.stage import ItemInfo
    from sijill.pipeline.stages import tesseract_ocr
    from sijill.pipeline.stages.tesseract_ocr import TesseractOcr

    stage = TesseractOcr()
    item = ItemInfo(
        "b", "0" * 64, pdf.stat().st_size, pdf.name, "application/pdf", "document", 0, "c"
    )
    ctx: Any = SimpleNamespace(
        item=item,
        config=dict(stage.defaults, languages=LANGS),
        input_path=pdf,
        workdir=work,
        previous={"pdfium_text_extractor": {"ocr_pages": pages or [1]}},
    )
    saved = tesseract_ocr.scan_dpi
    if not native:
        tesseract_ocr.scan_dpi = lambda page: None  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        result = stage.run(ctx)
        took = time.perf_counter() - start
    finally:
        tesseract_ocr.scan_dpi = saved
    return " ".join(u.text for u in result.text_units), took


def raw_ocr(pdf: Path, work: Path, *, every: bool = False) -> tuple[str, float]:
    """Raw Tesseract on the embedded image(s): the first, or (`every`) each in page order."""
    start = time.perf_counter()
    subprocess.run(["pdfimages", "-png", str(pdf), str(work / "raw")], check=True, timeout=120)
    images = sorted(work.glob("raw-*"))
    texts = []
    for image in images if every else images[:1]:
        proc = subprocess.run(
            ["tesseract", str(image), "stdout", "-l", LANGS],
            capture_output=True,
            check=False,
            timeout=600,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
        texts.append(proc.stdout.decode("utf-8", "replace"))
    took = time.perf_counter() - start
    for image in images:
        image.unlink()
    return " ".join(texts), took


REAL_SCANS = ("francais.pdf", "c03-29.pdf", "linn.pdf", "cardinal.pdf", "skew.pdf", "epson.pdf")


def real_scans(sdist: Path, work: Path) -> list[tuple[str, float, float, float, float]]:
    """(name, agreement of sijill with raw, sijill s, raw s, agreement of the old way) for
    each real scanned PDF."""
    import tarfile

    import pypdfium2 as pdfium

    out = []
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if Path(m.name).name in REAL_SCANS]
        for member in members:
            data = tar.extractfile(member)
            assert data is not None
            pdf = work / Path(member.name).name
            pdf.write_bytes(data.read())
            doc = pdfium.PdfDocument(str(pdf))
            pages = len(doc)
            doc.close()
            every = list(range(1, pages + 1))
            got, t_new = stage_ocr(pdf, work, native=True, pages=every)
            old, _ = stage_ocr(pdf, work, native=False, pages=every)
            raw, t_raw = raw_ocr(pdf, work, every=True)
            agree = 1.0 - min(1.0, wer(raw, got))
            before = 1.0 - min(1.0, wer(raw, old))
            out.append((pdf.name, agree, t_new, t_raw, before))
            print(
                f"{pdf.name} ({pages} p.): agreement with raw {agree:.3f} (old {before:.3f}) "
                f"({t_new:.1f} s against {t_raw:.1f} s)",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 and 200 dpi only, one noise")
    parser.add_argument("--ocrmypdf", type=Path, help="OCRmyPDF sdist (.tar.gz): real scans")
    args = parser.parse_args()
    dpis = (150, 200) if args.quick else (150, 200, 300)
    noises = (0.004,) if args.quick else (0.002, 0.006)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        work = Path(tmp)
        for lang, text in TEXTS.items():
            for dpi in dpis:
                for n, noise in enumerate(noises):
                    pdf = work / f"{lang}-{dpi}-{n}.pdf"
                    draw_page(text, dpi, noise, seed=dpi + n).save(pdf, "PDF", resolution=dpi)
                    got, t_new = stage_ocr(pdf, work, native=True)
                    old, t_old = stage_ocr(pdf, work, native=False)
                    raw, t_raw = raw_ocr(pdf, work)
                    row = (lang, dpi, noise, wer(text, got), wer(text, old), wer(text, raw))
                    rows.append((*row, t_new, t_old, t_raw))
                    print(
                        f"{lang} {dpi} dpi noise {noise:.3f}: WER sijill {row[3]:.3f}  "
                        f"old {row[4]:.3f}  raw {row[5]:.3f}  "
                        f"({t_new:.1f} s, {t_old:.1f} s, {t_raw:.1f} s)",
                        flush=True,
                    )
        real = real_scans(args.ocrmypdf, work) if args.ocrmypdf else []
    new = float(np.mean([r[3] for r in rows]))
    old = float(np.mean([r[4] for r in rows]))
    raw = float(np.mean([r[5] for r in rows]))
    ratio = new / raw if raw else float("inf") if new else 1.0
    print(f"\nmean WER over {len(rows)} pages: sijill {new:.4f}, old {old:.4f}, raw {raw:.4f}")
    print(f"ratio sijill/raw {ratio:.2f} (goal <= 1.05); old/raw {old / raw if raw else 0:.2f}")
    worst = max(rows, key=lambda r: r[3] - r[5])
    print(f"largest gap to raw: {worst[0]} {worst[1]} dpi, {worst[3]:.3f} against {worst[5]:.3f}")
    print(
        "seconds: sijill "
        f"{sum(r[6] for r in rows):.0f}, old {sum(r[7] for r in rows):.0f}, "
        f"raw {sum(r[8] for r in rows):.0f}"
    )

    if real:
        low = min(real, key=lambda r: r[1])
        print(
            f"real scans: mean agreement with raw {np.mean([r[1] for r in real]):.3f} "
            f"(old {np.mean([r[4] for r in real]):.3f}), "
            f"lowest {low[1]:.3f} ({low[0]}); seconds sijill "
            f"{sum(r[2] for r in real):.0f}, raw {sum(r[3] for r in real):.0f}"
        )
    elif not args.ocrmypdf:
        print("real scans: not measured (pass --ocrmypdf SDIST)")


if __name__ == "__main__":
    main()
