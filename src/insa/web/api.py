"""JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json). Bearer API tokens, or the
browser session for GET requests. Same scoping and auditing as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from insa.people import service
from insa.people.models import Agency
from insa.security.service import search_audit
from insa.web.deps import ApiCtxDep, Forbidden, NotFound

router = APIRouter(prefix="/api/v1", tags=["v1"])


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    agency_id: int | None
    employee_id: int | None


class AgencyOut(BaseModel):
    id: int
    code: str
    name_ko: str
    kind: str
    valid_from: dt.date | None
    valid_until: dt.date | None


class EmployeePage(BaseModel):
    items: list[service.EmployeeRow]
    total: int
    total_is_lower_bound: bool = False  # true when more than `total` (10,000) matched
    page: int
    size: int
    pages: int


class PayrollOut(BaseModel):
    year: int
    month: int
    base_pay: int
    position_allowance: int
    longevity_allowance: int
    longevity_bonus: int
    holiday_bonus: int
    family_allowance: int
    overtime_allowance: int
    meal_allowance: int
    gross_pay: int
    taxable_pay: int
    nontaxable_pay: int
    income_tax: int
    local_income_tax: int
    pension_contribution: int
    health_insurance: int
    long_term_care: int
    net_pay: int


class OrgUnitOut(BaseModel):
    id: int
    name: str
    level: int


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    actor: str
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    agency_id: int | None
    client_addr: str | None


class AuditPageOut(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    size: int


@router.get("/me", response_model=Me)
def me(ctx: ApiCtxDep) -> Me:
    p = ctx.principal
    return Me(
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        agency_id=p.agency_id,
        employee_id=p.employee_id,
    )


@router.get("/agencies", response_model=list[AgencyOut])
def agencies(ctx: ApiCtxDep) -> list[AgencyOut]:
    rows = ctx.db.scalars(select(Agency).order_by(Agency.id)).all()
    return [
        AgencyOut(
            id=a.id,
            code=a.code,
            name_ko=a.name_ko,
            kind=a.kind,
            valid_from=a.valid_from,
            valid_until=a.valid_until,
        )
        for a in rows
    ]


@router.get("/org-units", response_model=list[OrgUnitOut])
def org_units(ctx: ApiCtxDep, agency_id: int | None = None) -> list[OrgUnitOut]:
    return [OrgUnitOut(id=i, name=n, level=lv) for i, n, lv in service.org_units(ctx, agency_id)]


@router.get("/employees", response_model=EmployeePage)
def employees(
    ctx: ApiCtxDep,
    q: str = "",
    org_unit_id: int | None = None,
    agency_id: int | None = None,
    status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
) -> EmployeePage:
    if not ctx.principal.can("people.search_employee"):
        raise Forbidden()
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


@router.get("/employees/{employee_id}", response_model=service.EmployeeDetail)
def employee(ctx: ApiCtxDep, employee_id: int) -> service.EmployeeDetail:
    emp = service.get_employee(ctx, employee_id)
    if emp is None:
        raise NotFound()
    return emp


@router.get("/employees/{employee_id}/dependents", response_model=list[service.DependentRow])
def dependents(ctx: ApiCtxDep, employee_id: int) -> list[service.DependentRow]:
    rows = service.list_dependents(ctx, employee_id)
    if rows is None:
        raise NotFound()
    return rows


@router.get("/employees/{employee_id}/payroll", response_model=list[PayrollOut])
def payroll(ctx: ApiCtxDep, employee_id: int, year: int | None = None) -> list[PayrollOut]:
    rows = service.list_payroll(ctx, employee_id, year)
    if rows is None:
        raise NotFound()
    return [PayrollOut(**r) for r in rows]


@router.get("/audit", response_model=AuditPageOut)
def audit(
    ctx: ApiCtxDep,
    actor: str = "",
    person: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> AuditPageOut:
    if not ctx.principal.can("security.view_audit"):
        raise Forbidden()
    r = search_audit(
        ctx,
        actor=actor,
        person=person,
        action=action,
        date_from=date_from,
        date_to=date_to,
        page=page,
    )
    return AuditPageOut(
        items=[AuditOut.model_validate(a) for a in r.items], total=r.total, page=r.page, size=r.size
    )
