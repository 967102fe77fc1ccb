"""Request plumbing shared by every package's pages and API: DB session, who is calling,
role gates, CSRF, templates and ``render``.

Thin routes declare ``CtxDep`` (pages) or ``ApiCtxDep`` (API) and get a :class:`Ctx` whose
queries are scoped and whose reads are audited; ``dependencies=[page_gate(PERMISSION)]`` (or
``api_gate``) refuses a caller without the permission (403) before the route runs;
state-changing forms are CSRF-checked by the router-level :func:`csrf_protect`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from typing import Annotated, Any, cast
from urllib.parse import quote, unquote

import anyio.to_thread
import jinja2
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from insa.clock import to_kst
from insa.db.engine import get_engine, session_scope
from insa.files import content_disposition
from insa.people.registry import exchange_organisation
from insa.security import auth
from insa.security.context import Ctx
from insa.security.principal import Principal
from insa.security.roles import ROLE_LABELS

SESSION_COOKIE = "insa_session"
_MISSING = object()
LOGIN_CSRF_COOKIE = "insa_csrf"


class LoginRequired(Exception):
    pass


class MfaPending(Exception):
    pass


class NotFound(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "이 화면을 볼 권한이 없습니다.") -> None:
        super().__init__(message)
        self.message = message


class CsrfFailed(Exception):
    pass


class ApiUnauthorized(Exception):
    pass


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request; committed before the response is sent.

    A request takes one of the worker's ``INSA_WEB_THREADS`` database slots first (waiting
    on the event loop, in arrival order) and gives it back once its session is closed. One
    interpreter runs one thread at a time: twenty concurrent searches in a worker as twenty
    threads took turns on the interpreter lock and kept twenty database sessions busy at
    once (with four slots and the single thread hand-off, p95 243 → 160 ms on PostgreSQL and
    246 → 78 ms on SQLite with two workers: docs/benchmarks.md). The slots
    are fewer than the connection pool, so taking a connection never waits: the caller's
    query in :func:`page_ctx` runs on the event loop, which must never block on the pool.

    The session is opened on the event loop (making one touches no database) and ended in a
    worker thread (the commit may wait on the disk), shielded from cancellation as FastAPI
    ends a sync generator; a sync generator here cost two thread hand-offs a request."""
    slots: CapacityLimiter | None = getattr(request.app.state, "db_slots", None)
    async with slots if slots is not None else nullcontext():
        scope = session_scope(get_engine())
        session = scope.__enter__()
        ended = CapacityLimiter(1)  # ending never waits for the request threads
        try:
            yield session
        except BaseException as e:
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(scope.__exit__, type(e), e, e.__traceback__,
                                               limiter=ended)  # fmt: skip
            raise
        else:
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(scope.__exit__, None, None, None, limiter=ended)


DbDep = Annotated[Session, Depends(get_db, scope="function")]


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_session(request: Request, db: Session) -> auth.LoadedSession | None:
    cached = getattr(request.state, "insa_session", _MISSING)
    if cached is _MISSING:
        cached = auth.load_session(db, request.cookies.get(SESSION_COOKIE))
        request.state.insa_session = cached
    return cast("auth.LoadedSession | None", cached)


async def page_ctx(request: Request, db: DbDep) -> Ctx:
    """The caller of a page. On the event loop: its one query reads a session by its key (a
    thread hand-off cost more than the query)."""
    loaded = current_session(request, db)
    if loaded is None:
        raise LoginRequired()
    if not loaded.session.mfa_ok:
        raise MfaPending()
    principal = auth.principal_for(db, loaded.user, client_addr(request), loaded.role)
    request.state.principal = principal  # pages and error pages show who is logged in
    return Ctx(db, principal)


CtxDep = Annotated[Ctx, Depends(page_ctx)]


async def api_ctx(request: Request, db: DbDep) -> Ctx:
    """Bearer API token, or a browser session for safe (GET) requests."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        # reads only, here on the event loop: the token's "last used" change is written by
        # the request's own thread (on SQLite a write waits for the database's write lock)
        with db.no_autoflush:
            user = auth.user_for_api_token(db, header[7:].strip())
            if user is None:
                raise ApiUnauthorized()
            return Ctx(db, auth.principal_for(db, user, client_addr(request)))
    if request.method in ("GET", "HEAD"):
        loaded = current_session(request, db)
        if loaded is not None and loaded.session.mfa_ok:
            return Ctx(db, auth.principal_for(db, loaded.user, client_addr(request), loaded.role))
    raise ApiUnauthorized()


ApiCtxDep = Annotated[Ctx, Depends(api_ctx)]


def page_gate(*permissions: str, message: str | None = None) -> Any:
    """A route dependency: the page is for callers holding any of ``permissions`` (403
    otherwise, with ``message`` on the error page)."""

    async def gate(ctx: CtxDep) -> None:  # on the event loop: no I/O
        if not any(ctx.principal.can(p) for p in permissions):
            raise Forbidden(message) if message else Forbidden()

    return Depends(gate)


def api_gate(permission: str) -> Any:
    """The same gate for the JSON API."""

    async def gate(ctx: ApiCtxDep) -> None:
        if not ctx.principal.can(permission):
            raise Forbidden()

    return Depends(gate)


async def csrf_protect(request: Request, db: DbDep) -> None:
    """Every state-changing request must carry the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``); before log-in, the double-submit cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    loaded = current_session(request, db)
    expected = loaded[0].csrf_token if loaded else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfFailed()


