"""Documents from the database: each employee's withholding receipt (PDF) and each agency's
electronic filing file. Adapters between the stored records and the pure renderers in
:mod:`insa.yearend.receipt` and :mod:`insa.yearend.filing`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import RowMapping, func, select
from sqlalchemy.orm import Session
from stdnum.kr import brn as stdnum_brn

from insa.clock import today_kst
from insa.codes import RELATION_LABELS
from insa.people.models import Agency, Dependent, Employee, OrgUnit, Payroll
from insa.security.crypto import RRNCipher
from insa.yearend.batch import case_at, load_batch
from insa.yearend.filing.amounts import settlement_amounts
from insa.yearend.filing.statements import Dependent as FilingDependent
from insa.yearend.filing.statements import (
    EmployeeStatement,
    Submission,
    Submitter,
    WithholdingAgent,
)
from insa.yearend.filing.writer import write_filing
from insa.yearend.models import RESULT_AMOUNTS
from insa.yearend.models import results_table as rt
from insa.yearend.rules import Rules, rules_for
from insa.yearend.scalar import DependentStatus, compute, dependent_status, is_senior
from insa.yearend.schemas import Case
from insa.yearend.schemas import Dependent as CaseDependent
from insa.yearend.settlement import Explanation

BONUS_COLUMNS = (Payroll.holiday_bonus, Payroll.longevity_allowance, Payroll.longevity_bonus)


def agency_brn(code: str) -> str:
    """A synthetic 10-digit registration number (고유번호) for an agency, valid by
    python-stdnum (``stdnum.kr.brn`` checks length and components).

    The registry holds no real numbers; this one is stable per agency code and uses the
    ``83`` middle part that state bodies carry.
    """
    digest = int(hashlib.sha256(code.encode()).hexdigest(), 16)
    head = f"{100 + digest % 900:03d}83{digest // 1000 % 10000:04d}"
    for last in "0123456789":
        if stdnum_brn.is_valid(head + last):
            return head + last
    raise ValueError(f"no valid registration number for {code}")  # pragma: no cover


def pay_splits(db: Session, year: int, employee_ids: list[int]) -> dict[int, dict[str, int]]:
    """급여 / 상여 / 비과세 totals and the first and last paid month, per employee
    (상여: holiday and longevity bonuses)."""
    out: dict[int, dict[str, int]] = {}
    for i in range(0, len(employee_ids), 5000):
        rows = db.execute(
            select(
                Payroll.employee_id,
                func.sum(Payroll.taxable_pay),
                func.sum(sum(BONUS_COLUMNS[1:], BONUS_COLUMNS[0])),
                func.sum(Payroll.nontaxable_pay),
                func.min(Payroll.month),
                func.max(Payroll.month),
            )
            .where(Payroll.year == year, Payroll.employee_id.in_(employee_ids[i : i + 5000]))
            .group_by(Payroll.employee_id)
        )
        for eid, taxable, bonus, nontaxable, first, last in rows:
            out[int(eid)] = {
                "salary": int(taxable) - int(bonus),
                "bonus": int(bonus),
                "nontaxable": int(nontaxable),
                "first_month": int(first),
                "last_month": int(last),
            }
    return out


def work_period(hire: dt.date, year: int, pay: dict[str, int]) -> tuple[dt.date, dt.date]:
    last = pay["last_month"]
    end = dt.date(year, 12, 31) if last == 12 else dt.date(year, last + 1, 1) - dt.timedelta(1)
    return max(hire, dt.date(year, pay["first_month"], 1)), end


def matched_dependents(
    rows: Sequence[Dependent], case: Case, dependent_ids: Sequence[int], year: int
) -> list[tuple[Dependent, CaseDependent | None, DependentStatus | None]]:
    """Each HR dependent with its entry in the case and what it qualified for (None: not
    deducted here — claimed by another employee). Matched by id: twins stay apart."""
    rules = rules_for(year)
    by_id = dict(zip(dependent_ids, case.dependents, strict=True))
    out: list[tuple[Dependent, CaseDependent | None, DependentStatus | None]] = []
    for d in rows:
        entry = by_id.get(d.id)
        out.append((d, entry, dependent_status(entry, year, rules) if entry else None))
    return out


def _dependent_rows(db: Session, employee_ids: list[int], year: int) -> dict[int, list[Dependent]]:
    out: dict[int, list[Dependent]] = {}
    for i in range(0, len(employee_ids), 5000):
        for d in db.scalars(
            select(Dependent)
            .where(
                Dependent.employee_id.in_(employee_ids[i : i + 5000]),
                Dependent.birth_date <= dt.date(year, 12, 31),
            )
            .order_by(Dependent.employee_id, Dependent.birth_date, Dependent.id)
        ):
            out.setdefault(d.employee_id, []).append(d)
    return out


def receipt_data(db: Session, cipher: RRNCipher, emp: Employee, ex: Explanation) -> Any:
    from insa.yearend.receipt import (
        ReceiptAgency,
        ReceiptData,
        ReceiptDependent,
        ReceiptEmployee,
    )

    year = ex.tax_year
    agency = db.get(Agency, emp.agency_id)
    assert agency is not None
    unit = db.scalar(select(OrgUnit.name).where(OrgUnit.id == emp.org_unit_id)) or ""
    pay = pay_splits(db, year, [emp.id])[emp.id]
    work_start, work_end = work_period(emp.hire_date, year, pay)
    masked = cipher.decrypt(emp.rrn_encrypted).masked()
    dependents = [
        ReceiptDependent(
            "본인",
            emp.name,
            masked,
            basic=True,
            senior=is_senior(emp.birth_date, year, rules_for(year)),
            disabled=ex.case.taxpayer.disabled,
        )
    ]
    rows = _dependent_rows(db, [emp.id], year).get(emp.id, [])
    for d, _entry, status in matched_dependents(rows, ex.case, ex.dependent_ids, year):
        dependents.append(
            ReceiptDependent(
                RELATION_LABELS.get(d.relation, d.relation),
                d.name,
                cipher.decrypt(d.rrn_encrypted).masked(),
                basic=bool(status and status.basic),
                senior=bool(status and status.senior),
                disabled=bool(status and status.disabled),
                child=bool(status and status.child_credit),
                birth_adoption=bool(status and status.birth),
            )
        )
    return ReceiptData(
        tax_year=year,
        agency=ReceiptAgency(
            name=agency.name_ko,
            representative=f"{agency.name_ko}장",
            brn=agency_brn(agency.code),
            address="",
        ),
        employee=ReceiptEmployee(
            name=emp.name,
            masked_rrn=masked,
            employee_no=emp.employee_no,
            org_unit=unit,
            work_start=work_start,
            work_end=work_end,
        ),
        result=ex.result,
        pay={k: pay[k] for k in ("salary", "bonus", "nontaxable")},
        dependents=dependents,
    )


def receipt_for(db: Session, cipher: RRNCipher, emp: Employee, ex: Explanation) -> bytes:
    """The receipt of the stored settlement: refused before a run, or when the data changed
    since (the receipt would show amounts nobody settled)."""
    from insa.yearend.receipt import MissingFont, render_receipt_pdf

    if ex.stored is None:
        raise DocumentUnavailable(
            f"{emp.employee_no}: 아직 {ex.tax_year}년 정산 결과가 없습니다. 먼저 정산을 실행하세요 "
            f"/ no stored {ex.tax_year} settlement yet — run the settlement first"
        )
    if ex.stale:
        raise DocumentUnavailable(
            f"{emp.employee_no}: 마지막 {ex.tax_year}년 정산 뒤에 자료가 바뀌었습니다. 정산을 다시 "
            f"실행한 뒤 영수증을 발급하세요 / the data changed after the last {ex.tax_year} run — "
            "run the settlement again before issuing the receipt"
        )
    try:
        return render_receipt_pdf(receipt_data(db, cipher, emp, ex))
    except MissingFont as exc:
        raise DocumentUnavailable(str(exc)) from None


# NTS relation codes of the E record (관계코드)
NTS_RELATION = {
    "parent": "1", "grandparent": "1", "spouse": "3", "child": "4", "grandchild": "5",
    "sibling": "6", "foster_child": "8",
}  # fmt: skip
# 세무서코드 of the withholding agents: the registry holds none; 305 (세종) stands for all.
TAX_OFFICE = "305"


class DocumentUnavailable(RuntimeError):
    """A receipt or filing file cannot be made from the stored settlement (none, or stale)."""


def filing_for_agency(
    db: Session,
    cipher: RRNCipher,
    agency_id: int,
    year: int,
    *,
    submitted_on: dt.date | None = None,
) -> tuple[bytes, str]:
    """The agency's 근로소득 지급명세서 전산매체 from its stored settlement results, and the
    file name the NTS expects.

    Every employee's statement is rebuilt with the scalar engine from the same data and must
    equal the stored result: if the data changed since the last run, the file is refused
    (run the settlement again) rather than filed with amounts nobody approved.
    """
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise DocumentUnavailable(f"no agency {agency_id}")
    stored = _stored_results(db, agency, year)
    batch = load_batch(db, year, agency_id=agency_id)
    ids = [int(e) for e in batch.employee_id]
    emps = {e.id: e for e in db.scalars(select(Employee).where(Employee.id.in_(list(stored))))}
    pays = pay_splits(db, year, ids)
    deps = _dependent_rows(db, ids, year)
    rules = rules_for(year)
    statements = []
    for i, eid in enumerate(ids):
        if eid not in stored:
            raise DocumentUnavailable(
                f"{agency.name_ko}: employees were paid after the last {year} run — run it again"
            )
        emp = emps[eid]
        case = case_at(batch, i, emp.employee_no)
        result = compute(case)
        if any(result[k] != stored[eid][k] for k in RESULT_AMOUNTS):
            raise DocumentUnavailable(
                f"{agency.name_ko}: the data of employee {emp.employee_no} changed after the "
                f"last {year} run — run the settlement again before filing"
            )
        lo, hi = np.searchsorted(batch.cols.dep_case, [i, i + 1])
        dep_ids = [int(x) for x in batch.dep_id[lo:hi]]
        people = _filing_people(cipher, emp, case, result, deps.get(eid, []), dep_ids, rules)
        statements.append(_statement(emp, people, case, result, pays[eid], year))
    brn = agency_brn(agency.code)
    submission = _submission(agency, brn, statements, submitted_on or today_kst())
    return write_filing(submission, year), f"C{brn[:7]}.{brn[7:]}"


def _stored_results(db: Session, agency: Agency, year: int) -> dict[int, RowMapping]:
    """The agency's stored settlement results by employee id (refused if there are none)."""
    stored = {
        int(r.employee_id): r._mapping
        for r in db.execute(select(rt).where(rt.c.tax_year == year, rt.c.agency_id == agency.id))
    }
    if not stored:
        raise DocumentUnavailable(f"{agency.name_ko}: no stored {year} settlement — run it first")
    return stored


