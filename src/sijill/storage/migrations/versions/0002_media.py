"""Media: text-unit details (word timings, translation sources) and perceptual hashes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild), so SQLite's full-text triggers stay in place.
    # Per-unit details a stage wants kept: word timings, decoder scores, sources.
    op.add_column("text_units", sa.Column("info", sa.JSON, nullable=True))
    # A translation points at the unit it translates (the first one where it spans several;
    # all of them are in info["sources"]). No foreign key: a re-run of the source stage
    # replaces its units, and the translation is then re-planned.
    op.add_column("text_units", sa.Column("source_unit_id", sa.Integer, nullable=True))
    op.create_index("ix_text_units_source_unit_id", "text_units", ["source_unit_id"])
    op.create_table(
        "media_hashes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        sa.Column("algo", sa.String(16), nullable=False),  # pdq
        sa.Column("t", sa.Float, nullable=True),  # seconds into a video; NULL for an image
        sa.Column("hash", sa.String(64), nullable=False),  # hex
        sa.Column("quality", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("media_hashes")
    op.drop_index("ix_text_units_source_unit_id", "text_units")
    with op.batch_alter_table("text_units") as batch:
        batch.drop_column("source_unit_id")
        batch.drop_column("info")
