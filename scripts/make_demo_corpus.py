#!/usr/bin/env python3
"""Generate the bundled demo corpus (src/sijill/cli/demo/corpus/). Everything in it is fictional.

Run from the repository root:  .venv/bin/python scripts/make_demo_corpus.py [--check]

The generated files are committed, so `make demo` never runs this. Generation needs what a
development machine of this project has: Pillow with the RAQM layout engine, python-docx,
Debian fonts-noto-core and fonts-dejavu-core, exiftool, espeak-ng and ffmpeg (with libx264);
`--check` also runs pdftotext and tesseract (eng, ara) to confirm that the text comes back out
of the PDFs and the scan. Every run writes the same bytes; the recorded testimonies
(testimonies/) only with the same versions of espeak-ng, ffmpeg and x264 (Debian 12's made
the committed ones).

The group "Jama'at al-Sarab", every kunya, codename, checkpoint, witness and event below is
invented. Raqqa, Mosul, Aleppo and Tabqa are real cities used only as places.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import wave
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.pdfgen import assemble  # noqa: E402  (the same PDF writer the tests use)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "sijill" / "cli" / "demo" / "corpus"
FONTS = Path("/usr/share/fonts/truetype")
NASKH = FONTS / "noto" / "NotoNaskhArabic-Regular.ttf"
NASKH_BOLD = FONTS / "noto" / "NotoNaskhArabic-Bold.ttf"
DEJAVU = FONTS / "dejavu" / "DejaVuSans.ttf"
DEJAVU_BOLD = FONTS / "dejavu" / "DejaVuSans-Bold.ttf"
ZIP_TIME = (2024, 3, 20, 10, 0, 0)  # fixed member times: re-running gives identical zips

# --------------------------------------------------------------------------------------------
# 1. A typed PDF, written by hand: Helvetica text objects, WinAnsi encoding, exact xref.
# --------------------------------------------------------------------------------------------

MEMO_TITLE = "JAMA'AT AL-SARAB - GENERAL SECURITY OFFICE - RAQQA SECTOR"
MEMO: list[list[tuple[str, str]]] = [
    [  # page 1
        ("h1", MEMO_TITLE),
        ("h2", "Internal circular No. 47/1445 - English edition for muhajir units"),
        ("p", ""),
        ("kv", "Date: 12 March 2024 (2 Ramadan 1445)"),
        ("kv", "From: Abu Khalid al-Firansi, deputy emir for checkpoints, Raqqa sector"),
        (
            "kv",
            "To: commanders of checkpoints CP-1 to CP-9 on the Raqqa-Tabqa road and the "
            "Raqqa-Mosul corridor",
        ),
        ("kv", "Subject: Checkpoint procedures during the month of Ramadan"),
        ("kv", "Classification: INTERNAL - not to be shown to residents - destroy after reading"),
        ("p", ""),
        ("h3", "1. Hours"),
        (
            "p",
            "From 11 March 2024 every checkpoint is manned from the dawn prayer until one "
            "hour after the night prayer. The checkpoint at the Tell Qasrin junction (CP-4) "
            "stays closed to all civilian traffic from 22:00 until dawn. Only vehicles with "
            "a pass signed by the security office may cross during those hours.",
        ),
        ("h3", "2. Searching of vehicles and persons"),
        (
            "p",
            "Every car, minibus and truck leaving Raqqa is searched. Brothers at the "
            "checkpoint must open the boot, the spare wheel and the fuel cap. Women are "
            "searched only by the sisters of the al-Khansa detachment, who are posted at "
            "CP-1 and CP-4 between 08:00 and 16:00.",
        ),
        ("h3", "3. Telephones"),
        (
            "p",
            "Every telephone is to be unlocked by its owner and checked. Look for photographs "
            "of checkpoints, of our headquarters and of the grain silo east of Raqqa, for "
            "contacts with foreign numbers, and for the applications listed in annex B. A "
            "person whose phone holds such material is not released at the checkpoint: "
            "write down the name, the vehicle and the time, and hand the person and the "
            "phone to the escort of the security office.",
        ),
    ],
    [  # page 2
        ("h3", "4. Detention and transfer"),
        (
            "p",
            "Persons held at a checkpoint are taken to Point 11 (the old grain silo east of "
            "Raqqa) and nowhere else. The escort signs the register at Point 11. No "
            "detainee is to be kept at a checkpoint for more than six hours. Questions "
            "about detainees are answered only by Abu Rayyan al-Nakhli, commander of CP-4, "
            "or by the duty officer at Point 11.",
        ),
        ("h3", "5. Lists of wanted persons"),
        (
            "p",
            "The list of wanted persons is renewed every Thursday by the security office. "
            "Commanders collect it in person; it must never be photographed, copied or "
            "sent by telephone. The list of 7 March is withdrawn.",
        ),
        ("h3", "6. Crossing fees"),
        (
            "p",
            "The crossing fee on the Raqqa-Mosul corridor remains 5,000 Syrian pounds per "
            "car and 15,000 per truck. A receipt from the book of the finance office is "
            "given for every fee. Fees are handed to the finance office every evening.",
        ),
        ("h3", "7. Checkpoints covered by this circular"),
        ("row", "CP-1   Clock Tower roundabout, Raqqa city        commander Abu Hamza al-Dayri"),
        ("row", "CP-2   Old bridge, south bank of the Euphrates   commander Abu Saad al-Tayyar"),
        ("row", "CP-3   Western exit, Raqqa-Tabqa road            commander Abu Umar al-Khayyat"),
        ("row", "CP-4   Tell Qasrin junction, Raqqa-Mosul road    commander Abu Rayyan al-Nakhli"),
        ("row", "CP-5   Ain Sarab pumping station                 commander Abu Jaafar al-Badawi"),
        ("row", "CP-6   to CP-9: see the annex held by the sector office."),
    ],
    [  # page 3
        ("h3", "8. Reports"),
        (
            "p",
            "Each commander sends a written report every Friday to the security office in "
            "Raqqa: number of vehicles searched, persons held, fees collected, and any "
            "incident. Incidents involving foreign fighters are also reported to the "
            "brothers in Mosul and Aleppo through the usual courier, never by telephone.",
        ),
        ("p", ""),
        (
            "p",
            "Any brother who takes money outside the fee, or who lets a person leave the "
            "checkpoint with a phone holding forbidden material, will answer to the "
            "security office.",
        ),
        ("p", ""),
        ("kv", "Abu Khalid al-Firansi"),
        ("kv", "Deputy emir for checkpoints, Raqqa sector"),
        ("kv", "Raqqa, 12 March 2024"),
        ("p", ""),
        ("kv", "Copies: 9 (one per checkpoint) + 1 file copy. Copy no. 4 of 10."),
    ],
]

_STYLE = {
    "h1": ("F2", 12.5),
    "h2": ("F2", 11.0),
    "h3": ("F2", 11.0),
    "kv": ("F1", 10.5),
    "p": ("F1", 10.5),
    "row": ("F3", 9.0),
}


def _pdf_str(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _page_stream(blocks: list[tuple[str, str]], number: int, pages: int) -> bytes:
    y = 770.0
    ops: list[bytes] = [b"BT"]
    for style, text in blocks:
        font, size = _STYLE[style]
        lead = size * 1.35
        width = 200 if style == "row" else int(455 / (size * 0.5))
        lines = textwrap.wrap(text, width) if text else [""]
        if style == "h3":
            y -= 6
        for line in lines:
            if line:
                ops.append(
                    f"/{font} {size} Tf 1 0 0 1 72 {y:.1f} Tm".encode()
                    + b" "
                    + _pdf_str(line)
                    + b" Tj"
                )
            y -= lead
        if style == "p":
            y -= 4
    footer = f"Circular 47/1445 - page {number} of {pages} - INTERNAL"
    ops.append(b"/F1 8 Tf 1 0 0 1 72 40 Tm " + _pdf_str(footer) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def text_pdf(pages: list[list[tuple[str, str]]], info: dict[str, str]) -> bytes:
    """A minimal, valid PDF 1.4 with a real text layer (base-14 fonts, no embedding)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    pages_obj = add(b"")
    fonts = {
        "F1": add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        ),
        "F2": add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
            b"/Encoding /WinAnsiEncoding >>"
        ),
        "F3": add(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
        ),
    }
    font_dict = b" ".join(f"/{k} {v} 0 R".encode() for k, v in fonts.items())
    kids = []
    for n, blocks in enumerate(pages, 1):
        stream = _page_stream(blocks, n, len(pages))
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] " % pages_obj
                + b"/Resources << /Font << "
                + font_dict
                + b" >> >> "
                + b"/Contents %d 0 R >>" % content
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = (
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % k for k in kids)
        + b"] /Count %d >>" % len(kids)
    )
    info_obj = add(
        b"<< " + b" ".join(f"/{k} ".encode() + _pdf_str(v) for k, v in info.items()) + b" >>"
    )
    return assemble(objects, catalog, info_obj)


