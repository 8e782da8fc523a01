"""The leak check on real files made by real tools: clean copies pass, every kind of leak is
found, bad files are findings and never crashes, and the CLI keeps its exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2
import pytest
from PIL import Image

from sijill.leakcheck import Finding, scan
from sijill.leakcheck.terms import TermMatcher
from tests.conftest import cli_env, shared_data
from tests.leakgen import (
    CAMERA_MAKE,
    face_image,
    face_video,
    hostile_pdf,
    painted_face_image,
    speech_with_name,
    tagged_gps_mp4,
)
from tests.pdfgen import write_text_pdf

NAME = "Abu Rayyan"
BITEXACT = [
    "-map_metadata", "-1", "-map_chapters", "-1", "-fflags", "+bitexact",
    "-flags:v", "+bitexact", "-flags:a", "+bitexact",
]  # fmt: skip


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        timeout=120,
    )


def kinds(findings: list[Finding]) -> set[str]:
    return {f.kind for f in findings}


def wheres(findings: list[Finding], kind: str | None = None) -> list[str]:
    return [f.where for f in findings if kind is None or f.kind == kind]


def run_cli(*args: str, archive: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", "--archive", str(archive), "leakcheck", *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def clean_dir(tmp_path: Path) -> Path:
    """One clean file of each publishable kind, written the way the protection writes them."""
    d = tmp_path / "clean"
    d.mkdir()
    src = ["-f", "lavfi", "-t", "2", "-i", "testsrc2=size=320x180:rate=10"]
    tone = ["-f", "lavfi", "-t", "2", "-i", "sine=frequency=440:sample_rate=16000"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    ffmpeg(*src, *tone, *h264, "-c:a", "aac", *BITEXACT, str(d / "video.mp4"))
    ffmpeg(*tone, "-c:a", "aac", *BITEXACT, str(d / "audio.m4a"))
    ffmpeg(*tone, "-c:a", "pcm_s16le", *BITEXACT, str(d / "audio.wav"))
    painted_face_image(d / "photo.jpg")
    painted_face_image(d / "photo.png")
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(d / "blank.pdf")
    write_text_pdf(d / "statement.pdf", [["Statement of Witness A", "at Place B"]])
    (d / "transcript.txt").write_text("Witness A said the convoy left at dawn.\n")
    (d / "captions.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nWitness A\n")
    return d


def test_clean_files_pass(clean_dir: Path) -> None:
    findings = scan([clean_dir], terms=[NAME, "أبو ريان", "+963 944 123 456"], speech=False)
    assert findings == []


def test_painted_face_passes_the_face_check(tmp_path: Path) -> None:
    assert scan([painted_face_image(tmp_path / "p.jpg")], speech=False) == []


def test_face_image_metadata_and_face_found(tmp_path: Path) -> None:
    findings = scan([face_image(tmp_path / "face.jpg")], speech=False)
    where = wheres(findings)
    for tag in ("GPS:GPSLatitude", "GPS:GPSLongitude", "IFD0:Make", "IFD0:Model"):
        assert f"exif:{tag}" in where, where
    assert "exif:ExifIFD:SerialNumber" in where
    assert "exif:ExifIFD:DateTimeOriginal" in where
    assert any(CAMERA_MAKE in f.what for f in findings)
    assert wheres(findings, "face") == ["image"]
    assert any(w.startswith("APP1") for w in wheres(findings, "structure"))


def test_face_video_frames_found(tmp_path: Path) -> None:
    video = face_video(tmp_path / "face.mp4", size=(320, 180))
    faces = wheres(scan([video], speech=False), "face")
    assert faces and faces[0].startswith("frame"), faces


def test_face_video_with_the_face_painted_over_passes(tmp_path: Path) -> None:
    video = face_video(tmp_path / "face.mp4", size=(320, 180))
    painted = tmp_path / "painted.mp4"
    # Cover the whole moving band where the head travels.
    ffmpeg(
        "-i", str(video), "-vf", "drawbox=x=0:y=50:w=iw:h=80:color=black:t=fill",
        "-c:v", "libx264", "-preset", "ultrafast", "-an", *BITEXACT, str(painted),
    )  # fmt: skip
    assert scan([painted], speech=False) == []


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("jpg/gps/DSCN0010.jpg", {"GPSLatitude", "GPSLongitude", "Make", "Model"}),
        ("jpg/Canon_40D.jpg", {"Make", "Model", "DateTimeOriginal"}),
        ("jpg/mobile/HMD_Nokia_8.3_5G.jpg", {"GPSLatitude", "Make", "Model"}),
    ],
)
def test_exif_samples_flagged(sample: str, expected: set[str]) -> None:
    path = shared_data("exif-samples") / sample
    tags = {w.rsplit(":", 1)[-1] for w in wheres(scan([path], speech=False), "metadata")}
    assert expected <= tags, sorted(tags)


def _all_samples() -> list[str]:
    root = Path(__file__).resolve().parents[2] / "shared" / "data" / "exif-samples"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("sample", _all_samples())
def test_every_exif_sample_has_a_finding(sample: str) -> None:
    assert scan([shared_data("exif-samples") / sample], speech=False)


def test_gps_video_flagged(tmp_path: Path) -> None:
    findings = scan([tagged_gps_mp4(tmp_path / "phone.mp4")], speech=False)
    streams = [f for f in findings if f.kind == "stream"]
    assert any("subtitle" in f.where and "subtitle stream" in f.what for f in streams), streams
    stream_whats = " ".join(f.what for f in streams)
    for tag in ("creation_time=", "location=", "title=Testimony 7", "encoder=Lavf"):
        assert tag in stream_whats, stream_whats
    meta = wheres(findings, "metadata")
    assert "exif:QuickTime:CreateDate" in meta
    assert "exif:UserData:LocationInformation" in meta
    assert any(w.endswith(":Text") for w in meta)  # the GPS fixes of the subtitle track


def test_hostile_pdf_flagged_everywhere(tmp_path: Path) -> None:
    path = hostile_pdf(tmp_path / "statement.pdf", NAME)
    doc = pypdfium2.PdfDocument(str(path))
    assert NAME not in doc[0].get_textpage().get_text_range()  # the latest page hides it
    doc.close()
    findings = scan([path], terms=[NAME], speech=False)
    terms = wheres(findings, "term")
    assert any(w.startswith("Info") for w in terms), terms
    assert "XMP" in terms
    assert "outline" in terms
    assert any(w.startswith("attachment") for w in terms)
    assert any(w.startswith("revision 1 of 2") for w in terms), terms
    structure = wheres(findings, "structure")
    assert "revisions" in structure and "attachment notes.txt" in structure


def test_pdf_raw_pass_finds_orphan_objects(tmp_path: Path) -> None:
    path = write_text_pdf(tmp_path / "s.pdf", [["Statement of Witness A"]])
    data = path.read_bytes()
    # An object no cross-reference table points at, stuffed before the trailer.
    orphan = b"99 0 obj\n(Contact Abu Rayyan)\nendobj\n"
    at = data.index(b"xref")
    path.write_bytes(data[:at] + orphan + data[at:])
    findings = scan([path], terms=[NAME], speech=False)
    assert any("Abu Rayyan" in f.what for f in findings), findings


def test_speech_with_name_flagged(tmp_path: Path) -> None:
    audio = speech_with_name(
        tmp_path / "memo.wav", "My name is Abu Rayyan and I saw the convoy at dawn."
    )
    findings = scan([audio], terms=[NAME])
    assert [f.kind for f in findings] == ["speech"], findings
    assert NAME in findings[0].what


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("أبو ريان", "وقال وابو ريان إنه رأى القافلة"),
        ("أبو ريان", "شهادة لأبو ريان"),
        ("الرقة", "ذهبنا للرقّة صباحًا"),
        ("فاطمة الزهراء", "رأت فاطمه الزهراء"),
        ("José Núñez", "JOSE NUNEZ was there"),
        ("Zoë Ørsted", "zoe orsted"),
        ("+963 944 123 456", "call ٠٩٤٤ ١٢٣ ٤٥٦ at night"),
        ("+963 944 123 456", "tel: 00963-944-123-456"),
    ],
)
def test_terms_found_through_normalisation(tmp_path: Path, term: str, text: str) -> None:
    f = tmp_path / "notes.txt"
    f.write_text(text, encoding="utf-8")
    findings = scan([f], terms=[term], speech=False)
    assert [x.kind for x in findings] == ["term"], findings


def test_terms_respect_word_boundaries() -> None:
    m = TermMatcher(["Rayyan", "ريان"])
    assert m.find("Rayyanville and Brayyan") == []
    assert m.find("مريان") == []
    assert m.find("Rayyan.") == ["Rayyan"]


def test_utf16_text_and_file_names_searched(tmp_path: Path) -> None:
    (tmp_path / "a.srt").write_bytes(
        "1\n00:00:01,000 --> 00:00:02,000\nأبو ريان\n".encode("utf-16")
    )
    (tmp_path / "abu_rayyan.txt").write_text("nothing here\n")
    findings = scan([tmp_path], terms=[NAME, "أبو ريان"], speech=False)
    assert {(Path(f.file).name, f.where) for f in findings if f.kind == "term"} >= {
        ("abu_rayyan.txt", "file name"),
    }
    assert any(Path(f.file).name == "a.srt" for f in findings)


def test_bad_files_are_findings_not_crashes(tmp_path: Path) -> None:
    d = tmp_path / "bad"
    d.mkdir()
    jpg = face_image(tmp_path / "face.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(jpg[: len(jpg) // 3])
    (d / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    (d / "garbage.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\xde\xad" * 500)
    (d / "binary.bin").write_bytes(bytes(range(256)) * 4)
    with zipfile.ZipFile(d / "bundle.zip", "w") as z:
        z.writestr("inner.txt", "Abu Rayyan")
    (d / "link.txt").symlink_to(tmp_path / "face.jpg")
    findings = scan([d], terms=[NAME], speech=False)
    by_file: dict[str, set[str]] = {}
    for f in findings:
        by_file.setdefault(Path(f.file).name, set()).add(f.kind)
    assert set(by_file) == {
        "truncated.jpg",
        "garbage.pdf",
        "garbage.mp4",
        "binary.bin",
        "bundle.zip",
        "link.txt",
    }, by_file
    assert "unreadable" in by_file["garbage.pdf"]
    assert "unreadable" in by_file["garbage.mp4"]
    assert by_file["link.txt"] == {"structure"}
    assert by_file["bundle.zip"] >= {"structure"}


def test_leakcheck_imports_nothing_from_protect() -> None:
    root = Path(__file__).resolve().parents[1] / "src" / "sijill"
    sources = [*(root / "leakcheck").glob("*.py"), root / "cli" / "leakcheck.py"]
    for src in sources:
        text = src.read_text()
        imports = re.findall(r"^\s*(?:from|import)\s+(\S+)", text, re.M)
        bad = [
            m
            for m in imports
            if m.startswith(("sijill.protect", "..protect", "sijill.storage", "sijill.text"))
        ]
        assert not bad, (src, bad)


def test_cli_exit_codes_and_json(tmp_path: Path, clean_dir: Path) -> None:
    archive = tmp_path / "no-archive"
    clean = run_cli(str(clean_dir), "--json", "--no-speech", "--term", NAME, archive=archive)
    assert clean.returncode == 0, clean.stderr
    doc = json.loads(clean.stdout)
    assert doc == {"findings": [], "files": 9, "passed": True}

    leaky = tmp_path / "leaky"
    leaky.mkdir()
    (leaky / "notes.txt").write_text("وابو ريان\n", encoding="utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("أبو ريان\n\n", encoding="utf-8")
    found = run_cli(str(leaky), "--json", "--terms-file", str(terms), archive=archive)
    assert found.returncode == 1, found.stderr
    doc = json.loads(found.stdout)
    assert doc["passed"] is False and doc["files"] == 1
    assert doc["findings"][0].keys() == {"file", "where", "what", "kind"}
    assert doc["findings"][0]["kind"] == "term"

    table = run_cli(str(leaky), "--term", "أبو ريان", archive=archive)
    assert table.returncode == 1 and "protected term" in table.stdout

    missing = run_cli(str(tmp_path / "nope"), archive=archive)
    assert missing.returncode == 2
    assert run_cli(archive=archive).returncode == 2


def test_rgba_and_grey_images_checked(tmp_path: Path) -> None:
    from tests.leakgen import astronaut_rgb

    rgb = astronaut_rgb()
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])).save(
        tmp_path / "rgba.png"
    )
    Image.fromarray(rgb).convert("L").save(tmp_path / "grey.png")
    findings = scan([tmp_path], speech=False)
    assert {Path(f.file).name for f in findings if f.kind == "face"} == {"rgba.png", "grey.png"}
