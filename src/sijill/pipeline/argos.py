"""Argos Translate models a user supplies, run directly with CTranslate2 and SentencePiece.

An Argos package (`translate-ar_en-*.argosmodel`, a zip) unpacks to a folder holding
`metadata.json` (with `from_code`, `to_code`), `model/` (a CTranslate2 model) and
`sentencepiece.model`. Point `text_translator.argos_dir` at a folder of such unpacked packages.
The `argostranslate` package itself is not needed (it pulls in PyTorch through Stanza);
sentences are split by punctuation instead of Stanza's model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sijill.errors import ConfigError, StageError
from sijill.pipeline.threads import worker_threads

# Sentence ends in Latin and Arabic scripts (Arabic question mark, full stop variants).
_SENTENCE = re.compile(r"(?<=[.!?؟۔।])\s+|\n+")
MAX_SENTENCE_CHARS = 600


@dataclass(frozen=True)
class ArgosPackage:
    from_code: str
    to_code: str
    path: Path

    @property
    def name(self) -> str:
        return f"argos:{self.from_code}-{self.to_code}"


def find_packages(root: str | Path) -> dict[str, ArgosPackage]:
    """Unpacked Argos packages into English under `root`, by source language."""
    base = Path(root).expanduser()
    if not base.is_dir():
        raise ConfigError(f"Argos model folder {base} does not exist")
    found: dict[str, ArgosPackage] = {}
    for meta in sorted([base / "metadata.json", *base.glob("*/metadata.json")]):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        d = meta.parent
        if not isinstance(data, dict) or data.get("to_code") != "en":
            continue
        src = str(data.get("from_code") or "")
        if src and (d / "model" / "model.bin").is_file() and (d / "sentencepiece.model").is_file():
            found.setdefault(src, ArgosPackage(src, "en", d))
    return found


def unpacked_hint(root: str | Path) -> str | None:
    """A note when the folder holds .argosmodel files that were not unpacked."""
    zips = list(Path(root).expanduser().glob("*.argosmodel"))
    if zips:
        return f"{len(zips)} .argosmodel file(s) in {root} must be unzipped to be used"
    return None


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    out: list[str] = []
    for p in parts:  # very long "sentences" (tables, lists) are cut, not dropped
        out.extend(p[i : i + MAX_SENTENCE_CHARS] for i in range(0, len(p), MAX_SENTENCE_CHARS))
    return out


_loaded: dict[str, tuple[Any, Any]] = {}


def _load(pkg: ArgosPackage) -> tuple[Any, Any]:
    key = str(pkg.path)
    if key not in _loaded:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise StageError(f"Argos models need {exc.name}") from exc
        threads = worker_threads()
        try:
            translator = ctranslate2.Translator(
                str(pkg.path / "model"), device="cpu", intra_threads=threads
            )
            sp = sentencepiece.SentencePieceProcessor(
                model_file=str(pkg.path / "sentencepiece.model")
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise StageError(f"cannot load the Argos model {pkg.path}: {exc}") from exc
        _loaded[key] = (translator, sp)
    return _loaded[key]


def translate(pkg: ArgosPackage, texts: list[str], beam_size: int = 4) -> list[str]:
    """Each text translated sentence by sentence; paragraphs become single spaces."""
    translator, sp = _load(pkg)
    out = []
    for text in texts:
        sentences = split_sentences(text)
        if not sentences:
            out.append("")
            continue
        tokens = sp.encode(sentences, out_type=str)
        results = translator.translate_batch(
            tokens, beam_size=beam_size, max_batch_size=32, max_decoding_length=512
        )
        out.append(" ".join(sp.decode(r.hypotheses[0]).strip() for r in results).strip())
    return out
