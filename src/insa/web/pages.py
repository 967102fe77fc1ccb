"""Server-rendered pages (Jinja2 + HTMX). Korean UI; routes only parse, call and render."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from typing import Annotated, Any
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from insa.people import service
from insa.people.models import Agency
from insa.security import auth
from insa.security.audit import record
from insa.security.crypto import cipher_from_settings
from insa.security.models import ApiToken, User
from insa.security.service import search_audit
from insa.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CtxDep,
    DbDep,
    Forbidden,
    LoginRequired,
    NotFound,
    client_addr,
    csrf_protect,
    current_session,
    templates,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    loaded = getattr(request.state, "insa_session", None)
    csrf = loaded[0].csrf_token if loaded else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    context.setdefault("principal", getattr(request.state, "principal", None))
    response = templates().TemplateResponse(
        request, name, {"csrf_token": csrf, **context}, status_code=status_code
    )
    return response


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


def _opt_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


# ------------------------------------------------------------------ log-in


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, db: DbDep, next: str = "/") -> Response:
    if current_session(request, db) is not None and request.state.insa_session[0].mfa_ok:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates().TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "next": _safe_next(next), "error": None, "principal": None},
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
        if result.reason == "locked" and result.locked_until:
            minutes = max(1, int((result.locked_until - auth.now()).total_seconds() // 60) + 1)
            error = (
                f"로그인 실패가 반복되어 계정이 잠겼습니다. 약 {minutes}분 뒤에 다시 시도하세요."
            )
        else:
            error = "아이디 또는 비밀번호가 맞지 않습니다."
        csrf = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        return templates().TemplateResponse(
            request,
            "login.html",
            {
                "csrf_token": csrf,
                "next": _safe_next(next),
                "error": error,
                "principal": None,
                "username": username,
            },
            status_code=401 if result.reason != "locked" else 429,
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


def _pending(request: Request, db: DbDep) -> tuple[Any, User]:
    loaded = current_session(request, db)
    if loaded is None:
        raise LoginRequired()
    return loaded


@router.get("/login/totp", response_class=HTMLResponse)
def totp_form(request: Request, db: DbDep, next: str = "/") -> Response:
    _ws, user = _pending(request, db)
    if not user.totp_enabled:
        return RedirectResponse(
            f"/login/totp/setup?next={quote(_safe_next(next))}", status_code=303
        )
    return render(request, "totp.html", next=_safe_next(next), error=None, setup=None)


@router.post("/login/totp", response_class=HTMLResponse)
def totp_submit(
    request: Request, db: DbDep, code: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    ws, user = _pending(request, db)
    if not auth.totp_check(cipher_from_settings(), user, code):
        record(
            db,
            actor=user.username,
            action="auth.totp_failed",
            client_addr=client_addr(request),
            target_type="user",
            target_id=user.id,
        )
        return render(
            request,
            "totp.html",
            status_code=401,
            next=_safe_next(next),
            error="인증 코드가 맞지 않습니다.",
            setup=None,
        )
    ws.mfa_ok = True
    record(
        db,
        actor=user.username,
        action="auth.totp_ok",
        client_addr=client_addr(request),
        target_type="user",
        target_id=user.id,
    )
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
        "totp.html",
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
    if not auth.totp_confirm(db, cipher, user, code, client_addr(request)):
        secret = auth.totp_secret(cipher, user) or ""
        return render(
            request, "totp.html", status_code=401, next=_safe_next(next), error="인증 코드가 맞지 않습니다.",
            setup={"secret": secret, "qr": _qr_svg(auth.totp_uri(secret, user))},
        )  # fmt: skip
    ws.mfa_ok = True
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    loaded = current_session(request, db)
    if loaded:
        record(
            db,
            actor=loaded[1].username,
            action="auth.logout",
            client_addr=client_addr(request),
            target_type="user",
            target_id=loaded[1].id,
        )
    auth.end_session(db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ------------------------------------------------------------------ dashboard


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: CtxDep) -> Response:
    p = ctx.principal
    data: dict[str, Any] = {"title": p.spec.home}
    if p.agency_id is not None:
        data["agency_name"] = ctx.db.scalar(select(Agency.name_ko).where(Agency.id == p.agency_id))
    if p.is_self_service:
        if p.employee_id is not None:
            data["me"] = service.get_employee(ctx, p.employee_id)
            pay = service.list_payroll(ctx, p.employee_id) or []
            data["latest_pay"] = pay[-1] if pay else None
    elif p.can(service.SEARCH):
        data["headcount"] = service.agency_headcount(ctx)
        if p.sees_assigned_only:
            data["assigned"] = service.search_employees(ctx, size=50).items
        if p.can(service.VIEW_TOTALS):
            data["payroll"] = service.agency_payroll_totals(ctx)
        if p.sees_all:
            data["agencies"] = service.agencies_overview(ctx)
    return render(request, "dashboard.html", **data)


@router.get("/me")
def me(request: Request, ctx: CtxDep) -> Response:
    if ctx.principal.employee_id is None:
        raise NotFound()
    return RedirectResponse(f"/employees/{ctx.principal.employee_id}", status_code=303)


# ------------------------------------------------------------------ employees


@router.get("/employees", response_class=HTMLResponse)
def employees(
    request: Request,
    ctx: CtxDep,
    q: str = "",
    org_unit: Annotated[str, Query(alias="org_unit_id")] = "",
    agency: Annotated[str, Query(alias="agency_id")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    p = ctx.principal
    org_unit_id = _opt_int(org_unit)  # empty select values arrive as ""
    agency_id = _opt_int(agency)
    if not p.can(service.SEARCH):
        if p.is_self_service:
            return RedirectResponse("/me", status_code=303)
        raise Forbidden()
    units = service.org_units(ctx, agency_id)
    if org_unit_id is not None and org_unit_id not in {u[0] for u in units}:
        org_unit_id = None
    result = service.search_employees(
        ctx, q=q, org_unit_id=org_unit_id, agency_id=agency_id, page=page
    )
    agencies = service.agencies_overview(ctx)
    template = "_results.html" if request.headers.get("hx-request") else "employees.html"
    return render(
        request,
        template,
        q=q,
        org_unit_id=org_unit_id,
        agency_id=agency_id,
        units=units,
        result=result,
        agencies=agencies,
    )


@router.get("/employees/{employee_id}", response_class=HTMLResponse)
def employee_detail(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    emp = service.get_employee(ctx, employee_id)
    if emp is None:
        raise NotFound()
    deps = service.list_dependents(ctx, employee_id)
    years = service.payroll_years(ctx, employee_id)
    pay = service.list_payroll(ctx, employee_id, year) if years else None
    totals = (
        {k: sum(r[k] for r in pay) for k in pay[0] if k not in ("year", "month")} if pay else None
    )
    return render(
        request,
        "employee.html",
        emp=emp,
        dependents=deps,
        payroll=pay,
        totals=totals,
        years=years,
        year=(pay[0]["year"] if pay else None),
    )


# ------------------------------------------------------------------ audit


@router.get("/audit", response_class=HTMLResponse)
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
    if not ctx.principal.can("security.view_audit"):
        raise Forbidden("감사 기록은 중앙관리자만 볼 수 있습니다.")
    error = None
    start = end = None
    try:
        start = dt.date.fromisoformat(date_from) if date_from else None
        end = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError:
        error = "날짜는 YYYY-MM-DD 형식으로 입력하세요."
    result = search_audit(
        ctx, actor=actor, person=person, action=action, date_from=start, date_to=end, page=page
    )
    return render(
        request, "audit.html", result=result, error=error,
        form={"actor": actor, "person": person, "action": action, "date_from": date_from, "date_to": date_to},
    )  # fmt: skip


# ------------------------------------------------------------------ account


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, ctx: CtxDep) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    tokens = ctx.db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == ctx.principal.user_id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render(request, "account.html", user=user, tokens=tokens, new_token=None)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token_create(
    request: Request, ctx: CtxDep, name: Annotated[str, Form()] = ""
) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    token = auth.create_api_token(ctx.db, user, name.strip() or "API")
    tokens = ctx.db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render(request, "account.html", user=user, tokens=tokens, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(ctx: CtxDep, token_id: int) -> Response:
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    if not auth.revoke_api_token(ctx.db, user, token_id):
        raise NotFound()
    return RedirectResponse("/account", status_code=303)


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
