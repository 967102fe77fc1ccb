"""People queries for the web app and API: search, detail, dependents, payroll, dashboards.

Every query starts from :func:`insa.security.principal.restrict`, and every read of a
personal record is audited through the context, so routes stay thin.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cachetools import TTLCache
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text

from insa.clock import today_kst
from insa.db.paging import Page, clamp, paginate
from insa.people.io import RELATION_CODE, STATUS_CODE
from insa.people.models import (
    Agency,
    Dependent,
    Employee,
    Grade,
    OrgUnit,
    Payroll,
    Position,
)
from insa.people.payroll import PAY_COLUMNS
from insa.people.schemas import DependentRow, EmployeeDetail, EmployeeRow
from insa.security.context import Ctx
from insa.security.logs import redact
from insa.security.principal import restrict

MAX_PAGE_SIZE = 100
COUNT_CAP = 10_000

SEARCH = "people.search_employee"
VIEW = "people.view_employee"
VIEW_DEPENDENTS = "people.view_dependents"
VIEW_PAYROLL = "people.view_payroll"
VIEW_TOTALS = "people.view_payroll_totals"  # an agency's monthly payroll, aggregated
VIEW_ACCOUNT = "people.view_account"  # the salary account, masked
CHANGE_ACCOUNT = "people.change_account"
PAY_ACCOUNT = "people.pay_to_account"  # the whole number, for a bank-transfer file only
GRANTS = {
    "employee": {VIEW, VIEW_DEPENDENTS, VIEW_PAYROLL, VIEW_ACCOUNT, CHANGE_ACCOUNT},
    "hr_officer": {SEARCH, VIEW, VIEW_DEPENDENTS, VIEW_PAYROLL, VIEW_ACCOUNT, CHANGE_ACCOUNT},
    "finance_officer": {
        SEARCH,
        VIEW,
        VIEW_DEPENDENTS,
        VIEW_PAYROLL,
        VIEW_TOTALS,
        VIEW_ACCOUNT,
        PAY_ACCOUNT,
    },
    "approver": {SEARCH, VIEW},
    "central_admin": {SEARCH, VIEW, VIEW_DEPENDENTS, VIEW_PAYROLL},
}
AUDIT_LABELS = {  # what the audit page shows for this package's actions and targets
    "people.search_employee": "직원 검색", "people.view_employee": "직원 정보 조회",
    "people.view_dependents": "부양가족 조회", "people.view_payroll": "급여 조회",
    "people.view_payroll_totals": "기관 급여 합계 조회", "people.import": "직원·부양가족 가져오기",
    "people.export": "직원·부양가족 내보내기", "people.export_rrn": "주민등록번호 포함 내보내기",
    "people.seed": "합성 데이터 생성", "people.view_account": "급여계좌 조회",
    "people.change_account": "급여계좌 변경", "people.pay_to_account": "지급 파일용 계좌 조회",
    "people.export_account": "계좌번호 포함 내보내기",
    "employee": "직원", "agency": "기관", "file": "파일",
    "database": "데이터베이스",
}  # fmt: skip


def _row_select() -> Select[*tuple[Any, ...]]:
    """An employee's row: the unit's name joined; agency, grade and position by id, named
    from :func:`_reference_names` (joining the three small tables made PostgreSQL spend
    2–3 ms planning each search, more than running it)."""
    return select(
        Employee.id, Employee.employee_no, Employee.name, Employee.agency_id, OrgUnit.name,
        Employee.grade_id, Employee.step, Employee.position_id, Employee.status,
    ).join(OrgUnit, OrgUnit.id == Employee.org_unit_id)  # fmt: skip


@dataclass(frozen=True)
class _Names:
    """The reference tables' names by id (71 agencies, the grades, the positions)."""

    agencies: dict[int, tuple[str, str]]  # id → (code, name)
    grades: dict[int, str]
    positions: dict[int, str]

    def knows(self, agency_id: int, grade_id: int, position_id: int | None) -> bool:
        return (agency_id in self.agencies and grade_id in self.grades
                and (position_id is None or position_id in self.positions))  # fmt: skip


REFERENCE_TTL = 300.0  # seconds the reference names are kept (per process)
_names: TTLCache[str, _Names] = TTLCache(maxsize=64, ttl=REFERENCE_TTL)


