"""Benchmark: the leak check on publication copies of clean real material (false positives)
and on crafted leaks (catches), against a naive baseline measured in the same run.

False positives ("clean material can still be published"): every photo under
../shared/data/exif-samples that Pillow decodes (HEIC and HEIF through pillow-heif; the
undecodable ones are skipped and counted), and real PDFs without names: each of those photos
placed alone on a PDF page (Pillow's PDF writer, long side 8 inches), and every PDF under
/usr/share/doc (`*.pdf`, and `*.pdf.gz` unpacked). For each, the publication copy is built
by `sijill.protect.build.build_copy` with a redactor holding fictional protected terms that
do not occur in them (a Latin name, a place, a phone number, a kunya in Latin and Arabic
script), then scanned by `sijill.leakcheck.scan` with the same terms (speech off). A copy
fails when the scan has any finding; failures are listed with their findings and counted
by finding kind. A copy protection refuses to build is counted apart.

Catches: crafted files that a leak check must fail, all built here with fictional names:
GPS in a JPEG's EXIF, a name in its XMP, a name in the file name, a PDF text layer (plain,
split by kerning, hyphenated over a line end), a PDF's Info, a picture in a PDF with the
name in its soft-masked or clipped-away half, a name painted on a sign in a real photo
(white on red, turned 30 degrees, Arabic), the kunya in another case in SRT subtitles, a
misheard spelling in WebVTT, a phone number written with en dashes, a face, and a name
burned into one second of a video. PDFs are written with Flate-compressed streams, as real
ones are. The leak check catches a case only with the finding that names the leak (its kind,
and its term for term cases); other findings are shown but do not count.

Baseline: what a careful person with standard tools would do: `exiftool -a -u -ee -G1` and
the file's raw bytes, searched case-insensitively for each exact term (UTF-8) and for "GPS".
Any hit counts for it (generous), on crafted leaks and on the clean copies alike.

Usage:

    .venv/bin/python benchmarks/leakcheck.py [--quick] [--only photos|pdfs|leaks]
        [--pages N] [--photo-pdfs N]

Prints one line per copy and per crafted leak, then the totals and the seconds each part
took. --quick takes four photos, one of them on a PDF page and the first three pages of the
smallest documentation PDF, and every crafted leak (about 4.5 minutes on two busy cores).
--pages caps the pages taken from each documentation PDF and --photo-pdfs the photos put
on PDF pages (spread over the sorted list); both default to all. The full run is long:
both sides OCR every picture and page many times, about 25 s a photo, a minute a photo
page and 7 s a document page on two cores (some 2 hours for the 665 pages found here).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "exif-samples"
DOCS = Path("/usr/share/doc")
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
NASKH = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf"

# Fictional: none of these names, places or numbers belongs to anyone we know of.
NAME = "Karim Nakhli"
PLACE = "Tell Qasrin"
PHONE = "+963 944 123 456"
KUNYA = "Abu Rayyan"
KUNYA_AR = "أبو ريان"
NAME_AR = "محمد النخلي"
CLEAN_TERMS = [
    (NAME, "Witness A", "name"),
    (PLACE, "Place A", "place"),
    (PHONE, "Phone A", "phone"),
    (KUNYA, "Witness B", "name"),
    (KUNYA_AR, "Witness B", "name"),
]
LEAK_TERMS = [NAME, NAME_AR, KUNYA, KUNYA_AR, PHONE]

QUICK_PHOTOS = (
    "jpg/Canon_40D.jpg",
    "jpg/gps/DSCN0010.jpg",
    "jpg/orientation/portrait_6.jpg",
    "heic/IMG_5195.HEIC",
)
QUICK_PHOTO_PDFS = ("jpg/gps/DSCN0010.jpg",)
QUICK_PAGES = 3
BACKGROUND = "jpg/gps/DSCN0010.jpg"  # the real photo the crafted signs are put up in
_COPIES = itertools.count()


# The naive baseline -------------------------------------------------------------------------


def baseline(path: Path, terms: list[str]) -> list[str]:
    """What exiftool's full listing and the raw bytes show of each term and of "GPS"."""
    proc = subprocess.run(
        ["exiftool", "-a", "-u", "-ee", "-G1", str(path)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    listing = proc.stdout.decode("utf-8", "replace").casefold()
    raw = path.read_bytes().lower()
    hits = []
    for needle in [*terms, "GPS"]:
        folded = needle.casefold()
        places = [
            where
            for where, found in (
                ("exiftool", folded in listing),
                ("bytes", folded.encode("utf-8") in raw),
            )
            if found
        ]
        if places:
            hits.append(f"{needle!r} in {'+'.join(places)}")
    return hits


# Clean material -------------------------------------------------------------------------------


@dataclass
class CleanResult:
    label: str
    findings: list[Any]
    base: list[str]
    error: str | None = None


def redactor() -> Any:
    from sijill.protect.redact import ProtectedTerm, Redactor

    return Redactor([ProtectedTerm(t, p, k) for t, p, k in CLEAN_TERMS])


def protect_and_check(kind: str, src: Path, work: Path, label: str) -> CleanResult:
    from sijill.errors import SijillError
    from sijill.leakcheck import scan
    from sijill.protect.build import BuildInput, build_copy

    out = work / f"copy-{next(_COPIES)}"
    try:
        built = build_copy(
            BuildInput(kind=kind, original=src, stem="copy", redactor=redactor()), out
        )
    except (SijillError, OSError, ValueError) as exc:
        return CleanResult(label, [], [], f"{type(exc).__name__}: {exc}")
    paths = [p for p, _ in built.files]
    findings = scan(paths, terms=[t for t, _, _ in CLEAN_TERMS], speech=False)
    base = [h for p in paths for h in baseline(p, [t for t, _, _ in CLEAN_TERMS])]
    return CleanResult(label, findings, base)


def report_clean(r: CleanResult, seconds: float) -> None:
    if r.error:
        print(f"  NOT BUILT {r.label}: {r.error} ({seconds:.0f} s)", flush=True)
        return
    verdict = "passed" if not r.findings else f"FAILED ({len(r.findings)} finding(s))"
    base = "baseline alarms: " + "; ".join(r.base) if r.base else "baseline quiet"
    print(f"  {r.label:<48} {verdict:<22} {base} ({seconds:.0f} s)", flush=True)
    for f in r.findings:
        print(f"      {f.kind}: {f.where}: {f.what}", flush=True)


def photos(quick: bool) -> tuple[list[Path], list[str]]:
    """The photos Pillow decodes, and the names of those it does not."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    good, bad = [], []
    for p in sorted(DATA.rglob("*")):
        if not p.is_file() or p.suffix.lower() in (".rst", ".md", ".txt"):
            continue
        rel = str(p.relative_to(DATA))
        if quick and rel not in QUICK_PHOTOS:
            continue
        try:
            with Image.open(p) as im:
                im.load()
        except Exception as exc:  # noqa: BLE001 (broken samples are the point of some files)
            bad.append(f"{rel} ({type(exc).__name__})")
            continue
        good.append(p)
    return good, bad


def photo_pdf(src: Path, dst: Path) -> Path:
    """`src` alone on a PDF page, its long side 8 inches (a phone photo pasted in a report)."""
    import pillow_heif
    from PIL import Image, ImageOps

    pillow_heif.register_heif_opener()
    with Image.open(src) as im:
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    rgb.save(dst, "PDF", resolution=max(72.0, max(rgb.size) / 8.0))
    return dst


def doc_pdfs(work: Path, quick: bool, pages: int | None) -> list[tuple[str, Path]]:
    """The PDFs under /usr/share/doc (gzipped ones unpacked), cut to `pages` pages."""
    import pikepdf

    found = sorted(DOCS.rglob("*.pdf")) + sorted(DOCS.rglob("*.pdf.gz"))
    if quick:
        plain = [p for p in found if p.suffix == ".pdf"] or found
        found = sorted(plain, key=lambda p: p.stat().st_size)[:1]
        pages = pages or QUICK_PAGES
    out = []
    for i, p in enumerate(found):
        src = work / f"doc-{i}.pdf"
        try:
            data = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
            src.write_bytes(data)
            with pikepdf.open(src) as pdf:
                total = len(pdf.pages)
                if pages and total > pages:
                    cut = pikepdf.new()
                    for page in pdf.pages[:pages]:
                        cut.pages.append(page)
                    cut.save(work / f"doc-{i}-cut.pdf")
                    src = work / f"doc-{i}-cut.pdf"
        except (OSError, pikepdf.PdfError) as exc:
            print(f"  skipped {p}: {exc}", flush=True)
            continue
        taken = f"pages 1-{pages} of {total}" if pages and total > pages else f"{total} pages"
        out.append((f"{p.relative_to(DOCS)} ({taken})", src))
    return out


def terms_in_original(pdf: Path) -> list[str]:
    """Protected terms already in a PDF's text (exactly): such a PDF is not clean material."""
    import pypdfium2

    from sijill.leakcheck.terms import TermMatcher

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        texts = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
            page.close()
    finally:
        doc.close()
    return TermMatcher([t for t, _, _ in CLEAN_TERMS]).find("\n".join(texts), fuzzy=False)


def summarise(title: str, results: list[CleanResult]) -> tuple[int, int]:
    built = [r for r in results if r.error is None]
    failed = [r for r in built if r.findings]
    kinds = Counter(k for r in failed for k in sorted({f.kind for f in r.findings}))
    base = sum(1 for r in built if r.base)
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
    print(
        f"{title}: {len(failed)} of {len(built)} copies fail the leak check "
        f"(copies by finding kind: {by_kind}); baseline alarms on {base}; "
        f"{len(results) - len(built)} not built",
        flush=True,
    )
    for r in failed:
        print(f"  failing: {r.label}", flush=True)
    return len(failed), len(built)


def clean_photos(work: Path, quick: bool) -> list[CleanResult]:
    good, bad = photos(quick)
    print(
        f"photos: {len(good)} decoded, {len(bad)} skipped as undecodable"
        + (f" ({', '.join(bad)})" if bad else ""),
        flush=True,
    )
    results = []
    for p in good:
        t = time.perf_counter()
        r = protect_and_check("image", p, work, str(p.relative_to(DATA)))
        report_clean(r, time.perf_counter() - t)
        results.append(r)
    return results


def clean_pdfs(
    work: Path, quick: bool, pages: int | None, photo_pdfs: int | None
) -> list[CleanResult]:
    good, _ = photos(quick=False)
    if quick and photo_pdfs is None:
        good = [p for p in good if str(p.relative_to(DATA)) in QUICK_PHOTO_PDFS]
    elif photo_pdfs is not None:
        good = good[:: max(1, len(good) // photo_pdfs)][:photo_pdfs] if photo_pdfs else []
    sources = [
        (f"{p.relative_to(DATA)} on a page", photo_pdf(p, work / f"photo-{i}.pdf"))
        for i, p in enumerate(good)
    ]
    docs = doc_pdfs(work, quick, pages)
    print(f"PDFs: {len(sources)} photo pages, {len(docs)} from {DOCS}", flush=True)
    results = []
    for label, src in sources + docs:
        present = terms_in_original(src)
        if present:
            print(f"  {label}: holds {present} already, not clean material; left out")
            continue
        t = time.perf_counter()
        r = protect_and_check("pdf", src, work, label)
        report_clean(r, time.perf_counter() - t)
        results.append(r)
    return results


# Crafted leaks --------------------------------------------------------------------------------


def background() -> Any:
    from PIL import Image

    path = DATA / BACKGROUND
    if path.is_file():
        return Image.open(path).convert("RGB")
    return Image.new("RGB", (640, 480), (120, 130, 112))


def sign(
    text: str,
    *,
    font: str = SANS,
    size: int = 40,
    fg: tuple[int, int, int] = (20, 20, 20),
    bg: tuple[int, int, int] = (235, 232, 220),
    angle: float = 0.0,
    canvas: tuple[int, int] | None = None,
) -> Any:
    """A real photo (resized to `canvas`) with a sign holding `text` put up in it, turned
    `angle` degrees."""
    from PIL import Image, ImageDraw, ImageFont

    fnt = ImageFont.truetype(font, size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
        (0, 0), text, font=fnt
    )
    pad = size // 2
    board = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (*bg, 255))
    ImageDraw.Draw(board).text((pad - left, pad - top), text, font=fnt, fill=fg)
    board = board.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    photo = background()
    if canvas:
        photo = photo.resize(canvas, Image.Resampling.LANCZOS)
    photo.paste(
        board, ((photo.width - board.width) // 2, (photo.height - board.height) // 3), board
    )
    return photo


def plain_jpeg(path: Path) -> Path:
    background().save(path, "JPEG", quality=90)
    return path


def exiftool_write(path: Path, *args: str) -> Path:
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", *args, str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(path: Path, content: bytes, info: dict[str, str] | None = None) -> Path:
    """One page drawing `content` (Helvetica as /F1), streams Flate-compressed."""
    import pikepdf

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    page = pdf.add_blank_page(page_size=(612, 792))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(content)
    for k, v in (info or {}).items():
        pdf.docinfo[f"/{k}"] = v
    pdf.save(path, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return path


def lines_pdf(path: Path, lines: list[str], info: dict[str, str] | None = None) -> Path:
    body = b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines)
    return text_pdf(path, b"BT /F1 12 Tf 14 TL 72 720 Td " + body + b" ET", info)


def hidden_picture_pdf(path: Path, how: str) -> Path:
    from tests.pdfgen import image_page_pdf, two_halves_picture

    return image_page_pdf(
        path, two_halves_picture(NAME), how=how, caption="Photographs of the site."
    )


def burned_video(path: Path) -> Path:
    """3 s of 320x240 at 25 fps, the sign with the name shown from 1.0 to 2.0 s only."""
    from PIL import Image

    shown = np.asarray(sign(NAME, size=30, canvas=(320, 240)))
    plain = np.asarray(background().resize((320, 240), Image.Resampling.LANCZOS))
    proc = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
        + ["-s", "320x240", "-r", "25", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
        + ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", str(path)],
        stdin=subprocess.PIPE,
    )
    assert proc.stdin is not None
    for i in range(75):
        proc.stdin.write(Image.fromarray(shown if 25 <= i < 50 else plain).tobytes())
    proc.stdin.close()
    if proc.wait(120) != 0:
        raise RuntimeError("ffmpeg could not write the video")
    return path


@dataclass(frozen=True)
class Leak:
    name: str
    file: str  # the crafted file's name
    make: Callable[[Path], Path]
    kind: str  # the finding kind that names the leak
    term: str | None = None  # for term findings: the term it must name
    where: str = ""  # a part of the finding's `where` it must have

    def caught(self, findings: list[Any]) -> bool:
        return any(
            f.kind == self.kind
            and (self.term is None or repr(self.term) in f.what)
            and self.where in f.where
            for f in findings
        )


def _save(picture: Any, path: Path) -> Path:
    picture.save(path, "JPEG", quality=90)
    return path


def leaks() -> list[Leak]:
    from PIL import Image

    def astronaut(path: Path) -> Path:
        from skimage import data

        Image.fromarray(np.asarray(data.astronaut())).save(path, "JPEG", quality=90)
        return path

    return [
        Leak(
            "GPS position in a JPEG's EXIF",
            "gps.jpg",
            lambda p: exiftool_write(
                plain_jpeg(p),
                "-GPSLatitude=36.2021",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=37.1343",
                "-GPSLongitudeRef=E",
            ),
            "metadata",
            where="GPS",
        ),
        Leak(
            "name in a JPEG's XMP (PersonInImage)",
            "xmp.jpg",
            lambda p: exiftool_write(plain_jpeg(p), f"-XMP-iptcExt:PersonInImage={NAME}"),
            "term",
            NAME,
            "exif:",
        ),
        Leak(
            "name in the file name (underscores)",
            "interview_karim_nakhli.jpg",
            plain_jpeg,
            "term",
            NAME,
            "file name",
        ),
        Leak(
            "name in a PDF text layer (compressed)",
            "text.pdf",
            lambda p: lines_pdf(p, ["Statement taken in March.", f"Witness: {NAME}"]),
            "term",
            NAME,
        ),
        Leak(
            "name split by kerning in a PDF (TJ)",
            "kerned.pdf",
            lambda p: text_pdf(
                p, b"BT /F1 12 Tf 72 720 Td [(Witness: Karim Nak) -40 (hli, farmer)] TJ ET"
            ),
            "term",
            NAME,
        ),
        Leak(
            "name hyphenated over a PDF line break",
            "hyphen.pdf",
            lambda p: lines_pdf(p, ["The statement of Karim Nakh-", "li was taken on 3 May."]),
            "term",
            NAME,
        ),
        Leak(
            "name in a PDF's Info (Author)",
            "info.pdf",
            lambda p: lines_pdf(p, ["Statement of Witness A."], {"Author": NAME}),
            "term",
            NAME,
            "Info",
        ),
        Leak(
            "name in the soft-masked half of a PDF picture",
            "smask.pdf",
            lambda p: hidden_picture_pdf(p, "smask"),
            "term",
            NAME,
            "image",
        ),
        Leak(
            "name in the clipped-away half of a PDF picture",
            "clip.pdf",
            lambda p: hidden_picture_pdf(p, "clip"),
            "term",
            NAME,
            "image",
        ),
        Leak(
            "name painted white on red in a photo",
            "white-on-red.jpg",
            lambda p: _save(sign(NAME, fg=(255, 255, 255), bg=(200, 24, 24)), p),
            "term",
            NAME,
            "image",
        ),
        Leak(
            "name painted turned 30 degrees in a photo",
            "turned-30.jpg",
            lambda p: _save(sign(NAME, angle=30.0), p),
            "term",
            NAME,
            "image",
        ),
        Leak(
            "Arabic name painted on a shop sign in a photo",
            "arabic-sign.jpg",
            lambda p: _save(sign(f"مخبز {NAME_AR}", font=NASKH, size=44), p),
            "term",
            NAME_AR,
            "image",
        ),
        Leak(
            "kunya in the genitive (لأبي ريان) in SRT subtitles",
            "kunya.srt",
            lambda p: _text(p, "1\n00:00:01,000 --> 00:00:03,000\nوصلت الرسالة لأبي ريان مساء\n"),
            "term",
            KUNYA_AR,
        ),
        Leak(
            "misheard kunya (Abu Rayan) in WebVTT subtitles",
            "misheard.vtt",
            lambda p: _text(
                p, "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWe met Abu Rayan by the bakery.\n"
            ),
            "term",
            KUNYA,
        ),
        Leak(
            "phone number with en dashes in a PDF",
            "phone.pdf",
            lambda p: lines_pdf(p, ["Call him on +963\u2013944\u2013123\u2013456 after dark."]),
            "term",
            PHONE,
        ),
        Leak("a face (the astronaut) in a JPEG", "face.jpg", astronaut, "face"),
        Leak(
            "name burned into 1 s of a 3 s video",
            "burned.mp4",
            burned_video,
            "term",
            NAME,
            "frame",
        ),
    ]


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def crafted(work: Path) -> tuple[int, int, int, list[str]]:
    from sijill.leakcheck import scan

    cases = leaks()
    got = base_got = 0
    missed = []
    for i, leak in enumerate(cases):
        folder = work / f"leak-{i}"
        folder.mkdir()
        t = time.perf_counter()
        try:
            path = leak.make(folder / leak.file)
        except Exception as exc:  # noqa: BLE001 (a case that cannot be made is reported)
            print(f"  {leak.name:<50} NOT MADE: {type(exc).__name__}: {exc}", flush=True)
            missed.append(f"{leak.name}: not made")
            continue
        findings = scan([path], terms=LEAK_TERMS, speech=False)
        base = baseline(path, LEAK_TERMS)
        ok = leak.caught(findings)
        got += ok
        base_got += bool(base)
        others = [f for f in findings if not leak.caught([f])]
        print(
            f"  {leak.name:<50} leak check {'caught' if ok else 'MISSED':<6}  "
            f"baseline {'caught' if base else 'missed':<6} ({time.perf_counter() - t:.0f} s)"
            + (f"  [{'; '.join(base)}]" if base else ""),
            flush=True,
        )
        for f in findings:
            mark = "  " if f in others else "=>"
            print(f"    {mark} {f.kind}: {f.where}: {f.what}", flush=True)
        if not ok:
            missed.append(f"{leak.name} ({leak.file}): findings {[f.what for f in findings]}")
    return got, base_got, len(cases), missed


# Main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=("photos", "pdfs", "leaks"))
    ap.add_argument("--pages", type=int, default=None, help="pages per documentation PDF")
    ap.add_argument("--photo-pdfs", type=int, default=None, help="photos placed on PDF pages")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no sample photos at {DATA}")
    parts = [args.only] if args.only else ["photos", "pdfs", "leaks"]
    seconds: dict[str, float] = {}
    totals: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sijill-bench-leak-") as tmp:
        work = Path(tmp)
        fp = {}
        if "photos" in parts:
            t = time.perf_counter()
            print("== clean photos: publication copies scanned with the terms", flush=True)
            fp["photos"] = summarise("photos", clean_photos(work, args.quick))
            seconds["photos"] = time.perf_counter() - t
        if "pdfs" in parts:
            t = time.perf_counter()
            print("== clean PDFs: publication copies scanned with the terms", flush=True)
            fp["PDFs"] = summarise(
                "PDFs", clean_pdfs(work, args.quick, args.pages, args.photo_pdfs)
            )
            seconds["pdfs"] = time.perf_counter() - t
        if fp:
            totals.append(
                "copies failing the leak check: "
                + ", ".join(f"{x} of {n} ({what})" for what, (x, n) in fp.items())
            )
        if "leaks" in parts:
            t = time.perf_counter()
            print("== crafted leaks (=> the finding that names the leak)", flush=True)
            got, base_got, n, missed = crafted(work)
            seconds["leaks"] = time.perf_counter() - t
            totals.append(f"leak check caught {got} of {n}, baseline {base_got} of {n}")
            for m in missed:
                totals.append(f"  missed by the leak check: {m}")
    print("== totals", flush=True)
    for line in totals:
        print(line, flush=True)
    print(
        "seconds: "
        + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items())
        + f"; {time.perf_counter() - start:.0f} in all",
        flush=True,
    )


if __name__ == "__main__":
    main()
