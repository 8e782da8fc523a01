"""Creating an archive: WAL catalog via Alembic, encrypted identity, sealed and keyed blobs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sijill.storage.db import HEAD, migrate
from tests.conftest import CLI
from tests.dbutil import connect_catalog


def test_init_creates_sealed_archive(cli: CLI) -> None:
    root = cli.archive
    db = connect_catalog(root)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"items", "jobs", "text_units", "text_fts", "custody_events", "media_hashes"} <= tables
    identity = (root / "keys" / "identity.age").read_bytes()
    assert b"AGE-SECRET-KEY" not in identity  # stored encrypted with the passphrase
    assert identity.startswith(b"age-encryption.org/v1")
    assert (root / "keys" / "recipients.txt").read_text().startswith("age1")


def test_originals_encrypted_and_blob_names_are_not_file_names(cli: CLI, tmp_path: Path) -> None:
    secret = b"The safe house is behind the bakery on Rue Sans-Nom.\n"
    f = tmp_path / "witness-statement-safehouse.txt"
    f.write_bytes(secret)
    item = cli.json("ingest", str(f))["items"][0]
    blobs = [p for p in (cli.archive / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    blob = blobs[0]
    assert b"safe house" not in blob.read_bytes()
    assert blob.read_bytes().startswith(b"age-encryption.org/v1")
    # Named neither after the file nor after the content's plain sha256.
    assert "witness" not in blob.name
    assert blob.name != hashlib.sha256(secret).hexdigest()
    shown = cli.json("show", item["item_id"])
    assert shown["sha256"] == hashlib.sha256(secret).hexdigest()
    assert shown["size"] == len(secret)
    assert shown["received_by"] == "tester"


def test_init_refuses_existing_archive_and_wrong_passphrase(cli: CLI, tmp_path: Path) -> None:
    again = cli("init", check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    f = tmp_path / "x.txt"
    f.write_text("some words for the archive\n")
    cli("ingest", str(f))
    bad = CLI(cli.archive, dict(cli.env, SIJILL_PASSPHRASE="wrong"))
    res = bad("run", check=False)
    assert res.returncode == 2 and "wrong passphrase" in res.stderr
    missing = CLI(tmp_path / "nowhere", cli.env)("items", check=False)
    assert missing.returncode == 2 and "no archive" in missing.stderr


def test_no_passphrase_without_terminal_is_a_usage_error(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env = dict(env)
    env.pop("SIJILL_PASSPHRASE")
    res = CLI(tmp_path / "a", env)("init", check=False, input="")
    assert res.returncode == 2 and "SIJILL_PASSPHRASE" in res.stderr


def test_ingest_records_source_case_and_receipts(cli: CLI, tmp_path: Path) -> None:
    d = tmp_path / "folder" / "sub"
    d.mkdir(parents=True)
    (d / "one.txt").write_text("first testimony text, long enough\n")
    (tmp_path / "folder" / "two.txt").write_text("second testimony text, long enough\n")
    doc = cli.json(
        "ingest", str(tmp_path / "folder"), "--case", "raqqa-2014", "--source", "NIGHTJAR"
    )
    assert doc["new"] == 2
    listed = cli.json("items", "--case", "raqqa-2014")
    assert listed["total"] == 2
    for it in listed["items"]:
        assert it["case"] == "raqqa-2014" and it["source"] == "NIGHTJAR"
        assert set(it) >= {
            "id",
            "sha256",
            "kind",
            "mime",
            "name",
            "case",
            "source",
            "status",
            "parent_id",
        }
    bad_case = cli("ingest", str(tmp_path / "folder"), "--case", "../etc", check=False)
    assert bad_case.returncode == 2


def test_upgrade_from_first_schema_keeps_search(tmp_path: Path) -> None:
    """A catalog made by revision 0001 upgrades in place; full-text triggers survive."""
    from sqlalchemy import create_engine

    db_path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db_path}")
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO cases VALUES ('c', 'c', '2026-01-01', '{}')")
        conn.exec_driver_sql(
            "INSERT INTO items (id, case_id, sha256, size, name, mime, kind, description, blob,"
            " depth, status, received_at, received_by, info) VALUES ('i', 'c', 'x', 1, 'n',"
            " 'text/plain', 'text', '', 'b', 0, 'processed', '2026-01-01', 'a', '{}')"
        )
        conn.exec_driver_sql(
            "INSERT INTO jobs (item_id, input_sha256, stage, stage_version, config_hash, config,"
            " state, attempts, result, created_at) VALUES ('i', 'x', 's', 1, 'h', '{}', 'done',"
            " 1, '{}', '2026-01-01')"
        )
        conn.exec_driver_sql(
            "INSERT INTO text_units (item_id, job_id, stage, kind, seq, method, text, norm)"
            " VALUES ('i', 1, 's', 'page', 0, 'ocr', 'old convoy', 'old convoy')"
        )
    migrate(engine)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
        conn.exec_driver_sql(
            "INSERT INTO text_units (item_id, job_id, stage, kind, seq, method, text, norm,"
            " info) VALUES ('i', 1, 's', 'segment', 1, 'asr', 'new convoy', 'new convoy', '{}')"
        )
        hits = conn.exec_driver_sql(
            "SELECT rowid FROM text_fts WHERE text_fts MATCH 'convoy'"
        ).fetchall()
    assert len(hits) == 2
