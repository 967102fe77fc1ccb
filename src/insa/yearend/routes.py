"""Year-end pages: the one-click run with progress, results, 내 연말정산 with a what-if form,
the receipt PDF and the agency's electronic filing file. Routes parse, call and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from insa.codes import RELATION_LABELS
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    Forbidden,
    NavItem,
    NotFound,
    api_gate,
    csrf_protect,
    download,
    flash,
    page_gate,
    render,
)
from insa.yearend import service
from insa.yearend.schemas import Line, ResultPageOut, ResultRow, SettlementOut

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/yearend", tags=["yearend"])
ROUTERS = (router, api_router)
NAV = (
    NavItem("연말정산", "/yearend", lambda p: p.can(service.LIST), order=40),
    NavItem(
        "내 연말정산",
        "/yearend/me",
        lambda p: p.is_self_service and p.can(service.VIEW) and not p.can(service.LIST),
        order=40,
    ),
)
RUN_GATE = page_gate(service.RUN, message="연말정산을 실행할 권한이 없습니다.")
COMPARE = (
    ("tax_base", "과세표준"),
    ("computed_tax", "산출세액"),
    ("total_credits", "세액공제 합계"),
    ("determined_tax", "결정세액"),
    ("local_tax", "지방소득세"),
    ("balance_income_tax", "차감징수 소득세"),
    ("balance_local_tax", "차감징수 지방소득세"),
)


def _year(year: int | None) -> int:
    """The requested tax year if the rules cover it, else last year; an unknown year is 404."""
    if year is None:
        return service.default_year()
    if year not in service.tax_years():
        raise NotFound()
    return year


def _opt_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _settlement(ctx: CtxDep, employee_id: int, year: int | None) -> service.EmployeeSettlement:
    """The employee's settlement of the year (404: not the caller's to see, or unknown year)."""
    y = _year(year)
    seen = service.view_settlement(ctx, employee_id, y)
    if seen is None:
        raise NotFound()
    return seen


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
    if not p.can(service.LIST):
        if p.is_self_service and p.can(service.VIEW):
            return RedirectResponse("/yearend/me", status_code=303)
        raise Forbidden()
    y = _year(year)
    agency_id = service.results_agency(ctx, agency)
    results = service.list_results(ctx, y, q=q, agency_id=agency_id, only=only, page=page)
    agencies = service.agency_choices(ctx)
    template = "yearend/_results.html" if request.headers.get("hx-request") else "yearend/home.html"
    return render(
        request,
        template,
        year=y,
        years=service.tax_years(),
        runs=service.list_runs(ctx, y),
        results=results,
        q=q,
        only=only,
        agency_id=agency_id,
        agencies=agencies,
        can_run=p.can(service.RUN),
    )


@router.post("/yearend/run", response_class=HTMLResponse, dependencies=[RUN_GATE])
def yearend_run(
    request: Request,
    ctx: CtxDep,
    year: Annotated[int, Form()],
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        job = service.start_run(ctx, year, _opt_int(agency_id))
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    if request.headers.get("hx-request"):
        return render(request, "yearend/_job.html", job=job)
    return RedirectResponse(f"/yearend/jobs/{job.id}", status_code=303)


@router.get("/yearend/jobs/{job_id}", response_class=HTMLResponse)
def yearend_job(request: Request, ctx: CtxDep, job_id: str) -> Response:
    job = service.job_of(ctx, job_id)
    if job is None:
        raise NotFound()
    if request.headers.get("hx-request") and job.status == "done" and job.report is not None:
        # the run ended while its page polled: show the page with the new results
        r = job.report
        done = (f"{job.tax_year}년 귀속 정산을 마쳤습니다 (v{r.version}): {r.employees:,}명, "
                f"결정세액 {r.determined_tax:,}원, 환급 {r.refunds:,}명.")  # fmt: skip
        target = f"/yearend?year={job.tax_year}" + (
            f"&agency_id={job.agency_id}" if job.agency_id else ""
        )
        return flash(Response(status_code=200, headers={"HX-Redirect": target}), done)
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


@router.get("/yearend/employees/{employee_id}", response_class=HTMLResponse)
def yearend_employee(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    seen = _settlement(ctx, employee_id, year)
    return render(
        request,
        "yearend/employee.html",
        emp=seen.employee,
        ex=seen.explanation,
        year=seen.year,
        fields=service.what_if_fields(seen.explanation),
        relation_labels=RELATION_LABELS,
        own=ctx.principal.employee_id == employee_id,
    )


@router.post("/yearend/employees/{employee_id}/what-if", response_class=HTMLResponse)
async def yearend_what_if(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    """Change a deduction and see the new result; nothing is stored."""
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in service.WHAT_IF_FIELDS}
    return await run_in_threadpool(_what_if, request, ctx, employee_id, year, values)


def _what_if(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None, form: dict[str, str]
) -> Response:
    ex = _settlement(ctx, employee_id, year).explanation
    if ex is None:
        raise NotFound()
    w = service.what_if(ex, form)
    return render(
        request,
        "yearend/_what_if.html",
        before=ex.result,
        after=w.after,
        changed=w.changed,
        errors=w.errors,
        compare=COMPARE,
    )


@router.get("/yearend/employees/{employee_id}/receipt.pdf")
def yearend_receipt(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    from insa.yearend.documents import DocumentUnavailable

    try:
        doc = service.receipt(ctx, employee_id, _year(year))
    except DocumentUnavailable as exc:
        return render(
            request,
            "error.html",
            status_code=409,
            title="영수증을 만들 수 없습니다",
            message=str(exc),
        )
    if doc is None:
        raise NotFound()
    return download(doc.data, "application/pdf", doc.name, inline=True,
                    headers={"Cache-Control": "no-store"})  # fmt: skip


@router.post("/yearend/filing", dependencies=[RUN_GATE])
def yearend_filing(
    request: Request,
    ctx: CtxDep,
    year: Annotated[int | None, Form()] = None,
    agency: Annotated[str, Form(alias="agency_id")] = "",
) -> Response:
    """The agency's electronic filing file (근로소득 지급명세서 전산매체), from stored results."""
    from insa.yearend.documents import DocumentUnavailable
    from insa.yearend.filing.errors import FilingError

    try:
        aid = service.filing_agency(ctx, _opt_int(agency))
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    try:
        doc = service.filing_file(ctx, aid, _year(year))
    except (DocumentUnavailable, FilingError) as exc:
        return render(
            request,
            "error.html",
            status_code=409,
            title="전산매체를 만들 수 없습니다",
            message=f"{exc}",
        )
    return download(doc.data, "application/octet-stream", doc.name,
                    headers={"Cache-Control": "no-store"})  # fmt: skip


