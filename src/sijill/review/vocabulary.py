"""The named questions a reviewer answers about an item, and the fixed scales.

The questions follow the Berkeley Protocol's technical, content and source analysis: whether
the item was manipulated (edited, spliced, synthetic), staged, or coerced (read under duress,
prompted); whether its metadata, place and date are consistent with what it claims; and how far
the identity of who speaks or appears is verified, with the method used. Confidence is one
five-step scale of likelihood, the yardstick analysts use (ICD 203): how likely the reviewer
judges their answer to be true.
"""

from __future__ import annotations

from sijill.errors import ConfigError

YES_NO = ("yes", "no", "unclear")
IDENTITY = ("verified", "partial", "unverified", "contradicted")

QUESTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "manipulated": (YES_NO, "edited, spliced or synthetic"),
    "staged": (YES_NO, "acted or set up for the camera"),
    "coerced": (YES_NO, "read under duress, or prompted"),
    "metadata_consistent": (YES_NO, "metadata agree with what the item says it is"),
    "location_consistent": (YES_NO, "what is seen or said fits the place claimed"),
    "date_consistent": (YES_NO, "what is seen or said fits the date claimed"),
    "identity": (IDENTITY, "who speaks or appears is who they are said to be"),
}

CONFIDENCE = ("almost-certainly-not", "unlikely", "even-chance", "likely", "almost-certainly")
_CONFIDENCE_WORDS = {
    "almost certainly not": "almost-certainly-not",
    "remote": "almost-certainly-not",
    "roughly even chance": "even-chance",
    "even chance": "even-chance",
    "even": "even-chance",
    "almost certainly": "almost-certainly",
}

CLAIM_STATUSES = ("unverified", "corroborated", "verified", "disputed", "false")
LINK_DECISIONS = ("accept", "reject")


def question(name: str) -> str:
    q = name.strip().lower().replace("-", "_")
    if q not in QUESTIONS:
        raise ConfigError(f"no question {name!r} (questions: {', '.join(QUESTIONS)})")
    return q


def answer(q: str, value: str) -> str:
    allowed = QUESTIONS[q][0]
    a = value.strip().lower()
    if a not in allowed:
        raise ConfigError(f"{q} is answered {' / '.join(allowed)}, not {value!r}")
    return a


def confidence(value: str) -> str:
    c = value.strip().lower().replace("_", "-")
    c = _CONFIDENCE_WORDS.get(c.replace("-", " "), c)
    if c not in CONFIDENCE:
        raise ConfigError(f"confidence is one of {', '.join(CONFIDENCE)}, not {value!r}")
    return c


def claim_status(value: str) -> str:
    s = value.strip().lower()
    if s not in CLAIM_STATUSES:
        raise ConfigError(f"a claim's status is one of {', '.join(CLAIM_STATUSES)}, not {value!r}")
    return s
