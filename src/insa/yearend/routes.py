"""Year-end pages: the one-click run with progress, results, 내 연말정산 with a what-if form,
the receipt PDF and the agency's electronic filing file. Routes parse, call and render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from insa.codes import RELATION_LABELS
from insa.db.engine import get_engine
from insa.people.models import Agency
from insa.web.deps import ApiCtxDep, CtxDep, Forbidden, NavItem, NotFound, csrf_protect, render
from insa.yearend import jobs
from insa.yearend import service as scoped
from insa.yearend.scalar import compute
from insa.yearend.settlement import explain

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
NAV = (
    NavItem("연말정산", "/yearend", lambda p: p.can(scoped.LIST), order=40),
    NavItem(
        "내 연말정산",
        "/yearend/me",
        lambda p: p.is_self_service and p.can(scoped.VIEW) and not p.can(scoped.LIST),
        order=40,
    ),
)

# The what-if form: dotted field of the case → Korean label.
WHAT_IF_FIELDS: dict[str, str] = {
    "cards.credit": "신용카드 사용액",
    "cards.debit": "체크카드 사용액",
    "cards.cash_receipt": "현금영수증",
    "cards.traditional_market": "전통시장 사용액",
    "cards.public_transport": "대중교통 이용액",
    "insurance.general": "보장성 보험료",
    "medical.self_senior_disabled_child6": "의료비 (본인·65세 이상·장애인·6세 이하)",
    "medical.other_dependents": "의료비 (그 밖의 부양가족)",
    "education.self": "교육비 (본인)",
    "donations.general": "기부금 (일반)",
    "donations.hometown": "고향사랑기부금",
    "pension_account.pension_savings": "연금저축 납입액",
    "pension_account.irp": "퇴직연금(IRP) 납입액",
    "monthly_rent": "월세 지급액",
    "housing.subscription_savings": "주택청약저축 납입액",
}
COMPARE = (
    ("tax_base", "과세표준"),
    ("computed_tax", "산출세액"),
    ("total_credits", "세액공제 합계"),
    ("determined_tax", "결정세액"),
    ("local_tax", "지방소득세"),
    ("balance_income_tax", "차감징수 소득세"),
    ("balance_local_tax", "차감징수 지방소득세"),
)


def _get(data: Any, dotted: str) -> int:
    for part in dotted.split("."):
        data = getattr(data, part)
    return int(data)


def _year(year: int | None) -> int:
    """The requested tax year if the rules cover it, else last year; an unknown year is 404."""
    if year is None:
        return scoped.default_year()
    if year not in scoped.tax_years():
        raise NotFound()
    return year


@router.get("/yearend", response_class=HTMLResponse)
def yearend_home(
    request: Request,
    ctx: CtxDep,
    year: int | None = None,
    q: str = "",
    only: str = "",
    agency: Annotated[str, Query(alias="agency_id")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    p = ctx.principal
    if not p.can(scoped.LIST):
        if p.is_self_service and p.can(scoped.VIEW):
            return RedirectResponse("/yearend/me", status_code=303)
        raise Forbidden()
    y = _year(year)
    agency_id = int(agency) if agency.isdigit() and p.sees_all else None
    results = scoped.list_results(ctx, y, q=q, agency_id=agency_id, only=only, page=page)
    agencies = (
        ctx.db.execute(select(Agency.id, Agency.name_ko).order_by(Agency.name_ko)).all()
        if p.sees_all
        else []
    )
    template = "yearend/_results.html" if request.headers.get("hx-request") else "yearend/home.html"
    return render(
        request,
        template,
        year=y,
        years=scoped.tax_years(),
        runs=scoped.list_runs(ctx, y),
        results=results,
        q=q,
        only=only,
        agency_id=agency_id,
        agencies=agencies,
        can_run=p.can(scoped.RUN),
    )


@router.post("/yearend/run", response_class=HTMLResponse)
def yearend_run(
    request: Request,
    ctx: CtxDep,
    year: Annotated[int, Form()],
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        scope = scoped.run_scope(ctx, int(agency_id) if agency_id.isdigit() else None)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    job = jobs.start(get_engine(), year, scope, principal=ctx.principal)
    if request.headers.get("hx-request"):
        return render(request, "yearend/_job.html", job=job)
    return RedirectResponse(f"/yearend/jobs/{job.id}", status_code=303)


@router.get("/yearend/jobs/{job_id}", response_class=HTMLResponse)
def yearend_job(request: Request, ctx: CtxDep, job_id: str) -> Response:
    job = jobs.get(job_id)
    if job is None or not jobs.visible(job, ctx.principal):
        raise NotFound()
    template = "yearend/_job.html" if request.headers.get("hx-request") else "yearend/job.html"
    return render(request, template, job=job)


@router.get("/yearend/me")
def yearend_me(ctx: CtxDep, year: int | None = None) -> Response:
    if ctx.principal.employee_id is None:
        raise NotFound()
    suffix = f"?year={year}" if year else ""
    return RedirectResponse(
        f"/yearend/employees/{ctx.principal.employee_id}{suffix}", status_code=303
    )


def _explained(ctx: CtxDep, employee_id: int, year: int | None) -> tuple[Any, Any, int]:
    emp = scoped.visible_employee(ctx, employee_id)
    if emp is None:
        raise NotFound()
    y = _year(year)
    ex = explain(ctx.db, employee_id, y, emp.employee_no)
    ctx.audit(
        "yearend.view_result",
        target_type="employee",
        target_id=employee_id,
        agency_id=emp.agency_id,
        detail={"tax_year": y},
    )
    return emp, ex, y


@router.get("/yearend/employees/{employee_id}", response_class=HTMLResponse)
def yearend_employee(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    emp, ex, y = _explained(ctx, employee_id, year)
    return render(
        request,
        "yearend/employee.html",
        emp=emp,
        ex=ex,
        year=y,
        fields={k: (label, _get(ex.case, k)) for k, label in WHAT_IF_FIELDS.items()} if ex else {},
        relation_labels=RELATION_LABELS,
        own=ctx.principal.employee_id == employee_id,
    )


@router.post("/yearend/employees/{employee_id}/what-if", response_class=HTMLResponse)
async def yearend_what_if(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    """Change a deduction and see the new result; nothing is stored."""
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in WHAT_IF_FIELDS}
    return await run_in_threadpool(_what_if, request, ctx, employee_id, year, values)


def _what_if(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None, form: dict[str, str]
) -> Response:
    emp, ex, y = _explained(ctx, employee_id, year)
    if ex is None:
        raise NotFound()
    data = ex.case.model_dump(mode="json")
    errors: list[str] = []
    changed: list[tuple[str, int, int]] = []
    for key, label in WHAT_IF_FIELDS.items():
        raw = str(form.get(key, "")).replace(",", "").strip()
        if raw == "":
            continue
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 13:
            errors.append(f"{label}: 0 이상의 원 단위 정수(13자리까지)로 입력하세요.")
            continue
        node = data
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        if int(raw) != node[last]:
            changed.append((label, node[last], int(raw)))
            node[last] = int(raw)
    new = None
    if not errors:
        try:
            new = compute(type(ex.case).model_validate(data))
        except ValidationError as exc:
            errors = [str(e["msg"]) for e in exc.errors()]
    return render(
        request,
        "yearend/_what_if.html",
        before=ex.result,
        after=new,
        changed=changed,
        errors=errors,
        compare=COMPARE,
    )


@router.get("/yearend/employees/{employee_id}/receipt.pdf")
def yearend_receipt(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    from insa.yearend.documents import DocumentUnavailable, receipt_for

    emp, ex, y = _explained(ctx, employee_id, year)
    if ex is None:
        raise NotFound()
    try:
        pdf = receipt_for(ctx.db, ctx.cipher, emp, ex)
    except DocumentUnavailable as exc:
        return render(
            request,
            "error.html",
            status_code=409,
            title="영수증을 만들 수 없습니다",
            message=str(exc),
        )
    ctx.audit(
        "yearend.receipt",
        target_type="employee",
        target_id=employee_id,
        agency_id=emp.agency_id,
        detail={"tax_year": y},
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="receipt-{y}-{emp.employee_no}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/yearend/filing")
def yearend_filing(
    request: Request,
    ctx: CtxDep,
    year: Annotated[int | None, Form()] = None,
    agency: Annotated[str, Form(alias="agency_id")] = "",
) -> Response:
    """The agency's electronic filing file (근로소득 지급명세서 전산매체), from stored results."""
    from insa.yearend.documents import DocumentUnavailable, filing_for_agency
    from insa.yearend.filing.errors import FilingError

    try:
        aid = scoped.run_scope(ctx, int(agency) if agency.isdigit() else None)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    if aid is None:
        raise Forbidden("전산매체는 기관별로 만듭니다. 기관을 고르세요.")
    year = _year(year)
    try:
        data, name = filing_for_agency(ctx.db, ctx.cipher, aid, year)
    except (DocumentUnavailable, FilingError) as exc:
        return render(
            request,
            "error.html",
            status_code=409,
            title="전산매체를 만들 수 없습니다",
            message=f"{exc}",
        )
    ctx.audit(
        "yearend.filing",
        target_type="agency",
        target_id=aid,
        agency_id=aid,
        detail={"tax_year": year, "bytes": len(data)},
    )
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# ------------------------------------------------------------------ JSON API

