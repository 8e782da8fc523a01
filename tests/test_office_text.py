"""Office, web and plain-text documents become searchable text units, chosen by content."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from sijill.errors import InputRejected
from sijill.pipeline.stage import ItemInfo, StageResult
from sijill.pipeline.stages.office_text_extractor import DOCX, OfficeTextExtractor
from tests.conftest import CLI

FR_BODY = "Le témoin a vu le convoi passer à l'aube près de l'école détruite."
ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
)
ARABIC = "شهد الشاهد أن القصف بدأ عند الفجر قرب المستشفى الميداني"


def make_docx(path: Path, extra: str = "") -> None:
    import docx

    d = docx.Document()
    d.add_heading("Rapport de terrain", level=1)
    d.add_paragraph(FR_BODY)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Lieu"
    table.cell(0, 1).text = "Date"
    table.cell(1, 0).text = "Hôpital Saint-Éloi"
    table.cell(1, 1).text = "12 février"
    d.add_paragraph("Après le tableau, la déposition continue." + extra)
    d.sections[0].header.paragraphs[0].text = "Confidentiel entête"
    d.sections[0].footer.paragraphs[0].text = "Piedpage numéro"
    d.core_properties.author = "Témoin X"
    d.core_properties.title = "Déposition"
    d.core_properties.revision = 3
    d.core_properties.last_modified_by = "Greffier Z"
    d.save(str(path))


def make_odt(path: Path, content_body: str | None = None) -> None:
    body = content_body or (
        '<text:h text:outline-level="1">Rapport</text:h>'
        '<text:p>Première<text:s text:c="3"/>ligne<text:tab/>tabulée<text:line-break/>'
        "seconde ligne du quartier Zeytoun.</text:p>"
        "<table:table><table:table-row><table:table-cell><text:p>cellule Alpha</text:p>"
        "</table:table-cell><table:table-cell><text:p>cellule Beta</text:p>"
        "</table:table-cell></table:table-row></table:table>"
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS}>'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODT_NS}>'
        "<office:meta><dc:title>Rapport ODT</dc:title>"
        "<meta:initial-creator>Témoin Y</meta:initial-creator>"
        "<meta:creation-date>2024-02-12T08:30:00</meta:creation-date>"
        '<meta:user-defined meta:name="Dossier">D-17</meta:user-defined>'
        "</office:meta></office:document-meta>"
    )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {ODT_NS}>'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("content.xml", content)
        z.writestr("meta.xml", meta)
        z.writestr("META-INF/manifest.xml", manifest)


def write_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {
        k: folder / n
        for k, n in {
            "docx": "rapport.docx",
            "odt": "rapport.odt",
            "rtf": "note.rtf",
            "html": "page.html",
            "utf8": "notes.txt",
            "utf16": "utf16.txt",
            "cp1256": "arabe.txt",
            "disguised": "not-a-pdf.pdf",
            "empty_html": "blank.html",
        }.items()
    }
    make_docx(files["docx"])
    make_odt(files["odt"])
    files["rtf"].write_bytes(
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}"
        rb"\f0 Le t\'e9moin d\'e9crit la sc\'e8ne du march\'e9 Belvoir.\par"
        rb"Deuxi\'e8me paragraphe.\par}"
    )
    files["html"].write_text(
        "<!DOCTYPE html><html><head><title>Page d'alerte</title>"
        '<meta name="author" content="Rédaction">'
        "<style>.zorglubstyle { color: red }</style></head><body>"
        "<h1>Alerte Qarawiyyin</h1><p>Premier paragraphe.</p><p>Second paragraphe.</p>"
        "<script>var secretscriptword = 1;</script><ul><li>un</li><li>deux</li></ul>"
        "</body></html>",
        encoding="utf-8",
    )
    files["utf8"].write_text(
        "Journal de bord\r\nMardi : la patrouille Krasnaïa est passée.\r\n", encoding="utf-8"
    )
    files["utf16"].write_text(
        "Témoignage sous serment du gardien Oubliette, déposé à Genève.\n", encoding="utf-16"
    )
    files["cp1256"].write_bytes((ARABIC + "\n").encode("cp1256"))
    make_docx(files["disguised"], " Copie renommée.")
    files["empty_html"].write_text("<html><head><title>vide</title></head><body> </body></html>")
    return files


def office_units(shown: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        u for u in shown["text_units"] if u["method"] in ("docx", "odt", "rtf", "html", "plain")
    ]


def ingest_all(cli: CLI, folder: Path, files: dict[str, Path]) -> dict[str, str]:
    doc = cli.json("ingest", str(folder))
    by_path = {Path(o["path"]).name: o["item_id"] for o in doc["items"]}
    return {key: by_path[path.name] for key, path in files.items()}


@pytest.mark.slow
def test_office_formats_end_to_end(cli: CLI, tmp_path: Path) -> None:
    """One archive holding every format, ingested and processed once, then checked."""
    files = write_inputs(tmp_path / "in")
    ids = ingest_all(cli, tmp_path / "in", files)
    cli("run")
    for check in (
        check_docx_text_tables_headers_and_properties,
        check_docx_found_by_content_not_extension,
        check_odt_spaces_tabs_tables_and_meta,
        check_rtf_escapes,
        check_html_drops_script_style_head,
        check_plain_text_encodings,
        check_empty_document_has_no_units,
    ):
        check(cli, ids)


def check_docx_text_tables_headers_and_properties(cli: CLI, ids: dict[str, str]) -> None:
    shown = cli.json("show", ids["docx"])
    assert shown["mime"].endswith("wordprocessingml.document")
    [unit] = office_units(shown)
    assert unit["kind"] == "body" and unit["method"] == "docx" and unit["lang"] == "fr"
    text = unit["text"]
    assert FR_BODY in text
    assert "Lieu\tDate" in text and "Hôpital Saint-Éloi\t12 février" in text
    # Document order: heading, body, table, paragraph after it; header first, footer last.
    order = [
        text.index(s)
        for s in (
            "Confidentiel entête",
            "Rapport de terrain",
            FR_BODY,
            "Hôpital",
            "Après le tableau",
            "Piedpage numéro",
        )
    ]
    assert order == sorted(order)
    props = shown["metadata"]["docx"]
    assert props["author"] == "Témoin X"
    assert props["title"] == "Déposition" and props["revision"] == "3"
    assert props["created"] and props["modified"] and props["last_modified_by"] == "Greffier Z"
    hits = cli.json("search", "Saint-Éloi")["hits"]
    assert {h["item_id"] for h in hits} >= {ids["docx"]}


def check_docx_found_by_content_not_extension(cli: CLI, ids: dict[str, str]) -> None:
    shown = cli.json("show", ids["disguised"])
    assert shown["name"] == "not-a-pdf.pdf" and shown["status"] == "processed"
    [unit] = office_units(shown)
    assert unit["method"] == "docx" and FR_BODY in unit["text"]


def check_odt_spaces_tabs_tables_and_meta(cli: CLI, ids: dict[str, str]) -> None:
    shown = cli.json("show", ids["odt"])
    assert shown["mime"] == "application/vnd.oasis.opendocument.text"
    [unit] = office_units(shown)
    assert unit["method"] == "odt"
    assert unit["text"].splitlines() == [
        "Rapport",
        "Première   ligne\ttabulée",
        "seconde ligne du quartier Zeytoun.",
        "cellule Alpha\tcellule Beta",
    ]
    meta = shown["metadata"]["odt"]
    assert meta["author"] == "Témoin Y" and meta["title"] == "Rapport ODT"
    assert meta["created"] == "2024-02-12T08:30:00"
    assert meta["user_defined"] == {"Dossier": "D-17"}
    assert [h["item_id"] for h in cli.json("search", "zeytoun")["hits"]] == [ids["odt"]]


def check_rtf_escapes(cli: CLI, ids: dict[str, str]) -> None:
    [unit] = office_units(cli.json("show", ids["rtf"]))
    assert unit["method"] == "rtf"
    assert "Le témoin décrit la scène du marché Belvoir." in unit["text"]
    assert [h["item_id"] for h in cli.json("search", "marche belvoir")["hits"]] == [ids["rtf"]]


def check_html_drops_script_style_head(cli: CLI, ids: dict[str, str]) -> None:
    shown = cli.json("show", ids["html"])
    [unit] = office_units(shown)
    assert unit["text"] == (
        "Alerte Qarawiyyin\n\nPremier paragraphe.\n\nSecond paragraphe.\n\nun\n\ndeux"
    )
    assert shown["metadata"]["html"] == {"title": "Page d'alerte", "author": "Rédaction"}
    assert [h["item_id"] for h in cli.json("search", "qarawiyyin")["hits"]] == [ids["html"]]
    hidden = 'secretscriptword OR zorglubstyle OR "alerte Page"'
    assert cli.json("search", hidden)["hits"] == []


def check_plain_text_encodings(cli: CLI, ids: dict[str, str]) -> None:
    expected = {  # CRLF comes out as LF; the encodings themselves are checked below
        "utf8": "Journal de bord\nMardi : la patrouille Krasnaïa est passée.\n",
        "utf16": "Témoignage sous serment du gardien Oubliette, déposé à Genève.\n",
        "cp1256": ARABIC + "\n",
    }
    for key, text in expected.items():
        shown = cli.json("show", ids[key])
        [unit] = office_units(shown)
        assert (unit["kind"], unit["method"], unit["text"]) == ("body", "plain", text), key
        if key == "cp1256":
            assert unit["lang"] == "ar"
    for query, key in (("krasnaia", "utf8"), ("oubliette", "utf16"), ("المستشفى", "cp1256")):
        assert [h["item_id"] for h in cli.json("search", query)["hits"]] == [ids[key]], query


def check_empty_document_has_no_units(cli: CLI, ids: dict[str, str]) -> None:
    shown = cli.json("show", ids["empty_html"])
    assert office_units(shown) == [] and shown["status"] == "processed"


# In-process checks of the stage itself: limits, encodings recorded, splitting.


@dataclass
class FakeContext:
    input_path: Path
    item: ItemInfo
    config: dict[str, Any] = field(default_factory=lambda: dict(OfficeTextExtractor.defaults))
    workdir: Path = Path("/nonexistent")
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)

    def store_file(self, path: Path) -> Any:
        raise AssertionError("the stage stores no files")

    def store_bytes(self, data: bytes) -> Any:
        raise AssertionError("the stage stores no files")


def item_for(path: Path, mime: str) -> ItemInfo:
    return ItemInfo(
        id="x",
        sha256="0" * 64,
        size=path.stat().st_size,
        name=path.name,
        mime=mime,
        kind="document",
        depth=0,
        case="c",
    )


def run_stage(path: Path, mime: str, **config: Any) -> StageResult:
    ctx = FakeContext(path, item_for(path, mime))
    ctx.config.update(config)
    return OfficeTextExtractor().run(ctx)


def test_accepts_by_mime_only() -> None:
    stage = OfficeTextExtractor()
    item = item_for(Path(__file__), "text/plain")
    for mime, ok in (
        ("text/plain", True),
        ("text/csv", True),
        ("text/rtf", True),
        ("application/msword", False),
        ("application/pdf", False),
        ("application/vnd.oasis.opendocument.text", True),
        ("image/png", False),
    ):
        assert stage.accepts(replace(item, mime=mime), {}) is ok, mime


def test_encodings_are_recorded(tmp_path: Path) -> None:
    cases = {
        "utf-8": "Déjà vu à Genève\n".encode(),
        "utf-16": "Déjà vu\n".encode("utf-16"),
        "utf-8-sig": "\ufeffDéjà vu".encode(),
        "cp1256": ARABIC.encode("cp1256"),
    }
    for encoding, raw in cases.items():
        (tmp_path / "t.txt").write_bytes(raw)
        res = run_stage(tmp_path / "t.txt", "text/plain")
        assert res.data["encoding"] == encoding
        assert res.text_units[0].text.lstrip("\ufeff") == raw.decode(encoding).lstrip("\ufeff")


def test_big_text_is_split_at_line_breaks_and_capped(tmp_path: Path) -> None:
    line = "Ligne de témoignage numéro {:07d} avec quelques mots de plus.\n"
    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(60_000):  # ~3.7 MB
            f.write(line.format(i))
    res = run_stage(path, "text/plain", text_section_chars=50_000)
    units = res.text_units
    assert len(units) > 60 and {u.kind for u in units} == {"section"}
    assert all(len(u.text) <= 50_000 and u.text.endswith("\n") for u in units)
    assert "".join(u.text for u in units) == path.read_text(encoding="utf-8")
    assert res.data["chars"] == path.stat().st_size - 60_000 * 2  # two 2-byte letters a line
    capped = run_stage(path, "text/plain", max_chars=100_000)
    assert capped.data["truncated"] and sum(len(u.text) for u in capped.text_units) == 100_000
    assert any("max_chars" in w for w in capped.warnings)


def test_empty_documents_have_no_units(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text("  \n\n \t\n")
    res = run_stage(tmp_path / "blank.txt", "text/plain")
    assert res.text_units == [] and res.data["chars"] == 0
    make_odt(tmp_path / "e.odt", "<text:p/>")
    res = run_stage(tmp_path / "e.odt", "application/vnd.oasis.opendocument.text")
    assert res.text_units == [] and res.data["chars"] == 0


def test_odt_zip_bomb_is_refused_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.odt"
    make_odt(path, "<text:p>" + "A" * 3_000_000 + "</text:p>")
    with pytest.raises(InputRejected, match="max_xml_bytes"):
        run_stage(path, "application/vnd.oasis.opendocument.text", max_xml_bytes=1_000_000)
    # A zip whose directory lies about the size never yields more than it declared.
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02", raw.index(b"PK\x01\x02") + 1)  # content.xml's record
    assert raw[entry + 46 : entry + 57] == b"content.xml"
    raw[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(InputRejected):
        run_stage(path, "application/vnd.oasis.opendocument.text", max_xml_bytes=1_000_000)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_xml_entities_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.odt"
    make_odt(path)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<office:document-content {ODT_NS}><office:body><office:text>"
        "<text:p>&b;</text:p></office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("content.xml", laughs)  # a second entry of the same name wins on read
    with pytest.raises(InputRejected, match="forbidden XML"):
        run_stage(path, "application/vnd.oasis.opendocument.text")


def test_damaged_docx_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 definitely not a complete zip")
    with pytest.raises(InputRejected) as exc:
        run_stage(path, DOCX)
    assert exc.value.status == "invalid"
