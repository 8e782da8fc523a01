"""`sijill protect`, `sijill terms`, `sijill copies`: publication copies and what they hide."""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from sijill.archive.archive import DEFAULT_CASE
from sijill.archive.publication import (
    ProtectOptions,
    add_region,
    copy_json,
    list_copies,
    protect,
    read_review,
    write_copy,
)
from sijill.archive.queries import resolve_item
from sijill.archive.terms import (
    KINDS,
    accept,
    add_term,
    list_terms,
    propose,
    remove_term,
    term_json,
)
from sijill.cli.common import Ctx, FrameBar, emit_json, err, out, pass_ctx

_REGION = re.compile(r"^(\d+),(\d+),(\d+),(\d+)(?:@(\d+(?:\.\d+)?)?-(\d+(?:\.\d+)?)?)?$")


def _region(value: str) -> tuple[tuple[int, int, int, int], float | None, float | None]:
    m = _REGION.match(value.replace(" ", ""))
    if not m:
        raise click.BadParameter(
            f"{value!r}: write X,Y,W,H in pixels, optionally @START-END in seconds "
            "(e.g. 120,40,80,80@3.5-9)"
        )
    x, y, w, h = (int(m.group(i)) for i in range(1, 5))
    start = float(m.group(5)) if m.group(5) else None
    end = float(m.group(6)) if m.group(6) else None
    return (x, y, w, h), start, end


def _print_findings(findings: list[dict[str, str]]) -> None:
    table = Table("file", "where", "what", box=None, title="leak check findings")
    for f in findings:
        table.add_row(escape(f["file"]), escape(f["where"]), escape(f["what"]))
    out.print(table)


@click.command("protect")
@click.argument("ref", metavar="ITEM")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write the publication files here (only if the leak check passes).",
)
@click.option(
    "--faces",
    "face_mode",
    type=click.Choice(["solid", "blur", "mosaic"]),
    default="solid",
    show_default=True,
    help="How faces and marked regions are filled.",
)
@click.option(
    "--voice",
    "voice_mode",
    type=click.Choice(["revoice", "none", "mcadams"]),
    default="revoice",
    show_default=True,
    help="revoice: the redacted transcript spoken by a synthetic voice in the original "
    "timing; none: no audio, subtitles only; mcadams: the altered original voice (weak, needs "
    "--accept-weak-voice).",
)
@click.option(
    "--accept-weak-voice",
    is_flag=True,
    help="Accept that an altered voice may be undone or recognised.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="X,Y,W,H[@START-END]",
    help="Also fill this area (pixels of the upright picture; seconds for video). Kept for "
    "later copies of the item.",
)
@click.option(
    "--review",
    "review_out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the sheet of borderline face detections here (internal: never publish it).",
)
@click.option("--no-speech-check", is_flag=True, help="Skip transcribing the copy's audio.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def protect_cmd(
    c: Ctx,
    ref: str,
    out_dir: Path | None,
    face_mode: str,
    voice_mode: str,
    accept_weak_voice: bool,
    regions: tuple[str, ...],
    review_out: Path | None,
    no_speech_check: bool,
    as_json: bool,
) -> None:
    """Make ITEM's publication copy: rebuilt from what may be shown, then leak-checked.

    Images and PDFs are rebuilt from pixels and page content; faces are filled on every
    frame; the voice is re-spoken from the redacted transcript; the case's protected terms
    (`sijill terms`) are replaced by their pseudonyms. Exit 1 when the independent leak check
    finds anything: nothing is written out then.
    """
    parsed = [_region(r) for r in regions]
    archive = c.archive(unlock=True)
    actor = c.settings.actor()
    if parsed:
        with archive.catalog.session() as s:
            for box, start, end in parsed:
                add_region(s, ref, actor, box, start=start, end=end)
    options = ProtectOptions(
        face_mode=face_mode,
        voice_mode=voice_mode,
        accept_weak_voice=accept_weak_voice,
        speech_check=not no_speech_check,
    )
    if voice_mode == "mcadams" and accept_weak_voice:
        err.print(
            "[yellow]warning:[/] the altered voice is weak; someone who knows the witness may "
            "still recognise it, and the alteration may be undone"
        )
    with FrameBar("protecting") as bar:
        result = protect(archive, ref, actor, options, out=out_dir, progress=bar.update)
    doc = result.copy
    if review_out is not None and doc["params"].get("review_sheet"):
        read_review(archive, doc["id"], review_out)
    if as_json:
        emit_json({**doc, "written": [str(p) for p in result.files]})
    else:
        status = "[green]passed[/]" if doc["passed"] else "[red]FAILED[/]"
        out.print(f"publication copy {doc['id']} of item {doc['item']}: leak check {status}")
        for f in doc["files"]:
            out.print(f"  {escape(f['name'])}  {f['role']}  {f['size']} bytes  {f['sha256'][:16]}")
        if doc["findings"]:
            _print_findings(doc["findings"])
        if result.files:
            out.print(f"written to {escape(str(out_dir))}")
        elif out_dir is not None:
            err.print("[red]nothing written:[/] the copy did not pass the leak check")
        unprotected = doc["report"].get("unprotected_names") or []
        if unprotected:
            names = "; ".join(", ".join(u["spellings"]) for u in unprotected)
            err.print(
                f"[yellow]warning:[/] person names found in this item are not protected and "
                f"stay in the copy: {escape(names)}. Protect them with `sijill terms propose "
                f"--case {doc['case']} --accept ENTITY` and run protect again, or confirm they "
                "may be shown."
            )
        if doc["report"].get("transcript_reviewed") is False:
            err.print(
                "[yellow]note:[/] the transcript was not reviewed by a person: a misheard name "
                "is not recognised as protected. Correct it with `sijill transcript "
                f"{doc['item']} --ids` and `--correct SEGMENT TEXT`, mark it `--mark-reviewed`, "
                "and protect again."
            )
        if doc["params"].get("review_sheet"):
            hint = f" → {review_out}" if review_out else " (write it with --review FILE)"
            err.print(f"borderline face detections to review{hint}")
    if not doc["passed"]:
        raise SystemExit(1)


