"""The web app's pages through the real ASGI app on a real, processed archive.

Like the API's, one matrix covers every page route × every role; it is built from the app's
route table, so a page added without an entry in PAGES fails. Then the protections: CSRF and
Origin on every write, the login redirect that cannot be pointed elsewhere, escaping of
hostile text, page images that carry none of the original's metadata, the strict CSP; the
blind review, notes, facets, the three languages, and uploads in chunks sealed as
`sijill ingest` seals."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from sijill.archive import people
from sijill.archive.access import Role, custodian
from sijill.archive.context import Context
from sijill.archive.ingest import ingest
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import CustodyEvent, Entity, Item, TextUnit
from sijill.web.app import create_app, route_table
from tests.conftest import PASSPHRASE, process
from tests.mediagen import make_speech
from tests.test_api import api_routes, claim_and_link

ROLES = ("owner", "investigator", "reviewer", "observer")
PEOPLE = {f"{r}1": r for r in ROLES}
OUTSIDER = "outsider"
PASSWORD = "a-long-enough-password"

# (method, page route) -> the least role in c1 that may use it ("anyone": no login needed;
# "person": anybody logged in).
PAGES: dict[tuple[str, str], str] = {
    ("GET", "/login"): "anyone",
    ("POST", "/login"): "anyone",
    ("POST", "/logout"): "person",
    ("GET", "/"): "person",
    ("GET", "/search"): "person",
    ("GET", "/cases/{case_id}"): "observer",
    ("GET", "/cases/{case_id}/items"): "observer",
    ("GET", "/cases/{case_id}/custody"): "observer",
    ("GET", "/cases/{case_id}/upload"): "investigator",
    ("GET", "/cases/{case_id}/claims"): "observer",
    ("GET", "/cases/{case_id}/entities"): "observer",
    ("GET", "/cases/{case_id}/members"): "observer",
    ("POST", "/cases/{case_id}/members"): "owner",
    ("GET", "/cases/{case_id}/terms"): "investigator",
    ("POST", "/cases/{case_id}/terms"): "investigator",
    ("POST", "/cases/{case_id}/terms/remove"): "investigator",
    ("GET", "/items/{item_id}"): "observer",
    ("GET", "/items/{item_id}/pages/{page}.png"): "observer",
    ("GET", "/items/{item_id}/custody"): "observer",
    ("POST", "/items/{item_id}/transcript"): "investigator",
    ("POST", "/items/{item_id}/original"): "investigator",
    ("POST", "/items/{item_id}/reviews"): "reviewer",
    ("POST", "/items/{item_id}/copy"): "investigator",
    ("POST", "/claims/{claim_id}/status"): "reviewer",
    ("POST", "/links/{link_id}/decision"): "reviewer",
    ("POST", "/notes"): "reviewer",
    ("GET", "/entities/{entity_id}"): "observer",
    ("POST", "/merges/{merge_id}"): "investigator",
}

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class World:
    archive: Archive
    app: Any
    speech: str
    note: str
    photo: str
    hidden: str
    claim: int
    link: int
    entity: int
    merge: int
    segment: int  # a line of the testimony's transcript


def _gps_photo(path: Path) -> Path:
    """A photo whose EXIF says where it was taken, and who with which camera."""
    img = Image.new("RGB", (320, 200), (200, 180, 150))
    exif = Image.Exif()
    exif[0x010F] = "HostileCam"  # Make
    exif[0x013B] = "Nadia Example"  # Artist
    gps = {1: "N", 2: (36.0, 12.0, 30.0), 3: "E", 4: (38.0, 54.0, 10.0)}
    exif[0x8825] = gps
    img.save(path, "JPEG", exif=exif)
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("pages")
    settings = Settings(passphrase=PASSPHRASE, user="tester", workers=2)
    archive = Archive.init(tmp / "archive", settings, PASSPHRASE)
    speech = make_speech(
        tmp / "testimony.wav", "Abu Rayyan closed the checkpoint at Tell Qasrin in March."
    )
    note = tmp / "statement.txt"
    note.write_text(
        "Abu Rayyan closed the checkpoint at Tell Qasrin in March 2015.\n", encoding="utf-8"
    )
    photo = _gps_photo(tmp / "photo.jpg")
    other = tmp / "other.txt"
    other.write_text("A different investigation entirely, at a checkpoint.\n", encoding="utf-8")
    ids = {}
    for path, case, witness, date in (
        (speech, "c1", "HERON", "2024-01-05"),
        (note, "c1", "KESTREL", "2015-03-20"),
        (photo, "c1", None, None),
        (other, "c2", "PLOVER", None),
    ):
        report = ingest(archive, [path], case=case, actor="tester", witness=witness, date=date)
        ids[path.name] = report.outcomes[0].item_id
    process(archive)
    ctx = Context(archive.catalog, custodian("tester"))
    for name, role in PEOPLE.items():
        people.add_user(ctx, name, PASSWORD, Role.parse(role), "c1")
    people.add_user(ctx, OUTSIDER, PASSWORD, Role.OWNER, "c2")
    people.add_user(ctx, "spare", PASSWORD, Role.OBSERVER, "c1")
    people.add_user(ctx, "expert2", PASSWORD, Role.REVIEWER, "c1")
    with archive.catalog.session() as s:
        a, link = claim_and_link(
            s, ids["testimony.wav"], ids["statement.txt"], "same place: 'Tell Qasrin'"
        )
        claim_id, link_id = a.id, link.id
        segment = (
            s.execute(
                select(TextUnit.id).where(
                    TextUnit.item_id == ids["testimony.wav"], TextUnit.kind == "segment"
                )
            )
            .scalars()
            .first()
        )
        assert segment is not None
        ents = list(
            s.execute(
                select(Entity).where(Entity.case_id == "c1", Entity.merged_into_id.is_(None))
            ).scalars()
        )
    assert len(ents) >= 2, "the fixture's texts name people and places"
    from sijill.archive.casework import merge_by_hand

    merged = merge_by_hand(ctx, ents[-1].id, ents[0].id)
    yield World(
        archive,
        create_app(archive, process=False),
        ids["testimony.wav"],
        ids["statement.txt"],
        ids["photo.jpg"],
        ids["other.txt"],
        claim_id,
        link_id,
        ents[0].id,
        merged.id,
        segment,
    )
    archive.close()


def login(app: Any, name: str) -> tuple[TestClient, str]:
    """A browser logged in as `name` through the login form, and its CSRF token."""
    client = TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.text[:300]
    csrf = client.get("/api/session").json()["csrf_token"]
    return client, csrf


def _fill(w: World, method: str, path: str) -> str:
    item = (
        w.photo
        if path.endswith(".png")
        else w.speech
        if path.endswith("/transcript") or method == "GET"
        else w.note
    )
    return (
        path.replace("{item_id}", item)
        .replace("{case_id}", "c1")
        .replace("{claim_id}", str(w.claim))
        .replace("{link_id}", str(w.link))
        .replace("{entity_id}", str(w.entity))
        .replace("{merge_id}", str(w.merge))
        .replace("{page}", "1")
    )


def _form(method: str, path: str, w: World, csrf: str) -> dict[str, Any] | None:
    if method != "POST":
        return None
    forms: dict[str, dict[str, Any]] = {
        "/login": {"username": "observer1", "password": PASSWORD},
        "/items/{item_id}/reviews": {
            "question": "staged",
            "answer": "no",
            "confidence": "likely",
            "note": "read in full",
        },
        "/claims/{claim_id}/status": {"status": "corroborated", "note": "two sources"},
        "/links/{link_id}/decision": {"decision": "accept", "note": "same checkpoint"},
        "/notes": {"target": "item", "target_id": w.note, "text": "call the witness back"},
        "/cases/{case_id}/members": {"name": "spare", "role": "observer"},
        "/cases/{case_id}/terms": {"term": "Tell Qasrin", "kind": "place"},
        "/cases/{case_id}/terms/remove": {"term": "Tell Qasrin"},
        "/merges/{merge_id}": {"decision": "confirm"},
        "/items/{item_id}/transcript": {
            "segment": w.segment,
            "text": "Abu Rayyan closed the checkpoint at Tell Qasrin in March.",
        },
    }
    form = dict(forms.get(path, {}))
    if path != "/login":
        form["csrf_token"] = csrf
    return form


def test_every_route_is_in_one_matrix(world: World) -> None:
    pages = {(m, p) for m, p in route_table(world.app) if m != "HEAD"} - api_routes(world.app)
    assert pages - set(PAGES) == set(), "a page without an entry in PAGES"
    assert set(PAGES) - pages == set(), "PAGES names a page that is gone"


@pytest.mark.parametrize("who", [None, OUTSIDER, *PEOPLE])
def test_every_page_by_every_role(world: World, who: str | None) -> None:
    for method, path in sorted(PAGES):
        need = PAGES[(method, path)]
        if who is None:
            client = TestClient(world.app, base_url="http://127.0.0.1:8000", follow_redirects=False)
            csrf = ""
        else:
            client, csrf = login(world.app, who)
        url = _fill(world, method, path)
        r = client.request(method, url, data=_form(method, path, world, csrf))
        where = f"{method} {path} as {who}: {r.status_code} {r.text[:300]}"
        location = r.headers.get("location", "")
        if need == "anyone":
            assert r.status_code in (200, 303), where
        elif who is None:
            assert r.status_code == 303 and location.startswith("/login?next="), where
        elif need == "person":
            assert r.status_code in (200, 303) and not location.startswith("/login?next="), where
        elif who == OUTSIDER:
            assert r.status_code == 404, where
        elif Role.parse(PEOPLE[who]) >= Role.parse(need):
            assert r.status_code in (200, 303) and not location.startswith("/login?next="), where
        else:
            assert r.status_code == 403, where
        if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, where
            assert "default-src 'none'" in csp, where
            assert r.headers["cache-control"] == "no-store", where


def test_writes_need_the_session_csrf_token_and_this_origin(world: World) -> None:
    client, csrf = login(world.app, "reviewer1")
    url = f"/items/{world.note}/reviews"
    form = {"question": "coerced", "answer": "no", "confidence": "likely", "note": "x"}
    assert client.post(url, data=form).status_code == 401
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 401
    other, other_csrf = login(world.app, "investigator1")
    assert client.post(url, data={**form, "csrf_token": other_csrf}).status_code == 401
    evil = client.post(
        url, data={**form, "csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 401
    ok = client.post(
        url, data={**form, "csrf_token": csrf}, headers={"Origin": "http://127.0.0.1:8000"}
    )
    assert ok.status_code == 303
    # A login posted from another site is refused too (login CSRF).
    fresh = TestClient(world.app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    r = fresh.post(
        "/login",
        data={"username": "reviewer1", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and "sijill_session" not in r.headers.get("set-cookie", "")


def test_login_goes_back_only_to_this_site(world: World) -> None:
    client = TestClient(world.app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    for target, expected in (
        ("/search?q=x", "/search?q=x"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        r = client.post(
            "/login", data={"username": "observer1", "password": PASSWORD, "next": target}
        )
        assert r.status_code == 303 and r.headers["location"] == expected
    wrong = client.post("/login", data={"username": "observer1", "password": "nope-nope"})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    assert "sijill_session" not in wrong.headers.get("set-cookie", "")


def test_hostile_text_is_escaped_everywhere_it_is_shown(world: World) -> None:
    client, csrf = login(world.app, "reviewer1")
    r = client.post(
        "/notes",
        data={"target": "item", "target_id": world.note, "text": HOSTILE, "csrf_token": csrf},
    )
    assert r.status_code == 303
    page = client.get(f"/items/{world.note}").text
    assert HOSTILE not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # Search for it: the snippet and the query box are escaped too.
    found = client.get("/search", params={"q": 'script alert "x"'}).text
    assert "<script>alert" not in found and "onerror=alert" not in found.replace(
        "onerror=alert(1)&gt;", ""
    )


def test_page_images_carry_none_of_the_originals_metadata(world: World) -> None:
    client, _ = login(world.app, "observer1")
    r = client.get(f"/items/{world.photo}/pages/1.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    data = r.content
    for secret in (b"HostileCam", b"Nadia Example", b"Exif", b"GPS"):
        assert secret not in data
    img = Image.open(io.BytesIO(data))
    assert not img.getexif() and img.size == (320, 200)
    assert client.get(f"/items/{world.photo}/pages/2.png").status_code == 404
    assert client.get(f"/items/{world.note}/pages/1.png").status_code == 404


def test_observers_see_no_upload_original_terms_or_metadata(world: World) -> None:
    client, _ = login(world.app, "observer1")
    dash = client.get("/cases/c1").text
    assert "/cases/c1/upload" not in dash and "/cases/c1/terms" not in dash
    item = client.get(f"/items/{world.photo}").text
    assert "/original" not in item and "Metadata (sealed evidence" not in item
    assert "HostileCam" not in item and "38.9" not in item
    inv, _ = login(world.app, "investigator1")
    seen = inv.get(f"/items/{world.photo}").text
    assert "/original" in seen and "Metadata (sealed evidence" in seen


def test_reviews_are_blind_until_you_answer(world: World) -> None:
    first, csrf1 = login(world.app, "reviewer1")
    second, csrf2 = login(world.app, "expert2")
    url = f"/items/{world.speech}/reviews"
    form = {
        "question": "identity",
        "answer": "partial",
        "confidence": "likely",
        "note": "voice",
        "method": "compared with an earlier interview",
    }
    r = first.post(url, data={**form, "csrf_token": csrf1})
    assert r.status_code == 303, r.text[-1500:]
    before = second.get(f"/items/{world.speech}").text
    section = before[before.index('id="review-identity"') :][:3000]
    assert "reviewer1" not in section and "1 other reviewers have answered" in section
    answer = {**form, "answer": "verified", "note": "matched the registry", "csrf_token": csrf2}
    assert second.post(url, data=answer).status_code == 303
    after = second.get(f"/items/{world.speech}").text
    section = after[after.index('id="review-identity"') :][:4000]
    assert "reviewer1" in section and "expert2" in section
    assert "Agreement: 1 of 2 reviewers give the same answer" in section


def test_notes_are_seen_by_the_whole_case_only(world: World) -> None:
    writer, csrf = login(world.app, "reviewer1")
    r = writer.post(
        "/notes",
        data={
            "target": "claim",
            "target_id": str(world.claim),
            "text": "ask HERON which month",
            "csrf_token": csrf,
            "back": f"/items/{world.speech}",
        },
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/items/{world.speech}")
    claim_page = writer.get(f"/items/{world.speech}").text
    assert "ask HERON which month" in claim_page[claim_page.index(f'id="claim-{world.claim}"') :]
    text = "the second witness saw the same silo"
    r = writer.post(
        "/notes",
        data={"target": "entity", "target_id": str(world.entity), "text": text, "csrf_token": csrf},
    )
    assert r.status_code == 303
    reader, _ = login(world.app, "observer1")
    assert text in reader.get(f"/entities/{world.entity}").text
    outsider, out_csrf = login(world.app, OUTSIDER)
    assert outsider.get(f"/entities/{world.entity}").status_code == 404
    sneak = outsider.post(
        "/notes",
        data={"target": "item", "target_id": world.note, "text": "x", "csrf_token": out_csrf},
    )
    assert sneak.status_code == 404


def test_search_facets_count_keep_and_leave_out(world: World) -> None:
    client, _ = login(world.app, "observer1")
    page = client.get("/search", params={"q": "checkpoint"}).text
    assert world.hidden not in page  # another case's item never shows
    assert "kind=audio" in page and "not_kind=document" in page
    only_audio = client.get("/search", params={"q": "checkpoint", "kind": "audio"}).text
    assert world.speech in only_audio and f"/items/{world.note}" not in only_audio
    no_docs = client.get("/search", params={"q": "checkpoint", "not_kind": "document"}).text
    assert world.speech in no_docs and f"/items/{world.note}" not in no_docs
    # A date range keeps the items recorded or written within it.
    recent = client.get("/search", params={"q": "checkpoint", "date_from": "2020-01-01"}).text
    assert world.speech in recent and f"/items/{world.note}" not in recent
    old = client.get(
        "/search", params={"q": "checkpoint", "date_from": "2015-01-01", "date_to": "2015-12-31"}
    ).text
    assert f"/items/{world.note}" in old and f"/items/{world.speech}" not in old
    bad = client.get("/search", params={"q": "checkpoint", "date_from": "March"})
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text
    # Leaving out an entity drops the items that mention it.
    m = re.search(r'href="([^"]*not_entity=(\d+))"', page)
    assert m, "entity facets with a leave-out link"
    # A hit in a recording opens at its second, the line marked.
    m = re.search(rf'href="(/items/{world.speech}\?unit=(\d+)#t=([\d.]+))"', only_audio)
    assert m, only_audio[:2000]
    viewer = client.get(m.group(1).split("#")[0]).text
    assert f'id="seg-{m.group(2)}"' in viewer
    line = viewer[viewer.index(f'id="seg-{m.group(2)}"') :][:200]
    assert 'aria-current="true"' in line


def test_the_interface_speaks_three_languages(world: World) -> None:
    client, _ = login(world.app, "observer1")
    en = client.get("/cases/c1").text
    assert '<html lang="en" dir="ltr">' in en and "Recent custody events" in en
    ar = client.get("/cases/c1", params={"lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in ar.text and "أحدث أحداث الحفظ" in ar.text
    assert "sijill_lang=ar" in ar.headers["set-cookie"]
    remembered = client.get("/cases/c1").text  # the cookie keeps it
    assert '<html lang="ar" dir="rtl">' in remembered
    client.cookies.delete("sijill_lang")
    fr = client.get("/cases/c1", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).text
    assert '<html lang="fr" dir="ltr">' in fr and "Événements de conservation récents" in fr


def test_uploads_arrive_in_chunks_and_are_sealed_as_ingest_seals(world: World) -> None:
    client, csrf = login(world.app, "investigator1")
    h = {"X-CSRF-Token": csrf}
    data = b"A leaked memo about the checkpoint at the bridge.\n" * 1000
    r = client.post(
        "/api/uploads",
        json={"case": "c1", "name": "../../etc/memo.txt", "size": len(data), "witness": "WREN"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    uid = r.json()["id"]
    half = len(data) // 2
    assert (
        client.put(
            f"/api/uploads/{uid}", params={"offset": 0}, content=data[:half], headers=h
        ).status_code
        == 200
    )
    # Out of order: refused, with nothing lost.
    skip = client.put(f"/api/uploads/{uid}", params={"offset": half + 10}, content=b"x", headers=h)
    assert skip.status_code == 400 and str(half) in skip.text
    early = client.post(f"/api/uploads/{uid}/finish", headers=h)
    assert early.status_code == 400
    # Somebody else cannot continue it.
    other, other_csrf = login(world.app, "owner1")
    stolen = other.put(
        f"/api/uploads/{uid}",
        params={"offset": half},
        content=data[half:],
        headers={"X-CSRF-Token": other_csrf},
    )
    assert stolen.status_code == 404
    assert (
        client.put(
            f"/api/uploads/{uid}", params={"offset": half}, content=data[half:], headers=h
        ).status_code
        == 200
    )
    done = client.post(f"/api/uploads/{uid}/finish", headers=h)
    assert done.status_code == 200, done.text
    outcome = done.json()
    assert outcome["status"] == "new" and outcome["path"] == "memo.txt"
    with world.archive.catalog.session() as s:
        item = s.get(Item, outcome["item_id"])
        assert item is not None
        assert item.sha256 == hashlib.sha256(data).hexdigest() and item.name == "memo.txt"
        assert item.case_id == "c1" and (item.info or {}).get("witness") == "WREN"
        received = (
            s.execute(
                select(CustodyEvent).where(
                    CustodyEvent.item_id == item.id, CustodyEvent.action == "ingest"
                )
            )
            .scalars()
            .all()
        )
        assert received and received[0].actor == "investigator1"
    assert world.archive.blobs.read_bytes(item.blob) == data
    # Nothing of it is left in the RAM work space, and nothing was ever under the archive.
    work = world.archive.work_dir()
    assert not list(work.glob("upload-*"))
    assert data[:40] not in b"".join(
        p.read_bytes()
        for p in Path(world.archive.root).rglob("*")
        if p.is_file() and p.stat().st_size < 5_000_000
    )
    # A reviewer may not upload at all.
    rev, rev_csrf = login(world.app, "reviewer1")
    assert (
        rev.post(
            "/api/uploads",
            json={"case": "c1", "name": "x.txt", "size": 1},
            headers={"X-CSRF-Token": rev_csrf},
        ).status_code
        == 403
    )


def test_the_player_reads_ranges_of_one_copy_decrypted_in_ram(world: World) -> None:
    from sijill.storage.workspace import RAM_FILESYSTEMS, mount_type

    client, _ = login(world.app, "observer1")
    url = f"/api/items/{world.speech}/media"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content[:4] == b"fLaC"
    for spec, part in (("bytes=10-19", whole.content[10:20]), ("bytes=-5", whole.content[-5:])):
        r = client.get(url, headers={"Range": spec})
        assert r.status_code == 206 and r.content == part
    folder = world.app.state.sijill.media._folder  # this app's cache (other apps share the RAM)
    copies = list(folder.glob("*"))
    assert len(copies) == 1 and copies[0].read_bytes() == whole.content
    assert mount_type(copies[0]) in RAM_FILESYSTEMS
    assert (copies[0].stat().st_mode & 0o777) == 0o600


def test_errors_on_pages_are_pages_and_on_the_api_json(world: World) -> None:
    client, csrf = login(world.app, "reviewer1")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    bad = client.post(f"/items/{world.note}/reviews", data={"csrf_token": csrf})
    assert bad.status_code == 400 and "question" in bad.text and "<html" in bad.text
    api = client.get("/api/items/0123456789abcdef")
    assert api.status_code == 404 and api.json()["detail"]
    api_bad = client.get("/api/search")
    assert api_bad.status_code == 422 and isinstance(api_bad.json()["detail"], list)


def test_an_investigator_makes_a_publication_copy_and_sees_the_leak_check(world: World) -> None:
    client, csrf = login(world.app, "investigator1")
    r = client.post(f"/items/{world.photo}/copy", data={"csrf_token": csrf})
    assert r.status_code == 303
    page = client.get(f"/items/{world.photo}").text
    section = page[page.index('id="copies"') :]
    assert "Copy " in section
    assert "passed the leak check" in section or "did not pass the leak check" in section
    # Whatever the verdict, what was found is listed by kind, words and place.
    if "did not pass" in section:
        assert "<td>" in section[section.index("did not pass") :]
