"""How ffmpeg and ffprobe open an original: that one plain file, with a recording's demuxer.

Originals are hostile input. Left to itself, ffmpeg follows what a file names inside it: an
HLS playlist (`#EXTM3U`), a concat script (`ffconcat version 1.0`), a DASH manifest (`<MPD`),
an IMF composition or an SDP description opens other local files or the network, and what it
reads would land in a transcript, a hash or a derivative. Every ffmpeg and ffprobe call on an
original therefore opens it through `input_options()`/`input_args()`:

* `-protocol_whitelist file`: only plain files, never a network, `subfile:`, `concat:`,
  `crypto:` or `data:` URL;
* `-format_whitelist` of the demuxers of recordings (`MEDIA_FORMATS`, or a case's own list):
  playlists, concat lists and manifests are never opened. Demuxers nested inside (a playlist
  hidden in an AVI's subtitle track) inherit the list;
* the input as a `file:` URL, so a file name can never be read as a protocol or an option;
* with the demuxer ffprobe found (`-f`), the later stages open the item as exactly that.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from sijill.errors import ConfigError, ToolMissing

# Demuxers of recordings (matched against ffmpeg's names, e.g. "mov,mp4,m4a,3gp,3g2,mj2").
MEDIA_FORMATS = (
    "mov,matroska,mp3,ogg,wav,w64,amr,amrnb,amrwb,aac,ac3,eac3,flac,avi,asf,flv,mpegts,"
    "mpeg,mpegvideo,h264,hevc,m4v,mxf,ivf,aiff,caf,au,voc,wv,ape,dsf,mpc,mpc8,tta,gsm,dv,rm,nut"
)
# Demuxers that open other files or streams named inside the input (or run a script):
# refused even when a case's configuration names them.
FOLLOWING = frozenset(
    {
        "hls",
        "applehttp",
        "concat",
        "dash",
        "imf",
        "sdp",
        "rtsp",
        "rtp",
        "sap",
        "lavfi",
        "avisynth",
        "vapoursynth",
    }
)
_PROBE = "ffprobe_metadata"
# What an item's status says when ffmpeg found a demuxer outside the list (its message
# would only repeat the whole list).
NOT_A_RECORDING = (
    "not in a recording format that may be opened (ffprobe_metadata.formats): "
    "playlists and lists of other files are never followed"
)


def source(path: Path) -> str:
    """The input as an ffmpeg URL that can only mean this plain file."""
    return f"file:{path}"


def input_options(formats: str = MEDIA_FORMATS, demuxer: str | None = None) -> list[str]:
    """The options that go before an original's `-i` (or ffprobe's input)."""
    names = [n.strip() for n in formats.split(",") if n.strip()]
    if demuxer and demuxer not in names:
        names.append(demuxer)
    refused = sorted(set(names) & FOLLOWING)
    if refused:
        raise ConfigError(
            f"the demuxer(s) {', '.join(refused)} open other files named inside an item "
            "and may never read an original"
        )
    if not names:
        raise ConfigError("no demuxer is allowed to open media (empty format list)")
    opts = ["-protocol_whitelist", "file", "-format_whitelist", ",".join(names)]
    return [*opts, "-f", demuxer] if demuxer else opts


def input_args(path: Path, formats: str = MEDIA_FORMATS, demuxer: str | None = None) -> list[str]:
    """`input_options()` followed by `-i file:<path>`: one confined ffmpeg input."""
    return [*input_options(formats, demuxer), "-i", source(path)]


def probed_demuxer(previous: dict[str, dict[str, Any]]) -> str | None:
    """The demuxer ffprobe_metadata opened the item with ("mov" of "mov,mp4,m4a,..."), if any."""
    fmt = str(previous.get(_PROBE, {}).get("format") or "")
    return fmt.split(",")[0].strip() or None


def tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise ToolMissing(f"{name} is not installed (Debian package ffmpeg)")
    return exe


def tool_message(stderr: bytes, limit: int = 3) -> str:
    """ffmpeg's error lines without its `[demuxer @ 0x...]` and file-name prefixes."""
    lines: list[str] = []
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", raw.strip())
        line = re.sub(r"^file:\S*?: ", "", line).strip()
        if line.startswith("Format not on whitelist"):
            line = NOT_A_RECORDING
        if line and line not in lines:
            lines.append(line)
        if len(lines) >= limit:
            break
    return "; ".join(lines)[:400]