def _reference_names(ctx: Ctx, *, fresh: bool = False) -> _Names:
    """The reference names, kept a few minutes; read again at once when asked (``fresh``: a
    row named an id the kept ones lack)."""
    db = ctx.db

    def load() -> _Names:
        return _Names(
            {i: (c, n) for i, c, n in db.execute(select(Agency.id, Agency.code, Agency.name_ko))},
            dict(db.execute(select(Grade.id, Grade.name_ko)).all()),
            dict(db.execute(select(Position.id, Position.name_ko)).all()),
        )

    return _kept(_names, _database(ctx), load, fresh=fresh)


_kept_lock = threading.Lock()  # the kept lists are shared by a worker's request threads
_K = TypeVar("_K")
_V = TypeVar("_V")


def _kept(cache: TTLCache[_K, _V], key: _K, load: Callable[[], _V], *, fresh: bool = False) -> _V:
    """``cache[key]``, loaded (outside the lock: two threads may both read) when missing,
    expired or not wanted (``fresh``)."""
    with _kept_lock:
        found = None if fresh else cache.get(key)
    if found is None:
        found = load()
        with _kept_lock:
            cache[key] = found
    return found


def _database(ctx: Ctx) -> str:
    """Which database the context works on (kept lists are per database)."""
    return str(ctx.db.get_bind().engine.url)


def _rows(ctx: Ctx, rows: list[Any]) -> list[EmployeeRow]:
    names = _reference_names(ctx)
    if not all(names.knows(r[3], r[5], r[7]) for r in rows):
        names = _reference_names(ctx, fresh=True)
    return [_to_row(r, names) for r in rows]


def _to_row(r: Any, names: _Names) -> EmployeeRow:
    code, agency = names.agencies[r[3]]
    return EmployeeRow(
        id=r[0], employee_no=r[1], name=r[2], agency_code=code, agency_name=agency,
        org_unit=r[4], grade=names.grades[r[5]], step=r[6],
        position=names.positions[r[7]] if r[7] is not None else None, status=STATUS_CODE[r[8]],
    )  # fmt: skip


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filter_agency(ctx: Ctx, agency_id: int | None) -> int | None:
    """The agency whose units the actor may filter by (``None``: none)."""
    if not ctx.principal.can(SEARCH):
        return None
    try:
        return ctx.principal.scope_agency(agency_id)
    except PermissionError:
        return None


def org_units(
    ctx: Ctx,
    agency_id: int | None = None,
    *,
    max_level: int | None = None,
    parent_id: int | None = None,
) -> list[tuple[int, str, int]]:
    """Units the actor may filter by: (id, name, level), in tree order — all of them, those
    down to ``max_level``, or the children of ``parent_id``."""
    aid = _filter_agency(ctx, agency_id)
    if aid is None:
        return []
    stmt = select(OrgUnit.id, OrgUnit.name, OrgUnit.level).where(OrgUnit.agency_id == aid)
    if max_level is not None:
        stmt = stmt.where(OrgUnit.level <= max_level)
    if parent_id is not None:
        stmt = stmt.where(OrgUnit.parent_id == parent_id)
    rows = ctx.db.execute(stmt.order_by(OrgUnit.sort_order)).all()
    return [(r[0], r[1], r[2]) for r in rows]


UNIT_LISTS_TTL = 60.0  # seconds a search page's unit list is reused (per process)
_unit_lists: TTLCache[tuple[str, int, int | None, int | None], tuple[tuple[int, str, int], ...]]
_unit_lists = TTLCache(maxsize=4096, ttl=UNIT_LISTS_TTL)


def unit_choices(
    ctx: Ctx, agency_id: int | None = None, *, max_level: int | None = None,
    parent_id: int | None = None,
) -> tuple[tuple[int, str, int], ...]:  # fmt: skip
    """:func:`org_units` for the search page's two lists, kept for ``UNIT_LISTS_TTL``
    seconds: an agency's units change with a reorganisation, not between keystrokes, and
    reading and building 200 of them cost as much as the search itself. A unit added since
    shows within the minute; a removed one, chosen from an old list, filters nothing
    (:func:`unit_of_agency` checks it against the database)."""
    aid = _filter_agency(ctx, agency_id)
    if aid is None:
        return ()
    return _kept(_unit_lists, (_database(ctx), aid, max_level, parent_id),
                 lambda: tuple(org_units(ctx, aid, max_level=max_level, parent_id=parent_id)))  # fmt: skip


