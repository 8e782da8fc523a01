"""Unpack archives (zip, tar, tar.gz/bz2/xz, 7z, bare gz/bz2/xz) into child items, safely.

The format is chosen from the file's content, never its name. Members are streamed through
`unpack_limits.Unpacking`, which counts the bytes really produced and stops at the first
limit crossed, so a bomb is refused part-way and never expanded. Member names are only
displayed; links, devices and other special entries are skipped and listed, never followed.
"""

from __future__ import annotations

import bz2
import calendar
import gzip
import io
import lzma
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from tarfile import EOFHeaderError, HeaderError, TarFile  # type: ignore[attr-defined]
from typing import Any, ClassVar, Self

import py7zr
import py7zr.exceptions
import py7zr.helpers
import py7zr.io

from sijill.errors import InputRejected
from sijill.pipeline.stage import Stage, StageContext, StageResult
from sijill.pipeline.stages.unpack_limits import (
    LIMIT_DEFAULTS,
    LIMIT_HELP,
    RATIO_DEFAULTS,
    RATIO_HELP,
    Limits,
    MemberWriter,
    Unpacking,
    clean_text,
)

# What a broken compressed stream or archive structure raises, beyond the modules' own types.
_STREAM_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, struct.error)
_BARE_SUFFIXES = (".gz", ".gzip", ".bz2", ".xz")


def sniff(path: Path) -> str | None:
    """The archive format from its first bytes (zip also from its end: self-extractors)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"PK") or zipfile.is_zipfile(path):
        return "zip"
    if tarfile.is_tarfile(path):
        return "tar"
    return None


class ContainerUnpacker(Stage):
    name = "container_unpacker"
    version = 1
    description = "members of zip, tar (gz, bz2, xz), 7z and bare gz/bz2/xz files become items"
    kinds: ClassVar[frozenset[str]] = frozenset({"archive"})
    defaults: ClassVar[dict[str, Any]] = {**LIMIT_DEFAULTS, **RATIO_DEFAULTS}
    config_help: ClassVar[dict[str, str]] = {**LIMIT_HELP, **RATIO_HELP}

    def run(self, ctx: StageContext) -> StageResult:
        job = Unpacking(ctx, Limits(ctx.config), "archive")
        job.check_depth()
        fmt = sniff(ctx.input_path)
        if fmt == "zip":
            _unzip(job, ctx.input_path)
        elif fmt == "7z":
            _un7z(job, ctx.input_path)
        elif fmt in ("tar", "gzip", "bzip2", "xz"):
            if not _untar(job, ctx.input_path, must_be_tar=fmt == "tar"):
                fmt = f"bare {fmt}"
                _decompress(job, ctx.input_path, fmt.split()[1], ctx.item.name)
        else:
            raise InputRejected(
                f"not an archive format this stage reads ({ctx.item.mime})", status="unsupported"
            )
        return job.result(format=fmt)


def _zip_entries_declared(path: Path) -> int | None:
    """Entries the zip's end record declares, read before zipfile loads its whole directory."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - (65535 + 22 + 20)))
        tail = f.read()
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or pos + 22 > len(tail):
            return None
        total: int = struct.unpack_from("<H", tail, pos + 10)[0]
        if total != 0xFFFF:
            return total
        loc = pos - 20  # zip64: the real count is in the zip64 end record
        if loc < 0 or tail[loc : loc + 4] != b"PK\x06\x07":
            return None
        (offset,) = struct.unpack_from("<Q", tail, loc + 8)
        f.seek(offset)
        record = f.read(56)
    if len(record) < 40 or record[:4] != b"PK\x06\x06":
        return None
    count: int = struct.unpack_from("<Q", record, 32)[0]
    return count


def _zip_mtime(info: zipfile.ZipInfo) -> float | None:
    try:
        # Zip times carry no zone; read as UTC so the same archive always gives the same value.
        return float(calendar.timegm((*info.date_time, 0, 0, 0)))
    except (ValueError, OverflowError, TypeError):
        return None


