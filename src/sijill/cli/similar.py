"""`sijill similar ITEM`: near-duplicate images and videos in the item's case."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from sijill.archive import reading_claims
from sijill.archive.similar import clock
from sijill.cli.common import Ctx, emit_json, escape, out, pass_ctx


def _range(r: dict[str, Any]) -> str:
    here = f"{clock(r['start'])}–{clock(r['end'])}" if r["start"] is not None else "image"
    there = (
        f"{clock(r['other_start'])}–{clock(r['other_end'])}"
        if r["other_start"] is not None
        else "image"
    )
    frames = "1 frame" if r["frames"] == 1 else f"{r['frames']} frames"
    return f"{here} ↔ {there} ({frames}, distance {r['distance']})"


@click.command()
@click.argument("item")
@click.option(
    "--max-distance",
    type=click.IntRange(0, 128),
    default=31,
    show_default=True,
    help="Largest number of differing PDQ bits (of 256) that still counts as a match.",
)
@click.option(
    "--min-quality",
    type=click.IntRange(0, 100),
    default=50,
    show_default=True,
    help="Ignore hashes of featureless images and frames below this PDQ quality.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def similar(c: Ctx, item: str, max_distance: int, min_quality: int, as_json: bool) -> None:
    """Near-duplicates of an image or video in its case: re-encodes, resizes, excerpts."""
    doc, found, hashes, usable = reading_claims.similar(
        c.context(), item, max_distance=max_distance, min_quality=min_quality
    )
    note = None
    if not hashes:
        note = (
            "this item has no perceptual hashes (not an image or video, or not processed "
            "yet: `sijill run`)"
        )
    elif not usable:
        note = f"all {hashes} of its hashes are below quality {min_quality} (featureless)"
    if as_json:
        emit_json(
            {
                "item": doc,
                "similar": found,
                "total": len(found),
                "hashes": hashes,
                "usable_hashes": usable,
                "max_distance": max_distance,
                "min_quality": min_quality,
                "note": note,
            }
        )
        return
    out.print(f"[bold]{escape(doc['name'])}[/]  ({doc['id']}, {doc['kind']})")
    if note:
        out.print(note)
        return
    table = Table("id", "kind", "distance", "match", "name", box=None)
    for r in found:
        match = f"{r['query_fraction']:.0%} / {r['other_fraction']:.0%}"
        table.add_row(r["id"], r["kind"], str(r["distance"]), match, escape(r["name"]))
    if found:
        out.print(table)
        out.print("[dim]match: share of this item's hashes / of the other's that match[/]")
    for r in found:
        out.print(f"[bold]{r['id']}[/] {escape(r['reason'])}")
        for rng in r["ranges"][:10]:
            out.print(f"    {_range(rng)}")
        if len(r["ranges"]) > 10:
            out.print(f"    … {len(r['ranges']) - 10} more ranges")
    out.print(f"{len(found)} similar items (at most {max_distance} of 256 bits apart)")
