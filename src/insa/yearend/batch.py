"""Everyone to settle in a scope, as the engine's columns: :func:`load_batch`.

The database is read in a few set-based queries (payroll summed per employee in SQL,
dependents, simplified data) and turned into the engine's int64 columns with NumPy — no
per-employee Python on the hot path. :func:`case_at` rebuilds one employee's case of the
stateless contract from a batch (for the explanation, the receipt and the filing file).

A dependent listed by two employees (both spouses public servants, siblings supporting one
parent) is deducted once: by the employee with the higher total salary (ties: the lower
employee id), the usual choice; the other employee's explanation says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, Connection, String, cast, func, select
from sqlalchemy.orm import Session

from insa.codes import RELATIONS
from insa.people.models import Dependent, Employee, Payroll
from insa.yearend.engine import REL, Columns
from insa.yearend.models import NTS_AMOUNTS, NTS_FLAGS, nts_table
from insa.yearend.schemas import Case

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_PAYROLL_SUMS = (
    ("total_salary", Payroll.taxable_pay),
    ("withheld_income_tax", Payroll.income_tax),
    ("withheld_local_tax", Payroll.local_income_tax),
    ("pension", Payroll.pension_contribution),
    ("health", Payroll.health_insurance),
    ("long_term_care", Payroll.long_term_care),
)


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


@dataclass(frozen=True)
class _Scope:
    """Whom a batch covers: an agency's members, some employees, or (both None) everyone."""

    agency_id: int | None
    employee_ids: Sequence[int] | None

    @property
    def everyone(self) -> bool:
        return self.agency_id is None and self.employee_ids is None

    def __call__(self, stmt: Any) -> Any:
        if self.agency_id is not None:
            stmt = stmt.where(Employee.agency_id == self.agency_id)
        if self.employee_ids is not None:
            stmt = stmt.where(Employee.id.in_(list(self.employee_ids)))
        return stmt


@dataclass
class _Paid:
    """The employees of the scope paid in the year, by id, and their engine columns."""

    emp: I64
    agency_id: I64
    birth: I64
    c: dict[str, I64]

    @property
    def n(self) -> int:
        return len(self.emp)


@dataclass
class _Dependents:
    """Every dependent of the scope born by the year's end, sorted by employee and birth."""

    case: I64  # the case index of the employee who lists the dependent
    rel: I64
    birth: I64
    disabled: Bools
    income: I64
    id: I64
    order: I64  # birth order among the employee's children
    excluded: Bools  # another employee deducts this dependent
    keep: Bools  # deducted by this employee (listed by a paid employee, not excluded)


def load_batch(
    conn: Connection | Session,
    year: int,
    *,
    agency_id: int | None = None,
    employee_ids: Sequence[int] | None = None,
) -> Batch:
    """Everyone in scope who was paid in ``year``: payroll, dependents, simplified data."""
    scope = _Scope(agency_id, employee_ids)
    paid = _load_paid(conn, year, scope)
    edu_items = _load_simplified(conn, year, scope, paid)
    deps = _load_dependents(conn, year, scope, paid)
    keep, excluded = deps.keep, deps.excluded
    d_by = _years(deps.birth[keep]) if keep.any() else np.zeros(0, dtype=np.int64)
    edu_case, edu_uni, edu_amount = _education(edu_items)
    cols = Columns(
        year=year,
        n=paid.n,
        c=paid.c,
        dep_case=deps.case[keep].astype(np.int64),
        dep_rel=deps.rel[keep],
        dep_birth_year=d_by,
        dep_disabled=deps.disabled[keep],
        dep_income=deps.income[keep],
        dep_born=d_by == year,
        dep_order=deps.order[keep],
        edu_case=edu_case,
        edu_university=edu_uni,
        edu_amount=edu_amount,
    )
    return Batch(
        year=year,
        employee_id=paid.emp,
        agency_id=paid.agency_id,
        birth_ordinal=paid.birth,
        cols=cols,
        dep_birth_ordinal=deps.birth[keep],
        dep_id=deps.id[keep],
        excluded_case=deps.case[excluded].astype(np.int64),
        excluded_id=deps.id[excluded],
        excluded_rel=deps.rel[excluded],
        excluded_birth_ordinal=deps.birth[excluded],
        edu_items=edu_items,
    )


