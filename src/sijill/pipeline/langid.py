"""Language identification per text unit (lingua; models ship inside the package)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MIN_LETTERS = 12
_LETTERS = re.compile(r"[^\W\d_]")

_LANGS = (
    "ENGLISH",
    "FRENCH",
    "ARABIC",
    "GERMAN",
    "SPANISH",
    "ITALIAN",
    "PORTUGUESE",
    "DUTCH",
    "RUSSIAN",
    "TURKISH",
    "PERSIAN",
    "URDU",
)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, n) for n in _LANGS]
    # Low-accuracy mode (trigrams only) loads in 0.1 s and 30 MB instead of 2.6 s and 370 MB;
    # text units are mostly pages or paragraphs, where it is as accurate.
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def warm_up() -> None:
    detect("warming up the language models before the first job")


def detect(text: str) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, confidence) or (None, None) for text too short to tell."""
    # A few hundred characters decide the language as well as a whole page, at a tenth of
    # the cost (lingua is linear in the length).
    sample = text[:400]
    if len(_LETTERS.findall(sample)) < MIN_LETTERS:
        return None, None
    det = _detector()
    values = det.compute_language_confidence_values(sample)
    if not values:
        return None, None
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), round(float(best.value), 3)


def detect_among(text: str, candidates: set[str]) -> tuple[str | None, float | None]:
    """The most likely of `candidates` (ISO 639-1) for a short text, renormalised over them.

    Short transcript segments fool a free choice among a dozen languages ("the order by
    radio" reads as Dutch); choosing among the languages actually in play does not.
    """
    sample = text[:400]
    if len(_LETTERS.findall(sample)) < MIN_LETTERS:
        return None, None
    scores = {
        v.language.iso_code_639_1.name.lower(): float(v.value)
        for v in _detector().compute_language_confidence_values(sample)
    }
    pool = {c: scores.get(c, 0.0) for c in candidates if c in scores}
    total = sum(pool.values())
    if not pool or total <= 0:
        return None, None
    best = max(pool, key=lambda c: pool[c])
    return best, round(pool[best] / total, 3)