def _filing_people(
    cipher: RRNCipher,
    emp: Employee,
    case: Case,
    result: dict[str, Any],
    rows: Sequence[Dependent],
    dep_ids: Sequence[int],
    rules: Rules,
) -> list[FilingDependent]:
    """The people of the employee's E records: the employee (relation '0'), then each
    dependent the settlement deducted as basic (the others are claimed elsewhere)."""
    year = rules.year
    me = cipher.decrypt(emp.rrn_encrypted).reveal()
    people = [
        FilingDependent(
            "0", emp.name, me, basic=True,
            senior=is_senior(emp.birth_date, year, rules), disabled=case.taxpayer.disabled,
            woman=result["woman_deduction"] > 0, single_parent=result["single_parent_deduction"] > 0,
        )
    ]  # fmt: skip
    for d, entry, st in matched_dependents(rows, case, dep_ids, year):
        if entry is None or st is None or not st.basic:
            continue
        people.append(
            FilingDependent(
                NTS_RELATION[d.relation], d.name, cipher.decrypt(d.rrn_encrypted).reveal(),
                basic=True, senior=st.senior, disabled=st.disabled, child=st.child_credit,
                birth_adoption=str(min(max(entry.birth_order, 1), 3)) if st.birth else "",
            )
        )  # fmt: skip
    return people


