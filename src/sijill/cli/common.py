"""Shared CLI plumbing: settings, opening the archive, JSON output, passphrase prompts."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from sijill.archive.archive import Archive
from sijill.pipeline.runner import Progress as RunnerProgress
from sijill.settings import Settings

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


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


def emit_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")


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
