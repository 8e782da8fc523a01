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
