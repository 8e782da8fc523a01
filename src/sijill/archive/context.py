"""What every service is called with: the catalog and the person acting.

Services own their transactions (`Context.session`), so a face never opens one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sijill.archive.access import Actor
from sijill.storage.db import Catalog


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    actor: Actor

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.catalog.session() as s:
            yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (no write lock on SQLite)."""
        with self.catalog.reading() as s:
            yield s

    def acting_as(self, actor: Actor) -> Context:
        return Context(self.catalog, actor)
