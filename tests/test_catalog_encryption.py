"""The embedded catalog is encrypted at rest: a seized disk without the passphrase shows no
names, texts, metadata or protected terms; an older plaintext catalog is encrypted once."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from sijill.errors import PassphraseError
from sijill.storage.db import PLAIN_HEADER
from tests.conftest import CLI
from tests.dbutil import catalog_key, connect_catalog
from tests.leakgen import CAMERA_SERIAL, GPS_LAT, face_image

# Strings that would give a witness away if the catalog were readable: in a file name, a
# document's text, an e-mail header, a protected term and its Arabic spelling.
MARKER = "Qzzwitnessmarker"
MARKER_AR = "قززشاهد"


def _forms(text: str) -> list[bytes]:
    """The ways a string could sit in a file: UTF-8, UTF-16 either way, lower case."""
    out = []
    for t in {text, text.lower(), text.upper()}:
        out += [t.encode("utf-8"), t.encode("utf-16-le"), t.encode("utf-16-be")]
    return out


def _leaks(root: Path, needles: list[bytes]) -> list[str]:
    """Files of the archive (catalog, WAL, keys, blobs, everything) holding a needle."""
    found = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            found += [f"{p.relative_to(root)}: {n!r}" for n in needles if n in data]
    return found


def _corpus(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    (src / f"statement-{MARKER}.txt").write_text(
        f"The witness {MARKER} saw the convoy near {MARKER_AR} on the bridge at dawn.\n"
    )
    (src / "mail.eml").write_text(
        f"From: {MARKER} <source@example.org>\nTo: desk@example.org\n"
        f"Subject: about {MARKER}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n"
        "The list of names is attached to the next message.\n"
    )
    face_image(src / "photo.jpg")  # GPS position and a camera serial number in EXIF
    return src


@pytest.mark.slow
def test_catalog_file_holds_no_marker_bytes(cli: CLI, tmp_path: Path) -> None:
    cli("ingest", str(_corpus(tmp_path)), "--case", "c1")
    cli("terms", "add", MARKER, MARKER_AR, "--case", "c1")
    cli("run")
    # Through the key, everything is there and searchable (FTS5 works on SQLCipher).
    hits = cli.json("search", MARKER)["hits"]
    assert hits and any(MARKER in h["snippet"] for h in hits)
    db = connect_catalog(cli.archive)
    names = [r[0] for r in db.execute("SELECT name FROM receipts")]
    meta = " ".join(r[0] for r in db.execute("SELECT CAST(data AS TEXT) FROM item_metadata"))
    db.close()
    assert any(MARKER in n for n in names)
    assert CAMERA_SERIAL in meta
    # On disk: the catalog file starts with random salt, not the SQLite header, and no
    # file of the archive holds the marker, the Arabic term, the serial or the position.
    catalog = cli.archive / "sijill.db"
    assert not catalog.read_bytes().startswith(PLAIN_HEADER)
    needles = _forms(MARKER) + _forms(MARKER_AR) + _forms(CAMERA_SERIAL)
    needles.append(f"{GPS_LAT}".encode())
    assert _leaks(cli.archive, needles) == []
    # The plain sqlite3 library, as `sqlite3 sijill.db` would, sees no database at all.
    plain = sqlite3.connect(catalog)
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT name FROM sqlite_master").fetchall()
    plain.close()


def test_open_wal_holds_no_plaintext(cli: CLI, tmp_path: Path) -> None:
    """While a writer holds the catalog open, its WAL (not yet checkpointed) is encrypted too."""
    cli("ingest", str(_corpus(tmp_path)))
    db = connect_catalog(cli.archive)
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE cases SET name=? WHERE id='default'", (f"case {MARKER}",))
    db.execute("COMMIT")
    wal = cli.archive / "sijill.db-wal"
    assert wal.exists() and wal.stat().st_size > 0
    assert _leaks(cli.archive, _forms(MARKER)) == []
    db.close()


def test_commands_without_passphrase_say_they_need_it(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("a short note for the archive\n")
    cli("ingest", str(tmp_path / "note.txt"))
    env = dict(cli.env)
    env.pop("SIJILL_PASSPHRASE")
    locked = CLI(cli.archive, env)
    for args in (("items",), ("status",), ("run",), ("ingest", str(tmp_path / "note.txt"))):
        res = locked(*args, check=False, input="")
        assert res.returncode == 2, args
        assert "encrypted" in res.stderr and "SIJILL_PASSPHRASE" in res.stderr, args
    with pytest.raises(PassphraseError):
        connect_catalog(cli.archive, "not the passphrase")


def _decrypt_to_plain(root: Path) -> None:
    """Turn an archive's catalog back into what older versions wrote: plaintext, no key."""
    key = catalog_key(root.absolute())
    db = root / "sijill.db"
    plain = root / "plain.db"
    conn = sqlcipher.connect(str(db), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()
    for side in ("sijill.db-wal", "sijill.db-shm"):
        (root / side).unlink(missing_ok=True)
    os.replace(plain, db)
    (root / "keys" / "catalog.key.age").unlink()


@pytest.mark.slow
def test_plaintext_catalog_is_encrypted_on_first_unlock(cli: CLI, tmp_path: Path) -> None:
    cli("ingest", str(_corpus(tmp_path)))
    cli("run")
    before = cli.json("items")
    _decrypt_to_plain(cli.archive)
    catalog = cli.archive / "sijill.db"
    assert catalog.read_bytes().startswith(PLAIN_HEADER)
    assert _leaks(cli.archive, [MARKER.encode()]) != []  # the old format leaks
    catalog_key.cache_clear()
    after = cli.json("items")
    assert [i["id"] for i in after["items"]] == [i["id"] for i in before["items"]]
    assert (cli.archive / "keys" / "catalog.key.age").exists()
    assert not catalog.read_bytes().startswith(PLAIN_HEADER)
    assert _leaks(cli.archive, _forms(MARKER)) == []
    assert cli.json("search", MARKER)["hits"]
    report = json.loads(cli("verify", "--json").stdout)
    assert report["ok"]