def forget_kept_lists() -> None:
    """Drop the kept unit lists and reference names (after this process changed them:
    seeding, tests)."""
    with _kept_lock:
        _unit_lists.clear()
        _names.clear()


def unit_of_agency(ctx: Ctx, unit_id: int | None, agency_id: int | None) -> OrgUnit | None:
    """The unit, if it is one of the agencies the actor may filter (else ``None``)."""
    if unit_id is None:
        return None
    unit = ctx.db.get(OrgUnit, unit_id)
    try:
        aid = ctx.principal.scope_agency(agency_id)
    except PermissionError:
        return None
    return unit if unit is not None and unit.agency_id == aid else None


def _subtree(ctx: Ctx, unit_id: int) -> list[int]:
    ids = [unit_id]
    frontier = [unit_id]
    while frontier:
        frontier = list(ctx.db.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier))))
        ids += frontier
    return ids


def search_employees(
    ctx: Ctx,
    *,
    q: str = "",
    org_unit_id: int | None = None,
    agency_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[EmployeeRow]:
    """Name (prefix) or employee number (prefix) search within the actor's scope, paged;
    the count stops past COUNT_CAP (``Page.more``)."""
    page, size = clamp(page, size, MAX_PAGE_SIZE)
    q = q.strip()
    filters: list[ColumnElement[bool]] = []
    if q:
        number = q.replace("-", "").isdigit()
        column = Employee.employee_no if number else Employee.name
        cond: ColumnElement[bool] = column.like(_like_prefix(q), escape="\\")
        if ctx.db.get_bind().dialect.name == "sqlite":
            # SQLite's LIKE is case-insensitive and cannot use a BINARY index; the equivalent
            # range can (PostgreSQL uses its varchar_pattern_ops indexes for LIKE instead)
            cond = and_(cond, column >= q, column < q + "\U0010ffff")
        # few rows match a number prefix: find them by the number index first, so that a
        # large agency's (agency, …) index is not scanned instead
        filters.append(Employee.id.in_(select(Employee.id).where(cond)) if number else cond)
    if org_unit_id is not None:
        unit_agency = ctx.db.scalar(select(OrgUnit.agency_id).where(OrgUnit.id == org_unit_id))
        filters.append(Employee.agency_id == unit_agency)  # lets the (agency, unit) index serve
        filters.append(Employee.org_unit_id.in_(_subtree(ctx, org_unit_id)))
    if agency_id is not None:
        filters.append(Employee.agency_id == agency_id)
    if status in STATUS_CODE:
        filters.append(Employee.status == status)
    # counting (on the employees table alone) stops past COUNT_CAP: "10,000명 이상" is as
    # useful as an exact figure, and a one-syllable surname across 400,000 people would
    # otherwise cost a full count on every keystroke
    matching = restrict(select(Employee.id), ctx.principal, SEARCH).where(*filters)
    stmt = restrict(_row_select(), ctx.principal, SEARCH).where(*filters)
    # by name in code-point order (가나다 for Hangul). On PostgreSQL in the order of the
    # varchar_pattern_ops indexes (USING ~<~), so the first page of 20 is read off the index:
    # sorting by the collation instead fetched and sorted every match (경찰청's 37,934 김s:
    # 103 ms → 2 ms). SQLite compares names by code point already.
    by_name = (text("employees.name USING ~<~") if ctx.db.get_bind().dialect.name == "postgresql"
               else Employee.name)  # fmt: skip
    found = paginate(ctx.db, stmt.order_by(by_name, Employee.id), page=page, size=size,
                     max_size=MAX_PAGE_SIZE, count=matching, cap=COUNT_CAP)  # fmt: skip
    total = found.total
    ctx.audit(
        SEARCH,
        target_type="employee",
        agency_id=ctx.principal.agency_id,
        detail={"q": redact(q)[:64], "org_unit_id": org_unit_id, "page": page, "results": total},
    )
    return Page(_rows(ctx, found.items), found.total, found.page, found.size, found.more)


def visible(ctx: Ctx, employee_id: int, permission: str) -> Employee | None:
    stmt = restrict(select(Employee).where(Employee.id == employee_id), ctx.principal, permission)
    return ctx.db.scalar(stmt)


def _org_path(ctx: Ctx, unit_id: int) -> str:
    names = []
    current: int | None = unit_id
    while current is not None:
        unit = ctx.db.get(OrgUnit, current)
        if unit is None:
            break
        names.append(unit.name)
        current = unit.parent_id
    return " › ".join(reversed(names))


def get_employee(ctx: Ctx, employee_id: int) -> EmployeeDetail | None:
    emp = visible(ctx, employee_id, VIEW)
    if emp is None:
        return None
    r = ctx.db.execute(_row_select().where(Employee.id == employee_id)).one()
    ctx.audit(VIEW, target_type="employee", target_id=emp.id, agency_id=emp.agency_id)
    base = _rows(ctx, [r])[0]
    return EmployeeDetail(
        **base.__dict__,
        rrn_masked=ctx.cipher.decrypt(emp.rrn_encrypted).masked(),
        birth_date=emp.birth_date,
        sex=emp.sex,
        hire_date=emp.hire_date,
        email=emp.email,
        phone=emp.phone,
        org_path=_org_path(ctx, emp.org_unit_id),
    )


def list_dependents(ctx: Ctx, employee_id: int) -> list[DependentRow] | None:
    emp = visible(ctx, employee_id, VIEW_DEPENDENTS)
    if emp is None:
        return None
    deps = ctx.db.scalars(
        select(Dependent).where(Dependent.employee_id == employee_id).order_by(Dependent.birth_date)
    ).all()
    ctx.audit(VIEW_DEPENDENTS, target_type="employee", target_id=emp.id, agency_id=emp.agency_id)
    return [
        DependentRow(
            id=d.id,
            relation=RELATION_CODE[d.relation],
            name=d.name,
            rrn_masked=ctx.cipher.decrypt(d.rrn_encrypted).masked(),
            birth_date=d.birth_date,
            disabled=d.disabled,
            same_household=d.same_household,
            public_servant=d.public_servant,
            annual_income=d.annual_income,
            allowance_from=d.allowance_from,
            allowance_until=d.allowance_until,
        )  # fmt: skip
        for d in deps
    ]


def payroll_years(ctx: Ctx, employee_id: int) -> list[int]:
    if visible(ctx, employee_id, VIEW_PAYROLL) is None:
        return []
    return list(
        ctx.db.scalars(
            select(Payroll.year)
            .where(Payroll.employee_id == employee_id)
            .distinct()
            .order_by(Payroll.year.desc())
        )
    )


def list_payroll(
    ctx: Ctx, employee_id: int, year: int | None = None
) -> list[dict[str, int]] | None:
    emp = visible(ctx, employee_id, VIEW_PAYROLL)
    if emp is None:
        return None
    if year is None:
        year = ctx.db.scalar(
            select(func.max(Payroll.year)).where(Payroll.employee_id == employee_id)
        )
    cols = [getattr(Payroll, c) for c in ("year", "month", *PAY_COLUMNS)]
    rows = ctx.db.execute(
        select(*cols)
        .where(Payroll.employee_id == employee_id, Payroll.year == year)
        .order_by(Payroll.month)
    ).all()
    ctx.audit(
        VIEW_PAYROLL,
        target_type="employee",
        target_id=emp.id,
        agency_id=emp.agency_id,
        detail={"year": year},
    )
    return [dict(r._mapping) for r in rows]


# ------------------------------------------------------------------ dashboards


HEADCOUNT_TTL = 60.0  # seconds a dashboard's headcount may be old
_headcount_cache: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}


