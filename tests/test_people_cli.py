"""`sijill user`, `sijill review` and `sijill reviews` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CLI
from tests.dbutil import connect_catalog


def test_accounts_reviews_and_agreement_from_the_command_line(cli: CLI, tmp_path: Path) -> None:
    note = tmp_path / "testimony.txt"
    note.write_text("The checkpoint at the bridge was closed on 3 March 2015.\n", encoding="utf-8")
    cli("ingest", str(note), "--witness", "HERON")
    item = cli.json("items")["items"][0]["id"]

    pw = "a-long-password-for-amal"
    cli.env["SIJILL_USER_PASSWORD"] = pw
    added = cli("user", "add", "amal", "--role", "reviewer", "--case", "default")
    assert pw not in added.stdout + added.stderr
    cli.env["SIJILL_USER_PASSWORD"] = "a-long-password-for-omar"
    cli("user", "add", "omar", "--role", "observer", "--case", "default")
    del cli.env["SIJILL_USER_PASSWORD"]
    token = cli("user", "token", "amal")
    # stdout is the token alone, one line; the advice goes to stderr.
    assert token.stdout.startswith("sijill_") and token.stdout.count("\n") == 1
    assert token.stdout.strip() not in token.stderr
    users = cli.json("user", "list")
    assert users["total"] == 2
    assert {u["name"]: u["roles"] for u in users["users"]} == {
        "amal": {"default": "reviewer"},
        "omar": {"default": "observer"},
    }

    cli.env["SIJILL_USER"] = "amal"
    cli(
        "review",
        item,
        "--question",
        "staged",
        "--answer",
        "no",
        "--confidence",
        "likely",
        "--note",
        "one take, steady voice",
        "--at",
        "0:00-0:20",
    )
    cli(
        "review",
        item,
        "-q",
        "identity",
        "-a",
        "unverified",
        "-c",
        "almost-certainly",
        "--note",
        "no document was shown",
    )
    shown = cli.json("reviews", item)
    assert [(r["question"], r["answer"], r["confidence"]) for r in shown["reviews"]] == [
        ("staged", "no", "likely"),
        ("identity", "unverified", "almost-certainly"),
    ]
    assert shown["reviews"][0]["anchors"] == [{"start": 0.0, "end": 20.0}]
    assert shown["reviews"][0]["reviewer"] == "amal"
    assert {"reviews", "total", "hidden", "agreement"} <= set(shown)

    # An observer may not review (exit 2, a clear reason); nobody who has no account may.
    refused = cli(
        "review",
        item,
        "-q",
        "staged",
        "-a",
        "yes",
        "-c",
        "likely",
        "--note",
        "x",
        "--as",
        "omar",
        check=False,
    )
    assert refused.returncode == 2 and "observer" in refused.stderr
    cli.env["SIJILL_USER"] = "tester"
    nobody = cli(
        "review", item, "-q", "staged", "-a", "yes", "-c", "likely", "--note", "x", check=False
    )
    assert nobody.returncode == 2 and "no user 'tester'" in nobody.stderr
    # The observer sees no answer, only that two are there.
    blind = cli.json("reviews", item, "--as", "omar")
    assert blind["reviews"] == [] and sum(h["answers"] for h in blind["hidden"]) == 2
    bad = cli(
        "review",
        item,
        "-q",
        "staged",
        "-a",
        "perhaps",
        "-c",
        "likely",
        "--note",
        "x",
        "--as",
        "amal",
        check=False,
    )
    assert bad.returncode == 2 and "yes / no / unclear" in bad.stderr

    conn = connect_catalog(cli.archive)
    try:
        stored = conn.execute("SELECT digest FROM api_tokens").fetchall()
        events = conn.execute("SELECT action, details FROM custody_events").fetchall()
    finally:
        conn.close()
    assert len(stored) == 1 and stored[0][0] != token.stdout.strip()
    assert token.stdout.strip() not in json.dumps(events)
    assert [a for a, _d in events].count("review_recorded") == 2
    assert cli.json("verify")["ok"]