api_router = APIRouter(prefix="/api/v1/yearend", tags=["yearend"])


class Line(BaseModel):
    item: str
    amount: int
    rule: str
    source: str
    parameter: str


class SettlementOut(BaseModel):
    """One employee's settlement: the stateless contract's output plus the stored version."""

    employee_id: int
    employee_no: str
    tax_year: int
    stored_version: int | None
    stale: bool
    result: dict[str, Any]
    lines: list[Line]


class ResultRow(BaseModel):
    id: int
    employee_no: str
    name: str
    version: int
    method: str
    total_salary: int
    determined_tax: int
    withheld_income_tax: int
    balance_income_tax: int
    balance_local_tax: int


class ResultPageOut(BaseModel):
    items: list[ResultRow]
    total: int
    page: int
    size: int
    pages: int
    summary: dict[str, int]


@api_router.get("/results", response_model=ResultPageOut)
def api_results(
    ctx: ApiCtxDep,
    year: int | None = None,
    q: str = "",
    only: Annotated[str, Query(pattern="^(|refund|collect)$")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ResultPageOut:
    """Stored results in the caller's scope, largest balance to collect first."""
    if not ctx.principal.can(scoped.LIST):
        raise Forbidden()
    res = scoped.list_results(ctx, _year(year), q=q, only=only, page=page, size=size)
    return ResultPageOut(
        items=[ResultRow(**r) for r in res.items],
        total=res.total,
        page=res.page,
        size=res.size,
        pages=res.pages,
        summary=res.summary,
    )


@api_router.get("/employees/{employee_id}", response_model=SettlementOut)
def api_employee(ctx: ApiCtxDep, employee_id: int, year: int | None = None) -> SettlementOut:
    """One employee's settlement, every line with its rule and legal source."""
    emp, ex, y = _explained(ctx, employee_id, year)
    if ex is None:
        raise NotFound()
    result = {k: v for k, v in ex.result.items() if k != "lines"}
    return SettlementOut(
        employee_id=emp.id,
        employee_no=emp.employee_no,
        tax_year=y,
        stored_version=ex.stored["version"] if ex.stored else None,
        stale=ex.stale,
        result=result,
        lines=[Line(**line) for line in ex.result["lines"]],
    )


ROUTERS = (router, api_router)
