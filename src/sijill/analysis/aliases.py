"""The alias table: different names of one organisation, found in texts and merged with reasons.

``aliases.yaml`` (shipped, reviewed; its header says how) lists armed groups and organisations
under their names in English, French and Arabic, each with where it is used. `AliasTable.find`
finds them in a text as ORG mentions (source ``alias``) keyed by their own name, so "Daesh"
and "État islamique" start as two entities, as any two names do; `resolve.propose_merges`
then folds them together with the table's reason, which a person can read and undo.

Matching: an alias is found like a gazetteer name (case, accents, Arabic letter forms folded,
whole words, al-/ال and proclitics allowed), except ``exact_case`` aliases (acronyms such as
"SAA" or "HCR"), which match only in capitals and not inside a run of capitalised words
("THE SAA CONVOY" is a heading, not a name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from importlib import resources
from pathlib import Path
from typing import Any

from sijill.analysis.gazetteer import GAZETTEER_LABELS, PhraseMatcher, yaml_entries
from sijill.analysis.mentions import Mention, name_key
from sijill.errors import ConfigError

__all__ = ["Alias", "AliasEntry", "AliasTable", "alias_key"]

_ELISION = re.compile(r"^(?:l|d|qu)['’ʼ]\s*", re.IGNORECASE)
_LEADING = frozenset("the le la les organisation organization".split())
_WORD = re.compile(r"[^\W\d_]+")


def alias_key(name: str) -> str:
    """The key an alias and an entity's name are compared by: `name_key` without a French
    elision or a leading article ("l'État islamique" is "État islamique")."""
    key = name_key(_ELISION.sub("", name.strip()))
    words = key.split()
    while len(words) > 1 and words[0] in _LEADING:
        words.pop(0)
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    lang: str
    source: str
    exact_case: bool = False


@dataclass(frozen=True, slots=True)
class AliasEntry:
    id: str
    label: str
    name: str
    aliases: tuple[Alias, ...]
    note: str = ""


class AliasTable:
    """The entries, with their lookup index and matchers built once per table."""

    def __init__(self, entries: tuple[AliasEntry, ...] = ()) -> None:
        self.entries = entries
        self._folded: dict[str, tuple[int, int]] = {}
        self._exact: dict[str, tuple[int, int]] = {}
        phrases: list[tuple[str, int]] = []
        self._order: list[tuple[int, int]] = []
        for e, entry in enumerate(entries):
            for a, alias in enumerate(entry.aliases):
                if alias.exact_case:
                    self._exact.setdefault(alias.name, (e, a))
                else:
                    self._folded.setdefault(alias_key(alias.name), (e, a))
                    phrases.append((_ELISION.sub("", alias.name), len(self._order)))
                    self._order.append((e, a))
        self._matcher = PhraseMatcher(phrases)
        exact = sorted(self._exact, key=len, reverse=True)
        self._exact_re = (
            re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, exact)) + r")(?![^\W_])")
            if exact
            else None
        )

    @classmethod
    def load(cls, path: str | Path) -> AliasTable:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read alias table {path}: {exc}") from exc
        rows = yaml_entries(raw, f"alias table {path}")
        return cls(tuple(_entry(row, f"{path} entry {n + 1}") for n, row in enumerate(rows)))

    @classmethod
    def default(cls) -> AliasTable:
        return _default_table()

    @classmethod
    def for_case(cls, path: str) -> AliasTable:
        """The shipped table, extended by the case's file (`entity_extractor.aliases`)."""
        table = cls.default()
        return table.extended(cls.load(path)) if path else table

    def extended(self, other: AliasTable) -> AliasTable:
        """This table plus `other`'s entries, which replace entries with the same id."""
        theirs = {e.id for e in other.entries}
        return AliasTable(tuple(e for e in self.entries if e.id not in theirs) + other.entries)

    def digest(self) -> str:
        """Changes when any entry does: merges are recomputed for a changed table."""
        text = repr([(e.id, e.label, tuple((a.name, a.exact_case) for a in e.aliases))
                     for e in self.entries])  # fmt: skip
        return sha256(text.encode()).hexdigest()[:16]

    def lookup(self, name: str) -> tuple[AliasEntry, Alias] | None:
        """The entry and alias that `name` is (exact-case aliases only as written)."""
        hit = self._exact.get(name.strip())
        if hit is None:
            hit = self._folded.get(alias_key(name))
        if hit is None:
            return None
        e, a = hit
        return self.entries[e], self.entries[e].aliases[a]

    def find(self, text: str) -> list[Mention]:
        """ORG (or the entry's label) mentions of every alias in `text`, keyed by own name."""
        out: list[Mention] = []
        for start, end, idx in self._matcher.finditer(text):
            e, a = self._order[idx]
            out.append(self._mention(text, start, end, e, a))
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                if _in_capitals(text, m.start(), m.end(), self._exact):
                    continue
                e, a = self._exact[m.group()]
                out.append(self._mention(text, m.start(), m.end(), e, a))
        return out

    def _mention(self, text: str, start: int, end: int, e: int, a: int) -> Mention:
        entry, alias = self.entries[e], self.entries[e].aliases[a]
        surface = text[start:end]
        info: dict[str, Any] = {"alias_of": entry.id, "alias": alias.name}
        return Mention(entry.label, surface, start, end, name_key(surface), "alias", info)


def _in_capitals(text: str, start: int, end: int, known: Mapping[str, object]) -> bool:
    """Whether the acronym at [start, end) sits among other words in capitals (a heading):
    two of the two words before and the two after, other acronyms of the table aside."""
    before = _WORD.findall(text[max(0, start - 60) : start])[-2:]
    after = _WORD.findall(text[end : end + 60])[:2]
    caps = [w for w in (*before, *after) if len(w) >= 2 and w.isupper() and w not in known]
    return len(caps) >= 2


def _entry(row: Any, where: str) -> AliasEntry:
    if not isinstance(row, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    entry_id = str(row.get("id") or "").strip()
    label = str(row.get("label") or "ORG").strip().upper()
    name = str(row.get("name") or "").strip()
    if not entry_id or not name or label not in GAZETTEER_LABELS:
        raise ConfigError(
            f"{where}: needs an id, a name and a label among {', '.join(GAZETTEER_LABELS)}"
        )
    raw = row.get("aliases")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: needs a list of aliases")
    aliases = []
    for n, item in enumerate(raw):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping) or not str(item.get("name") or "").strip():
            raise ConfigError(f"{where}, alias {n + 1}: needs a name")
        source = str(item.get("source") or "").strip()
        if not source:
            raise ConfigError(f"{where}, alias {item['name']!r}: needs a source")
        aliases.append(
            Alias(
                name=str(item["name"]).strip(),
                lang=str(item.get("lang") or "").strip(),
                source=source,
                exact_case=bool(item.get("exact_case", False)),
            )
        )
    return AliasEntry(entry_id, label, name, tuple(aliases), str(row.get("note") or ""))


@lru_cache(maxsize=1)
def _default_table() -> AliasTable:
    ref = resources.files("sijill.analysis").joinpath("aliases.yaml")
    with resources.as_file(ref) as path:
        return AliasTable.load(path)
