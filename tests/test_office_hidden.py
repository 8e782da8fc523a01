"""What a reader of a document never sees never reaches its publication copy.

Each hostile document hides an unprotected name (a marker) in one hiding place only: a Word
comment, a hidden run (direct or through a style), a tracked deletion, an OpenDocument
annotation, hidden paragraph, hidden text, hidden section or hidden style, an RTF `\\v`
run, an HTML comment or hidden element. The extractor must keep those apart (as units of
kind "hidden", still searchable), and `sijill protect` must lay out none of them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pypdfium2 as pdfium
import pytest

from sijill.pipeline.stage import ItemInfo, StageResult
from sijill.pipeline.stages.office_text_extractor import DOCX, OfficeTextExtractor
from tests.conftest import CLI
from tests.dbutil import connect_catalog

VISIBLE = "Le rapport visible continue ici"
WNS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ONS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
ODT = "application/vnd.oasis.opendocument.text"
# One marker per hiding place, so a failure names the place that leaked.
DOCX_MARKS = {
    "comment": "Zorvacomment",
    "vanish": "Zorvavanish",
    "styled": "Zorvastyled",
    "deleted": "Zorvadeleted",
    "moved": "Zorvamoved",
}
ODT_MARKS = {
    "annotation": "Quelbannot",
    "annotator": "Quelbauthor",
    "hiddentext": "Quelbhidtext",
    "hiddenpara": "Quelbhidpara",
    "section": "Quelbsection",
    "style": "Quelbstyle",
    "deletion": "Quelbdeletion",
}
RTF_MARKS = {"group": "Rtfhidgroup", "toggle": "Rtfhidtoggle"}
HTML_MARKS = {
    "comment": "Htmlcommentmark",
    "attr": "Htmlattrmark",
    "display": "Htmldisplaymark",
    "visibility": "Htmlvismark",
}


def make_docx(path: Path) -> None:
    m = DOCX_MARKS
    body = (
        f"<w:p><w:r><w:t>{VISIBLE}</w:t></w:r>"
        '<w:commentRangeStart w:id="0"/><w:r><w:t xml:space="preserve"> et </w:t></w:r>'
        '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
        f"<w:r><w:rPr><w:vanish/></w:rPr><w:t>{m['vanish']}</w:t></w:r>"
        f'<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t xml:space="preserve"> encore</w:t></w:r>'
        f'<w:r><w:rPr><w:rStyle w:val="Secret"/></w:rPr><w:t>{m["styled"]}</w:t></w:r>'
        f'<w:del w:id="1" w:author="x"><w:r><w:delText>{m["deleted"]}</w:delText></w:r></w:del>'
        f'<w:moveFrom w:id="2" w:author="x"><w:r><w:t>{m["moved"]}</w:t></w:r></w:moveFrom>'
        '<w:ins w:id="3" w:author="x"><w:r><w:t xml:space="preserve"> ajout</w:t></w:r></w:ins>'
        "</w:p>"
    )
    doc = f'<?xml version="1.0"?><w:document {WNS}><w:body>{body}</w:body></w:document>'
    comments = (
        f'<?xml version="1.0"?><w:comments {WNS}><w:comment w:id="0" w:author="R">'
        f"<w:p><w:r><w:t>{m['comment']}</w:t></w:r></w:p></w:comment></w:comments>"
    )
    # A character style based on a hidden one: hidden through its base.
    styles = (
        f'<?xml version="1.0"?><w:styles {WNS}>'
        '<w:style w:type="character" w:styleId="Base"><w:rPr><w:vanish/></w:rPr></w:style>'
        '<w:style w:type="character" w:styleId="Secret"><w:basedOn w:val="Base"/></w:style>'
        "</w:styles>"
    )
    rels = (
        '<?xml version="1.0"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    types = (
        '<?xml version="1.0"?><Types '
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", doc)
        z.writestr("word/comments.xml", comments)
        z.writestr("word/styles.xml", styles)


def make_odt(path: Path) -> None:
    m = ODT_MARKS
    content = (
        f'<?xml version="1.0"?><office:document-content {ONS}><office:automatic-styles>'
        '<style:style style:name="T9" style:family="text">'
        '<style:text-properties text:display="none"/></style:style>'
        "</office:automatic-styles><office:body><office:text>"
        "<text:tracked-changes><text:changed-region text:id="
        '"c1"><text:deletion><office:change-info><dc:creator>x</dc:creator></office:change-info>'
        f"<text:p>{m['deletion']}</text:p></text:deletion></text:changed-region>"
        "</text:tracked-changes>"
        f"<text:p>{VISIBLE}<office:annotation><dc:creator>{m['annotator']}</dc:creator>"
        f"<text:p>{m['annotation']}</text:p></office:annotation> et "
        f'<text:hidden-text text:condition="ooow:1" text:string-value="{m["hiddentext"]}">'
        f"{m['hiddentext']}</text:hidden-text>"
        f'<text:span text:style-name="T9">{m["style"]}</text:span> encore</text:p>'
        f'<text:p><text:hidden-paragraph text:condition="ooow:1"/>{m["hiddenpara"]}</text:p>'
        f'<text:section text:name="S" text:display="none"><text:p>{m["section"]}</text:p>'
        "</text:section></office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODT, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)


def make_rtf(path: Path) -> None:
    m = RTF_MARKS
    path.write_bytes(
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}\f0 "
        + VISIBLE.encode()
        + rb" {\v "
        + m["group"].encode()
        + rb"} et \v "
        + m["toggle"].encode()
        + rb"\v0  encore\par}"
    )


def make_html(path: Path) -> None:
    m = HTML_MARKS
    path.write_text(
        f"<html><body><p>{VISIBLE}</p><!-- {m['comment']} -->"
        f"<div hidden><p>{m['attr']}<b>x</b></p></div>"
        f'<span style="color:red; DISPLAY: none">{m["display"]}</span>'
        f'<p style="visibility:hidden">{m["visibility"]}<li>y</li></p>'
        "<ul><li>un<li>deux</ul><p>et encore</p></body></html>",
        encoding="utf-8",
    )


def extract(path: Path, mime: str) -> StageResult:
    stage = OfficeTextExtractor()
    item = ItemInfo("i", "0" * 64, path.stat().st_size, path.name, mime, "document", 0, "c")
    ctx: Any = SimpleNamespace(item=item, config=dict(stage.defaults), input_path=path)
    return stage.run(ctx)


def split(result: StageResult) -> tuple[str, dict[str, str]]:
    seen = "\n".join(u.text for u in result.text_units if u.kind != "hidden")
    unseen: dict[str, str] = {}
    for u in result.text_units:
        if u.kind == "hidden":
            assert u.info and u.info.get("hidden"), u
            unseen[u.info["hidden"]] = unseen.get(u.info["hidden"], "") + u.text
    return seen, unseen


def test_docx_comments_hidden_runs_and_deletions_are_kept_apart(tmp_path: Path) -> None:
    make_docx(tmp_path / "a.docx")
    seen, unseen = split(extract(tmp_path / "a.docx", DOCX))
    assert VISIBLE in seen and "encore" in seen and "ajout" in seen
    for place, mark in DOCX_MARKS.items():
        assert mark not in seen, place
    assert DOCX_MARKS["comment"] in unseen["comment"]
    assert DOCX_MARKS["vanish"] in unseen["hidden"] and DOCX_MARKS["styled"] in unseen["hidden"]
    assert DOCX_MARKS["deleted"] in unseen["deletion"] and DOCX_MARKS["moved"] in unseen["deletion"]


def test_odt_annotations_hidden_text_sections_styles_and_deletions_are_kept_apart(
    tmp_path: Path,
) -> None:
    make_odt(tmp_path / "a.odt")
    seen, unseen = split(extract(tmp_path / "a.odt", ODT))
    assert VISIBLE in seen and "encore" in seen
    for place, mark in ODT_MARKS.items():
        assert mark not in seen, place
    every = "\n".join(unseen.values())
    for place, mark in ODT_MARKS.items():
        assert mark in every, place
    assert ODT_MARKS["annotation"] in unseen["comment"]


def test_rtf_and_html_hidden_text_is_kept_apart(tmp_path: Path) -> None:
    make_rtf(tmp_path / "a.rtf")
    seen, unseen = split(extract(tmp_path / "a.rtf", "application/rtf"))
    assert VISIBLE in seen and "encore" in seen and " et " in seen
    assert not any(mark in seen for mark in RTF_MARKS.values()), seen
    assert all(mark in unseen["hidden"] for mark in RTF_MARKS.values()), unseen
    make_html(tmp_path / "a.html")
    seen, unseen = split(extract(tmp_path / "a.html", "text/html"))
    assert VISIBLE in seen and "deux" in seen and "et encore" in seen
    for place, mark in HTML_MARKS.items():
        assert mark not in seen, place
    assert HTML_MARKS["comment"] in unseen["comment"]
    assert all(HTML_MARKS[k] in unseen["hidden"] for k in ("attr", "display", "visibility"))


@pytest.mark.slow  # four real copies, each laid out and OCR'd by Tesseract
def test_publication_copies_lay_out_only_visible_text(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    make_docx(folder / "memo.docx")
    make_odt(folder / "memo.odt")
    make_rtf(folder / "memo.rtf")
    make_html(folder / "memo.html")
    cli("ingest", str(folder))
    cli("run")
    marks = [*DOCX_MARKS.values(), *ODT_MARKS.values(), *RTF_MARKS.values(), *HTML_MARKS.values()]
    for item in cli.json("items")["items"]:
        out = tmp_path / f"copy-{item['name']}"
        cli("protect", item["id"], "--out", str(out), "--no-speech-check")
        texts = {p.name: p.read_text("utf-8") for p in out.glob("*.txt")}
        for pdf in out.glob("*.pdf"):
            doc = pdfium.PdfDocument(str(pdf))
            texts[pdf.name] = " ".join(p.get_textpage().get_text_range() for p in doc)
            doc.close()
        assert any(".pdf" in n for n in texts) and any(".txt" in n for n in texts), texts
        assert any("rapport" in t.lower() for t in texts.values()), texts  # the visible text
        for name, text in texts.items():
            leaked = [m for m in marks if m.lower() in text.lower()]
            assert not leaked, (item["name"], name, leaked)
    # Comments stay evidence: investigators still find them in the archive.
    hits = cli.json("search", DOCX_MARKS["comment"])["hits"]
    assert hits, "a Word comment is no longer searchable"
    # Text extracted by the old extractor (version 1 kept comments in the visible text) is
    # never laid out: protect refuses until `run` has extracted it again.
    docx = next(i["id"] for i in cli.json("items")["items"] if i["name"] == "memo.docx")
    db = connect_catalog(cli.archive)
    db.execute(
        "UPDATE jobs SET stage_version=1 WHERE item_id=? AND stage='office_text_extractor'",
        (docx,),
    )
    db.commit()
    db.close()
    refused = cli("protect", docx, "--out", str(tmp_path / "stale"), check=False)
    assert refused.returncode == 2 and "sijill run" in refused.stderr, refused
    assert not (tmp_path / "stale").exists() or not any((tmp_path / "stale").iterdir())


def test_html_mail_body_hidden_text_is_kept_apart(tmp_path: Path) -> None:
    """An e-mail's HTML body hides a name the same ways a web page does."""
    from email.message import EmailMessage

    from sijill.pipeline.stages.email_unpacker import EmailUnpacker

    make_html(tmp_path / "body.html")
    msg = EmailMessage()
    msg["Subject"] = "Rapport"
    msg["From"] = "a@example.org"
    msg.set_content((tmp_path / "body.html").read_text("utf-8"), subtype="html")
    path = tmp_path / "mail.eml"
    path.write_bytes(bytes(msg))
    stage = EmailUnpacker()
    item = ItemInfo(
        "i", "0" * 64, path.stat().st_size, path.name, "message/rfc822", "email", 0, "c"
    )
    work = tmp_path / "work"
    work.mkdir()
    ctx: Any = SimpleNamespace(
        item=item, config=dict(stage.defaults), input_path=path, workdir=work
    )
    seen, unseen = split(stage.run(ctx))
    assert VISIBLE in seen and "deux" in seen, seen
    for place, mark in HTML_MARKS.items():
        assert mark not in seen, place
        assert mark in unseen["hidden"], (place, unseen)
