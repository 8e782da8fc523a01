"""`sijill claims`, `sijill corroborate` and `sijill timeline`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from sijill.archive import reading_claims
from sijill.cli.common import Ctx, emit_json, escape, out, pass_ctx


def _where(c: Mapping[str, Any]) -> str:
    if c["page"]:
        return f"p.{c['page']}"
    if c["start"] is not None:
        m, s = divmod(int(c["start"]), 60)
        h, m = divmod(m, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return ""


def _who(c: Mapping[str, Any]) -> str:
    who = c["speaker"] or c["witness"] or c["source"] or "unknown speaker"
    return f"{who}, {c['item_name']} {_where(c)}".strip()


def _print_claim(c: Mapping[str, Any], indent: str = "") -> None:
    out.print(f"{indent}[bold]c{c['id']}[/] [dim]({escape(_who(c))})[/]")
    out.print(f"{indent}  {escape(c['text'])}")
    if c.get("gloss"):
        out.print(f"{indent}  [italic]EN: {escape(c['gloss'])}[/]")
    facts = []
    for d in c["dates"]:
        if d.get("value"):
            facts.append(f"date {d['text']!r} = {d['value']}")
        else:
            facts.append(f"date {d['text']!r}: {d.get('basis', 'unresolved')}")
    for n in c["numbers"]:
        facts.append(f"{n['text']!r} = {n['value']:g} {n['unit']}".rstrip())
    names = [e["text"] for e in c["entities"]]
    if names:
        facts.append("names " + ", ".join(names[:6]))
    if facts:
        out.print(f"{indent}  [dim]{escape('; '.join(facts))}[/]")


@click.command("claims")
@click.option("--item", "item_ref", default=None, metavar="ITEM", help="Only this item's claims.")
@click.option("--case", default=None, help="Only this case.")
@click.option(
    "--linked", is_flag=True, help="Only claims that other witnesses support or contradict."
)
@click.option("--limit", type=click.IntRange(1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def claims_cmd(
    c: Ctx, item_ref: str | None, case: str | None, linked: bool, limit: int | None, as_json: bool
) -> None:
    """List claims: who asserts what, where in the item, and how many links each has."""
    rows, total = reading_claims.claims(
        c.context(), case=case, item_ref=item_ref, linked_only=linked, limit=limit
    )
    if as_json:
        emit_json({"claims": rows, "total": total})
        return
    for r in rows:
        _print_claim(r)
        if r["supports"] or r["contradicts"]:
            out.print(f"  {escape(r['standing'])} — `sijill corroborate c{r['id']}`")
        elif r.get("status"):
            out.print(f"  {escape(r['standing'])}")
    out.print(f"{total} claims")


@click.command("corroborate")
@click.argument("ref", metavar="CLAIM|ITEM")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def corroborate_cmd(c: Ctx, ref: str, as_json: bool) -> None:
    """What other witnesses and sources say about a claim (c123) or every claim of an item.

    Only claims of other items from independent sources count: not the same witness, not the
    same source, not the same container. Each link shows its score and its reasons.
    """
    claims = reading_claims.corroboration(c.context(), ref)
    links = [lk for cl in claims for lk in cl["links"]]
    if as_json:
        emit_json(
            {
                "claims": claims,
                "links": links,
                "supports": sum(1 for lk in links if lk["relation"] == "supports"),
                "contradicts": sum(1 for lk in links if lk["relation"] == "contradicts"),
            }
        )
        return
    shown = 0
    for cl in claims:
        if not cl["links"] and len(claims) > 1:
            continue
        shown += 1
        _print_claim(cl)
        if not cl["links"]:
            out.print("  no other witness or source supports or contradicts it (yet)")
        for lk in cl["links"]:
            colour = "green" if lk["relation"] == "supports" else "red"
            decided = ""
            if lk["decision"]:
                d = lk["decision"]
                decided = f" — {d['decision']}ed by {escape(d['by'])}: {escape(d['note'])}"
            out.print(
                f"  [{colour}]{lk['relation']}[/] score {lk['score']:.2f} (link {lk['id']})"
                f"{decided}"
            )
            _print_claim(lk["claim"], indent="    ")
            for reason in lk["reasons"]:
                out.print(f"      [dim]· {escape(reason)}[/]")
        out.print("")
    if len(claims) > 1:
        out.print(
            f"{shown} of {len(claims)} claims linked: "
            f"{sum(1 for lk in links if lk['relation'] == 'supports')} supports, "
            f"{sum(1 for lk in links if lk['relation'] == 'contradicts')} contradicts"
        )


@click.command("timeline")
@click.argument("entity", metavar="ENTITY")
@click.option("--case", default=None, help="Look the name up in this case.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def timeline_cmd(c: Ctx, entity: str, case: str | None, as_json: bool) -> None:
    """Dated claims naming a person, place or organisation (by id or name), oldest first."""
    head, rows = reading_claims.timeline(c.context(), entity, case)
    if as_json:
        emit_json({"entity": head, "claims": rows, "total": len(rows)})
        return
    out.print(f"[bold]{escape(head['name'])}[/] ({head['label']}): {len(rows)} dated claims")
    for r in rows:
        w = r["when"]
        out.print(f"[bold cyan]{escape(w['value'] or w['text'])}[/]")
        _print_claim(r, indent="  ")
