"""Containers and e-mail become child items: zip (nested), tar.gz, 7z, bare gz, .eml, mbox, .msg.

Every input is made here with the stdlib, py7zr and extract_msg's OLE writer, ingested
through the real CLI into one archive and processed in one `sijill run` (a run costs tens of
seconds on a small machine, so the tests below share it and only read the result).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import mailbox
import struct
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import py7zr
import pytest
from extract_msg.ole_writer import OleWriter
from PIL import Image

from sijill.settings import Settings
from sijill.storage.archive import Archive
from sijill.storage.models import Item
from sijill.storage.repositories.item_views import item_detail, status_summary
from tests.conftest import CLI, PASSPHRASE, cli_env

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes(text: str) -> bytes:
    """A minimal but valid word-processing document (a zip that must not be unpacked)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType'
            '="application/xml"/><Override PartName="/word/document.xml" ContentType="application'
            '/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'))
        z.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f'{text}</w:t></w:r></w:p></w:body></w:document>'))
    return buf.getvalue()


def message(subject: str, body: str, *, sender: str = "Alice <alice@example.org>",
            attachments: tuple[tuple[str, bytes], ...] = (), html: str | None = None,
            ) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "Bob <bob@example.org>, carol@example.org"
    m["Cc"] = "dave@example.org"
    m["Subject"] = subject
    m["Date"] = "Tue, 02 Jan 2024 03:04:05 +0100"
    m["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    for name, data in attachments:
        m.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return m


def msg_bytes(path: Path, subject: str, body: str, attachment: tuple[str, bytes]) -> None:
    """A small Outlook .msg (OLE compound file), written with extract_msg's own OLE writer."""

    def props(entries: list[tuple[int, Any]], header: bytes) -> bytes:
        out = bytearray(header)
        for tag, value in entries:
            if isinstance(value, bytes):  # variable size: the stream holds the value
                out += struct.pack("<IIII", tag, 6, len(value), 0)
            else:
                out += struct.pack("<IIQ", tag, 6, value)
        return bytes(out)

    def add(w: OleWriter, storage: str, values: dict[int, Any]) -> list[tuple[int, Any]]:
        entries = []
        for tag, value in values.items():
            if isinstance(value, str):
                value = value.encode("utf-16-le")
            if isinstance(value, bytes):
                w.addEntry(f"{storage}__substg1.0_{tag:08X}", value)
            entries.append((tag, value))
        return entries

    w = OleWriter()
    filetime = int((dt.datetime(2024, 1, 2, 3, 4, 5) - dt.datetime(1601, 1, 1)).total_seconds()
                   * 10**7)
    top = add(w, "", {0x001A001F: "IPM.Note", 0x0037001F: subject, 0x1000001F: body,
                      0x0C1A001F: "Alice", 0x0C1F001F: "alice@example.org",
                      0x5D01001F: "alice@example.org", 0x0E04001F: "Bob",
                      0x1035001F: "<memo@example.org>", 0x00390040: filetime})
    w.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        w.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    recip = "__recip_version1.0_#00000000"
    w.addEntry(recip, storage=True)
    rent = add(w, recip + "/", {0x3001001F: "Bob", 0x3003001F: "bob@example.org",
                                0x39FE001F: "bob@example.org", 0x0C150003: 1})
    w.addEntry(f"{recip}/__properties_version1.0", props(rent, b"\0" * 8))
    att = "__attach_version1.0_#00000000"
    w.addEntry(att, storage=True)
    aent = add(w, att + "/", {0x3707001F: attachment[0], 0x37010102: attachment[1],
                              0x37050003: 1})
    w.addEntry(f"{att}/__properties_version1.0", props(aent, b"\0" * 8))
    header = b"\0" * 8 + struct.pack("<IIII", 1, 1, 1, 1) + b"\0" * 8
    w.addEntry("__properties_version1.0", props(top, header))
    w.write(str(path))


def make_inputs(src: Path) -> None:
    src.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep/evidence.txt", "Deep evidence: the depot at the old mill.\n")
    with zipfile.ZipFile(src / "outer.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes.txt", "Field notes: the checkpoint moved north.\n")
        z.writestr("report.docx", docx_bytes("Quarterly report of the brigade."))
        z.writestr("inner.zip", inner.getvalue())

    with tarfile.open(src / "bundle.tar.gz", "w:gz") as t:
        for name, data in (("a/one.txt", b"First testimony transcript.\n"),
                           ("a/b/two.txt", b"Second testimony transcript.\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            t.addfile(info, io.BytesIO(data))

    with py7zr.SevenZipFile(src / "scans.7z", "w") as z:
        z.writestr(b"Ledger of payments, page one.\n", "ledger/p1.txt")
        z.writestr(b"Ledger of payments, page two.\n", "ledger/p2.txt")

    (src / "note.txt.gz").write_bytes(gzip.compress(b"A lone compressed note.\n"))

    roster = b"name,place\nAbu Khalid,north gate\n"
    letter = message("Convoy", "The convoy left at dawn from the northern gate.",
                     html="<p>The <b>convoy</b> left</p><script>track()</script>",
                     attachments=(("roster.csv", roster),))
    # As many mail clients send it: the HTML twin inside multipart/related, with its image.
    html_part = letter.get_payload()[0].get_payload()[1]
    logo = io.BytesIO()
    Image.new("L", (32, 16), 255).save(logo, "GIF")
    html_part.add_related(logo.getvalue(), maintype="image", subtype="gif", cid="<logo>")
    (src / "letter.eml").write_bytes(bytes(letter))
    shared = b"date,amount\n2024-01-02,500\n"
    (src / "first.eml").write_bytes(bytes(message(
        "Payments 1", "First copy of the payment list.", attachments=(("payments.csv", shared),))))
    (src / "second.eml").write_bytes(bytes(message(
        "Payments 2", "Second copy, forwarded again.", sender="Eve <eve@example.org>",
        attachments=(("payments-copy.csv", shared),))))

    box = mailbox.mbox(src / "inbox.mbox")
    for n in range(1, 4):
        box.add(message(f"Mbox message {n}", f"Body of mbox message number {n}."))
    box.flush()
    box.close()

    msg_bytes(src / "memo.msg", "Convoy schedule", "The schedule changed on Tuesday.",
              ("schedule.csv", b"day,hour\nTuesday,05:00\n"))


@dataclass
class Unpacked:
    cli: CLI
    archive: Archive
    items: list[dict[str, Any]]

    def one(self, name: str, parent: str | None = None) -> dict[str, Any]:
        found = [i for i in self.items if i["name"] == name
                 and (parent is None or i["parent_id"] == parent)]
        assert len(found) == 1, (name, [i["name"] for i in self.items])
        return found[0]

    def children(self, item: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {i["name"]: i for i in self.items if i["parent_id"] == item["id"]}

    def detail(self, item: dict[str, Any]) -> dict[str, Any]:
        with self.archive.catalog.session() as s:
            return item_detail(s, s.get_one(Item, item["id"]))


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unpacked]:
    root = tmp_path_factory.mktemp("containers")
    cli = CLI(root / "archive", cli_env())
    cli("init")
    make_inputs(root / "in")
    cli.json("ingest", str(root / "in"))
    cli("run")
    archive = Archive.open(root / "archive", Settings(passphrase=PASSPHRASE, user="tester"))
    try:
        yield Unpacked(cli, archive, cli.json("items")["items"])
    finally:
        archive.close()


def test_zip_nested_zip_and_docx_become_children(unpacked: Unpacked) -> None:
    outer = unpacked.one("outer.zip")
    assert outer["kind"] == "archive" and outer["status"] == "processed"
    kids = unpacked.children(outer)
    assert set(kids) == {"notes.txt", "report.docx", "inner.zip"}
    assert all(k["depth"] == 1 for k in kids.values())
    docx = kids["report.docx"]
    assert docx["kind"] == "document" and docx["mime"] == DOCX  # a zip, but not unpacked
    assert unpacked.children(docx) == {}
    inner = kids["inner.zip"]
    assert inner["kind"] == "archive" and inner["status"] == "processed"
    deep = unpacked.children(inner)["deep/evidence.txt"]
    assert deep["depth"] == 2 and deep["parent_id"] == inner["id"]
    detail = unpacked.detail(outer)
    job = next(s for s in detail["stages"] if s["stage"] == "container_unpacker")
    assert job["state"] == "done"
    custody = unpacked.detail(deep)["custody"]
    assert custody[0]["action"] == "extracted" and custody[0]["details"]["parent_id"] == inner["id"]


def test_tar_gz_7z_and_bare_gz(unpacked: Unpacked) -> None:
    tar = unpacked.one("bundle.tar.gz")
    assert set(unpacked.children(tar)) == {"a/one.txt", "a/b/two.txt"}
    receipt = unpacked.detail(unpacked.one("a/one.txt"))["receipts"][0]
    assert receipt["file_mtime"].startswith("2023-11-14")  # the member's own time
    seven = unpacked.one("scans.7z")
    assert seven["kind"] == "archive"
    assert set(unpacked.children(seven)) == {"ledger/p1.txt", "ledger/p2.txt"}
    bare = unpacked.one("note.txt.gz")
    (child,) = unpacked.children(bare).values()
    assert child["name"] == "note.txt" and child["kind"] == "document"


def test_eml_headers_body_and_attachment(unpacked: Unpacked) -> None:
    letter = unpacked.one("letter.eml")
    assert letter["kind"] == "email" and letter["status"] == "processed"
    shown = unpacked.cli.json("show", letter["id"])
    headers = shown["metadata"]["email"]
    assert headers["from"] == "Alice <alice@example.org>"
    assert headers["to"] == "Bob <bob@example.org>, carol@example.org"
    assert headers["cc"] == "dave@example.org"
    assert headers["subject"] == "Convoy"
    assert headers["date_utc"] == "2024-01-02T02:04:05Z"
    assert headers["message_id"].endswith("@example.org>")
    (body,) = [u for u in shown["text_units"] if u["kind"] == "body"]
    assert body["method"] == "email"
    assert body["text"].startswith("Subject: Convoy\n")
    assert "The convoy left at dawn" in body["text"]
    assert "track()" not in body["text"]  # the HTML alternative is not added, scripts never
    assert body["text"].count("convoy") == 1
    roster = unpacked.one("roster.csv")
    assert roster["parent_id"] == letter["id"] and roster["depth"] == 1
    assert sorted(c["name"] for c in shown["children"]) == ["attachment-1", "roster.csv"]
    assert unpacked.one("attachment-1", parent=letter["id"])["mime"] == "image/gif"


def test_same_attachment_in_two_emails_is_one_item_with_two_receipts(unpacked: Unpacked) -> None:
    first, second = unpacked.one("first.eml"), unpacked.one("second.eml")
    shared = [i for i in unpacked.items if i["name"] in ("payments.csv", "payments-copy.csv")]
    assert len(shared) == 1
    receipts = unpacked.detail(shared[0])["receipts"]
    assert {(r["name"], r["parent_id"]) for r in receipts} == {
        ("payments.csv", first["id"]), ("payments-copy.csv", second["id"])}


def test_mbox_splits_into_messages_that_are_read_in_turn(unpacked: Unpacked) -> None:
    box = unpacked.one("inbox.mbox")
    assert box["kind"] == "email" and box["mime"] == "application/mbox"
    kids = unpacked.children(box)
    assert set(kids) == {"message-1.eml", "message-2.eml", "message-3.eml"}
    for n in (1, 2, 3):
        kid = kids[f"message-{n}.eml"]
        assert kid["kind"] == "email" and kid["status"] == "processed"
        detail = unpacked.detail(kid)
        assert detail["metadata"]["email"]["subject"] == f"Mbox message {n}"
        (body,) = detail["text_units"]
        assert f"Body of mbox message number {n}." in body["text"]


def test_outlook_msg(unpacked: Unpacked) -> None:
    memo = unpacked.one("memo.msg")
    assert memo["kind"] == "email" and memo["mime"] == "application/vnd.ms-outlook"
    detail = unpacked.detail(memo)
    headers = detail["metadata"]["email"]
    assert headers["subject"] == "Convoy schedule"
    assert headers["from"] == "Alice <alice@example.org>"
    assert "bob@example.org" in headers["to"]
    assert headers["date"].startswith("2024-01-02T03:04:05")
    (body,) = detail["text_units"]
    assert body["text"] == "Subject: Convoy schedule\n\nThe schedule changed on Tuesday."
    assert set(unpacked.children(memo)) == {"schedule.csv"}


def test_no_unpacking_failures_and_status(unpacked: Unpacked) -> None:
    with unpacked.archive.catalog.session() as s:
        status = status_summary(s)
    ours = [f for f in status["failures"]
            if f["stage"] in ("container_unpacker", "email_unpacker")]
    assert ours == []
    # (Other stages judge the children on their own; only this pair is under test here.)
    assert [f for f in status["flagged"]
            if f["reason"].startswith(("container_unpacker", "email_unpacker"))] == []
    for stage in ("container_unpacker", "email_unpacker"):
        assert set(status["stages"][stage]) == {"done"}
