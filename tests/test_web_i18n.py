"""The interface's catalogues: complete, real, current; and a style sheet that mirrors."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sijill.web import i18n

WEB = Path(i18n.__file__).parent
ROOT = WEB.parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(lang: str) -> dict[str, str]:
    with open(WEB / "locale" / lang / "LC_MESSAGES" / "sijill.po", "rb") as f:
        return {m.id: m.string for m in read_po(f, locale=lang) if m.id}


def _extracted() -> set[str]:
    """What `make messages` would extract now, read straight from the sources."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_template_and_catalogues_hold_every_string_of_the_sources() -> None:
    with open(WEB / "locale" / "sijill.pot", "rb") as f:
        pot = {m.id for m in read_po(f) if m.id}
    now = _extracted()
    assert now - pot == set(), "strings missing from sijill.pot: run `make messages`"
    assert pot - now == set(), "sijill.pot holds strings no source uses: run `make messages`"
    for lang in ("fr", "ar"):
        assert set(_catalog(lang)) == pot, f"{lang} catalogue out of date: run `make messages`"


def test_every_string_is_translated_with_its_placeholders() -> None:
    for lang in ("fr", "ar"):
        for msgid, text in _catalog(lang).items():
            assert text.strip(), f"{lang}: no translation of {msgid!r}"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), (
                f"{lang}: {msgid!r} → {text!r} changes its placeholders"
            )


def test_the_arabic_interface_is_written_in_arabic() -> None:
    arabic = re.compile(r"[\u0600-\u06FF]")
    for msgid, text in _catalog("ar").items():
        assert arabic.search(text), f"ar: {msgid!r} → {text!r} is not Arabic"


def test_catalogues_load_and_translate() -> None:
    assert i18n.translations("fr").gettext("Log in") == "Se connecter"
    assert i18n.translations("ar").gettext("Log in") == "تسجيل الدخول"
    assert i18n.translations("en").gettext("Log in") == "Log in"


def test_language_choice() -> None:
    assert i18n.pick("ar", "fr", "fr") == "ar"
    assert i18n.pick(None, "fr", "ar") == "fr"
    assert i18n.pick("xx", None, "de-DE,ar;q=0.8,fr;q=0.9") == "fr"
    assert i18n.pick(None, None, "ar-SY") == "ar"
    assert i18n.pick(None, None, "de, ar;q=0") == "en"
    assert i18n.direction("ar") == "rtl" and i18n.direction("fr") == "ltr"


def test_dates_and_numbers_follow_the_locale() -> None:
    assert i18n.fmt_number(12345, "en") == "12,345"
    assert i18n.fmt_number(12345, "fr").replace("\u202f", " ") == "12 345"
    assert i18n.fmt_date("2024-03-12", "fr") == "12 mars 2024"
    assert i18n.fmt_date("2024-03-12", "en") == "March 12, 2024"
    assert "مارس" in i18n.fmt_date("2024-03-12", "ar")
    assert i18n.fmt_seconds(83.4) == "1:23" and i18n.fmt_seconds(3723) == "1:02:03"


def test_the_style_sheet_uses_logical_properties_only() -> None:
    """Physical left/right would not mirror in the Arabic interface."""
    css = (WEB / "static" / "app.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []


def test_no_page_loads_anything_from_elsewhere() -> None:
    """Every script, style, font and image is ours: no URL with a host in any template,
    script or style sheet."""
    for path in [
        *(WEB / "templates").glob("*.html"),
        WEB / "static" / "app.js",
        WEB / "static" / "app.css",
    ]:
        text = path.read_text()
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", text), path.name
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), path.name
        assert "<script>" not in text and " style=" not in text and " on" + "click=" not in text, (
            path.name
        )


def test_vendored_files_are_the_ones_recorded() -> None:
    import hashlib

    readme = (WEB / "static" / "vendor" / "README.md").read_text()
    for path in (
        WEB / "static" / "vendor" / "htmx" / "htmx.min.js",
        ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js",
    ):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, path.name
