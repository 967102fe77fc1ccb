"""Import and export of employees and dependents as CSV or XLSX with Korean headers.

A file (or each sheet of a workbook) is either an employee list or a dependent list,
told apart by its headers. Import validates everything first and reports every problem
as ``file:row:column: message``; only a clean set of files is written, in one transaction.
Resident numbers are exported only on explicit request, and every export is audited.
The format is documented in ``docs/import-format.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from insa.codes import RELATION_LABELS, STATUS_LABELS
from insa.people.grades import GRADE_BY_NAME, GRADES, POSITION_BY_NAME, POSITIONS
from insa.people.models import Agency, Dependent, Employee, Grade, OrgUnit, Position
from insa.security.context import over_connection
from insa.security.crypto import RRNCipher
from insa.security.logs import redact
from insa.security.principal import Principal
from insa.security.rrn import RRN, InvalidRRN, is_masked

EMPLOYEE_COLUMNS = (
    "기관코드", "직원번호", "성명", "주민등록번호", "임용일", "직급", "호봉",
    "부서코드", "직위", "재직상태", "이메일", "전화번호",
)  # fmt: skip
EMPLOYEE_REQUIRED = (
    "기관코드",
    "직원번호",
    "성명",
    "주민등록번호",
    "임용일",
    "직급",
    "호봉",
    "부서코드",
    "재직상태",
)
DEPENDENT_COLUMNS = (
    "직원번호", "관계", "성명", "주민등록번호", "장애여부", "동거여부", "연간소득",
    "공무원여부", "가족수당시작일", "가족수당종료일",
)  # fmt: skip
DEPENDENT_REQUIRED = ("직원번호", "관계", "성명", "주민등록번호")
STATUS_CODE = STATUS_LABELS  # stored code → the Korean word of the files
STATUS_KO = {v: k for k, v in STATUS_LABELS.items()}
RELATION_CODE = RELATION_LABELS
RELATION_KO = {v: k for k, v in RELATION_LABELS.items()}
YES = {"Y", "y", "예", "1", "true", "TRUE", "O"}
NO = {"N", "n", "아니오", "0", "false", "FALSE", "X", ""}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0\d{1,2}-?\d{3,4}-?\d{4}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LIMITS = {"직원번호": 16, "성명": 50, "이메일": 120, "전화번호": 20}


@dataclass(frozen=True, order=True)
class RowError:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s); nothing was written")
        self.errors = sorted(errors)


@dataclass
class Sheet:
    label: str  # file name, or file name[sheet]
    kind: str  # employees | dependents
    rows: list[tuple[int, dict[str, str]]]


@dataclass
class ImportReport:
    employees_added: int = 0
    employees_updated: int = 0
    dependents_added: int = 0
    dependents_updated: int = 0
    files: list[str] = field(default_factory=list)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _classify(label: str, header: list[str], errors: list[RowError]) -> str | None:
    hs = set(header)
    known: tuple[str, ...]
    required: tuple[str, ...]
    if "관계" in hs:
        kind, known, required = "dependents", DEPENDENT_COLUMNS, DEPENDENT_REQUIRED
    elif "기관코드" in hs:
        kind, known, required = "employees", EMPLOYEE_COLUMNS, EMPLOYEE_REQUIRED
    else:
        errors.append(
            RowError(label, 1, "-", "직원 목록(기관코드 열) 또는 부양가족 목록(관계 열)이 아닙니다")
        )
        return None
    for h in header:
        if h and h not in known:
            errors.append(RowError(label, 1, redact(h)[:40], "알 수 없는 열입니다"))
    for r in required:
        if r not in hs:
            errors.append(RowError(label, 1, r, "필수 열이 없습니다"))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            errors.append(RowError(label, 1, h, "같은 열이 두 번 있습니다"))
        seen.add(h)
    return kind


def _label(path: Path) -> str:
    """A file name as shown in errors and the audit log: never a resident number."""
    return redact(path.name)


def _read_csv(path: Path, errors: list[RowError]) -> list[Sheet]:
    label = _label(path)
    try:
        raw = path.read_bytes()
    except OSError:
        errors.append(RowError(label, 0, "-", "파일을 읽을 수 없습니다"))
        return []
    for enc in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        errors.append(RowError(label, 1, "-", "UTF-8 또는 CP949 텍스트가 아닙니다"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        for rec in reader:
            records.append((reader.line_num, rec))
    except csv.Error:
        errors.append(
            RowError(
                label,
                max(reader.line_num, 1),
                "-",
                "CSV 형식이 올바르지 않습니다 (따옴표나 너무 긴 값)",
            )
        )
        return []
    return _sheet_from_rows(label, records, errors, empty_ok=False)


def _sheet_from_rows(
    label: str, rows: Iterable[tuple[int, Iterable[Any]]], errors: list[RowError], *, empty_ok: bool
) -> list[Sheet]:
    """``rows`` are (row number, values); the first is the header."""
    it = iter(rows)
    try:
        _n, first = next(it)
        header = [_cell(h) for h in first]
    except StopIteration:
        if not empty_ok:
            errors.append(RowError(label, 1, "-", "빈 파일입니다"))
        return []
    if empty_ok and not any(header):
        return []  # an empty extra sheet of a workbook
    while header and header[-1] == "":
        header.pop()
    kind = _classify(label, header, errors)
    if kind is None:
        return []
    out: list[tuple[int, dict[str, str]]] = []
    for i, row in it:
        values = [_cell(v) for v in row]
        if not any(values):
            continue
        if len(values) > len(header) and any(values[len(header) :]):
            errors.append(RowError(label, i, "-", "머리글보다 값이 많습니다"))
        out.append((i, {h: (values[j] if j < len(values) else "") for j, h in enumerate(header)}))
    return [Sheet(label, kind, out)]


def _read_xlsx(path: Path, errors: list[RowError]) -> list[Sheet]:
    from openpyxl import load_workbook  # heavy: loaded only when a workbook is read

    label = _label(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        errors.append(RowError(label, 1, "-", "XLSX 파일을 열 수 없습니다"))
        return []
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            rows = enumerate(ws.iter_rows(values_only=True), start=1)
            sheets += _sheet_from_rows(f"{label}[{redact(ws.title)}]", rows, errors, empty_ok=True)
    finally:
        wb.close()
    if not sheets and not any(e.file.startswith(label) for e in errors):
        errors.append(RowError(label, 1, "-", "직원 또는 부양가족 시트가 없습니다"))
    return sheets


def read_files(paths: list[Path], errors: list[RowError]) -> list[Sheet]:
    sheets: list[Sheet] = []
    for p in paths:
        if not p.is_file():
            errors.append(RowError(_label(p), 0, "-", "파일이 없습니다"))
        elif p.suffix.lower() == ".xlsx":
            sheets += _read_xlsx(p, errors)
        elif p.suffix.lower() in (".csv", ".txt"):
            sheets += _read_csv(p, errors)
        else:
            errors.append(RowError(_label(p), 0, "-", "CSV 또는 XLSX 파일만 가져올 수 있습니다"))
    return sheets


def _date(
    v: str, label: str, row: int, col: str, errors: list[RowError], required: bool
) -> dt.date | None:
    if not v:
        if required:
            errors.append(RowError(label, row, col, "값이 필요합니다"))
        return None
    text = v.replace(".", "-").replace("/", "-")
    try:
        if not DATE.match(text):
            raise ValueError(text)
        d = dt.date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(label, row, col, "날짜는 YYYY-MM-DD 형식이어야 합니다"))
        return None
    if not dt.date(1900, 1, 1) <= d <= dt.date.today() + dt.timedelta(days=366):
        errors.append(RowError(label, row, col, "날짜가 허용 범위(1900년 ~ 내년) 밖입니다"))
        return None
    return d


def _flag(v: str, default: bool, label: str, row: int, col: str, errors: list[RowError]) -> bool:
    if v == "":
        return default
    if v in YES or v.upper() == "TRUE":
        return True
    if v in NO or v.upper() == "FALSE":
        return False
    errors.append(RowError(label, row, col, "Y 또는 N 이어야 합니다"))
    return default


def _int(
    v: str,
    label: str,
    row: int,
    col: str,
    errors: list[RowError],
    default: int | None = None,
    maximum: int = 10**12,
) -> int | None:
    if v == "" and default is not None:
        return default
    digits = v.replace(",", "")
    if not digits.isdigit() or not digits.isascii():
        errors.append(RowError(label, row, col, "0 이상의 정수여야 합니다"))
        return None
    n = int(digits)
    if n > maximum:
        errors.append(RowError(label, row, col, f"{maximum:,} 이하여야 합니다"))
        return None
    return n


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
            e = _validate_employee(sheet.label, row, r, agencies, grades, positions, units, errors)
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
            d = _validate_dependent(sheet.label, row, r, errors)
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
        errors.append(RowError(",".join(_label(p) for p in paths), 0, "-", "가져올 행이 없습니다"))
    if errors:
        raise ImportRejected(errors)

    # -- write (one transaction, owned by the caller)
    report = ImportReport(files=[_label(p) for p in paths])
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


def _check_text(r: dict[str, str], label: str, row: int, errors: list[RowError]) -> None:
    """Lengths the database can hold; no control characters."""
    for col, value in r.items():
        if any(ord(ch) < 32 for ch in value):
            errors.append(RowError(label, row, col, "제어 문자가 들어 있습니다"))
        limit = LIMITS.get(col)
        if limit and len(value) > limit:
            errors.append(RowError(label, row, col, f"{limit}자 이하여야 합니다"))


def _validate_employee(
    label: str,
    row: int,
    r: dict[str, str],
    agencies: dict[str, int],
    grades: dict[str, tuple[int, int | None]],
    positions: dict[str, int],
    units: dict[tuple[int, str], int],
    errors: list[RowError],
) -> dict[str, Any] | None:
    before = len(errors)

    def need(col: str) -> str:
        v = r.get(col, "")
        if not v:
            errors.append(RowError(label, row, col, "값이 필요합니다"))
        return v

    agency_code = need("기관코드")
    aid = agencies.get(agency_code)
    if agency_code and aid is None:
        errors.append(RowError(label, row, "기관코드", "등록되지 않은 기관코드입니다"))
    no = need("직원번호")
    name = need("성명")
    _check_text(r, label, row, errors)
    rrn_text = need("주민등록번호")
    rrn: RRN | None = None
    if rrn_text and not is_masked(rrn_text):
        try:
            rrn = RRN(rrn_text)
        except InvalidRRN as exc:
            errors.append(RowError(label, row, "주민등록번호", str(exc)))
    hire = _date(r.get("임용일", ""), label, row, "임용일", errors, required=True)
    grade_text = need("직급")
    gdef = GRADE_BY_NAME.get(grade_text)
    if grade_text and gdef is None:
        errors.append(
            RowError(
                label,
                row,
                "직급",
                f"직급은 {', '.join(g.name_ko for g in GRADES)} 중 하나여야 합니다",
            )
        )
    step_text = need("호봉")
    step = _int(step_text, label, row, "호봉", errors, maximum=99) if step_text else None
    if gdef is not None and step is not None:
        mx = grades.get(gdef.code, (0, None))[1]
        if gdef.code == "SCS" and step != 0:
            errors.append(RowError(label, row, "호봉", "고위공무원단은 호봉이 0이어야 합니다"))
        elif mx is not None and not 1 <= step <= mx:
            errors.append(
                RowError(label, row, "호봉", f"{gdef.name_ko}의 호봉은 1~{mx}이어야 합니다")
            )
    unit_code = need("부서코드")
    uid = units.get((aid, unit_code)) if aid is not None else None
    if unit_code and aid is not None and uid is None:
        errors.append(RowError(label, row, "부서코드", "해당 기관에 없는 부서코드입니다"))
    pos_text = r.get("직위", "")
    pdef = POSITION_BY_NAME.get(pos_text) if pos_text else None
    if pos_text and pdef is None:
        errors.append(
            RowError(
                label,
                row,
                "직위",
                f"직위는 {', '.join(p.name_ko for p in POSITIONS)} 중 하나여야 합니다",
            )
        )
    status_text = need("재직상태")
    status = STATUS_KO.get(status_text)
    if status_text and status is None:
        errors.append(RowError(label, row, "재직상태", "재직, 휴직, 퇴직 중 하나여야 합니다"))
    email = r.get("이메일", "")
    if email and not EMAIL.match(email):
        errors.append(RowError(label, row, "이메일", "이메일 형식이 아닙니다"))
    phone = r.get("전화번호", "")
    if phone and not PHONE.match(phone):
        errors.append(
            RowError(label, row, "전화번호", "전화번호 형식이 아닙니다 (예: 010-1234-5678)")
        )
    if rrn is not None and hire is not None and hire < rrn.birth_date:
        errors.append(RowError(label, row, "임용일", "임용일이 생년월일보다 앞섭니다"))
    if len(errors) > before:
        return None
    assert gdef is not None and aid is not None and hire is not None
    return {
        "_label": label,
        "_row": row,
        "_masked": rrn_text.strip() if rrn is None else None,
        "agency_id": aid,
        "employee_no": no,
        "name": name,
        "rrn": rrn,
        "hire_date": hire,
        "grade_id": grades[gdef.code][0],
        "step": step,
        "org_unit_id": uid,
        "position_id": positions.get(pdef.code) if pdef else None,
        "status": status,
        "email": email or None,
        "phone": phone or None,
    }


def _validate_dependent(
    label: str, row: int, r: dict[str, str], errors: list[RowError]
) -> dict[str, Any] | None:
    before = len(errors)
    _check_text(r, label, row, errors)
    no = r.get("직원번호", "")
    if not no:
        errors.append(RowError(label, row, "직원번호", "값이 필요합니다"))
    rel_text = r.get("관계", "")
    relation = RELATION_KO.get(rel_text)
    if relation is None:
        errors.append(
            RowError(label, row, "관계", f"관계는 {', '.join(RELATION_KO)} 중 하나여야 합니다")
        )
    name = r.get("성명", "")
    if not name:
        errors.append(RowError(label, row, "성명", "값이 필요합니다"))
    rrn: RRN | None = None
    rrn_text = r.get("주민등록번호", "")
    if not rrn_text:
        errors.append(RowError(label, row, "주민등록번호", "값이 필요합니다"))
    elif is_masked(rrn_text):
        pass  # matched against the dependents already on file
    else:
        try:
            rrn = RRN(rrn_text)
        except InvalidRRN as exc:
            errors.append(RowError(label, row, "주민등록번호", str(exc)))
    disabled = _flag(r.get("장애여부", ""), False, label, row, "장애여부", errors)
    household = _flag(r.get("동거여부", ""), True, label, row, "동거여부", errors)
    servant = _flag(r.get("공무원여부", ""), False, label, row, "공무원여부", errors)
    income = _int(r.get("연간소득", ""), label, row, "연간소득", errors, default=0)
    a_from = _date(
        r.get("가족수당시작일", ""), label, row, "가족수당시작일", errors, required=False
    )
    a_until = _date(
        r.get("가족수당종료일", ""), label, row, "가족수당종료일", errors, required=False
    )
    if a_until is not None and a_from is None:
        errors.append(
            RowError(label, row, "가족수당시작일", "종료일이 있으면 시작일도 있어야 합니다")
        )
    if a_from and a_until and a_until < a_from:
        errors.append(RowError(label, row, "가족수당종료일", "종료일이 시작일보다 앞섭니다"))
    if len(errors) > before:
        return None
    return {
        "_label": label,
        "_row": row,
        "_masked": rrn_text.strip() if rrn is None else None,
        "employee_no": no,
        "relation": relation,
        "name": name,
        "rrn": rrn,
        "disabled": disabled,
        "same_household": household,
        "annual_income": income,
        "public_servant": servant,
        "allowance_from": a_from,
        "allowance_until": a_until,
    }


# ---------------------------------------------------------------- export


def _yn(b: bool) -> str:
    return "Y" if b else "N"


def employee_rows(
    conn: Connection, cipher: RRNCipher, *, agency_code: str | None, with_rrn: bool
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
        )  # fmt: skip
        .join(Agency, Agency.id == Employee.agency_id)
        .join(Grade, Grade.id == Employee.grade_id)
        .join(OrgUnit, OrgUnit.id == Employee.org_unit_id)
        .outerjoin(Position, Position.id == Employee.position_id)
        .order_by(Employee.id)
    )
    if agency_code:
        q = q.where(Agency.code == agency_code)
    for e in conn.execute(q.execution_options(yield_per=5000)):
        rrn = cipher.decrypt(e.rrn_encrypted)
        yield [
            e.acode, e.employee_no, e.name, rrn.formatted() if with_rrn else rrn.masked(),
            e.hire_date.isoformat(), e.gname, str(e.step), e.ucode, e.pname or "",
            STATUS_CODE[e.status], e.email or "", e.phone or "",
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
    counts: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    # personal data: written owner-only (0600) to a temporary file, moved into place at the end
    fd, tmp_name = tempfile.mkstemp(prefix=".insa-export-", suffix=suffix, dir=out.parent)
    tmp = Path(tmp_name)
    try:
        if suffix == ".csv":
            header, rows, _ = spec[kinds[0]]
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(header)
                n = 0
                for r in rows(conn, cipher, agency_code=agency_code, with_rrn=with_rrn):
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
                ws.append(list(header))
                n = 0
                for r in rows(conn, cipher, agency_code=agency_code, with_rrn=with_rrn):
                    ws.append(r)
                    n += 1
                counts[k] = n
            wb.save(tmp)
        os.chmod(tmp, 0o600)
        with over_connection(conn, principal) as ctx:
            ctx.audit(
                "people.export_rrn" if with_rrn else "people.export",
                target_type="file",
                target_id=redact(out.name)[:64],
                detail={"agency": agency_code, "with_rrn": with_rrn, **counts},
            )
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts
