"""Log-in (password, TOTP), log-out, the account page (API tokens, authenticator) and the
audit trail — pages and ``/api/v1``. Routes parse, call and render; the services audit."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from insa.clock import today_kst
from insa.db.paging import Page
from insa.security import auth, service
from insa.security.crypto import cipher_from_settings
from insa.security.models import User
from insa.security.roles import ROLE_LABELS
from insa.security.schemas import AuditOut, AuditPageOut, CentreOut, Me, MemberOut
from insa.spreadsheets import table_file
from insa.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ApiCtxDep,
    CtxDep,
    DbDep,
    LoginRequired,
    NavItem,
    NotFound,
    api_gate,
    client_addr,
    csrf_protect,
    current_session,
    download,
    page_gate,
    render,
    see_other,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["v1"])
ROUTERS = (router, api_router)
NAV = (
    NavItem("공동 센터", "/centres", lambda p: p.can(service.VIEW_CENTRE), order=70),
    NavItem("감사 기록", "/audit", lambda p: p.can(service.VIEW_AUDIT), order=80),
    NavItem("계정", "/account", lambda p: True, order=90),
)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=int(auth.SESSION_ABSOLUTE.total_seconds()),
        path="/",
    )


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


# ------------------------------------------------------------------ log-in


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, db: DbDep, next: str = "/") -> Response:
    if current_session(request, db) is not None and request.state.insa_session[0].mfa_ok:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "security/login.html",
        csrf_token=token,
        next=_safe_next(next),
        error=None,
        principal=None,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    result = auth.login(db, username.strip(), password, client_addr(request))
    if not result.ok or result.user is None:
        limited = result.reason in ("locked", "throttled") or result.locked_until is not None
        if result.reason == "throttled":
            error = "이 주소에서 로그인 실패가 너무 많습니다. 잠시 뒤에 다시 시도하세요."
        elif result.locked_until:
            error = f"로그인 실패가 반복되어 계정이 잠겼습니다. {_wait(result.locked_until)}"
        else:
            error = "아이디 또는 비밀번호가 맞지 않습니다."
        return render(
            request,
            "security/login.html",
            status_code=429 if limited else 401,
            csrf_token=request.cookies.get(LOGIN_CSRF_COOKIE, ""),
            next=_safe_next(next),
            error=error,
            principal=None,
            username=username,
        )
    need_mfa = auth.mfa_required(db, result.user)
    auth.end_session(db, request.cookies.get(SESSION_COOKIE))
    token, _ws = auth.create_session(
        db, result.user, mfa_ok=not need_mfa, client_addr=client_addr(request)
    )
    if need_mfa:
        target = "/login/totp" if result.user.totp_enabled else "/login/totp/setup"
        target += f"?next={quote(_safe_next(next))}"
    else:
        target = _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _wait(until: dt.datetime) -> str:
    minutes = max(1, int((until - auth.now()).total_seconds() // 60) + 1)
    return f"약 {minutes}분 뒤에 다시 시도하세요."


def _totp_refused(
    request: Request, result: auth.TotpResult, next: str, setup: dict[str, str] | None
) -> Response:
    """A refused code: locked (the pending log-in ended: back to the password), a code used
    already, or a wrong one."""
    if result.locked_until is not None:
        return render(
            request, "security/login.html", status_code=429,
            csrf_token=request.cookies.get(LOGIN_CSRF_COOKIE, ""), next=_safe_next(next),
            error=f"인증 코드 실패가 반복되어 계정이 잠겼습니다. {_wait(result.locked_until)}",
            principal=None, username="",
        )  # fmt: skip
    error = ("이미 사용한 인증 코드입니다. 앱에 새 코드가 나오면 입력하세요."
             if result.reason == "replayed" else "인증 코드가 맞지 않습니다.")  # fmt: skip
    return render(request, "security/totp.html", status_code=401, next=_safe_next(next),
                  error=error, setup=setup)  # fmt: skip


def _pending(request: Request, db: DbDep) -> tuple[Any, User]:
    loaded = current_session(request, db)
    if loaded is None:
        raise LoginRequired()
    return loaded.session, loaded.user


@router.get("/login/totp", response_class=HTMLResponse)
def totp_form(request: Request, db: DbDep, next: str = "/") -> Response:
    _ws, user = _pending(request, db)
    if not user.totp_enabled:
        return RedirectResponse(
            f"/login/totp/setup?next={quote(_safe_next(next))}", status_code=303
        )
    return render(request, "security/totp.html", next=_safe_next(next), error=None, setup=None)


@router.post("/login/totp", response_class=HTMLResponse)
def totp_submit(
    request: Request, db: DbDep, code: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    ws, user = _pending(request, db)
    result = auth.totp_verify(db, cipher_from_settings(), user, code, client_addr(request))
    if not result:
        return _totp_refused(request, result, next, None)
    ws.mfa_ok = True
    return RedirectResponse(_safe_next(next), status_code=303)


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


@router.get("/login/totp/setup", response_class=HTMLResponse)
def totp_setup_form(request: Request, db: DbDep, next: str = "/") -> Response:
    _ws, user = _pending(request, db)
    cipher = cipher_from_settings()
    secret = (
        auth.totp_secret(cipher, user)
        if user.totp_secret_encrypted and not user.totp_enabled
        else None
    )
    if secret is None:
        secret = auth.totp_begin(db, cipher, user)
    uri = auth.totp_uri(secret, user)
    return render(
        request,
        "security/totp.html",
        next=_safe_next(next),
        error=None,
        setup={"secret": secret, "qr": _qr_svg(uri)},
    )


@router.post("/login/totp/setup", response_class=HTMLResponse)
def totp_setup_submit(
    request: Request, db: DbDep, code: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    ws, user = _pending(request, db)
    cipher = cipher_from_settings()
    result = auth.totp_confirm(db, cipher, user, code, client_addr(request))
    if not result:
        secret = auth.totp_secret(cipher, user) or ""
        setup = {"secret": secret, "qr": _qr_svg(auth.totp_uri(secret, user))}
        return _totp_refused(request, result, next, setup)
    ws.mfa_ok = True
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    loaded = current_session(request, db)
    auth.logout(db, request.cookies.get(SESSION_COOKIE), loaded[1] if loaded else None,
                client_addr(request))  # fmt: skip
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ------------------------------------------------------------------ audit


@router.get(
    "/audit",
    response_class=HTMLResponse,
    dependencies=[
        page_gate(service.VIEW_AUDIT, message="감사 기록은 중앙관리자만 볼 수 있습니다.")
    ],
)
def audit(
    request: Request,
    ctx: CtxDep,
    actor: str = "",
    person: str = "",
    action: str = "",
    date_from: str = "",
    date_to: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    form = {"actor": actor, "person": person, "action": action, "date_from": date_from,
            "date_to": date_to}  # fmt: skip
    query, error = _audit_query(form)
    result: Page[Any] = Page([], 0, 1, 50)
    names: dict[tuple[str, str], str] = {}
    if query is not None:
        try:
            result = service.search_audit(ctx, query, page=page)
            names = service.audit_targets(ctx, result.items)
        except service.AuditQueryError as exc:
            error = str(exc)
    return render(request, "security/audit.html", result=result, error=error, form=form,
                  names=names, export=urlencode(form))  # fmt: skip


def _audit_query(form: dict[str, str]) -> tuple[service.AuditQuery | None, str | None]:
    try:
        start = dt.date.fromisoformat(form["date_from"]) if form["date_from"] else None
        end = dt.date.fromisoformat(form["date_to"]) if form["date_to"] else None
    except ValueError:
        return None, "날짜는 YYYY-MM-DD 형식으로 입력하세요."
    return service.AuditQuery(form["actor"], form["person"], form["action"], start, end), None


@router.get("/audit/export.csv", dependencies=[page_gate(service.VIEW_AUDIT)])
@router.get("/audit/export.xlsx", dependencies=[page_gate(service.VIEW_AUDIT)])
def audit_export(
    request: Request, ctx: CtxDep, actor: str = "", person: str = "", action: str = "",
    date_from: str = "", date_to: str = "",
) -> Response:  # fmt: skip
    """The search as a CSV file (UTF-8 with BOM, for spreadsheet programs) or a workbook,
    by the path's suffix."""
    form = {"actor": actor, "person": person, "action": action, "date_from": date_from,
            "date_to": date_to}  # fmt: skip
    return _audit_export(request, ctx, form, request.url.path.rsplit(".", 1)[1])


