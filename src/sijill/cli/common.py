r"""Shared CLI plumbing: settings, opening the archive, JSON output, passphrase prompts.

Everything a person reads comes from hostile files: a file name, a tag, a stage's error may
hold terminal escape sequences (ESC [ 31m, an OSC title, an 8-bit CSI) or bidi controls
(U+202E turns "gpj.exe" into "exe.jpg"). So the consoles here show such characters as
visible escapes (`\x1b`, `\u202e`) in every line they print, whatever module prints it;
`escape` (markup too) gives the same to a value before it is laid out, so tables keep
their widths. Arabic letters and the joiners it needs are left alone. JSON output stays
exact: the same characters are written as JSON `\u` escapes, which decode to the original.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.progress import Progress
from rich.segment import Segment

from sijill.pipeline.runner import Progress as RunnerProgress
from sijill.settings import Settings
from sijill.storage.archive import Archive

if TYPE_CHECKING:
    from sijill.archive.context import Context

# C0 and C1 controls (but tab and newline), DEL, and the bidi marks, embeddings, overrides
# and isolates, plus the line and paragraph separators that break a line where none shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str, *, line: bool = False) -> str:
    """`text` with control and bidi characters made visible; `line`: tabs and newlines too."""
    return (_UNSAFE_LINE if line else _UNSAFE).sub(_visible, text)


def escape(text: str, *, line: bool = False) -> str:
    """A value for rich markup: its controls made visible and its brackets escaped."""
    return escape_markup(shown(text, line=line))


class SafeConsole(Console):
    """A rich console that never writes a control or bidi character it did not make itself:
    its own styles and cursor moves are rendered after this, content is made visible."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(shown(seg.text), seg.style) for seg in buffer
        )


err = SafeConsole(stderr=True)
out = SafeConsole(highlight=False, soft_wrap=True)


class _EscapedLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"[yellow]{record.levelname.lower()}[/] {escape(self.format(record))}")


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    err.print(f"[yellow]warning[/] {escape(f'{category.__name__}: {message}')}")


def escape_library_output() -> None:
    """Warnings and log records of libraries (about a hostile file, often quoting it) are
    printed through the escaping console, in this process, rather than raw."""
    warnings.showwarning = _show_warning
    logging.lastResort = _EscapedLog(logging.WARNING)


@dataclass
class Ctx:
    settings: Settings
    archive_path: Path
    _archive: Archive | None = None

    def archive(self, *, unlock: bool = False) -> Archive:
        if self._archive is None:
            if not self.settings.passphrase and Archive.needs_passphrase(
                self.archive_path, self.settings
            ):
                # The catalog is encrypted at rest: even listing items needs the key.
                self.settings.passphrase = ask_passphrase(confirm=False)
            self._archive = Archive.open(self.archive_path, self.settings)
        if unlock and not self._archive.keys.unlocked:
            if not self.settings.passphrase:
                self.settings.passphrase = ask_passphrase(confirm=False)
            self._archive.unlock()
        return self._archive

    def context(self, as_name: str | None = None, *, person: bool = False) -> Context:
        """The services' context: the person `as_name` (or SIJILL_USER) when given, else the
        local custodian. `person`: SIJILL_USER names an account (the reviewer) rather than
        only who the custodian is in custody events."""
        from sijill.archive.context import Context
        from sijill.archive.people import actor_named

        archive = self.archive()
        ctx = Context.custodian_of(archive, self.settings.actor())
        name = as_name or (self.settings.user if person else None)
        return ctx.acting_as(actor_named(ctx, name)) if name else ctx

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


def ask_passphrase(*, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise click.UsageError(
            "the archive is encrypted, so this command needs its passphrase: set "
            "SIJILL_PASSPHRASE (there is no terminal to ask for it)"
        )
    value: str = click.prompt(
        "Archive passphrase", hide_input=True, confirmation_prompt=confirm, err=True
    )
    return value


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def emit_json(doc: Mapping[str, Any]) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
    # json escapes C0 itself; DEL, C1 and bidi controls only ever sit inside strings, where
    # a \u escape is the same character to any JSON reader and inert on a terminal.
    sys.stdout.write(_UNSAFE.sub(_json_escape, text) + "\n")


pass_ctx = click.make_pass_decorator(Ctx)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class BarProgress(RunnerProgress):
    """Shows the runner's progress as a rich progress bar."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task = bar.add_task("processing", total=0)
        self._jobs: dict[int, Any] = {}

    def total(self, n: int) -> None:
        self.bar.update(self.task, total=n)

    def advance(self, stage: str, ok: bool) -> None:
        self.bar.update(self.task, advance=1, description=stage)

    def job_progress(self, job_id: int, stage: str, fraction: float | None) -> None:
        """A second bar per long job (a 3-hour recording), gone when the job ends."""
        tasks = self._jobs
        if fraction is None:
            task = tasks.pop(job_id, None)
            if task is not None:
                self.bar.remove_task(task)
            return
        if job_id not in tasks:
            tasks[job_id] = self.bar.add_task(f"  {stage} (job {job_id})", total=100)
        self.bar.update(tasks[job_id], completed=round(100 * fraction))


class FrameBar:
    """A rich bar for one long piece of work that reports (done, total)."""

    def __init__(self, what: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn(what),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.task = self.bar.add_task(what, total=None)

    def __enter__(self) -> FrameBar:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total or None)
