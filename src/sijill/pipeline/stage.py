"""The stage protocol: what a stage declares, what it receives and what it returns."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sijill.storage.blobs import StoredBlob


@dataclass(frozen=True)
class ItemInfo:
    """What a stage may know about the item it works on (no paths, no secrets)."""

    id: str
    sha256: str
    size: int
    name: str
    mime: str
    kind: str
    depth: int
    case: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class TextUnitOut:
    kind: str  # page, body, attachment, segment
    text: str
    method: str  # text_layer, ocr, docx, email, ...
    page: int | None = None
    start: float | None = None
    end: float | None = None
    lang: str | None = None
    lang_confidence: float | None = None
    norm: str = ""
    # Kept with the unit in the catalog: word timings, decoder scores...
    info: dict[str, Any] | None = None
    # A translation's sources: indices into this result's text_units (`sources`), or
    # catalog ids of units made by earlier stages (`source_ids`, for `reads_text` stages).
    sources: list[int] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SourceUnit:
    """A text unit made by an earlier stage, as a `reads_text` stage receives it."""

    id: int
    stage: str
    kind: str
    text: str
    lang: str | None
    page: int | None = None
    start: float | None = None
    end: float | None = None
    # For a translation: the catalog ids of the units it translates.
    source_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SourceMention:
    """A mention made by an earlier stage, already resolved to its entity of the case."""

    unit_id: int
    entity_id: int | None
    label: str
    text: str
    start: int
    end: int
    norm: str
    info: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class MediaHashOut:
    """A perceptual hash: of the image (`t` None) or of the video frame at `t` seconds."""

    algo: str
    hash: str  # hex
    quality: int
    t: float | None = None


@dataclass
class MentionOut:
    """A name found in a text unit given to a `reads_text` stage (`unit_id`), at
    text[start:end] of that unit. `key` decides which entity of the case it resolves to."""

    unit_id: int
    label: str  # PERSON, PLACE, ORG, DATE, TERM
    text: str
    start: int
    end: int
    norm: str
    key: str
    source: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClaimOut:
    """One factual assertion at text[start:end] of unit `unit_id` (a `reads_text` stage's)."""

    unit_id: int
    start: int
    end: int
    text: str
    lang: str | None
    speaker: str | None
    gloss: str | None
    info: dict[str, Any] = field(default_factory=dict)
    embedding: bytes | None = None  # float32 row
    model: str | None = None


@dataclass
class ChildOut:
    """A member extracted from a container, already sealed by the stage (`blob`).

    The runner registers it as a child item; `path` was the stage's temp copy."""

    name: str
    path: Path
    sha256: str
    size: int
    blob: str
    mime: str
    description: str
    mtime: float | None = None


@dataclass
class DerivativeOut:
    kind: str
    mime: str
    blob: StoredBlob
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageResult:
    data: dict[str, Any] = field(default_factory=dict)
    text_units: list[TextUnitOut] = field(default_factory=list)
    children: list[ChildOut] = field(default_factory=list)
    derivatives: list[DerivativeOut] = field(default_factory=list)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    media_hashes: list[MediaHashOut] = field(default_factory=list)
    mentions: list[MentionOut] = field(default_factory=list)
    claims: list[ClaimOut] = field(default_factory=list)
    # Set when the item cannot be processed further by design (encrypted, invalid...).
    item_status: str | None = None
    item_status_reason: str | None = None
    item_info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class StageContext(Protocol):
    item: ItemInfo
    config: dict[str, Any]
    input_path: Path
    workdir: Path
    previous: dict[str, dict[str, Any]]
    # Text units of the stages in `after` (only for stages with `reads_text`).
    text_units: list[SourceUnit]
    # Their mentions, and the item's metadata by source (exiftool, ffprobe, email...).
    mentions: list[SourceMention]
    metadata: dict[str, dict[str, Any]]

    def store_file(self, path: Path) -> StoredBlob: ...
    def store_bytes(self, data: bytes) -> StoredBlob: ...
    def progress(self, fraction: float) -> None:
        """Report how far a long job is (0..1); shown beside the run's progress bar."""


class Stage:
    """Base class for stages. Subclasses set the class attributes and implement `run`.

    A stage is pure with respect to its input: the same original, version and config give
    the same result, so results are keyed by (input sha256, name, version, config hash).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset()
    mimes: ClassVar[frozenset[str]] = frozenset()
    after: ClassVar[tuple[str, ...]] = ()
    tools: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    config_help: ClassVar[dict[str, str]] = {}
    timeout_s: ClassVar[float | None] = None
    memory_mb: ClassVar[int | None] = None
    # A stage that works on the text units of the stages in `after` (a translator) rather
    # than on the original: it receives them in ctx.text_units, and is planned again when
    # those stages' results are replaced.
    reads_text: ClassVar[bool] = False
    # A stage that only describes the file (metadata, perceptual hashes) and makes no text
    # and no items: the runner queues it after the stages that make the item searchable.
    describes: ClassVar[bool] = False

    def accepts(self, item: ItemInfo, previous: dict[str, dict[str, Any]]) -> bool:
        """Whether this stage has work for `item`, given results of the stages in `after`."""
        return item.kind in self.kinds or item.mime in self.mimes

    def prepare(self) -> None:
        """Load models once per worker, before the first job's clock starts (optional)."""

    def run(self, ctx: StageContext) -> StageResult:
        raise NotImplementedError


def config_hash(config: dict[str, Any]) -> str:
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
