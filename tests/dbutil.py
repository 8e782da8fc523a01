"""Direct SQL access to an archive's catalog from tests (tampering, inspection).

Tests go through this instead of the stdlib `sqlite3`: the catalog is encrypted at rest
(SQLCipher), so the connection is opened with the archive's catalog key, which the test
passphrase unlocks. Plain `sqlite3` sees only noise (tests/test_catalog_encryption.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sijill.storage.crypto import Keyring
from sijill.storage.db import connect_encrypted

PASSPHRASE = "correct horse battery staple"


@cache
def catalog_key(root: Path, passphrase: str = PASSPHRASE) -> bytes:
    """The catalog key of the archive at `root` (unlocking costs scrypt: kept per process)."""
    ring = Keyring(root / "keys")
    ring.unlock(passphrase)
    return ring.catalog_key()


def connect_catalog(root: Path, passphrase: str = PASSPHRASE) -> Any:
    """A DB-API connection to `root`'s catalog (sqlite3-like: execute, commit, close)."""
    root = Path(root).absolute()
    return connect_encrypted(root / "sijill.db", catalog_key(root, passphrase))
