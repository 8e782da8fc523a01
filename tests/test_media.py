"""Media items: audio and video identified by content, probed, normalised; bad media flagged.

One real `sijill run` processes every format and every bad file together, so each bad file
is shown to get its own clear status while the rest goes on. Item details are read with the
same query `sijill show` uses, in-process: a CLI start-up per item would cost a minute; the
CLI's own `show --json` is exercised on the GPS video. The normaliser is also driven
directly, with the worker's real context and blob store, to measure its memory.
"""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sijill.pipeline.registry import default_registry
from sijill.pipeline.stage import ItemInfo, Stage
from sijill.pipeline.stages.ffmpeg_normaliser import FfmpegNormaliser
from sijill.pipeline.stages.ffprobe_metadata import FfprobeMetadata
from sijill.pipeline.worker import JobSpec, _Context
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import Item
from sijill.storage.repositories.item_views import item_detail
from sijill.tools.identify import identify, kind_of
from tests import mediagen
from tests.conftest import CLI, PASSPHRASE, cli_env

VIDEO_FORMATS = ("mp4", "mov", "mkv", "webm", "3gp")
AUDIO_FORMATS = ("m4a", "mp3", "ogg", "opus", "wav", "amr")
# Transcription is another stage's subject; here it only needs to be quick.
FAST_WHISPER = {
    "model": "tiny.en",
    "language": "en",
    "multilingual": "false",
    "translate": "false",
    "beam_size": "1",
    "word_timestamps": "false",
}


@dataclass
class Media:
    cli: CLI
    root: Path
    src: Path
    items: dict[str, dict[str, Any]]
    details: dict[str, dict[str, Any]]
    run_stdout: str

    def derivatives(self, name: str) -> dict[str, dict[str, Any]]:
        return {d["kind"]: d for d in self.details[name]["derivatives"]}

    def stage(self, name: str, stage: str) -> dict[str, Any]:
        return next(s for s in self.details[name]["stages"] if s["stage"] == stage)


def make_inputs(src: Path, work: Path) -> None:
    for n, fmt in enumerate(VIDEO_FORMATS):
        mediagen.make_video(src / f"clip.{fmt}", tone=300 + 20 * n)
    for n, fmt in enumerate(AUDIO_FORMATS):
        mediagen.make_audio(src / f"memo.{fmt}", tone=500 + 20 * n)
    mediagen.make_gps_video(src / "gps.mp4")
    mediagen.make_gps_video(src / "gps-subtitles-only.mp4", location_tag=False, seconds=3)
    mediagen.make_nmea_ts(src / "dashcam.ts")
    mediagen.make_video(src / "no-audio.mp4", with_audio=False)
    mediagen.make_audio(src / "audio-only.mp4", tone=900)
    # Bad media, each of which must end with a clear status of its own.
    whole = mediagen.make_video(work / "whole.mp4", seconds=3, tone=1000)  # moov at the end
    mediagen.truncate(whole, src / "truncated.mp4")
    fast = mediagen.make_video(
        work / "fast.mp4", seconds=3, tone=1100, extra=("-movflags", "+faststart")
    )
    mediagen.truncate(fast, src / "truncated-faststart.mp4")
    (src / "zero-bytes.m4a").write_bytes(b"")
    mediagen.make_empty_wav(src / "no-samples.wav")
    (src / "notes.mp4").write_text("Not a video: a note about the checkpoint at the bridge.\n")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Media]:
    root = tmp_path_factory.mktemp("media")
    cli = CLI(root / "archive", cli_env())
    cli("init")
    src, work = root / "in", root / "work"
    src.mkdir()
    work.mkdir()
    make_inputs(src, work)
    cli("ingest", "--case", "media", str(src))
    reg = default_registry()
    if "whisper_transcriber" in reg.names():
        known = reg.get("whisper_transcriber").defaults
        fast = [f"whisper_transcriber.{k}={v}" for k, v in FAST_WHISPER.items() if k in known]
        cli("case", "config", "media", *fast)
    run = cli("run", timeout=600)
    items = {i["name"]: i for i in cli.json("items")["items"]}
    archive = Archive.open(root / "archive", Settings(passphrase=PASSPHRASE, user="tester"))
    try:
        with archive.catalog.session() as s:
            details = {it.name: item_detail(s, it) for it in s.execute(select(Item)).scalars()}
        yield Media(cli, root, src, items, details, run.stdout)
    finally:
        archive.close()


