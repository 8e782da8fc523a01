"""verify holds the catalog to its custody events: the chain's anchored head catches deleted
trailing events, and the digests events carry catch records edited after them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sijill.storage.archive import Archive
from tests.conftest import CLI, cli_env
from tests.dbutil import connect_catalog
from tests.leakgen import face_image
from tests.test_postgres import pg_url  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One archive with a note, a photo with GPS in its EXIF, two terms and a copy."""
    base = tmp_path_factory.mktemp("anchor")
    cli = CLI(base / "archive", cli_env())
    cli("init")
    src = base / "src"
    src.mkdir()
    (src / "note.txt").write_text("The convoy crossed the bridge at dawn, the driver said.\n")
    face_image(src / "photo.jpg")
    ids = {Path(o["path"]).name: o["item_id"] for o in cli.json("ingest", str(src))["items"]}
    cli("run")
    cli("terms", "add", "Abu Rayyan")
    cli("terms", "add", "Kafr Nabl", "--kind", "place")
    copy = cli.json("protect", ids["note.txt"])
    assert copy["status"] == "passed"
    return {"root": cli.archive, "ids": ids, "copy": copy["id"]}


def _fresh(built: dict[str, Any], tmp_path: Path) -> CLI:
    """A copy of the built archive to tamper with."""
    root = tmp_path / "archive"
    shutil.copytree(built["root"], root)
    return CLI(root, cli_env())


def _problems(cli: CLI, *args: str) -> tuple[int, dict[str, Any]]:
    res = cli("verify", "--json", *args, check=False)
    return res.returncode, json.loads(res.stdout)


def test_clean_archive_verifies_and_prints_its_head(built: dict[str, Any], tmp_path: Path) -> None:
    cli = _fresh(built, tmp_path)
    doc = cli.json("verify")
    assert doc["ok"] and doc["problems"] == [] and doc["records_checked"] > 10
    db = connect_catalog(cli.archive)
    n, last = db.execute("SELECT count(*), max(seq) FROM custody_events").fetchone()
    head = db.execute("SELECT hash FROM custody_events WHERE seq=?", (last,)).fetchone()[0]
    db.close()
    assert doc["head"] == {"length": n, "hash": head} == doc["anchor"]
    human = cli("verify")
    assert f"custody head: {head}:{n}" in human.stdout
    # A head written down earlier is found in the chain; a wrong one fails, a malformed one
    # is a usage error.
    assert cli("verify", "--expect-head", f"{head}:{n}").returncode == 0
    rc, bad = _problems(cli, "--expect-head", f"{'0' * 63}1:{n}")
    assert rc == 1 and bad["problems"][0]["what"] == "expected_head"
    rc, moved = _problems(cli, "--expect-head", f"{head}:{n - 1}")
    assert rc == 1 and "expected head" in moved["problems"][0]["reason"]
    assert cli("verify", "--expect-head", "nothex", check=False).returncode == 2


def test_deleted_trailing_events_are_named(built: dict[str, Any], tmp_path: Path) -> None:
    cli = _fresh(built, tmp_path)
    db = connect_catalog(cli.archive)
    n = db.execute("SELECT max(seq) FROM custody_events").fetchone()[0]
    # What is left is a valid chain, only shorter: only the anchor can tell.
    db.execute("DELETE FROM custody_events WHERE seq > ?", (n - 2,))
    db.commit()
    db.close()
    rc, doc = _problems(cli)
    assert rc == 1
    first, *rest = doc["problems"]
    assert first["what"] == "custody_anchor"
    assert first["reason"].startswith(f"custody events {n - 1}..{n} deleted")
    # What those events recorded is now unaccounted for.
    assert all("has no custody event" in p["reason"] for p in rest)
    human = cli("verify", check=False)
    assert human.returncode == 1 and f"custody events {n - 1}..{n} deleted" in human.stdout


