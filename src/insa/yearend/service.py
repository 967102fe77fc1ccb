"""Year-end settlement as pages, API and commands see it: the runs and results of the actor's
scope, one employee's settlement with every line, the what-if, the receipt and the agency's
filing file, and starting a run.

Every query goes through ``restrict``/``restrict_agencies``; every read of a settlement and
every document handed out is audited through the context. The batch itself (loading a scope
as columns, settling, storing) is :mod:`insa.yearend.batch` and
:mod:`insa.yearend.settlement`; :func:`run_settlement` is the batch entry point the commands
and the web's background runs (:mod:`insa.yearend.jobs`) call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, and_, case, func, select

from insa.clock import today_kst
from insa.db.engine import get_engine
from insa.db.paging import Page, paginate
from insa.people.models import Agency, Employee
from insa.people.service import agency_picker
from insa.security.context import Ctx
from insa.security.principal import restrict, restrict_agencies
from insa.yearend import jobs, rules
from insa.yearend.models import results_table as rt
from insa.yearend.models import runs_table
from insa.yearend.schemas import Document
from insa.yearend.settlement import Explanation, explain
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
AUDIT_LABELS = {  # what the audit page shows for this package's actions and targets
    "yearend.run": "연말정산 실행", "yearend.run_failed": "연말정산 실행 실패",
    "yearend.list_results": "정산 결과 목록 조회", "yearend.view_result": "정산 결과 조회",
    "yearend.explain": "정산 내역 조회", "yearend.receipt": "원천징수영수증 발급",
    "yearend.filing": "지급명세서 전산매체 생성", "yearend.import_nts": "간소화 자료 가져오기",
    "yearend_run": "연말정산 실행", "yearend_result": "정산 결과",
}  # fmt: skip

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


class UnknownEmployee(LookupError):
    """No employee of that number in the actor's scope."""


# ------------------------------------------------------------------ years and scope


def tax_years() -> list[int]:
    return rules.tax_years()


def default_year(today: dt.date | None = None) -> int:
    """Year-end settlement of year Y happens early in Y+1: last year, if it has rules."""
    years = rules.tax_years(today)
    last = (today or today_kst()).year - 1
    return last if last in years else years[0]


def visible_employee(ctx: Ctx, employee_id: int) -> Employee | None:
    stmt = restrict(select(Employee).where(Employee.id == employee_id), ctx.principal, VIEW)
    return ctx.db.scalar(stmt)


def _employee_by_number(ctx: Ctx, employee_no: str) -> Employee:
    stmt = select(Employee).where(Employee.employee_no == employee_no)
    emp = ctx.db.scalar(restrict(stmt, ctx.principal, VIEW))
    if emp is None:
        raise UnknownEmployee(f"no employee {employee_no}")
    return emp


def run_scope(ctx: Ctx, requested_agency: int | None) -> int | None:
    """The agency a run may cover: an officer's own; a central administrator's choice (None =
    every agency). Raises PermissionError for roles that cannot run."""
    p = ctx.principal
    if not p.can(RUN):
        raise PermissionError("연말정산을 실행할 권한이 없습니다.")
    return p.scope_agency(requested_agency)


def results_agency(ctx: Ctx, requested: str) -> int | None:
    """The agency the results page is narrowed to (the id the page was asked for, as text):
    only whoever sees all chooses one."""
    return int(requested) if requested.isdigit() and ctx.principal.sees_all else None


def agency_choices(ctx: Ctx) -> list[tuple[int, str]]:
    """The agencies to choose from (by name), for whoever sees all; nobody else chooses."""
    if not ctx.principal.sees_all:
        return []
    return agency_picker(ctx)


# ------------------------------------------------------------------ runs and results


def start_run(ctx: Ctx, year: int, requested_agency: int | None) -> jobs.Job:
    """Start the settlement of the actor's scope in the background (or give back the running
    job of an overlapping scope). PermissionError for whoever may not run."""
    scope = run_scope(ctx, requested_agency)
    return jobs.start(get_engine(), year, scope, principal=ctx.principal)


