"""Checking the values of one row: an employee or a dependent.

Each check appends a :class:`RowError` (``file:row:column: message``) and goes on, so a row
reports every problem it has; a row with any error gives ``None``. Checks that need other
rows or the database are the import's (:mod:`insa.people.io.importing`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from insa.codes import EMPLOYEE_NO_HELP, is_employee_no
from insa.people import accounts
from insa.people.accounts import AccountNumber, InvalidAccount
from insa.people.grades import (
    GRADE_BY_NAME,
    GRADES,
    POSITION_BY_NAME,
    POSITIONS,
    GradeDef,
    PositionDef,
)
from insa.people.io.format import (
    DATE,
    EMAIL,
    LIMITS,
    NO,
    PHONE,
    RELATION_KO,
    STATUS_KO,
    YES,
    RowError,
)
from insa.security.rrn import RRN, InvalidRRN, is_masked
from insa.spreadsheets import starts_like_formula

NAME_COLUMNS = ("성명", "예금주")


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


def _check_text(r: dict[str, str], label: str, row: int, errors: list[RowError]) -> None:
    """Lengths the database can hold; no control characters; a name that starts like a
    spreadsheet formula (``=HYPERLINK(…)``) is no name."""
    for col, value in r.items():
        if any(ord(ch) < 32 for ch in value):
            errors.append(RowError(label, row, col, "제어 문자가 들어 있습니다"))
        if col in NAME_COLUMNS and starts_like_formula(value):
            errors.append(RowError(label, row, col, "이름은 =, +, -, @로 시작할 수 없습니다"))
        limit = LIMITS.get(col)
        if limit and len(value) > limit:
            errors.append(RowError(label, row, col, f"{limit}자 이하여야 합니다"))


@dataclass(frozen=True)
class _Row:
    """One row being checked: where it is, its values by column, the errors found so far."""

    label: str
    row: int
    values: dict[str, str]
    errors: list[RowError]

    def error(self, col: str, message: str) -> None:
        self.errors.append(RowError(self.label, self.row, col, message))

    def need(self, col: str) -> str:
        """The value of a required column; an error if it is empty."""
        v = self.values.get(col, "")
        if not v:
            self.error(col, "값이 필요합니다")
        return v


def validate_employee(
    label: str,
    row: int,
    r: dict[str, str],
    agencies: dict[str, int],
    grades: dict[str, tuple[int, int | None]],
    positions: dict[str, int],
    units: dict[tuple[int, str], int],
    errors: list[RowError],
) -> dict[str, Any] | None:
    """The values to store for one employee row, or ``None`` (its errors appended), the
    columns checked in a fixed order."""
    before = len(errors)
    x = _Row(label, row, r, errors)
    agency_code = x.need("기관코드")
    aid = agencies.get(agency_code)
    if agency_code and aid is None:
        x.error("기관코드", "등록되지 않은 기관코드입니다")
    no = x.need("직원번호")
    if no and not is_employee_no(no):
        x.error("직원번호", EMPLOYEE_NO_HELP)
    name = x.need("성명")
    _check_text(r, label, row, errors)
    rrn_text, rrn = _employee_rrn(x)
    hire = _date(r.get("임용일", ""), label, row, "임용일", errors, required=True)
    gdef, step = _grade_and_step(x, grades)
    uid = _org_unit(x, aid, units)
    pdef = _position(x)
    status, email, phone = _status_and_contact(x)
    account = _account(x)
    if rrn is not None and hire is not None and hire < rrn.birth_date:
        x.error("임용일", "임용일이 생년월일보다 앞섭니다")
    if len(errors) > before:
        return None
    assert gdef is not None and aid is not None and hire is not None
    return {
        "_label": label,
        "_row": row,
        "_masked": rrn_text.strip() if rrn is None else None,
        "_account": account,
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


def _employee_rrn(x: _Row) -> tuple[str, RRN | None]:
    """The resident number as written and, unless it is masked, the number itself."""
    rrn_text = x.need("주민등록번호")
    rrn: RRN | None = None
    if rrn_text and not is_masked(rrn_text):
        try:
            rrn = RRN(rrn_text)
        except InvalidRRN as exc:
            x.error("주민등록번호", str(exc))
    return rrn_text, rrn


@dataclass(frozen=True)
class AccountRow:
    """The salary account of an employee row: the bank code, and the number, or its masked
    form as exported (then the stored account is kept and must match it)."""

    bank_code: str
    number: AccountNumber | None
    masked: str | None
    holder: str  # empty: the employee's name


def _account(x: _Row) -> AccountRow | None:
    """The optional 은행 / 계좌번호 / 예금주 columns: all empty, or a bank and a number."""
    bank, number, holder = (x.values.get(c, "").strip() for c in ("은행", "계좌번호", "예금주"))
    if not (bank or number or holder):
        return None
    if not number:
        x.error("계좌번호", "은행·예금주를 적었으면 계좌번호가 필요합니다")
    if not bank:
        x.error("은행", "계좌번호를 적었으면 은행이 필요합니다")
    code = acc = None
    if bank:
        try:
            code = accounts.bank_code(bank)
        except InvalidAccount as exc:
            x.error("은행", str(exc))
    masked = number if number and accounts.is_masked(number) else None
    if number and masked is None:
        try:
            acc = AccountNumber(number)
        except InvalidAccount as exc:
            x.error("계좌번호", str(exc))
    if code is None or (acc is None and masked is None):
        return None
    return AccountRow(code, acc, masked, holder)


def _grade_and_step(
    x: _Row, grades: dict[str, tuple[int, int | None]]
) -> tuple[GradeDef | None, int | None]:
    """The grade named and the step, which must be within the grade's range."""
    grade_text = x.need("직급")
    gdef = GRADE_BY_NAME.get(grade_text)
    if grade_text and gdef is None:
        x.error("직급", f"직급은 {', '.join(g.name_ko for g in GRADES)} 중 하나여야 합니다")
    step_text = x.need("호봉")
    step = _int(step_text, x.label, x.row, "호봉", x.errors, maximum=99) if step_text else None
    if gdef is not None and step is not None:
        mx = grades.get(gdef.code, (0, None))[1]
        if gdef.code == "SCS" and step != 0:
            x.error("호봉", "고위공무원단은 호봉이 0이어야 합니다")
        elif mx is not None and not 1 <= step <= mx:
            x.error("호봉", f"{gdef.name_ko}의 호봉은 1~{mx}이어야 합니다")
    return gdef, step


