"""One-click settlement over the database: load everyone as columns, settle, store.

The database is read in a few set-based queries (payroll summed per employee in SQL,
dependents, simplified data), turned into the engine's int64 columns with NumPy — no
per-employee Python on the hot path — settled in one pass, and written back with the bulk
writer. A run replaces its scope's previous results in one transaction: readers see the old
results or the new ones, never a mix.

A dependent listed by two employees (both spouses public servants, siblings supporting one
parent) is deducted once: by the employee with the higher total salary (ties: the lower
employee id), the usual choice; the other employee's explanation says so.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, Connection, Engine, String, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from insa.codes import RELATION_LABELS, RELATIONS
from insa.db.bulk import bulk_writer
from insa.people.models import Dependent, Employee, Payroll
from insa.security.audit import record
from insa.yearend.engine import REL, Columns, settle
from insa.yearend.models import NTS_AMOUNTS, NTS_FLAGS, RESULT_AMOUNTS, nts_table, runs_table
from insa.yearend.models import results_table as rt
from insa.yearend.schemas import Case

I64 = npt.NDArray[np.int64]
Progress = Callable[[str, int, int], None]
_PAYROLL_SUMS = (
    ("total_salary", Payroll.taxable_pay),
    ("withheld_income_tax", Payroll.income_tax),
    ("withheld_local_tax", Payroll.local_income_tax),
    ("pension", Payroll.pension_contribution),
    ("health", Payroll.health_insurance),
    ("long_term_care", Payroll.long_term_care),
)
CHILD_RELS = (REL["child"], REL["grandchild"], REL["foster_child"])


@dataclass
class Batch:
    """Everyone to settle, as columns, plus what the explanation needs to rebuild a case."""

    year: int
    employee_id: I64
    agency_id: I64
    birth_ordinal: I64
    cols: Columns
    dep_birth_ordinal: I64
    dep_id: I64  # dependents.id of each kept dependent (the receipt and filing name them)
    excluded_case: I64  # case index of each dependent another employee deducts
    excluded_rel: I64
    excluded_birth_ordinal: I64
    excluded_id: I64
    edu_items: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.cols.n


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _iso(col: Any) -> Any:
    """A date column as ISO text: NumPy parses it in C, no Python date per row."""
    return cast(col, String(10))


def _ordinals(iso_dates: Sequence[str]) -> I64:
    days = np.asarray(iso_dates, dtype="datetime64[D]").astype(np.int64)
    return days + _EPOCH_ORDINAL


def _years(ordinals: I64) -> I64:
    """Calendar year of each date ordinal, vectorised (proleptic Gregorian)."""
    days = ordinals.astype("timedelta64[D]") + np.datetime64("0001-01-01") - np.timedelta64(1, "D")
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _fetch(conn: Connection | Session, stmt: Any) -> list[Any]:
    """Plain DBAPI tuples: at 400,000 rows, building a Row object per row costs seconds.
    The statements select only ints, text (dates cast to ISO text) and booleans."""
    c = conn.connection() if isinstance(conn, Session) else conn
    result = c.execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _scope(stmt: Any, agency_id: int | None, employee_ids: Sequence[int] | None) -> Any:
    if agency_id is not None:
        stmt = stmt.where(Employee.agency_id == agency_id)
    if employee_ids is not None:
        stmt = stmt.where(Employee.id.in_(list(employee_ids)))
    return stmt


def load_batch(
    conn: Connection | Session,
    year: int,
    *,
    agency_id: int | None = None,
    employee_ids: Sequence[int] | None = None,
) -> Batch:
    """Everyone in scope who was paid in ``year``: payroll, dependents, simplified data."""
    sums = [cast(func.coalesce(func.sum(col), 0), BigInteger) for _, col in _PAYROLL_SUMS]
    stmt = (
        select(Employee.id, Employee.agency_id, _iso(Employee.birth_date), Employee.sex, *sums)
        .join(Payroll, Payroll.employee_id == Employee.id)
        .where(Payroll.year == year)
        .group_by(Employee.id, Employee.agency_id, Employee.birth_date, Employee.sex)
        .order_by(Employee.id)
    )
    rows = _fetch(conn, _scope(stmt, agency_id, employee_ids))
    n = len(rows)
    cols_t: list[Sequence[Any]] = (
        list(zip(*rows, strict=True)) if rows else [() for _ in range(4 + len(sums))]
    )
    emp = np.asarray(cols_t[0], dtype=np.int64)
    birth = _ordinals(cols_t[2])
    c: dict[str, I64] = {
        name: np.asarray(cols_t[4 + i], dtype=np.int64) for i, (name, _) in enumerate(_PAYROLL_SUMS)
    }
    c["birth_year"] = _years(birth) if n else np.zeros(0, dtype=np.int64)
    c["female"] = (np.asarray(cols_t[3], dtype=object) == "F").astype(np.int64)

    # simplified data and declaration
    for name in (*NTS_AMOUNTS, *NTS_FLAGS):
        c[name] = np.zeros(n, dtype=np.int64)
    nts_cols = [nts_table.c[k] for k in (*NTS_AMOUNTS, *NTS_FLAGS)]
    nstmt = (
        select(nts_table.c.employee_id, nts_table.c.education_items, *nts_cols)
        .join(Employee, Employee.id == nts_table.c.employee_id)
        .where(nts_table.c.tax_year == year)
    )
    nrows = _fetch(conn, _scope(nstmt, agency_id, employee_ids))
    edu_items: dict[int, dict[str, list[int]]] = {}
    if nrows and n:
        nt = list(zip(*nrows, strict=True))
        nid = np.asarray(nt[0], dtype=np.int64)
        pos = np.searchsorted(emp, nid)
        found = (pos < n) & (emp[np.minimum(pos, n - 1)] == nid)
        for j, name in enumerate((*NTS_AMOUNTS, *NTS_FLAGS)):
            c[name][pos[found]] = np.asarray(nt[2 + j], dtype=np.int64)[found]
        for k in np.flatnonzero(found):
            if nt[1][k] != "{}":
                edu_items[int(pos[k])] = json.loads(nt[1][k])

    # dependents (sorted by employee, then birth date, for the birth order)
    dstmt = (
        select(
            Dependent.employee_id,
            Dependent.relation,
            _iso(Dependent.birth_date),
            Dependent.disabled,
            Dependent.annual_income,
            Dependent.rrn_pseudonym,
            Dependent.id,
        )
        .join(Employee, Employee.id == Dependent.employee_id)
        .where(Dependent.birth_date <= dt.date(year, 12, 31))
        .order_by(Dependent.employee_id, Dependent.birth_date, Dependent.id)
    )
    drows = _fetch(conn, _scope(dstmt, agency_id, employee_ids))
    dt_: list[Sequence[Any]] = list(zip(*drows, strict=True)) if drows else [() for _ in range(7)]
    d_emp = np.asarray(dt_[0], dtype=np.int64)
    d_case = np.searchsorted(emp, d_emp) if n else np.zeros(len(d_emp), dtype=np.int64)
    paid = (d_case < n) & (emp[np.minimum(d_case, max(n - 1, 0))] == d_emp) if n else d_case < 0
    d_rel = np.fromiter((REL[r] for r in dt_[1]), dtype=np.int64, count=len(dt_[1]))
    d_birth = _ordinals(dt_[2])
    d_dis = np.asarray(dt_[3], dtype=bool)
    d_inc = np.asarray(dt_[4], dtype=np.int64)
    pseud = np.asarray(dt_[5], dtype=object)
    d_id = np.asarray(dt_[6], dtype=np.int64)
    excluded = paid & _claimed_elsewhere(
        conn, year, d_emp, pseud, paid, emp, c["total_salary"],
        everyone=agency_id is None and employee_ids is None,
    )  # fmt: skip
    # birth order counts every child of the employee, also one the spouse deducts
    order = _birth_order(d_case, paid & (d_rel == REL["child"]))

    keep = paid & ~excluded
    d_case_k, d_rel_k, d_birth_k = d_case[keep], d_rel[keep], d_birth[keep]
    d_by = _years(d_birth_k) if keep.any() else np.zeros(0, dtype=np.int64)

    edu_case, edu_uni, edu_amount = [], [], []
    for i, items in sorted(edu_items.items()):
        for key, uni in (("preschool_school", False), ("university", True)):
            for amount in items.get(key, []):
                edu_case.append(i)
                edu_uni.append(uni)
                edu_amount.append(int(amount))
    cols = Columns(
        year=year,
        n=n,
        c=c,
        dep_case=d_case_k.astype(np.int64),
        dep_rel=d_rel_k,
        dep_birth_year=d_by,
        dep_disabled=d_dis[keep],
        dep_income=d_inc[keep],
        dep_born=d_by == year,
        dep_order=order[keep],
        edu_case=np.asarray(edu_case, dtype=np.int64),
        edu_university=np.asarray(edu_uni, dtype=bool),
        edu_amount=np.asarray(edu_amount, dtype=np.int64),
    )
    return Batch(
        year=year,
        employee_id=emp,
        agency_id=np.asarray(cols_t[1], dtype=np.int64),
        birth_ordinal=birth,
        cols=cols,
        dep_birth_ordinal=d_birth_k,
        dep_id=d_id[keep],
        excluded_case=d_case[excluded].astype(np.int64),
        excluded_id=d_id[excluded],
        excluded_rel=d_rel[excluded],
        excluded_birth_ordinal=d_birth[excluded],
        edu_items=edu_items,
    )


def _birth_order(case: I64, child: npt.NDArray[np.bool_]) -> I64:
    """1-based order of each child among the children of the same employee (by birth)."""
    order = np.zeros(len(case), dtype=np.int64)
    if not child.any():
        return order
    idx = np.flatnonzero(child)
    k = case[idx]
    start = np.r_[True, k[1:] != k[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(k)), 0))
    order[idx] = np.arange(len(k)) - group_start + 1
    return order


def _claimed_elsewhere(
    conn: Connection | Session,
    year: int,
    d_emp: I64,
    pseud: npt.NDArray[Any],
    paid: npt.NDArray[np.bool_],
    emp: I64,
    salary: I64,
    *,
    everyone: bool,
) -> npt.NDArray[np.bool_]:
    """True for a dependent another employee deducts (higher salary, then lower id).

    The other employee may be outside the scope (a spouse in another agency): the pairs come
    from the whole dependents table, and salaries missing from the batch are summed in SQL.
    When the batch is everyone paid in the year, it holds every possible claimant already.
    """
    out = np.zeros(len(d_emp), dtype=bool)
    if not paid.any():
        return out
    paid_pseud: list[str] = pseud[paid].tolist()
    wanted = set(paid_pseud)
    if everyone:
        claimants_all: dict[str, set[int]] = {}
        for p, e in zip(paid_pseud, d_emp[paid].tolist(), strict=True):
            claimants_all.setdefault(p, set()).add(e)
        pairs = [(p, e) for p, es in claimants_all.items() if len(es) > 1 for e in es]
    elif len(wanted) <= 2000:  # one employee or a small scope: look up just their dependents
        rows = conn.execute(
            select(Dependent.rrn_pseudonym, Dependent.employee_id).where(
                Dependent.rrn_pseudonym.in_(sorted(wanted))
            )
        ).all()
        claimants: dict[str, set[int]] = {}
        for p, e in rows:
            claimants.setdefault(p, set()).add(int(e))
        pairs = [(p, e) for p, es in claimants.items() if len(es) > 1 for e in es]
    else:
        shared = (
            select(Dependent.rrn_pseudonym)
            .group_by(Dependent.rrn_pseudonym)
            .having(func.count(func.distinct(Dependent.employee_id)) > 1)
        )
        pairs = [
            (str(p), int(e))
            for p, e in conn.execute(
                select(Dependent.rrn_pseudonym, Dependent.employee_id).where(
                    Dependent.rrn_pseudonym.in_(shared)
                )
            )
        ]
    if not pairs:
        return out
    known = dict(zip(emp.tolist(), salary.tolist(), strict=True))
    others = sorted({int(e) for _, e in pairs} - known.keys())
    for i in range(0, len(others), 5000):
        chunk = others[i : i + 5000]
        sums = conn.execute(
            select(Payroll.employee_id, func.sum(Payroll.taxable_pay))
            .where(Payroll.year == year, Payroll.employee_id.in_(chunk))
            .group_by(Payroll.employee_id)
        )
        known.update({int(e): int(s) for e, s in sums})
    winner: dict[str, tuple[int, int]] = {}
    for p, eid in pairs:
        s = known.get(eid)
        if s is None:  # not paid this year: cannot deduct anyone
            continue
        best = winner.get(p)
        if best is None or (s, -eid) > (best[0], -best[1]):
            winner[p] = (s, eid)
    idx = np.flatnonzero(paid).tolist()
    owners = d_emp[paid].tolist()
    for k, p, owner in zip(idx, paid_pseud, owners, strict=True):
        w = winner.get(p)
        if w is not None and w[1] != owner:
            out[k] = True
    return out


RELATION_NAMES = dict(enumerate(RELATIONS))


def case_at(batch: Batch, i: int, case_id: str | int) -> Case:
    """Rebuild the stateless contract's case for one employee of a batch (for explain)."""
    c = {k: int(v[i]) for k, v in batch.cols.c.items()}
    cols = batch.cols
    deps = []
    lo, hi = np.searchsorted(cols.dep_case, [i, i + 1])  # dep_case is sorted
    for j in range(int(lo), int(hi)):
        deps.append(
            {
                "relation": RELATION_NAMES[int(cols.dep_rel[j])],
                "birth_date": dt.date.fromordinal(int(batch.dep_birth_ordinal[j])),
                "disabled": bool(cols.dep_disabled[j]),
                "income": int(cols.dep_income[j]),
                "born_or_adopted_this_year": bool(cols.dep_born[j]),
                "birth_order": int(cols.dep_order[j]),
            }
        )
    edu = batch.edu_items.get(i, {})
    return Case.model_validate(
        {
            "id": case_id,
            "tax_year": batch.year,
            "taxpayer": {
                "birth_date": dt.date.fromordinal(int(batch.birth_ordinal[i])),
                "sex": "F" if c["female"] else "M",
                "disabled": bool(c["disabled"]),
                "single_parent": bool(c["single_parent"]),
                "household_head": bool(c["household_head"]),
                "married_this_year": bool(c["married_this_year"]),
            },
            "wages": {"total_salary": c["total_salary"]},
            "withheld": {"income_tax": c["withheld_income_tax"], "local_tax": c["withheld_local_tax"]},
            "contributions": {k: c[k] for k in ("pension", "health", "long_term_care", "employment")},
            "dependents": deps,
            "cards": {k: c[k] for k in ("credit", "debit", "cash_receipt", "culture", "traditional_market", "public_transport")},
            "insurance": {"general": c["insurance_general"], "disabled": c["insurance_disabled"]},
            "medical": {
                "self_senior_disabled_child6": c["med_special"], "other_dependents": c["med_other"],
                "infertility": c["med_infertility"], "premature": c["med_premature"],
                "reimbursed": c["med_reimbursed"],
            },
            "education": {
                "self": c["edu_self"], "disabled": c["edu_disabled"],
                "preschool_school": edu.get("preschool_school", []), "university": edu.get("university", []),
            },
            "donations": {
                "political": c["don_political"], "hometown": c["don_hometown"],
                "general": c["don_general"], "religious": c["don_religious"],
            },
            "monthly_rent": c["monthly_rent"],
            "pension_account": {"pension_savings": c["pension_savings"], "irp": c["irp"]},
            "housing": {
                "subscription_savings": c["subscription"], "lease_loan_repayment": c["lease"],
                "mortgage_interest": c["mortgage"],
            },
        }
    )  # fmt: skip