def make_memo(dest: Path) -> None:
    dest.write_bytes(
        text_pdf(
            MEMO,
            {
                "Title": "Circular 47/1445 - checkpoint procedures (English edition)",
                "Author": "amn.raqqa.office",
                "Creator": "Writer",
                "CreationDate": "D:20240312081500+03'00'",
            },
        )
    )


# --------------------------------------------------------------------------------------------
# 2. A scanned notice in Arabic: rendered with RAQM, rotated, noisy, image-only PDF.
# --------------------------------------------------------------------------------------------

NOTICE_HEAD = [
    "جماعة السراب، المكتب الأمني، قطاع الرقة",
    "بلاغ رقم ١٩ إلى أهالي مدينة الرقة وريفها",
]
NOTICE_BODY = [
    "يمنع التصوير قرب الحواجز ومقرات الجماعة منعا باتا.",
    "كل من يحمل هاتفا يجب أن يفتحه ويسلمه للتفتيش عند الحاجز.",
    "يغلق حاجز تل قصرين من الساعة العاشرة ليلا حتى صلاة الفجر.",
    "رسوم العبور على طريق الرقة الموصل خمسة آلاف ليرة لكل سيارة.",
    "تفتيش النساء تقوم به كتيبة الخنساء وحدها.",
    "من يخالف هذا البلاغ يحال إلى النقطة الحادية عشرة عند صومعة الحبوب.",
    "الشكاوى تقدم إلى أبي خالد الفرنسي في مكتب الحواجز.",
    "صدر في مدينة الرقة بتاريخ ١٢ آذار ٢٠٢٤",
]


