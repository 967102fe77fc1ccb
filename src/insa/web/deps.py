"""Request plumbing shared by pages and API: DB session, who is calling, CSRF, templates.

Thin routes declare ``CtxDep`` (pages) or ``ApiCtxDep`` (API) and get a :class:`Ctx` whose
queries are scoped and whose reads are audited; state-changing forms are CSRF-checked by the
router-level :func:`csrf_protect`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from importlib import resources
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from insa.db.engine import get_engine, session_scope
from insa.security import auth
from insa.security.context import Ctx
from insa.security.models import ROLES, User, WebSession

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


def get_db() -> Iterator[Session]:
    """One transaction per request; committed before the response is sent."""
    with session_scope(get_engine()) as session:
        yield session


DbDep = Annotated[Session, Depends(get_db, scope="function")]


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_session(request: Request, db: Session) -> tuple[WebSession, User] | None:
    cached = getattr(request.state, "insa_session", _MISSING)
    if cached is _MISSING:
        cached = auth.load_session(db, request.cookies.get(SESSION_COOKIE))
        request.state.insa_session = cached
    return cast("tuple[WebSession, User] | None", cached)


def page_ctx(request: Request, db: DbDep) -> Ctx:
    loaded = current_session(request, db)
    if loaded is None:
        raise LoginRequired()
    ws, user = loaded
    if not ws.mfa_ok:
        raise MfaPending()
    principal = auth.principal_for(db, user, client_addr(request))
    request.state.principal = principal  # pages and error pages show who is logged in
    return Ctx(db, principal)


CtxDep = Annotated[Ctx, Depends(page_ctx)]


def api_ctx(request: Request, db: DbDep) -> Ctx:
    """Bearer API token, or a browser session for safe (GET) requests."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth.user_for_api_token(db, header[7:].strip())
        if user is None:
            raise ApiUnauthorized()
        return Ctx(db, auth.principal_for(db, user, client_addr(request)))
    if request.method in ("GET", "HEAD"):
        loaded = current_session(request, db)
        if loaded is not None and loaded[0].mfa_ok:
            return Ctx(db, auth.principal_for(db, loaded[1], client_addr(request)))
    raise ApiUnauthorized()


ApiCtxDep = Annotated[Ctx, Depends(api_ctx)]


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


def won(value: Any) -> str:
    return f"{int(value):,}" if value is not None else ""


def date_ko(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


_templates: Jinja2Templates | None = None


def templates() -> Jinja2Templates:
    global _templates
    if _templates is None:
        t = Jinja2Templates(directory=str(resources.files("insa.web").joinpath("templates")))
        t.env.filters["won"] = won
        t.env.filters["date"] = date_ko
        t.env.globals["ROLES"] = ROLES
        _templates = t
    return _templates