def _unzip(job: Unpacking, path: Path) -> None:
    declared = _zip_entries_declared(path)
    if declared is not None:
        job.check_declared(declared)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, *_STREAM_ERRORS) as exc:
        raise InputRejected(
            f"the zip archive is truncated or corrupt and cannot be read ({exc})", status="invalid"
        ) from exc
    with zf:
        infos = zf.infolist()
        job.check_declared(len(infos))
        # zipfile stops every member at its declared size, so their sum bounds the output.
        job.check_declared_total(sum(i.file_size for i in infos))
        files = [i for i in infos if not i.is_dir()]
        locked = [i for i in files if i.flag_bits & 0x1]
        broken: list[str] = []
        unsupported = 0
        if locked and len(locked) == len(files):
            raise InputRejected(
                f"the zip is password-protected ({len(locked)} encrypted member(s)); it "
                "cannot be unpacked without the password",
                status="encrypted",
            )
        for info in infos:
            job.count_entries()
            if info.is_dir():
                continue
            mode = info.external_attr >> 16 if info.create_system == 3 else 0
            if stat.S_ISLNK(mode):
                job.skip(info.filename, "symbolic link (not followed)")
                continue
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: no type recorded, a file
                job.skip(info.filename, "device, pipe or other special file")
                continue
            if info.flag_bits & 0x1:
                job.skip(info.filename, "encrypted (password-protected)")
                continue
            job.check_declared_size(info.filename, info.file_size)
            try:
                with zf.open(info) as member:
                    job.add_stream(info.filename, member.read, mtime=_zip_mtime(info))
            except NotImplementedError as exc:
                job.skip(info.filename, f"unsupported compression ({exc})")
                unsupported += 1
            except (zipfile.BadZipFile, *_STREAM_ERRORS) as exc:
                # The central directory still lists the other members: go on with them.
                job.skip(info.filename, f"corrupt member ({exc})")
                broken.append(f"member {info.filename!r}: {exc}")
    if broken:
        job.damaged("; ".join(broken[:3]))
    if unsupported and not job.children:
        raise InputRejected(
            f"the zip's members use a compression method this stage cannot "
            f"read: {job.skipped[-1]['reason']}",
            status="unsupported",
        )
    if locked:
        job.warnings.append(
            f"{len(locked)} of {len(files)} members are password-protected and were not unpacked"
        )


def _watched_tarinfo(ends: list[str]) -> type[tarfile.TarInfo]:
    """tarfile ends silently at a truncated or garbled header: note why each read stopped."""

    class Watched(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, tarfile: TarFile) -> Self:
            try:
                return super().fromtarfile(tarfile)
            except HeaderError as exc:
                ends.append(
                    "" if isinstance(exc, EOFHeaderError) else f"{type(exc).__name__}: {exc}"
                )
                raise

    return Watched


def _untar(job: Unpacking, path: Path, must_be_tar: bool) -> bool:
    """Stream a tar (compressed or not). False when a compressed file holds no tar at all."""
    ends: list[str] = []
    try:
        # Stream mode: one pass, no seeking back through a compressed file.
        tf = tarfile.open(path, mode="r|*", tarinfo=_watched_tarinfo(ends))
    except tarfile.ReadError as exc:
        if must_be_tar:
            raise InputRejected(f"not a readable tar archive: {exc}", status="invalid") from exc
        return False
    except (tarfile.TarError, *_STREAM_ERRORS) as exc:
        raise InputRejected(f"not a readable tar archive: {exc}", status="invalid") from exc
    with tf:
        while True:
            try:
                member = tf.next()
                if member is None:
                    if ends and ends[-1]:  # no end-of-archive marker: cut short or garbled
                        job.damaged(f"the tar stops at a bad header ({ends[-1]})")
                    break
                job.count_entries()
                if member.isdir():
                    continue
                if member.issym() or member.islnk():
                    kind = "symbolic" if member.issym() else "hard"
                    job.skip(member.name, f"{kind} link to {member.linkname!r} (not followed)")
                    continue
                if not member.isreg():
                    job.skip(member.name, "device, pipe or other special file")
                    continue
                job.check_declared_size(member.name, member.size)
                fobj = tf.extractfile(member)
                if fobj is None:
                    job.skip(member.name, "no content")
                    continue
                job.add_stream(member.name, fobj.read, mtime=float(member.mtime))
            except (tarfile.TarError, *_STREAM_ERRORS) as exc:
                job.damaged(str(exc) or type(exc).__name__)
                break
    # tarfile takes a leading block of zeros for an empty archive: a compressed disk image
    # (or a bomb of zeros) is then no tar, but one stream to decompress.
    return must_be_tar or job.entries > 0


def _open_compressed(path: Path, fmt: str) -> io.BufferedIOBase:
    if fmt == "gzip":
        return gzip.open(path, "rb")
    if fmt == "bzip2":
        return bz2.open(path, "rb")
    return lzma.open(path, "rb")


def _decompress(job: Unpacking, path: Path, fmt: str, item_name: str) -> None:
    """A compressed file that is not a tar: its one decompressed stream is the child."""
    job.count_entries()
    name = item_name
    for suffix in _BARE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    else:
        name = f"{name}.decompressed"
    try:
        with _open_compressed(path, fmt) as stream:
            job.add_stream(name, stream.read)
    except _STREAM_ERRORS as exc:
        raise InputRejected(f"corrupt or truncated {fmt} stream: {exc}", status="invalid") from exc


