"""`sijill leakcheck PATH...`: the independent leak check of files meant for publication."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sijill.cli.common import Ctx, emit_json, err, escape, out, pass_ctx

if TYPE_CHECKING:
    from sijill.leakcheck import Finding


def _archive_terms(c: Ctx, case: str | None) -> list[str]:
    """The protected terms the archive holds (one case's, or all), if there is an archive."""
    if not (c.archive_path / "archive.json").exists():
        return []
    from sijill.archive.copies import terms_for_leakcheck

    return terms_for_leakcheck(c.context(), case)


def _print(findings: list[Finding], files: int) -> None:
    if not findings:
        out.print(f"[green]no findings[/] in {files} file(s)")
        return
    table = Table(title=f"{len(findings)} finding(s) in {files} file(s)")
    for col in ("file", "where", "what", "kind"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(escape(f.file), escape(f.where), escape(f.what), f.kind)
    out.print(table)


@click.command("leakcheck")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--term", "terms", multiple=True, help="A protected term to look for (repeatable).")
@click.option(
    "--terms-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A UTF-8 file of protected terms, one per line.",
)
@click.option("--case", default=None, help="Use this case's protected terms (default: all).")
@click.option("--no-speech", is_flag=True, help="Do not transcribe audio to look for terms.")
@pass_ctx
def leakcheck_cmd(
    c: Ctx,
    paths: tuple[Path, ...],
    as_json: bool,
    terms: tuple[str, ...],
    terms_file: Path | None,
    case: str | None,
    no_speech: bool,
) -> None:
    """Scan files or folders for leaks: metadata, streams, faces, protected terms, speech.

    Exit 0 when clean, 1 on any finding, 2 on a usage error.
    """
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    wanted = list(terms)
    if terms_file is not None:
        lines = terms_file.read_text(encoding="utf-8-sig").splitlines()
        wanted += [line.strip() for line in lines if line.strip()]
    wanted += _archive_terms(c, case)
    # The scanners (OpenCV, pdfium, Whisper) load only when a scan runs, not with every command.
    from sijill.leakcheck import count_files, scan

    total = count_files(list(paths))
    if total > 1 and err.is_terminal:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("checking", total=total)

            def step(done: int, n: int, path: Path) -> None:
                bar.update(task, completed=done, description=f"checking {path.name}"[:60])

            findings = scan(list(paths), terms=wanted, speech=not no_speech, progress=step)
    else:
        findings = scan(list(paths), terms=wanted, speech=not no_speech)
    if as_json:
        emit_json(
            {
                "findings": [f.to_json() for f in findings],
                "files": total,
                "passed": not findings,
            }
        )
    else:
        _print(findings, total)
    if findings:
        sys.exit(1)