def test_every_format_is_identified_by_content(media: Media) -> None:
    for fmt in VIDEO_FORMATS:
        mime, _ = identify(media.src / f"clip.{fmt}")
        assert mime.startswith("video/") and kind_of(mime) == "video", (fmt, mime)
    for fmt in AUDIO_FORMATS:
        mime, _ = identify(media.src / f"memo.{fmt}")
        assert mime.startswith("audio/") and kind_of(mime) == "audio", (fmt, mime)
    assert identify(media.src / "dashcam.ts")[0] == "video/mp2t"  # libmagic says only "data"
    assert identify(media.src / "notes.mp4")[0] == "text/plain"
    # MP4 brands libmagic does not name (a Sony camera) are video; HEIF photos stay images.
    root = media.root / "brands"
    root.mkdir(exist_ok=True)
    for brand, kind in ((b"XAVC", "video"), (b"CAEP", "video"), (b"heic", "image")):
        path = root / brand.decode()
        ftyp = brand + b"\0\0\0\0" + brand + b"isom"
        path.write_bytes(_box(b"ftyp", ftyp) + _box(b"free", b"") + _box(b"mdat", bytes(2000)))
        assert kind_of(identify(path)[0]) == kind, brand
    # An old QuickTime movie that starts with a `wide` atom instead of `ftyp`.
    (root / "wide").write_bytes(_box(b"wide", b"") + _box(b"mdat", bytes(900)) + _box(b"moov", b""))
    assert identify(root / "wide")[0] == "video/quicktime"
    # Playlists point at other files: text, never handed to ffmpeg.
    assert kind_of("audio/x-mpegurl") == "document"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_every_format_is_probed_and_normalised(media: Media) -> None:
    names = [f"clip.{f}" for f in VIDEO_FORMATS] + [f"memo.{f}" for f in AUDIO_FORMATS]
    for name in names:
        item, detail = media.items[name], media.details[name]
        video = name.startswith("clip.")
        assert item["kind"] == ("video" if video else "audio"), item
        for stage in ("ffprobe_metadata", "ffmpeg_normaliser"):
            assert media.stage(name, stage)["state"] == "done", (name, stage)
        probe = detail["metadata"]["ffprobe"]
        assert "filename" not in probe["format"]  # our temp copy is not evidence
        assert {s["codec_type"] for s in probe["streams"]} >= (
            {"video", "audio"} if video else {"audio"}
        )
        info = detail["info"]
        assert info["has_audio"] is True and info["has_video"] is video, (name, info)
        assert 1.9 <= info["duration_s"] <= 2.2, (name, info)
        assert info["has_location_stream"] is False and info["media_problems"] == []
        derivs = media.derivatives(name)
        assert set(derivs) == (
            {"audio_16k", "poster", "keyframe_strip", "video_working"} if video else {"audio_16k"}
        )
        audio = derivs["audio_16k"]
        assert audio["mime"] == "audio/flac" and audio["info"]["rate"] == 16000
        assert audio["info"]["channels"] == 1 and 1.9 <= audio["info"]["duration_s"] <= 2.2
        for d in derivs.values():
            stage = "video_proxy" if d["kind"] == "video_working" else "ffmpeg_normaliser"
            assert len(d["sha256"]) == 64 and d["size"] > 0 and d["stage"] == stage
        if video:
            assert info["video"]["w"] == 160 and info["video"]["h"] == 120
            assert info["video"]["fps"] == 10.0
            assert derivs["video_working"]["mime"] == "video/webm"
            poster, strip = derivs["poster"], derivs["keyframe_strip"]
            assert poster["mime"] == strip["mime"] == "image/jpeg"
            assert (poster["info"]["width"], poster["info"]["height"]) == (160, 120)
            assert poster["info"]["t"] == pytest.approx(0.2, abs=0.02)  # a tenth of the way
            # Eight frames 160 px high, side by side (160x120 scales to 214x160).
            assert strip["info"]["height"] == 160 and strip["info"]["width"] == 8 * 214
            assert strip["info"]["frames"] == 8