class _SealingFactory(py7zr.io.WriterFactory):
    """Hands py7zr a writer per member that counts, hashes and seals through `Unpacking`."""

    def __init__(self, job: Unpacking, by_key: dict[str, Any]) -> None:
        self.job = job
        self.by_key = by_key
        self.current: _SealingWriter | None = None

    def create(self, filename: str) -> _SealingWriter:
        entry = self.by_key.get(filename)
        if entry is None:  # never expected: py7zr names members as we computed
            raise InputRejected(f"7z member {filename!r} was not announced", status="invalid")
        mtime = None
        if entry.lastwritetime is not None:
            mtime = py7zr.helpers.ArchiveTimestamp(entry.lastwritetime).totimestamp()
        self.current = _SealingWriter(self.job.open(entry.filename, mtime=mtime))
        return self.current


class _SealingWriter(py7zr.io.Py7zIO):
    def __init__(self, writer: MemberWriter) -> None:
        self.writer = writer
        self.done = False

    def write(self, s: bytes | bytearray) -> int:
        return self.writer.write(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.writer.size

    def close(self) -> None:
        # py7zr closes a member only after its CRC matched.
        if not self.done:
            self.done = True
            self.writer.seal()


def _un7z(job: Unpacking, path: Path) -> None:
    lim = job.limits
    # py7zr's own cap also covers members it decompresses only to check (skipped links);
    # ours trips first on extracted ones, with the clearer message.
    cap = lim.max_total_bytes
    if lim.max_ratio:
        cap = min(cap, max(lim.ratio_min_bytes, lim.max_ratio * job.container_size))
    with open(path, "rb") as fp:  # a file object: py7zr then extracts in this thread only
        try:
            szf = py7zr.SevenZipFile(fp, mode="r", max_extract_size=cap + 16 * (1 << 20))
        except py7zr.exceptions.PasswordRequired as exc:
            raise InputRejected(
                "the 7z archive is password-protected (its file list too); it "
                "cannot be unpacked without the password",
                status="encrypted",
            ) from exc
        except py7zr.exceptions.UnsupportedCompressionMethodError as exc:
            raise InputRejected(
                f"7z compression method not supported: {exc}", status="unsupported"
            ) from exc
        except (py7zr.exceptions.ArchiveError, KeyError, IndexError, *_STREAM_ERRORS) as exc:
            raise InputRejected(f"not a readable 7z archive: {exc}", status="invalid") from exc
        with szf:
            if szf.needs_password():
                raise InputRejected(
                    "the 7z archive is password-protected; it cannot be "
                    "unpacked without the password",
                    status="encrypted",
                )
            _extract_7z(job, szf)


def _extract_7z(job: Unpacking, szf: Any) -> None:
    entries = list(szf.files)
    job.check_declared(len(entries))
    # py7zr stops every member at its declared size, so their sum bounds the output.
    job.check_declared_total(sum(e.uncompressed or 0 for e in entries))
    targets: set[str] = set()
    for e in entries:
        job.count_entries()
        if e.is_directory:
            continue
        if e.is_symlink or e.is_junction:
            job.skip(e.filename, "symbolic link (not followed)")
        elif e.is_socket:
            job.skip(e.filename, "socket or other special file")
        else:
            try:
                py7zr.helpers.get_sanitized_output_path(e.filename, None)
            except py7zr.exceptions.Bad7zFile:
                # py7zr refuses to extract such a name at all, even into memory.
                job.skip(
                    e.filename,
                    f"unsafe path {clean_text(e.filename)[:200]!r}; py7zr will not extract it",
                )
                continue
            job.check_declared_size(e.filename, e.uncompressed or 0)
            targets.add(e.filename)
    # Same output names as py7zr gives them (duplicates get a suffix), to map them back.
    by_key: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for e in entries:
        if e.filename not in targets:
            continue
        if e.filename in seen:
            outname = f"{e.filename}_{seen[e.filename]}"
            seen[e.filename] += 1
        else:
            outname, seen[e.filename] = e.filename, 0
        if not e.is_directory:
            by_key[py7zr.helpers.get_sanitized_output_path(outname, None).as_posix()] = e
    if not targets:
        return
    factory = _SealingFactory(job, by_key)
    try:
        szf.extract(targets=targets, factory=factory)
    except py7zr.exceptions.DecompressionBombError as exc:
        raise InputRejected(
            f"archive expands past its limits (max_total_bytes, max_ratio): {exc}",
            status="rejected",
        ) from exc
    except py7zr.exceptions.PasswordRequired as exc:
        raise InputRejected("a 7z member is password-protected", status="encrypted") from exc
    except py7zr.exceptions.UnsupportedCompressionMethodError as exc:
        if not job.children:
            raise InputRejected(
                f"7z compression method not supported: {exc}", status="unsupported"
            ) from exc
        job.warnings.append(f"some members use an unsupported compression method: {exc}")
    except (py7zr.exceptions.ArchiveError, KeyError, IndexError, *_STREAM_ERRORS) as exc:
        job.damaged(str(exc) or type(exc).__name__)
    finally:
        if factory.current is not None and not factory.current.done:
            factory.current.writer.abort()
