"""The web app in a real browser: Debian's Chromium driven by Playwright, against the real
app served by uvicorn on loopback, on a real archive that processes what is uploaded.

The story of the issue: an investigator uploads a short filmed testimony, waits until it is
processed, searches a word spoken in it, opens the hit and finds the player at that second
with the transcript line marked; two reviewers record their answers, each seeing the other's
only after answering; the interface switches to Arabic, right to left; an observer sees no
upload, no original and no terms. Every page visited passes axe-core (vendored) with no
serious or critical violation, and a screenshot of each step is saved under
test-artifacts/web/ (or $SIJILL_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sijill.archive import people
from sijill.archive.access import Role, custodian
from sijill.archive.context import Context
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.web.app import create_app
from tests.conftest import PASSPHRASE
from tests.mediagen import _ffmpeg, make_speech

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = (
    Path(os.environ.get("SIJILL_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts"))
    / "web"
)
PASSWORD = "a-long-enough-password"
EARLIER = "interview-heron.mp4"
SPOKEN = (
    "My name does not matter. I drove a minibus between the two towns for many years. "
    "At the bridge the guards took every phone and looked at the photographs."
)


@dataclass
class Site:
    url: str
    archive: Archive
    video: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make setup` installs it")
    tmp = tmp_path_factory.mktemp("browser")
    settings = Settings(passphrase=PASSPHRASE, user="tester", workers=2)
    archive = Archive.init(tmp / "archive", settings, PASSPHRASE)
    ctx = Context(archive.catalog, custodian("tester"))
    archive.ensure_case("c1")
    for name, role in (
        ("inv", Role.INVESTIGATOR),
        ("rev1", Role.REVIEWER),
        ("rev2", Role.REVIEWER),
        ("obs", Role.OBSERVER),
    ):
        people.add_user(ctx, name, PASSWORD, role, "c1")
    wav = make_speech(tmp / "speech.wav", SPOKEN)
    video = tmp / "interview-owl.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-i", str(wav),
        "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video),
    )  # fmt: skip
    # A leaked document, sealed and processed before the server starts.
    from sijill.archive.ingest import ingest
    from tests.conftest import process
    from tests.pdfgen import text_pdf

    memo = tmp / "memo-checkpoints.pdf"
    memo.write_bytes(
        text_pdf([["Checkpoint orders for March", "Every phone is to be searched at the bridge."]])
    )
    # And a testimony already processed, for the reviewers and the observer (each test can
    # run alone, or in another test process than the upload's).
    heron = make_speech(
        tmp / "heron.wav", "The guards at the old silo kept us there for three days."
    )
    earlier = tmp / EARLIER
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-i", str(heron),
        "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(earlier),
    )  # fmt: skip
    ingest(archive, [memo, earlier], case="c1", actor="tester", witness="HERON")
    process(archive)
    app = create_app(archive, actor_name="tester")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "uvicorn did not start"
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    yield Site(f"http://127.0.0.1:{port}", archive, video)
    server.should_exit = True
    thread.join(10)
    archive.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def until(page: Any, expression: str, timeout: float = 30.0) -> None:
    """Poll `expression` until true. (Playwright's wait_for_function polls with eval, which
    the pages' Content-Security-Policy forbids, as it should.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.1)


class Visit:
    """One person's browser: every page it opens is checked with axe-core, and every
    request it makes must go to the site itself."""

    def __init__(self, browser: Any, site: Site, name: str) -> None:
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(site.url) else self.elsewhere.append(r.url),
        )
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        # Every CSP violation with where it came from (the console's own message omits it).
        self.page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'Content Security Policy: ' + e.violatedDirective + ' ' + e.sourceFile + ':' "
            "+ e.lineNumber + ':' + e.columnNumber))"
        )
        self.goto("/login")
        self.page.fill("#username", name)
        self.page.fill("#password", PASSWORD)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"{name} could not log in"

    def goto(self, path: str) -> None:
        self.page.goto(self.site.url + path)
        self.page.wait_for_load_state()
        self.check()

    def check(self) -> None:
        """No serious accessibility violation, no request elsewhere, no CSP error."""
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.slice(0, 3).map(n => n.html)})))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{self.page.url}: {bad}"
        assert self.elsewhere == [], self.elsewhere
        assert not [e for e in self.errors if "Content Security Policy" in e], self.errors

    def shot(self, name: str) -> None:
        # caret="initial": hiding the caret leaves style="" on every input, which htmx then
        # copies when it swaps a section in (a CSP violation of the screenshot's making).
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False, caret="initial")

    def close(self) -> None:
        self.context.close()


