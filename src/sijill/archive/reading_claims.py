"""What the archive found in its texts, as services: entities, merges, claims, corroboration,
timelines and near-duplicate media. Each takes a `Context` and reads only cases the actor
can see; a person reading across cases names one (`case`), unless they belong to only one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sijill.archive.access import Can, require
from sijill.archive.claims import claim_links, claim_ref, find_entity, get_claim, list_claims
from sijill.archive.claims import timeline as _timeline
from sijill.archive.context import Context
from sijill.archive.lookup import item_of
from sijill.archive.similar import hash_counts
from sijill.archive.similar import similar as _similar
from sijill.errors import ConfigError, NotFound
from sijill.storage import shapes
from sijill.storage.repositories import items as items_repo
from sijill.storage.repositories.entities import entity_mentions, list_entities, list_merges
from sijill.storage.repositories.item_views import item_json


def _scope(s: Session, ctx: Context, case: str | None) -> str | None:
    """The case to read: `case` (checked), every case for the custodian (None), or a
    person's only case."""
    if case is not None:
        require(ctx.actor, case, Can.READ)
        return case
    if ctx.actor.is_custodian:
        return None
    mine = ctx.actor.cases(items_repo.case_ids(s))
    if len(mine) != 1:
        raise ConfigError(f"say which case (--case): you are in {len(mine)}")
    return mine[0]


def entities(
    ctx: Context,
    *,
    case: str | None = None,
    item_ref: str | None = None,
    label: str | None = None,
    limit: int | None = None,
    with_mentions: bool = False,
) -> tuple[list[shapes.Entity], int]:
    with ctx.reading() as s:
        item = item_of(s, ctx, item_ref) if item_ref else None
        scope = item.case_id if item is not None else _scope(s, ctx, case)
        rows, total = list_entities(s, case=scope, item=item, label=label, limit=limit)
        if with_mentions:
            for r in rows:
                r["where"] = entity_mentions(s, r["id"])
        return rows, total


def merges(
    ctx: Context, *, case: str | None = None, status: str | None = None
) -> list[shapes.Merge]:
    with ctx.reading() as s:
        return list_merges(s, case=_scope(s, ctx, case), status=status)


def claims(
    ctx: Context,
    *,
    case: str | None = None,
    item_ref: str | None = None,
    linked_only: bool = False,
    limit: int | None = None,
) -> tuple[list[shapes.Claim], int]:
    with ctx.reading() as s:
        item = item_of(s, ctx, item_ref) if item_ref else None
        scope = None if item is not None else _scope(s, ctx, case)
        return list_claims(s, case=scope, item=item, linked_only=linked_only, limit=limit)


def corroboration(ctx: Context, ref: str) -> list[shapes.Claim]:
    """A claim (c123) or every claim of an item, each with its links to other sources."""
    with ctx.reading() as s:
        cid = claim_ref(ref)
        # "c123" is always a claim; bare digits are one unless they are a long item id prefix.
        if cid is not None and (ref.strip()[0] in "cC" or len(ref.strip()) < 8):
            claim = get_claim(s, cid)
            if not ctx.actor.sees(claim.case_id):
                raise NotFound(f"no claim c{cid}")
            item = item_of(s, ctx, claim.item_id)
            rows = [cl for cl in list_claims(s, item=item)[0] if cl["id"] == claim.id]
        else:
            rows = list_claims(s, item=item_of(s, ctx, ref))[0]
        for cl in rows:
            cl["links"] = claim_links(s, cl["id"])
        return rows


def timeline(
    ctx: Context, entity: str, case: str | None = None
) -> tuple[shapes.EntityHead, list[shapes.Claim]]:
    with ctx.reading() as s:
        scope = _scope(s, ctx, case)
        ent = find_entity(s, entity, scope)
        if not ctx.actor.sees(ent.case_id):
            raise NotFound(f"no entity named {entity!r}")
        ent, rows = _timeline(s, ent.id)
        head: shapes.EntityHead = {
            "id": ent.id,
            "label": ent.label,
            "name": ent.name,
            "case": ent.case_id,
        }
        return head, rows


def similar(
    ctx: Context, ref: str, *, max_distance: int, min_quality: int
) -> tuple[shapes.ItemSummary, list[dict[str, Any]], int, int]:
    """(item, near-duplicates, hashes, usable hashes) of an image or video in its case."""
    with ctx.reading() as s:
        it = item_of(s, ctx, ref)
        hashes, usable = hash_counts(s, it.id, min_quality)
        found = _similar(s, it.id, max_distance=max_distance, min_quality=min_quality)
        return item_json(it), found, hashes, usable