def test_bad_media_is_flagged_and_the_run_goes_on(media: Media) -> None:
    assert "failed" in media.run_stdout  # the run reported the bad files, and finished
    truncated = media.items["truncated.mp4"]
    assert truncated["kind"] == "video" and truncated["status"] == "invalid"
    assert "the video cannot be read: moov atom not found" in truncated["status_reason"]
    zero = media.items["zero-bytes.m4a"]
    assert zero["kind"] == "empty" and zero["status"] == "empty"
    no_samples = media.items["no-samples.wav"]
    assert no_samples["kind"] == "audio" and no_samples["status"] == "invalid"
    assert "the audio is empty: zero duration" in no_samples["status_reason"]
    for name in ("truncated.mp4", "no-samples.wav"):
        assert media.derivatives(name) == {}
        assert not any(s["stage"] == "ffmpeg_normaliser" for s in media.details[name]["stages"])
    # A text file named .mp4 is a text file.
    notes = media.items["notes.mp4"]
    assert (notes["kind"], notes["mime"], notes["status"]) == (
        "document",
        "text/plain",
        "processed",
    )
    assert "ffprobe_metadata" not in {s["stage"] for s in media.details["notes.mp4"]["stages"]}
    hits = media.cli.json("search", "checkpoint bridge")["hits"]
    assert [h["name"] for h in hits] == ["notes.mp4"]
    status = media.cli.json("status")
    assert status["items_by_status"].get("pending", 0) == 0
    flagged = {f["name"]: f["status"] for f in status["flagged"]}
    assert flagged["truncated.mp4"] == "invalid" and flagged["no-samples.wav"] == "invalid"
    for f in status["failures"]:
        assert "Traceback" not in f["error"], f


def test_truncated_faststart_video_is_kept_with_a_note(media: Media) -> None:
    # Its index survives, so what is there can be used; the item says it is cut short.
    info = media.details["truncated-faststart.mp4"]["info"]
    assert info["duration_s"] == pytest.approx(3.0, abs=0.1)
    assert media.stage("truncated-faststart.mp4", "ffmpeg_normaliser")["state"] == "done"
    assert any("truncated" in p for p in info["media_problems"]), info
    assert {"audio_16k", "poster"} <= set(media.derivatives("truncated-faststart.mp4"))


def test_video_without_audio_and_audio_only_mp4(media: Media) -> None:
    silent = media.details["no-audio.mp4"]
    assert silent["status"] == "processed" and silent["kind"] == "video"
    assert silent["info"]["has_audio"] is False and silent["info"]["has_video"] is True
    assert set(media.derivatives("no-audio.mp4")) == {"poster", "keyframe_strip", "video_working"}
    # libmagic calls an audio-only MP4 video; the probe says what it holds.
    voice = media.details["audio-only.mp4"]
    assert voice["kind"] == "video" and voice["mime"] == "video/mp4"
    assert voice["info"]["has_video"] is False and voice["info"]["media_kind"] == "audio"
    assert set(media.derivatives("audio-only.mp4")) == {"audio_16k"}
    assert media.stage("audio-only.mp4", "ffmpeg_normaliser")["state"] == "done"