def render_notice(dpi: int = 300, seed: int = 19) -> Image.Image:
    if not features.check("raqm"):
        sys.exit("Pillow lacks the RAQM layout engine (libraqm): Arabic would render wrongly")
    rng = random.Random(seed)
    w, h = int(8.27 * dpi), int(11.69 * dpi)  # A4
    page = Image.new("L", (w, h), 246)
    draw = ImageDraw.Draw(page)
    head = ImageFont.truetype(str(NASKH_BOLD), int(dpi * 0.25), layout_engine=ImageFont.Layout.RAQM)
    body = ImageFont.truetype(str(NASKH), int(dpi * 0.2), layout_engine=ImageFont.Layout.RAQM)
    right = w - int(dpi * 0.9)
    y = int(dpi * 1.1)
    for line in NOTICE_HEAD:
        draw.text(
            (w // 2, y), line, font=head, fill=20, anchor="ma", direction="rtl", language="ar"
        )
        y += int(dpi * 0.5)
    draw.line((int(dpi * 0.9), y, right, y), fill=40, width=4)
    y += int(dpi * 0.35)
    for line in NOTICE_BODY:
        draw.text((right, y), line, font=body, fill=25, anchor="ra", direction="rtl", language="ar")
        y += int(dpi * 0.42)
    # a rubber stamp: a double ring, off-centre, as on real notices
    cx, cy, r = int(dpi * 2.2), y + int(dpi * 0.6), int(dpi * 0.55)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=90, width=6)
    draw.ellipse((cx - r + 22, cy - r + 22, cx + r - 22, cy + r - 22), outline=90, width=3)
    draw.text((cx, cy), "الأمني", font=body, fill=90, anchor="mm", direction="rtl", language="ar")
    # the scan: a slightly crooked page, blur, sensor noise, dust
    page = page.rotate(1.1, resample=Image.Resampling.BICUBIC, fillcolor=246)
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    page = Image.blend(page, Image.effect_noise((w, h), 40), 0.07)
    draw = ImageDraw.Draw(page)
    for _ in range(400):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        s = rng.choice((1, 2, 2, 3))
        draw.ellipse((x0, y0, x0 + s, y0 + s), fill=rng.randrange(60, 160))
    # a shadow along the left edge where the page did not lie flat on the glass
    for i in range(40):
        draw.line((i, 0, i, h), fill=int(120 + i * 3))
    return page


def make_scan(dest: Path, png: Path | None = None) -> None:
    page = render_notice()
    if png is not None:
        page.save(png)
    fixed = time.gmtime(datetime(2024, 3, 13, 11, 2, 0, tzinfo=UTC).timestamp())
    page.save(
        dest,
        "PDF",
        resolution=300.0,
        quality=40,
        title="scan_0019",
        producer="ScanSnap Manager",
        creationDate=fixed,
        modDate=fixed,
    )


# --------------------------------------------------------------------------------------------
# 3. A French testimony transcript (DOCX).
# --------------------------------------------------------------------------------------------

DOCX_PARAS = [
    (
        "Entretien réalisé le 18 avril 2024 dans un lieu tenu secret. Le témoin, désigné par le "
        "nom de code MARTINET, a servi comme garde aux postes de contrôle de Jama'at al-Sarab "
        "autour de Raqqa de septembre 2023 à mars 2024, avant de faire défection. Son visage "
        "et sa voix ont été enregistrés ; seules les transcriptions circulent."
    ),
    ("Q : Où étiez-vous affecté ?"),
    (
        "R : Au poste de contrôle numéro 4, au carrefour de Tell Qasrin, sur la route entre "
        "Raqqa et Mossoul. Notre chef était Abu Rayyan al-Nakhli. Au-dessus de lui, pour tous "
        "les postes du secteur, il y avait Abu Khalid al-Firansi. On l'appelait « le Français » "
        "parce qu'il avait vécu à Lyon, disait-on, mais je ne l'ai jamais entendu parler français."
    ),
    ("Q : Que faisiez-vous des téléphones ?"),
    (
        "R : On obligeait chaque conducteur à déverrouiller son téléphone. Si on trouvait des "
        "photos du poste de contrôle ou du silo à grains, la personne était emmenée au "
        "« Point 11 », l'ancien silo à l'est de Raqqa. Pendant le ramadan, on devait garder "
        "les gens au poste pas plus de six heures, mais certains restaient la nuit entière."
    ),
    ("Q : Et les droits de passage ?"),
    (
        "R : Officiellement cinq mille livres par voiture. En réalité Abu Rayyan demandait dix "
        "mille aux familles qui venaient d'Alep, et il ne donnait pas de reçu. Je l'ai vu faire "
        "au moins vingt fois."
    ),
    ("Q : Quand avez-vous quitté la jama'a ?"),
    (
        "R : Le 27 mars 2024, de nuit, par la route de Tabqa. Un passeur m'attendait après le "
        "poste numéro 3."
    ),
]


