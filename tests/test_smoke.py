"""The spine end to end on plain files: init, ingest, run, status, dedup."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI


@pytest.mark.slow
def test_ingest_run_twice_is_idempotent(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("The convoy left at dawn.\n")
    (src / "copy-of-a.dat").write_text("The convoy left at dawn.\n")
    doc = cli.json("ingest", str(src))
    assert doc["new"] == 1 and doc["duplicate"] == 1
    ids = {o["item_id"] for o in doc["items"]}
    assert len(ids) == 1
    cli("run")
    status = cli.json("status")
    assert status["items_by_status"] == {"processed": 1}
    second = cli("run")
    assert "0 done, 0 failed" in second.stdout
    shown = cli.json("show", ids.pop())
    assert [r["name"] for r in shown["receipts"]] == ["a.txt", "copy-of-a.dat"]
    actions = [e["action"] for e in shown["custody"]]
    assert actions[:2] == ["ingest", "received_again"]
