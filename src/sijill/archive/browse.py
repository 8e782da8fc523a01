"""What the web app's pages read beyond the API's services: search with facets, a case's
dashboard and custody log, entity pages, page images, the mentions a viewer links, and notes.

Same rules as `reading`: every function takes a Context and checks the actor's role in the
case of what is asked for; what is outside the person's cases is NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from sijill.archive.access import Can, require
from sijill.archive.claims import timeline as _timeline
from sijill.archive.context import Context
from sijill.archive.lookup import item_of
from sijill.errors import ConfigError, NotFound
from sijill.storage import custody, shapes
from sijill.storage import search as search_store
from sijill.storage.blobs import LocalBlobStore
from sijill.storage.models import Note
from sijill.storage.repositories import entities as entities_repo
from sijill.storage.repositories import items as items_repo
from sijill.storage.repositories import notes as notes_repo
from sijill.storage.repositories.entities import entity_mentions, list_merges
from sijill.storage.repositories.item_views import case_summary, processed_items

FACETS = search_store.FACETS
NOTE_TARGETS = ("item", "claim", "entity")
REVIEWABLE = ("video", "audio", "document", "image", "email", "text")
MAX_NOTE = 20_000


@dataclass
class Facet:
    value: str
    label: str
    count: int
    included: bool = False
    excluded: bool = False


@dataclass
class SearchPage:
    query: str
    hits: list[shapes.SearchHit]
    total: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)


def _visible_cases(s: Session, ctx: Context) -> list[str]:
    return ctx.actor.cases(items_repo.case_ids(s))


def search(
    ctx: Context,
    query: str,
    filters: search_store.Filters,
    *,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Hits and facet counts over the cases the person may read."""
    with ctx.reading() as s:
        visible = _visible_cases(s, ctx)
        for c in filters.include.get("case", []):
            require(ctx.actor, c, Can.READ)
        for key in ("date_from", "date_to"):
            value = getattr(filters, key)
            if value and not _is_date(value):
                raise ConfigError(f"{key.replace('_', ' ')}: write it as YYYY-MM-DD")
        hits, total = search_store.search(
            s, query, cases=visible, filters=filters, limit=limit, offset=offset
        )
        counts = search_store.facet_counts(s, query, cases=visible, filters=filters)
        names = _entity_names(s, [int(v) for v, _n in counts.get("entity", []) if v.isdigit()])
        facets: dict[str, list[Facet]] = {}
        for facet, rows in counts.items():
            inc = set(filters.include.get(facet, []))
            exc = set(filters.exclude.get(facet, []))
            shown = [
                Facet(
                    v,
                    names.get(int(v), v) if facet == "entity" and v.isdigit() else v,
                    n,
                    v in inc,
                    v in exc,
                )
                for v, n in rows
            ]
            for v in sorted(exc - {f.value for f in shown}):  # left out: still shown, to undo
                label = names.get(int(v), v) if facet == "entity" and v.isdigit() else v
                shown.append(Facet(v, label, 0, False, True))
            facets[facet] = shown
        return SearchPage(query, [h.to_json() for h in hits], total, facets)


