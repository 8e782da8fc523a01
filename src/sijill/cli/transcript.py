"""`sijill transcript ITEM`: what was said, when, in the original language or in English."""

from __future__ import annotations

import click

from sijill.archive.queries import resolve_item
from sijill.archive.transcripts import FORMATS, render, transcript
from sijill.cli.common import Ctx, err, pass_ctx
from sijill.errors import NotFound


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
@pass_ctx
def transcript_cmd(c: Ctx, item_ref: str, fmt: str, english: bool) -> None:
    """Print the transcript of an audio or video item."""
    archive = c.archive()
    with archive.catalog.session() as s:
        item = resolve_item(s, item_ref)
        if item.kind not in ("audio", "video"):
            raise NotFound(
                f"item {item.id} is {item.kind}, not audio or video; it has no transcript"
            )
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
    click.echo(render(doc, fmt, translated=english), nl=False)
