"""People pages and ``/api/v1``: the dashboard, employee search, an employee's record,
dependents and payroll. Routes parse, call and render; the service scopes and audits."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from insa.people import accounts, salary, service
from insa.people.accounts import InvalidAccount
from insa.people.schemas import (
    AgencyOut,
    DependentRow,
    EmployeeDetail,
    EmployeePage,
    OrgUnitOut,
    PayrollOut,
)
from insa.security import service as security_service
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    Forbidden,
    NavItem,
    NotFound,
    api_gate,
    csrf_protect,
    render,
    see_other,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["v1"])
ROUTERS = (router, api_router)
NAV = (
    NavItem("대시보드", "/", lambda p: True, order=10),
    NavItem("직원 검색", "/employees", lambda p: p.can(service.SEARCH), order=20),
    NavItem("내 정보", "/me", lambda p: p.employee_id is not None, order=30),
)


UNIT_LEVELS = 2  # the first unit list: the agency, its bureaus and divisions


def _opt_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


# ------------------------------------------------------------------ dashboard


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: CtxDep) -> Response:
    p = ctx.principal
    data: dict[str, Any] = {"title": p.spec.home}
    data["agency_name"] = service.own_agency_name(ctx)
    if p.is_self_service:
        if p.employee_id is not None:
            data["me"] = service.get_employee(ctx, p.employee_id)
            pay = service.list_payroll(ctx, p.employee_id) or []
            data["latest_pay"] = pay[-1] if pay else None
    elif p.can(security_service.VIEW_CENTRE) and not p.sees_all:
        data["centres"] = security_service.centres(ctx)
    elif p.can(service.SEARCH):
        data["headcount"] = service.agency_headcount(ctx)
        if p.sees_assigned_only:
            data["assigned"] = service.search_employees(ctx, size=50).items
        if p.can(service.VIEW_TOTALS):
            data["payroll"] = service.agency_payroll_totals(ctx)
        if p.sees_all:
            data["agencies"] = service.agencies_overview(ctx)
    data["work"] = [item for fn in request.app.state.pending_work for item in fn(ctx)]
    return render(request, "people/dashboard.html", **data)


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
    team: Annotated[str, Query(alias="team_id")] = "",
    agency: Annotated[str, Query(alias="agency_id")] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The search page. The unit filter is two short lists — the agency's bureaus and
    divisions, then the teams of the one chosen — not every unit of the agency at once
    (경찰청 has 5,814: a page of 300 KB whose rendering held the interpreter ~30 ms a
    request, which is what serialised twenty concurrent searches)."""
    p = ctx.principal
    agency_id = _opt_int(agency)
    if not p.can(service.SEARCH):
        if p.is_self_service:
            return RedirectResponse("/me", status_code=303)
        raise Forbidden()
    unit = service.unit_of_agency(ctx, _opt_int(org_unit), agency_id)  # "" from empty selects
    chosen = service.unit_of_agency(ctx, _opt_int(team), agency_id)
    if unit is not None and unit.level > UNIT_LEVELS:  # a team given as the unit: its division
        chosen, unit = unit, service.unit_of_agency(ctx, unit.parent_id, agency_id)
    if chosen is not None and (unit is None or chosen.parent_id != unit.id):
        chosen = None
    target = chosen or unit
    result = service.search_employees(
        ctx, q=q, org_unit_id=target.id if target else None, agency_id=agency_id, page=page
    )
    partial = bool(request.headers.get("hx-request"))
    # the lists again only for a full page, or when a list changed (HTMX names its element)
    lists = not partial or request.headers.get("hx-trigger") in ("org_unit_id", "team_id")
    pickers = _pickers(ctx, agency_id, unit, chosen) if lists else None
    return render(
        request, "people/_results.html" if partial else "people/employees.html", q=q,
        org_unit_id=target.id if target else None, agency_id=agency_id, result=result,
        agencies=[] if partial else service.agencies_overview(ctx), pickers=pickers,
        oob=partial and lists,
    )  # fmt: skip


def _pickers(ctx: CtxDep, agency_id: int | None, unit: Any, chosen: Any) -> dict[str, Any]:
    """The two unit lists, their options built here (a jinja loop over 200 options cost more
    than the search itself) and kept with the lists."""
    units = service.unit_choices(ctx, agency_id, max_level=UNIT_LEVELS)
    teams = service.unit_choices(ctx, agency_id, parent_id=unit.id) if unit else ()
    return {
        "units": units, "teams": teams,
        "unit_options": _selected(_options(units, indent=True), unit.id if unit else None),
        "team_options": _selected(_options(teams, indent=False), chosen.id if chosen else None),
    }  # fmt: skip


@functools.lru_cache(maxsize=1024)
def _options(units: tuple[tuple[int, str, int], ...], *, indent: bool) -> str:
    """``<option>``s, names escaped (f-strings: ``Markup.format`` cost more than the search);
    built once per list (the lists are kept, :func:`service.unit_choices`)."""
    return "".join(
        f'<option value="{int(i)}">{escape(("· " * (lv - 1) if indent else "") + name)}</option>'
        for i, name, lv in units
    )


