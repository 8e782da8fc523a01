"""Publication copies of images, PDFs and office text: nothing but the allowed content leaves.

Real tools throughout: Pillow, pillow-heif, exiftool, pikepdf, pypdfium2 and Tesseract.
Each test fails if the protection it names stops working.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin

from sijill.errors import InputRejected
from sijill.protect import images as images_mod
from sijill.protect.faces import FaceReport
from sijill.protect.images import rebuild_image
from sijill.protect.office import text_to_pdf
from sijill.protect.pdf import rebuild_pdf, redact_raster
from sijill.protect.redact import ProtectedTerm, Redactor
from tests.conftest import shared_data
from tests.leakgen import exif_tags
from tests.pdfgen import write_scanned_pdf, write_text_pdf

NAME = "Ali al-Nakhli"
REDACTOR = Redactor([ProtectedTerm(NAME, "Witness A")])
# Groups exiftool reports for any file; everything else is metadata carried from somewhere.
PLAIN_GROUPS = {"File", "JFIF", "PNG", "Composite", "System", "ExifTool", "PDF"}
PDF_ALLOWED = {"PDF:PDFVersion", "PDF:Linearized", "PDF:PageCount"}


def assert_no_metadata(path: Path) -> None:
    tags = exif_tags(path)
    carried = {k for k in tags if k.split(":")[0] not in PLAIN_GROUPS}
    assert not carried, carried
    for key in tags:
        assert not key.startswith(("PNG:Text", "File:Comment", "PNG:ICC", "File:ICC")), key
    assert "ICC_Profile:ProfileDescription" not in tags


def pdf_text(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def reocr(path: Path, page: int, tmp: Path) -> str:
    doc = pdfium.PdfDocument(str(path))
    try:
        doc[page].render(scale=200 / 72).to_pil().save(tmp / "reocr.png")
    finally:
        doc.close()
    return subprocess.run(
        ["tesseract", str(tmp / "reocr.png"), "stdout", "-l", "eng"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    ).stdout


def assert_clean_pdf_structure(path: Path, name: str) -> None:
    data = path.read_bytes()
    assert data.count(b"%%EOF") == 1 and data.count(b"startxref") == 1
    assert name.encode() not in data
    with pikepdf.open(path) as pdf:
        assert "/Info" not in pdf.trailer
        assert set(pdf.Root.keys()) == {"/Type", "/Pages"}
        for page in pdf.pages:
            assert set(page.obj.keys()) <= {
                "/Type", "/Parent", "/MediaBox", "/CropBox", "/Rotate", "/Resources", "/Contents"
            }  # fmt: skip
        # No object anywhere (decoded) still holds the name.
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                assert "/Metadata" not in obj
                if obj.get("/Subtype") == pikepdf.Name.Image:
                    continue  # pixels: the name is checked by OCR instead
                data = obj.read_bytes(pikepdf.StreamDecodeLevel.generalized)
                assert name.encode() not in data
                assert "/Metadata" not in obj
            elif isinstance(obj, pikepdf.Dictionary):
                assert "/Metadata" not in obj and "/JS" not in obj
                for value in obj.values():
                    if isinstance(value, pikepdf.String):
                        assert name not in str(value)
    tags = exif_tags(path)
    assert not {k for k in tags if k.split(":")[0] not in PLAIN_GROUPS}, tags
    # -ee lists the page images (a rasterised page's picture); their own tags would show up
    # in other groups, which the check above refuses.
    pdf_tags = {k for k in tags if k.startswith("PDF:") and not k.startswith("PDF:EmbeddedImage")}
    assert pdf_tags <= PDF_ALLOWED, tags


# --- images ----------------------------------------------------------------------------------


def test_jpeg_orientation_icc_and_exif(tmp_path: Path) -> None:
    src = shared_data("exif-samples") / "jpg" / "orientation" / "portrait_6.jpg"
    assert exif_tags(src).get("IFD0:Orientation") == "Rotate 90 CW"
    dst = tmp_path / "out.jpg"
    seen: list[tuple[int, ...]] = []

    def faces(rgb: np.ndarray) -> tuple[np.ndarray, FaceReport]:
        seen.append(rgb.shape)
        return rgb, FaceReport(frames=1, detections=0, tracks=0, filled_frames=0)

    report = rebuild_image(src, dst, faces=faces)
    assert report["orientation_applied"] and report["icc_converted"]
    assert report["faces"]["detections"] == 0
    assert_no_metadata(dst)
    with Image.open(src) as im:
        upright = ImageOps.exif_transpose(im)
        icc = im.info["icc_profile"]
    assert upright is not None
    upright = ImageCms.profileToProfile(
        upright,
        ImageCms.ImageCmsProfile(__import__("io").BytesIO(icc)),
        ImageCms.createProfile("sRGB"),
    )
    assert upright is not None
    with Image.open(dst) as out:
        assert out.size == upright.size == (450, 600)
        assert seen == [(600, 450, 3)]
        diff = np.abs(
            np.asarray(out, dtype=np.int16) - np.asarray(upright.convert("RGB"), dtype=np.int16)
        )
        assert diff.mean() < 4
        # Not upright would be far off: compare with the un-rotated pixels turned the other way.
        wrong = np.asarray(
            upright.transpose(Image.Transpose.ROTATE_180).convert("RGB"), dtype=np.int16
        )
        assert np.abs(np.asarray(out, dtype=np.int16) - wrong).mean() > 4 * diff.mean() + 5


def test_gps_camera_tags_gone_and_faces_filled(tmp_path: Path) -> None:
    src = shared_data("exif-samples") / "jpg" / "gps" / "DSCN0010.jpg"
    tags = exif_tags(src)
    assert any("GPSLatitude" in k for k in tags) and tags.get("IFD0:Make")
    dst = tmp_path / "out.png"

    def faces(rgb: np.ndarray) -> tuple[np.ndarray, FaceReport]:
        rgb = rgb.copy()
        rgb[10:60, 20:90] = 0
        return rgb, FaceReport(frames=1, detections=1, tracks=1, filled_frames=1)

    report = rebuild_image(src, dst, faces=faces)
    assert report["faces"]["filled_frames"] == 1
    assert_no_metadata(dst)
    with Image.open(dst) as out:
        assert out.format == "PNG" and out.size == (640, 480)
        assert not np.asarray(out)[10:60, 20:90].any()


def test_heic_is_decoded_upright_without_metadata(tmp_path: Path) -> None:
    src = shared_data("exif-samples") / "heic" / "mobile" / "iphone_13_pro_max.HEIC"
    tags = exif_tags(src)
    assert tags.get("IFD0:Make") == "Apple"
    dst = tmp_path / "out.jpg"
    report = rebuild_image(src, dst)
    # Stored 4032x3024 with "Rotate 90 CW": upright it is portrait.
    assert (report["width"], report["height"]) == (3024, 4032)
    assert report["orientation_applied"] and report["icc_converted"]
    assert_no_metadata(dst)


def test_png_text_icc_and_hidden_transparent_pixels(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)
    rgba[..., :3] = 200
    rgba[..., 3] = 255
    rgba[:, :30, 3] = 0  # fully transparent ...
    rgba[:, :30, :3] = 7  # ... yet holding colour values
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Comment", f"taken by {NAME}")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(rgba, "RGBA").save(src, pnginfo=info, icc_profile=srgb)
    assert any(NAME in str(v) for v in exif_tags(src).values())
    dst = tmp_path / "out.png"
    rebuild_image(src, dst)
    assert_no_metadata(dst)
    assert NAME.encode() not in dst.read_bytes()
    with Image.open(dst) as out:
        arr = np.asarray(out)
    assert out.mode == "RGBA"
    assert (arr[:, :30, 3] == 0).all() and (arr[:, :30, :3] == 255).all()
    assert (arr[:, 30:, :3] == 200).all()


def test_animated_gif_first_frame_only(tmp_path: Path) -> None:
    src = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue", "green")]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, comment=NAME)
    report = rebuild_image(src, tmp_path / "out.png")
    assert report["first_frame_only"] and report["frames_dropped"] == 2
    assert NAME.encode() not in (tmp_path / "out.png").read_bytes()


def test_decompression_bomb_and_garbage_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "big.png"
    Image.new("RGB", (200, 200)).save(src)
    monkeypatch.setattr(images_mod, "MAX_PIXELS", 1000)
    with pytest.raises(InputRejected, match="too large"):
        rebuild_image(src, tmp_path / "out.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(InputRejected):
        rebuild_image(bad, tmp_path / "out2.jpg")


def test_redact_raster_fills_a_name_in_a_picture() -> None:
    from PIL import ImageDraw, ImageFont

    im = Image.new("RGB", (1400, 300), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 60)
    ImageDraw.Draw(im).text((40, 100), f"Wanted: {NAME}", font=font, fill="black")
    rgb, hits = redact_raster(np.asarray(im), REDACTOR, "eng")
    assert hits and hits[0]["pseudonym"] == "Witness A"
    text = subprocess.run(
        ["tesseract", "-", "stdout", "-l", "eng"],
        input=_png_bytes(rgb),
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    assert "Wanted" in text and "Nakhli" not in text


def _png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


# --- PDFs ------------------------------------------------------------------------------------


def _leaky_two_page_pdf(path: Path) -> Path:
    """Page 1 names the witness, page 2 does not; the document leaks the name in Info, XMP, an
    outline, an attachment, a JavaScript OpenAction, a page action, an annotation and a form
    field, and an incremental update (appended by hand) hides an older page 2 naming him."""
    write_text_pdf(path, [[f"Statement of {NAME}", "He was seen on 3 May."], ["Nothing to see."]])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Author"] = NAME
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = [NAME]
        with pdf.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(f"Interview with {NAME}", 0))
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, f"Contact {NAME}".encode())
        js = pdf.make_indirect(
            pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(f"app.alert('{NAME}')"))
        )
        pdf.Root.OpenAction = js
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("witness"),
                V=pikepdf.String(NAME),
                Rect=[72, 600, 300, 620],
            )
        )
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Contents=pikepdf.String(f"Ask {NAME} again"),
                Rect=[300, 700, 320, 720],
            )
        )
        page2 = pdf.pages[1].obj
        page2.Annots = pdf.make_indirect(pikepdf.Array([field, note]))
        page2.AA = pikepdf.Dictionary(O=js)
        page2.PieceInfo = pikepdf.Dictionary(App=pikepdf.Dictionary(Private=pikepdf.String(NAME)))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field])
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    # Incremental update: page 2's current content is the harmless line; the name stays in the
    # bytes of the first revision only when the original content stream is replaced later.
    data = path.read_bytes()
    with pikepdf.open(path) as pdf:
        page2 = pdf.pages[1].obj
        content_num = page2.Contents.objgen[0]
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
    prev = int(data.rsplit(b"startxref", 1)[1].split()[0])
    old = b"BT /F1 12 Tf 72 770 Td (Earlier draft naming " + NAME.encode() + b") Tj ET"
    new = b"BT /F1 12 Tf 14 TL 72 770 Td (Nothing to see.) Tj T* ET"
    body = bytearray(data)
    # Revision 2 first says the old text, revision 3 sets it back: a viewer shows revision 3.
    for stream in (old, new):
        off = len(body)
        body += b"%d 0 obj\n<< /Length %d >>\nstream\n" % (content_num, len(stream))
        body += stream + b"\nendstream\nendobj\n"
        xref = len(body)
        body += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (content_num, off)
        body += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size, root, prev)
        body += b"startxref\n%d\n%%%%EOF\n" % xref
        prev = xref
    path.write_bytes(bytes(body))
    return path


def test_pdf_rebuilt_without_structure_and_name_rasterised(tmp_path: Path) -> None:
    src = _leaky_two_page_pdf(tmp_path / "leaky.pdf")
    assert NAME.encode() in src.read_bytes()
    assert src.read_bytes().count(b"%%EOF") == 3
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=REDACTOR, ocr_langs="eng")
    assert report["pages"] == 2
    assert report["rasterised"] == [1]
    assert report["redactions"] == [{"page": 1, "pseudonym": "Witness A", "kind": "name"}]
    assert report["annotations_dropped"] == 2
    assert_clean_pdf_structure(dst, NAME)
    assert_clean_pdf_structure(dst, "Nakhli")
    text = pdf_text(dst)
    assert "Nakhli" not in text[0] and "3 May" in text[0]
    # The page without the name keeps its own text layer and font, not an OCR layer.
    assert text[1].strip() == "Nothing to see."
    with pikepdf.open(dst) as pdf:
        assert "/F1" in pdf.pages[1].Resources.Font
        assert "/XObject" in pdf.pages[0].Resources
    ocr = reocr(dst, 0, tmp_path)
    assert "Nakhli" not in ocr and "Statement" in ocr


def test_pdf_incremental_hiding_and_hostile_builder(tmp_path: Path) -> None:
    leakgen = pytest.importorskip("tests.leakgen")
    src = leakgen.hostile_pdf(tmp_path / "hostile.pdf", NAME)
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=REDACTOR, ocr_langs="eng")
    # The current revision shows the pseudonym only: the page keeps its text layer.
    assert report["rasterised"] == []
    assert_clean_pdf_structure(dst, NAME)
    assert "Statement of Witness A" in pdf_text(dst)[0]


def test_scanned_page_with_a_name_is_redacted(tmp_path: Path) -> None:
    src = write_scanned_pdf(tmp_path / "scan.pdf", ["Testimony of", f"{NAME} given in Homs"])
    assert not pdf_text(src)[0].strip()
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=REDACTOR, ocr_langs="eng")
    assert report["rasterised"] == [1] and report["text_layer"] == "ocr"
    assert "term in rendered page" in report["reasons"]["1"]
    text = pdf_text(dst)[0]
    assert "Homs" in text and "Nakhli" not in text
    assert "Nakhli" not in reocr(dst, 0, tmp_path)
    assert_clean_pdf_structure(dst, NAME)


def test_arabic_name_on_a_scanned_page(tmp_path: Path) -> None:
    font = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
    src = write_scanned_pdf(
        tmp_path / "scan-ar.pdf", ["شهادة محمد النخلي في الرقة", "يوم الثلاثاء"], font=font, size=60
    )
    redactor = Redactor([ProtectedTerm("محمد النخلي", "Witness B")])
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=redactor, ocr_langs="ara")
    assert report["rasterised"] == [1]
    assert report["reasons"]["1"] == ["term in rendered page"]
    text = pdf_text(dst)[0]
    assert "الثلاثاء" in text and not redactor.find(text)


def test_photo_in_a_kept_page_loses_its_exif(tmp_path: Path) -> None:
    photo = shared_data("exif-samples") / "jpg" / "gps" / "DSCN0010.jpg"
    src = write_text_pdf(tmp_path / "in.pdf", [["A page with a photo."]])
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        image = pdf.make_stream(
            photo.read_bytes(),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=640,
            Height=480,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        page = pdf.pages[0]
        page.Resources.XObject = pikepdf.Dictionary(Im1=image)
        page.contents_add(pdf.make_stream(b"q 320 0 0 240 72 300 cm /Im1 Do Q"))
        pdf.save(src)
    assert any("GPS" in k for k in exif_tags(src))
    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=REDACTOR, ocr_langs="eng")
    assert report["rasterised"] == [] and report["jpeg_metadata_stripped"] == 1
    tags = exif_tags(dst)
    assert not any("GPS" in k or k.startswith(("IFD0", "ExifIFD")) for k in tags), tags
    assert "A page with a photo." in pdf_text(dst)[0]


def test_faces_rasterise_a_page_without_terms(tmp_path: Path) -> None:
    src = write_text_pdf(tmp_path / "in.pdf", [["A photo caption."], ["Another page."]])
    calls: list[int] = []

    def faces(rgb: np.ndarray) -> tuple[np.ndarray, FaceReport]:
        calls.append(1)
        found = len(calls) == 1
        rgb = rgb.copy()
        if found:
            rgb[400:600, 400:600] = 0
        return rgb, FaceReport(frames=1, detections=int(found), tracks=0, filled_frames=int(found))

    dst = tmp_path / "out.pdf"
    report = rebuild_pdf(src, dst, redactor=Redactor([]), faces=faces, ocr_langs="eng")
    assert report["rasterised"] == [1] and report["faces"]["pages_with_faces"] == [1]
    assert len(calls) == 2
    doc = pdfium.PdfDocument(str(dst))
    try:
        arr = np.asarray(doc[0].render(scale=200 / 72).to_pil().convert("L"))
    finally:
        doc.close()
    assert arr[420:580, 420:580].max() < 40


def test_bad_pdfs_get_clear_errors(tmp_path: Path) -> None:
    plain = write_text_pdf(tmp_path / "plain.pdf", [[f"Statement of {NAME}"]])
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    with pytest.raises(InputRejected, match="password") as err:
        rebuild_pdf(locked, tmp_path / "o1.pdf", redactor=REDACTOR, ocr_langs="eng")
    assert err.value.status == "encrypted"
    # Encrypted with an empty user password: readable, so rebuilt (and no longer encrypted).
    owner_only = tmp_path / "owner.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(owner_only, encryption=pikepdf.Encryption(user="", owner="owner"))
    rebuild_pdf(owner_only, tmp_path / "o2.pdf", redactor=REDACTOR, ocr_langs="eng")
    with pikepdf.open(tmp_path / "o2.pdf") as pdf:
        assert not pdf.is_encrypted
    assert "Nakhli" not in pdf_text(tmp_path / "o2.pdf")[0]
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n%%EOF")
    with pytest.raises(InputRejected):
        rebuild_pdf(broken, tmp_path / "o3.pdf", redactor=REDACTOR, ocr_langs="eng")
    assert not (tmp_path / "o3.pdf").exists()


# --- office text -----------------------------------------------------------------------------


def test_text_to_pdf_english_and_arabic(tmp_path: Path) -> None:
    dst = tmp_path / "doc.pdf"
    pages = [
        "Interview with Witness A about the market.\nقال الشاهد إن الاجتماع عقد في المدينة القديمة",
        "Second page: the convoy arrived at noon.",
    ]
    report = text_to_pdf(pages, dst, ocr_langs="eng+ara")
    assert report["pages"] == 2 and report["images_carried"] is False
    text = pdf_text(dst)
    assert "Witness A" in text[0] and "market" in text[0]
    assert "الشاهد" in text[0] and "المدينة" in text[0]
    assert "convoy" in text[1]
    with pikepdf.open(dst) as pdf:
        assert "/Info" not in pdf.trailer and set(pdf.Root.keys()) == {"/Type", "/Pages"}
    assert not {k for k in exif_tags(dst) if k.split(":")[0] not in PLAIN_GROUPS}
