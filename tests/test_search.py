"""Search: normalisation (Arabic and Latin), query syntax, filters, snippets, provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from sijill.errors import QueryError
from sijill.storage.search import build_snippet, parse_query
from sijill.text.normalise import normalize, normalize_with_map
from tests.conftest import CLI
from tests.pdfgen import write_text_pdf


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهيم"),
        ("آمنة", "امنه"),
        ("الرَّقَّة", "الرقه"),
        ("مستشفى", "مستشفي"),
        ("مدرســة", "مدرسه"),
        ("Élève ÉCOLE", "eleve ecole"),
        ("Straße", "strasse"),
        ("Ḥamāh", "hamah"),
    ],
)
def test_normalize(raw: str, norm: str) -> None:
    assert normalize(raw) == norm


def test_normalize_map_points_back_to_original() -> None:
    text = "قال الشاهدُ إنّ الرَّقّة"
    norm, offsets = normalize_with_map(text)
    assert len(norm) == len(offsets)
    i = norm.index("الرقه")
    assert text[offsets[i] : offsets[i + 4] + 1].startswith("الرَّقّة"[:2])


def test_parse_query_syntax() -> None:
    assert parse_query("Raqqa").fts() == '("raqqa")'
    assert parse_query('"northern gate" convoy').fts() == '("northern gate" AND "convoy")'
    assert parse_query("check*").fts() == '("check"*)'
    assert parse_query("a OR b").fts() == '("a") OR ("b")'
    assert parse_query("convoy -bridge").fts() == '(("convoy") NOT "bridge")'
    assert parse_query("الرَّقة").fts() == '("الرقه")'
    # FTS syntax in user input is never passed through.
    assert parse_query('col:x NEAR(a b) "unclosed').fts().count('"') % 2 == 0
    with pytest.raises(QueryError):
        parse_query("-only")
    with pytest.raises(QueryError):
        parse_query("  ")


def test_snippet_highlights_in_original_text() -> None:
    original = "Le témoin dit que l'ÉCOLE était fermée."
    marked = normalize(original).replace("ecole", "\x01ecole\x02")
    snippet, hl, cs, ce = build_snippet(original, marked)
    assert cs is not None and original[cs:ce] == "ÉCOLE"
    s, e = hl[0]
    assert snippet[s:e] == "ÉCOLE"


@pytest.fixture
def corpus(cli: CLI, tmp_path: Path) -> dict[str, str]:
    src = tmp_path / "corpus"
    src.mkdir()
    (src / "ar.txt").write_text(
        "قال الشاهد إنّ المقاتلين نقلوا المعتقلين إلى سجن في الرَّقّة في شهر تموز.\n", "utf-8"
    )
    (src / "fr.txt").write_text(
        "Le témoin raconte que l'ÉCOLE de Raqqa servait de prison pour les détenus.\n", "utf-8"
    )
    (src / "en.txt").write_text(
        "The defector said the checkpoints around Raqqa were run by the northern battalion.\n"
    )
    write_text_pdf(
        src / "memo.pdf",
        [
            ["Internal memo of the security office, first page, nothing about the city."],
            ["Second page: all checkpoint commanders report to the office in Raqqa weekly."],
        ],
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "mosul.txt").write_text("A different case about checkpoints in Mosul and Raqqa.\n")
    doc = cli.json("ingest", str(src), "--case", "main")
    cli("ingest", str(other), "--case", "side")
    cli("run")
    return {Path(o["path"]).name: o["item_id"] for o in doc["items"]}


@pytest.mark.slow
def test_search_end_to_end(cli: CLI, corpus: dict[str, str]) -> None:
    hits = cli.json("search", "Raqqa", "--case", "main")["hits"]
    assert {h["item_id"] for h in hits} == {corpus["fr.txt"], corpus["en.txt"], corpus["memo.pdf"]}
    memo = next(h for h in hits if h["item_id"] == corpus["memo.pdf"])
    assert memo["page"] == 2 and memo["method"] == "text_layer"
    assert "Raqqa" in memo["snippet"]
    # Arabic: the query without diacritics and with plain alef/taa marbuta variants matches.
    for q in ("الرقة", "الرقه", "الرَّقَّة"):
        ar = cli.json("search", q)["hits"]
        assert [h["item_id"] for h in ar] == [corpus["ar.txt"]], q
        assert ar[0]["lang"] == "ar"
    assert cli.json("search", "المعتقلين", "--lang", "ar")["total"] == 1
    assert cli.json("search", "المعتقلين", "--lang", "en")["total"] == 0
    # Latin folding both ways.
    assert cli.json("search", "ecole")["hits"][0]["item_id"] == corpus["fr.txt"]
    assert cli.json("search", "ÉCOLE", "--lang", "fr")["total"] == 1
    # Phrase and prefix.
    assert cli.json("search", '"northern battalion"')["total"] == 1
    assert cli.json("search", '"battalion northern"')["total"] == 0
    prefix = cli.json("search", "checkp*", "--case", "main")["hits"]
    assert {h["item_id"] for h in prefix} == {corpus["en.txt"], corpus["memo.pdf"]}
    # Case and kind filters.
    assert cli.json("search", "Mosul")["total"] == 1
    assert cli.json("search", "Mosul", "--case", "main")["total"] == 0
    assert cli.json("search", "Raqqa", "--kind", "document", "--case", "side")["total"] == 1
    assert cli.json("search", "Raqqa", "--kind", "image")["total"] == 0
    human = cli("search", "Raqqa")
    assert "p.2" in human.stdout and "hits" in human.stdout
    bad = cli("search", "-x", check=False)
    assert bad.returncode != 0
