"""Publication copies and protected terms, as services for every face: an investigator's
work (DESIGN §5), checked here with the actor's role in the item's or the term's case."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sijill.archive.access import Can, require
from sijill.archive.context import Context
from sijill.archive.copy_decisions import resolve_finding
from sijill.archive.copy_release import write_copy
from sijill.archive.lookup import item_of
from sijill.archive.publication import (
    ProtectOptions,
    ProtectResult,
    add_region,
    copy_json,
    protect,
)
from sijill.archive.terms import accept, add_term, leakcheck_terms, propose, remove_term, term_json
from sijill.errors import NotFound
from sijill.storage import shapes
from sijill.storage.archive import Archive
from sijill.storage.models import PublicationCopy

Box = tuple[int, int, int, int]


def _item_id(ctx: Context, ref: str) -> str:
    with ctx.reading() as s:
        return item_of(s, ctx, ref, Can.INVESTIGATE).id


def add_regions(
    ctx: Context, ref: str, regions: Sequence[tuple[Box, float | None, float | None]]
) -> None:
    """Areas of an image or video to fill whatever the detectors say."""
    with ctx.session() as s:
        item = item_of(s, ctx, ref, Can.INVESTIGATE)
        for box, start, end in regions:
            add_region(s, item.id, ctx.actor.name, box, start=start, end=end)


def make_copy(
    ctx: Context,
    archive: Archive,
    ref: str,
    options: ProtectOptions,
    *,
    out: Path | None = None,
    progress: Any = None,
) -> ProtectResult:
    """Build, leak-check and store the item's publication copy."""
    item_id = _item_id(ctx, ref)
    return protect(archive, item_id, ctx.actor.name, options, out=out, progress=progress)


def _copy(ctx: Context, copy_id: int) -> PublicationCopy:
    with ctx.reading() as s:
        row = s.get(PublicationCopy, copy_id)
        if row is None or not ctx.actor.sees(row.case_id):
            raise NotFound(f"no publication copy {copy_id}")
        require(ctx.actor, row.case_id, Can.INVESTIGATE)
        return row


def copy_doc(ctx: Context, copy_id: int) -> shapes.Copy:
    _copy(ctx, copy_id)
    with ctx.reading() as s:
        return copy_json(s.get_one(PublicationCopy, copy_id))


def resolve(ctx: Context, copy_id: int, number: int, verdict: str, note: str) -> shapes.Copy:
    """A person's verdict that one finding of a copy is a false positive."""
    _copy(ctx, copy_id)
    with ctx.session() as s:
        return copy_json(resolve_finding(s, copy_id, number, verdict, note, ctx.actor.name))


def write(ctx: Context, archive: Archive, copy_id: int, out: Path) -> list[Path]:
    """Write a copy that passed (re-checked) to `out`: a custody event."""
    _copy(ctx, copy_id)
    return write_copy(archive, copy_id, out, ctx.actor.name)


def terms_of(ctx: Context, case: str | None) -> list[shapes.Term]:
    from sijill.archive.terms import list_terms

    with ctx.reading() as s:
        if case is not None:
            require(ctx.actor, case, Can.INVESTIGATE)
        return [
            term_json(t) for t in list_terms(s, case) if ctx.actor.can(t.case_id, Can.INVESTIGATE)
        ]


def protect_terms(
    ctx: Context,
    case: str,
    terms: Sequence[str],
    *,
    kind: str,
    pseudonym: str | None,
    same_as: str | None,
) -> list[shapes.Term]:
    """Protect terms in a case; several spellings given together share one pseudonym."""
    with ctx.session() as s:
        require(ctx.actor, case, Can.INVESTIGATE)
        rows, first = [], None
        for term in terms:
            row = add_term(
                s,
                case,
                term,
                ctx.actor.name,
                kind=kind,
                pseudonym=pseudonym if first is None else first,
                same_as=same_as if first is None else None,
            )
            first = first or row.pseudonym
            rows.append(term_json(row))
        return rows


def unprotect_term(ctx: Context, case: str, term: str) -> None:
    with ctx.session() as s:
        require(ctx.actor, case, Can.INVESTIGATE)
        remove_term(s, case, term, ctx.actor.name)


def term_proposals(
    ctx: Context, case: str, accept_ids: Sequence[int] = ()
) -> tuple[list[shapes.Term], list[shapes.Proposal]]:
    """(terms just protected from `accept_ids`, names still to propose)."""
    with ctx.session() as s:
        require(ctx.actor, case, Can.INVESTIGATE)
        accepted = [
            term_json(t) for eid in accept_ids for t in accept(s, case, eid, ctx.actor.name)
        ]
        return accepted, propose(s, case)


def terms_for_leakcheck(ctx: Context, case: str | None) -> list[str]:
    with ctx.reading() as s:
        if case is not None:
            require(ctx.actor, case, Can.INVESTIGATE)
        elif not ctx.actor.is_custodian:
            raise NotFound("say which case's terms to check for (--case)")
        return list(leakcheck_terms(s, case))
