"""Gazetteers and glossaries: lists of known names and terms, matched in any script.

A gazetteer is a YAML or CSV file the user extends. YAML: a list (or ``{entries: [...]}``) of
``{id, label, name, variants: [...], lat, lon, note}``; CSV: columns ``id,label,name,variants,
lat,lon,note`` with variants separated by ``|``. Matching runs on normalised text (case,
diacritics and Arabic letter forms folded), whole words only, longest match first. A Latin name
may carry an article (al-, el-, ar-…), an Arabic one the one-letter proclitics و ف ب ك ل
(والرقة, بحلب, للرقة). A small default gazetteer ships with Sijill (`gazetteer.yaml`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sijill.analysis.mentions import Mention, name_key, original_span
from sijill.errors import ConfigError
from sijill.text.normalise import normalize, normalize_with_map

GAZETTEER_LABELS = ("PERSON", "PLACE", "ORG")
_APOS = "['’ʼʿʾ‘`]"
_SEP = r"[\s\-‐–]+"
_AR_LETTER = re.compile(r"[\u0621-\u064a]")


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    label: str
    name: str
    variants: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    note: str = ""

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"gazetteer_id": self.id, "name": self.name}
        if self.lat is not None and self.lon is not None:
            out["lat"], out["lon"] = self.lat, self.lon
        if self.note:
            out["note"] = self.note
        return out


def _phrase_key(phrase: str) -> str:
    """A normalised phrase as the matcher keys it: words joined by one space, no apostrophes."""
    words = [w for w in re.split(r"[\s\-‐–]+", normalize(phrase)) if w]
    return " ".join(re.sub(_APOS, "", w) for w in words if re.sub(_APOS, "", w))


def _trie_regex(keys: Iterable[str]) -> str:
    """One regex for many phrase keys, built as a trie so that `re` follows shared prefixes
    instead of trying every phrase at every position (hundreds of places made the plain
    alternation the slowest part of entity extraction). Longer phrases are tried first."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any], prev: str) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            if ch == " ":
                piece = _SEP
            else:
                # Apostrophes are optional inside a word ("Ma'arrat" = "Maarrat").
                piece = (f"{_APOS}?" if prev not in ("", " ") else "") + re.escape(ch)
            alts.append(piece + emit(node[ch], ch))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie, "")


class PhraseMatcher:
    """Whole-word, longest-first matching of many phrases on normalised text."""

    def __init__(self, phrases: Iterable[tuple[str, int]]) -> None:
        # key -> payload index; the lam-assimilated Arabic form (الرقة → للرقة) is flagged.
        self._payload: dict[str, tuple[int, bool]] = {}
        for phrase, idx in phrases:
            key = _phrase_key(phrase)
            if not key:
                continue
            self._payload.setdefault(key, (idx, False))
            folded = normalize(phrase).strip()
            if folded.startswith("ال") and _AR_LETTER.match(folded[2:3]):
                self._payload.setdefault(_phrase_key("ل" + folded[2:]), (idx, True))
        if not self._payload:
            self._regex: re.Pattern[str] | None = None
            return
        self._regex = re.compile(
            r"(?<![^\W_])(?P<pre>[وف]?[بكل]?)"
            r"(?P<art>(?:al|el)[\s\-]|(?:[ae][rstdnz]|[ae]sh|[ae]th|[ae]dh)-|ال)?"
            rf"(?P<ph>{_trie_regex(self._payload)})(?![^\W_])"
        )

    def finditer(self, text: str) -> Iterable[tuple[int, int, int]]:
        """(start, end, payload index) in `text` for every match."""
        if self._regex is None:
            return
        folded, nmap = normalize_with_map(text)
        for m in self._regex.finditer(folded):
            found = self._payload.get(_phrase_key(m.group("ph")))
            if found is None:
                continue
            idx, lam_form = found
            pre = m.group("pre")
            if lam_form and not pre.endswith("ل"):
                continue
            ns = m.start("ph") - (1 if lam_form else 0)
            if m.group("art"):
                ns = m.start("art")
            start, end = original_span(nmap, ns, m.end("ph"), len(text))
            yield start, end, idx


def yaml_entries(raw: str, what: str) -> list[Any]:
    """The entries of a YAML list file: a list, or a mapping with an `entries` list."""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list):
        raise ConfigError(f"{what}: expected a list of entries")
    return data


@dataclass
class Gazetteer:
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> Gazetteer:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read gazetteer {path}: {exc}") from exc
        if path.suffix.lower() == ".csv":
            rows: list[Mapping[str, Any]] = list(csv.DictReader(raw.splitlines()))
        else:
            rows = yaml_entries(raw, f"gazetteer {path}")
        return cls([_entry(row, f"{path} entry {n + 1}") for n, row in enumerate(rows)])

    @classmethod
    def default(cls) -> Gazetteer:
        return _default_gazetteer()

    def extended(self, other: Gazetteer) -> Gazetteer:
        """This gazetteer plus `other`'s entries, which replace entries with the same id."""
        theirs = {e.id for e in other.entries}
        return Gazetteer([e for e in self.entries if e.id not in theirs] + other.entries)

    def matcher(self) -> PhraseMatcher:
        return _matcher(tuple(self.entries))

    def find(self, text: str) -> list[Mention]:
        out = []
        for start, end, idx in self.matcher().finditer(text):
            entry = self.entries[idx]
            out.append(
                Mention(entry.label, text[start:end], start, end, name_key(entry.name),
                        "gazetteer", entry.info())
            )  # fmt: skip
        return out


def _entry(row: Any, where: str) -> Entry:
    if not isinstance(row, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    name = str(row.get("name") or "").strip()
    label = str(row.get("label") or "").strip().upper()
    if not name or label not in GAZETTEER_LABELS:
        raise ConfigError(f"{where}: needs a name and a label among {', '.join(GAZETTEER_LABELS)}")
    variants = row.get("variants") or ()
    if isinstance(variants, str):
        variants = variants.split("|")
    coords: list[float | None] = []
    for key in ("lat", "lon"):
        value = row.get(key)
        try:
            coords.append(None if value in (None, "") else float(value))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {key} is not a number") from exc
    return Entry(
        id=str(row.get("id") or name_key(name)).strip(),
        label=label,
        name=name,
        variants=tuple(str(v).strip() for v in variants if str(v).strip()),
        lat=coords[0],
        lon=coords[1],
        note=str(row.get("note") or ""),
    )


@lru_cache(maxsize=32)
def _matcher(entries: tuple[Entry, ...]) -> PhraseMatcher:
    return PhraseMatcher((p, i) for i, e in enumerate(entries) for p in (e.name, *e.variants))


@lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    ref = resources.files("sijill.analysis").joinpath("gazetteer.yaml")
    with resources.as_file(ref) as path:
        return Gazetteer.load(path)


@lru_cache(maxsize=32)
def _glossary_matcher(terms: tuple[str, ...]) -> PhraseMatcher:
    return PhraseMatcher((t, i) for i, t in enumerate(terms))


def find_glossary(text: str, glossary: Mapping[str, str]) -> list[Mention]:
    """TERM mentions of the case's jargon; `info.meaning` carries the glossary's meaning."""
    terms = tuple(sorted(glossary))
    out = []
    for start, end, idx in _glossary_matcher(terms).finditer(text):
        term = terms[idx]
        out.append(
            Mention("TERM", text[start:end], start, end, name_key(term, strip_honorifics=False),
                    "glossary", {"term": term, "meaning": glossary[term]})
        )  # fmt: skip
    return out
