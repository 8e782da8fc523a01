"""What a person may read of the archive, and the one way to open an original: services for
every face (the HTTP API first, the CLI as it moves over).

Each function takes a `Context`, checks the actor's role in the case of what is asked for
(`access.require`), and returns what they may see:
- items are looked up by their exact id only (no prefixes, which would say that an id exists
  in a case the person cannot see); one they cannot see is NotFound, like a missing one;
- listings and search cover only the cases the person is a member of;
- captured metadata (camera, GPS, e-mail headers) and where an item was found are an
  investigator's: observers and reviewers see the working copies (texts, transcripts, names,
  claims) but not the metadata that locates a source;
- an original is an investigator's or an owner's, and every opening is a custody event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sijill.archive.access import Can, Role, require
from sijill.archive.claims import claim_links, get_claim, list_claims
from sijill.archive.context import Context
from sijill.archive.lookup import item_of
from sijill.archive.publication import copy_json, list_copies
from sijill.archive.transcripts import transcript
from sijill.errors import Forbidden, IntegrityError, NotFound
from sijill.storage import custody, shapes
from sijill.storage import search as search_store
from sijill.storage.blobs import LocalBlobStore
from sijill.storage.models import Claim, ProtectedTerm
from sijill.storage.repositories import items as items_repo
from sijill.storage.repositories.entities import list_entities
from sijill.storage.repositories.item_views import (
    item_detail,
    item_json,
    list_items,
    status_summary,
)

# Item info keys that say where a file was made or found: investigators only.
_LOCATING = ("location", "gps", "has_gps")


def _cases(s: Session, ctx: Context) -> list[str]:
    names = items_repo.case_ids(s)
    return ctx.actor.cases(names)


def cases(ctx: Context) -> list[shapes.CaseRole]:
    with ctx.reading() as s:
        return [
            {"id": c, "role": (r.label if (r := ctx.actor.role_in(c)) else None)}
            for c in _cases(s, ctx)
        ]


def items(
    ctx: Context,
    *,
    case: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    parent: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[shapes.ItemSummary], int]:
    with ctx.reading() as s:
        if case is not None:
            require(ctx.actor, case, Can.READ)
            visible = [case]
        else:
            visible = _cases(s, ctx)
        rows, total = list_items(
            s,
            cases=visible,
            kind=kind,
            status=status,
            parent=parent,
            limit=limit,
            offset=offset,
        )
        return [item_json(i) for i in rows], total


def item(ctx: Context, item_id: str, *, full: bool = False) -> shapes.ItemDetail:
    """One item in detail; `full` adds its claims and (investigators) publication copies."""
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        doc = item_detail(s, it)
        if full:
            doc["claims"] = list_claims(s, item=it)[0]
            if ctx.actor.can(it.case_id, Can.INVESTIGATE):
                doc["publication_copies"] = [copy_json(r) for r in list_copies(s, it)]
        role = ctx.actor.role_in(it.case_id)
        if role is None or role < Role.INVESTIGATOR:
            doc.pop("metadata", None)
            doc["info"] = {
                k: v for k, v in doc["info"].items() if not any(w in k for w in _LOCATING)
            }
        return doc


def status(ctx: Context) -> shapes.Status:
    """Counts per stage and state, with every failure: the whole archive's (custodian)."""
    if not ctx.actor.is_custodian:
        raise Forbidden("the archive's processing status is for its custodian")
    with ctx.reading() as s:
        return status_summary(s)


def copies(ctx: Context, item_id: str | None = None) -> list[shapes.Copy]:
    """Publication copies, of one item or of every case the actor investigates."""
    with ctx.reading() as s:
        if item_id is not None:
            it = item_of(s, ctx, item_id, Can.INVESTIGATE)
            return [copy_json(r) for r in list_copies(s, it)]
        return [copy_json(r) for r in list_copies(s) if ctx.actor.can(r.case_id, Can.INVESTIGATE)]


def search(
    ctx: Context,
    query: str,
    *,
    case: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[shapes.SearchHit], int]:
    with ctx.reading() as s:
        if case is not None:
            require(ctx.actor, case, Can.READ)
        hits, total = search_store.search(
            s,
            query,
            case=case,
            lang=lang,
            kind=kind,
            limit=limit,
            offset=offset,
            cases=None if ctx.actor.is_custodian else _cases(s, ctx),
        )
        return [h.to_json() for h in hits], total


def item_transcript(ctx: Context, item_id: str) -> shapes.Transcript:
    with ctx.reading() as s:
        return transcript(s, item_of(s, ctx, item_id))


def item_entities(ctx: Context, item_id: str) -> tuple[list[shapes.Entity], int]:
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        return list_entities(s, case=it.case_id, item=it)


def item_claims(ctx: Context, item_id: str) -> tuple[list[shapes.Claim], int]:
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        return list_claims(s, item=it)


def links_of_claim(ctx: Context, claim_id: int) -> list[shapes.Link]:
    with ctx.reading() as s:
        claim = get_claim(s, claim_id)
        if not ctx.actor.sees(claim.case_id):
            raise NotFound(f"no claim c{claim_id}")
        require(ctx.actor, claim.case_id, Can.READ)
        return claim_links(s, claim_id)


def claim_of_item(ctx: Context, item_id: str, claim_id: int) -> None:
    """NotFound unless claim `claim_id` is one of the item's (and the item is visible)."""
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        claim = s.get(Claim, claim_id)
        if claim is None or claim.item_id != it.id:
            raise NotFound(f"item {item_id} has no claim c{claim_id}")


def item_custody(ctx: Context, item_id: str) -> list[shapes.Event]:
    with ctx.reading() as s:
        item_of(s, ctx, item_id)
        return [custody.event_json(e) for e in custody.events_for(s, item_id)]


def terms(ctx: Context, case: str) -> list[shapes.Term]:
    from sijill.archive.terms import list_terms, term_json

    with ctx.reading() as s:
        require(ctx.actor, case, Can.INVESTIGATE)
        rows: Sequence[ProtectedTerm] = list_terms(s, case)
        return [term_json(t) for t in rows]


@dataclass(frozen=True)
class Media:
    data: bytes
    mime: str
    name: str


# The working copies a player can use, best first.
_PLAYABLE = ("video_working", "audio_16k")


@dataclass(frozen=True)
class MediaRef:
    blob: str  # the working copy's blob: decrypt it with the archive's blob store
    mime: str
    name: str
    size: int


def media_ref(ctx: Context, item_id: str) -> MediaRef:
    """The item's best playable working copy (a browser video, else the audio)."""
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        rows = items_repo.live_derivatives(s, it.id, _PLAYABLE)
    if not rows:
        raise NotFound(f"item {item_id} has no media working copy")
    best = min(rows, key=lambda d: _PLAYABLE.index(d.kind))
    return MediaRef(best.blob, best.mime, f"{item_id}-{best.kind}", best.size)


def original(ctx: Context, blobs: LocalBlobStore, item_id: str, to: str) -> Media:
    """The original's exact bytes, checked against its seal; a custody event names who
    opened it and for what (`to`: "api", a file name)."""
    import hashlib

    with ctx.reading() as s:
        it = item_of(s, ctx, item_id, Can.INVESTIGATE)
        blob, sha, mime, name = it.blob, it.sha256, it.mime, it.name
    data = blobs.read_bytes(blob)
    if hashlib.sha256(data).hexdigest() != sha:
        raise IntegrityError(f"item {item_id}: the sealed original does not hash to its seal")
    with ctx.session() as s:
        custody.append(s, ctx.actor.name, "exported_original", item_id, {"sha256": sha, "to": to})
    return Media(data, mime, name)
