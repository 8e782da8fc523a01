"""Counted quantities of a text with its dates left out: numbers and dates read together.

`numbers` reads counts and `when` reads dates (using the number words of `numbers`); a date
is not a count ("3 March"), so finding counts needs the dates first. This module sits above
both, so neither imports the other back."""

from __future__ import annotations

from sijill.analysis.numbers import Quantity, find_quantities
from sijill.analysis.when import find_dates


def quantities(text: str, lang: str | None = None) -> list[Quantity]:
    """Every counted quantity in `text` that is not part of a date."""
    return find_quantities(text, lang, [(d.start, d.end) for d in find_dates(text, lang)])