def agency_headcount(ctx: Ctx) -> dict[str, Any]:
    """Headcount by status and grade for the actor's scope (aggregates only, no person).

    Cached per scope for :data:`HEADCOUNT_TTL` seconds: the dashboards of a large agency
    would otherwise count 160,000 rows on every page view.
    """
    p = ctx.principal
    key = (str(ctx.db.get_bind().engine.url), *p.scope_key)
    hit = _headcount_cache.get(key)
    if hit and time.monotonic() - hit[0] < HEADCOUNT_TTL:
        return hit[1]
    base = restrict(select(Employee.status, Employee.grade_id, func.count()), p, SEARCH)
    counts = ctx.db.execute(base.group_by(Employee.status, Employee.grade_id)).all()
    grades = {
        gid: (rank, name)
        for gid, rank, name in ctx.db.execute(select(Grade.id, Grade.rank, Grade.name_ko))
    }
    rows = [(status, grades[gid][1], grades[gid][0], n) for status, gid, n in counts]
    by_status: dict[str, int] = {}
    by_grade: dict[tuple[int, str], int] = {}
    for status, grade, rank, n in rows:
        by_status[STATUS_CODE[status]] = by_status.get(STATUS_CODE[status], 0) + n
        by_grade[(rank, grade)] = by_grade.get((rank, grade), 0) + n
    result = {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_grade": [(g, n) for (_r, g), n in sorted(by_grade.items())],
    }
    _headcount_cache[key] = (time.monotonic(), result)
    return result