def job_of(ctx: Ctx, job_id: str) -> jobs.Job | None:
    """A run's progress, for whoever may watch it (see :func:`insa.yearend.jobs.visible`)."""
    job = jobs.get(job_id)
    return job if job is not None and jobs.visible(job, ctx.principal) else None


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


def _as_dict(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


def list_results(
    ctx: Ctx,
    year: int,
    *,
    q: str = "",
    agency_id: int | None = None,
    only: str = "",
    page: int = 1,
    size: int = 20,
) -> Page[dict[str, Any]]:
    """Stored results in scope, worst balances first; ``only``: refund | collect. The page's
    ``totals``: employees, determined_tax, balance_income_tax, balance_local_tax, refunds
    over every matched result."""
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
    rows = restrict(
        select(
            Employee.id, Employee.employee_no, Employee.name, rt.c.version, rt.c.method,
            rt.c.total_salary, rt.c.determined_tax, rt.c.withheld_income_tax,
            rt.c.balance_income_tax, rt.c.balance_local_tax,
        ).join(Employee, Employee.id == rt.c.employee_id),
        ctx.principal,
        VIEW,
    ).where(*filters).order_by(rt.c.balance_income_tax.desc(), Employee.id)  # fmt: skip
    totals = {
        "employees": total,
        "determined_tax": int(summary_row[1]),
        "balance_income_tax": int(summary_row[2]),
        "balance_local_tax": int(summary_row[3]),
        "refunds": int(summary_row[4]),
    }
    found = paginate(ctx.db, rows, page=page, size=size, total=total, totals=totals)
    ctx.audit(
        "yearend.list_results",
        target_type="yearend_result",
        agency_id=ctx.principal.agency_id,
        detail={"tax_year": year, "page": page, "results": total},
    )
    return found.map(_as_dict)


# ------------------------------------------------------------------ one employee


@dataclass(frozen=True)
class EmployeeSettlement:
    """An employee in the actor's scope and their settlement of ``year`` (None: not paid)."""

    employee: Employee
    explanation: Explanation | None
    year: int


def view_settlement(ctx: Ctx, employee_id: int, year: int) -> EmployeeSettlement | None:
    """One employee's settlement, every line, beside the stored result (audited); None if the
    employee is not the actor's to see."""
    emp = visible_employee(ctx, employee_id)
    if emp is None:
        return None
    ex = explain(ctx.db, employee_id, year, emp.employee_no)
    ctx.audit(
        VIEW,
        target_type="employee",
        target_id=employee_id,
        agency_id=emp.agency_id,
        detail={"tax_year": year},
    )
    return EmployeeSettlement(emp, ex, year)


def explain_by_number(ctx: Ctx, employee_no: str, year: int) -> Explanation | None:
    """The explanation of ``insa yearend explain`` (audited; None: not paid in ``year``)."""
    emp = _employee_by_number(ctx, employee_no)
    ex = explain(ctx.db, emp.id, year, employee_no)
    ctx.audit(
        "yearend.explain", target_type="employee", target_id=emp.id, detail={"tax_year": year}
    )
    return ex


def _case_value(case: Any, dotted: str) -> int:
    for part in dotted.split("."):
        case = getattr(case, part)
    return int(case)


def what_if_fields(ex: Explanation | None) -> dict[str, tuple[str, int]]:
    """The what-if form's fields: dotted name → (label, the amount in the case)."""
    if ex is None:
        return {}
    return {k: (label, _case_value(ex.case, k)) for k, label in WHAT_IF_FIELDS.items()}


@dataclass
class WhatIf:
    after: dict[str, Any] | None  # the result with the changed amounts (None: input errors)
    changed: list[tuple[str, int, int]] = field(default_factory=list)  # (label, before, after)
    errors: list[str] = field(default_factory=list)


def what_if(ex: Explanation, form: dict[str, str]) -> WhatIf:
    """Settle the case again with the amounts of the form (won, as typed); nothing is stored."""
    from insa.yearend.scalar import compute

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
    return WhatIf(new, changed, errors)


# ------------------------------------------------------------------ documents


def receipt_name(year: int, employee_no: str) -> str:
    return f"receipt-{year}-{employee_no}.pdf"


def _receipt(ctx: Ctx, emp: Employee, ex: Explanation) -> Document:
    from insa.yearend.documents import receipt_for

    pdf = receipt_for(ctx.db, ctx.cipher, emp, ex)
    ctx.audit(
        "yearend.receipt",
        target_type="employee",
        target_id=emp.id,
        agency_id=emp.agency_id,
        detail={"tax_year": ex.tax_year},
    )
    return Document(receipt_name(ex.tax_year, emp.employee_no), pdf)


def receipt(ctx: Ctx, employee_id: int, year: int) -> Document | None:
    """The employee's withholding receipt (PDF) of the stored settlement, for the web: None
    if the employee is not the actor's to see or was not paid in ``year``.
    :class:`~insa.yearend.documents.DocumentUnavailable` before a run or after a change."""
    seen = view_settlement(ctx, employee_id, year)
    if seen is None or seen.explanation is None:
        return None
    return _receipt(ctx, seen.employee, seen.explanation)


def receipt_by_number(ctx: Ctx, employee_no: str, year: int) -> Document | None:
    """The receipt of ``insa yearend receipt`` (None: not paid in ``year``)."""
    emp = _employee_by_number(ctx, employee_no)
    ex = explain(ctx.db, emp.id, year, employee_no)
    return None if ex is None else _receipt(ctx, emp, ex)


def settled_employee_nos(ctx: Ctx, year: int, agency_id: int | None) -> list[str]:
    """The employee numbers of everyone with a stored ``year`` result in the agency."""
    stmt = (
        select(Employee.employee_no)
        .join(rt, rt.c.employee_id == Employee.id)
        .where(rt.c.tax_year == year, rt.c.agency_id == agency_id)
        .order_by(Employee.employee_no)
    )
    return list(ctx.db.scalars(restrict(stmt, ctx.principal, VIEW)))


def filing_agency(ctx: Ctx, requested_agency: int | None) -> int:
    """The agency whose filing file the actor may make (PermissionError otherwise)."""
    aid = run_scope(ctx, requested_agency)
    if aid is None:
        raise PermissionError("전산매체는 기관별로 만듭니다. 기관을 고르세요.")
    return aid


def filing_file(ctx: Ctx, agency_id: int, year: int) -> Document:
    """The agency's electronic filing file from its stored results (audited).
    :class:`~insa.yearend.documents.DocumentUnavailable` or
    :class:`~insa.yearend.filing.errors.FilingError` when it cannot be made."""
    from insa.yearend.documents import filing_for_agency

    aid = filing_agency(ctx, agency_id)
    data, name = filing_for_agency(ctx.db, ctx.cipher, aid, year)
    ctx.audit(
        "yearend.filing",
        target_type="agency",
        target_id=aid,
        agency_id=aid,
        detail={"tax_year": year, "bytes": len(data)},
    )
    return Document(name, data)


def pending_work(ctx: Ctx) -> list[dict[str, Any]]:
    """What waits for the caller in the year-end settlement (for the home page): the last tax
    year not yet settled for the scope, or the employees who owe tax after it."""
    p = ctx.principal
    if not p.can(RUN):
        return []
    year = default_year()
    runs = runs_table.c
    ran = ctx.db.scalar(
        restrict_agencies(select(func.count()).select_from(runs_table), p, LIST, runs.agency_id,
                          shared=runs.agency_id.is_(None)).where(runs.tax_year == year)
    )  # fmt: skip
    if not ran:
        return [
            {
                "label": f"{year}년 귀속 연말정산 — 아직 실행 전",
                "count": None,
                "href": f"/yearend?year={year}",
            }
        ]
    owed = ctx.db.scalar(
        restrict(select(func.count()).select_from(rt).join(Employee, Employee.id == rt.c.employee_id),
                 p, LIST).where(rt.c.tax_year == year, rt.c.balance_income_tax > 0)
    )  # fmt: skip
    return [{"label": f"{year}년 귀속 추가 납부 직원", "count": int(owed or 0),
             "href": f"/yearend?year={year}&only=collect"}]  # fmt: skip