# ------------------------------------------------------------------ JSON API


@api_router.get("/results", response_model=ResultPageOut, dependencies=[api_gate(service.LIST)])
def api_results(
    ctx: ApiCtxDep,
    year: int | None = None,
    q: str = "",
    only: Annotated[str, Query(pattern="^(|refund|collect)$")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ResultPageOut:
    """Stored results in the caller's scope, largest balance to collect first."""
    res = service.list_results(ctx, _year(year), q=q, only=only, page=page, size=size)
    return ResultPageOut(
        items=[ResultRow(**r) for r in res.items],
        total=res.total,
        page=res.page,
        size=res.size,
        pages=res.pages,
        summary=res.totals,
    )


@api_router.get("/employees/{employee_id}", response_model=SettlementOut)
def api_employee(ctx: ApiCtxDep, employee_id: int, year: int | None = None) -> SettlementOut:
    """One employee's settlement, every line with its rule and legal source."""
    seen = _settlement(ctx, employee_id, year)
    ex = seen.explanation
    if ex is None:
        raise NotFound()
    result = {k: v for k, v in ex.result.items() if k != "lines"}
    return SettlementOut(
        employee_id=seen.employee.id,
        employee_no=seen.employee.employee_no,
        tax_year=seen.year,
        stored_version=ex.stored["version"] if ex.stored else None,
        stale=ex.stale,
        result=result,
        lines=[Line(**line) for line in ex.result["lines"]],
    )
