"""Full-text search over text units: query parsing, BM25 ranking, snippets in original text.

Embedded backend: SQLite FTS5 over `text_units.norm` (see textnorm). Queries are parsed by us,
never passed through raw, so user input cannot inject FTS syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from sijill.errors import ConfigError, QueryError
from sijill.storage.shapes import SearchHit
from sijill.text.normalise import normalize, normalize_with_map

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
SNIPPET_CONTEXT = 70


@dataclass
class Term:
    words: str
    prefix: bool = False
    negated: bool = False

    def fts(self) -> str:
        return f'"{self.words}"' + ("*" if self.prefix else "")


@dataclass
class ParsedQuery:
    groups: list[list[Term]] = field(default_factory=list)

    def fts(self) -> str:
        parts = []
        for group in self.groups:
            pos = [t for t in group if not t.negated]
            neg = [t for t in group if t.negated]
            if not pos:
                raise QueryError("a query needs at least one word that is not excluded")
            expr = " AND ".join(t.fts() for t in pos)
            for t in neg:
                expr = f"({expr}) NOT {t.fts()}"
            parts.append(f"({expr})")
        return " OR ".join(parts)


def parse_query(query: str) -> ParsedQuery:
    """Words (AND), "phrases", prefix*, -excluded or NOT word, and OR between groups."""
    parsed = ParsedQuery(groups=[[]])
    negate_next = False
    for m in _TOKEN.finditer(query):
        neg_quote, phrase, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None:
            if bare == "OR":
                if parsed.groups[-1]:
                    parsed.groups.append([])
                continue
            if bare in ("AND",):
                continue
            if bare == "NOT":
                negate_next = True
                continue
            negated = negate_next or (bare.startswith("-") and len(bare) > 1)
            raw = bare[1:] if bare.startswith("-") and len(bare) > 1 else bare
            prefix = raw.endswith("*")
            words = " ".join(_WORD.findall(normalize(raw.rstrip("*"))))
        else:
            negated = negate_next or neg_quote == "-"
            prefix = False
            words = " ".join(_WORD.findall(normalize(phrase)))
        negate_next = False
        if words:
            parsed.groups[-1].append(Term(words, prefix, negated))
    parsed.groups = [g for g in parsed.groups if g]
    if not parsed.groups:
        raise QueryError(f"nothing to search for in {query!r}")
    parsed.fts()  # raises QueryError for a group with only excluded words
    return parsed


@dataclass
class Hit:
    text_unit_id: int
    item_id: str
    item_name: str
    case: str
    kind: str
    unit_kind: str
    method: str
    page: int | None
    start: float | None
    end: float | None
    lang: str | None
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    char_start: int | None
    char_end: int | None

    def to_json(self) -> SearchHit:
        return {
            "item_id": self.item_id,
            "name": self.item_name,
            "case": self.case,
            "kind": self.kind,
            "text_unit_id": self.text_unit_id,
            "unit_kind": self.unit_kind,
            "method": self.method,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "lang": self.lang,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


def _match_spans(marked: str) -> tuple[list[tuple[int, int]], int]:
    """Spans (in unmarked normalised coordinates) between \\x01 and \\x02 markers."""
    spans: list[tuple[int, int]] = []
    pos = 0
    start = 0
    for ch in marked:
        if ch == "\x01":
            start = pos
        elif ch == "\x02":
            spans.append((start, pos))
        else:
            pos += 1
    return spans, pos


def build_snippet(
    original: str, marked_norm: str
) -> tuple[str, list[tuple[int, int]], int | None, int | None]:
    """Snippet of the original text around the first match, with highlight spans within it."""
    spans, _ = _match_spans(marked_norm)
    _, offsets = normalize_with_map(original)
    orig_spans: list[tuple[int, int]] = []
    for s, e in spans:
        if s < len(offsets) and e - 1 < len(offsets) and e > s:
            orig_spans.append((offsets[s], offsets[e - 1] + 1))
    if not orig_spans:
        return original[: 2 * SNIPPET_CONTEXT].strip(), [], None, None
    first_s, first_e = orig_spans[0]
    lo = max(0, first_s - SNIPPET_CONTEXT)
    hi = min(len(original), first_e + SNIPPET_CONTEXT)
    # Do not cut words in half at the window's edges.
    while lo > 0 and not original[lo - 1].isspace() and first_s - lo < SNIPPET_CONTEXT + 15:
        lo -= 1
    while hi < len(original) and not original[hi].isspace() and hi - first_e < SNIPPET_CONTEXT + 15:
        hi += 1
    window = original[lo:hi]
    lead = len(window) - len(window.lstrip())
    snippet = window.strip()
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(original) else ""
    shift = len(prefix) - lo - lead
    highlights = [
        (s + shift, e + shift)
        for s, e in orig_spans
        if s >= lo + lead and e <= lo + lead + len(snippet)
    ]
    flat = " ".join(snippet.split())
    if flat != snippet:
        # Collapse newlines for display while keeping highlight offsets correct.
        snippet_chars = list(snippet)
        snippet = "".join(" " if c in "\r\n\t" else c for c in snippet_chars)
    return prefix + snippet + suffix, highlights, first_s, first_e


@dataclass
class Filters:
    """What a search is narrowed to: for each facet, values to keep (any of them) and values to
    leave out; and a date range on the item's date (when it was recorded or written)."""

    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None


