"""`sijill protect` end to end: real items in a real archive to publication copies that the
independent leak check passes, and refusals when it would not."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import CLI
from tests.leakgen import (
    exif_tags,
    face_image,
    face_video,
    hostile_pdf,
    speech_with_name,
    tagged_gps_mp4,
)

# A fictional name that espeak-ng says and Whisper hears back intact (many names come back
# misheard, as they would from a real speaker: the transcript is what gets redacted).
NAME = "Daniel Brooks"
FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def _haar_faces(rgb: np.ndarray) -> int:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return len(cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)))


def _item_id(cli: CLI, name: str) -> str:
    items = cli.json("items")["items"]
    return next(i["id"] for i in items if i["name"] == name)


@pytest.mark.slow
def test_photo_copy_has_no_face_no_metadata_and_passes_the_leak_check(
    cli: CLI, tmp_path: Path
) -> None:
    photo = face_image(tmp_path / "portrait.jpg")
    before = exif_tags(photo)
    assert any("GPS" in k for k in before) and _haar_faces(np.asarray(Image.open(photo))) >= 1
    cli("ingest", str(photo))
    item = _item_id(cli, "portrait.jpg")
    out = tmp_path / "public"
    doc = cli.json("protect", item, "--out", str(out), "--no-speech-check")
    assert doc["passed"], doc["findings"]
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"{item}.jpg"]
    tags = exif_tags(files[0])
    for key in tags:
        assert not any(bad in key for bad in ("GPS", "Make", "Model", "Serial", "DateTime"))
    assert _haar_faces(np.asarray(Image.open(files[0]).convert("RGB"))) == 0
    # The independent check agrees from the command line, and the original is untouched.
    assert cli("leakcheck", str(out), "--no-speech").returncode == 0
    assert cli("leakcheck", str(photo), "--no-speech", check=False).returncode == 1
    assert cli("verify", check=False).returncode == 0
    copies = cli.json("copies", item)["copies"]
    assert len(copies) == 1 and copies[0]["status"] == "passed"
    shown = cli.json("show", item)["publication_copies"]
    assert [c["id"] for c in shown] == [copies[0]["id"]]
    # verify re-hashes the copy's stored files too.
    report = json.loads(cli("verify", "--json").stdout)
    assert report["ok"] and report["blobs_checked"] >= 2


@pytest.mark.slow
def test_pdf_copy_drops_every_hiding_place_of_a_protected_name(cli: CLI, tmp_path: Path) -> None:
    pdf = hostile_pdf(tmp_path / "statement.pdf", NAME)
    cli("ingest", str(pdf))
    cli("terms", "add", NAME)
    cli("run")
    item = _item_id(cli, "statement.pdf")
    out = tmp_path / "public"
    doc = cli.json("protect", item, "--out", str(out))
    assert doc["passed"], doc["findings"]
    [copy] = list(out.iterdir())
    raw = copy.read_bytes()
    assert NAME.encode() not in raw and b"Brooks" not in raw
    assert raw.count(b"%%EOF") == 1  # one revision: written whole, never appended to
    lc = cli("leakcheck", str(out), "--json", "--no-speech")
    assert json.loads(lc.stdout)["passed"]
    # The original still holds the name, and the leak check finds it there.
    found = cli("leakcheck", str(pdf), "--json", "--no-speech", check=False)
    assert found.returncode == 1
    wheres = " ".join(f["where"] for f in json.loads(found.stdout)["findings"])
    assert "outline" in wheres.lower() or "Outline" in wheres


@pytest.mark.slow
def test_testimony_video_faces_filled_voice_respoken_name_replaced(
    cli: CLI, tmp_path: Path
) -> None:
    speech = speech_with_name(
        tmp_path / "speech.wav",
        f"My name is {NAME}. I saw the convoy leave the base at night.",
    )
    silent = face_video(tmp_path / "face.mp4", size=(320, 240), seconds=5.0, fps=10)
    video = tmp_path / "testimony.mp4"
    subprocess.run(
        [*FFMPEG, "-i", str(silent), "-i", str(speech), "-map", "0:v", "-map", "1:a",
         "-c:v", "copy", "-c:a", "aac", "-shortest", "-metadata", "title=Testimony of " + NAME,
         "-metadata", "location=+36.2021+037.1343/", str(video)],
        check=True,
    )  # fmt: skip
    cli("ingest", str(video), "--witness", "W1")
    cli("ingest", str(speech), "--witness", "W1")
    cli("terms", "add", NAME)
    cli("run")
    item = _item_id(cli, "testimony.mp4")
    out = tmp_path / "public"
    review = tmp_path / "review.jpg"
    # A person read the transcript against the recording (else protect refuses to re-voice).
    cli("transcript", item, "--mark-reviewed")
    doc = cli.json("protect", item, "--out", str(out), "--review", str(review))
    assert doc["passed"], doc["findings"]
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{item}.mp4", f"{item}.vtt"]
    vtt = (out / f"{item}.vtt").read_text()
    assert "Witness A" in vtt and "Daniel" not in vtt and "Brooks" not in vtt
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
             str(out / f"{item}.mp4")],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    kinds = sorted(s["codec_type"] for s in probe["streams"])
    assert kinds == ["audio", "video"]
    assert "title" not in probe["format"].get("tags", {})
    assert "location" not in probe["format"].get("tags", {})

    # The recording alone: a re-spoken M4A and subtitles, the name replaced in both.
    audio_item = _item_id(cli, "speech.wav")
    audio_out = tmp_path / "public-audio"
    doc = cli.json("protect", audio_item, "--out", str(audio_out), "--accept-unreviewed")
    assert doc["passed"], doc["findings"]
    assert doc["accepted_unreviewed"]["by"] == "tester"
    assert sorted(p.name for p in audio_out.iterdir()) == [f"{audio_item}.m4a", f"{audio_item}.vtt"]
    assert "Brooks" not in (audio_out / f"{audio_item}.vtt").read_text()
    # The original recording fails the same check: the speech check hears the name.
    res = cli("leakcheck", str(speech), "--json", check=False)
    assert res.returncode == 1
    assert any(f["kind"] == "speech" for f in json.loads(res.stdout)["findings"])


@pytest.mark.slow
def test_a_corrected_transcript_is_what_gets_redacted_and_respoken(
    cli: CLI, tmp_path: Path
) -> None:
    # Whisper hears this fictional name wrong ("Samya Hana" with the packaged base model): the
    # protected name is not in the machine's transcript. A person corrects the segment, and
    # the copy's subtitles then carry the pseudonym, never the name or the mishearing.
    speech = speech_with_name(
        tmp_path / "statement.wav", "My name is Samir Haddad. I saw the convoy leave at night."
    )
    cli("ingest", str(speech))
    cli("terms", "add", "Samir Haddad")
    cli("run")
    item = _item_id(cli, "statement.wav")
    doc = json.loads(cli("transcript", item, "--format", "json").stdout)
    first = doc["segments"][0]
    ids = cli("transcript", item, "--ids").stdout
    assert f"#{first['id']} " in ids
    cli(
        "transcript", item, "--correct", str(first["id"]),
        "My name is Samir Haddad. I saw the convoy leave at night.", "--mark-reviewed",
    )  # fmt: skip
    after = json.loads(cli("transcript", item, "--format", "json").stdout)
    assert after["segments"][0]["text"].startswith("My name is Samir Haddad")
    assert after["segments"][0]["machine_text"] == first["text"]
    assert after["reviewed"]["by"] == "tester"
    bad = cli("transcript", item, "--correct", "999999", "x", check=False)
    assert bad.returncode == 2
    out = tmp_path / "public"
    copy = cli.json("protect", item, "--out", str(out), "--no-speech-check")
    assert copy["passed"], copy["findings"]
    assert copy["report"]["transcript_reviewed"] is True
    vtt = (out / f"{item}.vtt").read_text()
    assert "Witness A" in vtt and "Samir" not in vtt and "Haddad" not in vtt
    actions = [e["action"] for e in cli.json("show", item)["custody"]]
    assert "transcript_corrected" in actions and "transcript_reviewed" in actions


def test_phone_video_loses_its_gps_track_tags_and_second_streams(cli: CLI, tmp_path: Path) -> None:
    clip = tagged_gps_mp4(tmp_path / "VID_0001.mp4")
    cli("ingest", str(clip))
    cli("run")
    item = _item_id(cli, "VID_0001.mp4")
    out = tmp_path / "public"
    # Nothing is said in it: without a transcript the copy has no audio at all.
    doc = cli.json("protect", item, "--voice", "none", "--out", str(out), "--no-speech-check")
    assert doc["passed"], doc["findings"]
    [copy] = list(out.iterdir())
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-show_chapters",
             "-of", "json", str(copy)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert [s["codec_type"] for s in probe["streams"]] == ["video"]
    assert not probe.get("chapters")
    tags = probe["format"].get("tags", {})
    for key in ("creation_time", "location", "title", "encoder"):
        assert key not in tags, tags
    assert not any("GPS" in k or "Location" in k for k in exif_tags(copy))


@pytest.mark.slow
def test_a_copy_that_fails_the_leak_check_never_leaves(cli: CLI, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(
        f"Field note. {NAME} drove the minibus to checkpoint four. The driver from Kafr Sous "
        "was held for two hours. Later Tom Keller questioned him.\n",
        encoding="utf-8",
    )
    cli("ingest", str(note))
    cli("terms", "add", NAME)
    cli("run")
    item = _item_id(cli, "note.txt")
    first = cli.json("protect", item)
    assert first["passed"], first["findings"]
    assert sorted(f["name"] for f in first["files"]) == [f"{item}.pdf", f"{item}.txt"]
    # A person the machine found but nobody protected is named to whoever made the copy.
    unprotected = [sp for u in first["report"]["unprotected_names"] for sp in u["spellings"]]
    assert any("Keller" in sp for sp in unprotected), first["report"]
    assert not any("Brooks" in sp for sp in unprotected)

    # A place named after the copy was made: the copy is checked again before it may leave,
    # fails, and nothing is written; it stays failed.
    cli("terms", "add", "Kafr Sous", "--kind", "place")
    out = tmp_path / "public"
    res = cli("copies", "--write", str(first["id"]), "--out", str(out), check=False)
    assert res.returncode == 1, res.stderr
    assert "current protected terms" in " ".join(res.stderr.split())
    assert not out.exists() or not any(out.iterdir())
    [row] = cli.json("copies", item)["copies"]
    assert row["status"] == "failed" and any("Kafr Sous" in f["what"] for f in row["findings"])
    again = cli("copies", "--write", str(first["id"]), "--out", str(out), check=False)
    assert again.returncode == 1 and "did not pass" in " ".join(again.stderr.split())

    # A new copy replaces the place by its pseudonym and may leave.
    second = cli.json("protect", item, "--out", str(out))
    assert second["passed"], second["findings"]
    text = (out / f"{item}.txt").read_text(encoding="utf-8")
    assert "Witness A" in text and "Place A" in text
    assert NAME not in text and "Kafr Sous" not in text

    # The altered voice is refused unless its weakness is accepted.
    speech = speech_with_name(tmp_path / "call.wav", "We left the base at night.")
    cli("ingest", str(speech))
    weak = cli("protect", _item_id(cli, "call.wav"), "--voice", "mcadams", check=False)
    assert weak.returncode == 2 and "accept-weak-voice" in " ".join(weak.stderr.split())


def test_protect_refuses_bad_requests_clearly(cli: CLI, tmp_path: Path) -> None:
    photo = face_image(tmp_path / "p.jpg")
    cli("ingest", str(photo))
    item = _item_id(cli, "p.jpg")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    cases = [
        (["protect", "nosuchitem"], "no item"),
        (["protect", item, "--out", str(busy)], "not empty"),
        (["protect", item, "--region", "1,2,3"], "X,Y,W,H"),
        (["protect", item, "--region", "0,0,0,10"], "positive"),
        (["protect", item, "--faces", "paint"], "paint"),
    ]
    for args, words in cases:
        res = cli(*args, check=False)
        assert res.returncode == 2, (args, res.stderr)
        assert words in " ".join(res.stderr.split()), (args, res.stderr)


@pytest.mark.slow
def test_hostile_and_unsuited_items_get_a_clear_refusal(cli: CLI, tmp_path: Path) -> None:
    import zipfile

    src = tmp_path / "in"
    src.mkdir()
    broken = src / "statement.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 3)
    with zipfile.ZipFile(src / "bundle.zip", "w") as z:
        z.writestr("note.txt", "A note.")
    cli("ingest", str(src))
    cli("run", check=False)
    out = tmp_path / "public"
    for name, code, words in (
        ("statement.pdf", 1, "cannot be read"),
        ("bundle.zip", 2, "protect the items unpacked from it"),
    ):
        res = cli("protect", _item_id(cli, name), "--out", str(out), check=False)
        assert res.returncode == code, (name, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
        said = " ".join(res.stderr.split())
        assert "error:" in said and words in said, said
        assert "/tmp/" not in said and "protect-" not in said, said  # no private work path
        assert not out.exists() or not any(out.iterdir())
    assert cli.json("copies")["copies"] == []
