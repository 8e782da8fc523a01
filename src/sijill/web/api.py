"""The routes of the JSON API under /api. Each is a thin call into a service: no SQL, no
permission rule of its own; the listings use the CLI's JSON shapes (a plural key and totals)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from sijill.archive import people, reading
from sijill.archive.access import Role
from sijill.archive.context import Context
from sijill.review import service as reviews
from sijill.storage import shapes
from sijill.text.subtitles import render
from sijill.web.app import Throttled, log_in, set_login_cookies, state, who
from sijill.web.auth import SESSION_COOKIE
from sijill.web.media import ranged_file

router = APIRouter(prefix="/api")
Who = Annotated[Context, Depends(who)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Id = Annotated[int, PathParam(ge=1, le=2**62)]


class LoginIn(BaseModel):
    name: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class AnchorIn(BaseModel):
    start: float | None = Field(default=None, ge=0, le=1e7)
    end: float | None = Field(default=None, ge=0, le=1e7)
    page: int | None = Field(default=None, ge=1, le=1_000_000)
    end_page: int | None = Field(default=None, ge=1, le=1_000_000)


class ReviewIn(BaseModel):
    """An answer to a question about the item, or (with `claim`) a claim's status."""

    question: str | None = Field(default=None, max_length=64)
    answer: str | None = Field(default=None, max_length=64)
    confidence: str | None = Field(default=None, max_length=64)
    note: str = Field(max_length=20_000)
    method: str | None = Field(default=None, max_length=2000)
    anchors: list[AnchorIn] = Field(default_factory=list, max_length=100)
    claim: int | None = Field(default=None, ge=1, le=2**62)
    status: str | None = Field(default=None, max_length=64)


class DecisionIn(BaseModel):
    decision: Literal["accept", "reject"]
    note: str = Field(max_length=20_000)


class RoleIn(BaseModel):
    role: Literal["owner", "investigator", "reviewer", "observer"]


@router.post("/login")
def login(body: LoginIn, request: Request) -> JSONResponse:
    """Log in with name and password: sets the session cookie, returns the CSRF token."""
    try:
        actor, sid, sess = log_in(request, body.name, body.password)
    except Throttled as exc:
        return JSONResponse(
            {"detail": str(exc)},
            status_code=429,
            headers={"Retry-After": str(int(exc.wait) + 1)},
        )
    response = JSONResponse(
        {
            "user": actor.name,
            "roles": {c: r.label for c, r in actor.roles.items()},
            "csrf_token": sess.csrf,
        }
    )
    set_login_cookies(response, request, sid, body.name)
    return response