# Each facet, as the SQL expression of its value for one hit (`tu` the text unit, `i` its item).
# Entities and review status are per item: a hit's item mentions the entity / has a review.
FACETS = ("case", "kind", "lang", "entity", "review")
_FACET_SQL = {
    "case": "i.case_id",
    "kind": "i.kind",
    "lang": "tu.lang",
    "review": (
        "CASE WHEN EXISTS (SELECT 1 FROM reviews r WHERE r.item_id = i.id AND r.kind = 'item') "
        "THEN 'reviewed' ELSE 'unreviewed' END"
    ),
}
_ENTITY_OF_ITEM = (
    "SELECT coalesce(e.merged_into_id, e.id) FROM mentions m JOIN entities e ON e.id = m.entity_id "
    "WHERE m.item_id = i.id"
)
_ITEM_DATE = "json_extract(i.info, '$.date')"
FACET_LIMIT = 15


def _facet_where(filters: Filters, params: dict[str, Any], skip: str | None = None) -> list[str]:
    where: list[str] = []
    for facet in FACETS:
        chosen = (("in", filters.include.get(facet)), ("out", filters.exclude.get(facet)))
        for mode, values in chosen:
            if not values or (facet == skip and mode == "in"):
                continue
            names = []
            for n, v in enumerate(values[:50]):
                key = f"f_{facet}_{mode}{n}"
                params[key] = int(v) if facet == "entity" and str(v).isdigit() else v
                names.append(f":{key}")
            listed = ", ".join(names)
            if facet == "entity":
                # Kept: items that mention every entity asked for; left out: any of them.
                each = [f"{n} IN ({_ENTITY_OF_ITEM})" for n in names]
                where.append(" AND ".join(each) if mode == "in" else f"NOT ({' OR '.join(each)})")
            elif mode == "in":
                where.append(f"{_FACET_SQL[facet]} IN ({listed})")
            else:
                where.append(f"coalesce({_FACET_SQL[facet]}, '') NOT IN ({listed})")
    if filters.date_from:
        params["date_from"] = filters.date_from
        where.append(f"{_ITEM_DATE} >= :date_from")
    if filters.date_to:
        params["date_to"] = filters.date_to
        where.append(f"{_ITEM_DATE} <= :date_to")
    return where


