"""Catalog engine: SQLite (WAL) by default, PostgreSQL by URL; schema via Alembic only.

The embedded SQLite catalog is encrypted at rest with SQLCipher (`sqlcipher3`): every page of
the database and of its WAL is AES-256 encrypted and HMAC-authenticated, under a raw 32-byte
key that only the unlocked archive identity yields (`Keyring.catalog_key`), so no
passphrase-derivation cost is paid per connection. Temporary tables and indices are kept in
memory (`temp_store=MEMORY`), so sorting a search never writes plaintext to a temp file.
A catalog made before encryption is converted once, on the first command that holds the key
(`encrypt_plain_catalog`).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sijill.errors import PassphraseError

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0008"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (see _sqlite_begin) so that every transaction takes the write
    # lock up front: the custody chain's "read last hash, append" can never interleave.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A read-only transaction (Catalog.reading) takes no write lock, so readers (fifty web
    # clients) run side by side under WAL instead of queueing behind each other.
    read = conn.get_execution_options().get(READ_ONLY)
    conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


READ_ONLY = "sijill_read_only"
PLAIN_HEADER = b"SQLite format 3\x00"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def is_plain_sqlite(path: Path) -> bool:
    """Whether `path` is an unencrypted SQLite database (its header is readable)."""
    try:
        with open(path, "rb") as f:
            return f.read(16) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def _key_pragma(key: bytes) -> str:
    # A raw key ("x'...'"): SQLCipher uses it as is, without PBKDF2 on every connection.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect_encrypted(path: Path, key: bytes, *, timeout: float = 30) -> Any:
    """A DB-API connection (sqlite3-like) to an encrypted catalog file."""
    from sqlcipher3 import dbapi2 as sqlcipher

    conn = sqlcipher.connect(str(path), timeout=timeout, check_same_thread=False)
    conn.execute(_key_pragma(key))
    try:
        # The key is only checked when the first page is read.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise PassphraseError(
            f"the catalog {path.name} cannot be opened with this archive's key"
        ) from exc
    return conn


def encrypt_plain_catalog(path: Path, key: bytes) -> bool:
    """Encrypt an unencrypted catalog in place (once); True when it was converted.

    The plaintext file is checkpointed, exported into an encrypted copy and replaced by it;
    its WAL and shared-memory files are removed. The old file's blocks are freed, not wiped:
    on flash storage they may survive, which the README says.
    """
    lock_fd = os.open(path.parent / ".catalog.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if not is_plain_sqlite(path):
            return False
        from sqlcipher3 import dbapi2 as sqlcipher

        tmp = path.with_name(path.name + ".encrypting")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        plain = sqlcipher.connect(str(path), timeout=30, isolation_level=None)
        try:
            plain.execute("PRAGMA busy_timeout=30000")
            plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(tmp),))
            plain.execute("SELECT sqlcipher_export('encrypted')")
            version = plain.execute("PRAGMA user_version").fetchone()[0]
            plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
            plain.execute("DETACH DATABASE encrypted")
        finally:
            plain.close()
        check = connect_encrypted(tmp, key)
        check.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            side.unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True
    finally:
        os.close(lock_fd)


# Connections kept and allowed at once. SQLAlchemy's default (5 + 10) made the 16th of fifty
# concurrent web requests wait up to 30 s for a connection; a SQLite connection costs a page
# cache, a PostgreSQL one a server process, so the pool stays bounded.
POOL: dict[str, Any] = {"pool_size": 8, "max_overflow": 56, "pool_timeout": 60}


def make_engine(url: str, key: bytes | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if key is not None and path is not None:
            from sqlcipher3 import dbapi2 as sqlcipher

            def creator() -> Any:
                return connect_encrypted(path, key)

            engine = create_engine(url, module=sqlcipher, creator=creator, **POOL)
        else:
            engine = create_engine(url, connect_args={"timeout": 30}, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the catalog schema to `revision` with Alembic."""
    # Imported here: Alembic costs 0.2 s of start-up that only init and upgrades need.
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return str(row[0]) if row else None


class Catalog:
    """Engine plus session factory for one archive's catalog."""

    def __init__(self, url: str, key: bytes | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, key)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as s, s.begin():
            yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it takes no write lock (never write in it)."""
        with self._sessions() as s, s.begin():
            s.connection(execution_options={READ_ONLY: True})
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
