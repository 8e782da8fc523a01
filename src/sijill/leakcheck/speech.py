"""Speech: transcribe the audio of a file and look for protected terms in what was said.

A re-voiced testimony must not say the name it was meant to hide. The check transcribes with
faster-whisper's multilingual base model from the installed packages (no network) and
matches leniently (`sijill.leakcheck.lenient`, as every text check does), since speech
recognition misspells names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sijill.errors import StageError


@dataclass(frozen=True)
class Said:
    start: float
    end: float
    text: str


@cache
def _model() -> Any:
    from faster_whisper import WhisperModel

    from sijill.pipeline.whisper_models import base

    # More CTranslate2 threads than OMP_THREAD_LIMIT allows made it return no segments at
    # all, silently: stay within the limit.
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    threads = max(1, min(2, int(limit) if limit.isdigit() else 2))
    return WhisperModel(str(base().path), device="cpu", compute_type="int8", cpu_threads=threads)


def languages_for(terms: Sequence[str]) -> list[str]:
    """Languages worth forcing in a second pass: language detection on a short clip guesses
    wildly (espeak's "my name is ..." came out as Thai), so the scripts of the terms say
    which languages to listen in again."""
    langs = []
    if any(re.search(r"[A-Za-z]", t) for t in terms):
        langs.append("en")
    if any(re.search(r"[\u0600-\u06ff]", t) for t in terms):
        langs.append("ar")
    return langs


def transcribe(path: Path, language: str | None = None) -> list[Said]:
    """The speech in `path`, as timed segments, in `language` (None: detected); raises
    StageError if it cannot be decoded."""
    from faster_whisper import decode_audio

    try:
        # Decoded here rather than by path: given a path, this faster-whisper returned no
        # segments for espeak WAVs that it transcribes well as samples.
        audio = decode_audio(str(path), sampling_rate=16000)
        segments, _info = _model().transcribe(
            audio, beam_size=5, vad_filter=False, language=language
        )
        return [Said(float(s.start), float(s.end), str(s.text)) for s in segments]
    except (OSError, ValueError, RuntimeError) as exc:
        raise StageError(f"speech could not be transcribed: {exc}") from exc