def test_edited_records_are_named(built: dict[str, Any], tmp_path: Path) -> None:
    cli = _fresh(built, tmp_path)
    ids = built["ids"]
    note, photo = ids["note.txt"], ids["photo.jpg"]
    db = connect_catalog(cli.archive)
    unit = db.execute("SELECT id FROM text_units WHERE item_id=? LIMIT 1", (note,)).fetchone()[0]
    db.execute("UPDATE text_units SET text='The convoy never came.' WHERE id=?", (unit,))
    receipt = db.execute("SELECT id FROM receipts WHERE item_id=?", (photo,)).fetchone()[0]
    db.execute("UPDATE receipts SET source='someone-else' WHERE id=?", (receipt,))
    db.execute("UPDATE items SET name='harmless.txt' WHERE id=?", (note,))
    meta_id, data = db.execute(
        "SELECT id, data FROM item_metadata WHERE item_id=? AND data LIKE '%GPS%'", (photo,)
    ).fetchone()
    meta = json.loads(data)
    gps = [k for k in meta if "GPS" in k]
    assert gps
    db.execute(
        "UPDATE item_metadata SET data=? WHERE id=?",
        (json.dumps({k: v for k, v in meta.items() if k not in gps}), meta_id),
    )
    # One term is weakened (the leak check would look for the wrong name), one is deleted.
    terms = dict(db.execute("SELECT kind, id FROM protected_terms").fetchall())
    db.execute("UPDATE protected_terms SET term='Abu R.' WHERE id=?", (terms["name"],))
    db.execute("DELETE FROM protected_terms WHERE id=?", (terms["place"],))
    db.execute("UPDATE publication_copies SET status='failed' WHERE id=?", (built["copy"],))
    db.commit()
    db.close()
    rc, doc = _problems(cli)
    assert rc == 1
    reasons = [p["reason"] for p in doc["problems"]]
    named = {(p["record"], p["id"]) for p in doc["problems"]}
    assert named == {
        ("text_unit", unit),
        ("receipt", receipt),
        ("item", note),
        ("metadata", meta_id),
        ("term", terms["name"]),
        ("term", terms["place"]),
        ("copy", built["copy"]),
    }, reasons
    assert any(
        r.startswith(f"text unit {unit} of item {note} (job ") and "was edited after" in r
        for r in reasons
    )
    assert any(f"protected term {terms['place']}" in r and "deleted" in r for r in reasons)
    # The terms' texts never appear in what verify says.
    assert "Rayyan" not in json.dumps(doc) and "Abu R." not in json.dumps(doc)
    human = cli("verify", check=False).stdout
    assert f"item {note} was edited after custody event #" in human


def test_tampered_or_stale_anchor(built: dict[str, Any], tmp_path: Path) -> None:
    cli = _fresh(built, tmp_path)
    anchor = cli.archive / "keys" / "custody.anchor"
    good = json.loads(anchor.read_text())
    # An anchor moved back to an earlier head, without the key to authenticate it.
    anchor.write_text(json.dumps({**good, "length": good["length"] - 2}))
    rc, doc = _problems(cli)
    assert rc == 1 and doc["problems"][0]["what"] == "custody_anchor"
    assert "does not authenticate" in doc["problems"][0]["reason"]
    # A crash between a commit and its anchor: the chain runs past the anchor. Not a break,
    # but said; the next event anchors the chain again.
    anchor.write_text(json.dumps(good))
    cli("terms", "add", "Samir Haddad")
    anchor.write_text(json.dumps(good))
    rc, doc = _problems(cli)
    assert rc == 0 and any("after the anchor" in w for w in doc["warnings"]), doc
    cli("terms", "remove", "Samir Haddad")
    rc, doc = _problems(cli)
    assert rc == 0 and doc["warnings"] == [] and doc["anchor"] == doc["head"]


