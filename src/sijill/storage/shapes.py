"""The shapes the services return and the faces print: the CLI's `--json` documents and the
API's bodies are these, key for key.

TypedDicts rather than classes: a face serialises them as they are, and mypy holds every
service and face to the same keys.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ItemSummary(TypedDict):
    id: str
    sha256: str
    size: int
    kind: str
    mime: str
    name: str
    case: str
    source: str | None
    status: str
    status_reason: str | None
    parent_id: str | None
    depth: int
    received_at: str
    received_by: str


class SearchHit(TypedDict):
    item_id: str
    name: str
    case: str
    kind: str
    text_unit_id: int
    unit_kind: str
    method: str | None
    page: int | None
    start: float | None
    end: float | None
    lang: str | None
    score: float
    snippet: str
    highlights: list[list[int]]
    char_start: int | None
    char_end: int | None


class Term(TypedDict):
    id: int
    case: str
    term: str
    kind: str
    pseudonym: str
    entity_id: int | None
    created_by: str
    created_at: Any


class ClaimStatus(TypedDict):
    status: str
    by: str
    note: str
    at: Any


class Standing(TypedDict):
    """What the archive says of a claim: the machine's links, and a person's status."""

    supports: int
    contradicts: int
    sources_supporting: int
    sources_contradicting: int
    status: ClaimStatus | None
    standing: str


class Claim(TypedDict):
    id: int
    ref: str
    case: str
    item_id: str
    item_name: str | None
    source: str | None
    witness: str | None
    speaker: str | None
    text: str
    lang: str | None
    gloss: str | None
    text_unit_id: int
    char_start: int
    char_end: int
    page: int | None
    start: float | None
    end: float | None
    entities: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    anchor: NotRequired[dict[str, Any]]
    # With its standing (listings, timelines):
    supports: NotRequired[int]
    contradicts: NotRequired[int]
    sources_supporting: NotRequired[int]
    sources_contradicting: NotRequired[int]
    status: NotRequired[ClaimStatus | None]
    standing: NotRequired[str]
    when: NotRequired[dict[str, Any]]
    # With its links (corroborate):
    links: NotRequired[list[dict[str, Any]]]