def make_docx(dest: Path) -> None:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading("Transcription de témoignage — MARTINET", level=1)
    doc.add_paragraph().add_run(
        "Ancien garde des postes de contrôle, secteur de Raqqa. "
        "Document de travail, ne pas diffuser."
    ).italic = True
    for text in DOCX_PARAS:
        p = doc.add_paragraph(text)
        for run in p.runs:
            run.font.size = Pt(11)
    doc.add_heading("Postes de contrôle cités par le témoin", level=2)
    rows = [
        ("Poste", "Lieu", "Chef (kunya)", "Période"),
        ("CP-1", "Rond-point de l'Horloge, Raqqa", "Abu Hamza al-Dayri", "2023–2024"),
        ("CP-3", "Sortie ouest, route de Tabqa", "Abu Umar al-Khayyat", "mars 2024"),
        ("CP-4", "Carrefour de Tell Qasrin", "Abu Rayyan al-Nakhli", "sept. 2023 – mars 2024"),
    ]
    table = doc.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, val in enumerate(row):
            table.cell(r, c).text = val
    doc.add_paragraph("")
    doc.add_paragraph("Transcription : CORBEAU. Relecture : à faire.")
    props = doc.core_properties
    props.author = "CORBEAU"
    props.last_modified_by = "CORBEAU"
    props.title = "Témoignage MARTINET"
    props.language = "fr-FR"
    props.created = datetime(2024, 4, 19, 9, 30, 0)
    props.modified = datetime(2024, 4, 20, 17, 5, 0)
    props.revision = 3
    doc.save(str(dest))
    _fix_zip_times(dest)


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip with fixed member times so that regeneration gives the same bytes."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)


# --------------------------------------------------------------------------------------------
# 4. A phone photo of a painted sign on a tiled wall, with GPS in its EXIF.
# --------------------------------------------------------------------------------------------


