"""Probe audio and video with ffprobe: format, streams and chapters, kept as sealed evidence.

Also finds whether a recording carries its location: a tag (QuickTime `location`, Apple
ISO 6709), a GPS data stream (GoPro gpmd, Google camm, NMEA sentences) or subtitles with
coordinates (dashcams, drones). The first minutes of subtitle and data streams are read
with ffmpeg to check. Media ffprobe cannot read, or with nothing in it, is `invalid`.

ffmpeg and ffprobe only read plain files here, and only the demuxers of recordings:
playlists and concat lists, which point at other files, are never opened (`media_input`).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from sijill.errors import InputRejected, StageError
from sijill.pipeline.stage import Stage, StageContext, StageResult
from sijill.tools import run_tool
from sijill.tools.ffmpeg import (
    MEDIA_FORMATS,
    input_args,
    input_options,
    source,
    tool,
    tool_message,
)

_TEXT_SUBTITLES = frozenset({"mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"})
_GPS_DATA_TAGS = frozenset({"gpmd", "camm", "gps "})
_GPS_HANDLER = re.compile(r"gps|gopro met|camm|location", re.IGNORECASE)
_LOCATION_KEY = re.compile(r"location|gps|iso6709|xyz", re.IGNORECASE)
_COORDINATES = [
    # A word for a position followed by a decimal number: "GPS (38.98, 36.12)", "lat: 36.1".
    re.compile(
        r"\b(?:gps|lat|latitude|lon|long|longitude|longtitude|lng)\b\W{0,6}[-+]?\d{1,3}\.\d{3,}",
        re.IGNORECASE,
    ),
    # A decimal pair: "36.123456 38.987654", "36.1234, -3.9876".
    re.compile(r"(?<![\d.])[-+]?\d{1,2}\.\d{4,}\s*[,; ]\s*[-+]?\d{1,3}\.\d{4,}(?![\d.])"),
    # ISO 6709: "+36.1234+038.9876/".
    re.compile(r"[-+]\d{2}\.\d{2,}[-+]\d{3}\.\d{2,}"),
    # Degrees, minutes, seconds: 36°7'24.2"N.
    re.compile(r"\d{1,3}°\s*\d{1,2}['′]\s*[\d.]+[\"″]?\s*[NSEW]"),
    # NMEA sentences from a GPS receiver: $GPRMC, $GNGGA...
    re.compile(r"\$G[A-Z]{1,2}(?:RMC|GGA|GLL|GNS)\b"),
    # GoPro metadata keys for its GPS streams.
    re.compile(r"GPS[59U]"),
]
_SAMPLE_BYTES = 65536
_MAX_SAMPLED = 8  # streams read per item, so many streams cannot outlast the stage's limit


def has_coordinates(text: str) -> bool:
    return any(p.search(text) for p in _COORDINATES)


def _number(value: object) -> float | None:
    try:
        n = float(str(value))
    except ValueError:
        return None
    return n if n == n and n not in (float("inf"), float("-inf")) else None


def _tag(stream: dict[str, Any]) -> str:
    """A stream's codec tag when it is a readable fourcc (gpmd, tx3g), else its codec name."""
    tag = str(stream.get("codec_tag_string") or "")
    if tag and "[" not in tag and tag.isprintable():
        return tag
    return str(stream.get("codec_name") or "unknown")


def _rate(value: object) -> float | None:
    num, _, den = str(value or "").partition("/")
    a, b = _number(num), _number(den or "1")
    return round(a / b, 3) if a and b else None


