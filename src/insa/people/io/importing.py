"""The import: every file validated, checked across rows and against the database, then
written, all or nothing.

Only a clean set of files is written, in the caller's transaction; otherwise
:class:`ImportRejected` lists every problem. The import is audited at the end.

The steps, in the order their errors are found: the files read (:func:`read_files`); the
employee rows, each checked (:func:`validate_employee`) and against the rows before it
(:func:`_employees_in_files`), then against the employees on file
(:func:`_check_employees_against_db`, :func:`_check_masked_accounts`); the dependent rows, each checked
(:func:`_dependents_in_files`), then against the employees named and the dependents on file
(:func:`_check_dependents`); and only then the writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from insa.clock import utc_now
from insa.people import accounts
from insa.people.io.format import ImportRejected, ImportReport, RowError, Sheet, file_label
from insa.people.io.reading import read_files
from insa.people.io.validation import validate_dependent, validate_employee
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
from insa.security.principal import Principal
from insa.security.rrn import RRN


def _chunks(items: list[Any], n: int = 5000) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _map(
    conn: Connection, key: Any, value: Any, column: Any, wanted: Iterable[Any]
) -> dict[Any, Any]:
    """``{key: value}`` for rows whose ``column`` is in ``wanted``, in bounded IN lists."""
    out: dict[Any, Any] = {}
    for part in _chunks(sorted(set(wanted))):
        out.update((k, v) for k, v in conn.execute(select(key, value).where(column.in_(part))))
    return out


def import_files(
    conn: Connection, paths: list[Path], cipher: RRNCipher, *, principal: Principal | None = None
) -> ImportReport:
    """Validate every file, then write all of them, or raise :class:`ImportRejected`.
    Audited as ``principal`` (the operator running the command by default)."""
    errors: list[RowError] = []
    sheets = read_files(paths, errors)
    refs = _references(conn)
    new_emps, rrn_seen = _employees_in_files(sheets, refs, cipher, errors)
    existing = _check_employees_against_db(conn, new_emps, rrn_seen, cipher, errors)
    _check_masked_accounts(conn, new_emps, existing, cipher, errors)
    dep_rows = _dependents_in_files(sheets, cipher, errors)
    on_file = _dependents_on_file(conn, dep_rows, new_emps, existing)
    _check_dependents(dep_rows, new_emps, on_file, cipher, errors)
    if not sheets and not errors:
        errors.append(
            RowError(",".join(file_label(p) for p in paths), 0, "-", "가져올 행이 없습니다")
        )
    if errors:
        raise ImportRejected(errors)

    # -- write (one transaction, owned by the caller)
    report = ImportReport(files=[file_label(p) for p in paths])
    _write_employees(conn, new_emps, existing, cipher, report)  # adds the new ids to existing
    _write_accounts(conn, new_emps, existing, cipher, report)
    _write_dependents(conn, dep_rows, existing | on_file.known, on_file.current, cipher, report)
    with over_connection(conn, principal) as ctx:
        ctx.audit(
            "people.import",
            target_type="file",
            target_id=",".join(report.files)[:64],
            detail={
                "employees_added": report.employees_added,
                "employees_updated": report.employees_updated,
                "dependents_added": report.dependents_added,
                "dependents_updated": report.dependents_updated,
                "accounts_written": report.accounts_written,
            },
        )
    return report


# ---------------------------------------------------------------- look-ups


@dataclass(frozen=True)
class _References:
    """The reference tables an employee row names, by code."""

    agencies: dict[str, int]
    grades: dict[str, tuple[int, int | None]]  # code → (id, highest step)
    positions: dict[str, int]
    units: dict[tuple[int, str], int]  # (agency id, unit code) → id


def _references(conn: Connection) -> _References:
    agencies = {code: aid for aid, code in conn.execute(select(Agency.id, Agency.code))}
    grades = {
        code: (gid, mx)
        for gid, code, mx in conn.execute(select(Grade.id, Grade.code, Grade.max_step))
    }
    positions = {code: pid for pid, code in conn.execute(select(Position.id, Position.code))}
    units = {
        (aid, code): uid
        for uid, aid, code in conn.execute(select(OrgUnit.id, OrgUnit.agency_id, OrgUnit.code))
    }
    return _References(agencies, grades, positions, units)


@dataclass(frozen=True)
class _OnFile:
    """What the database holds about the employees the dependent rows name."""

    known: dict[str, int]  # employee no → id, of those not in the employee files
    ids: dict[str, int]  # employee no → id, of every one of them on file
    keys: dict[str, str]  # employee no → the employee's resident-number pseudonym
    current: dict[int, list[Any]]  # employee id → rows of the dependents already on file


def _dependents_on_file(
    conn: Connection,
    dep_rows: list[dict[str, Any]],
    new_emps: dict[str, dict[str, Any]],
    existing: dict[str, int],
) -> _OnFile:
    dep_emp_nos = {d["employee_no"] for d in dep_rows}
    known = _map(
        conn, Employee.employee_no, Employee.id, Employee.employee_no, dep_emp_nos - set(new_emps)
    )
    ids = existing | known
    emp_keys = _map(
        conn, Employee.employee_no, Employee.rrn_pseudonym, Employee.employee_no, dep_emp_nos
    )
    emp_keys |= {no: e["rrn_pseudonym"] for no, e in new_emps.items() if "rrn_pseudonym" in e}
    current: dict[int, list[Any]] = {}
    for part in _chunks(sorted({ids[n] for n in dep_emp_nos if n in ids})):
        stmt = select(*Dependent.__table__.c).where(Dependent.employee_id.in_(part))
        for dep in conn.execute(stmt):
            current.setdefault(dep.employee_id, []).append(dep)
    return _OnFile(known, ids, emp_keys, current)


# ---------------------------------------------------------------- checks


def _employees_in_files(
    sheets: list[Sheet], refs: _References, cipher: RRNCipher, errors: list[RowError]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The valid employee rows by employee number, each checked against the rows before it
    (the same employee number, the same resident number), and the resident-number
    pseudonyms seen (→ employee number)."""
    new_emps: dict[str, dict[str, Any]] = {}
    rrn_seen: dict[str, str] = {}
    for sheet in (s for s in sheets if s.kind == "employees"):
        for row, r in sheet.rows:
            e = validate_employee(
                sheet.label, row, r, refs.agencies, refs.grades, refs.positions, refs.units, errors
            )
            if e is None:
                continue
            no = e["employee_no"]
            if no in new_emps:
                errors.append(
                    RowError(sheet.label, row, "직원번호", "파일 안에서 직원번호가 중복됩니다")
                )
                continue
            if isinstance(e["rrn"], RRN):
                key = cipher.pseudonym(e["rrn"])
                if key in rrn_seen:
                    msg = f"직원번호 {rrn_seen[key]}와 주민등록번호가 같습니다"
                    errors.append(RowError(sheet.label, row, "주민등록번호", msg))
                rrn_seen[key] = no
                e["rrn_pseudonym"] = key
            new_emps[no] = e
    return new_emps, rrn_seen