def _is_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _entity_names(s: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in ids:
        ent = entities_repo.get(s, i)
        if ent is not None:
            out[i] = ent.name
    return out


def dashboard(ctx: Context, case_id: str) -> dict[str, Any]:
    """Items by kind and state, processing progress, failures with their reasons, recent
    custody events, and the processed items a reviewer may judge (`processed`)."""
    with ctx.reading() as s:
        require(ctx.actor, case_id, Can.READ)
        doc = case_summary(s, case_id)
        jobs = doc["jobs"]
        finished = jobs.get("done", 0) + jobs.get("failed", 0)
        all_jobs = sum(jobs.values())
        doc["progress"] = (finished / all_jobs) if all_jobs else 1.0
        doc["events"] = [
            custody.event_json(e, with_item=True)
            for e in custody.events_of_case(s, case_id, limit=15)
        ]
        if not ctx.actor.can(case_id, Can.INVESTIGATE):
            # Failures name files and tools' messages; reviewers and observers see counts.
            doc["failures"] = []
        doc["merges_to_review"] = len(list_merges(s, case=case_id, status="proposed"))
        doc["processed"] = [
            {"id": i, "name": n, "kind": k}
            for i, n, k in processed_items(s, case_id)
            if k in REVIEWABLE
        ]
    return doc


def case_custody(ctx: Context, case_id: str, limit: int = 500) -> list[shapes.Event]:
    """The case's custody log, newest first, exports and original openings included."""
    with ctx.reading() as s:
        require(ctx.actor, case_id, Can.READ)
        return [
            custody.event_json(e, with_item=True)
            for e in custody.events_of_case(s, case_id, limit=limit)
        ]


def entity_page(ctx: Context, entity_id: int) -> dict[str, Any]:
    """An entity with its aliases in every script, its mentions with their context, the
    timeline of its dated claims, and the merges it is part of."""
    with ctx.reading() as s:
        ent = entities_repo.get(s, entity_id)
        if ent is None or not ctx.actor.sees(ent.case_id):
            raise NotFound(f"no entity {entity_id}")
        require(ctx.actor, ent.case_id, Can.READ)
        if ent.merged_into_id is not None:
            root = entities_repo.get(s, ent.merged_into_id)
            if root is not None:
                ent = root
        info = dict(ent.info or {})
        aliases = list(info.get("aliases", []))
        for folded in entities_repo.folded_into(s, ent.id):
            for a in (folded.info or {}).get("aliases", []) or [folded.name]:
                if a not in aliases:
                    aliases.append(a)
        where = entity_mentions(s, ent.id, limit=200)
        texts = entities_repo.unit_texts(s, [m["text_unit_id"] for m in where])
        for m in where:
            t = texts.get(m["text_unit_id"], "")
            a, b = m["char_start"], m["char_end"]
            m["before"] = _clip(t[max(0, a - 80) : a], left=True)
            m["after"] = _clip(t[b : b + 80], left=False)
        _e, dated = _timeline(s, ent.id)
        merges = [
            m
            for m in list_merges(s, case=ent.case_id)
            if ent.id in (m["entity"]["id"], m["into"]["id"])
        ]
        return {
            "id": ent.id,
            "case": ent.case_id,
            "label": ent.label,
            "name": ent.name,
            "aliases": aliases,
            "mentions": where,
            "timeline": dated,
            "merges": merges,
            "lat": info.get("lat"),
            "lon": info.get("lon"),
        }


def _clip(text: str, *, left: bool) -> str:
    text = " ".join(text.split())
    if left:
        cut = text.find(" ", 0, 20) if len(text) >= 80 else -1
        return ("…" + text[cut + 1 :]) if cut >= 0 else text
    cut = text.rfind(" ", len(text) - 20) if len(text) >= 80 else -1
    return (text[:cut] + "…") if cut > 0 else text


def item_mentions(ctx: Context, item_id: str) -> dict[int, list[tuple[int, int, int, str]]]:
    """The item's resolved names per text unit: (start, end, entity id, label)."""
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        out: dict[int, list[tuple[int, int, int, str]]] = {}
        for unit, a, b, ent, label in entities_repo.mentions_in_item(s, it.id):
            out.setdefault(unit, []).append((a, b, ent, label))
        return out


def item_pages(ctx: Context, item_id: str) -> list[dict[str, Any]]:
    """A document's pages: each page's text (text layer or OCR), and its translation."""
    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        units = items_repo.text_units(s, it.id, ("page", "body", "translation", "image"))
        pages: dict[int, dict[str, Any]] = {}
        for u in units:
            n = u.page or 1
            p = pages.setdefault(n, {"page": n, "texts": [], "translations": []})
            entry = {"id": u.id, "text": u.text, "lang": u.lang, "method": u.method}
            (p["translations"] if u.kind == "translation" else p["texts"]).append(entry)
        return [pages[n] for n in sorted(pages)]


def page_image(ctx: Context, blobs: LocalBlobStore, item_id: str, page: int) -> bytes:
    """Page `page` of a document (or the picture itself) as a PNG with no metadata, rendered
    from the sealed original in memory by a limited child process (tools/render.py)."""
    from sijill.tools.render import render

    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        kind, mime, blob = it.kind, it.mime, it.blob
    if mime != "application/pdf" and not (kind == "image" or mime.startswith("image/")):
        raise NotFound(f"item {item_id} has no page images")
    if page < 1:
        raise NotFound(f"item {item_id} has no page {page}")
    try:
        return render(blobs.read_bytes(blob), mime, page)
    except NotFound as exc:
        raise NotFound(f"item {item_id} has no page {page}") from exc


def _note_case(s: Session, ctx: Context, target: str, target_id: str) -> str:
    """The case of what a note is about, checked readable; NotFound when it is not there."""
    if target == "item":
        return item_of(s, ctx, target_id).case_id
    if target == "claim":
        from sijill.storage.repositories import claims as claims_repo

        claim = claims_repo.get(s, int(target_id)) if target_id.isdigit() else None
        if claim is None or not ctx.actor.sees(claim.case_id):
            raise NotFound(f"no claim {target_id}")
        require(ctx.actor, claim.case_id, Can.READ)
        return claim.case_id
    if target == "entity":
        ent = entities_repo.get(s, int(target_id)) if target_id.isdigit() else None
        if ent is None or not ctx.actor.sees(ent.case_id):
            raise NotFound(f"no entity {target_id}")
        require(ctx.actor, ent.case_id, Can.READ)
        return ent.case_id
    raise ConfigError(f"a note is on one of {', '.join(NOTE_TARGETS)}")


def _note_json(n: Note) -> dict[str, Any]:
    return {
        "id": n.id,
        "target": n.target,
        "target_id": n.target_id,
        "text": n.text,
        "author": n.author,
        "at": custody.fmt_time(n.created_at),
    }


def add_note(ctx: Context, target: str, target_id: str, text: str) -> dict[str, Any]:
    """A note on an item, claim or entity: anyone in the case who may comment (reviewers and
    up) writes one; everybody in the case reads them."""
    text = text.strip()
    if not text:
        raise ConfigError("a note needs some text")
    if len(text) > MAX_NOTE:
        raise ConfigError(f"a note is at most {MAX_NOTE} characters")
    with ctx.session() as s:
        case_id = _note_case(s, ctx, target, target_id)
        require(ctx.actor, case_id, Can.REVIEW)
        row = notes_repo.add(
            s,
            Note(
                case_id=case_id,
                target=target,
                target_id=target_id,
                text=text,
                author_id=ctx.actor.user_id,
                author=ctx.actor.name,
            ),
        )
        return _note_json(row)


def notes_of(ctx: Context, target: str, target_id: str) -> list[dict[str, Any]]:
    with ctx.reading() as s:
        _note_case(s, ctx, target, target_id)
        return [_note_json(n) for n in notes_repo.of_target(s, target, target_id)]


def claim_notes(ctx: Context, item_id: str) -> dict[int, list[dict[str, Any]]]:
    """The notes on each of an item's claims."""
    from sijill.storage.repositories import claims as claims_repo

    with ctx.reading() as s:
        it = item_of(s, ctx, item_id)
        ids = [str(c) for c in claims_repo.ids_of_item(s, it.id)]
        out: dict[int, list[dict[str, Any]]] = {}
        for n in notes_repo.of_targets(s, "claim", ids):
            out.setdefault(int(n.target_id), []).append(_note_json(n))
        return out
