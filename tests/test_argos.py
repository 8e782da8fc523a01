"""Argos models a user supplies: found in a folder, used before Apertium, linked to sources.

No trained Argos model can be had here (no network, none packaged), so CTranslate2's
Translator is replaced by a stand-in that marks each sentence it is given. Everything else is
real: the package layout, a SentencePiece model trained in the test, sentence splitting, the
stage's choice between Argos and Apertium, and the notes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sijill.pipeline import argos
from sijill.pipeline.stage import ItemInfo, SourceUnit
from sijill.pipeline.stages.text_translator import TextTranslator, available_pairs

AR = "قال القائد إن القافلة غادرت الحاجز عند الفجر. هل وصلت إلى السجن؟ نعم وصلت"


@dataclass
class _Result:
    hypotheses: list[list[str]]


class FakeTranslator:
    """Stands in for ctranslate2.Translator: returns each sentence's pieces behind a marker."""

    calls: list[int] = []

    def __init__(self, model_path: str, **_kw: Any) -> None:
        assert Path(model_path).name == "model" and (Path(model_path) / "model.bin").exists()

    def translate_batch(self, batch: list[list[str]], **_kw: Any) -> list[_Result]:
        FakeTranslator.calls.append(len(batch))
        return [_Result([["▁EN:", *tokens]]) for tokens in batch]


def make_package(root: Path, src: str = "ar") -> Path:
    import sentencepiece

    pkg = root / f"translate-{src}_en-1_9"
    (pkg / "model").mkdir(parents=True)
    (pkg / "model" / "model.bin").write_bytes(b"stand-in")
    corpus = root / "corpus.txt"
    corpus.write_text((AR + "\nthe convoy left the checkpoint at dawn\n") * 50, encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(pkg / "sentencepiece"),
        vocab_size=50,
        character_coverage=1.0,
        minloglevel=2,
    )
    (pkg / "metadata.json").write_text(json.dumps({"from_code": src, "to_code": "en"}))
    return pkg


@pytest.fixture
def fake_ct2(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "Translator", FakeTranslator)
    monkeypatch.setattr(argos, "_loaded", {})
    FakeTranslator.calls = []


def test_packages_are_found_and_sentences_split(tmp_path: Path, fake_ct2: None) -> None:
    make_package(tmp_path)
    (tmp_path / "translate-de_en.argosmodel").write_bytes(b"PK")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text("{not json")
    found = argos.find_packages(tmp_path)
    assert list(found) == ["ar"] and found["ar"].name == "argos:ar-en"
    assert "must be unzipped" in (argos.unpacked_hint(tmp_path) or "")
    assert argos.split_sentences(AR) == [
        "قال القائد إن القافلة غادرت الحاجز عند الفجر.",
        "هل وصلت إلى السجن؟",
        "نعم وصلت",
    ]
    [english] = argos.translate(found["ar"], [AR])
    assert FakeTranslator.calls == [3]  # one batch of three sentences
    assert english.count("EN:") == 3 and "السجن" in english  # SentencePiece round trip


def test_stage_prefers_argos_then_apertium_and_names_what_is_missing(
    tmp_path: Path, fake_ct2: None
) -> None:
    models = tmp_path / "argos"
    models.mkdir()
    make_package(models)

    class Ctx:
        config = dict(TextTranslator.defaults, argos_dir=str(models))
        item = ItemInfo("i", "0", 1, "d.txt", "text/plain", "document", 0, "c", {})
        text_units = [
            SourceUnit(11, "office_text_extractor", "body", AR, "ar"),
            SourceUnit(12, "office_text_extractor", "body", "Le convoi est parti.", "fr"),
            SourceUnit(13, "office_text_extractor", "body", "Der Konvoi fuhr ab.", "de"),
            SourceUnit(14, "office_text_extractor", "body", "The convoy left.", "en"),
        ]
        previous: dict = {}
        input_path = workdir = tmp_path

        def progress(self, fraction: float) -> None:
            pass

    res = TextTranslator().run(Ctx())  # type: ignore[arg-type]
    by_src = {u.source_ids[0]: u for u in res.text_units}
    assert by_src[11].method == "argos:ar-en" and by_src[11].lang == "en"
    assert "EN:" in by_src[11].text
    if shutil.which("apertium") and "fr" in available_pairs():
        assert by_src[12].method.startswith("apertium:")
    assert 13 not in by_src and 14 not in by_src
    note = res.item_info["text_translation"]
    assert "Argos (Arabic → English)" in note
    assert "no translation model for German → English" in note