class FfprobeMetadata(Stage):
    name = "ffprobe_metadata"
    version = 1
    description = "ffprobe JSON of audio and video (format, streams, chapters); finds location"
    kinds: ClassVar[frozenset[str]] = frozenset({"video", "audio"})
    tools: ClassVar[tuple[str, ...]] = ("ffprobe", "ffmpeg")
    defaults: ClassVar[dict[str, Any]] = {
        "probe_timeout_s": 120,
        "scan_s": 600,
        "formats": MEDIA_FORMATS,
    }
    config_help: ClassVar[dict[str, str]] = {
        "probe_timeout_s": "longest one ffprobe or ffmpeg call may take",
        "scan_s": "seconds of subtitle and data streams read to look for coordinates",
        "formats": "ffmpeg demuxers that may open an item (comma-separated)",
    }
    timeout_s = 600

    def run(self, ctx: StageContext) -> StageResult:
        what = ctx.item.kind
        timeout = float(ctx.config["probe_timeout_s"])
        formats = str(ctx.config["formats"])
        probe = self._probe(ctx.input_path, what, timeout, formats)
        probe.get("format", {}).pop("filename", None)  # our temp copy, not the evidence
        streams: list[dict[str, Any]] = probe.get("streams", [])
        fmt: dict[str, Any] = probe.get("format", {})
        video = [
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ]
        audio = [s for s in streams if s.get("codec_type") == "audio"]
        if not video and not audio:
            raise InputRejected(
                f"the {what} holds no audio or video stream ({len(streams)} other streams)",
                status="invalid",
            )
        duration = _number(fmt.get("duration"))
        if duration is None or duration <= 0:
            durations = [d for s in streams if (d := _number(s.get("duration"))) is not None]
            duration = max(durations) if durations and max(durations) > 0 else None
        if duration is None and not self._has_packets(ctx.input_path, timeout, formats):
            raise InputRejected(
                f"the {what} is empty: zero duration, no audio or video data", status="invalid"
            )

        info: dict[str, Any] = {
            "duration_s": round(duration, 3) if duration else None,
            "has_video": bool(video),
            "has_audio": bool(audio),
            "media_kind": "video" if video else "audio",
            "container": fmt.get("format_name"),
        }
        if video:
            info["video"] = self._video_info(video[0])
        if audio:
            a = audio[0]
            info["audio"] = {
                "codec": a.get("codec_name"),
                "rate": int(_number(a.get("sample_rate")) or 0) or None,
                "channels": a.get("channels"),
            }
        subs = [s for s in streams if s.get("codec_type") == "subtitle"]
        data = [s for s in streams if s.get("codec_type") == "data"]
        info["subtitle_streams"] = len(subs)
        info["subtitle_codecs"] = [s.get("codec_name") or _tag(s) for s in subs]
        info["data_streams"] = len(data)
        info["data_codecs"] = [_tag(s) for s in data]
        sources, samples = self._location(ctx, fmt, streams, subs, data)
        info["has_location_stream"] = bool(sources)
        info["location_sources"] = sources
        if sources:
            info["has_gps"] = True  # the key exiftool_metadata sets for photos
        metadata: dict[str, dict[str, Any]] = {"ffprobe": probe}
        if samples:
            metadata["media_location"] = {"samples": samples}
        return StageResult(
            data={
                "format": fmt.get("format_name"),
                "streams": len(streams),
                "duration_s": info["duration_s"],
                "has_video": bool(video),
                "has_audio": bool(audio),
                "video_index": video[0].get("index") if video else None,
                "audio_index": audio[0].get("index") if audio else None,
                # What the header promises for the audio; a cut-off file delivers less.
                "audio_duration_s": _number(audio[0].get("duration")) if audio else None,
                "has_location_stream": bool(sources),
            },
            metadata=metadata,
            item_info=info,
        )

    def _probe(self, path: Path, what: str, timeout: float, formats: str) -> dict[str, Any]:
        cmd = [tool("ffprobe"), "-v", "error", *input_options(formats)]
        cmd += ["-print_format", "json", "-show_format", "-show_streams", "-show_chapters"]
        try:
            proc = run_tool([*cmd, source(path)], capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StageError(f"ffprobe took longer than {timeout:.0f} s") from exc
        if proc.returncode != 0:
            reason = tool_message(proc.stderr) or f"ffprobe exited with {proc.returncode}"
            raise InputRejected(f"the {what} cannot be read: {reason}", status="invalid")
        try:
            probe = json.loads(proc.stdout.decode("utf-8", "replace"))
        except ValueError as exc:
            raise StageError(f"ffprobe gave output that is not JSON: {exc}") from exc
        if not isinstance(probe, dict):
            raise StageError("ffprobe gave output that is not a JSON object")
        return probe

    def _has_packets(self, path: Path, timeout: float, formats: str) -> bool:
        """Whether any audio or video packet can be read (for files that state no duration)."""
        cmd = [tool("ffprobe"), "-v", "error", *input_options(formats), "-read_intervals"]
        cmd += ["%+#4", "-show_entries", "packet=codec_type,size", "-of", "json", source(path)]
        try:
            proc = run_tool(cmd, capture_output=True, timeout=timeout, check=False)
            packets = json.loads(proc.stdout or b"{}").get("packets", [])
        except (subprocess.TimeoutExpired, ValueError):
            return True  # cannot tell; let the later stages try
        return any(
            p.get("codec_type") in ("audio", "video") and int(p.get("size", 0)) > 0 for p in packets
        )

    @staticmethod
    def _video_info(v: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "w": v.get("width"),
            "h": v.get("height"),
            "codec": v.get("codec_name"),
            "fps": _rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate")),
        }
        for side in v.get("side_data_list", []):
            if "rotation" in side:
                out["rotation"] = side["rotation"]
        if "rotate" in v.get("tags", {}):
            out["rotation"] = _number(v["tags"]["rotate"])
        return out

    def _location(
        self,
        ctx: StageContext,
        fmt: dict[str, Any],
        streams: list[dict[str, Any]],
        subs: list[dict[str, Any]],
        data: list[dict[str, Any]],
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Where the recording carries a position: tags, GPS streams, subtitles with coordinates."""
        sources: list[str] = []
        for key, value in (fmt.get("tags") or {}).items():
            if str(value).strip() and (_LOCATION_KEY.search(key) or has_coordinates(str(value))):
                sources.append(f"format tag {key}")
        for s in streams:
            for key, value in (s.get("tags") or {}).items():
                if key == "handler_name":
                    continue
                if str(value).strip() and (
                    _LOCATION_KEY.search(key) or has_coordinates(str(value))
                ):
                    sources.append(f"stream {s.get('index')} tag {key}")
        samples: list[dict[str, Any]] = []
        budget = [_MAX_SAMPLED]
        for s in data:
            tag = _tag(s)
            handler = str((s.get("tags") or {}).get("handler_name", ""))
            label = f"stream {s.get('index')} (data, {tag})"
            if tag in _GPS_DATA_TAGS or _GPS_HANDLER.search(handler):
                sources.append(f"{label}: GPS track")
                continue
            if tag == "tmcd":
                continue  # timecode
            text = self._sample(ctx, s, budget, subtitle=False)
            if has_coordinates(text):
                sources.append(f"{label}: coordinates in its data")
                samples.append(self._evidence(s, text))
        for s in subs:
            if s.get("codec_name") not in _TEXT_SUBTITLES:
                continue  # bitmap subtitles cannot be read as text
            text = self._sample(ctx, s, budget, subtitle=True)
            if has_coordinates(text):
                sources.append(
                    f"stream {s.get('index')} (subtitle, {s.get('codec_name')}): "
                    "coordinates in its text"
                )
                samples.append(self._evidence(s, text))
        return sources, samples

    def _sample(
        self, ctx: StageContext, stream: dict[str, Any], budget: list[int], subtitle: bool
    ) -> str:
        """The first minutes of one subtitle (as SRT text) or data stream, at most 64 KB."""
        if budget[0] <= 0:
            return ""
        budget[0] -= 1
        out = ctx.workdir / f"stream-{int(stream.get('index', 0))}.sample"
        codec = ["-c:s", "srt", "-f", "srt"] if subtitle else ["-c", "copy", "-f", "data"]
        cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error"]
        cmd += ["-t", str(ctx.config["scan_s"])]
        cmd += input_args(ctx.input_path, str(ctx.config["formats"]))
        cmd += ["-map", f"0:{int(stream.get('index', 0))}"]
        cmd += [*codec, "-fs", str(_SAMPLE_BYTES), "-y", str(out)]
        try:
            run_tool(
                cmd,
                capture_output=True,
                timeout=float(ctx.config["probe_timeout_s"]),
                check=False,
            )
            with open(out, "rb") as f:
                return f.read(_SAMPLE_BYTES).decode("utf-8", "replace")
        except (subprocess.TimeoutExpired, OSError):
            return ""  # unreadable stream: nothing found, nothing claimed
        finally:
            out.unlink(missing_ok=True)

    @staticmethod
    def _evidence(stream: dict[str, Any], text: str) -> dict[str, Any]:
        lines = [ln.strip() for ln in text.splitlines() if has_coordinates(ln)]
        return {
            "stream": stream.get("index"),
            "codec": stream.get("codec_name"),
            "lines": lines[:5],
        }