def search(
    session: Session,
    query: str,
    *,
    case: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
    cases: Sequence[str] | None = None,
    filters: Filters | None = None,
) -> tuple[list[Hit], int]:
    """Hits ranked by BM25; `cases`, when given, the only cases searched (those the person
    may read)."""
    base, params = _base(
        session, query, case=case, lang=lang, kind=kind, cases=cases, filters=filters
    )
    if base is None:
        return [], 0
    params.update({"limit": limit, "offset": offset})
    total = int(session.execute(text(f"SELECT count(*) {base}"), params).scalar_one())
    rows = session.execute(
        text(
            "SELECT tu.id, tu.item_id, i.name, i.case_id, i.kind, tu.kind, tu.method, tu.page, "
            'tu.start, tu."end", tu.lang, bm25(text_fts) AS score, tu.text, '
            "highlight(text_fts, 0, char(1), char(2)) "
            f"{base} ORDER BY score LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    hits = []
    for r in rows:
        snippet, highlights, cs, ce = build_snippet(r[12], r[13])
        hits.append(
            Hit(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                -float(r[11]),
                snippet,
                highlights,
                cs,
                ce,
            )
        )
    return hits, total


def facet_counts(
    session: Session,
    query: str,
    *,
    cases: Sequence[str] | None = None,
    filters: Filters | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """For each facet, its values among the hits with their counts, most first. A facet's
    counts apply every other facet's filters but not its own "keep only" choice, so a person
    can widen a choice again (the usual disjunctive faceting)."""
    filters = filters or Filters()
    out: dict[str, list[tuple[str, int]]] = {}
    for facet in FACETS:
        base, params = _base(session, query, cases=cases, filters=filters, skip=facet)
        if base is None:
            out[facet] = []
            continue
        if facet == "entity":
            sql = (
                "SELECT coalesce(e.merged_into_id, e.id) AS v, count(DISTINCT hits.uid) AS n "
                f"FROM (SELECT tu.id AS uid, i.id AS iid {base}) hits "
                "JOIN mentions m ON m.item_id = hits.iid JOIN entities e ON e.id = m.entity_id "
                "GROUP BY v ORDER BY n DESC, v LIMIT :facet_limit"
            )
        else:
            sql = (
                f"SELECT coalesce({_FACET_SQL[facet]}, '') AS v, count(*) AS n {base} "
                "GROUP BY v ORDER BY n DESC, v LIMIT :facet_limit"
            )
        params["facet_limit"] = FACET_LIMIT
        out[facet] = [(str(v), int(n)) for v, n in session.execute(text(sql), params).all()]
    return out


def _base(
    session: Session,
    query: str,
    *,
    case: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    cases: Sequence[str] | None = None,
    filters: Filters | None = None,
    skip: str | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """The FROM and WHERE of a search (None: nothing can match), with its parameters."""
    if session.get_bind().dialect.name != "sqlite":
        raise ConfigError("full-text search on PostgreSQL is not built yet")
    fts = parse_query(query).fts()
    params: dict[str, Any] = {"q": fts}
    if cases is not None and not cases:
        return None, params
    where = ["text_fts MATCH :q"]
    if case:
        where.append("i.case_id = :case")
        params["case"] = case
    if cases is not None:
        names = [f":case{n}" for n in range(len(cases))]
        where.append(f"i.case_id IN ({', '.join(names)})")
        params.update({f"case{n}": c for n, c in enumerate(cases)})
    if lang:
        where.append("tu.lang = :lang")
        params["lang"] = lang
    if kind:
        where.append("i.kind = :kind")
        params["kind"] = kind
    if filters is not None:
        where += _facet_where(filters, params, skip)
    by_lang = lang or (filters is not None and filters.include.get("lang") and skip != "lang")
    if not by_lang:
        # A translation that matches where its source also matches says the same thing
        # twice: the original's hit stands for both.
        where.append(
            "NOT (tu.kind = 'translation' AND tu.source_unit_id IS NOT NULL AND "
            "tu.source_unit_id IN (SELECT rowid FROM text_fts WHERE text_fts MATCH :q))"
        )
    cond = " AND ".join(where)
    base = (
        "FROM text_fts JOIN text_units tu ON tu.id = text_fts.rowid "
        "JOIN items i ON i.id = tu.item_id JOIN jobs j ON j.id = tu.job_id "
        f"WHERE {cond} AND j.state = 'done'"
    )
    return base, params
