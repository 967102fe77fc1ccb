"""Import/export: validation with file:row:column errors, all-or-nothing, round trips."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from stdnum.kr import rrn as stdnum_rrn

from insa.people.io import DEPENDENT_COLUMNS, EMPLOYEE_COLUMNS, ImportRejected, export, import_files
from insa.people.models import Dependent, Employee, OrgUnit
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog


def rrn(prefix: str) -> str:
    """A synthetic RRN with a valid checksum from its first 12 digits."""
    return f"{prefix[:6]}-{prefix[6:]}{stdnum_rrn.calc_check_digit(prefix)}"


def write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def unit(migrated: Engine) -> str:
    with migrated.begin() as conn:
        conn.execute(
            OrgUnit.__table__.insert().values(
                id=1, agency_id=20, code="MPM-0001", name="인사정책과", level=1, sort_order=1
            )
        )
    return "MPM-0001"


def emp_row(no: str, r: str, **over: str) -> list[str]:
    base = {
        "기관코드": "MPM", "직원번호": no, "성명": "홍길동", "주민등록번호": r, "임용일": "2015-03-02",
        "직급": "7급", "호봉": "10", "부서코드": "MPM-0001", "직위": "주무관", "재직상태": "재직",
        "이메일": "hong@korea.kr", "전화번호": "010-1234-5678", "은행": "", "계좌번호": "",
        "예금주": "",
    } | over  # fmt: skip
    return [base[c] for c in EMPLOYEE_COLUMNS]


def dep_row(no: str, r: str, **over: str) -> list[str]:
    base = {
        "직원번호": no, "관계": "자녀", "성명": "홍하나", "주민등록번호": r, "장애여부": "N", "동거여부": "Y",
        "연간소득": "0", "공무원여부": "N", "가족수당시작일": "2015-06-01", "가족수당종료일": "",
    } | over  # fmt: skip
    return [base[c] for c in DEPENDENT_COLUMNS]


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(Employee)) or 0,
            conn.scalar(select(func.count()).select_from(Dependent)) or 0,
        )


def test_good_files_import_and_reimport_updates(
    migrated: Engine, unit: str, cipher: RRNCipher, tmp_path: Path
) -> None:
    e = write_csv(
        tmp_path / "emp.csv",
        EMPLOYEE_COLUMNS,
        [
            emp_row("A1", rrn("900101123456")),
            emp_row("A2", rrn("920202234567"), 직급="고위공무원단", 호봉="0"),
        ],
    )
    d = write_csv(tmp_path / "dep.csv", DEPENDENT_COLUMNS, [dep_row("A1", rrn("150505312345"))])
    with migrated.begin() as conn:
        rep = import_files(conn, [e, d], cipher)
    assert (rep.employees_added, rep.dependents_added) == (2, 1)
    assert counts(migrated) == (2, 1)
    with migrated.begin() as conn:
        rep = import_files(conn, [e, d], cipher)
    assert (rep.employees_added, rep.employees_updated, rep.dependents_updated) == (0, 2, 1)
    with migrated.connect() as conn:
        emp = conn.execute(select(Employee).where(Employee.employee_no == "A1")).one()
        assert emp.birth_date.isoformat() == "1990-01-01" and emp.sex == "M"
        assert cipher.decrypt(emp.rrn_encrypted).reveal() == rrn("900101123456").replace("-", "")
        assert (
            emp.rrn_pseudonym
            == cipher.pseudonym_digits_many([rrn("900101123456").replace("-", "")])[0]
        )
        assert (
            conn.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "people.import")
            )
            == 2
        )


def test_bad_file_lists_every_error_and_writes_nothing(
    migrated: Engine, unit: str, cipher: RRNCipher, tmp_path: Path
) -> None:
    good = rrn("900101123456")
    bad_checksum = good[:-1] + str((int(good[-1]) + 1) % 10)
    e = write_csv(
        tmp_path / "emp.csv",
        EMPLOYEE_COLUMNS,
        [
            emp_row("A1", good),
            emp_row("A2", bad_checksum),
            emp_row("A3", rrn("880303123456"), 기관코드="NOPE", 임용일="2015/13/40", 호봉="99"),
            emp_row(
                "A4",
                rrn("870404223456"),
                직급="10급",
                재직상태="출장",
                이메일="no-at",
                부서코드="X",
            ),
            emp_row("A1", rrn("860505123456")),
        ],
    )
    d = write_csv(
        tmp_path / "dep.csv",
        DEPENDENT_COLUMNS,
        [dep_row("ZZ", rrn("150505312345"), 관계="이웃", 장애여부="maybe")],
    )
    with pytest.raises(ImportRejected) as exc, migrated.begin() as conn:
        import_files(conn, [e, d], cipher)
    lines = [str(x) for x in exc.value.errors]
    expect = [
        "emp.csv:3:주민등록번호:",
        "emp.csv:4:기관코드:",
        "emp.csv:4:임용일:",
        "emp.csv:5:직급:",
        "emp.csv:5:재직상태:",
        "emp.csv:5:이메일:",
        "emp.csv:6:직원번호:",
        "dep.csv:2:관계:",
        "dep.csv:2:장애여부:",
    ]
    for prefix in expect:
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)
    assert not any(bad_checksum.replace("-", "")[7:] in line for line in lines)  # no RRN echoed
    assert counts(migrated) == (0, 0)  # nothing written, not even the good row


def test_unknown_employee_in_dependents_and_unknown_columns(
    migrated: Engine, unit: str, cipher: RRNCipher, tmp_path: Path
) -> None:
    d = write_csv(
        tmp_path / "dep.csv",
        (*DEPENDENT_COLUMNS, "비고"),
        [[*dep_row("NOBODY", rrn("150505312345")), "x"]],
    )
    with pytest.raises(ImportRejected) as exc, migrated.begin() as conn:
        import_files(conn, [d], cipher)
    lines = [str(x) for x in exc.value.errors]
    assert "dep.csv:1:비고: 알 수 없는 열입니다" in lines
    assert any(x.startswith("dep.csv:2:직원번호: 없는 직원번호") for x in lines)


def test_xlsx_with_two_sheets(
    migrated: Engine, unit: str, cipher: RRNCipher, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "직원"
    ws.append(list(EMPLOYEE_COLUMNS))
    ws.append(emp_row("B1", rrn("900101123456")))
    ws2 = wb.create_sheet("부양가족")
    ws2.append(list(DEPENDENT_COLUMNS))
    ws2.append(dep_row("B1", rrn("150505312345"), 관계="배우자", 장애여부="maybe"))
    path = tmp_path / "people.xlsx"
    wb.save(path)
    with pytest.raises(ImportRejected) as exc, migrated.begin() as conn:
        import_files(conn, [path], cipher)
    assert [str(x) for x in exc.value.errors] == [
        "people.xlsx[부양가족]:2:장애여부: Y 또는 N 이어야 합니다"
    ]
    ws2.delete_rows(2)
    ws2.append(dep_row("B1", rrn("150505312345")))
    wb.save(path)
    with migrated.begin() as conn:
        import_files(conn, [path], cipher)
    assert counts(migrated) == (1, 1)


def test_export_round_trip(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> None:
    seed(migrated, SeedConfig(employees=150, seed=3), cipher)
    before = counts(migrated)
    with migrated.begin() as conn:
        export(
            conn,
            cipher,
            tmp_path / "e.csv",
            kind="employees",
            agency_code=None,
            with_rrn=True,
            with_account=True,
        )
        export(
            conn,
            cipher,
            tmp_path / "d.csv",
            kind="dependents",
            agency_code=None,
            with_rrn=True,
        )
        export(
            conn,
            cipher,
            tmp_path / "masked.xlsx",
            kind=None,
            agency_code=None,
            with_rrn=False,
        )
    with migrated.begin() as conn:
        rep = import_files(conn, [tmp_path / "e.csv", tmp_path / "d.csv"], cipher)
    assert (rep.employees_added, rep.employees_updated) == (0, before[0])
    assert (rep.dependents_added, rep.dependents_updated) == (0, before[1])
    assert counts(migrated) == before
    text = (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    assert "******" not in text
    # the default (masked) export re-imports too: masked numbers are matched to those on file
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "masked.xlsx")
    assert wb.sheetnames == ["직원", "부양가족"]
    first = [c.value for c in wb["직원"][2]]
    assert str(first[3]).endswith("******")
    with migrated.begin() as conn:
        rep = import_files(conn, [tmp_path / "masked.xlsx"], cipher)
    assert (rep.employees_added, rep.dependents_added) == (0, 0)
    assert (rep.employees_updated, rep.dependents_updated) == before
    assert (tmp_path / "e.csv").stat().st_mode & 0o777 == 0o600
    with migrated.connect() as conn:
        actions = conn.scalars(
            select(AuditLog.action).where(AuditLog.action.like("people.export%"))
        ).all()
    assert sorted(actions) == ["people.export", "people.export_rrn", "people.export_rrn"]


def test_more_bad_values_are_reported_not_crashed(
    migrated: Engine, unit: str, cipher: RRNCipher, tmp_path: Path
) -> None:
    with migrated.begin() as conn:
        import_files(
            conn,
            [
                write_csv(
                    tmp_path / "ok.csv", EMPLOYEE_COLUMNS, [emp_row("A1", rrn("900101123456"))]
                )
            ],
            cipher,
        )
    e = write_csv(
        tmp_path / "홍길동_900101-1234568.csv",
        EMPLOYEE_COLUMNS,
        [
            emp_row("A2", rrn("880303123456"), 호봉=""),
            emp_row("A3", rrn("870404223456"), 이메일="x" * 130 + "@korea.kr", 임용일="2999-01-01"),
            emp_row("A1", "770707-2******"),  # masked, but not A1's number
            emp_row("A4", rrn("860505123456"), 호봉="1_0"),
        ],
    )
    d = write_csv(
        tmp_path / "dep.csv",
        DEPENDENT_COLUMNS,
        [
            dep_row("A1", rrn("900101123456"), 관계="배우자"),  # the employee themself
            dep_row("A1", rrn("910101223456"), 관계="배우자", 연간소득="99999999999999999999"),
            dep_row("A1", rrn("920101223456"), 관계="배우자", 성명="김" * 60),
            dep_row("A1", rrn("930101223456"), 관계="배우자"),
        ],
    )
    with pytest.raises(ImportRejected) as exc, migrated.begin() as conn:
        import_files(conn, [e, d, tmp_path], cipher)
    lines = [str(x) for x in exc.value.errors]
    label = "홍길동_900101-1******.csv"
    for prefix in [
        f"{label}:2:호봉: 값이 필요합니다",
        f"{label}:3:이메일:",
        f"{label}:3:임용일:",
        f"{label}:4:주민등록번호: 마스킹된 번호가 저장된",
        f"{label}:5:호봉:",
        "dep.csv:2:주민등록번호: 직원 본인을",
        "dep.csv:3:연간소득:",
        "dep.csv:4:성명: 50자 이하",
        "dep.csv:5:관계: 배우자는 한 명만",
    ]:
        assert any(x.startswith(prefix) for x in lines), (prefix, lines)
    assert any(":0:-: 파일이 없습니다" in x for x in lines)  # a directory is not a file
    assert not any("1234568" in x for x in lines)
    assert counts(migrated) == (1, 0)


def test_broken_csv_is_a_row_error(migrated: Engine, cipher: RRNCipher, tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_text(
        ",".join(EMPLOYEE_COLUMNS) + "\n" + "MPM," + "x" * 200_000 + "\n", encoding="utf-8"
    )
    with pytest.raises(ImportRejected) as exc, migrated.begin() as conn:
        import_files(conn, [p], cipher)
    assert str(exc.value.errors[0]).startswith("big.csv:2:-: CSV 형식이 올바르지 않습니다")