@pytest.mark.postgres
def test_postgresql_chain_is_anchored_too(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    from sqlalchemy import text

    from sijill.archive.ingest import ingest
    from sijill.archive.terms import add_term
    from sijill.archive.verify import verify
    from sijill.settings import Settings
    from tests.conftest import PASSPHRASE

    settings = Settings(passphrase=PASSPHRASE, user="tester", database_url=pg_url)
    archive = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    try:
        (tmp_path / "a.txt").write_text("The convoy crossed the bridge at dawn.\n")
        ingest(archive, [tmp_path / "a.txt"], actor="tester")
        with archive.catalog.session() as s:
            add_term(s, "default", "Abu Rayyan", "tester")
        clean = verify(archive)
        assert clean.ok and clean.head is not None and clean.anchor == clean.head
        with archive.catalog.engine.begin() as conn:
            conn.execute(text("UPDATE items SET name='other.txt'"))
            conn.execute(
                text("DELETE FROM custody_events WHERE seq = :n"), {"n": clean.head.length}
            )
        reasons = [p["reason"] for p in verify(archive).problems]
        assert reasons[0].startswith(f"custody events {clean.head.length} deleted"), reasons
        assert any(r.startswith("item ") and "was edited after" in r for r in reasons), reasons
    finally:
        archive.close()


def test_events_of_one_transaction_chain_and_a_rolled_back_savepoint_leaves_no_gap(
    archive: Archive,
) -> None:
    """A runner batch appends many events in one transaction without reading the head back;
    an ingest batch rolls one file's savepoint back. The chain must stay one unbroken line
    and the record digests must land on an event that was committed."""
    from sijill.storage import custody
    from sijill.storage.models import CustodyEvent

    with archive.catalog.session() as s:
        first = custody.append(s, "tester", "note", None, {"n": 1})
        second = custody.append(s, "tester", "note", None, {"n": 2})
        assert second.seq == first.seq + 1 and second.prev_hash == first.hash
        with pytest.raises(RuntimeError), s.begin_nested():
            custody.append(s, "tester", "note", None, {"n": "rolled back"})
            raise RuntimeError("this file failed")
        third = custody.append(s, "tester", "note", None, {"n": 3})
        with s.begin_nested():
            custody.append(s, "tester", "note", None, {"n": "kept"})
        with pytest.raises(RuntimeError), s.begin_nested():
            custody.append(s, "tester", "note", None, {"n": "last, rolled back"})
            raise RuntimeError("the batch's last file failed")
    assert third.seq == second.seq + 1 and third.prev_hash == second.hash
    with archive.catalog.session() as s:
        checked, broken = custody.verify_chain(s)
        assert broken is None
        rows = s.query(CustodyEvent).order_by(CustodyEvent.seq).all()
        assert [r.details.get("n") for r in rows[-4:]] == [1, 2, 3, "kept"]
        assert checked == len(rows)


def test_a_file_that_fails_mid_batch_leaves_the_earlier_files_records_covered(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest seals files in batches, one savepoint per file. When one file's records fail
    (here: a catalog error while registering the third file, forced because no real input
    triggers it on demand), its savepoint is rolled back; the earlier files' records are
    committed and must still be covered by digests in their custody events, or `verify`
    could not tell an edit of them from the original."""
    from sijill.archive import ingest as ingest_mod
    from sijill.archive.verify import verify

    src = tmp_path / "batch"
    src.mkdir()
    for i in range(3):
        (src / f"n{i}.txt").write_text(f"Statement number {i} about the checkpoint at dawn.\n")
    real = ingest_mod.register_item
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        out = real(*args, **kwargs)
        if calls["n"] == 3:
            raise RuntimeError("the catalog refused this file's records")
        return out

    monkeypatch.setattr(ingest_mod, "register_item", flaky)
    with pytest.raises(RuntimeError):
        ingest_mod.ingest(archive, [src], actor="tester")
    report = verify(archive)
    assert report.problems == [], report.problems
    assert report.not_covered == {}, report.warnings
    assert report.records_checked >= 4  # two items and their receipts


def test_the_anchor_never_runs_ahead_of_what_was_committed(archive: Archive) -> None:
    """A savepoint released inside a transaction that then rolls back (an ingest batch
    killed before its commit) must not advance the anchor: the anchor would claim events
    the catalog never kept, and `verify` would report a cut-off chain that nobody cut."""
    from sijill.archive.verify import verify
    from sijill.storage import custody

    anchor = archive.root / "keys" / "custody.anchor"
    with archive.catalog.session() as s:
        custody.append(s, "tester", "note", None, {"n": "committed"})
    before = json.loads(anchor.read_text())["length"]
    with pytest.raises(RuntimeError), archive.catalog.session() as s:
        for n in range(3):
            with s.begin_nested():  # one file's records, released
                custody.append(s, "tester", "note", None, {"n": n})
        raise RuntimeError("the command died before the batch was committed")
    assert json.loads(anchor.read_text())["length"] == before
    report = verify(archive)
    assert report.problems == [], report.problems
    # The next commit anchors its own head, once, at the commit.
    with archive.catalog.session() as s:
        with s.begin_nested():
            custody.append(s, "tester", "note", None, {"n": "a"})
        with s.begin_nested():
            last = custody.append(s, "tester", "note", None, {"n": "b"})
    assert json.loads(anchor.read_text())["length"] == last.seq == before + 2
    assert verify(archive).problems == []
