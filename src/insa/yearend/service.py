"""Year-end data as the web and API see it: every query scoped by ``restrict``, reads audited.

The batch itself (loading a scope as columns, settling, storing) is :mod:`insa.yearend.batch`
and :mod:`insa.yearend.settlement`; :func:`run_settlement` is its entry point."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select

from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.principal import restrict, restrict_agencies
from insa.yearend import rules
from insa.yearend.models import results_table as rt
from insa.yearend.models import runs_table
from insa.yearend.settlement import RunReport as RunReport
from insa.yearend.settlement import SettlementError as SettlementError
from insa.yearend.settlement import run_settlement as run_settlement

VIEW = "yearend.view_result"  # one's own result (an employee), or those in scope
LIST = "yearend.list_result"  # the list of results and runs of the scope
RUN = "yearend.run_settlement"
GRANTS = {
    "employee": {VIEW},
    "hr_officer": {VIEW, LIST, RUN},
    "finance_officer": {VIEW, LIST},
    "central_admin": {VIEW, LIST, RUN},
}


def visible_employee(ctx: Ctx, employee_id: int) -> Employee | None:
    stmt = restrict(select(Employee).where(Employee.id == employee_id), ctx.principal, VIEW)
    return ctx.db.scalar(stmt)


def tax_years() -> list[int]:
    return rules.tax_years()


def default_year(today: dt.date | None = None) -> int:
    """Year-end settlement of year Y happens early in Y+1: last year, if it has rules."""
    years = rules.tax_years(today)
    last = (today or dt.date.today()).year - 1
    return last if last in years else years[0]


def run_scope(ctx: Ctx, requested_agency: int | None) -> int | None:
    """The agency a run may cover: an officer's own; a central administrator's choice (None =
    every agency). Raises PermissionError for roles that cannot run."""
    p = ctx.principal
    if not p.can(RUN):
        raise PermissionError("연말정산을 실행할 권한이 없습니다.")
    return p.scope_agency(requested_agency)


def list_runs(ctx: Ctx, year: int, limit: int = 10) -> list[dict[str, Any]]:
    """The scope's runs, newest first: an officer sees the agency's runs and the
    government-wide runs that covered it, the latter without the government-wide totals."""
    p = ctx.principal
    stmt = (
        select(runs_table, Agency.name_ko.label("agency_name"))
        .outerjoin(Agency, Agency.id == runs_table.c.agency_id)
        .where(runs_table.c.tax_year == year)
        .order_by(runs_table.c.id.desc())
        .limit(limit)
    )
    runs = runs_table.c
    stmt = restrict_agencies(stmt, p, LIST, runs.agency_id, shared=runs.agency_id.is_(None))
    out = []
    for r in ctx.db.execute(stmt):
        row = dict(r._mapping)
        if row["agency_id"] is None and not p.sees_all:
            for k in ("employees", "determined_tax", "balance_income_tax", "refunds"):
                row[k] = None
        out.append(row)
    return out


@dataclass
class ResultPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    size: int
    summary: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def list_results(
    ctx: Ctx,
    year: int,
    *,
    q: str = "",
    agency_id: int | None = None,
    only: str = "",
    page: int = 1,
    size: int = 20,
) -> ResultPage:
    """Stored results in scope, worst balances first; ``only``: refund | collect."""
    filters = [rt.c.tax_year == year]
    if agency_id is not None:
        filters.append(rt.c.agency_id == agency_id)
    if q.strip():
        text = q.strip()
        col = Employee.employee_no if text.isdigit() else Employee.name
        filters.append(and_(col >= text, col < text + "\U0010ffff"))
    if only == "refund":
        filters.append(rt.c.balance_income_tax < 0)
    elif only == "collect":
        filters.append(rt.c.balance_income_tax > 0)
    base = restrict(
        select(rt.c.employee_id).join(Employee, Employee.id == rt.c.employee_id),
        ctx.principal,
        VIEW,
    ).where(*filters)
    sub = base.subquery()
    summary_row = ctx.db.execute(
        select(
            func.count(),
            func.coalesce(func.sum(rt.c.determined_tax), 0),
            func.coalesce(func.sum(rt.c.balance_income_tax), 0),
            func.coalesce(func.sum(rt.c.balance_local_tax), 0),
            func.coalesce(func.sum(case((rt.c.balance_income_tax < 0, 1), else_=0)), 0),
        ).where(rt.c.employee_id.in_(select(sub.c.employee_id)), rt.c.tax_year == year)
    ).one()
    total = int(summary_row[0])
    rows = ctx.db.execute(
        restrict(
            select(
                Employee.id, Employee.employee_no, Employee.name, rt.c.version, rt.c.method,
                rt.c.total_salary, rt.c.determined_tax, rt.c.withheld_income_tax,
                rt.c.balance_income_tax, rt.c.balance_local_tax,
            ).join(Employee, Employee.id == rt.c.employee_id),
            ctx.principal,
            VIEW,
        )
        .where(*filters)
        .order_by(rt.c.balance_income_tax.desc(), Employee.id)
        .limit(size)
        .offset((max(page, 1) - 1) * size)
    ).all()  # fmt: skip
    ctx.audit(
        "yearend.list_results",
        target_type="yearend_result",
        agency_id=ctx.principal.agency_id,
        detail={"tax_year": year, "page": page, "results": total},
    )
    return ResultPage(
        [dict(r._mapping) for r in rows],
        total,
        page,
        size,
        {
            "employees": total,
            "determined_tax": int(summary_row[1]),
            "balance_income_tax": int(summary_row[2]),
            "balance_local_tax": int(summary_row[3]),
            "refunds": int(summary_row[4]),
        },
    )