@dataclass
class RunReport:
    run_id: int
    tax_year: int
    agency_id: int | None
    version: int
    employees: int
    determined_tax: int
    balance_income_tax: int
    balance_local_tax: int
    refunds: int
    load_s: float
    compute_s: float
    store_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.compute_s + self.store_s


class SettlementError(RuntimeError):
    pass


def run_settlement(
    engine: Engine,
    year: int,
    *,
    agency_id: int | None,
    actor: str,
    actor_role: str = "cli",
    client_addr: str | None = None,
    on_progress: Progress | None = None,
) -> RunReport:
    """Settle everyone in scope and replace the scope's results, all in one transaction."""

    def step(name: str, done: int) -> None:
        if on_progress:
            on_progress(name, done, 4)

    started = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        t0 = time.perf_counter()
        step("급여·부양가족·간소화 자료 읽기 / loading", 0)
        batch = load_batch(conn, year, agency_id=agency_id)
        if batch.n == 0:
            raise SettlementError(f"no payroll in {year} for this scope: nothing to settle")
        t1 = time.perf_counter()
        step("세액 계산 / computing", 1)
        out = settle(batch.cols)
        t2 = time.perf_counter()
        step("결과 저장 / storing", 2)
        report = _store(conn, batch, out, year, agency_id, actor, started, t1 - t0, t2 - t1)
        t3 = time.perf_counter()
        step("감사 기록·확정 / committing", 3)
        report.store_s = t3 - t2
        conn.execute(
            runs_table.update()
            .where(runs_table.c.id == report.run_id)
            .values(store_ms=int(report.store_s * 1000), finished_at=dt.datetime.now(dt.UTC))
        )
        record(
            conn,
            actor=actor,
            actor_role=actor_role,
            action="yearend.run",
            target_type="yearend_run",
            target_id=report.run_id,
            agency_id=agency_id,
            client_addr=client_addr,
            detail={"tax_year": year, "employees": report.employees, "version": report.version},
        )
        step("완료 / done", 4)
    return report


