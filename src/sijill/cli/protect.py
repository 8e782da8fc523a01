"""`sijill protect`, `sijill terms`, `sijill copies`: publication copies and what they hide."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sijill.archive import copies, reading
from sijill.archive.copy_decisions import VERDICTS, fill_hint
from sijill.archive.publication import ProtectOptions, read_review
from sijill.archive.terms import KINDS
from sijill.cli.common import Ctx, FrameBar, emit_json, err, escape, out, pass_ctx
from sijill.storage.archive import DEFAULT_CASE

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


def _print_findings(doc: Mapping[str, Any]) -> None:
    """The copy's findings, numbered, and what a person can do about each."""
    resolved = {r["finding"]: r for r in doc.get("resolutions", [])}
    table = Table("no", "kind", "file", "where", "what", box=None, title="leak check findings")
    for n, f in enumerate(doc["findings"], 1):
        mark = " [green](resolved)[/]" if n in resolved else ""
        table.add_row(
            str(n), f["kind"], escape(f["file"]), escape(f["where"]), escape(f["what"]) + mark
        )
    out.print(table)
    for n, f in enumerate(doc["findings"], 1):
        if n in resolved:
            continue
        hint = fill_hint(doc["item"], f)
        verdict = VERDICTS.get(f["kind"])
        if hint:
            out.print(f"  {n}: if it is a face, fill it and protect again: {escape(hint)}")
        if verdict:
            out.print(
                f"  {n}: if it is {verdict.replace('-', ' ')}, resolve it: sijill copies "
                f"--resolve {doc['id']} {n} --{verdict} --note TEXT"
            )
        elif not hint:
            out.print(f"  {n}: a {f['kind']} finding cannot be resolved: fix the item")


