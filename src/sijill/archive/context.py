"""What every service is called with: the catalog and the person acting.

Services own their transactions (`Context.session`), so a face never opens one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from sijill.archive.access import Actor, custodian
from sijill.storage.db import Catalog

if TYPE_CHECKING:
    from sijill.storage.archive import Archive


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

    @classmethod
    def custodian_of(cls, archive: Archive, name: str) -> Context:
        """The local custodian (`name` in custody events) acting on an open archive."""
        return cls(archive.catalog, custodian(name))

    def acting_as(self, actor: Actor) -> Context:
        return Context(self.catalog, actor)