@router.post("/logout")
def logout(ctx: Who, request: Request) -> JSONResponse:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        state(request).sessions.close(sid)
    response = JSONResponse({"logged_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session")
def session(ctx: Who, request: Request) -> dict[str, Any]:
    """Who is logged in, their roles, and (with a session cookie) the CSRF token."""
    sess = getattr(request.state, "session", None)
    return {
        "user": ctx.actor.name,
        "roles": {c: r.label for c, r in ctx.actor.roles.items()},
        "csrf_token": sess.csrf if sess is not None else None,
    }


@router.get("/cases")
def cases(ctx: Who) -> dict[str, Any]:
    rows = reading.cases(ctx)
    return {"cases": rows, "total": len(rows)}


@router.get("/cases/{case_id}/members")
def members(case_id: str, ctx: Who) -> dict[str, Any]:
    rows = people.members(ctx, case_id)
    return {"members": rows, "total": len(rows)}


@router.put("/cases/{case_id}/members/{name}")
def set_member(case_id: str, name: str, body: RoleIn, ctx: Who) -> dict[str, Any]:
    p = people.set_role(ctx, name, case_id, Role.parse(body.role))
    return {"name": p.name, "roles": p.roles}


@router.delete("/cases/{case_id}/members/{name}")
def remove_member(case_id: str, name: str, ctx: Who) -> dict[str, Any]:
    p = people.set_role(ctx, name, case_id, None)
    return {"name": p.name, "roles": p.roles}


@router.get("/cases/{case_id}/terms")
def terms(case_id: str, ctx: Who) -> dict[str, Any]:
    rows = reading.terms(ctx, case_id)
    return {"terms": rows, "total": len(rows)}


@router.get("/cases/{case_id}/reviews")
def case_reviews(case_id: str, ctx: Who, history: bool = False) -> dict[str, Any]:
    return _reviews_json(reviews.reviews_of_case(ctx, case_id, history=history))


@router.get("/items")
def items(
    ctx: Who,
    case: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows, total = reading.items(
        ctx, case=case, kind=kind, status=status, limit=limit, offset=offset
    )
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.get("/items/{item_id}")
def item(item_id: str, ctx: Who) -> dict[str, Any]:
    return dict(reading.item(ctx, item_id))


@router.get("/search")
def search(
    ctx: Who,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    case: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    hits, total = reading.search(
        ctx, q, case=case, lang=lang, kind=kind, limit=limit, offset=offset
    )
    return {"query": q, "hits": hits, "total": total, "limit": limit, "offset": offset}


_MEDIA_TYPES = {
    "json": "application/json",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "txt": "text/plain",
}


@router.get("/items/{item_id}/transcript", response_model=None)
def item_transcript(
    item_id: str,
    ctx: Who,
    format: Literal["json", "srt", "vtt", "txt"] = "json",
    translated: bool = False,
) -> shapes.Transcript | Response:
    doc = reading.item_transcript(ctx, item_id)
    if format == "json":
        return doc
    return PlainTextResponse(
        render(doc, format, translated), media_type=_MEDIA_TYPES[format] + "; charset=utf-8"
    )


@router.get("/items/{item_id}/entities")
def item_entities(item_id: str, ctx: Who) -> dict[str, Any]:
    rows, total = reading.item_entities(ctx, item_id)
    return {"entities": rows, "total": total}


@router.get("/items/{item_id}/claims")
def item_claims(item_id: str, ctx: Who) -> dict[str, Any]:
    rows, total = reading.item_claims(ctx, item_id)
    return {"claims": rows, "total": total}


@router.get("/claims/{claim_id}/links")
def claim_links(claim_id: Id, ctx: Who) -> dict[str, Any]:
    rows = reading.links_of_claim(ctx, claim_id)
    return {"links": rows, "total": len(rows)}


@router.post("/links/{link_id}/decision")
def decide_link(link_id: Id, body: DecisionIn, ctx: Who) -> dict[str, Any]:
    return asdict(reviews.decide_link(ctx, link_id, body.decision == "accept", body.note))


@router.get("/items/{item_id}/custody")
def item_custody(item_id: str, ctx: Who) -> dict[str, Any]:
    rows = reading.item_custody(ctx, item_id)
    return {"events": rows, "total": len(rows)}


def _reviews_json(shown: reviews.Reviews) -> dict[str, Any]:
    return {
        "reviews": [asdict(r) for r in shown.reviews],
        "total": len(shown.reviews),
        "hidden": [
            {"item_id": i, "question": q, "answers": n}
            for (i, q), n in sorted(shown.hidden.items())
        ],
        "agreement": [asdict(a) for a in shown.agreement],
    }


@router.get("/items/{item_id}/reviews")
def item_reviews(item_id: str, ctx: Who, history: bool = False) -> dict[str, Any]:
    return _reviews_json(reviews.reviews_of_item(ctx, item_id, history=history, exact=True))


@router.post("/items/{item_id}/reviews")
def add_review(item_id: str, body: ReviewIn, ctx: Who) -> dict[str, Any]:
    """Record an answer (`question`, `answer`, `confidence`, `note`), or a claim's status
    (`claim`, `status`, `note`)."""
    if body.claim is not None or body.status is not None:
        if body.claim is None or body.status is None:
            raise HTTPException(400, "a claim's status needs both `claim` and `status`")
        reading.claim_of_item(ctx, item_id, body.claim)
        return asdict(reviews.set_claim_status(ctx, f"c{body.claim}", body.status, body.note))
    if body.question is None or body.answer is None or body.confidence is None:
        raise HTTPException(400, "a review needs `question`, `answer` and `confidence`")
    anchors: list[dict[str, Any]] = []
    for a in body.anchors:
        if a.page is not None:
            anchors.append(reviews.anchor_page(f"{a.page}-{a.end_page or a.page}"))
        elif a.start is not None:
            end = a.end if a.end is not None else a.start
            anchors.append(reviews.anchor_at(f"{a.start}-{end}"))
        else:
            raise HTTPException(400, "an anchor is {start, end} in seconds or {page, end_page}")
    return asdict(
        reviews.review_item(
            ctx,
            item_id,
            body.question,
            body.answer,
            body.confidence,
            body.note,
            method=body.method,
            anchors=anchors,
            exact=True,
        )
    )


@router.get("/items/{item_id}/media")
def item_media(item_id: str, ctx: Who, request: Request) -> Response:
    """The media working copy, with HTTP Range so a player can seek."""
    ref = reading.media_ref(ctx, item_id)
    cache = state(request).media
    assert cache is not None
    return ranged_file(request, cache.path(ref.blob, ref.size), ref.mime)


@router.get("/items/{item_id}/original")
def item_original(item_id: str, ctx: Who, request: Request) -> Response:
    """The original's exact bytes (investigators and owners; a custody event)."""
    m = reading.original(ctx, state(request).archive.blobs, item_id, "api")
    return Response(
        m.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": "attachment"},
    )
