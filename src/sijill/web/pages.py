"""The investigator web app: server-rendered pages (Jinja2 and htmx) over the same services as
the API and the CLI. No SQL and no permission rule here: each page calls services, which
check the person's role; this module only turns forms into calls and results into HTML.

- Who is asking comes from the session cookie only (pages are for people in a browser); a
  page asked for without one redirects to the login form.
- Every write is a POST whose form carries the session's CSRF token (htmx sends it as the
  X-CSRF-Token header), and whose Origin, when the browser sends one, is this site.
- Pages are served with a strict Content-Security-Policy (app.PAGE_CSP): every script, style
  and font is one of ours under /static.
"""

from __future__ import annotations

import functools
import hmac
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from sijill.archive import browse, people, reading, reading_claims, transcripts
from sijill.archive.access import Can, Role
from sijill.archive.context import Context
from sijill.errors import AuthError, ConfigError, NotFound
from sijill.review import service as reviews
from sijill.review import vocabulary
from sijill.storage.search import Filters
from sijill.web import i18n
from sijill.web.app import Throttled, log_in, set_login_cookies, state
from sijill.web.auth import SESSION_COOKIE, WebSession

HERE = Path(__file__).parent
STATIC = HERE / "static"
router = APIRouter(include_in_schema=False)
Id = Annotated[int, PathParam(ge=1, le=2**62)]


class LoginNeeded(Exception):
    """A page was asked for without a session: the handler sends the browser to log in."""


