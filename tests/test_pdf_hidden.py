"""Pictures in PDFs drawn only in part: the copy carries only what is shown (issue 10).

Each hostile PDF shows "PUBLIC" and hides a protected name (or a face) in the other half of
the same picture: by a clip path, a soft mask, a placement half off the page, a black box
painted over it, inside an inline image, or in an image no operator draws. `pdfimages -all`
on the original gives the hidden half back; on the copy it must not, and the leak check run
on the original must name what is hidden. Real tools throughout: pikepdf, pdfium, poppler's
pdfimages, Tesseract, OpenCV.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image

from sijill import leakcheck
from sijill.leakcheck import faces as leakcheck_faces
from sijill.leakcheck import pdf as leakcheck_pdf
from sijill.leakcheck.pdf import strings_in
from sijill.protect.pdf import rebuild_pdf
from sijill.protect.redact import ProtectedTerm, Redactor
from tests.conftest import CLI
from tests.leakgen import astronaut_rgb
from tests.pdfgen import assemble, face_on_the_right, image_page_pdf, two_halves_picture

NAME = "Ali al-Nakhli"
REDACTOR = Redactor([ProtectedTerm(NAME, "Witness A")])
_ENV = {"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"}


def extracted(pdf: Path, out: Path) -> list[Path]:
    """Every picture `pdfimages -all` gets out of `pdf`, as stored (masks not applied)."""
    out.mkdir()
    subprocess.run(["pdfimages", "-all", str(pdf), str(out / "img")], check=True, timeout=60)
    return sorted(out.iterdir())


def ocr(picture: Path) -> str:
    return subprocess.run(
        ["tesseract", str(picture), "stdout", "-l", "eng", "--psm", "11"],
        capture_output=True, text=True, check=True, timeout=120, env=_ENV,
    ).stdout  # fmt: skip


def haar_faces(picture: Path) -> int:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = np.asarray(Image.open(picture).convert("L"))
    return len(cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)))


def names_in(texts: list[str]) -> bool:
    return any("nakhli" in t.lower() for t in texts)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("clip", "image covered, cut or faded in part"),
        ("smask", "masked image"),
        ("offpage", "image partly outside the page"),
        ("cover", "image covered, cut or faded in part"),
        ("inline", "inline image"),
    ],
)
def test_a_hidden_name_in_a_picture_is_not_carried(tmp_path: Path, how: str, reason: str) -> None:
    src = image_page_pdf(tmp_path / "in.pdf", two_halves_picture(NAME), how=how)
    # The hostile file is hostile: its stored picture still reads the name.
    assert names_in([ocr(p) for p in extracted(src, tmp_path / "orig")])
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=REDACTOR, ocr_langs="eng")
    assert report["rasterised"] == [1] and reason in report["reasons"]["1"], report
    texts = [ocr(p) for p in extracted(dst, tmp_path / "copy")]
    assert not names_in(texts), texts
    assert any("PUBLIC" in t for t in texts), texts  # what was shown is still there


@pytest.mark.slow  # the leak check's OCR reads each picture several ways
def test_the_leak_check_reads_a_hidden_name_in_the_original(tmp_path: Path) -> None:
    src = image_page_pdf(tmp_path / "in.pdf", two_halves_picture(NAME), how="inline")
    findings = leakcheck.scan([src], terms=[NAME], speech=False)
    hits = [f for f in findings if f.kind == "term" and "inline image" in f.where]
    assert hits, [(f.where, f.what) for f in findings]


def test_a_hidden_face_is_not_carried_and_the_check_finds_it(tmp_path: Path) -> None:
    # A face in the hidden half of an inline image: no reader sees it, pdfimages does.
    src = image_page_pdf(tmp_path / "in.pdf", face_on_the_right(astronaut_rgb()), how="inline")
    assert sum(haar_faces(p) for p in extracted(src, tmp_path / "orig")) >= 1
    found = leakcheck.scan([src], speech=False)
    assert any(f.kind == "face" and "inline image" in f.where for f in found), found
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), ocr_langs="eng")
    assert report["rasterised"] == [1] and report["reasons"]["1"] == ["inline image"]
    assert sum(haar_faces(p) for p in extracted(dst, tmp_path / "copy")) == 0
    # A rasterised page is a clean copy: nothing for the leak check to say about it.
    assert leakcheck.scan([dst], speech=False) == []


def test_an_image_never_drawn_is_not_carried(tmp_path: Path) -> None:
    src = image_page_pdf(tmp_path / "in.pdf", astronaut_rgb(), how="undrawn")
    pictures = dict(leakcheck_pdf.inspect(src).images)
    assert any(leakcheck_faces.detect(leakcheck_faces.to_gray(rgb)) for rgb in pictures.values())
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), ocr_langs="eng")
    assert report["rasterised"] == []  # the picture it does draw is shown whole
    [kept] = extracted(dst, tmp_path / "copy")
    assert Image.open(kept).size == (64, 64)


def _exif_jpeg(path: Path, rgb: np.ndarray) -> bytes:
    Image.fromarray(rgb).save(path, "JPEG", quality=90)
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-GPSLatitude=36.2", "-GPSLatitudeRef=N",
         "-GPSLongitude=37.1", "-GPSLongitudeRef=E", "-Make=Leaky", str(path)],
        check=True, timeout=60, env=_ENV,
    )  # fmt: skip
    return path.read_bytes()


def test_a_plain_photo_passes_and_one_with_exif_inside_does_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (300, 600, 3), dtype=np.uint8), (9, 9), 3)
    plain = image_page_pdf(tmp_path / "plain.pdf", photo, how="plain")
    # No terms: the OCR of pictures is tested elsewhere; this is about metadata and faces.
    assert leakcheck.scan([plain], speech=False) == []
    # The same page whose JPEG carries GPS and a camera make in its own EXIF.
    tagged = tmp_path / "tagged.pdf"
    with pikepdf.open(plain) as pdf:
        image = pdf.pages[0].Resources.XObject.Im1
        image.write(_exif_jpeg(tmp_path / "p.jpg", photo), filter=pikepdf.Name.DCTDecode)
        pdf.save(tagged)
    found = leakcheck.scan([tagged], speech=False)
    wheres = {f.where for f in found if f.kind in ("metadata", "structure")}
    assert any("GPS" in w for w in wheres), wheres
    assert any("JPEG APP1" in w for w in wheres), wheres
    # Protection keeps the page (the photo is shown whole) and strips the JPEG's EXIF.
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(tagged, dst, redactor=Redactor([]), ocr_langs="eng")
    assert report["rasterised"] == [] and report["jpeg_metadata_stripped"] == 1
    assert leakcheck.scan([dst], speech=False) == []


def test_a_legal_escape_in_a_pdf_string_is_read_not_a_crash(tmp_path: Path) -> None:
    # PDF 32000-1 7.3.4.2: a backslash before a character that is no escape is ignored.
    assert strings_in(rb"(page \8 of \9, \101\(x\))") == ["page 8 of 9, A(x)"]
    content = b"BT /F1 12 Tf 72 700 Td (Page \\8 of \\9) Tj ET"
    objects = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 612 792] /Contents 2 0 R "
        b"/Resources << /Font << /F1 1 0 R >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Catalog /Pages 4 0 R >>",
        # An object nothing points at, the name spelt with escapes a reader ignores.
        b"(\\Ali al-\\N\\akhli)",
    ]
    src = tmp_path / "escapes.pdf"
    src.write_bytes(assemble(objects, 5))
    found = leakcheck.scan([src], terms=[NAME], speech=False)
    assert not [f for f in found if f.kind == "unreadable"], found
    assert [f.where for f in found if f.kind == "term"] == ["object 6 0"], found


@pytest.mark.slow
def test_protect_out_carries_no_hidden_name_or_face(cli: CLI, tmp_path: Path) -> None:
    # Two pages: a name in the clipped-off half of a JPEG, a face in a hidden inline image.
    first = image_page_pdf(tmp_path / "a.pdf", two_halves_picture(NAME), how="clip")
    second = image_page_pdf(tmp_path / "b.pdf", face_on_the_right(astronaut_rgb()), how="inline")
    src = tmp_path / "notice.pdf"
    with pikepdf.open(first) as pdf, pikepdf.open(second) as other:
        pdf.pages.extend(other.pages)
        pdf.save(src)
    # (The leak check's view of these originals is tested above; a PDF needs no `run`.)
    cli("ingest", str(src))
    cli("terms", "add", NAME)
    item = next(i["id"] for i in cli.json("items")["items"] if i["name"] == "notice.pdf")
    out = tmp_path / "public"
    doc = cli.json("protect", item, "--out", str(out), "--no-speech-check")
    assert doc["passed"], doc["findings"]
    [copy] = list(out.iterdir())
    pictures = extracted(copy, tmp_path / "copy")
    assert len(pictures) == 2
    assert not names_in([ocr(p) for p in pictures])
    assert sum(haar_faces(p) for p in pictures) == 0


def test_a_picture_in_a_hidden_layer_is_not_carried(tmp_path: Path) -> None:
    # The face is drawn in an optional content group the document shows switched off.
    src = image_page_pdf(tmp_path / "in.pdf", astronaut_rgb(), how="plain")
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        layer = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name="notes"))
        pdf.Root.OCProperties = pikepdf.Dictionary(
            OCGs=[layer], D=pikepdf.Dictionary(OFF=[layer], Order=[layer])
        )
        page = pdf.pages[0]
        page.Resources.Properties = pikepdf.Dictionary(L1=layer)
        body = page.Contents.read_bytes().replace(b"q ", b"/OC /L1 BDC q ", 1) + b"\nEMC\n"
        page.Contents = pdf.make_stream(body)
        pdf.save(src)
    # pdfimages itself skips hidden layers; any PDF library reads the picture, and so does
    # the leak check (its PDF pass and its face detector, without the slower whole scan).
    pictures = leakcheck_pdf.inspect(src).images
    assert any(leakcheck_faces.detect(leakcheck_faces.to_gray(rgb)) for _, rgb in pictures)
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), ocr_langs="eng")
    assert report["reasons"]["1"] == ["optional content"]
    assert sum(haar_faces(p) for p in extracted(dst, tmp_path / "copy")) == 0


def test_an_inline_image_inside_a_form_is_not_carried(tmp_path: Path) -> None:
    # The page draws a form; the form holds the clipped inline image with the face.
    src = image_page_pdf(tmp_path / "in.pdf", face_on_the_right(astronaut_rgb()), how="inline")
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        form = pdf.make_stream(
            page.Contents.read_bytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 612, 792], Resources=page.Resources,
        )  # fmt: skip
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form))
        page.Contents = pdf.make_stream(b"/Fm1 Do")
        pdf.save(src)
    assert sum(haar_faces(p) for p in extracted(src, tmp_path / "orig")) >= 1
    # The leak check's PDF pass hands the whole inline picture to its face and OCR checks.
    pictures = leakcheck_pdf.inspect(src).images
    assert [rgb.shape for where, rgb in pictures if "inline image" in where] == [(512, 1024, 3)]
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), ocr_langs="eng")
    assert report["reasons"]["1"] == ["image inside a form, pattern, font or soft mask"]
    assert sum(haar_faces(p) for p in extracted(dst, tmp_path / "copy")) == 0


def test_icc_profiles_do_not_travel_into_the_copy(tmp_path: Path) -> None:
    """A scanner's ICC profile names its maker, model and date: drawn with device colours."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pdf = pikepdf.new()
    icc = pikepdf.Stream(pdf, profile)
    icc["/N"] = 3
    space = pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, icc]))
    picture = pikepdf.Stream(pdf, bytes([200, 30, 30]) * 64)
    for key, value in (
        ("/Type", pikepdf.Name.XObject), ("/Subtype", pikepdf.Name.Image), ("/Width", 8),
        ("/Height", 8), ("/BitsPerComponent", 8), ("/ColorSpace", space),
    ):  # fmt: skip
        picture[key] = value
    content = b"q /Cs1 cs 0.2 0.4 0.6 sc 50 50 200 100 re f Q q 100 0 0 100 300 300 cm /Im0 Do Q"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 612, 792],
        Resources=pikepdf.Dictionary(
            ColorSpace=pikepdf.Dictionary(Cs1=space, DefaultRGB=space),
            XObject=pikepdf.Dictionary(Im0=picture),
        ),
        Contents=pikepdf.Stream(pdf, content),
    )
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    src = tmp_path / "scan-with-profile.pdf"
    pdf.save(src)
    icc_tags = [f for f in leakcheck.scan([src], terms=[], speech=False) if "ICC" in f.where]
    assert icc_tags, "the hostile input must carry a profile the leak check reads"
    dst = tmp_path / "copy.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), faces=None)
    assert report["icc_profiles_dropped"] >= 2, report
    with pikepdf.open(dst) as copy:
        for obj in copy.objects:
            assert not (isinstance(obj, pikepdf.Array) and pikepdf.Name.ICCBased in list(obj))
            if isinstance(obj, pikepdf.Stream):
                assert b"acsp" not in obj.read_bytes()[:64], "an ICC profile stream is left"
    assert not leakcheck.scan([dst], terms=[], speech=False)
