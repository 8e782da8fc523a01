"""The HTTP face: a FastAPI app whose routes are thin calls into the services.

Who is asking comes from an API token (`Authorization: Bearer`) or a session cookie (see
`auth`); every route but login needs one (401 otherwise), and the services decide the rest:
anything of a case the person is not a member of is 404, never 403. Responses are never
cached (`no-store`: a browser would otherwise keep decrypted media on its disk), and the log
names the route template, status and time only: no query string, no client address, no token.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from sijill.archive import people
from sijill.archive.access import Actor
from sijill.archive.context import Context
from sijill.archive.uploads import Processor, Uploads
from sijill.errors import (
    AuthError,
    ConfigError,
    Forbidden,
    IntegrityError,
    NotFound,
    QueryError,
)
from sijill.storage.archive import Archive
from sijill.web.auth import (
    CSRF_HEADER,
    DEVICE_COOKIE,
    SESSION_COOKIE,
    Sessions,
    Throttle,
    WebSession,
)
from sijill.web.media import MediaCache

log = logging.getLogger("sijill.web")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# The pages' policy: nothing but this app's own scripts, styles, fonts, images and media;
# no inline script or style, no frames, forms that post only here.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class AppState:
    archive: Archive
    base: Context  # for lookups before anybody is known (login, tokens); acts as nobody
    sessions: Sessions = field(default_factory=Sessions)
    throttle: Throttle = field(default_factory=Throttle)
    uploads: Uploads | None = None
    processor: Processor | None = None
    media: MediaCache | None = None


def state(request: Request) -> AppState:
    st: AppState = request.app.state.sijill
    return st


def who(request: Request) -> Context:
    """The context of the person making `request`; 401 when nobody is logged in."""
    st = state(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "use Authorization: Bearer TOKEN")
        return st.base.acting_as(people.actor_for_token(st.base, token.strip()))
    sid = request.cookies.get(SESSION_COOKIE)
    sess = st.sessions.get(sid) if sid else None
    if sess is None:
        raise HTTPException(401, "log in first (POST /api/login) or send an API token")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), sess.csrf.encode()):
            raise HTTPException(403, f"a write with the session cookie needs {CSRF_HEADER}")
    request.state.session = sess
    return st.base.acting_as(people.actor_by_id(st.base, sess.user_id))


class Throttled(Exception):
    """Too many wrong passwords for this account from this browser: wait `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__("too many wrong passwords for this account; try again later")
        self.wait = wait


def log_in(request: Request, name: str, password: str) -> tuple[Actor, str, WebSession]:
    """Check a password under the throttle and open a session: (who, cookie value, session).
    AuthError for a wrong name or password, Throttled while the account is locked here."""
    st = state(request)
    key = name.strip().lower()
    device = request.cookies.get(DEVICE_COOKIE)
    wait = st.throttle.wait(key, device)
    if wait > 0:
        raise Throttled(wait)
    try:
        actor = people.login(st.base, name, password)
    except AuthError:
        st.throttle.failed(key, device)
        raise
    st.throttle.succeeded(key)
    assert actor.user_id is not None
    sid, sess = st.sessions.open(actor.user_id)
    return actor, sid, sess


def set_login_cookies(response: Response, request: Request, sid: str, name: str) -> None:
    """The session cookie, and the device cookie that spares this browser others' lockouts."""
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, sid, httponly=True, samesite="strict", secure=secure, path="/"
    )
    cookie = state(request).throttle.device_cookie(name.strip().lower())
    for path in ("/api/login", "/login"):
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            max_age=180 * 86400,
            httponly=True,
            samesite="strict",
            secure=secure,
            path=path,
        )


def _error(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/api"):
            from sijill.web.pages import error_page

            return error_page(request, status, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, included routers flattened: what the security
    matrix test walks, so a new route cannot go untested."""
    out: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(list(inner.routes))
            elif isinstance(getattr(r, "path", None), str):
                out.extend((m, r.path) for m in sorted(getattr(r, "methods", None) or ()))

    walk(list(app.routes))
    return sorted(set(out))


def create_app(archive: Archive, *, actor_name: str = "web", process: bool = True) -> FastAPI:
    """The app for one opened, unlocked archive. With `process`, what is uploaded is
    processed in the background as `sijill run` would (off: it waits for `sijill run`)."""
    app = FastAPI(
        title="Sijill",
        summary="The evidence archive's JSON API",
        # The interactive docs load scripts from a CDN: off. The schema is a route of ours
        # (below), behind login like everything else.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sijill = AppState(
        archive,
        Context.custodian_of(archive, actor_name),
        uploads=Uploads(archive),
        processor=Processor(archive, actor_name) if process else None,
        media=MediaCache(archive),
    )
    for exc, status in (
        (NotFound, 404),
        (Forbidden, 403),
        (AuthError, 401),
        (ConfigError, 400),
        (QueryError, 400),
        (IntegrityError, 500),
    ):
        app.add_exception_handler(exc, _error(status))

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
        t0 = time.perf_counter()
        response = await call_next(request)
        if request.url.path.startswith("/static/"):
            # Our own vendored scripts, styles and fonts: public, nothing of the archive.
            response.headers["Cache-Control"] = "public, max-age=3600"
        else:
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Content-Security-Policy"] = PAGE_CSP
            # Browsers send `Origin: null` on a form's POST under no-referrer; same-origin
            # keeps the Origin check possible and still tells no other site anything.
            response.headers["Referrer-Policy"] = "same-origin"
        else:
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        route = request.scope.get("route")
        log.info(
            "%s %s %d %.0f ms",
            request.method,
            getattr(route, "path", "(no route)"),
            response.status_code,
            1000 * (time.perf_counter() - t0),
        )
        return response

    from fastapi.exception_handlers import (
        http_exception_handler,
        request_validation_exception_handler,
    )
    from fastapi.exceptions import RequestValidationError
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from sijill.web import api, pages, uploads_api

    app.include_router(api.router)
    app.include_router(uploads_api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.add_exception_handler(pages.LoginNeeded, pages.to_login)

    # The API answers errors in JSON; a page answers them with a page.
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
            return await http_exception_handler(request, exc)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api"):
            return await request_validation_exception_handler(request, exc)
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return pages.error_page(request, 400, f"this form is missing or has a bad value: {fields}")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> dict[str, Any]:
        who(request)
        return app.openapi()

    return app