def test_location_in_tags_subtitles_and_data_streams(media: Media) -> None:
    shown = media.cli.json("show", media.items["gps.mp4"]["id"])
    info = shown["info"]
    assert info["has_location_stream"] is True and info["has_gps"] is True
    assert "format tag location" in info["location_sources"]
    assert any("subtitle, mov_text" in s for s in info["location_sources"])
    probe = shown["metadata"]["ffprobe"]
    subtitles = [s for s in probe["streams"] if s["codec_type"] == "subtitle"]
    assert [s["codec_name"] for s in subtitles] == ["mov_text"]
    tags = probe["format"]["tags"]
    assert tags["location"] == "+36.1234+038.9876/" and tags["title"] == "Testimony 7"
    assert tags["creation_time"].startswith("2024-03-01T10:00:00")
    samples = shown["metadata"]["media_location"]["samples"]
    assert samples[0]["lines"][0] == mediagen.GPS_LINES[0]
    # The subtitles alone are enough.
    subs_only = media.details["gps-subtitles-only.mp4"]["info"]
    assert subs_only["has_location_stream"] is True and subs_only["has_gps"] is True
    assert len(subs_only["location_sources"]) == 1
    assert "coordinates in its text" in subs_only["location_sources"][0]
    # A dashcam's NMEA sentences in a data stream of an MPEG transport stream.
    dashcam = media.details["dashcam.ts"]
    assert dashcam["mime"] == "video/mp2t" and dashcam["status"] == "processed"
    assert dashcam["info"]["data_streams"] == 1 and dashcam["info"]["has_location_stream"]
    assert "coordinates in its data" in dashcam["info"]["location_sources"][0]
    lines = dashcam["metadata"]["media_location"]["samples"][0]["lines"]
    assert lines[0].startswith("$GPRMC")
    assert media.details["clip.mp4"]["info"]["location_sources"] == []


def test_derivatives_are_sealed_and_verified(media: Media) -> None:
    blobs = [p for p in (media.root / "archive" / "blobs").rglob("*") if p.is_file()]
    flac = media.derivatives("memo.m4a")["audio_16k"]
    # Sealed: no blob holds the plain FLAC (an age file starts with its own header).
    assert not any(p.open("rb").read(4) == b"fLaC" for p in blobs)
    assert flac["size"] > 10_000
    verify = media.cli("verify")  # decrypts and re-hashes every original and derivative
    assert verify.returncode == 0


# --- The stages driven directly: the worker's context, the archive's blob store. -------


class Recording(_Context):
    """The worker's context, keeping every progress report (the real one sends at most
    two a second, which is not what is tested here)."""

    seen: list[float]

    def progress(self, fraction: float) -> None:
        self.seen.append(fraction)


def drive(
    archive: Archive,
    stage: Stage,
    path: Path,
    work: Path,
    previous: dict[str, Any],
    progress: list[float] | None = None,
) -> Any:
    mime, _ = identify(path)
    info = ItemInfo(
        id="direct",
        sha256="",
        size=path.stat().st_size,
        name=path.name,
        mime=mime,
        kind=kind_of(mime),
        depth=0,
        case="default",
    )
    spec = JobSpec(
        job_id=0,
        stage=stage.name,
        config=dict(stage.defaults),
        item=info,
        blob="",
        previous=previous,
    )
    work.mkdir(exist_ok=True)
    ctx = Recording(spec, path, work, archive.blobs)
    ctx.seen = progress if progress is not None else []
    return stage.run(ctx)


@pytest.mark.parametrize(
    "minutes", [30, pytest.param(180, marks=pytest.mark.slow, id="three-hours")]
)
def test_normaliser_streams_a_long_recording(
    archive: Archive, tmp_path: Path, minutes: int
) -> None:
    long = mediagen.make_long_audio(tmp_path / "long.m4a", minutes * 60)
    progress: list[float] = []
    probed = drive(archive, FfprobeMetadata(), long, tmp_path / "w1", {})
    assert probed.item_info["duration_s"] == pytest.approx(minutes * 60, abs=1)
    tracemalloc.start()
    try:
        previous = {"ffprobe_metadata": probed.data}
        result = drive(archive, FfmpegNormaliser(), long, tmp_path / "w2", previous, progress)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (audio,) = result.derivatives
    assert audio.kind == "audio_16k"
    assert audio.info["duration_s"] == pytest.approx(minutes * 60, abs=1)
    # 16 kHz mono 16-bit is 1.9 MB a minute before FLAC: none of it passes through Python.
    assert audio.blob.size > minutes * 100_000
    assert peak < 4 << 20, f"Python peaked at {peak} bytes"
    # ffmpeg reports twice a second: reports on the way, in order, ending at the end.
    assert progress == sorted(progress) and progress[-1] >= 0.99
    assert any(0.01 < p < 0.99 for p in progress), progress
