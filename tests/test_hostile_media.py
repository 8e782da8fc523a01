"""Originals that name other files: ffmpeg and ffprobe never follow them.

ffmpeg, left to itself, follows what a "recording" names inside it: an HLS playlist's
segments, a concat script's files, a DASH manifest's BaseURL, and reads them as if they
were the item. Each trick below points at a real recording outside the archive in which
espeak says a secret word; had ffmpeg followed it, the word would be in a transcript, and
hashes and working copies would be made of the wrong file. (Debian's ffmpeg already refuses
an HLS segment named /etc/passwd and absolute paths in a concat script; the guard does not
rely on either.)

Identification sends a playlist in plain text to the document stages, so the real CLI run
only shows the end result; the ID3-disguised playlists, which libmagic takes for an MPEG
transport stream, do reach ffprobe. Each media stage is therefore also driven directly on
every trick: each of those checks fails when `media_input`'s guard is taken out of that stage.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sijill.errors import ConfigError, InputRejected
from sijill.pipeline.stage import ItemInfo, Stage
from sijill.pipeline.stages.ffmpeg_normaliser import FfmpegNormaliser
from sijill.pipeline.stages.ffprobe_metadata import FfprobeMetadata
from sijill.pipeline.stages.pdq_hasher import PdqHasher
from sijill.pipeline.stages.whisper_transcriber import audio_windows
from sijill.tools.ffmpeg import MEDIA_FORMATS, NOT_A_RECORDING, input_args, input_options
from tests.conftest import CLI

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
    reason="espeak-ng and ffmpeg are needed to make the referenced recordings",
)

SECRET = "marmalade"  # spoken in the referenced recordings, written nowhere
FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def _ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True, capture_output=True, timeout=60)


def make_referenced(folder: Path) -> tuple[Path, Path]:
    """Recordings outside the archive, saying the secret: a video (MPEG-TS, for HLS and
    concat) and an audio-only M4A (for DASH)."""
    wav = folder / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-w", str(wav), f"The password is {SECRET}. I repeat, {SECRET}."],
        check=True,
        capture_output=True,
        timeout=60,
    )
    video, audio = folder / "evidence.ts", folder / "evidence.m4a"
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-i", str(wav), "-shortest"),
        *("-map", "0:v", "-map", "1:a", "-c:v", "mpeg2video", "-c:a", "mp2", str(video)),
    )
    _ffmpeg("-i", str(wav), "-c:a", "aac", str(audio))
    return video, audio


def hls(*segments: str) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:10"]
    for s in segments:
        lines += ["#EXTINF:10,", s]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def ffconcat(*files: str) -> bytes:
    return ("ffconcat version 1.0\n" + "".join(f"file {f}\n" for f in files)).encode()


def dash(url: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"
     profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"
     mediaPresentationDuration="PT4S" minBufferTime="PT1S">
 <Period><AdaptationSet mimeType="audio/mp4">
  <Representation id="a" bandwidth="64000" codecs="mp4a.40.2" audioSamplingRate="22050">
   <BaseURL>{url}</BaseURL>
  </Representation>
 </AdaptationSet></Period>
</MPD>
""".encode()


def id3_disguised(payload: bytes) -> bytes:
    """`payload` behind an ID3v2 tag shaped so that libmagic and our identification take the
    file for an MPEG transport stream (0x47 every 192 bytes from offset 4). ffmpeg skips ID3
    tags before probing and before reading, so it sees only the playlist."""
    body = bytearray(1000)
    for at in range(4 + 192, 10 + len(body), 192):
        body[at - 10] = 0x47
    n = len(body)
    size = bytes([(n >> 21) & 127, (n >> 14) & 127, (n >> 7) & 127, n & 127])
    return b"ID3\x04\x47\x00" + size + bytes(body) + payload


@pytest.fixture(scope="module")
def tricks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each trick next to the recordings, so a relative name (concat) reaches them too."""
    folder = tmp_path_factory.mktemp("tricks")
    video, audio = make_referenced(folder)
    files = {
        "hls.mp4": hls(str(video)),
        "concat.m4a": ffconcat(video.name),
        "dash.mp4": dash(str(audio)),
        "id3-hls.mp3": id3_disguised(hls(str(video))),
        "id3-concat.mp3": id3_disguised(ffconcat(video.name)),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


# Tricks whose target has a picture (the DASH one points at the audio-only recording).
WITH_VIDEO = ("hls.mp4", "concat.m4a", "id3-hls.mp3", "id3-concat.mp3")
ALL = (*WITH_VIDEO, "dash.mp4")


@pytest.mark.parametrize("name", ALL)
def test_plain_ffmpeg_follows_the_trick(name: str, tricks: dict[str, Path]) -> None:
    """The tricks are real: ffmpeg without the guard decodes the referenced recording (newer
    ffmpeg releases refuse some by themselves, e.g. HLS under a name other than .m3u8)."""
    cmd = [*FFMPEG[:-1], "-i", str(tricks[name]), "-map", "0:a:0", "-f", "s16le", "pipe:1"]
    out = subprocess.run(cmd, capture_output=True, timeout=60, check=False).stdout
    if len(out) < 16000:  # half a second of the referenced speech
        pytest.skip(f"this ffmpeg does not follow {name} by itself")


def _item(path: Path, kind: str) -> ItemInfo:
    return ItemInfo(
        id="x",
        sha256="0" * 64,
        size=path.stat().st_size,
        name=path.name,
        mime="video/mp4" if kind == "video" else "audio/mp4",
        kind=kind,
        depth=0,
        case="default",
    )


def _run(stage: Stage, path: Path, work: Path, kind: str, previous: dict[str, Any]) -> Any:
    """Run `stage` on `path` with a stand-in for the worker's context."""
    work.mkdir(exist_ok=True)
    ctx = SimpleNamespace(
        item=_item(path, kind),
        config=dict(stage.defaults),
        input_path=path,
        workdir=work,
        previous=previous,
        text_units=[],
        progress=lambda _f: None,
        store_file=lambda _p: SimpleNamespace(name="stored"),
    )
    return stage.run(ctx)  # type: ignore[arg-type]