def _store(
    conn: Connection,
    batch: Batch,
    out: dict[str, I64],
    year: int,
    agency_id: int | None,
    actor: str,
    started: dt.datetime,
    load_s: float,
    compute_s: float,
) -> RunReport:
    scope = rt.c.tax_year == year
    if agency_id is not None:
        in_agency = select(Employee.id).where(Employee.agency_id == agency_id)
        # the agency's current members (one who moved out keeps the old agency's result until
        # the new agency settles them)
        scope = scope & rt.c.employee_id.in_(in_agency)
    prev = conn.execute(select(rt.c.employee_id, rt.c.version).where(scope)).all()
    version = np.ones(batch.n, dtype=np.int64)
    if prev:
        p = np.asarray(prev, dtype=np.int64)
        order = np.argsort(p[:, 0])
        pe, pv = p[order, 0], p[order, 1]
        pos = np.searchsorted(pe, batch.employee_id)
        hit = (pos < len(pe)) & (pe[np.minimum(pos, len(pe) - 1)] == batch.employee_id)
        version[hit] = pv[pos[hit]] + 1
    runs = runs_table
    # a run is labelled with the highest result version it wrote (what its people see)
    run_version = int(version.max())
    now = dt.datetime.now(dt.UTC)
    totals = {
        "determined_tax": int(out["determined_tax"].sum()),
        "balance_income_tax": int(out["balance_income_tax"].sum()),
        "balance_local_tax": int(out["balance_local_tax"].sum()),
        "refunds": int((out["balance_income_tax"] < 0).sum()),
    }
    key = conn.execute(
        insert(runs).values(
            tax_year=year, agency_id=agency_id, version=run_version, employees=batch.n,
            actor=actor, started_at=started, finished_at=now, load_ms=int(load_s * 1000),
            compute_ms=int(compute_s * 1000), store_ms=0, **totals,
        )
    ).inserted_primary_key  # fmt: skip
    assert key is not None
    run_id = int(key[0])
    conn.execute(delete(rt).where(scope))
    columns: dict[str, Any] = {
        "run_id": [run_id] * batch.n,
        "employee_id": batch.employee_id.tolist(),
        "agency_id": batch.agency_id.tolist(),
        "tax_year": [year] * batch.n,
        "version": version.tolist(),
        "method": np.where(out["standard_method"] == 1, "standard", "itemized").tolist(),
    }
    for name in RESULT_AMOUNTS:
        columns[name] = out[name].tolist()
    bulk_writer(conn).write(rt.name, columns)
    return RunReport(
        run_id=int(run_id), tax_year=year, agency_id=agency_id, version=run_version,
        employees=batch.n, load_s=load_s, compute_s=compute_s, store_s=0.0, **totals,
    )  # fmt: skip


