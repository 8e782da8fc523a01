"""Initial catalog: cases, items, receipts, jobs, derivatives, metadata, text units, custody.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("mime", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("items.id"), index=True),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("status_reason", sa.Text),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by", sa.String(200), nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
        sa.UniqueConstraint("case_id", "sha256", name="uq_items_case_sha"),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("items.id")),
        sa.Column("file_mtime", TS),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("stage_version", sa.Integer, nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("duration_s", sa.Float),
        sa.UniqueConstraint("item_id", "stage", "stage_version", "config_hash", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_table(
        "derivatives",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
    )
    op.create_table(
        "item_metadata",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "text_units",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("start", sa.Float),
        sa.Column("end", sa.Float),
        sa.Column("lang", sa.String(8), index=True),
        sa.Column("lang_confidence", sa.Float),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("norm", sa.Text, nullable=False),
    )
    op.create_table(
        "custody_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(32), index=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # External-content FTS5 over the normalised text; triggers keep it in step.
        op.execute(
            "CREATE VIRTUAL TABLE text_fts USING fts5(norm, content='text_units', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER text_units_ai AFTER INSERT ON text_units BEGIN "
            "INSERT INTO text_fts(rowid, norm) VALUES (new.id, new.norm); END"
        )
        op.execute(
            "CREATE TRIGGER text_units_ad AFTER DELETE ON text_units BEGIN "
            "INSERT INTO text_fts(text_fts, rowid, norm) VALUES ('delete', old.id, old.norm); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_text_units_fts ON text_units USING gin (to_tsvector('simple', norm))"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS text_fts")
    for table in (
        "custody_events",
        "text_units",
        "item_metadata",
        "derivatives",
        "jobs",
        "receipts",
        "items",
        "cases",
    ):
        op.drop_table(table)
