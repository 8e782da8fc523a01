"""Real files that leak, for the leak check and the protection tests.

Each builder writes one small file carrying the kinds of leak a publication copy must not
hold: a face, GPS and camera tags, a name in PDF metadata and in an older PDF revision, a name
in speech. The files are made with the real tools (Pillow, exiftool, ffmpeg, pikepdf,
espeak-ng) so that the checks meet what the field produces, not a stand-in.

Other test modules import these builders; keep their signatures stable.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
from PIL import Image

from tests.mediagen import make_gps_video, make_speech

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]

# The astronaut's face in skimage.data.astronaut() (512x512), as (x, y, w, h): OpenCV's
# frontal cascades find it at about (177, 66, 95, 95); this box is padded around that.
ASTRONAUT_FACE = (160, 40, 135, 150)

# What face_image writes into EXIF, so tests can assert on it.
GPS_LAT = 36.2021
GPS_LON = 37.1343
CAMERA_MAKE = "Sijill Test Camera Co"
CAMERA_MODEL = "Leaky X100"
CAMERA_SERIAL = "SN-4471-2209"
DATE_TAKEN = "2024:03:01 10:00:00"


def astronaut_rgb() -> np.ndarray:
    """The astronaut photograph shipped with scikit-image (RGB, 512x512, one clear face)."""
    from skimage import data

    return np.asarray(data.astronaut(), dtype=np.uint8)


def face_image(path: Path) -> Path:
    """The astronaut as a JPEG with EXIF GPS position, camera make, model, serial number and
    time of capture, as a phone would write it."""
    Image.fromarray(astronaut_rgb()).save(path, "JPEG", quality=90)
    _exiftool(
        path,
        f"-GPSLatitude={GPS_LAT}",
        "-GPSLatitudeRef=N",
        f"-GPSLongitude={GPS_LON}",
        "-GPSLongitudeRef=E",
        "-GPSAltitude=412",
        "-GPSAltitudeRef=0",
        f"-Make={CAMERA_MAKE}",
        f"-Model={CAMERA_MODEL}",
        f"-ExifIFD:SerialNumber={CAMERA_SERIAL}",
        f"-DateTimeOriginal={DATE_TAKEN}",
        f"-CreateDate={DATE_TAKEN}",
    )
    return path


def painted_face_image(path: Path) -> Path:
    """The astronaut with the face painted solid black and no metadata at all (Pillow writes
    none unless asked): what a correct protection of face_image looks like."""
    rgb = astronaut_rgb().copy()
    x, y, w, h = ASTRONAUT_FACE
    rgb[y : y + h, x : x + w] = 0
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    Image.fromarray(rgb).save(path, fmt)
    return path


def face_video(
    path: Path, *, size: tuple[int, int] = (640, 360), seconds: float = 2.0, fps: int = 10
) -> Path:
    """An H.264 MP4 (with a sine audio track) in which the astronaut's head, scaled to 40% of
    the frame height, slides from left to right across a plain background."""
    w, h = size
    head = path.with_name(path.stem + ".head.png")
    # A square crop around the face so the face, not the suit, fills the moving picture.
    x, y, fw, fh = ASTRONAUT_FACE
    side = max(fw, fh) + 40
    cx, cy = x + fw // 2, y + fh // 2
    box = (max(0, cx - side // 2), max(0, cy - side // 2))
    crop = astronaut_rgb()[box[1] : box[1] + side, box[0] : box[0] + side]
    px = max(16, int(h * 0.4)) // 2 * 2
    Image.fromarray(crop).resize((px, px), Image.Resampling.LANCZOS).save(head)
    travel = max(1, w - px)
    graph = (
        f"[0:v][1:v]overlay=x='min({travel},{travel}*t/{seconds})':y={(h - px) // 2}"
        ":shortest=1,format=yuv420p[v]"
    )
    try:
        _ffmpeg(
            "-f", "lavfi", "-t", str(seconds), "-i", f"color=c=0x4a6a8a:size={w}x{h}:rate={fps}",
            "-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(head),
            "-f", "lavfi", "-t", str(seconds), "-i", "sine=frequency=500:sample_rate=16000",
            "-filter_complex", graph, "-map", "[v]", "-map", "2:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-t", str(seconds),
            str(path),
        )  # fmt: skip
    finally:
        head.unlink(missing_ok=True)
    return path


def tagged_gps_mp4(path: Path) -> Path:
    """A phone-style MP4: a mov_text subtitle track of GPS fixes, creation_time, title,
    encoder and an ISO 6709 location tag (see tests/mediagen.py:make_gps_video)."""
    return make_gps_video(path, location_tag=True)


def speech_with_name(path: Path, text: str) -> Path:
    """`text` spoken by espeak-ng (English voice); the suffix of `path` picks the container."""
    return make_speech(path, text)


def hostile_pdf(path: Path, name: str) -> Path:
    """A one-page PDF that leaks `name` everywhere a careless redaction leaves it.

    Revision 1 shows "Statement of <name>" on the page; revision 2, appended as an incremental
    update, replaces the page content with "Statement of Witness A" — so the latest page text
    no longer shows the name while the bytes of revision 1 still do. The name also sits in
    the Info dictionary (Author), the XMP packet (dc:creator), an outline entry and an
    embedded file attachment.
    """
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
    page.obj.Contents = pdf.make_stream(_page_text(f"Statement of {name}"))
    pdf.docinfo["/Author"] = name
    pdf.docinfo["/Title"] = "Statement"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [name]
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem(f"Interview with {name}", 0))
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(
        pdf, f"Contact: {name}\n".encode(), mime_type="text/plain"
    )
    pdf.save(
        path,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        compress_streams=True,
        deterministic_id=True,
    )
    with pikepdf.open(path) as first:
        pg = first.pages[0].obj
        page_num = pg.objgen[0]
        parent_num = pg.Parent.objgen[0]
        font_num = pg.Resources.Font.F1.objgen[0]
        size = int(first.trailer.Size)
        root_num = first.trailer.Root.objgen[0]
        info_num = first.trailer.Info.objgen[0]
    _append_revision(path, page_num, parent_num, font_num, size, root_num, info_num)
    return path


def _page_text(line: str) -> bytes:
    esc = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"BT /F1 14 Tf 72 720 Td (" + esc + b") Tj ET"


def _append_revision(
    path: Path, page: int, parent: int, font: int, size: int, root: int, info: int
) -> None:
    """Append an incremental update by hand (qpdf and so pikepdf only write whole files): a
    new content stream and a new version of the page object pointing at it."""
    data = path.read_bytes()
    found = re.findall(rb"startxref\s+(\d+)", data)
    prev = int(found[-1])
    content_num = size
    stream = _page_text("Statement of Witness A")
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    off_content = len(out)
    out += b"%d 0 obj\n<< /Length %d >>\nstream\n" % (content_num, len(stream))
    out += stream + b"\nendstream\nendobj\n"
    off_page = len(out)
    out += (
        b"%d 0 obj\n<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>\nendobj\n"
        % (page, parent, font, content_num)
    )
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"%d 1\n%010d 00000 n \n" % (page, off_page)
    out += b"%d 1\n%010d 00000 n \n" % (content_num, off_content)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\n" % (
        content_num + 1,
        root,
        info,
        prev,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))


def exif_tags(path: Path) -> dict[str, Any]:
    """Every tag exiftool reads in `path` (`-ee -G1 -a -u`, keys "Group:Tag"), less SourceFile."""
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", "-u", "-ee", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    record: dict[str, Any] = json.loads(out)[0]
    record.pop("SourceFile", None)
    return record


def _exiftool(path: Path, *args: str) -> None:
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", *args, str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True, capture_output=True, timeout=120)
