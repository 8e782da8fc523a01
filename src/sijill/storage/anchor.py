"""The custody chain's anchor: its length and head hash, kept outside the catalog.

Whoever can edit the catalog can delete the newest custody events and leave a valid, shorter
chain. So after every commit that appends events, the chain's length and the hash of its last
event are written to `keys/custody.anchor`, authenticated with a key derived from the
archive identity (which only the passphrase unlocks). `verify` compares the chain with it:
shorter means events were deleted; a wrong MAC means the anchor was edited or replaced.

The anchor only moves forward, under a file lock: two writers committing one after the other
may write their anchors in either order, and the later chain always wins. A crash between the
commit and the anchor leaves the chain longer than its anchor, which `verify` reports as a
warning and the next commit mends.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sijill.errors import PassphraseError
from sijill.storage.crypto import Keyring

log = logging.getLogger(__name__)

ANCHOR_FILE = "custody.anchor"
LOCK_FILE = "custody.anchor.lock"
_ANCHOR_LABEL = b"sijill custody anchor v1"
_TERM_LABEL = b"sijill protected term digest v1"


@dataclass(frozen=True)
class Head:
    length: int
    hash: str

    def __str__(self) -> str:
        return f"{self.hash}:{self.length}"


@dataclass(frozen=True)
class AnchorRead:
    """What the anchor file says: a head, or why it cannot be trusted (or that it is absent)."""

    head: Head | None
    present: bool
    problem: str | None = None


def _mac(key: bytes, length: int, head: str) -> str:
    return hmac.new(
        key, f"sijill-custody-anchor\n{length}\n{head}\n".encode(), "sha256"
    ).hexdigest()


class CustodyKeys:
    """The anchor file and the keys derived from the identity, for one archive."""

    def __init__(self, keys: Keyring, unlock: Callable[[], None] | None = None) -> None:
        self.keys = keys
        self.path = keys.dir / ANCHOR_FILE
        self._unlock = unlock

    def _derive(self, label: bytes) -> bytes | None:
        if not self.keys.unlocked and self._unlock is not None:
            try:
                self._unlock()
            except PassphraseError:
                return None
        if not self.keys.unlocked:
            return None
        return hmac.new(self.keys.identity_str().encode(), label, hashlib.sha256).digest()

    def anchor_key(self) -> bytes | None:
        return self._derive(_ANCHOR_LABEL)

    def term_key(self) -> bytes | None:
        return self._derive(_TERM_LABEL)

    def read(self) -> AnchorRead:
        key = self.anchor_key()
        if key is None:
            raise PassphraseError("checking the custody anchor needs the unlocked identity")
        return _parse(self.path, key)

    def advance(self, head: Head) -> None:
        """Record `head` as the chain's head unless the anchor already holds a longer chain."""
        key = self.anchor_key()
        if key is None:
            log.warning(
                "custody events up to #%d are not anchored: the identity is locked", head.length
            )
            return
        lock = os.open(self.keys.dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = _parse(self.path, key)
            if current.problem is not None:
                # Never paper over a tampered anchor: verify must still see it.
                log.warning("custody anchor not advanced: %s", current.problem)
                return
            if current.head is not None and current.head.length >= head.length:
                return
            doc = {"format": 1, "length": head.length, "head": head.hash}
            doc["mac"] = _mac(key, head.length, head.hash)
            tmp = self.path.with_name(f".{ANCHOR_FILE}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(doc) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            os.close(lock)


def _parse(path: Path, key: bytes) -> AnchorRead:
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return AnchorRead(None, False)
    except OSError as exc:
        return AnchorRead(None, True, f"the custody anchor cannot be read ({exc.strerror})")
    try:
        doc = json.loads(raw)
        length, head, mac = int(doc["length"]), str(doc["head"]), str(doc["mac"])
    except (ValueError, KeyError, TypeError):
        return AnchorRead(None, True, "the custody anchor is damaged (not an anchor file)")
    if not hmac.compare_digest(mac, _mac(key, length, head)):
        return AnchorRead(
            None, True, "the custody anchor does not authenticate: it was edited or replaced"
        )
    return AnchorRead(Head(length, head), True)