def _check_employees_against_db(
    conn: Connection,
    new_emps: dict[str, dict[str, Any]],
    rrn_seen: dict[str, str],
    cipher: RRNCipher,
    errors: list[RowError],
) -> dict[str, int]:
    """Masked resident numbers must match the employee's on file; a full one must not be
    another employee's. Gives the ids of the employees already on file, by number."""
    existing = _map(conn, Employee.employee_no, Employee.id, Employee.employee_no, new_emps)
    taken = _map(
        conn, Employee.rrn_pseudonym, Employee.employee_no, Employee.rrn_pseudonym, rrn_seen
    )
    masked_emps = [no for no, e in new_emps.items() if e["rrn"] is None and no in existing]
    stored = _map(
        conn, Employee.employee_no, Employee.rrn_encrypted, Employee.employee_no, masked_emps
    )
    for no, e in new_emps.items():
        if e["rrn"] is None:
            if no not in existing:
                msg = "새 직원은 마스킹되지 않은 주민등록번호가 필요합니다"
                errors.append(RowError(e["_label"], e["_row"], "주민등록번호", msg))
            elif cipher.decrypt(stored[no]).masked() != e["_masked"]:
                msg = "마스킹된 번호가 저장된 주민등록번호와 다릅니다"
                errors.append(RowError(e["_label"], e["_row"], "주민등록번호", msg))
        other = taken.get(e.get("rrn_pseudonym"))
        if other is not None and other != no:
            msg = f"이미 다른 직원({other})에게 등록된 주민등록번호입니다"
            errors.append(RowError(e["_label"], e["_row"], "주민등록번호", msg))
    return existing