def _selected(options: str, selected: int | None) -> Markup:
    """The options with ``selected`` marked (values are integers: the match is exact)."""
    if selected is not None:
        value = f'<option value="{int(selected)}">'
        options = options.replace(value, value[:-1] + " selected>", 1)
    return Markup(options)  # noqa: S704 - names escaped in _options


@router.get("/employees/{employee_id}", response_class=HTMLResponse)
def employee_detail(
    request: Request, ctx: CtxDep, employee_id: int, year: int | None = None
) -> Response:
    emp = service.get_employee(ctx, employee_id)
    if emp is None:
        raise NotFound()
    return _employee_page(request, ctx, emp, year)


def _employee_page(
    request: Request,
    ctx: CtxDep,
    emp: EmployeeDetail,
    year: int | None = None,
    account_error: str | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    deps = service.list_dependents(ctx, emp.id)
    years = service.payroll_years(ctx, emp.id)
    pay = service.list_payroll(ctx, emp.id, year) if years else None
    totals = (
        {k: sum(r[k] for r in pay) for k in pay[0] if k not in ("year", "month")} if pay else None
    )
    p = ctx.principal
    return render(
        request, "people/employee.html", status_code=422 if account_error else 200, emp=emp,
        dependents=deps, payroll=pay, totals=totals, years=years,
        year=(pay[0]["year"] if pay else None),
        account=salary.salary_account(ctx, emp.id) if p.can(service.VIEW_ACCOUNT) else None,
        can_see_account=p.can(service.VIEW_ACCOUNT),
        can_change_account=p.can(service.CHANGE_ACCOUNT), banks=accounts.banks().values(),
        account_error=account_error, typed=typed or {},
    )  # fmt: skip


@router.post("/employees/{employee_id}/account", response_class=HTMLResponse)
async def employee_account(request: Request, ctx: CtxDep, employee_id: int) -> Response:
    """The salary account changed by the employee or their HR officer; the number is never
    echoed back, only its masked form."""
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("bank", "holder")}
    try:
        acc = salary.change_salary_account(
            ctx, employee_id, typed["bank"], str(form.get("number", "")), typed["holder"]
        )
    except LookupError:
        raise NotFound() from None
    except InvalidAccount as exc:
        emp = service.get_employee(ctx, employee_id)
        if emp is None:
            raise NotFound() from None
        return _employee_page(request, ctx, emp, account_error=str(exc), typed=typed)
    return see_other(f"/employees/{employee_id}",
                     f"급여계좌를 {acc.bank_name} {acc.number_masked}(으)로 바꿨습니다.")  # fmt: skip


# ------------------------------------------------------------------ API


@api_router.get("/agencies", response_model=list[AgencyOut], name="agencies")
def api_agencies(ctx: ApiCtxDep) -> list[AgencyOut]:
    return [
        AgencyOut(id=a.id, code=a.code, name_ko=a.name_ko, kind=a.kind,
                  valid_from=a.valid_from, valid_until=a.valid_until)
        for a in service.agency_list(ctx)
    ]  # fmt: skip


@api_router.get("/org-units", response_model=list[OrgUnitOut], name="org_units")
def api_org_units(ctx: ApiCtxDep, agency_id: int | None = None) -> list[OrgUnitOut]:
    return [OrgUnitOut(id=i, name=n, level=lv) for i, n, lv in service.org_units(ctx, agency_id)]


@api_router.get(
    "/employees",
    response_model=EmployeePage,
    dependencies=[api_gate(service.SEARCH)],
    name="employees",
)
def api_employees(
    ctx: ApiCtxDep,
    q: str = "",
    org_unit_id: int | None = None,
    agency_id: int | None = None,
    status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
) -> EmployeePage:
    r = service.search_employees(
        ctx, q=q, org_unit_id=org_unit_id, agency_id=agency_id, status=status, page=page, size=size
    )
    return EmployeePage(
        items=r.items,
        total=r.total,
        total_is_lower_bound=r.more,
        page=r.page,
        size=r.size,
        pages=r.pages,
    )


@api_router.get("/employees/{employee_id}", response_model=EmployeeDetail, name="employee")
def api_employee(ctx: ApiCtxDep, employee_id: int) -> EmployeeDetail:
    emp = service.get_employee(ctx, employee_id)
    if emp is None:
        raise NotFound()
    return emp


@api_router.get(
    "/employees/{employee_id}/dependents", response_model=list[DependentRow], name="dependents"
)
def api_dependents(ctx: ApiCtxDep, employee_id: int) -> list[DependentRow]:
    rows = service.list_dependents(ctx, employee_id)
    if rows is None:
        raise NotFound()
    return rows


@api_router.get("/employees/{employee_id}/payroll", response_model=list[PayrollOut], name="payroll")
def api_payroll(ctx: ApiCtxDep, employee_id: int, year: int | None = None) -> list[PayrollOut]:
    rows = service.list_payroll(ctx, employee_id, year)
    if rows is None:
        raise NotFound()
    return [PayrollOut(**r) for r in rows]