def _statement(
    emp: Employee,
    people: Sequence[FilingDependent],
    case: Case,
    result: dict[str, Any],
    pay: dict[str, int],
    year: int,
) -> EmployeeStatement:
    """The employee's statement (C record): ``people[0]`` is the employee, with the RRN."""
    start, end = work_period(emp.hire_date, year, pay)
    return EmployeeStatement(
        name=emp.name,
        rrn=people[0].rrn,
        work_start=start,
        work_end=end,
        amounts=settlement_amounts(
            result, people, year, bonus=pay["bonus"], non_taxable=pay["nontaxable"],
            employment_insurance=result["employment_insurance_deduction"],
            mortgage_interest=result["mortgage_interest_deduction"],
        ),
        dependents=people,
        household_head=case.taxpayer.household_head,
        mid_year_leaver=emp.status == "retired",
    )  # fmt: skip


def _submission(
    agency: Agency, brn: str, statements: Sequence[EmployeeStatement], submitted_on: dt.date
) -> Submission:
    """The agency as its own submitter and single withholding agent."""
    return Submission(
        submitter=Submitter(
            kind=2, tax_office=TAX_OFFICE, business_number=brn, name=agency.name_ko,
            hometax_id=f"insa{agency.code.lower()}"[:20], contact_department="운영지원과",
            contact_name="인사담당자", contact_phone="044-000-0000",
        ),
        submitted_on=submitted_on,
        agents=[
            WithholdingAgent(
                tax_office=TAX_OFFICE, business_number=brn, name=agency.name_ko,
                representative=f"{agency.name_ko}장", registration_number="",
                employees=statements,
            )
        ],
    )  # fmt: skip