def org_name(code: Any) -> str:
    """An organisation's code as people read it: 인사혁신처, 부산광역시교육청, 공공기관 0042."""
    found = exchange_organisation(str(code or ""))
    return found.name_ko if found is not None else str(code or "")


def claim_ref(ref: Any) -> str:
    """A claim reference ``ORG:claim id`` as ``기관명 · claim id``."""
    org, _, claim = str(ref or "").partition(":")
    return f"{org_name(org)} · {claim}" if claim else org_name(org)


def kst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC) as Korea time, for the pages."""
    return to_kst(value).strftime(fmt) if value is not None else ""


def won(value: Any) -> str:
    return f"{int(value):,}" if value is not None else ""


def date_ko(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class NavItem:
    """An entry of the main menu, shown to whoever ``shows`` it for (sorted by ``order``)."""

    label: str
    href: str
    shows: Callable[[Principal], bool]
    order: int = 50


def build_templates(
    folders: Iterable[tuple[str, Traversable]],
    nav: Iterable[NavItem],
    audit_labels: Mapping[str, str] | None = None,
) -> Jinja2Templates:
    """The app's templates: the shared layout (``web/templates``: ``base.html``,
    ``error.html``) and each package's own ``templates/`` folder under its name
    (``yearend/home.html`` is ``insa/yearend/templates/home.html``)."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(resources.files("insa.web").joinpath("templates"))),
            jinja2.PrefixLoader({name: jinja2.FileSystemLoader(str(f)) for name, f in folders}),
        ]
    )
    t = Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))
    t.env.filters["won"] = won
    t.env.filters["date"] = date_ko
    t.env.filters["org"] = org_name
    t.env.filters["kst"] = kst
    labels = dict(audit_labels or {})
    t.env.filters["audit_label"] = lambda code: labels.get(str(code or ""), str(code or ""))
    t.env.filters["claim"] = claim_ref
    t.env.globals["ROLE_LABELS"] = ROLE_LABELS
    t.env.globals["NAV"] = tuple(sorted(nav, key=lambda n: n.order))
    return t


def templates(request: Request) -> Jinja2Templates:
    return cast(Jinja2Templates, request.app.state.templates)


def csrf_token(request: Request) -> str:
    loaded = getattr(request.state, "insa_session", None)
    return loaded[0].csrf_token if loaded else request.cookies.get(LOGIN_CSRF_COOKIE, "")


FLASH_COOKIE = "insa_flash"


@dataclass(frozen=True)
class Flash:
    """What just happened, shown once on the next page (``ok`` or ``warn``)."""

    text: str
    kind: str = "ok"


def download(
    content: bytes, media_type: str, filename: str, *, inline: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    """A file to download (or show, ``inline``), named through the one header helper."""
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": content_disposition(filename, inline=inline), **(headers or {}),
    })  # fmt: skip


def flash(response: Response, text: str, kind: str = "ok") -> Response:
    """Say on the next page what the action did (a short-lived cookie, read once)."""
    response.set_cookie(FLASH_COOKIE, quote(f"{kind}|{text[:300]}"), max_age=120, httponly=True,
                        samesite="lax", path="/")  # fmt: skip
    return response


def see_other(url: str, message: str | None = None, kind: str = "ok") -> Response:
    """The answer to a form that changed something: back to a page, saying what was done."""
    response = RedirectResponse(url, status_code=303)
    return flash(response, message, kind) if message else response


def _flash_of(request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, text = unquote(raw).partition("|")
    return Flash(text, kind if kind in ("ok", "warn") else "ok") if text else None


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the app: the template with the caller (for the menu), the CSRF token and the
    message of the action that led here, if any (shown once)."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    context.setdefault("csrf_token", csrf_token(request))
    shown = None if request.headers.get("hx-request") else _flash_of(request)
    context.setdefault("flash", shown)
    response = templates(request).TemplateResponse(request, name, context, status_code=status_code)
    if shown is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
