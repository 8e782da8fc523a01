"""Claims and corroboration through the archive: testimonies in three languages, real models.

Several witnesses (English, French, Arabic) describe the same execution; one tells it with a
different date; one witness gives two statements. After `run`, every claim has provenance,
speaker, dates, numbers and entities; the claims of independent witnesses are linked with
reasons, a witness never corroborates themself, and entities merge across scripts and forms.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CLI
from tests.dbutil import connect_catalog

EN = (
    "Q: Where were you held?\n"
    "A: I was held for two months in the prison at the Tabqa dam with about three hundred "
    "other prisoners.\n"
    "A: In July 2014 the guards executed Abu Rayyan al-Nakhli in the main square of Raqqa.\n"
    "A: Six weeks ago I crossed the border at night.\n"
)
EN_AGAIN = "The guards shot Abu Rayyan al-Nakhli in the main square of Raqqa in July 2014.\n"
FR = (
    "Abou Rayyan a été exécuté par les gardes sur la place principale de Raqqa en juillet 2014.\n"
    "La prison du barrage de Tabqa comptait environ trois cents détenus.\n"
)
AR = "أعدم الحراس أبو ريان النخلي في الساحة الرئيسية في الرقة في آذار ٢٠١٥.\n"


@pytest.fixture(scope="module")
def archive_cli(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    from tests.conftest import cli_env

    tmp = tmp_path_factory.mktemp("corroboration")
    c = CLI(tmp / "archive", cli_env())
    c("init")
    files = {
        "w1.txt": (EN, "HERON", "2015-09-01"),
        "w1-second.txt": (EN_AGAIN, "HERON", None),
        "w2.txt": (FR, "KESTREL", None),
        "w3.txt": (AR, "OSPREY", None),
    }
    for name, (text, witness, date) in files.items():
        p = tmp / name
        p.write_text(text, encoding="utf-8")
        args = ["ingest", str(p), "--case", "c1", "--witness", witness]
        if date:
            args += ["--date", date]
        c(*args)
    other = tmp / "other-case.txt"
    other.write_text("Abu Rayyan was seen in Raqqa in July 2014.\n", encoding="utf-8")
    c("ingest", str(other), "--case", "c2", "--witness", "PLOVER")
    c("run")
    return c


def _claims(cli: CLI, **kw: str) -> list[dict[str, Any]]:
    args = ["claims"] + [a for k, v in kw.items() for a in (f"--{k}", v)]
    return list(cli.json(*args)["claims"])


def _item(cli: CLI, name: str) -> str:
    return next(i["id"] for i in cli.json("items")["items"] if i["name"] == name)


def test_claims_have_provenance_speaker_dates_and_numbers(archive_cli: CLI) -> None:
    claims = _claims(archive_cli, item=_item(archive_cli, "w1.txt"))
    texts = [c["text"] for c in claims]
    assert not any(t.startswith("Where were you") for t in texts), texts  # questions dropped
    assert all(c["speaker"] == "HERON" for c in claims)
    db = connect_catalog(archive_cli.archive)
    for c in claims:
        (unit,) = db.execute(
            "SELECT text FROM text_units WHERE id = ?", (c["text_unit_id"],)
        ).fetchone()
        assert unit[c["char_start"] : c["char_end"]] == c["text"]
    by_text = {c["text"][:20]: c for c in claims}
    prison = next(c for c in claims if "prison" in c["text"])
    assert any(n["value"] == 300 and n["approx"] for n in prison["numbers"]), prison["numbers"]
    execution = next(c for c in claims if "executed" in c["text"])
    assert [d["value"] for d in execution["dates"]] == ["2014-07"]
    assert {"PERSON", "PLACE"} <= {e["label"] for e in execution["entities"]}
    # "Six weeks ago" counts from the date the investigator gave at ingest.
    crossed = next(c for c in claims if "crossed" in c["text"])
    (d,) = crossed["dates"]
    assert d["kind"] == "relative" and d["earliest"] <= "2015-07-21" <= d["latest"], d
    assert "2015-09-01" in crossed["anchor"]
    assert by_text


def test_independent_witnesses_support_and_contradict_with_reasons(archive_cli: CLI) -> None:
    execution = next(
        c
        for c in _claims(archive_cli, item=_item(archive_cli, "w1.txt"))
        if "executed" in c["text"]
    )
    doc = archive_cli.json("corroborate", f"c{execution['id']}")
    links = doc["links"]
    by_item = {lk["claim"]["item_name"]: lk for lk in links}
    assert by_item["w2.txt"]["relation"] == "supports", links
    assert by_item["w3.txt"]["relation"] == "contradicts", links
    assert any("date" in r for r in by_item["w3.txt"]["reasons"]), by_item["w3.txt"]
    assert all(lk["reasons"] and 0 < lk["score"] <= 1 for lk in links)
    # The same witness's second statement never corroborates the first.
    assert "w1-second.txt" not in by_item
    # Nor does anything of another case.
    assert "other-case.txt" not in by_item
    # The French claim was given an English gloss (Apertium fr→es→en).
    fr = by_item["w2.txt"]["claim"]
    assert fr["lang"] == "fr" and fr["gloss"] and "Raqqa" in fr["gloss"]

    # Per item: every linked claim with its links, and the text view says why.
    whole = archive_cli.json("corroborate", _item(archive_cli, "w1.txt"))
    assert whole["supports"] >= 1 and whole["contradicts"] >= 1
    text = archive_cli("corroborate", f"c{execution['id']}").stdout
    assert "contradicts" in text and "different dates" in text


def test_entities_merge_across_forms_and_scripts_within_a_case(archive_cli: CLI) -> None:
    ents = archive_cli.json("entities", "--case", "c1", "--label", "PERSON")["entities"]
    rayyan = [e for e in ents if "Rayyan" in e["name"] or "ريان" in e["name"]]
    assert len(rayyan) == 1, rayyan  # Abu Rayyan al-Nakhli, Abou Rayyan, أبو ريان النخلي
    aliases = set(rayyan[0]["aliases"])
    assert any("ريان" in a for a in aliases) and any("Abou" in a for a in aliases), aliases
    merges = archive_cli.json("entities", "merges", "--case", "c1")["merges"]
    assert merges and all(m["reasons"] and 0 < m["confidence"] <= 1 for m in merges)
    # Never across cases.
    other = archive_cli.json("entities", "--case", "c2")["entities"]
    assert all(e["case"] == "c2" for e in other)
    assert all(m["case"] == "c1" for m in archive_cli.json("entities", "merges")["merges"])
    # Not even by hand.
    across = archive_cli(
        "entities", "merge", str(other[0]["id"]), str(rayyan[0]["id"]), check=False
    )
    assert across.returncode == 2 and "different cases" in across.stderr

    # A person splits a merge; it stays split after another run, and custody records it.
    m = merges[0]
    archive_cli("entities", "split", str(m["id"]))
    archive_cli("run")
    after = {x["id"]: x for x in archive_cli.json("entities", "merges")["merges"]}
    assert after[m["id"]]["status"] == "split"
    ids = {e["id"] for e in archive_cli.json("entities", "--case", "c1")["entities"]}
    assert m["entity"]["id"] in ids  # listed on its own again
    archive_cli("entities", "confirm", str(m["id"]))
    assert archive_cli.json("entities", "merges")["merges"][0]["status"] in (
        "confirmed",
        "auto",
        "proposed",
    )
    db = connect_catalog(archive_cli.archive)
    actions = {a for (a,) in db.execute("SELECT action FROM custody_events")}
    assert {"entity_merge_split", "entity_merge_confirmed"} <= actions
    assert archive_cli("verify").returncode == 0


def test_unknown_claims_and_entities_are_usage_errors(archive_cli: CLI) -> None:
    for args in (
        ("corroborate", "c999999"),
        ("timeline", "Nobody at all"),
        ("entities", "split", "999"),
    ):
        r = archive_cli(*args, check=False)
        assert r.returncode == 2 and "no " in r.stderr, (args, r.stderr)


def test_timeline_of_a_person(archive_cli: CLI) -> None:
    doc = archive_cli.json("timeline", "Abu Rayyan al-Nakhli", "--case", "c1")
    whens = [c["when"]["earliest"] for c in doc["claims"]]
    assert whens == sorted(whens) and len(whens) >= 3, doc
    assert whens[0].startswith("2014-07") and whens[-1].startswith("2015-03")