def _expect_refusal(name: str, call: Callable[..., Any], *args: Any) -> None:
    try:
        result = call(*args)
    except InputRejected as exc:
        assert exc.status == "invalid", (name, exc.status)
        assert SECRET not in str(exc)
        return
    raise AssertionError(f"{name}: read the file it names and gave {result!r:.300}")


@pytest.mark.parametrize("name", ALL)
def test_ffprobe_metadata_refuses(name: str, tricks: dict[str, Path], tmp_path: Path) -> None:
    _expect_refusal(name, _run, FfprobeMetadata(), tricks[name], tmp_path, "video", {})


@pytest.mark.parametrize("name", ALL)
def test_whisper_audio_decoder_refuses(name: str, tricks: dict[str, Path]) -> None:
    _expect_refusal(name, lambda p: list(audio_windows(p, 60.0)), tricks[name])


@pytest.mark.parametrize("name", ALL)
def test_normaliser_refuses(name: str, tricks: dict[str, Path], tmp_path: Path) -> None:
    # What ffprobe would have said had it followed the trick: the speech is stream 1 of the
    # video, stream 0 of the audio-only recording; no demuxer named, as if none was found.
    probe = {"has_audio": True, "audio_index": 0 if name == "dash.mp4" else 1, "duration_s": 4.0}
    previous = {"ffprobe_metadata": probe}
    _expect_refusal(name, _run, FfmpegNormaliser(), tricks[name], tmp_path, "video", previous)


@pytest.mark.parametrize("name", WITH_VIDEO)
def test_pdq_frame_decoder_refuses(name: str, tricks: dict[str, Path], tmp_path: Path) -> None:
    _expect_refusal(name, _run, PdqHasher(), tricks[name], tmp_path, "video", {})


def test_guard_options() -> None:
    args = input_args(Path("/work/original"))
    assert args[:4] == ["-protocol_whitelist", "file", "-format_whitelist", MEDIA_FORMATS]
    assert args[-2:] == ["-i", "file:/work/original"]
    # The demuxer ffprobe found is forced, and allowed.
    opts = input_options("mov,wav", demuxer="dhav")
    assert opts == [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        "mov,wav,dhav",
        "-f",
        "dhav",
    ]
    assert input_options("mov,wav", demuxer="mov")[-3:] == ["mov,wav", "-f", "mov"]
    # Demuxers that follow references are refused even when a case names them.
    for formats, demuxer in (("mov,hls", None), ("concat", None), ("mov", "dash")):
        with pytest.raises(ConfigError, match="open other files"):
            input_options(formats, demuxer)
    # A case configuring ffprobe_metadata with a playlist demuxer gets an error, not a probe.
    stage = FfprobeMetadata()
    ctx = SimpleNamespace(
        item=_item(Path(__file__), "audio"),
        config=dict(stage.defaults, formats=f"{MEDIA_FORMATS},hls"),
        input_path=Path(__file__),
        workdir=Path("/nonexistent"),
        previous={},
    )
    with pytest.raises(ConfigError):
        stage.run(ctx)  # type: ignore[arg-type]


@pytest.mark.slow
def test_cli_run_never_follows_a_reference(cli: CLI, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    video, audio = make_referenced(outside)
    src = tmp_path / "in"
    src.mkdir()
    hostile = {
        "interview.mp4": hls(str(video)),
        "passwd.mp4": hls("/etc/passwd"),
        "voice.m4a": ffconcat(str(video)),
        "statement.mp4": dash(str(audio)),
        "call.mp3": id3_disguised(hls(str(video))),
        "memo.mp3": id3_disguised(ffconcat(str(video))),
    }
    for name, data in hostile.items():
        (src / name).write_bytes(data)
    cli("ingest", str(src))
    cli("run")
    items = {i["name"]: i for i in cli.json("items")["items"]}
    assert set(items) == set(hostile)
    for name, it in items.items():
        detail = cli.json("show", it["id"])
        stages = {s["stage"]: s for s in detail["stages"]}
        # Either a text document (never given to ffmpeg) or refused media: nothing derived.
        if it["kind"] == "document":
            media_stages = {"ffprobe_metadata", "ffmpeg_normaliser", "video_proxy", "pdq_hasher"}
            assert not media_stages & set(stages)
        else:
            assert (it["kind"], it["status"]) == ("video", "invalid"), (name, it)
            why = f"ffprobe_metadata: the video cannot be read: {NOT_A_RECORDING}"
            assert it["status_reason"].startswith(why), it
        assert detail["derivatives"] == [], name
        assert "ffprobe" not in detail["metadata"], name
        assert not any(SECRET in u["text"].lower() for u in detail["text_units"]), name
        assert "whisper_transcriber" not in stages or not detail["text_units"], name
        similar = cli.json("similar", it["id"])
        assert similar["total"] == 0 and "no perceptual hashes" in similar["note"], name
    # The disguised playlists reached the media stages and were refused there.
    for name in ("call.mp3", "memo.mp3"):
        assert items[name]["mime"] == "video/mp2t", items[name]
    assert cli.json("search", SECRET)["total"] == 0
    assert cli.json("search", "nologin")["total"] == 0  # a word of /etc/passwd
