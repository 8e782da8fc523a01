"""verify re-hashes every blob and the custody chain and names the first break; export decrypts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.conftest import CLI
from tests.dbutil import connect_catalog
from tests.pdfgen import write_text_pdf


def _setup(cli: CLI, tmp_path: Path) -> dict[str, str]:
    src = tmp_path / "src"
    src.mkdir()
    write_text_pdf(src / "memo.pdf", [["Checkpoint orders for the northern district, July 2014."]])
    (src / "note.txt").write_text("A short note about the convoy and the bridge at dawn.\n")
    doc = cli.json("ingest", str(src))
    cli("run")
    return {Path(o["path"]).name: o["item_id"] for o in doc["items"]}


def _blob_path(root: Path, name: str) -> Path:
    return root / "blobs" / name[:2] / name[2:4] / name


def test_verify_clean_then_tampered_blob(cli: CLI, tmp_path: Path) -> None:
    ids = _setup(cli, tmp_path)
    ok = cli.json("verify")
    assert ok["ok"] and ok["blobs_checked"] >= 2 and ok["events_checked"] >= 4
    db = connect_catalog(cli.archive)
    blob = db.execute("SELECT blob FROM items WHERE id=?", (ids["note.txt"],)).fetchone()[0]
    db.close()
    p = _blob_path(cli.archive, blob)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    res = cli("verify", "--json", check=False)
    assert res.returncode == 1
    report = json.loads(res.stdout)
    assert not report["ok"]
    assert [pr["blob"] for pr in report["problems"]] == [blob]
    assert report["problems"][0]["ref"] == ids["note.txt"]
    human = cli("verify", check=False)
    assert human.returncode == 1 and blob in human.stdout and "BROKEN" in human.stdout


def test_verify_names_tampered_custody_event(cli: CLI, tmp_path: Path) -> None:
    _setup(cli, tmp_path)
    db = connect_catalog(cli.archive)
    n = db.execute("SELECT count(*) FROM custody_events").fetchone()[0]
    assert n >= 4
    target = 3
    details = json.loads(
        db.execute("SELECT details FROM custody_events WHERE seq=?", (target,)).fetchone()[0]
    )
    details["name"] = "something-else.pdf"
    db.execute("UPDATE custody_events SET details=? WHERE seq=?", (json.dumps(details), target))
    db.commit()
    db.close()
    res = cli("verify", "--json", check=False)
    assert res.returncode == 1
    problems = json.loads(res.stdout)["problems"]
    assert problems == [
        {
            "what": "custody_event",
            "seq": target,
            "reason": "content does not match its recorded hash",
        }
    ]


def test_verify_names_deleted_custody_event(cli: CLI, tmp_path: Path) -> None:
    _setup(cli, tmp_path)
    db = connect_catalog(cli.archive)
    db.execute("DELETE FROM custody_events WHERE seq=2")
    db.commit()
    db.close()
    res = cli("verify", "--json", check=False)
    assert res.returncode == 1
    assert json.loads(res.stdout)["problems"][0]["seq"] == 2


def test_export_original_roundtrip_is_a_custody_event(cli: CLI, tmp_path: Path) -> None:
    ids = _setup(cli, tmp_path)
    out = tmp_path / "out" / "memo-copy.pdf"
    cli("export", ids["memo.pdf"], "--original", "--out", str(out))
    original = (tmp_path / "src" / "memo.pdf").read_bytes()
    assert out.read_bytes() == original
    shown = cli.json("show", ids["memo.pdf"])
    assert shown["sha256"] == hashlib.sha256(original).hexdigest()
    assert shown["custody"][-1]["action"] == "exported_original"
    again = cli("export", ids["memo.pdf"], "--original", "--out", str(out), check=False)
    assert again.returncode == 2 and "exists" in again.stderr
    unknown = cli("export", "ffffffffffff", "--original", "--out", str(tmp_path / "z"), check=False)
    assert unknown.returncode == 2 and "no item" in unknown.stderr
    assert cli.json("verify")["ok"]
