"""`sijill entities`: the people, places, organisations, dates and terms the text names."""

from __future__ import annotations

import click
from rich.table import Table

from sijill.archive import casework, reading_claims
from sijill.cli.common import Ctx, emit_json, escape, out, pass_ctx


@click.group("entities", invoke_without_command=True)
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
@click.pass_context
def entities_cmd(
    click_ctx: click.Context,
    item_ref: str | None,
    case: str | None,
    label: str | None,
    with_mentions: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """List entities with their aliases and how often, and in how many items, they appear.

    Entities merged across items (a kunya and its long form, a Latin and an Arabic spelling,
    an acronym and its full name) are listed once; `sijill entities merges` shows each merge
    with its confidence and reasons, and `confirm` / `split` record a person's decision.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    c: Ctx = click_ctx.obj
    rows, total = reading_claims.entities(
        c.context(),
        case=case,
        item_ref=item_ref,
        label=label,
        limit=limit,
        with_mentions=with_mentions,
    )
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


@entities_cmd.command("merges")
@click.option("--case", default=None, help="Only this case.")
@click.option(
    "--status",
    type=click.Choice(["proposed", "auto", "confirmed", "split"]),
    default=None,
    help="Only merges in this state (proposed ones wait for a person).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def merges_cmd(c: Ctx, case: str | None, status: str | None, as_json: bool) -> None:
    """Merges of entities across items, with confidence and reasons."""
    rows = reading_claims.merges(c.context(), case=case, status=status)
    if as_json:
        emit_json({"merges": rows, "total": len(rows)})
        return
    for r in rows:
        colour = {"proposed": "yellow", "split": "red"}.get(r["status"], "green")
        out.print(
            f"[bold]{r['id']}[/] [{colour}]{r['status']}[/] {r['confidence']:.2f}  "
            f"{escape(r['entity']['name'])} ({r['entity']['id']}) → "
            f"{escape(r['into']['name'])} ({r['into']['id']}) [dim]{r['label']}[/]"
        )
        for reason in r["reasons"]:
            out.print(f"    [dim]· {escape(reason)}[/]")
    out.print(f"{len(rows)} merges")
    if any(r["status"] == "proposed" for r in rows):
        out.print(
            "`sijill entities confirm ID` applies one; `sijill entities split ID` rejects it."
        )


def _decide(c: Ctx, merge_id: int, decision: str) -> None:
    m = casework.decide_merge(c.context(), merge_id, decision)
    verb = "now counts under" if decision == "confirm" else "is kept apart from"
    out.print(f"merge {m.id}: {escape(m.entity)} {verb} {escape(m.into)}")


@entities_cmd.command("confirm")
@click.argument("merge_id", type=int)
@pass_ctx
def confirm_cmd(c: Ctx, merge_id: int) -> None:
    """Confirm a merge (applies a proposed one); recorded as a custody event."""
    _decide(c, merge_id, "confirm")


@entities_cmd.command("split")
@click.argument("merge_id", type=int)
@pass_ctx
def split_cmd(c: Ctx, merge_id: int) -> None:
    """Undo or reject a merge: the two stay apart and are never merged again by the machine."""
    _decide(c, merge_id, "split")


@entities_cmd.command("merge")
@click.argument("entity_id", type=int)
@click.argument("into_id", type=int)
@pass_ctx
def merge_cmd(c: Ctx, entity_id: int, into_id: int) -> None:
    """Merge ENTITY_ID into INTO_ID by hand (same case only)."""
    m = casework.merge_by_hand(c.context(), entity_id, into_id)
    out.print(f"merge {m.id}: entity {entity_id} now counts under {into_id}")
