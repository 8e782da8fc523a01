"""Protected terms: pseudonyms per case, spellings sharing one, proposals from detected names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.dbutil import connect_catalog


@pytest.mark.slow
def test_terms_get_consistent_pseudonyms_and_never_reach_the_custody_log(cli: CLI) -> None:
    added = cli.json("terms", "add", "Abu Rayyan", "أبو ريان", "--case", "default")["terms"]
    assert [t["pseudonym"] for t in added] == ["Witness A", "Witness A"]
    second = cli.json("terms", "add", "Samir Haddad")["terms"][0]
    assert second["pseudonym"] == "Witness B"
    place = cli.json("terms", "add", "Kafr Nabl", "--kind", "place")["terms"][0]
    assert place["pseudonym"] == "Place A"
    alias = cli.json("terms", "add", "Abou Rayan", "--same-as", "Abu Rayyan")["terms"][0]
    assert alias["pseudonym"] == "Witness A"
    again = cli.json("terms", "add", "Abu Rayyan")["terms"][0]
    assert again["id"] == added[0]["id"]  # adding twice changes nothing

    listed = cli.json("terms", "--case", "default")
    assert listed["total"] == 5
    by_term = {t["term"]: t for t in listed["terms"]}
    assert by_term["أبو ريان"]["pseudonym"] == "Witness A"

    # Usage errors: a phone number with too few digits, an unknown kind, an unknown case.
    bad = cli("terms", "add", "12 34", "--kind", "phone", check=False)
    assert bad.returncode == 2 and "7 digits" in bad.stderr
    assert cli("terms", "add", "x", "--kind", "weapon", check=False).returncode == 2
    assert cli("terms", "add", "x", "--case", "nope", check=False).returncode == 2
    assert cli("terms", "add", "x", "--same-as", "nobody", check=False).returncode == 2

    cli("terms", "remove", "Samir Haddad")
    assert "Samir Haddad" not in {t["term"] for t in cli.json("terms")["terms"]}
    assert cli("terms", "remove", "Samir Haddad", check=False).returncode == 2

    # The custody log records that terms changed, never the terms.
    db = connect_catalog(cli.archive)
    details = " ".join(
        r[0]
        for r in db.execute(
            "SELECT details FROM custody_events WHERE action LIKE 'protected_term%'"
        )
    )
    assert "Witness A" in details
    for secret in ("Rayyan", "ريان", "Samir", "Kafr"):
        assert secret not in details


@pytest.mark.slow
def test_detected_person_names_are_proposed_and_accepted_with_every_spelling(
    cli: CLI, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "report.txt").write_text(
        "Abu Hamza al-Firansi met the commander in Raqqa. Abu Hamza al-Firansi left at dawn.",
        encoding="utf-8",
    )
    (src / "shahid.txt").write_text(
        "قال الشاهد إن أبو حمزة الفرنسي وصل إلى الرقة ثم غادر.", encoding="utf-8"
    )
    cli("ingest", str(src))
    cli("run")
    proposals = cli.json("terms", "propose")["proposals"]
    hamza = [p for p in proposals if any("Hamza" in s for s in p["spellings"])]
    assert hamza, proposals
    assert all(p["kind"] == "name" for p in proposals)
    assert not any("Raqqa" in s for p in proposals for s in p["spellings"])  # places are not

    eid = hamza[0]["entity_id"]
    cli("terms", "propose", "--accept", str(eid))
    terms = cli.json("terms")["terms"]
    spellings = {t["term"] for t in terms}
    assert {"Abu Hamza al-Firansi", "أبو حمزة الفرنسي"} <= spellings
    assert len({t["pseudonym"] for t in terms}) == 1
    assert not any(eid == p["entity_id"] for p in cli.json("terms", "propose")["proposals"])
