"""Commands that read the archive: items, show, search, export, verify."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from sijill.archive import reading
from sijill.archive.export import export_original
from sijill.archive.verify import verify as verify_service
from sijill.cli.common import Ctx, emit_json, escape, human_size, out, pass_ctx


@click.command()
@click.option("--case", default=None, help="Only this case.")
@click.option("--kind", default=None, help="document, image, email, archive, audio, video, other.")
@click.option("--status", default=None, help="pending, processed, failed, encrypted, invalid...")
@click.option("--parent", default=None, help="Only children of this container item.")
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def items(
    c: Ctx,
    case: str | None,
    kind: str | None,
    status: str | None,
    parent: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List items."""
    docs, total = reading.items(
        c.context(), case=case, kind=kind, status=status, parent=parent, limit=limit
    )
    if as_json:
        emit_json({"items": docs, "total": total})
        return
    table = Table("id", "kind", "status", "size", "case", "name", box=None)
    for d in docs:
        name = ("  " * d["depth"] + "└ " if d["depth"] else "") + d["name"]
        table.add_row(
            d["id"],
            d["kind"],
            d["status"],
            human_size(d["size"]),
            d["case"],
            escape(name, line=True),
        )
    out.print(table)
    out.print(f"{total} items")


# What stages learnt about an item, in words (the JSON has all of `info`).
_ABOUT = {
    "page_count": "pages",
    "duration_s": "duration (s)",
    "has_gps": "carries GPS",
    "has_location_stream": "location stream",
    "media_problems": "media problems",
    "speech_language": "spoken language",
    "transcription_model": "transcribed with",
    "speech": "speech",
    "translation": "speech translation",
    "text_translation": "text translation",
}


def _print_detail(d: Mapping[str, Any], full_text: bool) -> None:
    out.print(f"[bold]{escape(d['name'], line=True)}[/]  ({d['id']})")
    for key in (
        "kind",
        "mime",
        "description",
        "size",
        "sha256",
        "case",
        "source",
        "status",
        "status_reason",
        "parent_id",
        "received_at",
        "received_by",
    ):
        if d.get(key) not in (None, ""):
            out.print(f"  {key:<14} {escape(str(d[key]))}")
    out.print("[bold]receipts[/]")
    for r in d["receipts"]:
        via = f" from container {r['parent_id']}" if r["parent_id"] else ""
        src = f" source {r['source']}" if r["source"] else ""
        out.print(f"  {r['at']} by {r['actor']}{src}{via}: {escape(r['name'], line=True)}")
    if d["children"]:
        out.print(f"[bold]children[/] ({len(d['children'])})")
        for ch in d["children"]:
            out.print(
                f"  {ch['id']} {ch['kind']:<9} {ch['status']:<10} {escape(ch['name'], line=True)}"
            )
    about = [(k, d["info"][k]) for k in _ABOUT if d.get("info", {}).get(k) not in (None, "", [])]
    if about:
        out.print("[bold]about[/]")
        for k, v in about:
            out.print(f"  {_ABOUT[k]:<22} {escape(str(v))}")
    out.print("[bold]stages[/]")
    for st in d["stages"]:
        extra = f" — {escape(st['error'])}" if st["error"] else ""
        out.print(f"  {st['stage']} v{st['version']} {escape('[' + st['state'] + ']')}{extra}")
        for w in st.get("warnings", []):
            out.print(f"    [yellow]warning[/] {escape(str(w))}")
    if d["metadata"]:
        out.print("[bold]captured metadata[/] (sealed evidence, never published)")
        for src, meta in d["metadata"].items():
            out.print(f"  {src}: {len(meta)} fields")
            for k, v in list(meta.items())[:40]:
                out.print(f"    {escape(k)}: {escape(str(v))[:120]}")
    if d["derivatives"]:
        out.print("[bold]derivatives[/]")
        for dv in d["derivatives"]:
            out.print(
                f"  {dv['stage']}/{dv['kind']} {dv['mime']} {human_size(dv['size'])} "
                f"sha256 {dv['sha256']}"
            )
    out.print(f"[bold]text units[/] ({len(d['text_units'])})")
    for u in d["text_units"]:
        if u["page"]:
            where = f"page {u['page']}"
        elif u.get("start") is not None:
            where = f"{u['kind']} {u['start']:.1f}–{u['end']:.1f} s"
        else:
            where = u["kind"]
        if u["kind"] == "translation" and u["page"]:
            where += ", translation"
        body = u["text"] if full_text else u["text"][:160].replace("\n", " ")
        label = escape(f"[{where}, {u['method']}, {u['lang'] or '?'}]")
        out.print(f"  {label} {escape(body)}")
    claims = d.get("claims", [])
    if claims:
        linked = [c for c in claims if c["supports"] or c["contradicts"]]
        out.print(f"[bold]claims[/] ({len(claims)}, {len(linked)} linked to other witnesses)")
        for c in (linked or claims)[:10]:
            counts = f"+{c['supports']} −{c['contradicts']}"
            out.print(f"  c{c['id']} [dim]{counts}[/] {escape(c['text'][:140])}")
        out.print(f"  `sijill corroborate {d['id']}`: who supports or contradicts them, and why")
    copies = d.get("publication_copies", [])
    if copies:
        out.print(f"[bold]publication copies[/] ({len(copies)})")
        for pc in copies:
            status = (
                pc["status"] if pc["passed"] else f"[red]failed[/] ({len(pc['findings'])} findings)"
            )
            names = ", ".join(f["name"] for f in pc["files"])
            out.print(f"  copy {pc['id']} {str(pc['created_at'])[:19]} {status}: {escape(names)}")
            # People's decisions behind a copy are never hidden (archive/copy_decisions.py).
            if pc.get("accepted_unreviewed"):
                who = escape(pc["accepted_unreviewed"]["by"])
                out.print(f"    unreviewed transcript accepted by {who}")
            for r in pc.get("resolutions", []):
                verdict = r["verdict"].replace("-", " ")
                out.print(
                    f"    finding {r['finding']} resolved as {verdict} by {escape(r['by'])}: "
                    f"{escape(r['note'])}"
                )
    out.print("[bold]custody[/]")
    for e in d["custody"]:
        out.print(f"  #{e['seq']} {e['at']} {e['actor']} {e['action']} {e['hash'][:16]}…")


