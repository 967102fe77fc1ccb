"""The import: every file validated, checked across rows and against the database, then
written, all or nothing.

Only a clean set of files is written, in the caller's transaction; otherwise
:class:`ImportRejected` lists every problem. The import is audited at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from insa.people.io.format import ImportRejected, ImportReport, RowError, file_label
from insa.people.io.reading import read_files
from insa.people.io.validation import validate_dependent, validate_employee
from insa.people.models import Agency, Dependent, Employee, Grade, OrgUnit, Position
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

    # -- employees
    new_emps: dict[str, dict[str, Any]] = {}
    rrn_seen: dict[str, str] = {}
    for sheet in (s for s in sheets if s.kind == "employees"):
        for row, r in sheet.rows:
            e = validate_employee(sheet.label, row, r, agencies, grades, positions, units, errors)
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

    # -- dependents
    dep_rows: list[dict[str, Any]] = []
    for sheet in (s for s in sheets if s.kind == "dependents"):
        for row, r in sheet.rows:
            d = validate_dependent(sheet.label, row, r, errors)
            if d is not None:
                if d["rrn"] is not None:
                    d["rrn_pseudonym"] = cipher.pseudonym(d["rrn"])
                dep_rows.append(d)
    dep_emp_nos = {d["employee_no"] for d in dep_rows}
    known = _map(
        conn, Employee.employee_no, Employee.id, Employee.employee_no, dep_emp_nos - set(new_emps)
    )
    ids = existing | known
    emp_keys = _map(
        conn, Employee.employee_no, Employee.rrn_pseudonym, Employee.employee_no, dep_emp_nos
    )
    emp_keys |= {no: e["rrn_pseudonym"] for no, e in new_emps.items() if "rrn_pseudonym" in e}
    current: dict[int, list[Any]] = {}  # rows of the dependents already on file
    for part in _chunks(sorted({ids[n] for n in dep_emp_nos if n in ids})):
        stmt = select(*Dependent.__table__.c).where(Dependent.employee_id.in_(part))
        for dep in conn.execute(stmt):
            current.setdefault(dep.employee_id, []).append(dep)
    seen_keys: set[tuple[str, str]] = set()
    spouses: dict[str, set[str]] = {}
    for d in dep_rows:
        no = d["employee_no"]
        label, row = d["_label"], d["_row"]
        if no not in new_emps and no not in known:
            errors.append(RowError(label, row, "직원번호", "없는 직원번호입니다"))
            continue
        existing_deps = current.get(ids[no], []) if no in ids else []
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
        if emp_keys.get(no) == d["rrn_pseudonym"]:
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
    if not sheets and not errors:
        errors.append(
            RowError(",".join(file_label(p) for p in paths), 0, "-", "가져올 행이 없습니다")
        )
    if errors:
        raise ImportRejected(errors)

    # -- write (one transaction, owned by the caller)
    report = ImportReport(files=[file_label(p) for p in paths])
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
    ids = existing | known
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
            },
        )
    return report
