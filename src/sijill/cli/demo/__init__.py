"""The demo: build a sample archive from the bundled, fictional corpus and show it at work.

`build_demo` creates an archive, ingests `corpus/` (case `demo`; sources and witnesses as in
`PROVENANCE`), runs every stage with the local runner and the case-level passes (entity
merges, corroboration), then runs a few real `sijill` commands against the result and
prints them with their actual output (a long one, such as a transcript, cut after its first
lines). A demo archive carries a marker file so that it, and only it, may be deleted and
rebuilt.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from sijill.archive.access import Role
from sijill.archive.casework import analyse_cases
from sijill.archive.context import Context
from sijill.archive.copies import protect_terms
from sijill.archive.ingest import ingest
from sijill.archive.people import add_user
from sijill.archive.transcripts import revise
from sijill.cli.common import BarProgress
from sijill.cli.demo.review import INTERVIEW_SPEECH, corrections
from sijill.errors import ConfigError
from sijill.pipeline.runner import Runner
from sijill.settings import Settings
from sijill.storage.archive import Archive

CORPUS = Path(__file__).resolve().parent / "corpus"
MARKER = ".sijill-demo"
DEMO_PASSPHRASE = "demo-passphrase"
DEMO_CASE = "demo"
DEMO_SOURCE = "NIGHTJAR"
# Who supplied, and who speaks in, the files that did not come from NIGHTJAR's leak: claims
# corroborate each other only across independent sources and witnesses.
PROVENANCE: dict[str, tuple[str, str | None]] = {
    "temoignage_MARTINET.docx": ("CORBEAU", "MARTINET"),
    "corbeau_postes_controle.eml": ("CORBEAU", None),
    "testimony_SPARROW-07.txt": ("SPARROW-07", "SPARROW-07"),
    "shahada_hudhud.txt": ("HUDHUD", "HUDHUD"),
    "witness-b-interview.mp4": ("WITNESS-B", "WITNESS-B"),
    "witness-b-reupload.mp4": ("WITNESS-B", "WITNESS-B"),
    "voice-memo.m4a": ("WITNESS-B", "WITNESS-B"),
}
PHOTO = "IMG_20240314_094122.jpg"
INTERVIEW = "witness-b-interview.mp4"
# A word the witness says in the interview: search finds it in the speech, with its time,
# beside the written testimonies that say the same.
SPOKEN_WORD = "receipt"
TRANSCRIPT_LINES = 12  # of the interview's SRT subtitles shown
# What the team protects in case `demo`: the place where witness B works and lives. Every
# publication copy replaces it by its pseudonym, in speech, subtitles and on the photo's sign.
PROTECTED = [("Tell Qasrin", "place")]
PUBLIC_DIR = "publication"  # inside the demo archive: the copies that passed the leak check
# The demo's people (DESIGN §5), by role handle, all with one password (SIJILL_USER_PASSWORD
# or DEMO_PASSWORD): log in to `sijill serve` as any of them.
DEMO_PASSWORD = "demo-password-only"
DEMO_PEOPLE = (
    ("lead", "owner"),
    ("analyst", "investigator"),
    ("expert1", "reviewer"),
    ("expert2", "reviewer"),
    ("reader", "observer"),
)


def corpus_files() -> list[Path]:
    """The files `build_demo` ingests: the whole corpus (with its testimonies/ folder) except
    its README."""
    return sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and p.name != "README.md"
        and not any(part.startswith(".") for part in p.relative_to(CORPUS).parts)
    )


def _clear(root: Path) -> None:
    """Make room for the demo; only an empty directory or an earlier demo may be there."""
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise ConfigError(f"{root} exists and is not a directory; choose another place")
    if not root.exists() or not any(root.iterdir()):
        return
    if not (root / MARKER).is_file():
        raise ConfigError(
            f"{root} is not empty and is not a demo archive (no {MARKER} marker); "
            "refusing to overwrite it. Choose another directory with --out."
        )
    shutil.rmtree(root)


def demo_settings(settings: Settings) -> Settings:
    """The settings a demo archive is built and opened with: the demo passphrase unless
    SIJILL_PASSPHRASE is set, and always embedded (it must never write into a team database
    or bucket)."""
    return settings.model_copy(
        update={
            "passphrase": settings.passphrase or DEMO_PASSPHRASE,
            "database_url": None,
            "blobs_url": None,
            "broker_url": None,
        }
    )


def build_demo(
    archive: Path, settings: Settings, *, console: Console | None = None, examples: bool = True
) -> None:
    """Build the demo archive at `archive`, replacing an earlier demo there."""
    con = console or Console(highlight=False, soft_wrap=True)
    status = Console(stderr=True)
    root = archive.absolute()
    _clear(root)
    settings = demo_settings(settings)
    secret = settings.passphrase or DEMO_PASSPHRASE
    if secret == DEMO_PASSPHRASE:
        con.print(
            f"[bold yellow]Demo passphrase:[/] {secret}   "
            "(for this fictional demo only; never use it for real material)"
        )
    else:
        con.print("[bold]Passphrase:[/] taken from SIJILL_PASSPHRASE")

    arch = Archive.init(root, settings, secret)
    try:
        (root / MARKER).write_text(
            "This archive was built by `sijill demo` from fictional material; "
            "`sijill demo` may delete and rebuild it.\n"
        )
        con.print(f"[bold]Archive[/] {root}")
        files = corpus_files()
        report = ingest(
            arch,
            [f for f in files if f.name not in PROVENANCE],
            case=DEMO_CASE,
            source=DEMO_SOURCE,
            actor=settings.actor(),
        )
        for f in files:
            if f.name in PROVENANCE:
                source, witness = PROVENANCE[f.name]
                more = ingest(
                    arch,
                    [f],
                    case=DEMO_CASE,
                    source=source,
                    witness=witness,
                    actor=settings.actor(),
                )
                report.outcomes.extend(more.outcomes)
        con.print(
            f"ingested {report.count('new')} files of the fictional corpus into case "
            f"'{DEMO_CASE}' (sources {DEMO_SOURCE}, CORBEAU and the witnesses themselves)"
        )
        for o in report.outcomes:
            if o.status in ("skipped", "error"):
                status.print(f"[yellow]{o.status}[/] {o.path}: {o.message}")
        ctx = Context.custodian_of(arch, settings.actor())
        runner = Runner(arch, workers=settings.workers, actor=settings.actor())
        with Progress(
            TextColumn("[bold]{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=status,
        ) as bar:
            stats = runner.run(BarProgress(bar))
            analysis = analyse_cases(ctx)
        con.print(f"processed: {stats.done} done, {stats.failed} failed in {stats.elapsed_s:.1f} s")
        links = ", ".join(f"{n} {rel}" for rel, n in sorted(analysis.links.items()))
        con.print(
            f"entities merged across items: {analysis.merged} ({analysis.proposed} to review); "
            f"claims: {analysis.claims}, corroboration links: {links or 'none'}"
        )
        for _job, stage, error in stats.failures:
            status.print(f"[red]failed[/] {stage}: {error}")
        fixes: list[tuple[int, str]] = []
        for term, kind in PROTECTED:
            protect_terms(ctx, DEMO_CASE, [term], kind=kind, pseudonym=None, same_as=None)
        interview = next(
            (o.item_id for o in report.outcomes if Path(o.path).name == INTERVIEW), None
        )
        if interview is not None:
            fixes = corrections(revise(ctx, interview)["segments"], INTERVIEW_SPEECH)
        password = os.environ.get("SIJILL_USER_PASSWORD") or DEMO_PASSWORD
        for name, role in DEMO_PEOPLE:
            add_user(ctx, name, password, Role.parse(role), DEMO_CASE)
        ids = {Path(o.path).name: o.item_id for o in report.outcomes if o.item_id}
    finally:
        arch.close()

    if examples:
        _examples(con, root, secret, ids, fixes)
    con.print()
    con.print(f"[bold green]Demo archive ready:[/] {root}")
    con.print(f"Passphrase: {secret}" + ("  (demo only)" if secret == DEMO_PASSPHRASE else ""))
    con.print(
        f"Explore it:  export SIJILL_ARCHIVE={shlex.quote(str(root))} "
        f"SIJILL_PASSPHRASE={shlex.quote(secret) if secret == DEMO_PASSPHRASE else '…'}"
        "; sijill --help"
    )
    shown_password = DEMO_PASSWORD if password == DEMO_PASSWORD else "SIJILL_USER_PASSWORD"
    people_list = ", ".join(f"{n} ({r})" for n, r in DEMO_PEOPLE)
    con.print(f"People: {people_list}; password {shown_password}")
    con.print("Serve the web app and its API to them:  sijill serve   (then open it in a browser)")


def _examples(
    con: Console, root: Path, secret: str, ids: dict[str, str], fixes: list[tuple[int, str]]
) -> None:
    # Each command with the number of its output lines shown (None: all of them).
    commands: list[tuple[list[str], int | None]] = [
        (["status"], None),
        (["items"], None),
        (["search", "Raqqa"], None),
        (["search", "الرقة"], None),
        (["search", "checkpoint*", "--lang", "en"], None),
    ]
    if PHOTO in ids:
        commands.append((["show", ids[PHOTO]], None))
    if INTERVIEW in ids:
        interview = ids[INTERVIEW]
        commands.append((["transcript", interview, "--format", "srt"], TRANSCRIPT_LINES))
        commands.append((["search", SPOKEN_WORD], None))
        commands.append((["similar", interview], None))
    commands.append((["entities", "--limit", "10"], None))
    commands.append((["claims", "--linked", "--limit", "6"], None))
    if INTERVIEW in ids:
        commands.append((["corroborate", ids[INTERVIEW]], 40))
    commands.append((["timeline", "Abu Rayyan"], 20))
    commands.append((["terms", "--case", DEMO_CASE], None))
    commands.append((["terms", "propose", "--case", DEMO_CASE], 8))
    if INTERVIEW in ids:
        # Two outside experts judge the interview (blind to each other), the owner sees both.
        interview = ids[INTERVIEW]
        for expert, answer, confidence, note in (
            ("expert1", "no", "likely", "continuous shot; lighting and sound match the room"),
            ("expert2", "unclear", "even-chance", "a plain wall: nothing places the room"),
        ):
            commands.append(
                (
                    [
                        *("review", interview, "--question", "staged", "--answer", answer),
                        *("--confidence", confidence, "--note", note, "--as", expert),
                    ],
                    None,
                )
            )
        commands.append(
            (
                [
                    *("review", interview, "--question", "identity", "--answer", "unverified"),
                    *("--method", "no identity document seen", "--confidence", "likely"),
                    *("--note", "the speaker's face is never shown", "--as", "expert1"),
                ],
                None,
            )
        )
        commands.append((["reviews", interview, "--as", "lead"], None))
        # A reviewer corrects what Whisper misheard (the protected place among it) before the
        # copy is made: the copy re-speaks and subtitles the corrected transcript.
        fix_args = [a for seg, text in fixes for a in ("--correct", str(seg), text)]
        commands.append((["transcript", ids[INTERVIEW], *fix_args, "--mark-reviewed"], None))
    public = root / PUBLIC_DIR
    for name in (INTERVIEW, PHOTO):
        if name in ids:
            commands.append((["protect", ids[name], "--out", str(public / ids[name])], None))
    if any(n in ids for n in (INTERVIEW, PHOTO)):
        commands.append((["leakcheck", str(public)], None))
    commands.append((["verify"], None))
    env = dict(os.environ)
    env.update(SIJILL_PASSPHRASE=secret, SIJILL_ARCHIVE=str(root))
    for key in ("SIJILL_DATABASE_URL", "SIJILL_BLOBS_URL", "SIJILL_BROKER_URL"):
        env.pop(key, None)
    if con.is_terminal:
        env.update(FORCE_COLOR="1", COLUMNS=str(con.width))
    else:
        env.setdefault("COLUMNS", "120")
    con.print()
    con.print(f"[bold]Some commands, run now against the demo archive[/] (SIJILL_ARCHIVE={root}):")
    for args, max_lines in commands:
        con.print()
        con.print(f"[bold cyan]$ sijill {shlex.join(args)}[/]")
        proc = subprocess.run(
            [sys.executable, "-m", "sijill", "--archive", str(root), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = proc.stdout.rstrip("\n").split("\n")
        if max_lines is not None and len(lines) > max_lines:
            rest = len(lines) - max_lines
            lines = [*lines[:max_lines], f"… ({rest} more lines)"]
        con.print(Text.from_ansi("\n".join(lines)))
        if proc.returncode != 0:
            con.print(Text.from_ansi(proc.stderr.rstrip("\n")))
            con.print(f"[red](exit code {proc.returncode})[/]")
