"""Entities through the archive: mentions with provenance, resolved per case across scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.dbutil import connect_catalog

EN = (
    "Report of 12 March 2024. Abu Hamza al-Firansi met the commander in Raqqa. "
    "The convoy then drove to Mosul. Daesh fighters held the bridge."
)
AR = (
    "قال الشاهد إن أبو حمزة الفرنسي وصل إلى الرقة في تموز ٢٠١٤ ثم غادر إلى الموصل. "
    "وكان عناصر داعش عند الجسر."
)


@pytest.mark.slow
def test_mentions_resolve_to_one_entity_per_case_across_scripts(cli: CLI, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "report.txt").write_text(EN, encoding="utf-8")
    (src / "shahid.txt").write_text(AR, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text("A separate inquiry in Raqqa.", encoding="utf-8")
    cli("ingest", str(src), "--case", "c1")
    cli("ingest", str(other), "--case", "c2")
    cli("case", "config", "c1", "entity_extractor.glossary=convoy=a column of vehicles")
    cli("run")

    ents = cli.json("entities", "--case", "c1", "--mentions")["entities"]
    by = {(e["label"], e["name"]): e for e in ents}
    raqqa = by[("PLACE", "Raqqa")]
    assert raqqa["items"] == 2 and {"Raqqa", "الرقة"} <= set(raqqa["aliases"])
    assert raqqa["lat"] and raqqa["lon"]
    mosul = by[("PLACE", "Mosul")]
    assert mosul["items"] == 2
    # Which spelling names the merged entity depends on which item was read first (two
    # workers run side by side); both spellings must be on it.
    kunya = [
        e
        for e in ents
        if e["label"] == "PERSON" and any("Hamza" in n for n in [e["name"], *e["aliases"]])
    ]
    assert kunya, ents
    assert any(e["label"] == "DATE" for e in ents)
    assert any(e["label"] == "TERM" and e["name"] == "convoy" for e in ents)
    # One organisation under two names (the alias table), merged with the table's reason.
    group = [
        e for e in ents if e["label"] == "ORG" and {"Daesh", "داعش"} & {e["name"], *e["aliases"]}
    ]
    assert len(group) == 1 and {"Daesh", "داعش"} <= {group[0]["name"], *group[0]["aliases"]}
    merged = cli.json("entities", "merges", "--case", "c1")["merges"]
    alias = [m for m in merged if any(r.startswith("alias table: ") for r in m["reasons"])]
    assert len(alias) == 1 and alias[0]["status"] == "auto", merged

    # Every mention points at its text unit, with exact offsets.
    db = connect_catalog(cli.archive)
    rows = db.execute(
        "SELECT m.text, m.char_start, m.char_end, t.text FROM mentions m "
        "JOIN text_units t ON t.id = m.text_unit_id"
    ).fetchall()
    assert rows and all(unit[s:e] == text for text, s, e, unit in rows)

    # Entities never cross cases.
    c2 = cli.json("entities", "--case", "c2")["entities"]
    assert [e["name"] for e in c2 if e["label"] == "PLACE"] == ["Raqqa"]
    assert raqqa["id"] not in {e["id"] for e in c2}

    items = {i["name"]: i["id"] for i in cli.json("items")["items"]}
    only = cli.json("entities", "--item", items["shahid.txt"])["entities"]
    assert {e["name"] for e in only if e["label"] == "PLACE"} == {"Raqqa", "Mosul"}

    # A re-run of the text stage re-extracts without duplicating mentions.
    before = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
    cli("case", "config", "c1", "office_text_extractor.text_section_chars=60")
    cli("run")
    after = db.execute("SELECT count(*), count(DISTINCT text_unit_id) FROM mentions").fetchone()
    live_units = db.execute(
        "SELECT count(*) FROM mentions m WHERE NOT EXISTS "
        "(SELECT 1 FROM text_units t WHERE t.id = m.text_unit_id)"
    ).fetchone()[0]
    assert live_units == 0  # no mention points at a replaced unit
    assert abs(after[0] - before) <= 4, (before, after)  # same names, split differently