def render_photo(seed: int = 4) -> Image.Image:
    rng = random.Random(seed)
    w, h = 1600, 1200
    img = Image.new("RGB", (w, h), (188, 184, 170))
    draw = ImageDraw.Draw(img)
    tile = 100
    for ty in range(0, h, tile):
        for tx in range(0, w, tile):
            base = 200 + rng.randrange(-10, 10)
            draw.rectangle(
                (tx + 3, ty + 3, tx + tile - 3, ty + tile - 3), fill=(base, base - 4, base - 16)
            )
    # a grimy lower band and a bench: nothing that identifies anyone
    draw.rectangle((0, 980, w, h), fill=(120, 108, 92))
    draw.rectangle((180, 900, 700, 940), fill=(92, 64, 40))
    for x in (200, 660):
        draw.rectangle((x, 940, x + 24, 1080), fill=(70, 50, 32))
    # the painted sign, hung slightly crooked
    sign = Image.new("RGB", (900, 470), (238, 236, 226))
    sd = ImageDraw.Draw(sign)
    sd.rectangle((0, 0, 899, 469), outline=(150, 30, 25), width=14)
    big = ImageFont.truetype(str(DEJAVU_BOLD), 96)
    mid = ImageFont.truetype(str(DEJAVU_BOLD), 60)
    sd.text((450, 50), "CHECKPOINT 4", font=big, fill=(150, 30, 25), anchor="ma")
    sd.text((450, 180), "TELL QASRIN", font=mid, fill=(30, 30, 30), anchor="ma")
    sd.text((450, 265), "RAQQA 12 KM", font=mid, fill=(30, 30, 30), anchor="ma")
    sd.text((450, 350), "NO PHOTOS", font=mid, fill=(150, 30, 25), anchor="ma")
    sign = sign.rotate(-2.0, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))
    mask = Image.new("L", (900, 470), 255).rotate(-2.0, expand=True)
    shadow = Image.new("RGB", sign.size, (90, 86, 78))
    img.paste(shadow, (392, 232), mask.filter(ImageFilter.GaussianBlur(12)))
    img.paste(sign, (370, 210), mask)
    # light falloff and sensor noise, as from a cheap phone camera
    vignette = Image.radial_gradient("L").resize((w, h)).point(lambda v: 255 - v // 3)
    img = Image.composite(img, Image.new("RGB", (w, h), (40, 36, 30)), vignette)
    noise = Image.merge("RGB", [Image.effect_noise((w, h), 18)] * 3)
    img = Image.blend(img, noise, 0.05).filter(ImageFilter.GaussianBlur(0.6))
    return img


def make_photo(dest: Path) -> None:
    render_photo().save(dest, "JPEG", quality=82, optimize=True, dpi=(72, 72))
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        sys.exit("exiftool is needed to write the photo's EXIF (Debian libimage-exiftool-perl)")
    subprocess.run(
        [
            exiftool,
            "-q",
            "-overwrite_original",
            "-Make=Generic Mobile",
            "-Model=GM-200",
            "-Software=GM-200 camera 2.1",
            "-Orientation#=1",
            "-DateTimeOriginal=2024:03:14 09:41:22",
            "-CreateDate=2024:03:14 09:41:22",
            "-OffsetTimeOriginal=+03:00",
            "-GPSLatitude=35.9872",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=39.1461",
            "-GPSLongitudeRef=E",
            "-GPSAltitude=254",
            "-GPSAltitudeRef=0",
            "-GPSDateStamp=2024:03:14",
            "-GPSTimeStamp=06:41:20",
            str(dest),
        ],
        check=True,
    )


# --------------------------------------------------------------------------------------------
# 5. An e-mail with a CSV attachment; 6. a zip of documents; 7. plain-text testimonies.
# --------------------------------------------------------------------------------------------

CHECKPOINTS = [
    ("code", "name", "road", "latitude", "longitude", "hours", "commander"),
    (
        "CP-1",
        "Clock Tower roundabout",
        "Raqqa city",
        "35.9506",
        "39.0094",
        "dawn-22:00",
        "Abu Hamza al-Dayri",
    ),
    (
        "CP-2",
        "Old bridge",
        "Raqqa south bank",
        "35.9431",
        "39.0188",
        "dawn-22:00",
        "Abu Saad al-Tayyar",
    ),
    ("CP-3", "Western exit", "Raqqa-Tabqa", "35.9322", "38.9127", "24h", "Abu Umar al-Khayyat"),
    (
        "CP-4",
        "Tell Qasrin junction",
        "Raqqa-Mosul",
        "35.9872",
        "39.1461",
        "dawn-22:00",
        "Abu Rayyan al-Nakhli",
    ),
    (
        "CP-5",
        "Ain Sarab pumping station",
        "Raqqa-Mosul",
        "36.0415",
        "39.3020",
        "24h",
        "Abu Jaafar al-Badawi",
    ),
]


def _csv_text(rows: Sequence[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


EMAIL_BODY = """\
Bonjour,

Voici la liste des postes de contrôle de Jama'at al-Sarab autour de Raqqa, mise à jour
avec ce que MARTINET nous a dit le 18 avril et ce que NIGHTJAR a rapporté de la route de
Mossoul. Le poste CP-4 (carrefour de Tell Qasrin) est celui où SPARROW-07 a été arrêté.

Attention : d'après MARTINET, le droit de passage au CP-4 est de 10 000 livres, alors que
la circulaire 47 parle de 5 000. À vérifier avec d'autres témoins.

Les coordonnées sont approximatives (à 200 m près). Ne pas transférer ce message.

CORBEAU
"""


def make_email(dest: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "CORBEAU <corbeau@example.org>"
    msg["To"] = "Desk enquêtes <desk@example.net>"
    msg["Subject"] = "Postes de contrôle autour de Raqqa — mise à jour"
    msg["Date"] = format_datetime(datetime(2024, 4, 22, 7, 12, 5, tzinfo=UTC))
    msg["Message-ID"] = "<20240422071205.corbeau.4417@example.org>"
    msg.set_content(EMAIL_BODY)
    # CORBEAU's own copy: French headers and a column of notes, so it is not the zip's file.
    rows = [("code", "nom", "route", "latitude", "longitude", "horaires", "chef", "notes")]
    notes = {
        "CP-3": "MARTINET est passé par ici le 27 mars",
        "CP-4": "droit de passage 10 000 selon MARTINET et SPARROW-07",
    }
    rows += [(*r, notes.get(r[0], "")) for r in CHECKPOINTS[1:]]
    msg.add_attachment(
        _csv_text(rows).encode("utf-8"),
        maintype="text",
        subtype="csv",
        filename="postes_controle_avril2024.csv",
    )
    msg.set_boundary("=_sijill_demo_boundary_4417")
    dest.write_bytes(msg.as_bytes())


FIELD_NOTES = """\
FIELD NOTES - NIGHTJAR - Raqqa, week of 18 March 2024

Mon 18: drove the Raqqa-Mosul road as far as Ain Sarab. Checkpoint CP-4 at the Tell
Qasrin junction now has a painted sign ("CHECKPOINT 4 / NO PHOTOS"). Two pick-ups, six
armed men, one of them called "Abu Rayyan" by the others. Phones of every passenger
were taken and checked; a young man from Aleppo was put in the back of a pick-up.

Wed 20: the grain silo east of Raqqa ("Point 11") has new floodlights. A neighbour says
cars arrive there at night from the checkpoints.

Thu 21: fee at CP-4 was 10,000 pounds for our car, no receipt given.
"""

ANNOUNCEMENT = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sarab media office - announcement 19</title></head>
<body>
<h1>Announcement No. 19 to the people of Raqqa</h1>
<p>The General Security Office reminds the people of Raqqa and its countryside that
photography near checkpoints and headquarters is strictly forbidden. Every telephone
must be opened and handed over for inspection at the checkpoint.</p>
<p>The checkpoint at Tell Qasrin is closed from ten at night until the dawn prayer.
The crossing fee on the Raqqa-Mosul road is five thousand pounds per car.</p>
<h2 lang="ar" dir="rtl">بلاغ رقم ١٩ إلى أهالي الرقة</h2>
<p lang="ar" dir="rtl">يمنع التصوير قرب الحواجز. رسوم العبور على طريق الرقة الموصل خمسة آلاف
ليرة لكل سيارة.</p>
<p><small>Jama'at al-Sarab media office, 12 March 2024.</small></p>
</body>
</html>
"""


def make_zip(dest: Path) -> None:
    members = {
        "field_notes_2024-03.txt": FIELD_NOTES,
        "announcement_19.html": ANNOUNCEMENT,
        "checkpoints.csv": _csv_text(CHECKPOINTS),
    }
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in members.items():
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)


TESTIMONY_EN = """\
Testimony of SPARROW-07 (transcript of an audio recording, 2 May 2024)
Interviewer: NIGHTJAR. Witness identity known to the interviewer only.

I was driving from Raqqa to my uncle's village on the Mosul road on 20 March 2024,
in the afternoon. At the Tell Qasrin junction there is the checkpoint they call
number four. A man they called Abu Rayyan told me to unlock my phone. He found
photos of the silo east of Raqqa - I had taken them because my cousin was held
there - and he said I was a spy.

They put a bag over my head and drove me to the silo. The others there call it
Point 11. I was kept three days. On the second day a man with a foreign accent came,
the guards said he was Abu Khalid al-Firansi, the one responsible for all the
checkpoints. He asked who I sent the photos to. I said nobody.

My brother paid 10,000 pounds at the checkpoint to get my car back. There was no
receipt. I left for Aleppo one week later.
"""

TESTIMONY_AR = """\
شهادة الشاهد «هدهد» — تسجيل صوتي بتاريخ ٥ أيار ٢٠٢٤ (تفريغ نصي)
المقابلة: NIGHTJAR

كنت أعمل سائق سيارة أجرة بين الرقة والطبقة. منذ شهر آذار صار على كل سائق أن
يفتح هاتفه عند الحاجز ويسلمه للعناصر. في حاجز تل قصرين على طريق الرقة الموصل
رأيت عناصر يأخذون شابا من حلب لأنهم وجدوا في هاتفه صورا للحاجز.

قالوا لنا إن رسوم العبور خمسة آلاف ليرة، لكن أبو ريان النخلي كان يأخذ عشرة آلاف من
العائلات القادمة من حلب ولا يعطي أي إيصال. الجميع يعرف أن المسؤول عن الحواجز كلها هو
أبو خالد الفرنسي، وأن من يؤخذ من الحاجز يذهب إلى صومعة الحبوب شرق الرقة.

غادرت الرقة في نيسان ٢٠٢٤ ولا أريد أن يعرف أحد اسمي.
"""


# --------------------------------------------------------------------------------------------
# 8. Testimonies on video and audio: espeak-ng speech, a drawn interview scene, ffmpeg.
# --------------------------------------------------------------------------------------------

# Spoken in English on purpose: espeak's French is too robotic for Whisper's small multilingual
# model, which takes it for Thai. Whisper mishears some names ("Tabka"), as it would anyone's.
# The script lives beside the demo, which plays the reviewer who corrects its transcript.
from sijill.cli.demo.review import INTERVIEW_SPEECH  # noqa: E402

VOICE_MEMO_SPEECH = (
    "Note for the file, ninth of May. The witness showed us the road to the silo on a map. "
    "His story about the fee matches the first testimony. Next, we find the taxi driver."
)
INTERVIEW_VOICE = "en"  # espeak-ng's default British English voice
VOICE_MEMO_VOICE = "en-gb-x-rp+f2"  # another speaker: a female variant of RP English
SPEECH_RATE = 150  # words per minute
VIDEO_SIZE = (320, 240)
VIDEO_FPS = 5
LEAD_IN_S = 1.0  # silence before the witness speaks
TAIL_S = 1.0  # and after
REUPLOAD_FROM_S, REUPLOAD_SECONDS = 5, 10  # the excerpt someone re-uploaded
TESTIMONIES = "testimonies"

FFMPEG = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
# No ffmpeg version strings, dates or metadata; one encoder thread: identical bytes on every
# run. (x264 still writes its own version and settings into the stream.)
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
BITEXACT += ["-map_metadata", "-1", "-map_chapters", "-1"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1"]


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} is needed to make the recorded testimonies (Debian {package})")
    return path


def _ffmpeg(*args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([_tool("ffmpeg", "ffmpeg"), *FFMPEG, *args], stdin=stdin)


def _run_ffmpeg(*args: str) -> None:
    if _ffmpeg(*args).wait() != 0:
        sys.exit(f"ffmpeg failed: {' '.join(args)}")


def speak(text: str, voice: str, dest: Path) -> float:
    """Spoken `text` (espeak-ng, WAV); returns its length in seconds."""
    subprocess.run(
        [_tool("espeak-ng", "espeak-ng"), "-v", voice, "-s", str(SPEECH_RATE), "-w", str(dest)]
        + [text],
        check=True,
        capture_output=True,
    )
    with wave.open(str(dest)) as w:
        return w.getnframes() / w.getframerate()


def render_interview_room(seed: int = 9) -> Image.Image:
    """A room seen from behind the camera: plaster wall, window blind, a shelf of books, a
    table, and the witness as a dark silhouette (no face: identity withheld)."""
    rng = random.Random(seed)
    w, h = 1280, 960
    room = Image.new("RGB", (w, h), (196, 178, 150))
    draw = ImageDraw.Draw(room)
    for _ in range(900):  # patchy plaster
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(6, 40)
        c = rng.randrange(-22, 22)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(196 + c, 178 + c, 150 + c))
    room = room.filter(ImageFilter.GaussianBlur(6))
    draw = ImageDraw.Draw(room)
    draw.rectangle((90, 120, 520, 640), fill=(235, 232, 220), outline=(90, 70, 50), width=14)
    for y in range(130, 630, 22):  # the slats of a blind
        draw.rectangle((104, y, 506, y + 12), fill=(170, 160, 140))
    draw.rectangle((860, 180, 1220, 200), fill=(110, 80, 50))
    x = 870
    while x < 1200:  # books on the shelf
        bw, bh = rng.randrange(14, 34), rng.randrange(60, 110)
        colour = rng.choice([(120, 30, 30), (40, 60, 110), (60, 100, 60), (150, 120, 40)])
        draw.rectangle((x, 180 - bh, x + bw, 180), fill=colour)
        x += bw + 3
    draw.rectangle((0, 760, w, h), fill=(120, 84, 54))
    draw.ellipse((900, 700, 980, 780), fill=(230, 230, 225), outline=(60, 60, 60), width=4)
    draw.ellipse((430, 560, 930, 1100), fill=(28, 26, 30))  # shoulders
    draw.ellipse((560, 270, 800, 560), fill=(34, 30, 34))  # head
    return room


def interview_frames(seconds: float) -> Iterator[bytes]:
    """RGB frames of a hand-held camera drifting and slowly closing in on the witness, with a
    caption. The drift makes every second look different, as real footage does, so that
    perceptual hashes tell one moment of the interview from another."""
    room = render_interview_room()
    fw, fh = VIDEO_SIZE
    caption = ImageFont.truetype(str(DEJAVU_BOLD), 15)
    small = ImageFont.truetype(str(DEJAVU), 11)
    for i in range(math.ceil(seconds * VIDEO_FPS)):
        t = i / VIDEO_FPS
        zoom = 1.0 + 0.9 * t / seconds
        cw, ch = room.width / zoom, room.height / zoom
        cx = room.width / 2 + 140 * math.sin(t * 0.45)
        cy = room.height / 2 + 60 * math.sin(t * 0.31 + 1)
        left = max(0.0, min(cx - cw / 2, room.width - cw))
        top = max(0.0, min(cy - ch / 2, room.height - ch))
        frame = room.resize(
            VIDEO_SIZE, Image.Resampling.BILINEAR, box=(left, top, left + cw, top + ch)
        )
        draw = ImageDraw.Draw(frame)
        draw.rectangle((0, fh - 42, fw, fh), fill=(0, 0, 0))
        draw.text((10, fh - 37), "WITNESS B - identity withheld", font=caption, fill="white")
        stamp = f"interview, 9 May 2024   00:{int(t):02d}"
        draw.text((10, fh - 17), stamp, font=small, fill=(200, 200, 200))
        yield frame.tobytes()


def make_interview(dest: Path) -> None:
    """About 27 s of video: the drawn interview with witness B's spoken account (AAC)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        seconds = LEAD_IN_S + speak(INTERVIEW_SPEECH, INTERVIEW_VOICE, wav) + TAIL_S
        width, height = VIDEO_SIZE
        proc = _ffmpeg(
            *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"),
            *("-r", str(VIDEO_FPS), "-i", "pipe:0", "-i", str(wav)),
            *("-map", "0:v", "-map", "1:a", "-shortest"),
            *("-af", f"adelay={int(LEAD_IN_S * 1000)}:all=1,apad"),
            *X264,
            *("-crf", "32"),
            *("-c:a", "aac", "-b:a", "32k", "-ac", "1"),
            *BITEXACT,
            *("-movflags", "+faststart", str(dest)),
            stdin=subprocess.PIPE,
        )
        assert proc.stdin is not None
        try:
            for frame in interview_frames(seconds):
                proc.stdin.write(frame)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early: its exit status says so below
        if proc.wait() != 0:
            sys.exit("ffmpeg failed to encode the interview")


def make_reupload(dest: Path) -> None:
    """Seconds 5-15 of the interview, smaller and re-compressed, as a re-upload looks."""
    source = dest.with_name("witness-b-interview.mp4")
    _run_ffmpeg(
        *("-ss", str(REUPLOAD_FROM_S), "-i", str(source), "-t", str(REUPLOAD_SECONDS)),
        *("-vf", "scale=240:180", *X264, "-crf", "36"),
        *("-c:a", "aac", "-b:a", "24k", "-ac", "1"),
        *BITEXACT,
        *("-movflags", "+faststart", str(dest)),
    )


def make_voice_memo(dest: Path) -> None:
    """An interviewer's short voice memo in another voice (AAC in M4A, as phones record)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "memo.wav"
        speak(VOICE_MEMO_SPEECH, VOICE_MEMO_VOICE, wav)
        _run_ffmpeg(
            *("-i", str(wav), "-c:a", "aac", "-b:a", "32k", "-ac", "1", "-threads", "1"),
            *BITEXACT,
            *("-movflags", "+faststart", str(dest)),
        )


# --------------------------------------------------------------------------------------------

FILES = {
    "circular_47_checkpoints.pdf": make_memo,
    "scan_0019.pdf": make_scan,
    "temoignage_MARTINET.docx": make_docx,
    "IMG_20240314_094122.jpg": make_photo,
    "corbeau_postes_controle.eml": make_email,
    "nightjar_dossier.zip": make_zip,
    f"{TESTIMONIES}/witness-b-interview.mp4": make_interview,
    f"{TESTIMONIES}/witness-b-reupload.mp4": make_reupload,  # cut from the interview above
    f"{TESTIMONIES}/voice-memo.m4a": make_voice_memo,
}
TEXTS = {
    "testimony_SPARROW-07.txt": TESTIMONY_EN,
    "shahada_hudhud.txt": TESTIMONY_AR,
}


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        make(out / name)
    for name, text in TEXTS.items():
        (out / name).write_text(text, encoding="utf-8")


def check(out: Path) -> None:
    """Confirm that text comes back out: pdftotext for the memo, tesseract for the scan."""
    memo = subprocess.run(
        ["pdftotext", "-layout", str(out / "circular_47_checkpoints.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for word in ("Abu Khalid al-Firansi", "Tell Qasrin", "Point 11", "Raqqa"):
        assert word in memo, f"pdftotext misses {word!r}"
    print(f"pdftotext: {len(memo.split())} words, key names present")
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "scan.png"
        render_notice().save(png)
        text = subprocess.run(
            ["tesseract", str(png), "-", "-l", "ara"],
            check=True,
            capture_output=True,
            text=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        ).stdout
        expected = {w for line in NOTICE_HEAD + NOTICE_BODY for w in line.split() if len(w) > 2}
        found = {w for w in expected if w in text}
        print(f"tesseract ara: {len(found)}/{len(expected)} words of the notice read back")
        print(text)
        photo = Path(tmp) / "photo.png"
        render_photo().save(photo)
        sign = subprocess.run(
            ["tesseract", str(photo), "-", "-l", "eng"],
            check=True,
            capture_output=True,
            text=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        ).stdout
        print("tesseract eng on the photo:", " ".join(sign.split()))
    for media in sorted((out / TESTIMONIES).iterdir()):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name"]
            + ["-of", "csv=p=0", str(media)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        print(f"ffprobe {media.name}: {' '.join(probe)} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="verify text extraction afterwards")
    args = ap.parse_args()
    build(args.out)
    total = 0
    for p in sorted(p for p in args.out.rglob("*") if p.is_file()):
        total += p.stat().st_size
        print(f"{p.stat().st_size:>9,}  {p.relative_to(args.out)}")
    print(f"{total:>9,}  total")
    if args.check:
        check(args.out)


if __name__ == "__main__":
    main()
