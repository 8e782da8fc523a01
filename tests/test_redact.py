"""Protected terms in text: each test fails if a spelling of a protected term slips through."""

from __future__ import annotations

import random

import pytest

from sijill.protect.redact import Hit, ProtectedTerm, Redactor, pseudonym_for

ALI = ProtectedTerm("Ali", "Witness A")
NAKHLI = ProtectedTerm("al-Nakhli", "Witness B")
RAQQA = ProtectedTerm("الرقة", "Place A", "place")
ALI_AR = ProtectedTerm("عليّ", "Witness C")
PHONE = ProtectedTerm("+963 944 123 456", "Phone A", "phone")


def test_pseudonym_sequence() -> None:
    assert pseudonym_for("name", 0) == "Witness A"
    assert pseudonym_for("name", 25) == "Witness Z"
    assert pseudonym_for("name", 26) == "Witness AA"
    assert pseudonym_for("name", 27) == "Witness AB"
    assert pseudonym_for("name", 26 + 26 * 26) == "Witness AAA"
    assert pseudonym_for("place", 1) == "Place B"
    assert pseudonym_for("phone", 0) == "Phone A"
    assert pseudonym_for("other", 2) == "Term C"


def test_whole_words_and_latin_folding() -> None:
    r = Redactor([ALI])
    assert r.redact("Alice met Ali in Mali; ALI's brother, ali.") == (
        "Alice met Witness A in Mali; Witness A's brother, Witness A."
    )
    assert not r.find("Alibaba Khalil Aliyev")
    r = Redactor([ProtectedTerm("José Pérez", "Witness D")])
    assert r.redact("jose perez, JOSÉ  PÉREZ, Jose\u0301 Pe\u0301rez") == (
        "Witness D, Witness D, Witness D"
    )


def test_separator_variants_and_hidden_characters() -> None:
    r = Redactor([NAKHLI])
    text = "al-Nakhli / al Nakhli / alNakhli / AL\u2013NAKHLI / al\u200bNakh\u200dli / al_nakhli"
    assert r.redact(text) == " / ".join(["Witness B"] * 6)
    assert not r.find("Nakhli alone, or al-Nakhlawi")


def test_arabic_variants_and_proclitics() -> None:
    r = Redactor([RAQQA, ALI_AR])
    # The proclitic stays, only the term goes; hamza, harakat and tatweel do not hide it.
    assert r.redact("ذهب إلى الرقة") == "ذهب إلى Place A"
    assert r.redact("بالرقة والرقة وبالرقة للرقة فالرقة") == (
        "بPlace A وPlace A وبPlace A لPlace A فPlace A"
    )
    assert r.redact("الرقـــة الرَّقَّة") == "Place A Place A"
    assert r.redact("قال علي وعلى لعليٍّ عَلِيّ") == "قال Witness C وWitness C لWitness C Witness C"
    # Whole words: عليم is another word; the alef maqsura spelling على folds onto علي, which
    # over-redacts the preposition rather than let a spelling of the name through.
    assert not r.find("عليم الرقيق")
    hit = r.find("زار بالرقة")[0]
    assert "زار بالرقة"[hit.start : hit.end] == "الرقة"


def test_arabic_term_without_article_matches_with_it() -> None:
    r = Redactor([ProtectedTerm("نخلي", "Witness F")])
    assert r.redact("النخلي ونخلي") == "Witness F وWitness F"


def test_phones_in_any_spelling() -> None:
    r = Redactor([PHONE])
    text = (
        "call 0944 123 456, +963-944-123-456, (0944) 123.456, ٠٩٤٤١٢٣٤٥٦, "
        "۰۹۴۴ ۱۲۳ ۴۵۶, 00963944123456 or 944123456 12 people; not 0944 123 457"
    )
    out = r.redact(text)
    assert out.count("Phone A") == 7, out
    assert "0944 123 457" in out and "12 people" in out
    # A local-format term finds the international spelling too.
    r = Redactor([ProtectedTerm("0944-123-456", "Phone A", "phone")])
    assert r.redact("+963 944 123 456") == "Phone A"
    # A short national number (Lebanon) keeps all its digits once the country code goes.
    r = Redactor([ProtectedTerm("+961 3 123 456", "Phone B", "phone")])
    assert r.redact("03 123 456") == "Phone B"
    with pytest.raises(ValueError):
        Redactor([ProtectedTerm("12 34", "Phone C", "phone")])


def test_longest_match_wins_and_no_overlap() -> None:
    full = ProtectedTerm("Ali Hassan", "Witness E")
    r = Redactor([ALI, full, ProtectedTerm("Hassan Omar", "Witness G")])
    hits = r.find("Ali Hassan Omar and Ali Hassanein")
    assert [h.term.pseudonym for h in hits] == ["Witness E", "Witness A"]
    assert all(a.end <= b.start for a, b in zip(hits, hits[1:], strict=False))


def test_offsets_are_in_the_original_text() -> None:
    r = Redactor([NAKHLI, RAQQA])
    text = "Ṣaḥīḥ: AL-NAKHLİ — ﻿وبالرَّقَّة"
    hits = r.find(text)
    assert [text[h.start : h.end] for h in hits] == ["AL-NAKHLİ", "الرَّقَّة"]
    assert isinstance(hits[0], Hit) and hits[0].term == NAKHLI


def test_empty_and_bool() -> None:
    assert not Redactor([])
    assert Redactor([]).redact("Ali") == "Ali"
    assert Redactor([ALI])
    with pytest.raises(ValueError):
        Redactor([ProtectedTerm("  -- ", "Witness Z")])


def test_many_terms_on_a_long_text() -> None:
    # Exercises the one-regex design (1,000 terms over 200 KB); no timing assertion.
    rnd = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    terms = [
        ProtectedTerm(
            "".join(rnd.choice(letters) for _ in range(rnd.randint(4, 10)))
            + " "
            + "".join(rnd.choice(letters) for _ in range(6)),
            pseudonym_for("name", i),
        )
        for i in range(900)
    ]
    terms += [
        ProtectedTerm("".join(rnd.choice("ابتثجحخدرزسشصعفقلمنهوي") for _ in range(6)), f"P{i}")
        for i in range(100)
    ]
    r = Redactor(terms)
    words = [t.term for t in terms[::50]] + ["the", "of", "في", "من", "Ali"] * 10
    text = " ".join(rnd.choice(words) for _ in range(30_000))[:200_000]
    hits = r.find(text)
    assert hits
    assert all(r.find(text[h.start : h.end]) for h in hits[:50])
    redacted = r.redact(text)
    assert not any(t.term in redacted for t in terms[::50])