def _check_masked_accounts(
    conn: Connection,
    new_emps: dict[str, dict[str, Any]],
    existing: dict[str, int],
    cipher: RRNCipher,
    errors: list[RowError],
) -> None:
    """A masked account number (as exported) keeps the account on file: there must be one,
    at the same bank, whose masked number is the one written."""
    masked = {no: e for no, e in new_emps.items() if e["_account"] and e["_account"].masked}
    ids = [existing[no] for no in masked if no in existing]
    stored: dict[int, Any] = {}
    for part in _chunks(ids):
        stmt = select(*SalaryAccount.__table__.c).where(SalaryAccount.employee_id.in_(part))
        stored.update((a.employee_id, a) for a in conn.execute(stmt))
    for no, e in masked.items():
        row = e["_account"]
        acc = stored.get(existing.get(no, -1))
        if acc is None:
            msg = "저장된 계좌가 없습니다: 계좌번호 전체를 적어 주세요"
        elif acc.bank_code != row.bank_code:
            msg = "은행을 바꾸려면 계좌번호 전체를 적어 주세요"
        elif accounts.unseal(cipher, acc.number_encrypted).masked() != row.masked:
            msg = "마스킹된 계좌번호가 저장된 계좌와 다릅니다"
        else:
            continue
        errors.append(RowError(e["_label"], e["_row"], "계좌번호", msg))


def _dependents_in_files(
    sheets: list[Sheet], cipher: RRNCipher, errors: list[RowError]
) -> list[dict[str, Any]]:
    """The valid dependent rows, with the pseudonym of each full resident number."""
    dep_rows: list[dict[str, Any]] = []
    for sheet in (s for s in sheets if s.kind == "dependents"):
        for row, r in sheet.rows:
            d = validate_dependent(sheet.label, row, r, errors)
            if d is not None:
                if d["rrn"] is not None:
                    d["rrn_pseudonym"] = cipher.pseudonym(d["rrn"])
                dep_rows.append(d)
    return dep_rows


def _check_dependents(
    dep_rows: list[dict[str, Any]],
    new_emps: dict[str, dict[str, Any]],
    on_file: _OnFile,
    cipher: RRNCipher,
    errors: list[RowError],
) -> None:
    """Each dependent row against its employee, the rows before it and the dependents on
    file. A masked resident number is resolved to the one dependent on file it names (its
    pseudonym and ``_existing_id`` are set on the row)."""
    seen_keys: set[tuple[str, str]] = set()
    spouses: dict[str, set[str]] = {}
    for d in dep_rows:
        no = d["employee_no"]
        label, row = d["_label"], d["_row"]
        if no not in new_emps and no not in on_file.known:
            errors.append(RowError(label, row, "직원번호", "없는 직원번호입니다"))
            continue
        existing_deps = on_file.current.get(on_file.ids[no], []) if no in on_file.ids else []
        if d["rrn"] is None:  # masked: must name a dependent already on file
            match = [
                x for x in existing_deps
                if x.relation == d["relation"] and x.name == d["name"]
                and cipher.decrypt(x.rrn_encrypted).masked() == d["_masked"]
            ]  # fmt: skip
            if len(match) != 1:
                msg = "마스킹된 번호와 일치하는 기존 부양가족이 없습니다 (전체 번호가 필요합니다)"
                errors.append(RowError(label, row, "주민등록번호", msg))
                continue
            d["rrn_pseudonym"] = match[0].rrn_pseudonym
            d["_existing_id"] = match[0].id
        pair = (no, d["rrn_pseudonym"])
        if pair in seen_keys:
            errors.append(
                RowError(label, row, "주민등록번호", "같은 직원의 같은 부양가족이 두 번 있습니다")
            )
        seen_keys.add(pair)
        if on_file.keys.get(no) == d["rrn_pseudonym"]:
            errors.append(
                RowError(label, row, "주민등록번호", "직원 본인을 부양가족으로 등록할 수 없습니다")
            )
        if d["relation"] == "spouse":
            spouses.setdefault(no, set()).add(d["rrn_pseudonym"])
            others = {x.rrn_pseudonym for x in existing_deps if x.relation == "spouse"}
            if len(spouses[no] | others) > 1:
                errors.append(RowError(label, row, "관계", "배우자는 한 명만 등록할 수 있습니다"))
        birth = d["rrn"].birth_date if d["rrn"] is not None else None
        if birth and d["allowance_from"] and d["allowance_from"] < birth:
            errors.append(
                RowError(label, row, "가족수당시작일", "시작일이 부양가족의 생년월일보다 앞섭니다")
            )


