"""Formula injection replayed against every writer: a name like ``=HYPERLINK(…)`` stays text
in XLSX (a string cell, never a formula) and is neutralised in CSV (a leading apostrophe);
the imports refuse such names in the first place."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, update

from insa.allowance.reports import write_findings_csv, write_org_reports, write_summary
from insa.allowance.verify import Finding, VerifyReport
from insa.people.io import EMPLOYEE_COLUMNS, ImportRejected, export, import_files
from insa.people.models import Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.spreadsheets import append_row, csv_writer, safe_text

from .test_import import emp_row, rrn, unit, write_csv  # noqa: F401  (unit is a fixture)

EVIL = '=HYPERLINK("http://evil.example/?x","클릭")'
EVILS = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "＝1+1"]


def formulas(data: bytes) -> list[str]:
    """The formula cells of a workbook, read from its XML (what a spreadsheet would run)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [n for n in z.namelist() if n.startswith("xl/worksheets/") and b"<f>" in z.read(n)]


def test_the_cells_themselves() -> None:
    assert [safe_text(v) for v in EVILS] == ["'" + v for v in EVILS]
    assert safe_text(-20_000) == -20_000 and safe_text("김민준") == "김민준"
    buf = io.StringIO()
    csv_writer(buf).writerows([[EVIL, -5, "정상"]])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'" + EVIL, "-5", "정상"]
    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("s") if write_only else wb.active
        for v in EVILS:
            append_row(ws, [v, 7, -7])
        out = io.BytesIO()
        wb.save(out)
        assert formulas(out.getvalue()) == []
        assert EVIL.encode() in b"".join(
            zipfile.ZipFile(io.BytesIO(out.getvalue())).read(n)
            for n in zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist()
        ).replace(b"&quot;", b'"')  # kept, as text


def test_the_people_import_refuses_a_formula_for_a_name(
    migrated: Engine,
    unit: str,  # noqa: F811
    cipher: RRNCipher,
    tmp_path: Path,
) -> None:
    f = write_csv(tmp_path / "e.csv", EMPLOYEE_COLUMNS, [
        emp_row("A1", rrn("900101123456"), 성명=EVIL),
        emp_row("A2", rrn("920202234567"), 은행="국민", 계좌번호="123456789012", 예금주="@x"),
    ])  # fmt: skip
    with migrated.begin() as conn, pytest.raises(ImportRejected) as exc:
        import_files(conn, [f], cipher)
    errors = [str(e) for e in exc.value.errors]
    assert "e.csv:2:성명: 이름은 =, +, -, @로 시작할 수 없습니다" in errors
    assert "e.csv:3:예금주: 이름은 =, +, -, @로 시작할 수 없습니다" in errors


def test_the_people_export_keeps_an_old_formula_name_as_text(
    migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    seed(migrated, SeedConfig(employees=60, seed=4), cipher)
    with migrated.begin() as conn:  # a name stored before the import refused such names
        conn.execute(update(Employee).where(Employee.id == 1).values(name=EVIL))
        export(conn, cipher, tmp_path / "e.csv", kind="employees", agency_code=None,
               with_rrn=False)  # fmt: skip
        export(conn, cipher, tmp_path / "all.xlsx", kind=None, agency_code=None, with_rrn=False)
    rows = list(csv.reader((tmp_path / "e.csv").open(encoding="utf-8-sig")))
    assert rows[1][2] == "'" + EVIL
    assert formulas((tmp_path / "all.xlsx").read_bytes()) == []


def test_the_verification_reports_keep_an_outside_name_as_text(tmp_path: Path) -> None:
    found = Finding(
        finding_id="f" * 16, kind="double_claim", match="exact", probability=1.0,
        claim_a=f"LG-SEOUL:{EVIL}", claim_b="MOE:m1", dependent_key="ab" * 32,
        overlap_start="2025-01", overlap_end="2025-06", overlap_months=6,
        overpaid_amount=300_000, recover_from="MOE:m1", org_a="LG-SEOUL", org_b="MOE",
        dependent_name=EVIL, relation="child", claimant_a_name="@x*", claimant_b_name="김*수",
    )  # fmt: skip
    report = VerifyReport(as_of="2025-06", claims=2, findings=[found])
    paths = write_org_reports(tmp_path, report)
    write_summary(tmp_path / "summary.xlsx", report)
    write_findings_csv(tmp_path / "findings.csv", report)
    assert paths and all(
        formulas(p.read_bytes()) == [] for p in [*paths, tmp_path / "summary.xlsx"]
    )
    rows = list(csv.reader((tmp_path / "findings.csv").open(encoding="utf-8")))
    assert rows[1][4] == f"LG-SEOUL:{EVIL}"  # a formula only when it starts the cell


def test_a_claims_file_with_a_formula_name_is_a_bad_file(tmp_path: Path) -> None:
    import duckdb

    from insa.allowance.claims import COLUMNS, ClaimsError, load_claims

    d = tmp_path / "claims"
    d.mkdir()
    with (d / "LG-SEOUL.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)  # an outside organisation's file, written as it likes
        w.writerow(COLUMNS)
        w.writerow(["c1", "LG-SEOUL", "a" * 64, EVIL, "1980-01-01", "b" * 64, "+김민준",
                    "2015-01-01", "child", "1", "2024-01", "", "50000"])  # fmt: skip
    with pytest.raises(ClaimsError) as exc:
        load_claims(duckdb.connect(), d)
    assert any(e.startswith("LG-SEOUL.csv:2:claimant_name:") for e in exc.value.errors)
    assert any(e.startswith("LG-SEOUL.csv:2:dependent_name:") for e in exc.value.errors)
