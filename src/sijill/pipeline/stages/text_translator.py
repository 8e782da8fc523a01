"""English translations of document text: Argos models a user supplies, else Apertium.

Apertium (rule-based, Debian packages) takes French through Spanish (fr→es→en): Debian has
no direct French–English pair. Argos models (neural, CTranslate2) are used for any language
they cover when `argos_dir` names a folder of unpacked packages. Each translation is a text
unit of its own, pointing at the unit it translates; the original text is never touched.
Languages with no model are named plainly on the item. Speech is translated by the
transcriber (Whisper), not here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from sijill.errors import StageError
from sijill.pipeline import argos
from sijill.pipeline.stage import (
    ItemInfo,
    SourceUnit,
    Stage,
    StageContext,
    StageResult,
    TextUnitOut,
)
from sijill.tools import run_tool

# Pipelines of Apertium modes into English, by source language.
PAIRS: dict[str, tuple[str, ...]] = {
    "fr": ("fr-es", "spa-eng"),
    "es": ("spa-eng",),
}
MODES_DIR = Path("/usr/share/apertium/modes")
_SEP = re.compile(r"\n*¶(\d+)¶\n*")
_NAMES = {
    "ar": "Arabic",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "ru": "Russian",
    "tr": "Turkish",
    "fa": "Persian",
    "ur": "Urdu",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}


def available_pairs() -> dict[str, tuple[str, ...]]:
    """The source languages whose whole pipeline of modes is installed."""
    if shutil.which("apertium") is None:
        return {}
    return {
        lang: modes
        for lang, modes in PAIRS.items()
        if all((MODES_DIR / f"{m}.mode").exists() for m in modes)
    }


# One Apertium pass takes at most this much text: a huge table is translated in bounded
# pieces, and a piece whose boundaries get lost is halved, never retried unit by unit (a
# 1 MB table of short rows would otherwise start thousands of Apertium pipelines).
BATCH_CHARS = 60_000
BATCH_UNITS = 400


def _apertium(text: str, modes: tuple[str, ...], timeout: float) -> str:
    out = text
    for mode in modes:
        try:
            proc = run_tool(
                ["apertium", "-u", mode],
                input=out.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StageError(f"apertium {mode} took longer than {timeout:.0f} s") from exc
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()[-300:]
            raise StageError(f"apertium {mode} failed: {msg}")
        out = proc.stdout.decode("utf-8", "replace")
    return out


def _batches(texts: list[str]) -> list[tuple[int, int]]:
    """[start, end) ranges of `texts`, each within BATCH_CHARS and BATCH_UNITS."""
    out, start, size = [], 0, 0
    for i, t in enumerate(texts):
        if i > start and (size + len(t) > BATCH_CHARS or i - start >= BATCH_UNITS):
            out.append((start, i))
            start, size = i, 0
        size += len(t)
    if start < len(texts):
        out.append((start, len(texts)))
    return out


def _translate_batch(texts: list[str], modes: tuple[str, ...], timeout: float) -> list[str]:
    """One pass for `texts`, halved where Apertium loses a boundary; "" where even a single
    text comes back without its own."""
    joined = "".join(f"\n\n¶{i}¶\n\n{t}" for i, t in enumerate(texts))
    parts = _SEP.split(_apertium(joined, modes, timeout))
    # parts: [before, idx0, text0, idx1, text1, ...]
    found = {int(parts[i]): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if sorted(found) == list(range(len(texts))):
        return [found[i] for i in range(len(texts))]
    if len(texts) == 1:
        return [""]
    half = len(texts) // 2
    return _translate_batch(texts[:half], modes, timeout) + _translate_batch(
        texts[half:], modes, timeout
    )


def translate(texts: list[str], modes: tuple[str, ...], timeout: float) -> list[str]:
    """Translate several texts through the pipeline of modes, in bounded passes.

    The boundary mark (a pilcrow) is taken out of the texts first, so that no text can forge
    one. A text whose boundaries Apertium still loses comes back as "" (left untranslated);
    with a single text that is an error."""
    clean = [t.replace("¶", " ") for t in texts]
    out: list[str] = []
    for start, end in _batches(clean):
        out += _translate_batch(clean[start:end], modes, timeout)
    if len(texts) == 1 and not out[0] and texts[0].strip():
        raise StageError("apertium lost the text's boundaries")
    return out


def to_english(
    lang: str,
    texts: list[str],
    pairs: dict[str, tuple[str, ...]],
    packages: dict[str, argos.ArgosPackage],
) -> tuple[list[str], str]:
    """English for `texts` in `lang`: an Argos package first, else Apertium; and the method."""
    if lang in packages:
        return argos.translate(packages[lang], texts), packages[lang].name
    return translate(texts, pairs[lang], timeout=600), f"apertium:{'+'.join(pairs[lang])}"


class TextTranslator(Stage):
    name = "text_translator"
    version = 1
    description = "English translation of document text (Argos models if given, else Apertium)"
    kinds: ClassVar[frozenset[str]] = frozenset({"document", "email", "image"})
    after: ClassVar[tuple[str, ...]] = (
        "pdfium_text_extractor",
        "tesseract_ocr",
        "office_text_extractor",
        "email_unpacker",
    )
    tools: ClassVar[tuple[str, ...]] = ("apertium",)
    defaults: ClassVar[dict[str, Any]] = {"enabled": True, "argos_dir": ""}
    config_help: ClassVar[dict[str, str]] = {
        "enabled": "translate document text to English where a model exists",
        "argos_dir": "folder of unpacked Argos Translate packages (X→en); used before Apertium",
    }
    timeout_s = 900
    reads_text = True

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        return item.kind in self.kinds

    def run(self, ctx: StageContext) -> StageResult:
        if not ctx.config["enabled"]:
            return StageResult(data={"translated": 0, "disabled": True})
        pairs = available_pairs()
        argos_dir = str(ctx.config["argos_dir"] or "")
        packages = argos.find_packages(argos_dir) if argos_dir else {}
        todo: dict[str, list[SourceUnit]] = {}
        missing: dict[str, int] = {}
        for u in ctx.text_units:
            if u.kind == "translation" or not u.lang or u.lang == "en" or not u.text.strip():
                continue
            if u.lang in packages or u.lang in pairs:
                todo.setdefault(u.lang, []).append(u)
            else:
                missing[u.lang] = missing.get(u.lang, 0) + 1
        units: list[TextUnitOut] = []
        used: dict[str, str] = {}
        lost = 0
        for lang, group in todo.items():
            english, method = to_english(lang, [u.text for u in group], pairs, packages)
            used[lang] = method
            for src, text in zip(group, english, strict=True):
                if not text:
                    lost += any(ch.isalnum() for ch in src.text)
                    continue
                units.append(
                    TextUnitOut(
                        kind="translation",
                        text=text,
                        method=method,
                        page=src.page,
                        start=src.start,
                        end=src.end,
                        lang="en",
                        source_ids=[src.id],
                    )
                )
        notes = []
        for lang, method in sorted(used.items()):
            engine = "Argos" if method.startswith("argos:") else "Apertium"
            n = sum(1 for u in units if u.method == method)
            notes.append(f"{engine} ({_NAMES.get(lang, lang)} → English), {n} units")
        if lost:
            were = "were" if lost != 1 else "was"
            notes.append(
                f"{lost} text unit{'s' if lost != 1 else ''} came back empty or garbled from "
                f"the translator and {were} left untranslated"
            )
        for lang, n in sorted(missing.items()):
            notes.append(
                f"no translation model for {_NAMES.get(lang, lang)} → English "
                f"({n} text unit{'s' if n != 1 else ''} left untranslated)"
            )
        hint = argos.unpacked_hint(argos_dir) if argos_dir and missing else None
        if hint:
            notes.append(hint)
        info: dict[str, Any] = {"text_translation": "; ".join(notes)} if notes else {}
        return StageResult(
            data={
                "translated": len(units),
                "languages": sorted(todo),
                "untranslated_languages": sorted(missing),
            },
            text_units=units,
            item_info=info,
        )
