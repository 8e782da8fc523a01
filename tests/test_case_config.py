"""Per-case stage settings: a changed setting re-runs only what depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.dbutil import connect_catalog
from tests.pdfgen import write_scanned_pdf, write_text_pdf


@pytest.mark.slow
def test_changing_ocr_languages_reruns_only_ocr(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_scanned_pdf(src / "scan.pdf", ["The prison register was kept by the emir."])
    write_text_pdf(src / "memo.pdf", [["A typed memo with a text layer, untouched by OCR."]])
    cli("ingest", str(src), "--case", "c1")
    cli("run")
    before = cli.json("status")["stages"]
    assert before["tesseract_ocr"] == {"done": 1}

    res = cli("case", "config", "c1", "tesseract_ocr.languages=eng", "tesseract_ocr.psm=3")
    assert '"languages": "eng"' in res.stdout
    bad = cli("case", "config", "c1", "tesseract_ocr.nope=1", check=False)
    assert bad.returncode == 2 and "no setting" in bad.stderr
    db0 = connect_catalog(cli.archive)
    last = db0.execute("SELECT max(id) FROM jobs").fetchone()[0]
    run = cli("run")
    # Only the OCR job of the scan, and the stages that read its text.
    assert "4 done, 0 failed" in run.stdout
    rerun = db0.execute(
        "SELECT j.stage, i.name FROM jobs j JOIN items i ON i.id = j.item_id "
        "WHERE j.id > ? ORDER BY j.id",
        (last,),
    ).fetchall()
    assert sorted(rerun) == [
        ("claim_extractor", "scan.pdf"),
        ("entity_extractor", "scan.pdf"),
        ("tesseract_ocr", "scan.pdf"),
        ("text_translator", "scan.pdf"),
    ]
    assert rerun[0] == ("tesseract_ocr", "scan.pdf")
    after = cli.json("status")["stages"]
    assert after["tesseract_ocr"] == {"done": 1}
    db = connect_catalog(cli.archive)
    states = db.execute(
        "SELECT state, json_extract(config, '$.languages') FROM jobs "
        "WHERE stage='tesseract_ocr' ORDER BY id"
    ).fetchall()
    assert states == [("superseded", "eng+fra+ara"), ("done", "eng")]
    units = db.execute("SELECT count(*) FROM text_units WHERE stage='tesseract_ocr'").fetchone()
    assert units == (1,)  # the superseded job's text left the index
    hits = cli.json("search", "prison register")["hits"]
    assert len(hits) == 1 and hits[0]["method"] == "ocr"
    assert "0 done, 0 failed" in cli("run").stdout  # nothing left to do
    stages = cli.json("stages")["stages"]
    ocr = next(s for s in stages if s["name"] == "tesseract_ocr")
    assert {s["name"] for s in ocr["settings"]} >= {"languages", "psm", "dpi"}


def test_stage_warnings_are_shown_on_the_item(cli: CLI, tmp_path: Path) -> None:
    """A stage that keeps going but drops something says so where a person looks."""
    doc = tmp_path / "long.txt"
    doc.write_text("The convoy left at dawn. " * 400, encoding="utf-8")
    cli("ingest", str(doc), "--case", "c1")
    cli("case", "config", "c1", "office_text_extractor.max_chars=1000")
    cli("run")
    item = cli.json("items")["items"][0]
    stages = {s["stage"]: s for s in cli.json("show", item["id"])["stages"]}
    assert stages["office_text_extractor"]["warnings"], stages
    assert "warning" in cli("show", item["id"]).stdout
