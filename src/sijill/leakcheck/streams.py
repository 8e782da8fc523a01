"""Audio and video containers through ffprobe: streams, chapters and container tags.

A publication copy holds at most one video and one audio stream and nothing else. A phone's
GPS track rides in a subtitle or data stream, a cover photo in an attached picture, a
producer's notes in chapters and tags; exiftool alone has missed such streams before, so the
leak check asks ffprobe, an independent demuxer, as well.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sijill.errors import StageError
from sijill.tools import run_tool


def _unversioned(v: str) -> bool:
    # Bit-exact ffmpeg writes "Lavf" / "Lavc libx264"; the version would narrow down the build.
    return re.fullmatch(r"(Lavf|Lavc [a-z0-9_]+)?", v) is not None


_FORMAT_TAGS: dict[str, Callable[[str], bool]] = {
    "major_brand": lambda v: v.strip() in ("isom", "mp42", "mp41", "M4A", "dash", "iso5", "iso6"),
    "minor_version": lambda v: v.isdigit(),
    "compatible_brands": lambda v: re.fullmatch(r"[A-Za-z0-9 ]*", v) is not None,
    "encoder": _unversioned,
}
_STREAM_TAGS: dict[str, Callable[[str], bool]] = {
    "language": lambda v: v == "und",
    "handler_name": lambda v: v in ("VideoHandler", "SoundHandler"),
    "vendor_id": lambda v: v == "[0][0][0][0]",
    "encoder": _unversioned,
    "duration": lambda v: re.fullmatch(r"[\d:.]+", v) is not None,
}


@dataclass
class StreamIssue:
    where: str
    what: str


@dataclass
class Probe:
    duration: float | None = None
    video: int = 0
    audio: int = 0
    width: int = 0
    height: int = 0
    issues: list[StreamIssue] = field(default_factory=list)
    tag_texts: list[tuple[str, str]] = field(default_factory=list)  # (where, value) for terms


def ffprobe(path: Path) -> dict[str, Any]:
    try:
        proc = run_tool(
            [
                "ffprobe", "-v", "error", "-show_streams", "-show_format", "-show_chapters",
                "-of", "json", str(path),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StageError(f"ffprobe failed: {exc}") from exc
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise StageError(f"ffprobe cannot read it: {msg[-1] if msg else proc.returncode}")
    try:
        doc: dict[str, Any] = json.loads(proc.stdout.decode("utf-8", "replace"))
    except json.JSONDecodeError as exc:
        raise StageError(f"ffprobe gave unreadable output: {exc}") from exc
    return doc


def _tags(
    tags: dict[str, Any] | None, rules: dict[str, Callable[[str], bool]], where: str, p: Probe
) -> None:
    for key, value in (tags or {}).items():
        text = str(value)
        p.tag_texts.append((f"{where} tag {key}", text))
        rule = rules.get(key.lower())
        if rule is None or not rule(text):
            p.issues.append(StreamIssue(where, f"tag {key}={text[:80]}"))


def probe(path: Path) -> Probe:
    """Check the streams of a media file; raises StageError when ffprobe cannot read it."""
    doc = ffprobe(path)
    p = Probe()
    fmt = doc.get("format") or {}
    try:
        p.duration = float(fmt["duration"]) if fmt.get("duration") else None
    except ValueError:
        p.duration = None
    _tags(fmt.get("tags"), _FORMAT_TAGS, "container", p)
    for ch in doc.get("chapters") or []:
        title = (ch.get("tags") or {}).get("title", "")
        p.issues.append(
            StreamIssue(f"chapter {ch.get('id')}", f"a chapter{': ' + title if title else ''}")
        )
        _tags(ch.get("tags"), {}, f"chapter {ch.get('id')}", p)
    for s in doc.get("streams") or []:
        kind = s.get("codec_type", "unknown")
        where = f"stream {s.get('index')} ({kind})"
        attached = (s.get("disposition") or {}).get("attached_pic") == 1
        if attached:
            p.issues.append(StreamIssue(where, "an attached picture (cover art)"))
        elif kind == "video":
            p.video += 1
            if p.video == 1:
                p.width, p.height = int(s.get("width") or 0), int(s.get("height") or 0)
        elif kind == "audio":
            p.audio += 1
        else:
            codec = s.get("codec_name") or s.get("codec_tag_string") or "unknown codec"
            p.issues.append(StreamIssue(where, f"a {kind} stream ({codec})"))
        _tags(s.get("tags"), _STREAM_TAGS, where, p)
    if p.video > 1:
        p.issues.append(StreamIssue("streams", f"{p.video} video streams (at most one)"))
    if p.audio > 1:
        p.issues.append(StreamIssue("streams", f"{p.audio} audio streams (at most one)"))
    return p
