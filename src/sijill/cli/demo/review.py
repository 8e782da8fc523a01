"""What a reviewer of the demo interview writes: the words witness B said, segment by segment.

Whisper mishears some of the synthetic witness's names ("near Tell Qasrin" comes out as
"Neatel Carin"), as it would a real speaker's. A protected name that was misheard is not
recognised as protected, so before a publication copy is made a person reads the transcript
against the recording and corrects it. The demo knows the script the interview was made from,
so it can play that person: each segment's words are aligned to the script and replaced by
the words actually said.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

# The interview's script (scripts/make_demo_corpus.py speaks it with espeak-ng).
INTERVIEW_SPEECH = (
    "My name is not important. In March I drove a minibus between Raqqa and Tabqa. At "
    "checkpoint four, near Tell Qasrin, the guards took every phone and looked at the photos. "
    "A young man from Aleppo was taken to the old grain silo. The commander, Abu Rayyan, asked "
    "me for ten thousand pounds to pass. He gave me no receipt. I saw the same thing many times."
)


def _key(word: str) -> str:
    return re.sub(r"[^\w]", "", word.casefold())


def corrections(segments: Sequence[Mapping[str, Any]], script: str) -> list[tuple[int, str]]:
    """(segment id, corrected text) for each segment whose words differ from the script's."""
    hyp: list[tuple[int, str]] = [
        (i, w) for i, seg in enumerate(segments) for w in str(seg["text"]).split()
    ]
    ref = script.split()
    owner = [0] * len(ref)  # the segment each script word belongs to
    matcher = SequenceMatcher(a=[_key(w) for _, w in hyp], b=[_key(w) for w in ref], autojunk=False)
    last = 0
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for k in range(b0, b1):
            if tag in ("equal", "replace") and a1 > a0:
                # Spread the script words over the heard words they stand for.
                a = a0 + (k - b0) * (a1 - a0) // max(1, b1 - b0)
                last = hyp[min(a, a1 - 1)][0]
            owner[k] = last
        if a1 > a0:
            last = hyp[a1 - 1][0]
    out = []
    for i, seg in enumerate(segments):
        said = " ".join(w for w, o in zip(ref, owner, strict=True) if o == i)
        if said and [_key(w) for w in said.split()] != [_key(w) for w in str(seg["text"]).split()]:
            out.append((int(seg["id"]), said))
    return out
