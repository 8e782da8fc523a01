"""Source protection: a case's protected terms, manual face regions, publication copies.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Real names, kunyas, home towns, phone numbers: what must never leave, and the pseudonym
    # that replaces each. Several spellings of one person share one pseudonym.
    op.create_table(
        "protected_terms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.String(200), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "term", name="uq_protected_terms_case_term"),
    )
    # Areas an investigator marks by hand (a face the detector missed, a tattoo, a street
    # sign): always filled, in pixels of the upright frame, over a time range or the whole.
    op.create_table(
        "protect_regions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("x", sa.Integer, nullable=False),
        sa.Column("y", sa.Integer, nullable=False),
        sa.Column("w", sa.Integer, nullable=False),
        sa.Column("h", sa.Integer, nullable=False),
        sa.Column("start", sa.Float),
        sa.Column("end", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "publication_copies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        # passed (the leak check found nothing) or failed (findings listed).
        sa.Column("status", sa.String(16), nullable=False, index=True),
        # How it was made: face fill, voice mode, terms fingerprint, regions.
        sa.Column("params", sa.JSON, nullable=False),
        # [{"name", "role", "mime", "sha256", "size", "blob"}]
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("publication_copies")
    op.drop_table("protect_regions")
    op.drop_table("protected_terms")
