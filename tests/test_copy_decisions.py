"""People's decisions on publication copies, end to end through the CLI.

An unreviewed transcript is re-voiced or subtitled only when a person accepts it, and that is
recorded; a leak-check finding that is a false positive can be resolved by a person with a
note, never silently and never for another copy; and a copy is checked again from its files
before it is written, so an edit of the catalog cannot release it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from sijill.archive.copy_decisions import finding_sha
from tests.conftest import CLI
from tests.dbutil import connect_catalog
from tests.leakgen import speech_with_name


def drawn_face(path: Path) -> Path:
    """A child's drawing of a face (ellipses on a wall colour), no person: OpenCV's frontal
    cascade takes it for a face, the protection's neural detector does not (it scores ~0.02,
    far below its doubt band), so the copy keeps it and the leak check flags it. A real false
    positive, of the kind a person resolves as "not a face"."""
    size, face = 300, 160
    img = np.full((size, size, 3), 235, np.uint8)
    c = size // 2
    cv2.ellipse(img, (c, c), (face // 2, int(face * 0.62)), 0, 0, 360, (190, 170, 150), -1)
    for dx in (-face // 5, face // 5):
        cv2.ellipse(
            img, (c + dx, c - face // 8), (face // 10, face // 18), 0, 0, 360, (40,) * 3, -1
        )
        top = c - face // 4
        cv2.rectangle(img, (c + dx - face // 8, top), (c + dx + face // 8, top + face // 30),
                      (60, 50, 40), -1)  # fmt: skip
    cv2.ellipse(img, (c, c + face // 10), (face // 20, face // 8), 0, 0, 360, (150, 130, 115), -1)
    cv2.ellipse(img, (c, c + face // 3), (face // 5, face // 20), 0, 0, 360, (90, 50, 50), -1)
    cv2.imwrite(str(path), img)
    return path


def _events(cli: CLI, item: str, action: str) -> list[dict[str, Any]]:
    return [e for e in cli.json("show", item)["custody"] if e["action"] == action]


def _ingest(cli: CLI, path: Path) -> str:
    [one] = cli.json("ingest", str(path))["items"]
    return str(one["item_id"])


def _empty(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


@pytest.mark.slow  # `sijill run` transcribes the recording (Whisper)
def test_unreviewed_transcript_is_published_only_when_a_person_accepts_it(
    cli: CLI, tmp_path: Path
) -> None:
    speech = speech_with_name(tmp_path / "call.wav", "We left the base at night.")
    item = _ingest(cli, speech)
    cli("run")
    assert json.loads(cli("transcript", item, "--format", "json").stdout)["segments"]
    out = tmp_path / "public"
    # Re-voiced or subtitles only: both speak the transcript, both are refused (a usage
    # choice the person must make: exit 2), and nothing is stored or written.
    for voice in ("revoice", "none"):
        res = cli("protect", item, "--voice", voice, "--out", str(out), check=False)
        assert res.returncode == 2, res.stderr
        assert "--accept-unreviewed" in " ".join(res.stderr.split())
        assert _empty(out)
    assert cli.json("copies")["total"] == 0
    assert not _events(cli, item, "publication_copy_made")

    doc = cli.json(
        "protect", item, "--voice", "none", "--out", str(out), "--accept-unreviewed",
        "--no-speech-check",
    )  # fmt: skip
    assert doc["passed"], doc["findings"]
    assert [p.name for p in out.iterdir()] == [f"{item}.vtt"]
    assert doc["accepted_unreviewed"]["by"] == "tester"
    [row] = cli.json("copies", item)["copies"]
    assert row["accepted_unreviewed"]["by"] == "tester"
    assert row["accepted_unreviewed"]["transcript"] == "unreviewed"
    [made] = _events(cli, item, "publication_copy_made")
    assert made["actor"] == "tester"
    assert made["details"]["accepted_unreviewed"]["by"] == "tester"
    listing = cli("copies", item)
    assert "accepted an unreviewed transcript" in " ".join(listing.stderr.split())

    # Once a person has reviewed it, no acceptance is needed and none is recorded.
    cli("transcript", item, "--mark-reviewed")
    again = cli.json("protect", item, "--voice", "none", "--no-speech-check")
    assert again["passed"] and again["accepted_unreviewed"] is None


def test_a_false_face_is_resolved_with_a_note_and_only_for_that_copy(
    cli: CLI, tmp_path: Path
) -> None:
    item = _ingest(cli, drawn_face(tmp_path / "wall.png"))
    out = tmp_path / "public"
    res = cli("protect", item, "--out", str(out), check=False)
    assert res.returncode == 1 and _empty(out)
    text = " ".join(res.stdout.split())
    # The person is told both ways out: the --region to fill, or the resolution to record.
    assert f"sijill protect {item} --region " in text
    assert "--resolve 1 1 --not-a-face --note" in text

    # The wrong verdict, or no note: refused.
    for args in (["--not-a-name", "--note", "x"], ["--not-a-face"]):
        bad = cli("copies", "--resolve", "1", "1", *args, check=False)
        assert bad.returncode == 2, (args, bad.stderr)
    note = "a child's drawing on the wall; no person in the picture"
    [row] = cli.json("copies", "--resolve", "1", "1", "--not-a-face", "--note", note)["copies"]
    assert row["status"] == "passed-with-resolutions" and row["passed"]
    assert [f["kind"] for f in row["findings"]] == ["face"]
    [r] = row["resolutions"]
    assert (r["finding"], r["verdict"], r["note"], r["by"]) == (1, "not-a-face", note, "tester")

    # Written, and the output says what was waved through, by whom and why.
    res = cli("copies", "--write", "1", "--out", str(out))
    said = " ".join(res.stderr.split())
    assert "not a face according to tester" in said and note in said
    assert [p.name for p in out.iterdir()] == [f"{item}.png"]
    shown = cli.json("show", item)
    assert shown["publication_copies"][0]["resolutions"][0]["note"] == note
    events = {e["action"]: e for e in shown["custody"]}
    resolved = events["publication_copy_finding_resolved"]
    assert resolved["details"]["note"] == note and resolved["actor"] == "tester"
    assert events["publication_copy_written"]["details"]["resolutions"][0]["note"] == note
    assert note in " ".join(cli("show", item).stdout.split())

    # A new copy of the item starts with no resolutions: it fails and cannot be written.
    second = cli("protect", item, "--json", check=False)
    assert second.returncode == 1
    doc = json.loads(second.stdout)
    assert doc["status"] == "failed" and doc["resolutions"] == []
    out2 = tmp_path / "public2"
    res = cli("copies", "--write", str(doc["id"]), "--out", str(out2), check=False)
    assert res.returncode == 1 and _empty(out2)


def _tamper(cli: CLI, sql: str, *params: Any) -> None:
    db = connect_catalog(cli.archive)
    try:
        db.execute(sql, params)
        db.commit()
    finally:
        db.close()


@pytest.mark.slow
def test_a_copy_edited_in_the_catalog_is_checked_again_and_never_released(
    cli: CLI, tmp_path: Path
) -> None:
    item = _ingest(cli, drawn_face(tmp_path / "wall.png"))
    first = json.loads(cli("protect", item, "--json", check=False).stdout)
    cid = first["id"]
    assert first["status"] == "failed" and len(first["findings"]) == 1
    out = tmp_path / "public"

    def refused(why: str) -> None:
        res = cli("copies", "--write", str(cid), "--out", str(out), check=False)
        assert res.returncode == 1, (why, res.stdout, res.stderr)
        assert "nothing written" in " ".join(res.stderr.split()), why
        assert _empty(out), why

    # The status flipped to passed by hand.
    _tamper(cli, "UPDATE publication_copies SET status = 'passed' WHERE id = ?", cid)
    refused("status flipped")
    # The finding deleted as well: the re-scan finds it again.
    _tamper(
        cli, "UPDATE publication_copies SET status = 'passed', findings = '[]' WHERE id = ?", cid
    )
    refused("findings emptied")
    # A metadata finding cannot be waved through by a person...
    fake = {
        "file": f"{item}.png",
        "where": "exif:GPS:GPSLatitude",
        "what": "36.2",
        "kind": "metadata",
    }
    findings = json.dumps([*first["findings"], fake])
    _tamper(cli, "UPDATE publication_copies SET findings = ? WHERE id = ?", findings, cid)
    for verdict in ("--not-a-face", "--not-a-name"):
        res = cli("copies", "--resolve", str(cid), "2", verdict, "--note", "x", check=False)
        assert res.returncode == 2 and "cannot be resolved" in " ".join(res.stderr.split())
    # ...and a resolution slipped into the catalog (no custody event behind it) counts for
    # nothing: the copy, claimed resolved, is refused.
    # The forger even computes the right finding hash.
    sha = finding_sha(first["findings"][0], first["files"])
    _tamper(
        cli,
        "UPDATE publication_copies SET status = 'passed-with-resolutions', findings = ? "
        "WHERE id = ?",
        json.dumps(first["findings"]),
        cid,
    )
    _tamper(
        cli,
        "INSERT INTO copy_resolutions (copy_id, finding_no, finding_sha256, verdict, note, "
        "created_by, created_at) VALUES (?, 1, ?, 'not-a-face', 'forged', 'tester', "
        "'2024-01-01 00:00:00')",
        cid,
        sha,
    )
    refused("forged resolution")
    shown = cli.json("show", item)
    [row] = shown["publication_copies"]
    # Marked failed, with what the files really hold.
    assert row["status"] == "failed" and [f["kind"] for f in row["findings"]] == ["face"]
    fails = [e for e in shown["custody"] if e["action"] == "publication_copy_failed_recheck"]
    assert len(fails) == 3