async def to_login(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


# ---- who is asking ----------------------------------------------------------------------


def _session(request: Request) -> tuple[Context, WebSession]:
    st = state(request)
    sid = request.cookies.get(SESSION_COOKIE)
    sess = st.sessions.get(sid) if sid else None
    if sess is None:
        raise LoginNeeded()
    try:
        actor = people.actor_by_id(st.base, sess.user_id)
    except (AuthError, NotFound) as exc:  # the account was removed meanwhile
        raise LoginNeeded() from exc
    request.state.session = sess
    return st.base.acting_as(actor), sess


def reader(request: Request) -> Context:
    return _session(request)[0]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def writer(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Context:
    """The person making a write: a session, this site's Origin, and the session's CSRF
    token in the form (or the header, from htmx)."""
    ctx, sess = _session(request)
    sent = csrf_token or request.headers.get("x-csrf-token") or ""
    if not _same_origin(request) or not hmac.compare_digest(sent.encode(), sess.csrf.encode()):
        raise AuthError("this form has expired or did not come from this site: reload the page")
    return ctx


Reader = Annotated[Context, Depends(reader)]
Writer = Annotated[Context, Depends(writer)]


# ---- rendering ---------------------------------------------------------------------------


def _env(lang: str) -> jinja2.Environment:
    return _make_env(lang if lang in i18n.LOCALES else "en")


@functools.cache
def _make_env(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = lambda v, time=False: i18n.fmt_date(v, lang, time=time)
    env.filters["num"] = lambda v: i18n.fmt_number(v, lang)
    env.filters["hms"] = i18n.fmt_seconds
    env.filters["marked"] = marked
    env.filters["json"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    env.globals["facet_url"] = facet_url
    env.globals["hit_url"] = hit_url
    env.filters["t"] = moment
    env.globals["FACET_PARAM"] = FACET_PARAM
    return env


def language(request: Request) -> str:
    return i18n.pick(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def render(request: Request, name: str, code: int = 200, **values: Any) -> HTMLResponse:
    lang = language(request)
    sess: WebSession | None = getattr(request.state, "session", None)
    ctx: Context | None = values.pop("ctx", None)
    here = request.url.path
    others = [k for k in request.query_params if k != "lang"]
    query = urlencode([(k, v) for k in others for v in request.query_params.getlist(k)])
    page = (
        _env(lang)
        .get_template(name)
        .render(
            lang=lang,
            dir=i18n.direction(lang),
            languages=i18n.NAMES,
            lang_url=lambda code: f"{here}?{query + '&' if query else ''}lang={code}",
            csrf=sess.csrf if sess else "",
            me=ctx.actor if ctx else None,
            Can=Can,
            request=request,
            **values,
        )
    )
    response = HTMLResponse(page, status_code=code)
    if request.query_params.get("lang") in i18n.LOCALES:
        response.set_cookie(
            i18n.COOKIE,
            request.query_params["lang"],
            max_age=365 * 86400,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    ctx = None
    try:
        ctx = reader(request)
    except LoginNeeded:
        pass
    return render(request, "error.html", code=status, ctx=ctx, status_code=status, message=message)


def marked(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> Markup:
    """`text` with each [start, end) span in <mark>, everything escaped."""
    out: list[str] = []
    pos = 0
    for a, b in sorted((int(x[0]), int(x[1])) for x in spans):
        if a < pos or b > len(text) or b <= a:
            continue
        out.append(str(escape(text[pos:a])))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def linked_names(text: str, names: list[tuple[int, int, int, str]]) -> Markup:
    """`text` with each resolved name a link to its entity page (escaped)."""
    out: list[str] = []
    pos = 0
    for a, b, ent, label in sorted(names):
        if a < pos or b > len(text) or b <= a:
            continue
        out.append(str(escape(text[pos:a])))
        out.append(
            f'<a class="name name-{escape(label.lower())}" href="/entities/{ent}">'
            f"{escape(text[a:b])}</a>"
        )
        pos = b
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


# The query parameter of each facet (`lang` is the interface's language).
FACET_PARAM = {
    "case": "case",
    "kind": "kind",
    "lang": "language",
    "entity": "entity",
    "review": "review",
}


def facet_url(request: Request, facet: str, value: str, mode: str) -> str:
    """The search URL with `value` kept (mode "in"), left out ("out") or cleared ("clear")."""
    facet = FACET_PARAM[facet]
    pairs = [
        (k, v)
        for k in request.query_params
        for v in request.query_params.getlist(k)
        if k not in ("offset", "lang") and not (k in (facet, f"not_{facet}") and v == value)
    ]
    if mode == "in":
        pairs.append((facet, value))
    elif mode == "out":
        pairs.append((f"not_{facet}", value))
    return "/search?" + urlencode(pairs)


def _back(request: Request, fallback: str) -> str:
    """Where a form's `next` says to go back to: a path of this site only."""
    target = request.query_params.get("next") or fallback
    return target if target.startswith("/") and not target.startswith("//") else fallback


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- login -------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_back(request, "/"), error=None)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    if not _same_origin(request):
        return render(request, "login.html", code=403, next=target, error="origin")
    try:
        _actor, sid, _sess = log_in(request, username, password)
    except Throttled:
        return render(request, "login.html", code=429, next=target, error="throttled")
    except AuthError:
        return render(request, "login.html", code=401, next=target, error="wrong")
    response = _see(target)
    set_login_cookies(response, request, sid, username)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Writer) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        state(request).sessions.close(sid)
    response = _see("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- cases and dashboards ----------------------------------------------------------------


@router.get("/")
def home(request: Request, ctx: Reader) -> Response:
    cases = reading.cases(ctx)
    if len(cases) == 1:
        return _see(f"/cases/{quote(cases[0]['id'])}")
    return render(request, "cases.html", ctx=ctx, cases=cases)


@router.get("/cases/{case_id}")
def dashboard(case_id: str, request: Request, ctx: Reader) -> Response:
    doc = browse.dashboard(ctx, case_id)
    doc["waiting"] = reviews.waiting_for(ctx, case_id, doc.pop("processed"))
    proc = state(request).processor
    return render(
        request,
        "dashboard.html",
        ctx=ctx,
        case=case_id,
        role=ctx.actor.role_in(case_id),
        doc=doc,
        processing=bool(proc and proc.running),
    )


@router.get("/cases/{case_id}/items")
def case_items(
    case_id: str,
    request: Request,
    ctx: Reader,
    kind: str | None = None,
    status: str | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    rows, total = reading.items(
        ctx, case=case_id, kind=kind or None, status=status or None, limit=50, offset=offset
    )
    return render(
        request,
        "items.html",
        ctx=ctx,
        case=case_id,
        rows=rows,
        total=total,
        offset=offset,
        kind=kind,
        item_status=status,
    )


@router.get("/cases/{case_id}/custody")
def case_custody(case_id: str, request: Request, ctx: Reader) -> Response:
    events = browse.case_custody(ctx, case_id)
    return render(request, "custody.html", ctx=ctx, case=case_id, item=None, events=events)


@router.get("/cases/{case_id}/upload")
def upload_form(case_id: str, request: Request, ctx: Reader) -> Response:
    from sijill.archive.uploads import may_upload

    may_upload(ctx, case_id)
    return render(request, "upload.html", ctx=ctx, case=case_id)


# ---- search ------------------------------------------------------------------------------


@router.get("/search")
def search(
    request: Request,
    ctx: Reader,
    q: Annotated[str, Query(max_length=1000)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    filters = Filters(
        include={f: request.query_params.getlist(FACET_PARAM[f]) for f in browse.FACETS},
        exclude={f: request.query_params.getlist(f"not_{FACET_PARAM[f]}") for f in browse.FACETS},
        date_from=date_from or None,
        date_to=date_to or None,
    )
    result = None
    problem = None
    if q.strip():
        try:
            result = browse.search(ctx, q, filters, limit=20, offset=offset)
        except ConfigError as exc:
            problem = str(exc)
    more = None
    if result is not None and offset + len(result.hits) < result.total:
        pairs = [
            (k, v)
            for k in request.query_params
            for v in request.query_params.getlist(k)
            if k not in ("offset", "lang")
        ]
        more = "/search?" + urlencode([*pairs, ("offset", str(offset + 20))])
    return render(
        request,
        "search.html",
        ctx=ctx,
        q=q,
        result=result,
        problem=problem,
        date_from=date_from,
        date_to=date_to,
        offset=offset,
        more=more,
    )


def moment(seconds: float | None) -> str:
    """A second for `#t=`: whole when it is (83), else to a tenth (83.4), so that a link
    never lands in the line before."""
    value = round(float(seconds or 0), 1)
    return f"{value:g}"


def hit_url(hit: dict[str, Any]) -> str:
    """Where a hit opens: the item at its second (`#t=83`) or page (`#page=2`), the text
    unit marked."""
    base = f"/items/{hit['item_id']}?unit={hit['text_unit_id']}"
    if hit.get("start") is not None:
        return f"{base}#t={moment(hit['start'])}"
    if hit.get("page") is not None:
        return f"{base}#page={hit['page']}"
    return base


# ---- items -------------------------------------------------------------------------------


@router.get("/items/{item_id}")
def item_page(
    item_id: str,
    request: Request,
    ctx: Reader,
    unit: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    doc = reading.item(ctx, item_id, full=True)
    role = ctx.actor.role_in(doc["case"])
    names = browse.item_mentions(ctx, item_id)
    claims = reading_claims.corroboration(ctx, item_id) if doc.get("claims") else []
    values: dict[str, Any] = {
        "ctx": ctx,
        "item": doc,
        "role": role,
        "unit": unit,
        "claims": claims,
        "names": names,
        "linked_names": linked_names,
        "notes": browse.notes_of(ctx, "item", item_id),
        "claim_notes": browse.claim_notes(ctx, item_id) if claims else {},
        "review_block": _review_block(ctx, item_id),
    }
    if doc["kind"] in ("video", "image"):
        # The same footage or picture elsewhere in the case (`sijill similar`'s defaults).
        _it, found, _hashes, _usable = reading_claims.similar(
            ctx, item_id, max_distance=31, min_quality=50
        )
        values["similar"] = found[:20]
    else:
        values["similar"] = []
    if doc["kind"] in ("video", "audio"):
        values["transcript"] = transcripts.revise(ctx, item_id)
        media = [d for d in doc["derivatives"] if d.get("kind") in ("video_working", "audio_16k")]
        values["has_media"] = bool(media)
        return render(request, "testimony.html", **values)
    values["pages"] = browse.item_pages(ctx, item_id)
    values["has_images"] = doc["mime"] == "application/pdf" or doc["kind"] == "image"
    return render(request, "document.html", **values)


@router.get("/items/{item_id}/pages/{page}.png")
def page_png(item_id: str, page: Id, request: Request, ctx: Reader) -> Response:
    data = browse.page_image(ctx, state(request).archive.blobs, item_id, page)
    return Response(data, media_type="image/png")


@router.get("/items/{item_id}/custody")
def item_custody(item_id: str, request: Request, ctx: Reader) -> Response:
    doc = reading.item(ctx, item_id)
    events = list(reversed(reading.item_custody(ctx, item_id)))
    return render(request, "custody.html", ctx=ctx, case=doc["case"], item=doc, events=events)


@router.post("/items/{item_id}/transcript")
def correct_transcript(
    item_id: str,
    request: Request,
    ctx: Writer,
    segment: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    text: Annotated[str | None, Form(max_length=20_000)] = None,
    reviewed: Annotated[bool, Form()] = False,
) -> Response:
    corrections = [(segment, text)] if segment is not None and text is not None else []
    if not corrections and not reviewed:
        raise ConfigError("say which line to correct, or that the transcript was read")
    transcripts.revise(ctx, item_id, corrections, reviewed=reviewed)
    return _see(f"/items/{quote(item_id)}" + (f"?unit={segment}#t=0" if segment else ""))


@router.post("/items/{item_id}/original")
def download_original(item_id: str, request: Request, ctx: Writer) -> Response:
    """The original's exact bytes, as a download (a custody event)."""
    m = reading.original(ctx, state(request).archive.blobs, item_id, "web")
    return Response(
        m.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": "attachment"},
    )


# ---- reviews -----------------------------------------------------------------------------


def _review_block(ctx: Context, item_id: str) -> dict[str, Any]:
    shown = reviews.reviews_of_item(ctx, item_id, exact=True)
    mine = {
        r.question: r for r in shown.reviews if r.reviewer == ctx.actor.name and r.kind == "item"
    }
    by_question: dict[str, list[Any]] = {}
    for r in shown.reviews:
        if r.kind == "item":
            by_question.setdefault(r.question, []).append(r)
    agreement = {a.question: a for a in shown.agreement} if shown.agreement else {}
    return {
        "questions": vocabulary.QUESTIONS,
        "confidence": vocabulary.CONFIDENCE,
        "mine": mine,
        "by_question": by_question,
        "hidden": {q: n for (_i, q), n in shown.hidden.items()},
        "agreement": agreement,
    }


@router.post("/items/{item_id}/reviews")
def add_review(
    item_id: str,
    request: Request,
    ctx: Writer,
    question: Annotated[str, Form(max_length=64)],
    answer: Annotated[str, Form(max_length=64)],
    confidence: Annotated[str, Form(max_length=64)],
    note: Annotated[str, Form(max_length=20_000)] = "",
    method: Annotated[str, Form(max_length=2000)] = "",
    at: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    anchors = [reviews.anchor_at(at)] if at.strip() else []
    reviews.review_item(
        ctx,
        item_id,
        question,
        answer,
        confidence,
        note,
        method=method or None,
        anchors=anchors,
        exact=True,
    )
    return _see(f"/items/{quote(item_id)}#review-{question}")


@router.post("/claims/{claim_id}/status")
def claim_status(
    claim_id: Id,
    request: Request,
    ctx: Writer,
    status: Annotated[str, Form(max_length=64)],
    note: Annotated[str, Form(max_length=20_000)] = "",
    item: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    reviews.set_claim_status(ctx, f"c{claim_id}", status, note)
    return _see(f"/items/{quote(item)}#claim-{claim_id}" if item else "/")


@router.post("/links/{link_id}/decision")
def link_decision(
    link_id: Id,
    request: Request,
    ctx: Writer,
    decision: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=20_000)] = "",
    item: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if decision not in vocabulary.LINK_DECISIONS:
        raise ConfigError("a link is accepted or rejected")
    reviews.decide_link(ctx, link_id, decision == "accept", note)
    return _see(f"/items/{quote(item)}#link-{link_id}" if item else "/")


# ---- notes -------------------------------------------------------------------------------


@router.post("/notes")
def add_note(
    request: Request,
    ctx: Writer,
    target: Annotated[str, Form(max_length=8)],
    target_id: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=browse.MAX_NOTE)],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    browse.add_note(ctx, target, target_id, text)
    dest = back if back.startswith("/") and not back.startswith("//") else "/"
    return _see(dest + "#notes")


# ---- entities and claims -----------------------------------------------------------------


@router.get("/entities/{entity_id}")
def entity_page(entity_id: Id, request: Request, ctx: Reader) -> Response:
    doc = browse.entity_page(ctx, entity_id)
    return render(
        request,
        "entity.html",
        ctx=ctx,
        ent=doc,
        notes=browse.notes_of(ctx, "entity", str(entity_id)),
        role=ctx.actor.role_in(doc["case"]),
    )


@router.post("/merges/{merge_id}")
def merge_decision(
    merge_id: Id,
    request: Request,
    ctx: Writer,
    decision: Annotated[str, Form(max_length=16)],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    from sijill.archive.casework import decide_merge

    if decision not in ("confirm", "split"):
        raise ConfigError("a merge is confirmed or split")
    decide_merge(ctx, merge_id, decision)
    return _see(back if back.startswith("/") and not back.startswith("//") else "/")


@router.get("/cases/{case_id}/claims")
def claims_page(
    case_id: str,
    request: Request,
    ctx: Reader,
    standing: Annotated[str, Query(max_length=32)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    linked: bool = False,
) -> Response:
    rows, total = reading_claims.claims(ctx, case=case_id, linked_only=linked)
    if standing:
        rows = [r for r in rows if r.get("standing") == standing]
    if q.strip():
        needle = q.strip().lower()
        rows = [
            r
            for r in rows
            if needle in r["text"].lower() or needle in (r.get("gloss") or "").lower()
        ]
    return render(
        request,
        "claims.html",
        ctx=ctx,
        case=case_id,
        rows=rows[:500],
        total=total,
        standing=standing,
        q=q,
        linked=linked,
    )


@router.get("/cases/{case_id}/entities")
def entities_page(
    case_id: str,
    request: Request,
    ctx: Reader,
    label: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    rows, total = reading_claims.entities(ctx, case=case_id, label=label or None, limit=500)
    merges = reading_claims.merges(ctx, case=case_id, status="proposed")
    return render(
        request,
        "entities.html",
        ctx=ctx,
        case=case_id,
        rows=rows,
        total=total,
        label=label,
        merges=merges,
        role=ctx.actor.role_in(case_id),
    )


# ---- people, terms, publication copies ---------------------------------------------------


@router.get("/cases/{case_id}/members")
def members_page(case_id: str, request: Request, ctx: Reader) -> Response:
    rows = people.members(ctx, case_id)
    return render(
        request,
        "members.html",
        ctx=ctx,
        case=case_id,
        rows=rows,
        roles=[r.label for r in Role],
        manage=ctx.actor.can(case_id, Can.MANAGE),
    )


@router.post("/cases/{case_id}/members")
def set_member(
    case_id: str,
    request: Request,
    ctx: Writer,
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    people.set_role(ctx, name, case_id, None if role == "none" else Role.parse(role))
    return _see(f"/cases/{quote(case_id)}/members")


@router.get("/cases/{case_id}/terms")
def terms_page(case_id: str, request: Request, ctx: Reader) -> Response:
    from sijill.archive import copies
    from sijill.archive.terms import KINDS

    rows = reading.terms(ctx, case_id)
    _accepted, proposals = copies.term_proposals(ctx, case_id)
    return render(
        request, "terms.html", ctx=ctx, case=case_id, rows=rows, proposals=proposals, kinds=KINDS
    )


@router.post("/cases/{case_id}/terms")
def add_term(
    case_id: str,
    request: Request,
    ctx: Writer,
    term: Annotated[str, Form(max_length=400)],
    kind: Annotated[str, Form(max_length=32)] = "name",
    pseudonym: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    from sijill.archive import copies

    copies.protect_terms(ctx, case_id, [term], kind=kind, pseudonym=pseudonym or None, same_as=None)
    return _see(f"/cases/{quote(case_id)}/terms")


@router.post("/cases/{case_id}/terms/remove")
def remove_term(
    case_id: str,
    request: Request,
    ctx: Writer,
    term: Annotated[str, Form(max_length=400)],
) -> Response:
    from sijill.archive import copies

    copies.unprotect_term(ctx, case_id, term)
    return _see(f"/cases/{quote(case_id)}/terms")


@router.post("/items/{item_id}/copy")
def make_copy(item_id: str, request: Request, ctx: Writer) -> Response:
    """Make the item's publication copy (faces, voices, names, metadata removed) and show
    the leak check's findings."""
    from sijill.archive import copies
    from sijill.archive.publication import ProtectOptions

    copies.make_copy(ctx, state(request).archive, item_id, ProtectOptions())
    return _see(f"/items/{quote(item_id)}#copies")
