"""People's decisions on publication copies: unreviewed transcripts accepted, findings resolved.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode: SQLite cannot widen a column in place ("passed-with-resolutions" is longer
    # than the 16 characters 0005 gave the status); PostgreSQL gets a plain ALTER.
    with op.batch_alter_table("publication_copies") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
        )
        # Who accepted re-voicing or subtitling from a transcript nobody reviewed, and when:
        # {"by", "at", "transcript"}; null when the transcript was reviewed or not used.
        batch.add_column(sa.Column("accepted_unreviewed", sa.JSON, nullable=True))
    # A person's judgement that one leak-check finding of one copy is a false positive ("not a
    # face", "not a name"). It names the finding by the hash of its content, so it cannot be
    # moved to another finding, and by its copy, so a new copy starts with none.
    op.create_table(
        "copy_resolutions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "copy_id",
            sa.Integer,
            sa.ForeignKey("publication_copies.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("finding_no", sa.Integer, nullable=False),
        sa.Column("finding_sha256", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("copy_id", "finding_sha256", name="uq_copy_resolutions_finding"),
    )


def downgrade() -> None:
    op.drop_table("copy_resolutions")
    with op.batch_alter_table("publication_copies") as batch:
        batch.drop_column("accepted_unreviewed")
        batch.alter_column(
            "status", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False
        )
