"""Limits, safe member names and sealing shared by the stages that unpack containers and e-mail.

Containers are where hostile input bites: decompression bombs, members named `../../etc/x`,
links to files outside, millions of tiny entries. Both unpacking stages therefore put every
member through `Unpacking`: each byte is counted as it is actually produced (declared sizes
are never trusted), the limits are checked before the byte is written, the member goes to a
temp file named by a counter (a member's name never becomes a file-system path), is hashed
on the way, sealed into the blob store and its temp file deleted at once, so disk use stays
at one member at a time.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from sijill.errors import ConfigError, InputRejected, IntegrityError, StageError
from sijill.pipeline.stage import ChildOut, StageContext, StageResult
from sijill.tools.identify import identify

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
CHUNK = MIB

LIMIT_DEFAULTS: dict[str, Any] = {
    "max_depth": 5,
    "max_members": 10_000,
    "max_total_bytes": 2 * GIB,
    "max_member_bytes": 1 * GIB,
}
LIMIT_HELP: dict[str, str] = {
    "max_depth": "refuse a container nested this many levels deep (0 = a received file)",
    "max_members": "refuse a container with more entries than this (files, folders, links)",
    "max_total_bytes": "refuse a container whose members expand to more bytes than this",
    "max_member_bytes": "refuse a container holding one member bigger than this",
}
RATIO_DEFAULTS: dict[str, Any] = {"max_ratio": 200, "ratio_min_bytes": 1 * MIB}
RATIO_HELP: dict[str, str] = {
    "max_ratio": "refuse an archive that expands to more than this many times its own size",
    "ratio_min_bytes": "the ratio is only enforced past this many expanded bytes (tiny "
    "archives of repetitive text are not bombs)",
}
# Bidirectional controls make `exe.pdf` display as `fdp.exe`: never let them into a name.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DRIVE = re.compile(r"[A-Za-z]:")
_MAX_LISTED = 200  # skipped/renamed entries listed in a job result; the rest are counted


def fmt_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def clean_text(text: str) -> str:
    """Text the catalog can store: lone surrogates (undecodable bytes smuggled through str)
    replaced, NUL removed (PostgreSQL text cannot hold it)."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def safe_name(raw: str, fallback: str) -> str:
    """A member's path for display: no `..`, no leading `/` or drive, no control characters.

    The result is only ever shown and stored as an item name, never used as a path.
    """
    chars = []
    for ch in clean_text(raw):
        cat = unicodedata.category(ch)
        chars.append("_" if cat in ("Cc", "Cs") or ch in _BIDI else ch)
    parts = [p for p in "".join(chars).replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and _DRIVE.fullmatch(parts[0]):
        parts = parts[1:]
    name = "/".join(p[:255] for p in parts)[:1024]
    return name or fallback


def safe_mtime(value: float | None) -> float | None:
    """A timestamp the catalog can store (headers may hold anything), else None."""
    if value is None or not math.isfinite(value) or not 0 < value < 253402300799:
        return None
    return float(value)


class Limits:
    """The limits of one stage run, read from its effective config."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        def number(key: str, default: Any) -> int:
            value = config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(
                    f"stage setting {key} must be a non-negative number, not {value!r}"
                )
            return int(value)

        self.max_depth = number("max_depth", LIMIT_DEFAULTS["max_depth"])
        self.max_members = number("max_members", LIMIT_DEFAULTS["max_members"])
        self.max_total_bytes = number("max_total_bytes", LIMIT_DEFAULTS["max_total_bytes"])
        self.max_member_bytes = number("max_member_bytes", LIMIT_DEFAULTS["max_member_bytes"])
        # Stages without a ratio (e-mail is never compressed) leave it out of their config.
        self.max_ratio = number("max_ratio", 0) if "max_ratio" in config else 0
        self.ratio_min_bytes = number("ratio_min_bytes", RATIO_DEFAULTS["ratio_min_bytes"])


class MemberWriter:
    """One member being written: counted, hashed, then sealed or thrown away."""

    def __init__(
        self, owner: Unpacking, path: Path, name: str, mtime: float | None, mime_hint: str | None
    ) -> None:
        self.owner = owner
        self.path = path
        self.name = name
        self.mtime = safe_mtime(mtime)
        self.mime_hint = mime_hint
        self.size = 0
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = open(path, "xb")  # noqa: SIM115 - closed in seal/abort

    def write(self, data: bytes | bytearray) -> int:
        self.owner.account(len(data), self)  # raises before the bytes reach the disk
        assert self._file is not None
        try:
            self._file.write(data)
        except OSError as exc:  # our own disk, not the member: not the input's fault
            raise StageError(f"cannot write a temporary file: {exc.strerror}") from exc
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def seal(self) -> ChildOut:
        assert self._file is not None
        self._file.close()
        self._file = None
        try:
            mime, description = identify(self.path)
            # A part we know to be a message may lack the headers libmagic looks for.
            if self.mime_hint and (
                mime.startswith("text/")
                or mime in ("application/octet-stream", "application/CDFV2")
            ):
                mime = self.mime_hint
            stored = self.owner.ctx.store_file(self.path)
        finally:
            self.path.unlink(missing_ok=True)
        if stored.sha256 != self._hash.hexdigest() or stored.size != self.size:
            raise IntegrityError(f"member {self.name!r} changed while it was being sealed")
        child = ChildOut(
            name=self.name,
            path=self.path,
            sha256=stored.sha256,
            size=stored.size,
            blob=stored.name,
            mime=mime,
            description=clean_text(description),
            mtime=self.mtime,
        )
        self.owner.children.append(child)
        return child


class Unpacking:
    """The state of unpacking one container: counts, limits, and the children sealed so far."""

    def __init__(self, ctx: StageContext, limits: Limits, what: str) -> None:
        self.ctx = ctx
        self.limits = limits
        self.what = what  # "archive", "e-mail": used in messages
        self.container_size = max(ctx.item.size, 1)
        self.entries = 0
        self.expanded = 0
        self.children: list[ChildOut] = []
        self.skipped: list[dict[str, str]] = []
        self.renamed: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self._seq = 0
        self._dir = ctx.workdir / "members"
        self._dir.mkdir(mode=0o700, exist_ok=True)

    def check_depth(self) -> None:
        depth, limit = self.ctx.item.depth, self.limits.max_depth
        if depth >= limit:
            raise InputRejected(
                f"{self.what} nested {depth} levels deep inside other containers; the limit "
                f"is max_depth={limit} (a nested bomb is likely)",
                status="rejected",
            )

    def count_entries(self, n: int = 1) -> None:
        """Count entries of any kind as they are met (or as declared, to refuse early)."""
        self.entries += n
        self.check_declared(self.entries)

    def check_declared(self, n: int) -> None:
        if n > self.limits.max_members:
            raise InputRejected(
                f"{self.what} holds more than {self.limits.max_members} entries "
                f"(max_members); refused before unpacking further",
                status="rejected",
            )

    def check_declared_total(self, total: int) -> None:
        """Refuse before writing anything when the declared sizes already cross a limit.

        Only for readers that never yield more than a member's declared size (zipfile, py7zr):
        there the declared total bounds the real one. The real bytes are counted all the same.
        """
        lim = self.limits
        if total > lim.max_total_bytes:
            raise InputRejected(
                f"{self.what} declares {fmt_bytes(total)} of content, over max_total_bytes="
                f"{fmt_bytes(lim.max_total_bytes)}; refused before unpacking",
                status="rejected",
            )
        if (
            lim.max_ratio
            and total > lim.ratio_min_bytes
            and total > lim.max_ratio * self.container_size
        ):
            raise InputRejected(
                f"{self.what} of {self.container_size} bytes declares {fmt_bytes(total)} of "
                f"content, more than max_ratio={lim.max_ratio} times its size: a decompression "
                "bomb is likely; refused before unpacking",
                status="rejected",
            )

    def check_declared_size(self, raw_name: str, size: int) -> None:
        """A declared size can justify refusing early, never accepting."""
        if size > self.limits.max_member_bytes:
            raise InputRejected(
                f"member {safe_name(raw_name, '?')!r} declares {fmt_bytes(size)}, over "
                f"max_member_bytes={fmt_bytes(self.limits.max_member_bytes)}",
                status="rejected",
            )

    def account(self, n: int, writer: MemberWriter) -> None:
        lim = self.limits
        if writer.size + n > lim.max_member_bytes:
            raise InputRejected(
                f"member {writer.name!r} expands past max_member_bytes="
                f"{fmt_bytes(lim.max_member_bytes)}; stopped there",
                status="rejected",
            )
        total = self.expanded + n
        if total > lim.max_total_bytes:
            raise InputRejected(
                f"{self.what} expands past max_total_bytes={fmt_bytes(lim.max_total_bytes)}; "
                f"stopped after {self.expanded} bytes",
                status="rejected",
            )
        if (
            lim.max_ratio
            and total > lim.ratio_min_bytes
            and total > lim.max_ratio * self.container_size
        ):
            raise InputRejected(
                f"{self.what} expands more than {lim.max_ratio} times its size of "
                f"{self.container_size} bytes (max_ratio={lim.max_ratio}); stopped after "
                f"{self.expanded} bytes: a decompression bomb is likely",
                status="rejected",
            )
        self.expanded = total

    def open(
        self,
        raw_name: str,
        *,
        mtime: float | None = None,
        mime_hint: str | None = None,
        fallback: str | None = None,
    ) -> MemberWriter:
        self._seq += 1
        name = safe_name(raw_name, fallback or f"member-{self._seq}")
        if raw_name and name != raw_name and len(self.renamed) < _MAX_LISTED:
            self.renamed.append({"raw": clean_text(raw_name)[:1024], "name": name})
        return MemberWriter(self, self._dir / f"{self._seq:08d}", name, mtime, mime_hint)

    def add_stream(
        self,
        raw_name: str,
        read: Callable[[int], bytes],
        *,
        mtime: float | None = None,
        mime_hint: str | None = None,
        fallback: str | None = None,
    ) -> ChildOut:
        writer = self.open(raw_name, mtime=mtime, mime_hint=mime_hint, fallback=fallback)
        try:
            while chunk := read(CHUNK):
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.seal()

    def add_bytes(
        self,
        raw_name: str,
        data: bytes,
        *,
        mtime: float | None = None,
        mime_hint: str | None = None,
        fallback: str | None = None,
    ) -> ChildOut:
        writer = self.open(raw_name, mtime=mtime, mime_hint=mime_hint, fallback=fallback)
        try:
            for start in range(0, len(data), CHUNK):
                writer.write(data[start : start + CHUNK])
        except BaseException:
            writer.abort()
            raise
        return writer.seal()

    def skip(self, raw_name: str, reason: str) -> None:
        if len(self.skipped) < _MAX_LISTED:
            self.skipped.append({"name": safe_name(raw_name, "?"), "reason": reason})
        elif len(self.skipped) == _MAX_LISTED:
            self.warnings.append(f"more than {_MAX_LISTED} entries skipped; not all listed")

    def damaged(self, why: str) -> None:
        """The input broke part-way: keep what came out (with a warning), else refuse it."""
        if not self.children:
            raise InputRejected(f"{self.what} is corrupt or truncated: {why}", status="invalid")
        self.warnings.append(
            f"{self.what} is partly corrupt or truncated; kept the "
            f"{len(self.children)} member(s) that came out whole: {why}"
        )

    def result(self, **extra: Any) -> StageResult:
        data: dict[str, Any] = {
            "members": len(self.children),
            "entries": self.entries,
            "expanded_bytes": self.expanded,
            "skipped": self.skipped,
        }
        if self.renamed:
            data["renamed"] = self.renamed
        data.update(extra)
        return StageResult(data=data, children=self.children, warnings=self.warnings)