def _print_decisions(doc: Mapping[str, Any]) -> None:
    """Never silently: what people waved through for this copy, by whom, and why."""
    acc = doc.get("accepted_unreviewed")
    if acc:
        err.print(
            f"[yellow]accepted:[/] {escape(acc['by'])} accepted an unreviewed transcript "
            f"for copy {doc['id']} ({acc['at']})"
        )
    for r in doc.get("resolutions", []):
        f = doc["findings"][r["finding"] - 1]
        err.print(
            f"[yellow]resolved:[/] finding {r['finding']} of copy {doc['id']} ({f['kind']}, "
            f"{escape(f['where'])}) is {r['verdict'].replace('-', ' ')} according to "
            f"{escape(r['by'])}: {escape(r['note'])}"
        )


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
@click.option(
    "--accept-unreviewed",
    is_flag=True,
    help="Re-voice or subtitle from a transcript nobody reviewed (recorded with the copy): a "
    "misheard protected name would be spoken and subtitled.",
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
    accept_unreviewed: bool,
    no_speech_check: bool,
    as_json: bool,
) -> None:
    """Make ITEM's publication copy: rebuilt from what may be shown, then leak-checked.

    Images and PDFs are rebuilt from pixels and page content; faces are filled on every
    frame; the voice is re-spoken from the redacted transcript; the case's protected terms
    (`sijill terms`) are replaced by their pseudonyms. Exit 1 when the independent leak check
    finds anything: nothing is written out then. Exit 2 when the copy would re-speak or
    subtitle a transcript nobody reviewed, unless --accept-unreviewed is given.
    """
    parsed = [_region(r) for r in regions]
    archive = c.archive(unlock=True)
    ctx = c.context()
    if parsed:
        copies.add_regions(ctx, ref, parsed)
    options = ProtectOptions(
        face_mode=face_mode,
        voice_mode=voice_mode,
        accept_weak_voice=accept_weak_voice,
        speech_check=not no_speech_check,
        accept_unreviewed=accept_unreviewed,
    )
    if voice_mode == "mcadams" and accept_weak_voice:
        err.print(
            "[yellow]warning:[/] the altered voice is weak; someone who knows the witness may "
            "still recognise it, and the alteration may be undone"
        )
    with FrameBar("protecting") as bar:
        result = copies.make_copy(ctx, archive, ref, options, out=out_dir, progress=bar.update)
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
            _print_findings(doc)
        _print_decisions(doc)
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
        if doc["report"].get("transcript_reviewed") is False and not doc["accepted_unreviewed"]:
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
    help="Write this publication copy (passed, or every finding resolved) to --out.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--resolve",
    nargs=2,
    type=int,
    default=None,
    metavar="COPY FINDING",
    help="Mark finding number FINDING of copy COPY a false positive (with --not-a-face or "
    "--not-a-name and --note).",
)
@click.option("--not-a-face", "verdict", flag_value="not-a-face", help="It is no face.")
@click.option("--not-a-name", "verdict", flag_value="not-a-name", help="It is no protected name.")
@click.option("--note", default=None, help="What the finding really is (kept with the copy).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def copies_cmd(
    c: Ctx,
    ref: str | None,
    copy_id: int | None,
    out_dir: Path | None,
    resolve: tuple[int, int] | None,
    verdict: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """List publication copies (of ITEM), resolve a finding, or write one with --write ID --out DIR.

    A finding the leak check got wrong (a pattern taken for a face, a word taken for a name)
    can be resolved by a person with a note: a custody event, shown with the copy, void for
    any new copy. A copy whose every finding is resolved may be written.
    """
    archive = c.archive()
    ctx = c.context()
    if resolve is not None:
        if verdict is None or not note:
            raise click.UsageError("--resolve needs --not-a-face or --not-a-name, and --note")
        # For now the local custodian: whoever holds the archive's passphrase.
        archive.unlock()
        doc = copies.resolve(ctx, resolve[0], resolve[1], verdict, note)
        if as_json:
            emit_json({"copies": [doc], "total": 1})
        else:
            out.print(f"finding {resolve[1]} of copy {resolve[0]} resolved; copy {doc['status']}")
        return
    if copy_id is not None:
        if out_dir is None:
            raise click.UsageError("--write needs --out DIR")
        archive.unlock()
        written = copies.write(ctx, archive, copy_id, out_dir)
        doc = copies.copy_doc(ctx, copy_id)
        if as_json:
            emit_json({"copies": [doc], "written": [str(p) for p in written]})
        else:
            _print_decisions(doc)
            out.print(f"wrote {len(written)} files to {escape(str(out_dir))}")
        return
    rows = reading.copies(ctx, ref)
    if as_json:
        emit_json({"copies": rows, "total": len(rows)})
        return
    table = Table("id", "item", "status", "files", "findings", "made", box=None)
    for r in rows:
        resolved = f" ({len(r['resolutions'])} resolved)" if r["resolutions"] else ""
        table.add_row(
            str(r["id"]),
            r["item"],
            r["status"] if r["passed"] else f"[red]{r['status']}[/]",
            ", ".join(escape(f["name"]) for f in r["files"]),
            f"{len(r['findings'])}{resolved}",
            str(r["created_at"])[:19],
        )
    out.print(table)
    for r in rows:
        _print_decisions(r)


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
    rows = copies.terms_of(c.context(), case)
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
    rows = copies.protect_terms(
        c.context(), case, terms, kind=kind, pseudonym=pseudonym, same_as=same_as
    )
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
    copies.unprotect_term(c.context(), case, term)
    err.print(f"{escape(term)} is no longer protected in case {case}")


@terms_cmd.command("propose")
@click.option("--case", default=DEFAULT_CASE, show_default=True)
@click.option("--accept", "accept_ids", multiple=True, type=int, metavar="ENTITY")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_ctx
def terms_propose(c: Ctx, case: str, accept_ids: tuple[int, ...], as_json: bool) -> None:
    """Detected person names not protected yet; --accept ENTITY protects all its spellings."""
    accepted, rows = copies.term_proposals(c.context(), case, accept_ids)
    for t in accepted:
        err.print(f"{escape(t['term'])} → {t['pseudonym']}")
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
