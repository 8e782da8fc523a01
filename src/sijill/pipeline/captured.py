"""What libraries say while a stage reads a hostile file, kept with the job, not sprayed.

Pillow ("Corrupt EXIF data"), pypdfium2, OpenCV and the C libraries under them report damage
through Python's `warnings`, through `logging`, or by writing to file descriptor 2. In a
worker all three would land on the terminal of `sijill run`, over its progress bar and raw
(a file's own bytes, escape sequences included). `captured()` collects them for the length
of one job so the worker records them as the job's warnings, which `sijill show` prints
escaped.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

MAX_NOTES = 50
MAX_NOTE_CHARS = 500
_STDERR_BYTES = 64 * 1024


class _Collect(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.notes.append(f"{record.name}: {record.getMessage()}")
        except (TypeError, ValueError):  # a record whose arguments do not fit its format
            self.notes.append(f"{record.name}: {record.msg!r}")


def _tidy(notes: list[str]) -> list[str]:
    seen: list[str] = []
    for note in notes:
        note = " ".join(note.split())[:MAX_NOTE_CHARS]
        if note and note not in seen:
            seen.append(note)
    if len(seen) > MAX_NOTES:
        seen = [*seen[:MAX_NOTES], f"... and {len(seen) - MAX_NOTES} more"]
    return seen


@contextmanager
def captured() -> Iterator[list[str]]:
    """Collect warnings, log records and stderr output; the list is filled on exit."""
    notes: list[str] = []
    handler = _Collect(notes)
    root = logging.getLogger()
    root.addHandler(handler)
    quiet = logging.lastResort
    logging.lastResort = None  # records reach our handler, not the terminal
    with tempfile.TemporaryFile() as buf, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(buf.fileno(), 2)
        try:
            yield notes
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            root.removeHandler(handler)
            logging.lastResort = quiet
            buf.seek(0)
            said = buf.read(_STDERR_BYTES).decode("utf-8", "replace")
            notes[:0] = [f"{w.category.__name__}: {w.message}" for w in caught]
            notes.extend(line for line in said.splitlines() if line.strip())
            notes[:] = _tidy(notes)
