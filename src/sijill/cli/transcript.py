"""`sijill transcript ITEM`: what was said, when, in the original language or in English."""

from __future__ import annotations

import click

from sijill.archive.transcripts import revise
from sijill.cli.common import Ctx, err, pass_ctx
from sijill.text.subtitles import FORMATS, render


@click.command("transcript")
@click.argument("item_ref", metavar="ITEM")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="txt",
    show_default=True,
    help="srt/vtt subtitles, plain text with times, or JSON with word timings.",
)
@click.option(
    "--english",
    is_flag=True,
    help="The English translation instead of the original speech (srt, vtt, txt).",
)
@click.option(
    "--correct",
    "corrections",
    nargs=2,
    multiple=True,
    metavar="SEGMENT TEXT",
    help="Replace what the machine heard in one segment (its id from --format json or "
    "--ids) by what was said. Repeatable.",
)
@click.option(
    "--mark-reviewed",
    "mark_reviewed_flag",
    is_flag=True,
    help="Record that you read the whole transcript against the recording.",
)
@click.option("--ids", is_flag=True, help="Show each segment's id (txt format).")
@pass_ctx
def transcript_cmd(
    c: Ctx,
    item_ref: str,
    fmt: str,
    english: bool,
    corrections: tuple[tuple[str, str], ...],
    mark_reviewed_flag: bool,
    ids: bool,
) -> None:
    """Print the transcript of an audio or video item; correct it and mark it reviewed.

    Publication copies re-voice and subtitle the corrected transcript: correct misheard
    names before protecting an item, so that protected names are recognised.
    """
    fixes: list[tuple[int, str]] = []
    for seg, text in corrections:
        if not seg.isdigit():
            raise click.BadParameter(f"segment {seg!r}: give its number", param_hint="--correct")
        fixes.append((int(seg), text))
    doc = revise(c.context(), item_ref, fixes, reviewed=mark_reviewed_flag)
    item_id = doc["item"]
    if not doc["segments"]:
        why = doc["speech"] or (
            "not transcribed yet; run `sijill run`" if doc["status"] == "pending" else doc["status"]
        )
        err.print(f"no transcript for {item_id}: {why}")
    if english and not doc["translation"] and doc["segments"]:
        note = doc["translation_note"] or (
            "the speech is English" if doc["language"] == "en" else "no translation was made"
        )
        err.print(f"no English translation for {item_id}: {note}")
    if corrections or mark_reviewed_flag:
        done = [f"{len(corrections)} segment(s) corrected"] if corrections else []
        done += ["transcript marked reviewed"] if mark_reviewed_flag else []
        err.print("; ".join(done))
    if ids and fmt == "txt" and not english:
        for segment in doc["segments"]:
            click.echo(f"#{segment['id']} {render({'segments': [segment]}, 'txt').strip()}")
        return
    click.echo(render(doc, fmt, translated=english), nl=False)
