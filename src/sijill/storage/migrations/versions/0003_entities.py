"""Entities: mentions found in text units, and the entities they resolve to per case.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        # The key mentions are resolved by: a gazetteer id ("gaz:raqqa") or the normalised name.
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "label", "key", name="uq_entities_case_label_key"),
    )
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
        # No foreign key: the unit may be replaced by a re-run; its mentions are re-planned.
        sa.Column("text_unit_id", sa.Integer, nullable=False, index=True),
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), index=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("norm", sa.String(400), nullable=False),
        sa.Column("char_start", sa.Integer, nullable=False),
        sa.Column("char_end", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("start", sa.Float),
        sa.Column("end", sa.Float),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mentions")
    op.drop_table("entities")
