"""Sealed, content-addressed blob store: every blob is age-encrypted, named by a keyed hash."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyrage

from sijill.errors import ConfigError, IntegrityError
from sijill.storage.crypto import Keyring

CHUNK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    name: str


class _HashingSink:
    """A write-only file object that hashes what age decrypts into it."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


class BlobStore(Protocol):
    def put_file(self, path: Path, sha256: str | None = None) -> StoredBlob: ...
    def put_bytes(self, data: bytes) -> StoredBlob: ...
    def fetch_to(self, name: str, dest: Path) -> None: ...
    def read_bytes(self, name: str) -> bytes: ...
    def digest(self, name: str) -> tuple[str, int]: ...
    def exists(self, name: str) -> bool: ...


class LocalBlobStore:
    """Blobs under one directory as `ab/cd/<name>`; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path, keys: Keyring) -> None:
        self.root = root
        self.keys = keys
        self.tmp = root / ".tmp"

    def path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:4] / name

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def put_file(self, path: Path, sha256: str | None = None) -> StoredBlob:
        if sha256 is None:
            sha256, size = sha256_file(path)
        else:
            size = path.stat().st_size
        name = self.keys.blob_name(sha256)
        self._write(name, lambda tmp: pyrage.encrypt_file(str(path), tmp, self.keys.recipients))
        return StoredBlob(sha256, size, name)

    def put_bytes(self, data: bytes) -> StoredBlob:
        sha256 = hashlib.sha256(data).hexdigest()
        name = self.keys.blob_name(sha256)
        self._write(
            name, lambda tmp: Path(tmp).write_bytes(pyrage.encrypt(data, self.keys.recipients))
        )
        return StoredBlob(sha256, len(data), name)

    def _write(self, name: str, encrypt_to: Callable[[str], object]) -> None:
        """Encrypt into a temp file, then rename: a blob is whole or absent, never partial."""
        final = self.path(name)
        if final.exists():  # content-addressed: the same content is already sealed
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp)
        os.close(fd)
        try:
            encrypt_to(tmp)
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _open(self, name: str) -> BinaryIO:
        try:
            return open(self.path(name), "rb")
        except FileNotFoundError as exc:
            raise IntegrityError(f"blob {name} is missing from the store") from exc

    def fetch_to(self, name: str, dest: Path) -> None:
        if not self.exists(name):
            raise IntegrityError(f"blob {name} is missing from the store")
        try:
            pyrage.decrypt_file(str(self.path(name)), str(dest), [self.keys.identity()])
        except pyrage.DecryptError as exc:
            raise IntegrityError(f"blob {name} cannot be decrypted: {exc}") from exc

    def read_bytes(self, name: str) -> bytes:
        with self._open(name) as f:
            try:
                return bytes(pyrage.decrypt(f.read(), [self.keys.identity()]))
            except pyrage.DecryptError as exc:
                raise IntegrityError(f"blob {name} cannot be decrypted: {exc}") from exc

    def digest(self, name: str) -> tuple[str, int]:
        """Decrypt without writing plaintext anywhere; return (sha256, size)."""
        sink = _HashingSink()
        with self._open(name) as f:
            try:
                pyrage.decrypt_io(f, sink, [self.keys.identity()])
            except pyrage.DecryptError as exc:
                raise IntegrityError(f"blob {name} cannot be decrypted: {exc}") from exc
        return sink.h.hexdigest(), sink.size


def open_blob_store(url: str | None, default_root: Path, keys: Keyring) -> LocalBlobStore:
    if url is None or url == "":
        return LocalBlobStore(default_root, keys)
    if url.startswith("s3://"):
        raise ConfigError("the S3 blob backend is not built yet; use a local directory")
    root = Path(url.removeprefix("file://"))
    return LocalBlobStore(root, keys)