@click.command()
@click.argument("item")
@click.option("--text", "full_text", is_flag=True, help="Print every text unit in full.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def show(c: Ctx, item: str, full_text: bool, as_json: bool) -> None:
    """One item: provenance, captured metadata, derivatives, text units, claims, custody."""
    detail = reading.item(c.context(), item, full=True)
    if as_json:
        emit_json(detail)
    else:
        _print_detail(detail, full_text)


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--case", default=None, help="Only this case.")
@click.option("--lang", default=None, help="Only text units in this language (en, fr, ar...).")
@click.option("--kind", default=None, help="Only items of this kind (document, image, email...).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def search(
    c: Ctx,
    query: tuple[str, ...],
    case: str | None,
    lang: str | None,
    kind: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Full-text search: words, "exact phrases", prefix*, -excluded, OR."""
    q = " ".join(query)
    hits, total = reading.search(
        c.context(), q, case=case, lang=lang, kind=kind, limit=limit, offset=offset
    )
    if as_json:
        emit_json({"query": q, "hits": hits, "total": total})
        return
    for h in hits:
        start = h["start"]
        where = (
            f"p.{h['page']}"
            if h["page"]
            else (f"{start:.1f}s" if start is not None else h["unit_kind"])
        )
        out.print(
            f"[bold]{h['item_id']}[/] {escape(h['name'], line=True)} "
            f"[dim]({where}, {h['lang'] or '?'}, {h['method']})[/]"
        )
        snippet = Text(h["snippet"])
        for s0, e0 in h["highlights"]:
            snippet.stylize("bold yellow", s0, e0)
        out.print(Text("    ").append(snippet))
    out.print(
        f"{total} hits"
        + (f" (showing {offset + 1}–{offset + len(hits)})" if total > len(hits) else "")
    )


@click.command()
@click.argument("item")
@click.option("--original", is_flag=True, required=True, help="Export the sealed original.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True)
@click.option("--force", is_flag=True, help="Overwrite the output file.")
@pass_ctx
def export(c: Ctx, item: str, original: bool, out_path: Path, force: bool) -> None:
    """Decrypt one original to a file (recorded as a custody event)."""
    archive = c.archive(unlock=True)
    item_id, sha = export_original(
        archive, item, out_path, actor=c.settings.actor(), overwrite=force
    )
    out.print(f"exported {item_id} to {out_path} (sha256 {sha})")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--expect-head",
    metavar="HASH[:LENGTH]",
    default=None,
    help="A head `verify` printed before (written down or signed): the chain must contain it.",
)
@pass_ctx
def verify(c: Ctx, as_json: bool, expect_head: str | None) -> None:
    """Re-hash every blob, recompute the custody chain and its anchor, check the records."""
    archive = c.archive(unlock=True)
    report = verify_service(archive, expect_head=expect_head)
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(
            f"checked {report.blobs_checked} blobs, {report.events_checked} custody events "
            f"and {report.records_checked} records"
        )
        if report.head is not None:
            out.print(f"custody head: {report.head.hash}:{report.head.length}")
        for p in report.problems:
            if p["what"] == "custody_event":
                out.print(f"[red]BROKEN[/] custody event #{p['seq']}: {p['reason']}")
            elif "blob" in p:
                out.print(
                    f"[red]BROKEN[/] {p['what']} {p['ref']} (blob {p['blob']}): {p['reason']}"
                )
            else:
                out.print(f"[red]BROKEN[/] {escape(p['reason'])}")
        for w in report.warnings:
            out.print(f"[yellow]warning[/] {escape(w)}")
        if report.ok:
            out.print("[green]all hashes, the custody chain and its anchor verify[/]")
    if not report.ok:
        sys.exit(1)


COMMANDS = [items, show, search, export, verify]
