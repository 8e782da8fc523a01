"""An archive on disk: its catalog, sealed blob store and keys, opened or created together."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sijill.errors import ArchiveExists, ArchiveNotFound, ConfigError, PassphraseError
from sijill.settings import Settings
from sijill.storage import custody
from sijill.storage.anchor import CustodyKeys
from sijill.storage.blobs import LocalBlobStore, open_blob_store
from sijill.storage.crypto import Keyring
from sijill.storage.db import (
    HEAD,
    Catalog,
    encrypt_plain_catalog,
    is_plain_sqlite,
    migrate,
    schema_revision,
    sqlite_path,
)
from sijill.storage.models import Case

FORMAT = 1
DEFAULT_CASE = "default"
CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class Archive:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        cfg_path = root / "archive.json"
        if not cfg_path.exists():
            raise ArchiveNotFound(
                f"no archive at {root} (create one with `sijill init` or set SIJILL_ARCHIVE)"
            )
        self.config: dict[str, Any] = json.loads(cfg_path.read_text())
        if self.config.get("format") != FORMAT:
            raise ConfigError(f"archive format {self.config.get('format')} is not supported")
        self.keys = Keyring(root / "keys")
        self.catalog_url: str = (
            settings.database_url or self.config.get("database_url") or self.default_db_url()
        )
        self._catalog: Catalog | None = None
        self.blobs: LocalBlobStore = open_blob_store(
            settings.blobs_url or self.config.get("blobs_url"), root / "blobs", self.keys
        )
        self.tmp = root / "tmp"

    @property
    def catalog_encrypted(self) -> bool:
        """An embedded SQLite catalog is encrypted at rest; PostgreSQL is the server's job."""
        return sqlite_path(self.catalog_url) is not None

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened on first use; an encrypted one needs the unlocked identity."""
        if self._catalog is None:
            key = None
            path = sqlite_path(self.catalog_url)
            if path is not None:
                if not self.keys.unlocked:
                    if not self.settings.passphrase:
                        raise PassphraseError(
                            "the catalog is encrypted at rest: this command needs the "
                            "passphrase (set SIJILL_PASSPHRASE or answer the prompt)"
                        )
                    self.unlock()
                key = self.keys.catalog_key()
                if is_plain_sqlite(path):
                    encrypt_plain_catalog(path, key)
            self._catalog = Catalog(self.catalog_url, key)
            # Every commit that appends custody events moves the chain's anchor (keys/).
            custody.attach(self._catalog.engine, CustodyKeys(self.keys, self.unlock))
        return self._catalog

    def default_db_url(self) -> str:
        return f"sqlite:///{self.root / 'sijill.db'}"

    @classmethod
    def init(cls, root: Path, settings: Settings, secret: str) -> Archive:
        root = root.absolute()
        if (root / "archive.json").exists():
            raise ArchiveExists(f"an archive already exists at {root}")
        if root.exists() and any(root.iterdir()):
            raise ArchiveExists(f"{root} exists and is not empty; choose a new directory")
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ring = Keyring.create(root / "keys", secret)
        (root / "blobs").mkdir(mode=0o700)
        (root / "tmp").mkdir(mode=0o700)
        cfg: dict[str, Any] = {"format": FORMAT}
        if settings.database_url:
            cfg["database_url"] = settings.database_url
        if settings.blobs_url:
            cfg["blobs_url"] = settings.blobs_url
        (root / "archive.json").write_text(json.dumps(cfg, indent=2) + "\n")
        archive = cls(root, settings)
        archive.keys.unlock_with_identity(ring.identity_str())
        migrate(archive.catalog.engine)
        archive.ensure_case(DEFAULT_CASE)
        return archive

    @classmethod
    def needs_passphrase(cls, root: Path, settings: Settings) -> bool:
        """Whether opening the archive at `root` needs the passphrase (its catalog key)."""
        try:
            return cls(root.absolute(), settings).catalog_encrypted
        except (ArchiveNotFound, ConfigError):
            return False  # Archive.open will say what is wrong

    @classmethod
    def open(cls, root: Path, settings: Settings) -> Archive:
        archive = cls(root.absolute(), settings)
        archive.sweep_work()  # decrypted leftovers of a command killed with -9
        rev = schema_revision(archive.catalog.engine)
        if rev is None:
            raise ArchiveNotFound(f"the catalog of {root} has no schema; was `sijill init` run?")
        if rev != HEAD:
            migrate(archive.catalog.engine)
        return archive

    def unlock(self) -> None:
        self.keys.unlock(self.settings.passphrase)

    def ensure_case(self, case_id: str) -> str:
        if not CASE_ID.fullmatch(case_id):
            raise ConfigError(
                f"case name {case_id!r}: use letters, digits, '-', '_' or '.', at most 64"
            )
        with self.catalog.session() as s:
            if s.execute(select(Case.id).where(Case.id == case_id)).first() is None:
                s.add(Case(id=case_id, name=case_id, config={}))
        return case_id

    def work_dir(self) -> Path:
        """This process's private folder for decrypted files: in RAM, removed at exit.

        See `storage/workspace.py`; nothing decrypted is ever written under `tmp/`."""
        from sijill.storage.workspace import workspace

        return workspace(self.settings.work_dir).root

    def sweep_work(self) -> None:
        """Remove what killed commands left: their RAM folders, and the decrypted work
        folders older versions kept under `tmp/`."""
        import shutil

        from sijill.storage.workspace import sweep

        sweep(self.settings.work_dir)
        if self.tmp.is_dir():
            for p in self.tmp.iterdir():
                if p.name.startswith(("job", "protect-", "copy-")):
                    shutil.rmtree(p, ignore_errors=True)

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.dispose()