def agency_payroll_totals(ctx: Ctx) -> list[dict[str, int]]:
    """Monthly payroll totals of the latest year for the actor's agency (finance view)."""
    p = ctx.principal
    if not p.can(VIEW_TOTALS):
        return []
    scoped = restrict(select(Employee.id), p, VIEW_PAYROLL).subquery()
    year = ctx.db.scalar(select(func.max(Payroll.year)))
    if year is None:
        return []
    q = (
        select(
            Payroll.month,
            func.count(),
            func.sum(Payroll.gross_pay),
            func.sum(Payroll.income_tax),
            func.sum(Payroll.local_income_tax),
            func.sum(Payroll.family_allowance),
            func.sum(Payroll.net_pay),
        )
        .where(Payroll.year == year, Payroll.employee_id.in_(select(scoped.c.id)))
        .group_by(Payroll.month)
        .order_by(Payroll.month)
    )
    if p.agency_id is not None:
        q = q.where(Payroll.agency_id == p.agency_id)
    keys = ("month", "people", "gross", "income_tax", "local_tax", "family_allowance", "net")
    out = [
        dict(zip(keys, (int(v or 0) for v in r), strict=True)) | {"year": year}
        for r in ctx.db.execute(q).all()
    ]
    ctx.audit(
        "people.view_payroll_totals",
        target_type="agency",
        target_id=p.agency_id,
        agency_id=p.agency_id,
        detail={"year": year},
    )
    return out


def agency_list(ctx: Ctx) -> list[Agency]:
    """The agency registry (public reference data, every agency ever served)."""
    return list(ctx.db.scalars(select(Agency).order_by(Agency.id)))


def own_agency_name(ctx: Ctx) -> str | None:
    aid = ctx.principal.agency_id
    return None if aid is None else ctx.db.scalar(select(Agency.name_ko).where(Agency.id == aid))


def _in_force(on: dt.date) -> Any:
    return and_(
        or_(Agency.valid_from.is_(None), Agency.valid_from <= on),
        or_(Agency.valid_until.is_(None), Agency.valid_until >= on),
    )


def agency_picker(ctx: Ctx, on: dt.date | None = None) -> list[tuple[int, str]]:
    """The agencies in force today to choose from, by name, a renamed or split one with its
    former name (기후에너지환경부 (옛 환경부)); former agencies are history, not choices."""
    on = on or today_kst()
    former = {int(i): str(n) for i, n in ctx.db.execute(select(Agency.id, Agency.name_ko))}
    rows = ctx.db.execute(
        select(Agency.id, Agency.name_ko, Agency.predecessor_id).where(_in_force(on))
        .order_by(Agency.name_ko)
    ).all()  # fmt: skip
    return [
        (int(i), f"{n} (옛 {former[int(p)]})" if p is not None and int(p) in former else str(n))
        for i, n, p in rows
    ]


def agencies_overview(ctx: Ctx) -> list[dict[str, Any]]:
    """Central view: headcount per agency (central administrators only)."""
    if not (ctx.principal.sees_all and ctx.principal.can(SEARCH)):
        return []
    today = today_kst()
    rows = ctx.db.execute(
        select(Agency.id, Agency.code, Agency.name_ko, Agency.kind, Agency.valid_until,
               func.count(Employee.id))
        .join(Employee, Employee.agency_id == Agency.id)
        .group_by(Agency.id, Agency.code, Agency.name_ko, Agency.kind, Agency.valid_until)
        .order_by(func.count(Employee.id).desc())
    ).all()  # fmt: skip
    return [{"id": r[0], "code": r[1], "name": r[2], "kind": r[3], "employees": r[5],
             "former": r[4] is not None and r[4] < today} for r in rows]  # fmt: skip
