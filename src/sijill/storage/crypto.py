"""Archive keys: an age X25519 identity, stored encrypted with a passphrase.

The identity unlocks everything else: sealed blobs are encrypted to it, and the catalog key
(`catalog.key.age`, 32 random bytes encrypted to the archive's recipients) that encrypts the
embedded SQLite catalog at rest.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import x25519

from sijill.errors import PassphraseError

CATALOG_KEY = "catalog.key.age"


class _Ahead:
    """The identity being decrypted by a forked child, for one keys folder and passphrase.

    A child process, not a thread: pyrage holds the GIL through the whole scrypt, so a
    thread would stop the imports it was meant to overlap. The child writes the identity
    into a pipe to this process only (never to disk or the environment) and exits."""

    def __init__(self, path: Path, secret: str, pid: int, fd: int) -> None:
        self.path = path
        self.secret = secret
        self.pid = pid
        self.fd = fd

    def result(self) -> bytes | None:
        chunks = []
        try:
            while chunk := os.read(self.fd, 4096):
                chunks.append(chunk)
        finally:
            os.close(self.fd)
            os.waitpid(self.pid, 0)
        return b"".join(chunks) or None


_ahead: list[_Ahead] = []


def unlock_ahead(keys_dir: Path, secret: str) -> None:
    """Start opening the identity of `keys_dir` in a forked child.

    The passphrase's scrypt costs about a second of one core; a command's imports and setup
    run beside it on another. `Keyring.unlock` with the same folder and passphrase takes
    the result; a different folder or passphrase, or a failure, is decrypted again there as
    before. Call it before any thread is started (fork copies only the calling thread)."""
    path = keys_dir / "identity.age"
    if not secret or _ahead or not hasattr(os, "fork") or not path.is_file():
        return
    data = path.read_bytes()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: decrypt, hand the identity over, leave without cleanup
        code = 1
        try:
            os.close(r)
            raw = age_passphrase.decrypt(data, secret)
            view = memoryview(raw)
            while view:
                view = view[os.write(w, view) :]
            code = 0
        except BaseException:  # noqa: BLE001 - the parent decrypts again and says why
            pass
        finally:
            os._exit(code)
    os.close(w)
    _ahead.append(_Ahead(path.resolve(), secret, pid, r))


def _take_ahead(path: Path, secret: str) -> bytes | None:
    if not _ahead:
        return None
    ahead = _ahead.pop()
    raw = ahead.result()
    same = ahead.path == path.resolve() and hmac.compare_digest(
        ahead.secret.encode(), secret.encode()
    )
    return raw if same else None


class Keyring:
    """Public side always available; the identity only after `unlock`."""

    def __init__(self, keys_dir: Path) -> None:
        self.dir = keys_dir
        self._identity: x25519.Identity | None = None
        recipients_file = keys_dir / "recipients.txt"
        lines = recipients_file.read_text().split() if recipients_file.exists() else []
        self.recipients = [x25519.Recipient.from_str(r) for r in lines]
        naming = keys_dir / "blob-naming.key"
        self._naming_key = naming.read_bytes() if naming.exists() else b""

    @staticmethod
    def create(keys_dir: Path, secret: str) -> Keyring:
        if not secret:
            raise PassphraseError("a passphrase is needed to protect the archive identity")
        keys_dir.mkdir(parents=True, exist_ok=False, mode=0o700)
        identity = x25519.Identity.generate()
        (keys_dir / "identity.age").write_bytes(
            age_passphrase.encrypt(str(identity).encode(), secret)
        )
        (keys_dir / "recipients.txt").write_text(str(identity.to_public()) + "\n")
        # Blob names are keyed hashes: a copy of the blob store alone cannot be used to
        # confirm that a known file is in the archive.
        naming = keys_dir / "blob-naming.key"
        naming.write_bytes(os.urandom(32))
        (keys_dir / CATALOG_KEY).write_bytes(pyrage.encrypt(os.urandom(32), [identity.to_public()]))
        for f in keys_dir.iterdir():
            f.chmod(0o600)
        ring = Keyring(keys_dir)
        ring._identity = identity
        return ring

    def unlock(self, secret: str | None) -> None:
        if self._identity is not None:
            return
        if not secret:
            raise PassphraseError(
                "passphrase required (set SIJILL_PASSPHRASE or answer the prompt)"
            )
        raw = _take_ahead(self.dir / "identity.age", secret)
        if raw is None:
            try:
                raw = age_passphrase.decrypt((self.dir / "identity.age").read_bytes(), secret)
            except pyrage.DecryptError as exc:
                raise PassphraseError("wrong passphrase for this archive") from exc
        self._identity = x25519.Identity.from_str(raw.decode())

    def unlock_with_identity(self, identity_str: str) -> None:
        self._identity = x25519.Identity.from_str(identity_str)

    @property
    def unlocked(self) -> bool:
        return self._identity is not None

    def identity(self) -> x25519.Identity:
        if self._identity is None:
            raise PassphraseError("the archive is locked: a passphrase is needed")
        return self._identity

    def identity_str(self) -> str:
        return str(self.identity())

    def blob_name(self, sha256_hex: str) -> str:
        return hmac.new(self._naming_key, bytes.fromhex(sha256_hex), hashlib.sha256).hexdigest()

    def catalog_key(self) -> bytes:
        """The key of the encrypted catalog; made (and sealed to the recipients) if missing.

        Archives made before the catalog was encrypted have no key yet: the first command
        that unlocks the identity makes one, and the catalog is then encrypted with it.
        """
        identity = self.identity()
        path = self.dir / CATALOG_KEY
        if not path.exists():
            sealed = pyrage.encrypt(os.urandom(32), self.recipients or [identity.to_public()])
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(sealed)
                f.flush()
                os.fsync(f.fileno())
            try:
                # link, not rename: if another process made the key meanwhile, keep theirs.
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        try:
            key: bytes = pyrage.decrypt(path.read_bytes(), [identity])
        except pyrage.DecryptError as exc:
            raise PassphraseError(f"the catalog key {path.name} cannot be opened") from exc
        if len(key) != 32:
            raise PassphraseError(f"the catalog key {path.name} is damaged")
        return key
