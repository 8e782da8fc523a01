"""A transcript as subtitles or text: SRT, WebVTT, plain text with times, or JSON.

One renderer for every face and for the publication copies (burned-in or side-car subtitles),
so the escaping rules (a cue may not hold "-->"; VTT reserves & < >) are written once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

FORMATS = ("srt", "vtt", "txt", "json")


def _stamp(seconds: float | None, sep: str) -> str:
    ms = max(0, round((seconds or 0.0) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02}:{m:02}:{s:02}{sep}{ms:03}"


def render(doc: Mapping[str, Any], fmt: str, translated: bool = False) -> str:
    """The transcript as srt, vtt, txt or json (json holds both languages and word timings)."""
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    segs = doc["translation"] if translated else doc["segments"]
    lines: list[str] = []
    if fmt == "vtt":
        lines += ["WEBVTT", ""]
    for n, seg in enumerate(segs, 1):
        text = seg["text"].replace("\n", " ").strip()
        if fmt == "txt":
            lines.append(f"[{_stamp(seg['start'], '.')[:-4]}] {text}")
            continue
        if fmt == "srt":
            lines.append(str(n))
            lines.append(f"{_stamp(seg['start'], ',')} --> {_stamp(seg['end'], ',')}")
        else:
            # A cue's text may not contain "-->"; escape the characters VTT reserves.
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"{_stamp(seg['start'], '.')} --> {_stamp(seg['end'], '.')}")
        lines.append(text.replace("-->", "->") if fmt == "srt" else text)
        lines.append("")
    return "\n".join(lines) + ("\n" if lines and lines[-1] != "" else "")