def _load_paid(conn: Connection | Session, year: int, scope: _Scope) -> _Paid:
    """The payroll of the year summed per employee in SQL, with birth year and sex."""
    sums = [cast(func.coalesce(func.sum(col), 0), BigInteger) for _, col in _PAYROLL_SUMS]
    stmt = (
        select(Employee.id, Employee.agency_id, _iso(Employee.birth_date), Employee.sex, *sums)
        .join(Payroll, Payroll.employee_id == Employee.id)
        .where(Payroll.year == year)
        .group_by(Employee.id, Employee.agency_id, Employee.birth_date, Employee.sex)
        .order_by(Employee.id)
    )
    rows = _fetch(conn, scope(stmt))
    n = len(rows)
    cols_t: list[Sequence[Any]] = (
        list(zip(*rows, strict=True)) if rows else [() for _ in range(4 + len(sums))]
    )
    birth = _ordinals(cols_t[2])
    c: dict[str, I64] = {
        name: np.asarray(cols_t[4 + i], dtype=np.int64) for i, (name, _) in enumerate(_PAYROLL_SUMS)
    }
    c["birth_year"] = _years(birth) if n else np.zeros(0, dtype=np.int64)
    c["female"] = (np.asarray(cols_t[3], dtype=object) == "F").astype(np.int64)
    emp = np.asarray(cols_t[0], dtype=np.int64)
    return _Paid(emp, np.asarray(cols_t[1], dtype=np.int64), birth, c)


def _load_simplified(
    conn: Connection | Session, year: int, scope: _Scope, paid: _Paid
) -> dict[int, dict[str, list[int]]]:
    """The simplified data and declaration into the columns (zero without a document); the
    education items of each case that has some, by case index."""
    n, emp, c = paid.n, paid.emp, paid.c
    for name in (*NTS_AMOUNTS, *NTS_FLAGS):
        c[name] = np.zeros(n, dtype=np.int64)
    nts_cols = [nts_table.c[k] for k in (*NTS_AMOUNTS, *NTS_FLAGS)]
    nstmt = (
        select(nts_table.c.employee_id, nts_table.c.education_items, *nts_cols)
        .join(Employee, Employee.id == nts_table.c.employee_id)
        .where(nts_table.c.tax_year == year)
    )
    nrows = _fetch(conn, scope(nstmt))
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
    return edu_items


def _load_dependents(
    conn: Connection | Session, year: int, scope: _Scope, paid: _Paid
) -> _Dependents:
    """The dependents (sorted by employee, then birth date, for the birth order), each marked
    kept or deducted by another employee."""
    n, emp = paid.n, paid.emp
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
    drows = _fetch(conn, scope(dstmt))
    dt_: list[Sequence[Any]] = list(zip(*drows, strict=True)) if drows else [() for _ in range(7)]
    d_emp = np.asarray(dt_[0], dtype=np.int64)
    d_case = np.searchsorted(emp, d_emp) if n else np.zeros(len(d_emp), dtype=np.int64)
    paid_dep = (d_case < n) & (emp[np.minimum(d_case, max(n - 1, 0))] == d_emp) if n else d_case < 0
    d_rel = np.fromiter((REL[r] for r in dt_[1]), dtype=np.int64, count=len(dt_[1]))
    pseud = np.asarray(dt_[5], dtype=object)
    excluded = paid_dep & _claimed_elsewhere(
        conn, year, d_emp, pseud, paid_dep, emp, paid.c["total_salary"], everyone=scope.everyone
    )
    # birth order counts every child of the employee, also one the spouse deducts
    order = _birth_order(d_case, paid_dep & (d_rel == REL["child"]))
    return _Dependents(
        case=d_case,
        rel=d_rel,
        birth=_ordinals(dt_[2]),
        disabled=np.asarray(dt_[3], dtype=bool),
        income=np.asarray(dt_[4], dtype=np.int64),
        id=np.asarray(dt_[6], dtype=np.int64),
        order=order,
        excluded=excluded,
        keep=paid_dep & ~excluded,
    )


def _education(edu_items: dict[int, dict[str, list[int]]]) -> tuple[I64, Bools, I64]:
    """The tuition items as columns: case index, university or not, amount."""
    edu_case, edu_uni, edu_amount = [], [], []
    for i, items in sorted(edu_items.items()):
        for key, uni in (("preschool_school", False), ("university", True)):
            for amount in items.get(key, []):
                edu_case.append(i)
                edu_uni.append(uni)
                edu_amount.append(int(amount))
    return (
        np.asarray(edu_case, dtype=np.int64),
        np.asarray(edu_uni, dtype=bool),
        np.asarray(edu_amount, dtype=np.int64),
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