@dataclass
class Explanation:
    employee_id: int
    tax_year: int
    case: Case
    result: dict[str, Any]
    stored: dict[str, Any] | None  # the stored result of the last run, if any
    excluded: list[tuple[str, dt.date]]  # (relation, birth date) deducted by another employee
    dependent_ids: list[int]  # dependents.id of each of case.dependents, in order
    excluded_ids: list[int]

    @property
    def stale(self) -> bool:
        """The data changed since the last run (the stored amounts differ from a fresh one)."""
        if self.stored is None:
            return False
        return any(self.stored[k] != self.result[k] for k in RESULT_AMOUNTS)


def explain(
    conn: Connection | Session, employee_id: int, year: int, case_id: str
) -> Explanation | None:
    """Settle one employee with the scalar engine (every line), beside the stored result."""
    from insa.yearend.scalar import compute

    batch = load_batch(conn, year, employee_ids=[employee_id])
    if batch.n == 0:
        return None
    case = case_at(batch, 0, case_id)
    result = compute(case)
    excluded: list[tuple[str, dt.date]] = [
        (RELATION_NAMES[int(r)], dt.date.fromordinal(int(b)))
        for r, b in zip(batch.excluded_rel, batch.excluded_birth_ordinal, strict=True)
    ]
    for relation, born in excluded:
        result["lines"].insert(
            2,
            {
                "item": "기본공제 제외",
                "amount": 0,
                "rule": f"{RELATION_LABELS[relation]} ({born.year}년생): "
                "다른 직원(배우자·형제자매 등)이 공제대상자로 신고 — 총급여가 많은 쪽이 공제",
                "source": "소득세법 제53조 (공제대상가족의 중복 시 1인만 공제)",
                "parameter": "",
            },
        )
    row = conn.execute(
        select(rt).where(rt.c.employee_id == employee_id, rt.c.tax_year == year)
    ).first()
    stored = dict(row._mapping) if row is not None else None
    return Explanation(
        employee_id,
        year,
        case,
        result,
        stored,
        excluded,
        [int(x) for x in batch.dep_id],
        [int(x) for x in batch.excluded_id],
    )
