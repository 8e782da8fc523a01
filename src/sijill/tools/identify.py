"""Identify files by content (libmagic), never by extension, and map them to item kinds."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import magic

CONTAINER_MIMES = frozenset(
    {
        "application/zip",
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
    }
)
EMAIL_MIMES = frozenset({"message/rfc822", "application/mbox", "application/vnd.ms-outlook"})
DOCUMENT_MIMES = frozenset(
    {
        "application/pdf",
        "application/rtf",
        "text/rtf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "text/html",
        "application/xhtml+xml",
    }
)
IMAGE_EXTRA = frozenset({"application/dicom"})
# Playlists are text that points at other files; ffmpeg must never follow them.
PLAYLIST_MIMES = frozenset(
    {
        "audio/x-mpegurl",
        "audio/mpegurl",
        "application/x-mpegurl",
        "application/vnd.apple.mpegurl",
        "audio/x-scpls",
    }
)

_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _refine_zip(path: Path) -> str | None:
    """Office files are zips; libmagic sometimes only says so. Look inside, reading names only."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()[:200]
            if "mimetype" in names:
                info = z.getinfo("mimetype")
                if info.file_size < 200:
                    mt = z.read("mimetype").decode("ascii", "replace").strip()
                    if mt.startswith("application/vnd.oasis.opendocument"):
                        return mt
            for prefix, mime in _OOXML.items():
                if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
                    return mime
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return None
    return None


# libmagic's mbox rule is disabled upstream (false positives), so an mbox reads as text/plain:
# recognise its "From sender Day Mon ..." separator followed by a header line.
_MBOX_START = re.compile(rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [^\r\n]*\r?\n[!-9;-~]+:")


def _is_mbox(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return _MBOX_START.match(f.read(4096)) is not None
    except OSError:
        return False


# ISO base media brands of still images (HEIF/AVIF photos, Canon raw): not video.
_IMAGE_BRANDS = frozenset(
    {b"mif1", b"msf1", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"avif", b"avis"}
    | {b"crx ", b"jp2 ", b"jpx ", b"jpm "}
)
# Top-level QuickTime atoms an old or unusual .mov may start with instead of `ftyp`.
_QT_ATOMS = frozenset({b"wide", b"free", b"skip", b"mdat", b"moov", b"pnot", b"junk"})


def _iso_media(path: Path, head: bytes) -> str | None:
    """MP4/MOV variants libmagic does not name (camera brands, atoms before `ftyp`)."""
    if len(head) < 16:
        return None
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(size, len(head)), 4)}
        if size < 16 or brands & _IMAGE_BRANDS:
            return None
        if head[8:11] in (b"3gp", b"3ge", b"3gs", b"3g2"):
            return "video/3gpp"
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    # Walk a few top-level atoms, reading headers only; a movie has `moov` or `mdat`.
    end = path.stat().st_size
    pos, seen = 0, 0
    with open(path, "rb") as f:
        while pos + 8 <= end and seen < 8:
            f.seek(pos)
            hdr = f.read(16)
            size, kind = int.from_bytes(hdr[:4], "big"), hdr[4:8]
            if kind not in _QT_ATOMS:
                return None
            if kind in (b"moov", b"mdat") and pos > 0:
                return "video/quicktime"
            if size == 1 and len(hdr) == 16:
                size = int.from_bytes(hdr[8:16], "big")
            if size < 8:
                return None
            pos, seen = pos + size, seen + 1
    return None


def _mpeg_ts(head: bytes) -> bool:
    """MPEG transport stream (camcorder .mts/.m2ts, broadcast .ts): sync byte every packet."""
    for start, step in ((0, 188), (4, 192)):
        if len(head) >= start + 5 * step and all(head[start + i * step] == 0x47 for i in range(5)):
            return True
    return False


def _refine_media(path: Path, mime: str, desc: str) -> str | None:
    """Audio and video libmagic leaves unnamed or names too vaguely."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
        if mime == "application/ogg":
            return "video/ogg" if "Theora" in desc or "video" in desc.lower() else "audio/ogg"
        if head[:4] == b"caff":
            return "audio/x-caf"
        if _mpeg_ts(head):
            return "video/mp2t"
        return _iso_media(path, head)
    except OSError:
        return None


def identify(path: Path) -> tuple[str, str]:
    """Return (mime, description) from the file's content."""
    try:
        mime = magic.from_file(str(path), mime=True)
        desc = magic.from_file(str(path))
    except (magic.MagicException, OSError) as exc:
        return "application/octet-stream", f"unidentified ({exc})"
    if mime in ("application/zip", "application/octet-stream") or mime.startswith(
        "application/vnd.openxmlformats"
    ):
        refined = _refine_zip(path) if mime == "application/zip" else None
        if refined:
            mime = refined
    if mime in ("application/octet-stream", "application/ogg"):
        mime = _refine_media(path, mime, desc) or mime
    if mime == "text/plain" and _is_mbox(path):
        mime = "application/mbox"
    return mime, desc


def kind_of(mime: str) -> str:
    if mime in ("application/x-empty", "inode/x-empty"):
        return "empty"
    if mime in CONTAINER_MIMES:
        return "archive"
    if mime in EMAIL_MIMES:
        return "email"
    if mime in PLAYLIST_MIMES:
        return "document"
    if mime in DOCUMENT_MIMES or mime.startswith("application/vnd.oasis.opendocument"):
        return "document"
    if mime.startswith("application/vnd.openxmlformats"):
        return "document"
    if mime.startswith("image/") or mime in IMAGE_EXTRA:
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("text/"):
        return "document"
    return "other"