@click.command("copies")
@click.argument("ref", metavar="ITEM", required=False)
@click.option(
    "--write",
    "copy_id",
    type=int,
    default=None,
    help="Write this publication copy (it must have passed) to --out.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def copies_cmd(
    c: Ctx, ref: str | None, copy_id: int | None, out_dir: Path | None, as_json: bool
) -> None:
    """List publication copies (of ITEM), or write one that passed with --write ID --out DIR."""
    archive = c.archive()
    if copy_id is not None:
        if out_dir is None:
            raise click.UsageError("--write needs --out DIR")
        archive.unlock()
        written = write_copy(archive, copy_id, out_dir, c.settings.actor())
        if as_json:
            emit_json({"copies": [], "written": [str(p) for p in written]})
        else:
            out.print(f"wrote {len(written)} files to {escape(str(out_dir))}")
        return
    with archive.catalog.session() as s:
        item = resolve_item(s, ref) if ref else None
        rows = [copy_json(r) for r in list_copies(s, item)]
    if as_json:
        emit_json({"copies": rows, "total": len(rows)})
        return
    table = Table("id", "item", "status", "files", "findings", "made", box=None)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["item"],
            "passed" if r["passed"] else "[red]failed[/]",
            ", ".join(f["name"] for f in r["files"]),
            str(len(r["findings"])),
            str(r["created_at"])[:19],
        )
    out.print(table)


@click.group("terms", invoke_without_command=True)
@click.option("--case", default=None, help="Only this case.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def terms_cmd(click_ctx: click.Context, case: str | None, as_json: bool) -> None:
    """A case's protected terms and their pseudonyms.

    Real names, kunyas, home towns, safe-house locations and phone numbers listed here are
    replaced by their pseudonym ("Witness A") in every publication copy, and the leak check
    searches every published file for them.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    c: Ctx = click_ctx.obj
    with c.archive().catalog.session() as s:
        rows = [term_json(t) for t in list_terms(s, case)]
    if as_json:
        emit_json({"terms": rows, "total": len(rows)})
        return
    table = Table("case", "pseudonym", "kind", "term", box=None)
    for r in rows:
        table.add_row(r["case"], r["pseudonym"], r["kind"], escape(r["term"]))
    out.print(table)
    out.print(f"{len(rows)} protected terms")


@terms_cmd.command("add")
@click.argument("terms", nargs=-1, required=True)
@click.option("--case", default=DEFAULT_CASE, show_default=True)
@click.option("--kind", type=click.Choice(KINDS), default="name", show_default=True)
@click.option("--pseudonym", default=None, help="Default: the next free one (Witness A, B, …).")
@click.option("--same-as", default=None, metavar="TERM", help="Share this term's pseudonym.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def terms_add(
    c: Ctx,
    terms: tuple[str, ...],
    case: str,
    kind: str,
    pseudonym: str | None,
    same_as: str | None,
    as_json: bool,
) -> None:
    """Protect TERMS in a case. Several spellings given together share one pseudonym."""
    actor = c.settings.actor()
    rows = []
    with c.archive().catalog.session() as s:
        first = None
        for term in terms:
            row = add_term(
                s,
                case,
                term,
                actor,
                kind=kind,
                pseudonym=pseudonym if first is None else first,
                same_as=same_as if first is None else None,
            )
            first = first or row.pseudonym
            rows.append(term_json(row))
    if as_json:
        emit_json({"terms": rows, "total": len(rows)})
        return
    for r in rows:
        out.print(f"{escape(r['term'])} → {r['pseudonym']}")


@terms_cmd.command("remove")
@click.argument("term")
@click.option("--case", default=DEFAULT_CASE, show_default=True)
@pass_ctx
def terms_remove(c: Ctx, term: str, case: str) -> None:
    """Stop protecting TERM (a custody event)."""
    with c.archive().catalog.session() as s:
        remove_term(s, case, term, c.settings.actor())
    err.print(f"{escape(term)} is no longer protected in case {case}")


@terms_cmd.command("propose")
@click.option("--case", default=DEFAULT_CASE, show_default=True)
@click.option("--accept", "accept_ids", multiple=True, type=int, metavar="ENTITY")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def terms_propose(c: Ctx, case: str, accept_ids: tuple[int, ...], as_json: bool) -> None:
    """Detected person names not protected yet; --accept ENTITY protects all its spellings."""
    actor = c.settings.actor()
    with c.archive().catalog.session() as s:
        for eid in accept_ids:
            for t in accept(s, case, eid, actor):
                err.print(f"{escape(t.term)} → {t.pseudonym}")
        rows = propose(s, case)
    if as_json:
        emit_json({"proposals": rows, "total": len(rows)})
        return
    table = Table("entity", "name", "mentions", "spellings", box=None)
    for r in rows:
        table.add_row(
            str(r["entity_id"]),
            escape(r["name"]),
            str(r["mentions"]),
            escape(", ".join(r["spellings"])),
        )
    out.print(table)
    if rows:
        out.print("protect one with: sijill terms propose --case " + case + " --accept ENTITY")
