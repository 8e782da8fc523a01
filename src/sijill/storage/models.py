"""The catalog's data model (SQLAlchemy 2, typed). Schema changes go through Alembic only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Per-case stage configuration overrides, e.g. {"tesseract_ocr": {"languages": "ara+eng"}}.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_items_case_sha"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text)
    mime: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    blob: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by: Mapped[str] = mapped_column(String(200))
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Receipt(Base):
    """One arrival of an item: an ingest of a file, or extraction from a container."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"))
    file_mtime: Mapped[datetime | None] = mapped_column()


class Job(Base):
    """One unit of pipeline work; its key is (item, stage, stage version, config hash)."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("item_id", "stage", "stage_version", "config_hash", name="uq_jobs_key"),
        Index("ix_jobs_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    input_sha256: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    stage_version: Mapped[int] = mapped_column(Integer)
    config_hash: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # pending, running, done, failed, skipped, superseded
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    duration_s: Mapped[float | None] = mapped_column(Float)


class Derivative(Base):
    __tablename__ = "derivatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    blob: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ItemMetadata(Base):
    """Captured metadata (exiftool, PDF info, e-mail headers): sealed evidence, never published."""

    __tablename__ = "item_metadata"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    source: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TextUnit(Base):
    __tablename__ = "text_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # page, body, segment, sheet...
    seq: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    lang: Mapped[str | None] = mapped_column(String(8), index=True)
    lang_confidence: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32))  # text_layer, ocr, docx, email...
    text: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(Text)
    # Word timings, decoder scores, translation sources ({"sources": [unit ids]}).
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # For a translation: the (first) unit it translates. Deliberately no foreign key.
    source_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)


class MediaHash(Base):
    """A perceptual hash of an image, or of one video frame at `t` seconds."""

    __tablename__ = "media_hashes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    algo: Mapped[str] = mapped_column(String(16))
    t: Mapped[float | None] = mapped_column(Float)
    hash: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int] = mapped_column(Integer)


class CustodyEvent(Base):
    """One entry of the append-only, hash-chained custody log."""

    __tablename__ = "custody_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(32), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Entity(Base):
    """A person, place, organisation, date or term of one case, as mentions resolve to it."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("case_id", "label", "key", name="uq_entities_case_label_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(400))
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a merge folded this entity into another of its case (see EntityMerge).
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)


class Mention(Base):
    """A name found in a text unit, with its exact place in it."""

    __tablename__ = "mentions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    text_unit_id: Mapped[int] = mapped_column(Integer, index=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(String(400))
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EntityMerge(Base):
    """A proposed or applied merge of one entity into another of the same case, with why."""

    __tablename__ = "entity_merges"
    __table_args__ = (UniqueConstraint("entity_id", "into_id", name="uq_entity_merges_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    into_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)  # auto proposed confirmed split
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claim(Base):
    """One factual assertion in a text unit, with its speaker and what it names."""

    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    text_unit_id: Mapped[int] = mapped_column(Integer, index=True)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    speaker: Mapped[str | None] = mapped_column(String(200))
    gloss: Mapped[str | None] = mapped_column(Text)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    model: Mapped[str | None] = mapped_column(String(120))


class ClaimLink(Base):
    """Two claims of different items and independent sources: supports or contradicts."""

    __tablename__ = "claim_links"
    __table_args__ = (UniqueConstraint("claim_id", "other_id", name="uq_claim_links_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    other_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseState(Base):
    """What a case-level pass last saw, so it runs again only when its inputs changed."""

    __tablename__ = "case_state"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProtectedTerm(Base):
    """A name, place or number of one case that must never leave, and its pseudonym."""

    __tablename__ = "protected_terms"
    __table_args__ = (UniqueConstraint("case_id", "term", name="uq_protected_terms_case_term"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    term: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # name place phone other
    pseudonym: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProtectRegion(Base):
    """An area of an image or video an investigator marked to be filled, whatever detectors say."""

    __tablename__ = "protect_regions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    w: Mapped[int] = mapped_column(Integer)
    h: Mapped[int] = mapped_column(Integer)
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicationCopy(Base):
    """The protected files made from one item, and what the leak check found in them."""

    __tablename__ = "publication_copies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # passed, passed-with-resolutions (every finding resolved by a person), failed
    status: Mapped[str] = mapped_column(String(32), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {"by", "at", "transcript"} when a person accepted an unreviewed transcript (0006)
    accepted_unreviewed: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class CopyResolution(Base):
    """A person's verdict that one leak-check finding of one copy is a false positive (0006)."""

    __tablename__ = "copy_resolutions"
    __table_args__ = (
        UniqueConstraint("copy_id", "finding_sha256", name="uq_copy_resolutions_finding"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("publication_copies.id"), index=True)
    finding_no: Mapped[int] = mapped_column(Integer)
    # sha256 of the finding's kind/where/what: the verdict holds for that content only
    finding_sha256: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))  # not-a-face not-a-name
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person with an account: a password (argon2id) and API tokens, roles per case (0007).

    A removed account keeps its row, so reviews and custody events still name who they were;
    it can no longer log in, and its name is not given to anybody else."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()


class Membership(Base):
    """One person's role in one case: owner, investigator, reviewer or observer (0007)."""

    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API token, stored only as its SHA-256 (the token itself is shown once) (0007)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class Review(Base):
    """One person's judgement, never edited: an answer to a named question about an item, a
    claim's status, or a decision on a machine link (0007).

    `subject` names what is judged by content, so a judgement outlives the rows a later run
    recomputes: an item's id, a claim's key (its item and text), or a link's key (its two
    claims' keys, sorted). A new judgement by the same person on the same subject and question
    supersedes the old one (`supersedes_id`); the old row stays as history."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # item claim link
    item_id: Mapped[str | None] = mapped_column(ForeignKey("items.id"), index=True)
    subject: Mapped[str] = mapped_column(String(160), index=True)
    question: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    anchors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """A person's note on an item, a claim or an entity, visible to everybody in the case
    (0008). Never edited: a correction is another note."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    target: Mapped[str] = mapped_column(String(8))  # item claim entity
    target_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_notes_target", "target", "target_id"),)
