"""The HTTP API through the real ASGI app on a real, processed archive.

One matrix covers every route of the app × every role (anonymous and a member of another
case included). It is built from the app's own route table: a route added without an entry in
ALLOWED fails `test_every_route_has_an_entry`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sijill.archive import people
from sijill.archive.access import Role, custodian
from sijill.archive.context import Context
from sijill.archive.ingest import ingest
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import Claim, ClaimLink, CustodyEvent
from sijill.web.app import create_app, route_table
from tests.conftest import PASSPHRASE, process
from tests.mediagen import make_speech

ROLES = ("owner", "investigator", "reviewer", "observer")
PEOPLE = {f"{r}1": r for r in ROLES}  # members of c1
OUTSIDER = "outsider"  # owner of c2 only
PASSWORD = "a-long-enough-password"

# (method, route path) -> the least role in c1 that may call it; "anyone" for login, and
# "person" for routes any logged-in person may call whatever their cases.
ALLOWED: dict[tuple[str, str], str] = {
    ("POST", "/api/login"): "anyone",
    ("POST", "/api/logout"): "person",
    ("GET", "/api/session"): "person",
    ("GET", "/api/cases"): "person",
    ("GET", "/api/items"): "person",
    ("GET", "/api/search"): "person",
    ("GET", "/openapi.json"): "person",
    ("GET", "/api/cases/{case_id}/members"): "observer",
    ("PUT", "/api/cases/{case_id}/members/{name}"): "owner",
    ("DELETE", "/api/cases/{case_id}/members/{name}"): "owner",
    ("GET", "/api/cases/{case_id}/terms"): "investigator",
    ("GET", "/api/cases/{case_id}/reviews"): "observer",
    ("GET", "/api/items/{item_id}"): "observer",
    ("GET", "/api/items/{item_id}/transcript"): "observer",
    ("GET", "/api/items/{item_id}/entities"): "observer",
    ("GET", "/api/items/{item_id}/claims"): "observer",
    ("GET", "/api/claims/{claim_id}/links"): "observer",
    ("POST", "/api/links/{link_id}/decision"): "reviewer",
    ("GET", "/api/items/{item_id}/custody"): "observer",
    ("GET", "/api/items/{item_id}/reviews"): "observer",
    ("POST", "/api/items/{item_id}/reviews"): "reviewer",
    ("GET", "/api/items/{item_id}/media"): "observer",
    ("GET", "/api/items/{item_id}/original"): "investigator",
    ("POST", "/api/uploads"): "investigator",
    # An upload in progress is its sender's alone: anybody else, whatever their role, gets
    # the same 404 as for an upload that does not exist.
    ("PUT", "/api/uploads/{upload_id}"): "own upload",
    ("POST", "/api/uploads/{upload_id}/finish"): "own upload",
    ("DELETE", "/api/uploads/{upload_id}"): "own upload",
}


def claim_and_link(s: Any, first: str, second: str, reason: str) -> tuple[Claim, ClaimLink]:
    """The claim of item `first` in case c1, and a link of the case (when the case pass did
    not link the two items' claims: a link row as it would write one)."""
    claims = list(s.execute(select(Claim).where(Claim.case_id == "c1")).scalars())
    by_item = {c.item_id: c for c in claims}
    a, b = by_item[first], by_item[second]
    link = s.execute(select(ClaimLink).where(ClaimLink.case_id == "c1")).scalars().first()
    if link is None:
        link = ClaimLink(
            case_id="c1",
            claim_id=a.id,
            other_id=b.id,
            relation="supports",
            score=0.9,
            reasons=[reason],
        )
        s.add(link)
        s.flush()
    return a, link


@dataclass
class World:
    archive: Archive
    app: Any
    tokens: dict[str, str]
    speech: str  # a testimony of c1 with a transcript and a media working copy
    note: str  # a text of c1
    hidden: str  # an item of c2
    claim: int
    link: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("api")
    settings = Settings(passphrase=PASSPHRASE, user="tester", workers=2)
    archive = Archive.init(tmp / "archive", settings, PASSPHRASE)
    speech = make_speech(tmp / "testimony.wav", "The checkpoint at the bridge was closed in March.")
    note = tmp / "statement.txt"
    note.write_text("The checkpoint at the bridge was closed in March 2015.\n", encoding="utf-8")
    other = tmp / "other.txt"
    other.write_text("A different investigation entirely.\n", encoding="utf-8")
    ids = {}
    for path, case, witness in (
        (speech, "c1", "HERON"),
        (note, "c1", "KESTREL"),
        (other, "c2", "PLOVER"),
    ):
        report = ingest(archive, [path], case=case, actor="tester", witness=witness)
        ids[path.name] = report.outcomes[0].item_id
    process(archive)
    ctx = Context(archive.catalog, custodian("tester"))
    tokens = {}
    for name, role in PEOPLE.items():
        people.add_user(ctx, name, PASSWORD, Role.parse(role), "c1")
        tokens[name] = people.issue_token(ctx, name)
    people.add_user(ctx, OUTSIDER, PASSWORD, Role.OWNER, "c2")
    tokens[OUTSIDER] = people.issue_token(ctx, OUTSIDER)
    people.add_user(ctx, "spare", PASSWORD, Role.OBSERVER, "c1")
    with archive.catalog.session() as s:
        a, link = claim_and_link(
            s, ids["testimony.wav"], ids["statement.txt"], "same place: 'the bridge'"
        )
        claim_id, link_id = a.id, link.id
    yield World(
        archive,
        create_app(archive),
        tokens,
        ids["testimony.wav"],
        ids["statement.txt"],
        ids["other.txt"],
        claim_id,
        link_id,
    )
    archive.close()


def _fill(w: World, method: str, path: str) -> str:
    # Reviews posted by the matrix go to the note, so the testimony stays unreviewed for
    # the expert's story below.
    item = w.note if method == "POST" else w.speech
    return (
        path.replace("{item_id}", item)
        .replace("{case_id}", "c1")
        .replace("{claim_id}", str(w.claim))
        .replace("{link_id}", str(w.link))
        .replace("{name}", "spare")
        .replace("{upload_id}", "not-yours")
    )


def _body(method: str, path: str, w: World) -> dict[str, Any] | None:
    if path == "/api/login":
        return {"name": "observer1", "password": PASSWORD}
    if path.endswith("/reviews") and method == "POST":
        return {"question": "staged", "answer": "no", "confidence": "likely", "note": "ok"}
    if path.endswith("/decision"):
        return {"decision": "accept", "note": "same checkpoint"}
    if "/members/" in path and method == "PUT":
        return {"role": "observer"}
    if path == "/api/uploads":
        return {"case": "c1", "name": "note.txt", "size": 4}
    return None


def _call(client: TestClient, method: str, path: str, w: World, who: str | None) -> Any:
    headers = {"Authorization": f"Bearer {w.tokens[who]}"} if who else {}
    params: dict[str, Any] | None = {"q": "checkpoint"} if path == "/api/search" else None
    if method == "PUT" and path.startswith("/api/uploads/"):
        params = {"offset": 0}
    body = _body(method, path, w)
    return client.request(method, _fill(w, method, path), headers=headers, params=params, json=body)


def api_routes(app: Any) -> set[tuple[str, str]]:
    """The JSON API's routes (the pages' have their matrix in test_web_pages)."""
    return {
        (m, p)
        for m, p in route_table(app)
        if m != "HEAD" and (p.startswith("/api/") or p == "/openapi.json")
    }


def test_every_route_has_an_entry(world: World) -> None:
    routes = api_routes(world.app)
    assert routes - set(ALLOWED) == set(), "a route without an entry in ALLOWED"
    assert set(ALLOWED) - routes == set(), "ALLOWED names a route that is gone"


@pytest.mark.parametrize("who", [None, OUTSIDER, *PEOPLE])
def test_every_route_by_every_role(world: World, who: str | None) -> None:
    client = TestClient(world.app)
    ctx = Context(world.archive.catalog, custodian("tester"))
    for method, path in sorted(ALLOWED):
        need = ALLOWED[(method, path)]
        client.cookies.clear()  # only the token speaks (login sets a cookie)
        r = _call(client, method, path, world, who)
        where = f"{method} {path} as {who}: {r.status_code} {r.text[:200]}"
        if need == "anyone":
            assert r.status_code == 200, where
        elif who is None:
            assert r.status_code == 401, where
        elif need == "own upload":
            assert r.status_code == 404, where
        elif need == "person":
            assert r.status_code == 200, where
        elif who == OUTSIDER:
            assert r.status_code == 404, where  # c1 does not exist for them
        elif Role.parse(PEOPLE[who]) >= Role.parse(need):
            assert r.status_code == 200, where
        else:
            assert r.status_code == 403, where
        if method == "DELETE" and r.status_code == 200:
            people.set_role(ctx, "spare", "c1", Role.OBSERVER)


def test_nothing_of_another_case_shows_or_leaks_its_existence(world: World) -> None:
    client = TestClient(world.app)
    out = {"Authorization": f"Bearer {world.tokens[OUTSIDER]}"}
    assert [c["id"] for c in client.get("/api/cases", headers=out).json()["cases"]] == ["c2"]
    listed = client.get("/api/items", headers=out).json()
    assert [i["id"] for i in listed["items"]] == [world.hidden] and listed["total"] == 1
    found = client.get("/api/search", params={"q": "checkpoint"}, headers=out).json()
    assert found["hits"] == [] and found["total"] == 0
    # An item of c1 and an id that exists nowhere get the same answer, word for word.
    real = client.get(f"/api/items/{world.speech}", headers=out)
    fake_id = "0123456789abcdef"
    fake = client.get(f"/api/items/{fake_id}", headers=out)
    assert real.status_code == fake.status_code == 404
    assert real.json()["detail"].replace(world.speech, "X") == fake.json()["detail"].replace(
        fake_id, "X"
    )
    # Members of c1 do not see c2 either.
    mine = {"Authorization": f"Bearer {world.tokens['owner1']}"}
    assert world.hidden not in {
        i["id"] for i in client.get("/api/items", headers=mine).json()["items"]
    }
    assert client.get(f"/api/items/{world.hidden}/reviews", headers=mine).status_code == 404


def test_an_outside_expert_reviews_a_testimony(world: World) -> None:
    """The issue's done-when: log in, search, read the transcript, record that it does not
    look staged or coerced and that the identity is unverified, see where the other expert
    agrees, and never reach an original or another case."""
    people.add_user(
        Context(world.archive.catalog, custodian("tester")),
        "expert2",
        PASSWORD,
        Role.REVIEWER,
        "c1",
    )
    experts = {}
    for name in ("reviewer1", "expert2"):
        client = TestClient(world.app)
        r = client.post("/api/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        experts[name] = (client, r.json()["csrf_token"])
    client, csrf = experts["reviewer1"]
    hits = client.get("/api/search", params={"q": "checkpoint"}).json()["hits"]
    assert world.speech in {h["item_id"] for h in hits}
    text = client.get(f"/api/items/{world.speech}/transcript", params={"format": "vtt"})
    assert text.status_code == 200 and text.text.startswith("WEBVTT")
    assert "checkpoint" in text.text.lower()
    answers = [
        ("staged", "no", "likely"),
        ("coerced", "no", "likely"),
        ("identity", "unverified", "almost-certainly"),
    ]
    url = f"/api/items/{world.speech}/reviews"
    # A write with the session cookie but without the CSRF token is refused.
    bare = client.post(
        url, json={"question": "staged", "answer": "no", "confidence": "likely", "note": "x"}
    )
    assert bare.status_code == 403 and "csrf" in bare.text.lower()
    for q, a, conf in answers:
        r = client.post(
            url,
            headers={"X-CSRF-Token": csrf},
            json={
                "question": q,
                "answer": a,
                "confidence": conf,
                "note": "seen in full",
                "anchors": [{"start": 0, "end": 2}],
            },
        )
        assert r.status_code == 200, r.text
    other, other_csrf = experts["expert2"]
    # Blind: expert2 sees none of reviewer1's answers before answering.
    before = other.get(url).json()
    assert [r for r in before["reviews"] if r["kind"] == "item"] == [] and {
        h["question"] for h in before["hidden"]
    } >= {
        "staged",
        "coerced",
        "identity",
    }
    r = other.post(
        url,
        headers={"X-CSRF-Token": other_csrf},
        json={
            "question": "staged",
            "answer": "yes",
            "confidence": "unlikely",
            "note": "a cut at 0:01",
        },
    )
    assert r.status_code == 200
    after = other.get(url).json()
    staged = sorted(
        (x["reviewer"], x["answer"]) for x in after["reviews"] if x["question"] == "staged"
    )
    assert staged == [("expert2", "yes"), ("reviewer1", "no")]
    assert {a["question"] for a in after["agreement"]} == {"staged"}
    # Never an original, never another case.
    assert client.get(f"/api/items/{world.speech}/original").status_code == 403
    assert client.get(f"/api/items/{world.hidden}").status_code == 404
    assert client.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/session").status_code == 401


def test_media_seeks_with_ranges_and_is_never_cached(world: World) -> None:
    client = TestClient(world.app)
    h = {"Authorization": f"Bearer {world.tokens['observer1']}"}
    whole = client.get(f"/api/items/{world.speech}/media", headers=h)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"] == "no-store"
    size = len(whole.content)
    assert whole.content[:4] == b"fLaC"
    part = client.get(f"/api/items/{world.speech}/media", headers={**h, "Range": "bytes=4-99"})
    assert part.status_code == 206 and part.content == whole.content[4:100]
    assert part.headers["content-range"] == f"bytes 4-99/{size}"
    tail = client.get(f"/api/items/{world.speech}/media", headers={**h, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    bad = client.get(f"/api/items/{world.speech}/media", headers={**h, "Range": f"bytes={size}-"})
    assert bad.status_code == 416


def test_originals_are_exact_and_every_opening_is_a_custody_event(world: World) -> None:
    client = TestClient(world.app)
    h = {"Authorization": f"Bearer {world.tokens['investigator1']}"}
    with world.archive.catalog.session() as s:
        before = s.execute(
            select(CustodyEvent).where(CustodyEvent.action == "exported_original")
        ).all()
    r = client.get(f"/api/items/{world.note}/original", headers=h)
    assert r.status_code == 200
    assert r.content == b"The checkpoint at the bridge was closed in March 2015.\n"
    with world.archive.catalog.session() as s:
        events = list(
            s.execute(
                select(CustodyEvent).where(CustodyEvent.action == "exported_original")
            ).scalars()
        )
    assert len(events) == len(before) + 1
    assert events[-1].actor == "investigator1" and events[-1].item_id == world.note


def test_reviewers_do_not_see_metadata_that_locates_a_source(world: World) -> None:
    client = TestClient(world.app)
    seen = {}
    for who in ("reviewer1", "investigator1"):
        h = {"Authorization": f"Bearer {world.tokens[who]}"}
        seen[who] = client.get(f"/api/items/{world.speech}", headers=h).json()
    assert "metadata" in seen["investigator1"]
    assert "metadata" not in seen["reviewer1"]
    assert seen["reviewer1"]["text_units"], "working copies stay readable"


def test_logs_hold_no_token_password_query_or_address(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(world.app)
    secret_query = "zumarsecretname"
    with caplog.at_level(logging.DEBUG):
        client.post("/api/login", json={"name": "observer1", "password": PASSWORD})
        client.post("/api/login", json={"name": "observer1", "password": "wrong-" + PASSWORD})
        client.get(
            "/api/search",
            params={"q": secret_query},
            headers={"Authorization": f"Bearer {world.tokens['observer1']}"},
        )
    # (httpx, the test's own client, logs the URLs it asks for: not the server's log)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "GET /api/search 200" in text  # the log is there, without the details
    for secret in (PASSWORD, world.tokens["observer1"], secret_query, "testclient"):
        assert secret not in text


def test_bad_tokens_and_schemes_are_401(world: World) -> None:
    client = TestClient(world.app)
    for header in (
        "Bearer",
        "Bearer sijill_nope",
        "Basic b2JzZXJ2ZXIxOnB3",
        "Bearer " + world.tokens["observer1"][:-1],
    ):
        assert client.get("/api/items", headers={"Authorization": header}).status_code == 401
