"""`sijill transcript ITEM`: what was said, when, in the original language or in English."""

from __future__ import annotations

import click

from sijill.archive.queries import resolve_item
from sijill.archive.transcripts import correct_segment, mark_reviewed, transcript
from sijill.cli.common import Ctx, err, pass_ctx
from sijill.errors import NotFound
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
    archive = c.archive()
    actor = c.settings.actor()
    with archive.catalog.session() as s:
        item = resolve_item(s, item_ref)
        if item.kind not in ("audio", "video"):
            raise NotFound(
                f"item {item.id} is {item.kind}, not audio or video; it has no transcript"
            )
        for seg, text in corrections:
            if not seg.isdigit():
                raise click.BadParameter(
                    f"segment {seg!r}: give its number", param_hint="--correct"
                )
            correct_segment(s, item, int(seg), text, actor)
        if mark_reviewed_flag:
            mark_reviewed(s, item, actor)
        doc = transcript(s, item)
    if not doc["segments"]:
        why = (item.info or {}).get("speech") or (
            "not transcribed yet; run `sijill run`" if item.status == "pending" else item.status
        )
        err.print(f"no transcript for {item.id}: {why}")
    if english and not doc["translation"] and doc["segments"]:
        note = doc["translation_note"] or (
            "the speech is English" if doc["language"] == "en" else "no translation was made"
        )
        err.print(f"no English translation for {item.id}: {note}")
    if corrections or mark_reviewed_flag:
        done = [f"{len(corrections)} segment(s) corrected"] if corrections else []
        done += ["transcript marked reviewed"] if mark_reviewed_flag else []
        err.print("; ".join(done))
    if ids and fmt == "txt" and not english:
        for seg in doc["segments"]:
            click.echo(f"#{seg['id']} {render({'segments': [seg]}, 'txt').strip()}")
        return
    click.echo(render(doc, fmt, translated=english), nl=False)
