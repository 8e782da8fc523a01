"""Entity merges across items, claims and the corroboration links between them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # An exact-key entity folded into another of the same case (a kunya into its long form,
    # a transliteration into the Arabic spelling): mentions keep their own entity; readers
    # follow merged_into_id to the entity they count under. No foreign key: SQLite cannot add
    # one to an existing table, and entities are never deleted.
    with op.batch_alter_table("entities") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer, nullable=True))
        batch.create_index("ix_entities_merged_into_id", ["merged_into_id"])
    op.create_table(
        "entity_merges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("into_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        # auto (applied by the machine), proposed (waits for a person), confirmed, split.
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("entity_id", "into_id", name="uq_entity_merges_pair"),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("text_unit_id", sa.Integer, nullable=False, index=True),
        sa.Column("char_start", sa.Integer, nullable=False),
        sa.Column("char_end", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("start", sa.Float),
        sa.Column("end", sa.Float),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lang", sa.String(16)),
        sa.Column("speaker", sa.String(200)),
        sa.Column("gloss", sa.Text),
        # Normalised entities, dates, numbers and the reasons they were read so.
        sa.Column("info", sa.JSON, nullable=False),
        # float32 sentence embedding, and the model that made it.
        sa.Column("embedding", sa.LargeBinary),
        sa.Column("model", sa.String(120)),
    )
    op.create_table(
        "claim_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        # One row per unordered pair, claim_id < other_id.
        sa.Column("claim_id", sa.Integer, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("other_id", sa.Integer, sa.ForeignKey("claims.id"), nullable=False, index=True),
        sa.Column("relation", sa.String(16), nullable=False),  # supports, contradicts
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("claim_id", "other_id", name="uq_claim_links_pair"),
    )
    # What a case-level pass last saw (a fingerprint of its inputs), so `run` redoes entity
    # resolution and corroboration only when claims or entities changed.
    op.create_table(
        "case_state",
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_state")
    op.drop_table("claim_links")
    op.drop_table("claims")
    op.drop_table("entity_merges")
    with op.batch_alter_table("entities") as batch:
        batch.drop_index("ix_entities_merged_into_id")
        batch.drop_column("merged_into_id")
