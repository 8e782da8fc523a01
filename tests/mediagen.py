"""Small real audio and video files for tests, made with ffmpeg (lavfi) and espeak-ng.

Every file is a few seconds at most and tiny. Pass a different `tone` to get different
bytes: the archive keeps identical content once.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]

# Video and audio encoders per container, all in Debian's ffmpeg.
_VIDEO = {
    "mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mov": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "3gp": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k"],
    "ts": ["-c:v", "mpeg2video"],
    "avi": ["-c:v", "mpeg4"],
}
_AUDIO = {
    "mp4": ["-c:a", "aac"],
    "mov": ["-c:a", "aac"],
    "mkv": ["-c:a", "aac"],
    "3gp": ["-c:a", "aac", "-ac", "1"],
    "webm": ["-c:a", "libopus"],
    "ts": ["-c:a", "mp2"],
    "avi": ["-c:a", "libmp3lame"],
    "m4a": ["-c:a", "aac"],
    "mp3": ["-c:a", "libmp3lame"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-f", "ogg"],
    "wav": ["-c:a", "pcm_s16le"],
    "flac": ["-c:a", "flac"],
}


def _ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True, capture_output=True, timeout=120)


def _fmt(path: Path, fmt: str | None) -> str:
    return (fmt or path.suffix.lstrip(".")).lower()


def make_video(
    path: Path,
    seconds: float = 2.0,
    size: str = "160x120",
    with_audio: bool = True,
    fmt: str | None = None,
    tone: int = 440,
    rate: int = 10,
    extra: tuple[str, ...] = (),
) -> Path:
    """A test-pattern video (testsrc2), with a sine tone unless `with_audio` is False."""
    f = _fmt(path, fmt)
    args = ["-f", "lavfi", "-t", str(seconds), "-i", f"testsrc2=size={size}:rate={rate}"]
    if with_audio:
        tone_src = f"sine=frequency={tone}:sample_rate=16000"
        args += ["-f", "lavfi", "-t", str(seconds), "-i", tone_src]
        args += ["-map", "0:v", "-map", "1:a", *_AUDIO[f]]
    else:
        # Distinct bytes per tone without audio: a tone-dependent title.
        args += ["-map", "0:v", "-metadata", f"title=silent {tone}"]
    _ffmpeg(*args, *_VIDEO[f], *extra, str(path))
    return path


def make_audio(path: Path, seconds: float = 2.0, fmt: str | None = None, tone: int = 440) -> Path:
    """A voice-memo stand-in: a sine tone over soft noise, in the container `fmt`."""
    f = _fmt(path, fmt)
    if f == "amr":
        return make_amr(path, seconds, tone)
    graph = (
        f"sine=frequency={tone}:sample_rate=16000:duration={seconds}[s];"
        f"anoisesrc=color=pink:amplitude=0.05:sample_rate=16000:duration={seconds}[n];"
        "[s][n]amix=inputs=2[out]"
    )
    codec = _AUDIO["m4a" if f == "mp4" else f]
    _ffmpeg("-filter_complex", graph, "-map", "[out]", *codec, str(path))
    return path


def make_long_audio(path: Path, seconds: float, tone: int = 300) -> Path:
    """A long recording made fast: an 8 kHz tone in 16 kbit/s AAC (30 minutes in ~3 s)."""
    src = f"sine=frequency={tone}:sample_rate=8000:duration={seconds}"
    _ffmpeg("-f", "lavfi", "-i", src, "-c:a", "aac", "-b:a", "16k", str(path))
    return path


def make_amr(path: Path, seconds: float = 2.0, tone: int = 440) -> Path:
    """AMR-NB (old phones' voice memos). Debian's ffmpeg can read AMR but not write it, so
    the frames are written by hand: 12.2 kbit/s frames of 20 ms, the payload varied by tone."""
    frames = max(1, int(seconds * 50))
    body = bytearray(b"#!AMR\n")
    for i in range(frames):
        body += bytes([0x3C]) + bytes((tone + i * 7 + j) % 256 for j in range(31))
    path.write_bytes(bytes(body))
    return path


def make_speech(path: Path, text: str, voice: str = "en", fmt: str | None = None) -> Path:
    """Spoken `text` (espeak-ng), converted to the container `fmt` (wav as made otherwise)."""
    f = _fmt(path, fmt)
    wav = path.with_name(path.stem + ".espeak.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, capture_output=True
    )
    if f == "wav":
        wav.replace(path)
    else:
        _ffmpeg("-i", str(wav), *_AUDIO["m4a" if f == "mp4" else f], str(path))
        wav.unlink()
    return path


GPS_LINES = ("GPS 36.123456 38.987654 alt 412m", "GPS 36.123470 38.987660 alt 413m")


def make_gps_video(path: Path, location_tag: bool = True, seconds: float = 2.0) -> Path:
    """A phone-style MP4 whose subtitle track (mov_text) carries GPS coordinates, with
    creation_time, title and (unless `location_tag` is False) an ISO 6709 location tag."""
    srt = path.with_name(path.stem + ".srt")
    step = seconds / len(GPS_LINES)
    cues = []
    for i, line in enumerate(GPS_LINES):
        cues.append(f"{i + 1}\n{_srt_time(i * step)} --> {_srt_time((i + 1) * step)}\n{line}\n")
    srt.write_text("\n".join(cues))
    args = ["-f", "lavfi", "-t", str(seconds), "-i", "testsrc2=size=160x120:rate=10"]
    args += ["-f", "lavfi", "-t", str(seconds), "-i", "sine=frequency=660:sample_rate=16000"]
    args += ["-i", str(srt), "-map", "0:v", "-map", "1:a", "-map", "2:s"]
    args += [*_VIDEO["mp4"], *_AUDIO["mp4"], "-c:s", "mov_text"]
    args += ["-metadata", "creation_time=2024-03-01T10:00:00Z", "-metadata", "title=Testimony 7"]
    args += ["-metadata", "encoder=Phone Camera"]
    if location_tag:
        args += ["-metadata", "location=+36.1234+038.9876/"]
    _ffmpeg(*args, str(path))
    srt.unlink()
    return path


NMEA = b"$GPRMC,123519,A,3607.407,N,03859.259,E,022.4,084.4,230394,003.1,W*6A\r\n"


def make_nmea_ts(path: Path, seconds: float = 2.0) -> Path:
    """A dashcam-style MPEG transport stream with a data stream of NMEA GPS sentences."""
    nmea = path.with_name(path.stem + ".nmea")
    nmea.write_bytes(NMEA * 20)
    args = ["-f", "lavfi", "-t", str(seconds), "-i", "testsrc2=size=160x120:rate=10"]
    args += ["-f", "data", "-i", str(nmea), "-map", "0:v", "-map", "1:d", *_VIDEO["ts"]]
    _ffmpeg(*args, "-c:d", "copy", str(path))
    nmea.unlink()
    return path


def make_empty_wav(path: Path) -> Path:
    """A valid WAV container holding no samples (zero duration)."""
    _ffmpeg("-f", "lavfi", "-i", "sine=sample_rate=16000", "-t", "0", *_AUDIO["wav"], str(path))
    return path


def truncate(src: Path, dest: Path, fraction: float = 0.5) -> Path:
    """The first `fraction` of `src`, as an interrupted download or copy leaves it."""
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def _srt_time(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
