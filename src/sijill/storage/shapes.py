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
    links: NotRequired[list[Link]]


class LinkDecision(TypedDict):
    decision: str
    by: str
    note: str
    at: Any


class Link(TypedDict):
    """A machine link from one claim to another source's, and a person's decision on it."""

    id: int
    decision: LinkDecision | None
    relation: str
    score: float
    reasons: list[str]
    claim: Claim


class Event(TypedDict):
    """One custody event, as listings show it."""

    seq: int
    at: str
    actor: str
    action: str
    details: Any
    hash: str
    item_id: NotRequired[str | None]  # in a case's log


class Entity(TypedDict):
    id: int
    case: str
    label: str
    name: str
    aliases: list[str]
    mentions: int
    items: int
    merged: NotRequired[list[dict[str, Any]]]
    lat: NotRequired[float]
    lon: NotRequired[float]
    where: NotRequired[list[dict[str, Any]]]  # with its mentions


class CaseRole(TypedDict):
    id: str
    role: str | None


class Segment(TypedDict):
    id: int
    start: float | None
    end: float | None
    lang: str | None
    text: str
    machine_text: NotRequired[str]
    corrected_by: NotRequired[str | None]
    words: NotRequired[list[dict[str, Any]]]
    sources: NotRequired[list[int]]


class Transcript(TypedDict):
    item: str
    name: str
    language: str | None
    model: str | None
    translation_note: str | None
    reviewed: Any
    segments: list[Segment]
    translation: list[Segment]
    # With the item's state (`transcripts.revise`):
    status: NotRequired[str]
    speech: NotRequired[str | None]


class ItemDetail(ItemSummary):
    """One item with what the archive holds of it (`sijill show`, `/api/items/{id}`)."""

    description: str
    info: dict[str, Any]
    receipts: list[dict[str, Any]]
    children: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    metadata: NotRequired[dict[str, Any]]  # investigators and owners only
    derivatives: list[dict[str, Any]]
    text_units: list[dict[str, Any]]
    custody: list[Event]
    claims: NotRequired[list[Claim]]
    publication_copies: NotRequired[list[Copy]]


class Copy(TypedDict):
    """A publication copy: passed or failed, its files and the leak check's findings."""

    id: int
    item: str
    case: str
    status: str
    passed: bool
    accepted_unreviewed: dict[str, Any] | None  # who accepted an unreviewed transcript
    resolutions: list[dict[str, Any]]
    files: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    params: dict[str, Any]
    report: Any
    created_by: str
    created_at: Any


class Status(TypedDict):
    """Counts per stage and state, and every failure (`sijill status`)."""

    items_by_status: dict[str, int]
    stages: dict[str, dict[str, int]]
    failures: list[dict[str, Any]]
    flagged: list[dict[str, Any]]
    total_items: int


class Merge(TypedDict):
    """One entity merged (or proposed to be) into another, with why and who decided."""

    id: int
    case: str
    label: str
    entity: dict[str, Any]
    into: dict[str, Any]
    confidence: float
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: str | None


class EntityHead(TypedDict):
    id: int
    label: str
    name: str
    case: str


class Case(TypedDict):
    id: str
    items: int
    config: dict[str, Any] | None


class Proposal(TypedDict):
    """A detected name no protected term covers yet (`sijill terms propose`)."""

    entity_id: int
    label: str
    kind: str
    name: str
    spellings: list[str]
    mentions: int