def test_investigator_uploads_searches_and_lands_on_the_second(site: Site, browser: Any) -> None:
    inv = Visit(browser, site, "inv")
    inv.shot("01-dashboard")
    inv.goto("/cases/c1/upload")
    inv.page.set_input_files("#files", str(site.video))
    inv.page.fill("#witness", "OWL")
    inv.page.click("form#upload button[type=submit]")
    link = inv.page.locator("#upload-list a")
    link.wait_for(timeout=120_000)
    inv.shot("02-uploaded")
    item_id = link.get_attribute("href").rsplit("/", 1)[-1]
    # Processing runs in the background: the item is processed and searchable in a while.
    deadline = time.monotonic() + 420
    state = ""
    while time.monotonic() < deadline:
        r = inv.context.request.get(f"{site.url}/api/items/{item_id}")
        state = r.json()["status"]
        if state in ("processed", "failed"):
            break
        time.sleep(2)
    assert state == "processed", state
    hits: list[Any] = []
    while time.monotonic() < deadline and not hits:  # the case pass may still be running
        r = inv.context.request.get(f"{site.url}/api/search", params={"q": "bridge"})
        hits = [h for h in r.json()["hits"] if h["item_id"] == item_id]
        if not hits:
            time.sleep(2)
    assert hits, "the spoken word is not found"
    inv.goto("/search?q=bridge")
    inv.shot("03-search")
    hit = inv.page.locator(f'ol.hits a[href^="/items/{item_id}"]').first
    href = hit.get_attribute("href")
    assert "#t=" in href
    second = float(href.rsplit("#t=", 1)[1])
    unit = href.split("unit=", 1)[1].split("#", 1)[0]
    hit.click()
    inv.page.wait_for_load_state()
    until(inv.page, "document.getElementById('player').readyState >= 1")
    inv.page.wait_for_timeout(500)
    inv.check()
    at = inv.page.evaluate("document.getElementById('player').currentTime")
    assert abs(at - second) < 0.3, (at, second)
    current = inv.page.locator("#transcript li[aria-current=true]")
    assert current.count() == 1
    assert current.get_attribute("id") == f"seg-{unit}"
    assert "bridge" in current.inner_text().lower()
    inv.shot("04-testimony-at-the-second")
    # Click another line: the player seeks there and that line is marked.
    lines = inv.page.locator("#transcript li a.seek")
    if lines.count() > 1:
        first = inv.page.locator("#transcript li").first
        lines.first.click()
        inv.page.wait_for_timeout(300)
        assert first.get_attribute("aria-current") == "true"
    # Arabic: right to left, and still our own pages only.
    inv.page.click('nav.langs a[hreflang="ar"]')
    inv.page.wait_for_load_state()
    assert inv.page.get_attribute("html", "dir") == "rtl"
    assert inv.page.get_attribute("html", "lang") == "ar"
    inv.check()
    inv.shot("05-arabic")
    inv.goto("/cases/c1")
    assert inv.page.get_attribute("html", "dir") == "rtl"  # remembered
    inv.goto(f"/items/{item_id}?lang=en")
    # The investigator's other pages: the document viewer, terms, members, custody.
    rows = inv.context.request.get(f"{site.url}/api/items", params={"kind": "document"}).json()
    doc = rows["items"][0]["id"]
    inv.goto(f"/items/{doc}")
    assert inv.page.locator("#page-1 img").count() == 1
    inv.page.locator("#page-1 img").evaluate("img => img.decode()")
    assert inv.page.locator("#page-1 img").evaluate("img => img.naturalWidth") > 100
    inv.shot("05b-document")
    for path in ("/cases/c1/terms", "/cases/c1/members", "/cases/c1/custody"):
        inv.goto(path)
    inv.close()
    site.archive  # noqa: B018 (kept open for the next test)


