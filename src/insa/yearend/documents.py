"""Documents from the database: each employee's withholding receipt (PDF) and each agency's
electronic filing file. Adapters between the stored records and the pure renderers in
:mod:`insa.yearend.receipt` and :mod:`insa.yearend.filing`."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.kr import brn as stdnum_brn

from insa.people.models import Agency, Dependent, Employee, OrgUnit, Payroll
from insa.security.crypto import RRNCipher
from insa.yearend.rules import rules_for
from insa.yearend.scalar import dependent_status
from insa.yearend.service import RELATION_LABELS, Explanation

BONUS_COLUMNS = (Payroll.holiday_bonus, Payroll.longevity_allowance, Payroll.longevity_bonus)


def agency_brn(code: str) -> str:
    """A synthetic, checksum-valid 10-digit registration number (고유번호) for an agency.

    The registry holds no real numbers; this one is stable per agency code and uses the
    ``83`` middle part that state bodies carry. The check digit is found by asking python-stdnum.
    """
    digest = int(hashlib.sha256(code.encode()).hexdigest(), 16)
    head = f"{100 + digest % 900:03d}83{digest // 1000 % 10000:04d}"
    for last in "0123456789":
        if stdnum_brn.is_valid(head + last):
            return head + last
    raise ValueError(f"no valid registration number for {code}")  # pragma: no cover


def pay_split(db: Session, employee_id: int, year: int) -> dict[str, int]:
    """급여 / 상여 / 비과세 totals for the receipt (상여: holiday and longevity bonuses)."""
    row = db.execute(
        select(
            func.coalesce(func.sum(Payroll.taxable_pay), 0),
            func.coalesce(func.sum(sum(BONUS_COLUMNS[1:], BONUS_COLUMNS[0])), 0),
            func.coalesce(func.sum(Payroll.nontaxable_pay), 0),
            func.min(Payroll.month),
            func.max(Payroll.month),
        ).where(Payroll.employee_id == employee_id, Payroll.year == year)
    ).one()
    taxable, bonus, nontaxable = int(row[0]), int(row[1]), int(row[2])
    return {
        "salary": taxable - bonus,
        "bonus": bonus,
        "nontaxable": nontaxable,
        "first_month": int(row[3] or 1),
        "last_month": int(row[4] or 12),
    }


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
    pay = pay_split(db, emp.id, year)
    last_day = 31 if pay["last_month"] == 12 else 28
    rules = rules_for(year)
    dependents = [
        ReceiptDependent(
            "본인",
            emp.name,
            cipher.decrypt(emp.rrn_encrypted).masked(),
            basic=True,
            senior=year - emp.birth_date.year >= 70,
            disabled=ex.case.taxpayer.disabled,
        )
    ]
    rows = db.scalars(
        select(Dependent)
        .where(Dependent.employee_id == emp.id, Dependent.birth_date <= dt.date(year, 12, 31))
        .order_by(Dependent.birth_date, Dependent.id)
    ).all()
    excluded = list(ex.excluded)
    case_deps = list(ex.case.dependents)
    for d in rows:
        key = (d.relation, d.birth_date)
        if key in excluded:
            excluded.remove(key)
            status = None
        else:
            match = next((c for c in case_deps if (c.relation, c.birth_date) == key), None)
            if match is not None:
                case_deps.remove(match)
            status = dependent_status(match, year, rules) if match else None
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
            masked_rrn=cipher.decrypt(emp.rrn_encrypted).masked(),
            employee_no=emp.employee_no,
            org_unit=unit,
            work_start=max(emp.hire_date, dt.date(year, pay["first_month"], 1)),
            work_end=dt.date(year, pay["last_month"], last_day),
        ),
        result=ex.result,
        pay={k: pay[k] for k in ("salary", "bonus", "nontaxable")},
        dependents=dependents,
    )


def receipt_for(db: Session, cipher: RRNCipher, emp: Employee, ex: Explanation) -> bytes:
    from insa.yearend.receipt import render_receipt_pdf

    return render_receipt_pdf(receipt_data(db, cipher, emp, ex))
