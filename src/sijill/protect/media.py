"""The publication file of a video or recording: one picture and/or one voice, nothing else.

`mux` puts together what protection made (the video-only MP4 of `video.anonymise_video`, the
re-spoken WAV of `voice`) in a new MP4, or an M4A when there is only sound. Only the streams
named are mapped, so no metadata, chapter, subtitle, data stream or attachment of anything
can come along; bit-exact flags keep the muxer's and encoders' version strings out (the handler
names become the generic "VideoHandler"/"SoundHandler"), and a stream copy carries no encoder
tag.
The video is copied as it is, the sound encoded to AAC.

`probe` reads what a written file holds (ffprobe JSON), for checks and tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sijill.errors import ConfigError, StageError
from sijill.tools import run_tool
from sijill.tools.ffmpeg import tool


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's streams and format of a file we wrote (not for originals: no confinement)."""
    cmd = [tool("ffprobe"), "-v", "error", "-show_streams", "-show_format", "-show_chapters"]
    cmd += ["-of", "json", f"file:{path}"]
    proc = run_tool(cmd, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip()
        raise StageError(f"ffprobe could not read {path.name}: {why}")
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def mux(dst: Path, *, video: Path | None = None, audio: Path | None = None) -> None:
    """Write `dst` with exactly one video stream copied from `video` and/or one AAC stream
    made from `audio`; MP4 when there is video, M4A (or MP4) for sound alone."""
    if video is None and audio is None:
        raise ConfigError("nothing to put in the publication file: no video and no audio")
    suffix = dst.suffix.lower()
    if video is not None and suffix != ".mp4":
        raise ConfigError(f"a publication video is written as .mp4, not {suffix or 'no suffix'}")
    if video is None and suffix not in (".m4a", ".mp4"):
        raise ConfigError(f"publication sound is written as .m4a, not {suffix or 'no suffix'}")
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    maps: list[str] = []
    n = 0
    if video is not None:
        cmd += ["-i", f"file:{video}"]
        maps += ["-map", f"{n}:v:0", "-c:v", "copy", "-flags:v", "+bitexact"]
        maps += ["-metadata:s:v:0", "language=und"]
        n += 1
    if audio is not None:
        cmd += ["-i", f"file:{audio}"]
        maps += ["-map", f"{n}:a:0", "-c:a", "aac", "-b:a", "128k", "-flags:a", "+bitexact"]
        maps += ["-metadata:s:a:0", "language=und"]
    cmd += maps
    cmd += ["-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn"]
    cmd += ["-fflags", "+bitexact", "-movflags", "+faststart"]
    cmd += ["-f", "ipod" if suffix == ".m4a" else "mp4"]
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.stem}-", suffix=".part", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            proc = run_tool([*cmd, str(tmp)], capture_output=True, timeout=3600, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StageError(
                "ffmpeg took longer than an hour to write the publication file"
            ) from exc
        if proc.returncode != 0:
            why = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise StageError(f"ffmpeg could not write the publication file: {'; '.join(why)}")
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