# ---------------------------------------------------------------- writes


def _write_employees(
    conn: Connection,
    new_emps: dict[str, dict[str, Any]],
    existing: dict[str, int],
    cipher: RRNCipher,
    report: ImportReport,
) -> None:
    """Update the employees on file, insert the others (their ids are added to ``existing``)."""
    for no, e in new_emps.items():
        values = {k: v for k, v in e.items() if not k.startswith("_") and k != "rrn"}
        if e["rrn"] is not None:
            values["rrn_encrypted"] = cipher.encrypt(e["rrn"])
            values["birth_date"] = e["rrn"].birth_date
            values["sex"] = e["rrn"].sex
        if no in existing:
            conn.execute(update(Employee).where(Employee.id == existing[no]).values(**values))
            report.employees_updated += 1
        else:
            ins = insert(Employee).values(**values).returning(Employee.id)
            existing[no] = conn.execute(ins).scalar_one()
            report.employees_added += 1


def _write_accounts(
    conn: Connection,
    new_emps: dict[str, dict[str, Any]],
    ids: dict[str, int],
    cipher: RRNCipher,
    report: ImportReport,
) -> None:
    """Upsert the salary accounts written in full; a masked one (checked) keeps the number
    on file and only its holder may change."""
    now = utc_now()
    for no, e in new_emps.items():
        row = e["_account"]
        if row is None:
            continue
        eid = ids[no]
        values: dict[str, Any] = {"holder": row.holder or e["name"], "updated_at": now}
        if row.number is not None:
            values |= {"bank_code": row.bank_code,
                       "number_encrypted": accounts.seal(cipher, row.number)}  # fmt: skip
        done = conn.execute(
            update(SalaryAccount).where(SalaryAccount.employee_id == eid).values(**values)
        ).rowcount
        if not done:
            conn.execute(insert(SalaryAccount).values(employee_id=eid, **values))
        report.accounts_written += 1


def _write_dependents(
    conn: Connection,
    dep_rows: list[dict[str, Any]],
    ids: dict[str, int],
    current: dict[int, list[Any]],
    cipher: RRNCipher,
    report: ImportReport,
) -> None:
    """Update the dependents on file (the same employee and resident number), insert the
    others; ``ids`` gives every employee's id by number, the new ones included."""
    for d in dep_rows:
        eid = ids[d["employee_no"]]
        values = {
            k: v for k, v in d.items() if not k.startswith("_") and k not in ("rrn", "employee_no")
        }
        values["employee_id"] = eid
        if d["rrn"] is not None:
            values |= {
                "rrn_encrypted": cipher.encrypt(d["rrn"]),
                "birth_date": d["rrn"].birth_date,
                "sex": d["rrn"].sex,
            }
        found = d.get("_existing_id") or next(
            (x.id for x in current.get(eid, []) if x.rrn_pseudonym == d["rrn_pseudonym"]), None
        )
        if found is None:
            conn.execute(insert(Dependent).values(**values))
            report.dependents_added += 1
        else:
            conn.execute(update(Dependent).where(Dependent.id == found).values(**values))
            report.dependents_updated += 1