def _item_of(site: Site) -> str:
    from sijill.archive import reading

    rows, _ = reading.items(Context(site.archive.catalog, custodian("tester")), case="c1")
    return next(r["id"] for r in rows if r["name"] == EARLIER)


def test_two_reviewers_answer_blind(site: Site, browser: Any) -> None:
    item = _item_of(site)
    first = Visit(browser, site, "rev1")
    first.goto(f"/items/{item}")
    form = first.page.locator("#review-staged form")
    form.locator('input[value="no"]').check()
    form.locator("select").select_option("likely")
    form.locator("textarea").fill("one continuous take")
    first.page.evaluate("document.getElementById('player').play().catch(() => {})")
    form.locator("button[type=submit]").click()
    # htmx swaps the question's section in place: the page (and the player) stay.
    first.page.locator("#review-staged table.answers").wait_for()
    assert first.page.evaluate("location.pathname") == f"/items/{item}"
    first.check()
    first.shot("06-first-review")
    # A refused answer says why, in place (identity "partly verified" needs the method).
    ident = first.page.locator("#review-identity form")
    ident.locator('input[value="partial"]').check()
    ident.locator("textarea").fill("voice only")
    ident.locator("button[type=submit]").click()
    first.page.locator("#flash:not(:empty)").wait_for()
    assert "method" in first.page.locator("#flash").inner_text()
    second = Visit(browser, site, "rev2")
    second.goto(f"/items/{item}")
    section = second.page.locator("#review-staged")
    assert "rev1" not in section.inner_text()
    assert "one continuous take" not in section.inner_text()
    second.shot("07-second-reviewer-before")
    form = section.locator("form")
    form.locator('input[value="yes"]').check()
    form.locator("select").select_option("unlikely")
    form.locator("textarea").fill("a cut at 0:03")
    form.locator("button[type=submit]").click()
    second.page.locator("#review-staged table.answers").wait_for()
    second.check()
    text = second.page.locator("#review-staged").inner_text()
    assert "rev1" in text and "rev2" in text and "one continuous take" in text
    second.shot("08-second-reviewer-after")
    # A reviewer sees no upload, no original, no terms either.
    assert second.page.locator('a[href="/cases/c1/upload"]').count() == 0
    first.close()
    second.close()


def test_an_observer_sees_no_upload_original_or_terms(site: Site, browser: Any) -> None:
    item = _item_of(site)
    obs = Visit(browser, site, "obs")
    obs.goto("/cases/c1")
    assert obs.page.locator('a[href="/cases/c1/upload"]').count() == 0
    assert obs.page.locator('a[href="/cases/c1/terms"]').count() == 0
    obs.shot("09-observer-dashboard")
    obs.goto(f"/items/{item}")
    assert obs.page.locator(f'form[action="/items/{item}/original"]').count() == 0
    assert obs.page.locator("#h-meta").count() == 0
    assert obs.page.locator("#review-staged form").count() == 0
    obs.shot("10-observer-item")
    for path in ("/cases/c1/upload", "/cases/c1/terms"):
        r = obs.page.goto(site.url + path)
        assert r is not None and r.status == 403
    for path in ("/search?q=bridge", "/entities/1", "/cases/c1/claims", "/cases/c1/custody",
                 "/cases/c1/entities", "/cases/c1/members", "/cases/c1/items"):  # fmt: skip
        response = obs.page.goto(site.url + path)
        assert response is not None and response.status in (200, 404), path
        if response.status == 200:
            obs.check()
    obs.close()
