"""Read side of claims: what each witness asserts, who supports or contradicts it, and when."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from sijill.archive.standing import claim_statuses, link_decisions, link_standings, standing_json
from sijill.errors import NotFound
from sijill.storage import shapes
from sijill.storage.models import Claim, Entity, Item
from sijill.storage.repositories import claims as claims_repo
from sijill.storage.repositories import entities as entities_repo
from sijill.storage.repositories import items as items_repo

_CLAIM_REF = re.compile(r"^[cC]?(\d{1,12})$")


def claim_ref(ref: str) -> int | None:
    """A claim id from "c123" (as listings print it) or "123"; None if it is not one."""
    m = _CLAIM_REF.match(ref.strip())
    return int(m.group(1)) if m else None


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = claims_repo.get(session, claim_id)
    if claim is None:
        raise NotFound(f"no claim c{claim_id}")
    return claim


def claim_json(claim: Claim, item: Item | None) -> shapes.Claim:
    info = dict(claim.info or {})
    doc: shapes.Claim = {
        "id": claim.id,
        "ref": f"c{claim.id}",
        "case": claim.case_id,
        "item_id": claim.item_id,
        "item_name": item.name if item else None,
        "source": item.source if item else None,
        "witness": (item.info or {}).get("witness") if item else None,
        "speaker": claim.speaker,
        "text": claim.text,
        "lang": claim.lang,
        "gloss": claim.gloss,
        "text_unit_id": claim.text_unit_id,
        "char_start": claim.char_start,
        "char_end": claim.char_end,
        "page": claim.page,
        "start": claim.start,
        "end": claim.end,
        "entities": info.get("entities", []),
        "dates": info.get("dates", []),
        "numbers": info.get("numbers", []),
    }
    if "anchor" in info:
        doc["anchor"] = info["anchor"]
    return doc


def with_standing(row: shapes.Claim, st: shapes.Standing) -> shapes.Claim:
    """The claim with what the archive says of it."""
    row["supports"] = st["supports"]
    row["contradicts"] = st["contradicts"]
    row["sources_supporting"] = st["sources_supporting"]
    row["sources_contradicting"] = st["sources_contradicting"]
    row["status"] = st["status"]
    row["standing"] = st["standing"]
    return row


def list_claims(
    session: Session,
    *,
    case: str | None = None,
    item: Item | None = None,
    linked_only: bool = False,
    limit: int | None = None,
) -> tuple[list[shapes.Claim], int]:
    """Claims in reading order, each with how many links support or contradict it."""
    counts = link_standings(session, item.case_id if item is not None else case)
    claims, total = claims_repo.page(
        session,
        case=case,
        item_id=item.id if item is not None else None,
        among=list(counts) if linked_only else None,
        limit=limit,
    )
    items = items_repo.by_ids(session, {c.item_id for c in claims})
    statuses = claim_statuses(session, claims)
    out: list[shapes.Claim] = []
    for c in claims:
        row = claim_json(c, items.get(c.item_id))
        out.append(with_standing(row, standing_json(counts.get(c.id), statuses.get(c.id))))
    return out, total


def claim_links(session: Session, claim_id: int) -> list[shapes.Link]:
    """The claims of other witnesses linked to this one, strongest first, with reasons."""
    links = claims_repo.links_of(session, claim_id)
    others = claims_repo.by_ids(
        session, [lk.other_id if lk.claim_id == claim_id else lk.claim_id for lk in links]
    )
    items = items_repo.by_ids(session, {c.item_id for c in others.values()})
    decisions = link_decisions(session, links)
    out: list[shapes.Link] = []
    for lk in links:
        other = others.get(lk.other_id if lk.claim_id == claim_id else lk.claim_id)
        if other is None:
            continue
        d = decisions.get(lk.id)
        out.append(
            {
                "id": lk.id,
                "decision": None
                if d is None
                else {"decision": d.answer, "by": d.reviewer, "note": d.note, "at": d.created_at},
                "relation": lk.relation,
                "score": lk.score,
                "reasons": list(lk.reasons or []),
                "claim": claim_json(other, items.get(other.item_id)),
            }
        )
    out.sort(key=lambda r: (r["relation"] != "contradicts", -float(r["score"])))
    return out


def entity_cluster(session: Session, entity_id: int) -> tuple[Entity, list[int]]:
    """An entity (followed to the one it was merged into) and the ids counted under it."""
    ent = entities_repo.get(session, entity_id)
    if ent is None:
        raise NotFound(f"no entity {entity_id}")
    if ent.merged_into_id:
        ent = session.get_one(Entity, ent.merged_into_id)
    return ent, [ent.id, *entities_repo.merged_into(session, ent.id)]


def find_entity(session: Session, ref: str, case: str | None = None) -> Entity:
    """An entity by id, or by a name or alias (case-insensitive) when that is unambiguous."""
    if ref.isdigit():
        return entity_cluster(session, int(ref))[0]
    from sijill.analysis.mentions import name_key

    key = name_key(ref)
    found = entities_repo.named(session, key, case)
    if not found:
        found = [entity_cluster(session, e.id)[0] for e in entities_repo.mentioned_as(session, key)]
    unique = {e.id: e for e in found}
    if not unique:
        raise NotFound(f"no entity named {ref!r}")
    if len(unique) > 1:
        listed = ", ".join(f"{e.id} ({e.label} {e.name})" for e in unique.values())
        raise NotFound(f"{ref!r} names several entities: {listed}; give an id")
    return next(iter(unique.values()))


def timeline(session: Session, entity_id: int) -> tuple[Entity, list[shapes.Claim]]:
    """Dated claims naming an entity (or anything merged with it), oldest first."""
    ent, ids = entity_cluster(session, entity_id)
    units = entities_repo.mention_spans(session, ids)
    claims = claims_repo.in_units(session, {u for u, _s, _e in units})
    items = items_repo.by_ids(session, {c.item_id for c in claims})
    counts = link_standings(session, ent.case_id)
    statuses = claim_statuses(session, claims)
    rows = []
    for c in claims:
        if not any(
            u == c.text_unit_id and c.char_start <= s and e <= c.char_end for u, s, e in units
        ):
            continue
        dates = [d for d in (c.info or {}).get("dates", []) if d.get("earliest")]
        if not dates:
            continue
        row = claim_json(c, items.get(c.item_id))
        row["when"] = dates[0]
        rows.append(with_standing(row, standing_json(counts.get(c.id), statuses.get(c.id))))
    rows.sort(key=lambda r: (r["when"]["earliest"], r["when"]["latest"], r["id"]))
    return ent, rows
