"""What a file is (by its bytes, not its name), walking folders, and the byte-level structure
of JPEG and PNG files.

A publication folder holds only a few plain types; anything else — an archive, an office
document, a HEIC photo, a hidden .DS_Store — is a finding, since nothing here can vouch for
what it carries. JPEG segments and PNG chunks are listed independently of exiftool: an APPn
segment, a comment or a text chunk is where metadata hides, and bytes after the end of the
picture are where a second file hides.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IMAGE = {"jpeg", "png", "webp"}
MEDIA = {"mp4", "webm", "wav", "mp3"}
TEXT_SUFFIXES = {".txt", ".vtt", ".srt", ".json", ".csv", ".html", ".htm", ".md"}
# File-name suffixes each content type may carry.
SUFFIXES = {
    "jpeg": {".jpg", ".jpeg"},
    "png": {".png"},
    "webp": {".webp"},
    "pdf": {".pdf"},
    "mp4": {".mp4", ".m4a", ".m4v"},
    "webm": {".webm"},
    "wav": {".wav"},
    "mp3": {".mp3"},
    "text": TEXT_SUFFIXES,
}
_CONTAINERS = (
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
)


_NOT_MP4_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
    b"qt  ", b"crx ",
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    path: Path
    symlink: bool = False


def walk(paths: list[Path]) -> Iterator[Entry]:
    """Every file under `paths`; symbolic links are yielded (as such) but never followed."""
    for root in paths:
        if root.is_symlink():
            yield Entry(root, symlink=True)
        elif root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames.sort()
                base = Path(dirpath)
                for d in dirnames:
                    if (base / d).is_symlink():
                        yield Entry(base / d, symlink=True)
                for f in sorted(filenames):
                    p = base / f
                    yield Entry(p, symlink=p.is_symlink())
        else:
            yield Entry(root)


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None if it is none we publish."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[4:8] == b"ftyp":
        # HEIF/AVIF photos and QuickTime movies share the box format but are not published.
        return None if head[8:12] in _NOT_MP4_BRANDS else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def container(head: bytes) -> str | None:
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive"
    return next((what for magic, what in _CONTAINERS if head.startswith(magic)), None)


def decode_text(data: bytes) -> str | None:
    """The text of a text file (UTF-8, or UTF-16/32 with a BOM or evident zero bytes), or None
    if it is not text."""
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        even, odd = data[0::2].count(0), data[1::2].count(0)
        enc = "utf-16-le" if odd > even else "utf-16-be"
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            return None
        return text if "\x00" not in text else None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_JPEG_OK = {0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD, 0xE0}  # SOFn, DHT, DQT, DRI, APP0 (JFIF)


def jpeg_structure(data: bytes) -> list[tuple[str, str]]:
    """(where, what) for every JPEG segment that can carry more than pixels, and for bytes
    after the end-of-image marker."""
    issues: list[tuple[str, str]] = []
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            issues.append((f"byte {i}", "broken JPEG segment structure"))
            return issues
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xD9:
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker == 0xDA:
            # Entropy-coded data runs to the next marker that is not a stuffed byte or RST.
            j = i + 2 + length
            while j + 1 < n and not (
                data[j] == 0xFF and data[j + 1] not in (0x00, *range(0xD0, 0xD8))
            ):
                j += 1
            i = j
            continue
        if marker == 0xE0 and not data[i + 4 : i + 9].startswith(b"JFIF\x00"):
            issues.append((f"APP0 segment at byte {i}", "an APP0 segment that is not JFIF"))
        elif marker == 0xFE:
            text = data[i + 4 : i + 2 + length].decode("latin-1")
            issues.append((f"COM segment at byte {i}", f"a JPEG comment: {text[:80]}"))
        elif 0xE1 <= marker <= 0xEF:
            ident = data[i + 4 : i + 2 + length][:20].split(b"\x00")[0].decode("latin-1")
            issues.append(
                (f"APP{marker - 0xE0} segment at byte {i}", f"an APP{marker - 0xE0} ({ident})")
            )
        elif marker not in _JPEG_OK and not 0xC0 <= marker <= 0xCF:
            issues.append((f"segment FF{marker:02X} at byte {i}", "an unexpected JPEG segment"))
        i += 2 + length
    end = data.rfind(b"\xff\xd9")
    if end != -1 and n - (end + 2) > 16:
        issues.append(("after end of image", f"{n - end - 2} bytes after the picture ends"))
    return issues


_PNG_OK = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"pHYs", b"sRGB", b"gAMA", b"sBIT"}


def png_structure(data: bytes) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    i = 8
    n = len(data)
    while i + 8 <= n:
        length, ctype = struct.unpack(">I4s", data[i : i + 8])
        name = ctype.decode("latin-1")
        if ctype not in _PNG_OK:
            body = data[i + 8 : i + 8 + min(length, 80)]
            issues.append((f"{name} chunk at byte {i}", f"a {name} chunk: {body[:60]!r}"))
        i += 12 + length
        if ctype == b"IEND":
            break
    if n - i > 0:
        issues.append(("after IEND", f"{n - i} bytes after the picture ends"))
    return issues
