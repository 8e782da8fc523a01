"""Login throttling, the real server's logs, and a fuzz run against the OpenAPI document."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sijill.archive import people
from sijill.archive.access import Role, custodian
from sijill.archive.context import Context
from sijill.archive.ingest import ingest
from sijill.storage.archive import Archive
from sijill.web.app import create_app
from sijill.web.auth import FAILURES, FIRST_LOCK_S, MAX_LOCK_S, Sessions, Throttle
from tests.conftest import CLI

PASSWORD = "a-long-enough-password"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_throttle_locks_strangers_briefly_and_never_the_persons_own_browser() -> None:
    clock = Clock()
    th = Throttle(clock)
    mine = th.device_cookie("amal")  # set when amal last logged in from her browser
    for _ in range(FAILURES):
        assert th.wait("amal", None) == 0
        th.failed("amal", None)
    assert th.wait("amal", None) == pytest.approx(FIRST_LOCK_S)
    # Her own browser is not locked out by somebody else's failures...
    assert th.wait("amal", mine) == 0
    # ...nor is a forged or another account's device cookie accepted as hers.
    forged = mine[:-1] + ("1" if mine.endswith("0") else "0")  # one hex digit changed
    assert th.wait("amal", forged) > 0
    assert th.wait("amal", th.device_cookie("bashir")) > 0
    clock.t += FIRST_LOCK_S + 0.1
    assert th.wait("amal", None) == 0
    # Each further lock doubles, up to MAX_LOCK_S: never long.
    locks = []
    for _ in range(8):
        for _ in range(FAILURES):
            th.failed("amal", None)
        locks.append(th.wait("amal", None))
        clock.t += locks[-1] + 0.1
    assert locks[0] == pytest.approx(2 * FIRST_LOCK_S) and max(locks) <= MAX_LOCK_S
    # A device that fails again and again loses its pass for a while.
    for _ in range(10):
        th.failed("amal", mine)
    assert th.wait("amal", mine) > 0
    th.succeeded("amal")


def test_sessions_expire_when_idle_and_close_on_logout() -> None:
    clock = Clock()
    sessions = Sessions(clock)
    sid, sess = sessions.open(7)
    assert sessions.get(sid) is sess
    clock.t += 8 * 3600 + 1
    assert sessions.get(sid) is None
    sid, _ = sessions.open(7)
    sessions.close(sid)
    assert sessions.get(sid) is None
    assert sessions.get("forged") is None


def test_login_throttling_through_the_api(archive: Archive) -> None:
    ctx = Context(archive.catalog, custodian("tester"))
    people.add_user(ctx, "amal", PASSWORD, Role.REVIEWER, "default")
    app = create_app(archive)
    own = TestClient(app)
    assert own.post("/api/login", json={"name": "amal", "password": PASSWORD}).status_code == 200
    attacker = TestClient(app)
    codes = [
        attacker.post("/api/login", json={"name": "amal", "password": f"guess-{n}"}).status_code
        for n in range(FAILURES + 1)
    ]
    assert codes == [401] * FAILURES + [429]
    locked = attacker.post("/api/login", json={"name": "amal", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) <= FIRST_LOCK_S + 1
    # Amal, from the browser she used before, still gets in.
    assert own.post("/api/login", json={"name": "amal", "password": PASSWORD}).status_code == 200


@pytest.fixture
def fuzz_app(archive: Archive, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    ctx = Context(archive.catalog, custodian("tester"))
    note = tmp_path / "note.txt"
    note.write_text("The convoy left the airport at dawn.\n", encoding="utf-8")
    ingest(archive, [note], actor="tester", witness="HERON")
    people.add_user(ctx, "owner", PASSWORD, Role.OWNER, "default")
    yield create_app(archive), people.issue_token(ctx, "owner")


@pytest.mark.slow
def test_fuzzing_the_openapi_document_finds_no_server_errors(fuzz_app: tuple[Any, str]) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    app, token = fuzz_app
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=auth)
    errors: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.headers = {**(case.headers or {}), **auth}
            response = case.call()
            statuses.append(response.status_code)
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        check()
    assert operations >= 20
    # The fuzz got past the login: a run of 401s would prove nothing.
    assert statuses.count(200) >= 20, sorted(set(statuses))
    assert errors == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _cookies(url: str, headers: dict[str, str]) -> str:
    """The session cookie a login sets, lower-cased."""
    body = json.dumps({"name": "amal", "password": PASSWORD}).encode()
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **headers}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        found = [c for c in r.headers.get_all("set-cookie") or [] if "sijill_session=" in c]
    assert len(found) == 1, found
    return found[0].lower()


def test_sijill_serve_answers_over_http_and_logs_no_secrets(cli: CLI, tmp_path: Path) -> None:
    cli.env["SIJILL_USER_PASSWORD"] = PASSWORD
    cli("user", "add", "amal", "--role", "reviewer", "--case", "default")
    token = cli("user", "token", "amal").stdout.strip()
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sijill",
                "--archive",
                str(cli.archive),
                "serve",
                "--port",
                str(port),
            ],
            env=cli.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        # Unlocking (scrypt) and importing the app take seconds; more on a loaded CI machine.
        status, deadline = 0, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _request(base + "/api/session")
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        assert status == 401, (proc.poll(), log.read_text())
        status, doc = _request(base + "/api/login", {"name": "amal", "password": PASSWORD})
        assert status == 200 and doc["user"] == "amal"
        # The session cookie: HttpOnly and SameSite=Strict always; Secure once a TLS proxy on
        # this machine says the browser came over https (and only then).
        plain = _cookies(base + "/api/login", {})
        behind_tls = _cookies(base + "/api/login", {"X-Forwarded-Proto": "https"})
        for cookie in (plain, behind_tls):
            assert "httponly" in cookie and "samesite=strict" in cookie, cookie
        assert "secure" not in plain.replace("sijill_", ""), plain
        assert "; secure" in behind_tls, behind_tls
        status, found = _request(
            base + "/api/search?q=secretsearchword", headers={"Authorization": f"Bearer {token}"}
        )
        assert status == 200 and found["total"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert "GET /api/search 200" in text
    for secret in (PASSWORD, token, "secretsearchword", "127.0.0.1:" + str(port) + " -"):
        assert secret not in text
    assert os.environ.get("SIJILL_USER_PASSWORD") != PASSWORD