def _org_unit(x: _Row, aid: int | None, units: dict[tuple[int, str], int]) -> int | None:
    """The id of the unit named, which must be the agency's (if the agency is known)."""
    unit_code = x.need("부서코드")
    uid = units.get((aid, unit_code)) if aid is not None else None
    if unit_code and aid is not None and uid is None:
        x.error("부서코드", "해당 기관에 없는 부서코드입니다")
    return uid


def _position(x: _Row) -> PositionDef | None:
    """The position named, if any (the column is optional)."""
    pos_text = x.values.get("직위", "")
    pdef = POSITION_BY_NAME.get(pos_text) if pos_text else None
    if pos_text and pdef is None:
        x.error("직위", f"직위는 {', '.join(p.name_ko for p in POSITIONS)} 중 하나여야 합니다")
    return pdef


def _status_and_contact(x: _Row) -> tuple[str | None, str, str]:
    """The status code, and the e-mail address and telephone number as written (optional)."""
    status_text = x.need("재직상태")
    status = STATUS_KO.get(status_text)
    if status_text and status is None:
        x.error("재직상태", "재직, 휴직, 퇴직 중 하나여야 합니다")
    email = x.values.get("이메일", "")
    if email and not EMAIL.match(email):
        x.error("이메일", "이메일 형식이 아닙니다")
    phone = x.values.get("전화번호", "")
    if phone and not PHONE.match(phone):
        x.error("전화번호", "전화번호 형식이 아닙니다 (예: 010-1234-5678)")
    return status, email, phone


def validate_dependent(
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
