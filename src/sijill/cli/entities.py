"""`sijill entities`: the people, places, organisations, dates and terms the text names."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from sijill.archive.entities import entity_mentions, list_entities
from sijill.archive.queries import resolve_item
from sijill.cli.common import Ctx, emit_json, out, pass_ctx


@click.command("entities")
@click.option("--item", "item_ref", default=None, metavar="ITEM", help="Only those named in it.")
@click.option("--case", default=None, help="Only this case.")
@click.option(
    "--label",
    type=click.Choice(["PERSON", "PLACE", "ORG", "DATE", "TERM"], case_sensitive=False),
    default=None,
)
@click.option("--mentions", "with_mentions", is_flag=True, help="Also where each is named.")
@click.option("--limit", type=click.IntRange(1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def entities_cmd(
    c: Ctx,
    item_ref: str | None,
    case: str | None,
    label: str | None,
    with_mentions: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """List entities with their aliases and how often, and in how many items, they appear."""
    archive = c.archive()
    with archive.catalog.session() as s:
        item = resolve_item(s, item_ref) if item_ref else None
        rows, total = list_entities(s, case=case, item=item, label=label, limit=limit)
        if with_mentions:
            for r in rows:
                r["where"] = entity_mentions(s, r["id"])
    if as_json:
        emit_json({"entities": rows, "total": total})
        return
    table = Table("id", "label", "name", "mentions", "items", "aliases", box=None)
    for r in rows:
        others = [a for a in r["aliases"] if a != r["name"]]
        table.add_row(
            str(r["id"]),
            r["label"],
            escape(r["name"]),
            str(r["mentions"]),
            str(r["items"]),
            escape(", ".join(others[:6])),
        )
    out.print(table)
    if with_mentions:
        for r in rows:
            out.print(f"[bold]{escape(r['name'])}[/] ({r['label']})")
            for m in r["where"]:
                where = (
                    f"page {m['page']}"
                    if m["page"]
                    else (f"{m['start']:.1f} s" if m["start"] is not None else "")
                )
                out.print(f"  {m['item_id']} {escape(m['item_name'])} {where}: {escape(m['text'])}")
    out.print(f"{total} entities")
