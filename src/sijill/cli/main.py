"""The `sijill` command group and the commands that change the archive."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sijill import __version__
from sijill.archive import reading
from sijill.archive.ingest import IngestReport, check_request, ingest_batches
from sijill.archive.ingest import ingest as ingest_service
from sijill.cli.common import (
    BarProgress,
    Ctx,
    ask_passphrase,
    emit_json,
    err,
    escape,
    escape_library_output,
    out,
    pass_ctx,
)
from sijill.errors import AuthError, ConfigError, Forbidden, NotFound, SijillError
from sijill.pipeline import runner as runner_mod
from sijill.settings import load_settings
from sijill.storage.archive import Archive

if TYPE_CHECKING:
    from sijill.archive.analysis import AnalysisReport


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--archive",
    "archive_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Archive directory (env SIJILL_ARCHIVE, default ./sijill-archive).",
)
@click.version_option(__version__, prog_name="sijill")
@click.pass_context
def cli(ctx: click.Context, archive_path: Path | None) -> None:
    """Sijill: a local-first evidence archive for testimonies and leaked documents."""
    settings = load_settings()
    ctx.obj = Ctx(settings, archive_path or settings.archive)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@pass_ctx
def init(c: Ctx) -> None:
    """Create a new archive (catalog, sealed blob store, encrypted identity)."""
    secret = c.settings.passphrase or ask_passphrase(confirm=True)
    archive = Archive.init(c.archive_path, c.settings, secret)
    archive.close()
    err.print(f"[green]Created archive[/] {archive.root}")
    err.print("Keep the passphrase safe: without it, the sealed originals cannot be read.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--case", "case", default=None, help="Case to file the items under (default: default)."
)
@click.option(
    "--source", default=None, help="Codename of who supplied the files (never a real name)."
)
@click.option(
    "--witness",
    default=None,
    metavar="CODENAME",
    help="Codename of who speaks in these files: claims by one witness never corroborate "
    "each other.",
)
@click.option(
    "--date",
    "date",
    default=None,
    metavar="YYYY-MM-DD",
    help="When the files were recorded or written: relative dates in them ('six weeks ago') "
    "count from it (default: the files' own metadata).",
)
@click.option(
    "--run",
    "then_run",
    is_flag=True,
    help="Also process them, as `sijill run` does, in this one command: the archive is "
    "unlocked once, and each batch of sealed files is processed while the next is sealed.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="With --run: worker processes (default: SIJILL_WORKERS or the number of cores, max 4).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def ingest(
    c: Ctx,
    paths: tuple[Path, ...],
    case: str | None,
    source: str | None,
    witness: str | None,
    date: str | None,
    then_run: bool,
    workers: int | None,
    as_json: bool,
) -> None:
    """Seal files and folders (recursively) into the archive."""
    if workers is not None and not then_run:
        raise click.UsageError("--workers goes with --run")
    if not then_run:
        archive = c.archive()
        report = _seal(c, archive, paths, case, source, witness, date, as_json)
        if as_json:
            emit_json(_ingest_json(report))
        else:
            _print_ingest(report)
            if report.count("new"):
                out.print("Next: `sijill run` processes them.")
        if report.count("error"):
            sys.exit(1)
        return
    check_request(list(paths), witness=witness, date=date)  # before workers start
    # The lock first: with another run going, nothing is sealed and the user is told. The
    # workers are started before the catalog is opened, so that their imports overlap the
    # key's scrypt (the archive folder is checked, the key not needed for either).
    r = runner_mod.Runner(
        Archive(c.archive_path.absolute(), c.settings),
        workers=workers or c.settings.workers,
        actor=c.settings.actor(),
    )
    r.start_workers()
    try:
        archive = c.archive()
    except BaseException:
        r.stop_workers()
        raise
    r.archive = archive  # the same folder, now open
    report = IngestReport()
    try:
        stats, analysis = _process(
            c,
            archive,
            r,
            retry_failed=False,
            quiet=as_json,
            seal=(list(paths), dict(case=case, source=source, witness=witness, date=date), report),
        )
    except BaseException:
        r.stop_workers()
        raise
    if not as_json:
        _print_ingest(report)
    if as_json:
        emit_json(
            {
                **_ingest_json(report),
                "run": {
                    "done": stats.done,
                    "failed": stats.failed,
                    "elapsed_s": round(stats.elapsed_s, 3),
                    "failures": [
                        {"job": j, "stage": st, "error": e} for j, st, e in stats.failures
                    ],
                },
            }
        )
    else:
        _print_run(stats, analysis)
    if report.count("error"):
        sys.exit(1)


def _print_ingest(report: IngestReport) -> None:
    for o in report.outcomes:
        if o.status in ("skipped", "error"):
            err.print(
                f"[yellow]{o.status}[/] {escape(str(o.path), line=True)}: {escape(o.message)}"
            )
    out.print(
        f"{report.count('new')} new, {report.count('duplicate')} already in the "
        f"archive, {report.count('skipped')} skipped, {report.count('error')} errors"
    )


def _ingest_json(report: IngestReport) -> dict[str, object]:
    return {
        "items": [o.to_json() for o in report.outcomes],
        "new": report.count("new"),
        "duplicate": report.count("duplicate"),
        "skipped": report.count("skipped"),
        "errors": report.count("error"),
    }


def _seal(
    c: Ctx,
    archive: Archive,
    paths: tuple[Path, ...],
    case: str | None,
    source: str | None,
    witness: str | None,
    date: str | None,
    as_json: bool,
) -> IngestReport:
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("", total=None)

        def on_file(p: Path) -> None:
            bar.update(task, advance=1, description=p.name[:40])

        return ingest_service(
            archive,
            list(paths),
            case=case,
            source=source,
            actor=c.settings.actor(),
            on_file=on_file,
            witness=witness,
            date=date,
        )


@cli.command()
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: SIJILL_WORKERS or the number of cores, max 4).",
)
@click.option("--retry-failed", is_flag=True, help="Try failed stages again.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Time limit in seconds for every job (default: each stage's own).",
)
@click.option(
    "--memory-mb",
    type=click.IntRange(min=16),
    default=None,
    help="Memory limit in MB for every job (default: each stage's own, else "
    "SIJILL_STAGE_MEMORY_MB).",
)
@click.option(
    "--model",
    default=None,
    metavar="MODEL",
    help="Transcription model: auto, tiny.en, base, or a directory holding any CTranslate2 "
    "Whisper model (e.g. large-v3). Saved in every case's config, as `sijill case config CASE "
    "whisper_transcriber.model=MODEL` does, so later runs keep it; items already transcribed "
    "with another model are transcribed again.",
)
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default=None,
    help="Where transcription runs (default SIJILL_DEVICE or auto: a CUDA GPU when present, "
    "with batched inference).",
)
@pass_ctx
def run(
    c: Ctx,
    workers: int | None,
    retry_failed: bool,
    timeout: float | None,
    memory_mb: int | None,
    model: str | None,
    device: str | None,
) -> None:
    """Process all pending work, with a progress bar."""
    archive = c.archive()
    if device == "cuda":
        from sijill.pipeline.stages.whisper_transcriber import cuda_devices

        if cuda_devices() == 0:
            raise ConfigError("--device cuda: no CUDA GPU is visible to CTranslate2 here")
    if model is not None:
        _set_model(c, model)
    if not c.settings.passphrase and sys.stdin.isatty():
        c.settings.passphrase = ask_passphrase(confirm=False)
    r = runner_mod.Runner(
        archive,
        workers=workers or c.settings.workers,
        actor=c.settings.actor(),
        timeout_s=timeout,
        memory_mb=memory_mb,
        device=device,
    )
    _print_run(*_process(c, archive, r, retry_failed=retry_failed))


def _process(
    c: Ctx,
    archive: Archive,
    r: runner_mod.Runner,
    *,
    retry_failed: bool,
    quiet: bool = False,
    seal: tuple[list[Path], dict[str, str | None], IngestReport] | None = None,
) -> tuple[runner_mod.RunStats, AnalysisReport]:
    """The runner's jobs, then the case-level passes, under one progress display.

    With `seal` (`ingest --run`: the paths, the ingest options and the report to fill), the
    files are sealed a batch at a time while the workers process the batches before."""
    with Progress(
        TextColumn("[bold]{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
    ) as bar:
        feed = None
        if seal is not None:
            paths, options, report = seal
            task = bar.add_task("ingest", total=None)

            def on_file(p: Path) -> None:
                bar.update(task, advance=1)

            feed = ingest_batches(
                archive,
                paths,
                report=report,
                actor=c.settings.actor(),
                on_file=on_file,
                batch_seconds=0.1,
                **options,
            )
        with contextlib.closing(feed) if feed is not None else contextlib.nullcontext():
            stats = r.run(BarProgress(bar), retry_failed=retry_failed, feed=feed)
        analysis = _analyse(c, bar)
    return stats, analysis


def _print_run(stats: runner_mod.RunStats, analysis: AnalysisReport) -> None:
    if stats.recovered:
        err.print(f"resumed {stats.recovered} job(s) left unfinished by an interrupted run")
    out.print(f"{stats.done} done, {stats.failed} failed in {stats.elapsed_s:.1f} s")
    if analysis.cases or analysis.merged or analysis.proposed:
        links = ", ".join(f"{n} {rel}" for rel, n in sorted(analysis.links.items())) or "no links"
        out.print(
            f"entities: {analysis.merged} merged, {analysis.proposed} merges to review; "
            f"claims: {analysis.claims} compared, {links}"
        )
    for _job, stage, error in stats.failures[:20]:
        err.print(f"[red]failed[/] {stage}: {escape(error)}")
    if stats.failed:
        err.print("`sijill status` lists every failure with its item.")


def _analyse(c: Ctx, bar: Progress) -> AnalysisReport:
    """The case-level passes (entity merges, corroboration), with their own bar line."""
    from sijill.archive.casework import analyse_cases

    task = None

    def progress(what: str, fraction: float) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task(what, total=100)
        bar.update(task, completed=round(fraction * 100))

    return analyse_cases(c.context(), progress)


def _set_model(c: Ctx, model: str) -> None:
    from sijill.archive.casework import configure_every_case
    from sijill.pipeline.registry import default_registry
    from sijill.pipeline.whisper_models import PACKAGED, user_model

    if model not in (*PACKAGED, "auto"):
        model = str(user_model(model).path.absolute())  # checks it is a Whisper model now
    configure_every_case(c.context(), default_registry(), f"whisper_transcriber.model={model}")
    err.print(f"transcription model: {model}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def status(c: Ctx, as_json: bool) -> None:
    """Counts per stage and state; every failure with its reason."""
    summary = reading.status(c.context())
    if as_json:
        emit_json(summary)
        return
    out.print(
        f"[bold]{summary['total_items']} items[/]: "
        + ", ".join(f"{n} {st}" for st, n in sorted(summary["items_by_status"].items()))
    )
    table = Table("stage", "pending", "running", "done", "failed", box=None)
    for stage, counts in summary["stages"].items():
        table.add_row(
            stage, *(str(counts.get(k, 0)) for k in ("pending", "running", "done", "failed"))
        )
    out.print(table)
    for f in summary["failures"]:
        out.print(
            f"[red]failed[/] {f['item_id']} {escape(f['name'], line=True)} — {f['stage']}: "
            f"{escape(str(f['error']))}"
        )
    for f in summary["flagged"]:
        out.print(
            f"[yellow]{f['status']}[/] {f['item_id']} {escape(f['name'], line=True)} — "
            f"{escape(str(f['reason']))}"
        )


def _register_views() -> None:
    from sijill.cli import views

    for cmd in views.COMMANDS:
        cli.add_command(cmd)
    from sijill.cli.cases import case, stages
    from sijill.cli.demo_cmd import demo
    from sijill.cli.entities import entities_cmd
    from sijill.cli.transcript import transcript_cmd

    cli.add_command(case)
    cli.add_command(stages)

    cli.add_command(demo)
    from sijill.cli.similar import similar

    cli.add_command(similar)
    cli.add_command(transcript_cmd)
    cli.add_command(entities_cmd)
    from sijill.cli.claims import claims_cmd, corroborate_cmd, timeline_cmd

    cli.add_command(claims_cmd)
    cli.add_command(corroborate_cmd)
    cli.add_command(timeline_cmd)
    from sijill.cli.protect import copies_cmd, protect_cmd, terms_cmd

    cli.add_command(protect_cmd)
    cli.add_command(copies_cmd)
    cli.add_command(terms_cmd)
    from sijill.cli.people import user
    from sijill.cli.review import review_cmd, reviews_cmd

    cli.add_command(user)
    from sijill.cli.serve import serve_cmd

    cli.add_command(serve_cmd)
    cli.add_command(review_cmd)
    cli.add_command(reviews_cmd)
    try:
        from sijill.cli.leakcheck import leakcheck_cmd
    except ImportError:  # pragma: no cover - while the leak check is being written
        pass
    else:
        cli.add_command(leakcheck_cmd)


_register_views()


def main() -> None:
    escape_library_output()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except (ConfigError, NotFound, Forbidden, AuthError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except SijillError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; `sijill run` again picks up where this stopped")
        sys.exit(130)
    sys.exit(0)
