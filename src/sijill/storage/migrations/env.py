"""Alembic environment: runs on the connection Sijill hands it (see storage.db.migrate)."""

from __future__ import annotations

from alembic import context

from sijill.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs alembic by hand
    raise RuntimeError("run migrations through `sijill init` or sijill.storage.db.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
