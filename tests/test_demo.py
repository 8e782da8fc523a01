"""The demo end to end: the bundled corpus is ingested and processed without a failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from sijill.archive import people
from sijill.archive.context import Context
from sijill.archive.similar import similar
from sijill.archive.transcripts import transcript
from sijill.cli.demo import (
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_SOURCE,
    INTERVIEW,
    MARKER,
    PROVENANCE,
    PUBLIC_DIR,
    SPOKEN_WORD,
    _clear,
    build_demo,
    corpus_files,
)
from sijill.errors import ConfigError
from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.repositories.item_views import list_items, status_summary
from sijill.storage.search import search

SCAN = "scan_0019.pdf"
# A word that occurs only in the Arabic scan's image ("the complaints"): only OCR can find it.
SCAN_ONLY_WORD = "الشكاوى"
REUPLOAD = "witness-b-reupload.mp4"
VOICE_MEMO = "voice-memo.m4a"


def test_demo_refuses_a_directory_that_is_not_a_demo(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "precious.txt").write_text("not a demo")
    with pytest.raises(ConfigError, match="not a demo archive"):
        build_demo(tmp_path, settings)
    assert (tmp_path / "precious.txt").read_text() == "not a demo"


def test_an_earlier_demo_is_cleared(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / MARKER).write_text("demo")
    (tmp_path / "old" / "sijill.db").write_text("x")
    _clear(tmp_path / "old")
    assert not (tmp_path / "old").exists()


@pytest.mark.slow
# The heaviest case: the whole corpus processed and every example command run, about 200 s
# alone on the 2-core machine, and more beside two other test processes.
@pytest.mark.timeout(1500)
def test_demo_builds_and_everything_is_processed(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "demo"
    log = tmp_path / "demo.log"
    with log.open("w") as f:
        build_demo(root, settings, console=Console(file=f, width=120))
    assert (root / MARKER).is_file()
    shown = log.read_text()
    assert "$ sijill verify" in shown and "the custody chain and its anchor verify" in shown, shown
    assert "$ sijill transcript" in shown and " --> " in shown, shown
    assert f"$ sijill search {SPOKEN_WORD}" in shown, shown
    assert REUPLOAD in shown.partition("$ sijill similar")[2], shown
    # Places named in English, French and Arabic documents are one entity.
    entities = shown.partition("$ sijill entities")[2]
    assert "Raqqa" in entities and "الرقة" in entities, entities
    # The interview's claims are lined up against other witnesses' and sources', with why.
    linked = shown.partition("$ sijill corroborate")[2].partition("$ sijill timeline")[0]
    assert "supports" in linked and "same number" in linked, linked

    # Publication copies of the interview and the photo passed the leak check, and the
    # protected place is in none of their texts.
    assert "leak check passed" in shown.partition("$ sijill protect")[2], shown
    public = root / PUBLIC_DIR
    published = sorted(p.name for p in public.rglob("*") if p.is_file())
    assert any(n.endswith(".mp4") for n in published) and any(n.endswith(".vtt") for n in published)
    assert any(n.endswith(".jpg") for n in published), published
    # The reviewer's corrected transcript names the place; the copy says its pseudonym.
    assert "--mark-reviewed" in shown, shown
    vtts = list(public.rglob("*.vtt"))
    assert vtts and all("Place A" in v.read_text() for v in vtts), vtts
    for vtt in vtts:
        assert "Qasrin" not in vtt.read_text(), vtt.read_text()
    assert "no findings" in shown.partition("$ sijill leakcheck")[2], shown
    # Two experts reviewed the interview; its owner sees both answers side by side.
    reviews = shown.partition("$ sijill reviews")[2].partition("$ sijill ")[0]
    assert "expert1" in reviews and "expert2" in reviews and "staged" in reviews, reviews
    assert "(exit code" not in shown, shown

    archive = Archive.open(root, settings)
    try:
        with archive.catalog.session() as s:
            items, _total = list_items(s, case="demo")
            by_id = {i.id: i for i in items}
            top = {i.name for i in items if i.parent_id is None}
            assert top == {p.name for p in corpus_files()}
            children = {i.name for i in items if i.parent_id is not None}
            assert {
                "field_notes_2024-03.txt",
                "announcement_19.html",
                "checkpoints.csv",
                "postes_controle_avril2024.csv",
            } <= children, children
            for i in items:
                root_name = i.name if i.parent_id is None else by_id[i.parent_id].name
                want = PROVENANCE.get(root_name, (DEMO_SOURCE, None))
                assert (i.source, (i.info or {}).get("witness")) == want, (i.name, want)
            summary = status_summary(s)
            assert summary["failures"] == []
            assert "failed" not in summary["items_by_status"], summary
            hits, _n = search(s, SCAN_ONLY_WORD, case="demo")
            assert SCAN in {h.item_name for h in hits}, [h.to_json() for h in hits]

            # The recorded testimonies: transcribed with times, searchable, and the
            # re-uploaded excerpt found by its perceptual hashes.
            by_name = {i.name: i for i in items}
            kinds = {
                n: (by_name[n].kind, by_name[n].status) for n in (INTERVIEW, REUPLOAD, VOICE_MEMO)
            }
            assert kinds == {
                INTERVIEW: ("video", "processed"),
                REUPLOAD: ("video", "processed"),
                VOICE_MEMO: ("audio", "processed"),
            }, kinds
            interview = by_name[INTERVIEW]
            doc = transcript(s, interview)
            assert doc["language"] == "en" and len(doc["segments"]) >= 3, doc
            assert all(0 <= seg["start"] < seg["end"] <= 30 for seg in doc["segments"]), doc
            assert transcript(s, by_name[VOICE_MEMO])["segments"], "the voice memo has no text"
            hits, _n = search(s, SPOKEN_WORD, case="demo")
            spoken = [h for h in hits if h.item_name == INTERVIEW]
            assert spoken and spoken[0].start is not None and spoken[0].end is not None, [
                h.to_json() for h in hits
            ]
            assert 10 < spoken[0].start < 28, spoken[0].to_json()  # said about 20 s in
            found = {r["name"]: r for r in similar(s, interview.id)}
            assert REUPLOAD in found, found
            ranges = found[REUPLOAD]["ranges"]
            assert len(ranges) == 1 and 4 <= ranges[0]["start"] <= 6, ranges  # cut at 0:05
        # One person per role, who can log in with the demo password.
        ctx = Context.custodian_of(archive, "tester")
        roles = {p.name: p.roles for p in people.list_people(ctx)}
        assert roles == {name: {"demo": role} for name, role in DEMO_PEOPLE}, roles
        assert people.login(ctx, "expert1", DEMO_PASSWORD).name == "expert1"
        # What `sijill demo --serve` serves: each person logs in through the web app's form
        # and reaches the case's dashboard and the interview's viewer.
        from fastapi.testclient import TestClient

        from sijill.web.app import create_app

        app = create_app(archive, process=False)
        from sijill.archive import reading

        rows, _n = reading.items(ctx, case="demo", limit=None)
        interview = next(r["id"] for r in rows if r["name"] == INTERVIEW)
        for name, _role in DEMO_PEOPLE:
            client = TestClient(app, base_url="http://127.0.0.1:8000")
            r = client.post("/login", data={"username": name, "password": DEMO_PASSWORD})
            assert r.status_code == 200 and "/cases/demo" in str(r.url), (name, r.status_code)
            viewer = client.get(f"/items/{interview}")
            assert viewer.status_code == 200 and 'id="transcript"' in viewer.text, name
            # The re-uploaded excerpt is shown as the same footage, at its seconds.
            same = viewer.text[viewer.text.index('id="h-similar"') :]
            assert REUPLOAD in same[: same.index("</section>")], name
    finally:
        archive.close()
