"""Opening the archive key in a forked child while the command loads (`crypto.unlock_ahead`).

The checks run in a fresh interpreter: fork copies only the calling thread, and the entry
point forks before any thread exists, which a pytest worker (with its own threads) is not.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sijill.cli.entry import _archive_arg

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sijill.errors import PassphraseError
    from sijill.storage import crypto
    from sijill.storage.crypto import Keyring

    root = Path(sys.argv[1])
    keys, other = root / "a" / "keys", root / "b" / "keys"
    Keyring.create(keys, "correct horse")
    Keyring.create(other, "correct horse")
    real = crypto.age_passphrase.decrypt
    calls = []

    def counted(data, secret):
        calls.append(secret)
        return real(data, secret)

    crypto.age_passphrase.decrypt = counted

    # Taken: unlock does not decrypt again, and the identity is the archive's.
    crypto.unlock_ahead(keys, "correct horse")
    ring = Keyring(keys)
    ring.unlock("correct horse")
    import pyrage
    assert calls == [], calls
    assert pyrage.decrypt(pyrage.encrypt(b"x", ring.recipients), [ring.identity()]) == b"x"

    # A wrong passphrase ahead: the right one given to unlock still opens the key.
    crypto.unlock_ahead(keys, "wrong")
    ring = Keyring(keys)
    ring.unlock("correct horse")
    assert ring.unlocked and calls == ["correct horse"], calls

    # The right passphrase ahead, a wrong one given: refused, as without the child.
    crypto.unlock_ahead(keys, "correct horse")
    try:
        Keyring(keys).unlock("wrong")
    except PassphraseError as exc:
        assert "wrong passphrase" in str(exc)
    else:
        raise AssertionError("a wrong passphrase unlocked the archive")

    # Another archive's folder: opened by unlock itself.
    calls.clear()
    crypto.unlock_ahead(keys, "correct horse")
    ring = Keyring(other)
    ring.unlock("correct horse")
    assert ring.unlocked and calls == ["correct horse"], calls

    # No key file: nothing is started.
    crypto.unlock_ahead(root / "nowhere", "correct horse")
    assert crypto._ahead == []
    print("ok")
    """
)


def test_unlock_takes_only_the_key_opened_ahead_for_its_folder_and_passphrase(
    tmp_path: Path,
) -> None:
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_the_archive_folder_is_read_from_the_group_options_only() -> None:
    assert _archive_arg(["--archive", "/a", "ingest", "x"]) == "/a"
    assert _archive_arg(["--archive=/b", "run"]) == "/b"
    assert _archive_arg(["ingest", "--archive", "/c"]) is None  # not a group option here
    assert _archive_arg([]) is None
