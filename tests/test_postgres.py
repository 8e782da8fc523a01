"""Team mode groundwork: the same Alembic migration and ingest path on a real PostgreSQL.

Needs the PostgreSQL server on 127.0.0.1:5432 (trust auth), as on the team's machines and
CI; skipped with a clear reason where it is not running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sijill.archive.analysis import analyse
from sijill.archive.claims import list_claims
from sijill.archive.ingest import ingest
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.custody import verify_chain
from sijill.storage.repositories.item_views import list_items
from tests.conftest import PASSPHRASE, process

pytestmark = pytest.mark.postgres
ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_url() -> Iterator[str]:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    name = f"sijill_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must be reachable in CI: {exc}")
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_migrate_ingest_run_and_custody_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(passphrase=PASSPHRASE, user="tester", database_url=pg_url)
    archive = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    try:
        src = tmp_path / "in"
        src.mkdir()
        (src / "a.txt").write_text("The convoy crossed the bridge at dawn, the witness said.\n")
        (src / "b.txt").write_text("The convoy crossed the bridge at dawn, the witness said.\n")
        report = ingest(archive, [src], case="pg", source="HERON", actor="tester")
        assert report.count("new") == 1 and report.count("duplicate") == 1
        stats = process(archive, workers=1)
        assert stats.failed == 0 and stats.done >= 2
        with archive.catalog.session() as s:
            items, total = list_items(s, case="pg")
            assert total == 1 and items[0].status == "processed" and items[0].source == "HERON"
            checked, broken = verify_chain(s)
            assert broken is None and checked >= 3
        assert archive.catalog.dialect == "postgresql"

        # Claims, entity merges and corroboration links on PostgreSQL too.
        other = tmp_path / "c.txt"
        other.write_text("At dawn the convoy crossed the bridge, as the witness told us.\n")
        ingest(archive, [other], case="pg", source="KESTREL", witness="KESTREL", actor="tester")
        assert process(archive, workers=1).failed == 0
        with archive.catalog.session() as s:
            report = analyse(s, "tester")
            claims, n = list_claims(s, case="pg")
            assert n == 2 and all(c["lang"] == "en" for c in claims)
            assert report.claims == 2
            assert report.links.get("supports") == 1, report
    finally:
        archive.close()


def test_custody_chain_stays_one_chain_under_parallel_writers(pg_url: str, tmp_path: Path) -> None:
    """Eight writers append at once, each in its own transactions (as web requests, workers
    and the CLI do on a team server): the chain must come out whole, no seq taken twice."""
    import threading

    from sijill.storage import custody

    settings = Settings(passphrase=PASSPHRASE, user="tester", database_url=pg_url)
    archive = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for k in range(25):
                with archive.catalog.session() as s:
                    custody.append(s, f"writer{n}", "test_event", None, {"k": k})
                    if k % 5 == 0:  # some transactions append two events
                        custody.append(s, f"writer{n}", "test_event", None, {"k": -k})
        except Exception as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with archive.catalog.session() as s:
            checked, broken = custody.verify_chain(s)
            n = s.execute(
                text("SELECT count(*) FROM custody_events WHERE action = 'test_event'")
            ).scalar_one()
        assert broken is None
        assert n == 8 * 30
        assert checked >= n
    finally:
        archive.close()


def test_people_and_reviews_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    from sijill.archive import people
    from sijill.archive.access import Role, custodian
    from sijill.archive.context import Context
    from sijill.review import service

    settings = Settings(passphrase=PASSPHRASE, user="tester", database_url=pg_url)
    archive = Archive.init(tmp_path / "archive", settings, PASSPHRASE)
    try:
        note = tmp_path / "n.txt"
        note.write_text("The bridge was closed.\n")
        item = ingest(archive, [note], case="pg", actor="tester").outcomes[0].item_id
        assert item is not None
        ctx = Context(archive.catalog, custodian("tester"))
        for name in ("amal", "bashir"):
            people.add_user(ctx, name, "a-long-enough-password", Role.REVIEWER, "pg")
        token = people.issue_token(ctx, "amal")
        amal = ctx.acting_as(people.actor_for_token(ctx, token))
        bashir = ctx.acting_as(people.login(ctx, "bashir", "a-long-enough-password"))
        service.review_item(amal, item, "staged", "no", "likely", "calm")
        assert service.reviews_of_item(bashir, item).reviews == []
        service.review_item(bashir, item, "staged", "no", "almost-certainly", "calm too")
        shown = service.reviews_of_item(bashir, item)
        assert len(shown.reviews) == 2 and shown.agreement[0].items == 1
        with archive.catalog.session() as s:
            checked, broken = verify_chain(s)
        assert broken is None
    finally:
        archive.close()