def _audit_export(request: Request, ctx: Any, form: dict[str, str], fmt: str) -> Response:
    query, error = _audit_query(form)
    try:
        if query is None:
            raise service.AuditQueryError(error or "")
        rows = service.export_audit(ctx, query, request.app.state.audit_labels, ROLE_LABELS)
    except service.AuditQueryError as exc:
        return render(request, "error.html", status_code=422, title="내보낼 수 없습니다",
                      message=str(exc))  # fmt: skip
    content, media = table_file(fmt, service.EXPORT_HEADER, rows, sheet="감사 기록")
    return download(content, media, f"audit-{today_kst():%Y%m%d}.{fmt}")


# ------------------------------------------------------------------ account


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, ctx: CtxDep) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    tokens = service.api_tokens(ctx)
    return render(request, "security/account.html", user=user, tokens=tokens, new_token=None)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token_create(
    request: Request, ctx: CtxDep, name: Annotated[str, Form()] = ""
) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    token = auth.create_api_token(ctx.db, user, name.strip() or "API")
    tokens = service.api_tokens(ctx)
    return render(request, "security/account.html", user=user, tokens=tokens, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(ctx: CtxDep, token_id: int) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    if not auth.revoke_api_token(ctx.db, user, token_id):
        raise NotFound()
    return see_other(
        "/account", "API 토큰을 폐기했습니다. 그 토큰으로는 더 이상 접속할 수 없습니다."
    )


@router.post("/account/password", response_class=HTMLResponse)
def account_password(
    request: Request, ctx: CtxDep, current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Change one's own password (the current one first; other sessions end)."""
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    try:
        auth.change_password(ctx.db, user, current=current, new=new, confirm=confirm,
                             keep_session=request.cookies.get(SESSION_COOKIE),
                             client_addr=ctx.principal.client_addr)  # fmt: skip
    except auth.PasswordChangeError as exc:
        return render(request, "security/account.html", status_code=422, user=user,
                      tokens=service.api_tokens(ctx), new_token=None, password_error=str(exc))  # fmt: skip
    return see_other("/account", "비밀번호를 바꿨습니다. 다른 기기의 로그인은 모두 끝났습니다.")


@router.post("/account/totp")
def account_totp_reset(request: Request, ctx: CtxDep) -> Response:
    """Start (re-)enrolment of the authenticator app: the session returns to 'pending'."""
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    auth.totp_begin(ctx.db, cipher_from_settings(), user)
    loaded = current_session(request, ctx.db)
    if loaded:
        loaded[0].mfa_ok = False
    return RedirectResponse("/login/totp/setup?next=/account", status_code=303)


# ------------------------------------------------------------------ shared centres


@router.get(
    "/centres",
    response_class=HTMLResponse,
    dependencies=[page_gate(service.VIEW_CENTRE, message="공동 센터 담당자만 볼 수 있습니다.")],
)
def centres(request: Request, ctx: CtxDep) -> Response:
    return render(request, "security/centres.html", centres=service.centres(ctx))


@router.get("/centres/{code}", response_class=HTMLResponse)
def centre(request: Request, ctx: CtxDep, code: str) -> Response:
    found = service.centre_members(ctx, code)
    if found is None:
        raise NotFound()
    view, members = found
    return render(request, "security/centre.html", centre=view, members=members)


# ------------------------------------------------------------------ API


@api_router.get("/me", response_model=Me, name="me")
def api_me(ctx: ApiCtxDep) -> Me:
    p = ctx.principal
    return Me(
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        agency_id=p.agency_id,
        employee_id=p.employee_id,
    )


@api_router.get(
    "/audit", response_model=AuditPageOut, dependencies=[api_gate(service.VIEW_AUDIT)], name="audit"
)
def api_audit(
    ctx: ApiCtxDep,
    actor: str = "",
    person: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> AuditPageOut:
    query = service.AuditQuery(actor, person, action, date_from, date_to)
    try:
        r = service.search_audit(ctx, query, page=page)
    except service.AuditQueryError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return AuditPageOut(
        items=[AuditOut.model_validate(a) for a in r.items], total=r.total, page=r.page, size=r.size
    )


@api_router.get(
    "/centres",
    response_model=list[CentreOut],
    dependencies=[api_gate(service.VIEW_CENTRE)],
    name="centres",
)
def api_centres(ctx: ApiCtxDep) -> list[CentreOut]:
    return [CentreOut.model_validate(c, from_attributes=True) for c in service.centres(ctx)]


@api_router.get("/centres/{code}/members", response_model=list[MemberOut], name="centre_members")
def api_centre_members(ctx: ApiCtxDep, code: str) -> list[MemberOut]:
    found = service.centre_members(ctx, code)
    if found is None:
        raise NotFound()
    return [MemberOut.model_validate(m, from_attributes=True) for m in found[1]]
