"""The export: employees and dependents written as CSV (one kind) or XLSX (both sheets).

Resident numbers and salary account numbers are exported whole only on explicit request
(``with_rrn``, ``with_account``), masked otherwise; the file is written owner-only and every
export is audited.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from insa.people import accounts
from insa.people.io.format import DEPENDENT_COLUMNS, EMPLOYEE_COLUMNS, RELATION_CODE, STATUS_CODE
from insa.people.models import (
    Agency,
    Dependent,
    Employee,
    Grade,
    OrgUnit,
    Position,
    SalaryAccount,
)
from insa.security.context import over_connection
from insa.security.crypto import RRNCipher
from insa.security.logs import redact
from insa.security.principal import Principal
from insa.spreadsheets import append_row, csv_writer


def _yn(b: bool) -> str:
    return "Y" if b else "N"


def employee_rows(
    conn: Connection,
    cipher: RRNCipher,
    *,
    agency_code: str | None,
    with_rrn: bool,
    with_account: bool = False,
) -> Iterator[list[str]]:
    q = (
        select(
            Employee.employee_no,
            Employee.name,
            Employee.rrn_encrypted,
            Employee.hire_date,
            Employee.step,
            Employee.status,
            Employee.email,
            Employee.phone,
            Agency.code.label("acode"),
            Grade.name_ko.label("gname"),
            OrgUnit.code.label("ucode"),
            Position.name_ko.label("pname"),
            SalaryAccount.bank_code,
            SalaryAccount.number_encrypted,
            SalaryAccount.holder,
        )  # fmt: skip
        .join(Agency, Agency.id == Employee.agency_id)
        .join(Grade, Grade.id == Employee.grade_id)
        .join(OrgUnit, OrgUnit.id == Employee.org_unit_id)
        .outerjoin(Position, Position.id == Employee.position_id)
        .outerjoin(SalaryAccount, SalaryAccount.employee_id == Employee.id)
        .order_by(Employee.id)
    )
    if agency_code:
        q = q.where(Agency.code == agency_code)
    for e in conn.execute(q.execution_options(yield_per=5000)):
        rrn = cipher.decrypt(e.rrn_encrypted)
        account = ["", "", ""]
        if e.bank_code:
            number = accounts.unseal(cipher, e.number_encrypted)
            shown = number.reveal() if with_account else number.masked()
            account = [accounts.bank_name(e.bank_code), shown, e.holder]
        yield [
            e.acode, e.employee_no, e.name, rrn.formatted() if with_rrn else rrn.masked(),
            e.hire_date.isoformat(), e.gname, str(e.step), e.ucode, e.pname or "",
            STATUS_CODE[e.status], e.email or "", e.phone or "", *account,
        ]  # fmt: skip


def dependent_rows(
    conn: Connection, cipher: RRNCipher, *, agency_code: str | None, with_rrn: bool
) -> Iterator[list[str]]:
    q = (
        select(*Dependent.__table__.c, Employee.employee_no)
        .join(Employee, Employee.id == Dependent.employee_id)
        .join(Agency, Agency.id == Employee.agency_id)
        .order_by(Dependent.employee_id, Dependent.id)
    )
    if agency_code:
        q = q.where(Agency.code == agency_code)
    for d in conn.execute(q.execution_options(yield_per=5000)):
        rrn = cipher.decrypt(d.rrn_encrypted)
        yield [
            d.employee_no, RELATION_CODE[d.relation], d.name, rrn.formatted() if with_rrn else rrn.masked(),
            _yn(d.disabled), _yn(d.same_household), str(d.annual_income), _yn(d.public_servant),
            d.allowance_from.isoformat() if d.allowance_from else "",
            d.allowance_until.isoformat() if d.allowance_until else "",
        ]  # fmt: skip


def export(
    conn: Connection,
    cipher: RRNCipher,
    out: Path,
    *,
    kind: str | None,
    agency_code: str | None,
    with_rrn: bool,
    with_account: bool = False,
    principal: Principal | None = None,
) -> dict[str, int]:
    """Write employees and/or dependents; CSV holds one kind, XLSX both (two sheets).
    Audited as ``principal`` (the operator running the command by default)."""
    if agency_code and conn.scalar(select(Agency.id).where(Agency.code == agency_code)) is None:
        raise ValueError(f"unknown agency code: {agency_code}")
    kinds = [kind] if kind else ["employees", "dependents"]
    suffix = out.suffix.lower()
    if suffix == ".csv" and len(kinds) != 1:
        raise ValueError("a CSV file holds one kind: pass --kind employees or --kind dependents")
    if suffix not in (".csv", ".xlsx"):
        raise ValueError("the output must end in .csv or .xlsx")
    spec = {
        "employees": (EMPLOYEE_COLUMNS, employee_rows, "직원"),
        "dependents": (DEPENDENT_COLUMNS, dependent_rows, "부양가족"),
    }
    plain: dict[str, Any] = {"agency_code": agency_code, "with_rrn": with_rrn}
    options = plain | {"with_account": with_account}
    counts: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    # personal data: written owner-only (0600) to a temporary file, moved into place at the end
    fd, tmp_name = tempfile.mkstemp(prefix=".insa-export-", suffix=suffix, dir=out.parent)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            header, rows, _ = spec[kinds[0]]
            if kinds[0] == "dependents":
                options = plain
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv_writer(fh)
                w.writerow(header)
                n = 0
                for r in rows(conn, cipher, **options):
                    w.writerow(r)
                    n += 1
            counts[kinds[0]] = n
        else:
            from openpyxl import Workbook  # heavy: loaded only when a workbook is written

            os.close(fd)
            wb = Workbook(write_only=True)
            for k in kinds:
                header, rows, title = spec[k]
                ws = wb.create_sheet(title)
                append_row(ws, list(header))
                n = 0
                for r in rows(conn, cipher, **(options if k == "employees" else plain)):
                    append_row(ws, r)
                    n += 1
                counts[k] = n
            wb.save(tmp)
        os.chmod(tmp, 0o600)
        with over_connection(conn, principal) as ctx:
            whole = "people.export_account" if with_account else "people.export"
            ctx.audit(
                "people.export_rrn" if with_rrn else whole,
                target_type="file",
                target_id=redact(out.name)[:64],
                detail={"agency": agency_code, "with_rrn": with_rrn,
                        "with_account": with_account, **counts},
            )  # fmt: skip
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts
