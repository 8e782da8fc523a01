"""Text translation with Apertium (fr→es→en): separate units linked to their sources, a plain
note where no model exists, and re-translation when the source text changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sijill.pipeline.stages.text_translator import available_pairs
from tests.conftest import CLI

pytestmark = pytest.mark.skipif(
    shutil.which("apertium") is None or "fr" not in available_pairs(),
    reason="Apertium with the fr-es and en-es pairs is needed",
)

FR = (
    "Rapport de la brigade.\n\nLe commandant a donné l'ordre de fermer le poste de contrôle "
    "près du fleuve en juillet 2014.\n"
)
AR = "قال القائد إن القافلة غادرت الحاجز عند الفجر باتجاه السجن القريب من النهر\n"
EN = "The convoy left at dawn and reached the bridge before noon that day.\n"


def by_name(cli: CLI) -> dict[str, dict]:
    return {i["name"]: i for i in cli.json("items")["items"]}


def test_french_text_gets_an_english_translation_linked_to_its_source(
    cli: CLI, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "rapport.txt").write_text(FR, encoding="utf-8")
    (src / "bayan.txt").write_text(AR, encoding="utf-8")
    (src / "note.txt").write_text(EN, encoding="utf-8")
    cli("ingest", str(src))
    cli("run")
    items = by_name(cli)

    fr = cli.json("show", items["rapport.txt"]["id"])
    originals = [u for u in fr["text_units"] if u["kind"] != "translation"]
    translations = [u for u in fr["text_units"] if u["kind"] == "translation"]
    assert originals and translations
    assert all(u["lang"] == "en" for u in translations)
    ids = {u["id"] for u in originals}
    assert all(u["source_unit_id"] in ids and u["sources"] for u in translations)
    english = " ".join(u["text"] for u in translations).lower()
    assert "river" in english and "july 2014" in english
    # The original text is untouched.
    assert "fleuve" in " ".join(u["text"] for u in originals)
    assert "Apertium" in fr["info"]["text_translation"]

    # Search finds the French document by an English word, through its translation.
    hits = cli.json("search", "river")["hits"]
    assert [h["item_id"] for h in hits] == [items["rapport.txt"]["id"]]
    assert hits[0]["lang"] == "en"
    # "2014" is in the original and in its translation: one hit, the original's...
    both = cli.json("search", "2014")["hits"]
    assert [(h["item_id"], h["lang"]) for h in both] == [(items["rapport.txt"]["id"], "fr")]
    # ...unless English is asked for.
    en_only = cli.json("search", "2014", "--lang", "en")["hits"]
    assert [(h["item_id"], h["unit_kind"]) for h in en_only] == [
        (items["rapport.txt"]["id"], "translation")
    ]

    ar = cli.json("show", items["bayan.txt"]["id"])
    assert not [u for u in ar["text_units"] if u["kind"] == "translation"]
    assert "no translation model for Arabic" in ar["info"]["text_translation"]
    human = cli("show", items["bayan.txt"]["id"]).stdout
    assert "no translation model for Arabic" in human

    en = cli.json("show", items["note.txt"]["id"])
    assert not [u for u in en["text_units"] if u["kind"] == "translation"]
    assert "text_translation" not in en["info"]


def test_new_source_text_is_translated_again_not_twice(cli: CLI, tmp_path: Path) -> None:
    doc = tmp_path / "rapport.txt"
    doc.write_text(FR * 3, encoding="utf-8")
    cli("ingest", str(doc), "--case", "c1")
    cli("run")
    item = by_name(cli)["rapport.txt"]
    before = cli.json("show", item["id"])
    n_before = len([u for u in before["text_units"] if u["kind"] == "translation"])
    assert n_before >= 1
    # Re-extract the text in smaller sections: the translator must follow the new units.
    cli("case", "config", "c1", "office_text_extractor.text_section_chars=120")
    cli("run")
    after = cli.json("show", item["id"])
    originals = [u for u in after["text_units"] if u["kind"] != "translation"]
    translations = [u for u in after["text_units"] if u["kind"] == "translation"]
    assert len(originals) > 1
    assert len(translations) == len(originals)
    assert {u["source_unit_id"] for u in translations} == {u["id"] for u in originals}
    states = [s["state"] for s in after["stages"] if s["stage"] == "text_translator"]
    assert states.count("done") == 1, after["stages"]


def _counting(monkeypatch: pytest.MonkeyPatch, corrupt: str | None = None) -> list[int]:
    """Count Apertium passes (the real Apertium runs); with `corrupt`, drop the boundary mark
    of the text containing it from the output of any pass that holds it, as a misbehaving
    translator would."""
    import re

    from sijill.pipeline.stages import text_translator as tt

    real = tt._apertium
    calls: list[int] = []

    def wrapped(text: str, modes: tuple[str, ...], timeout: float) -> str:
        calls.append(len(text))
        out = real(text, modes, timeout)
        if corrupt and corrupt in text:
            mark = re.findall(r"¶\d+¶", text[: text.index(corrupt)])[-1]
            out = out.replace(mark, "")
        return out

    monkeypatch.setattr(tt, "_apertium", wrapped)
    return calls


def test_forged_boundary_marks_cannot_shift_translations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts that carry the translator's own boundary mark (a hostile table's cells) still come
    back one translation per text, in order, in a single pass."""
    from sijill.pipeline.stages.text_translator import PAIRS, translate

    texts = [f"Le rapport {i} ¶{i + 1}¶ est arrivé.\n\n¶0¶\n\nLa maison brûle." for i in range(40)]
    calls = _counting(monkeypatch)
    out = translate(texts, PAIRS["fr"], timeout=120)
    assert len(calls) == 1
    assert len(out) == len(texts)
    for i, english in enumerate(out):
        assert str(i) in english.split()[:4], (i, english)
        assert "¶" not in english


def test_huge_input_is_translated_in_bounded_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of thousands of short rows: a handful of bounded passes, never one per row."""
    from sijill.pipeline.stages.text_translator import BATCH_CHARS, PAIRS, translate

    rows = [f"Ligne {i} : trois camions sont partis vers le nord." for i in range(3000)]
    calls = _counting(monkeypatch)
    out = translate(rows, PAIRS["fr"], timeout=300)
    assert len(out) == len(rows) and all(out)
    assert 2 <= len(calls) <= 12, len(calls)
    assert max(calls) <= BATCH_CHARS + 20 * 400  # the batch plus its boundary marks


def test_a_lost_boundary_costs_a_few_passes_not_one_per_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Apertium is made to lose one text's boundary (mocked: real Apertium keeps them since the
    mark is taken out of the input). That text alone is left untranslated, found by halving."""
    from sijill.pipeline.stages.text_translator import PAIRS, translate

    texts = [f"Le témoin numéro {i} a vu le convoi." for i in range(64)]
    calls = _counting(monkeypatch, corrupt="numéro 5 a vu")
    out = translate(texts, PAIRS["fr"], timeout=120)
    assert len(out) == 64
    assert [i for i, t in enumerate(out) if not t] == [5]
    assert all(str(i) in t for i, t in enumerate(out) if i != 5)
    assert len(calls) <= 2 * 7 + 1, len(calls)  # one failed pass per halving level
