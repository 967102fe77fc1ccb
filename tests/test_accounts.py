"""Salary accounts: the value that never shows itself, the bank codes, sealing, and the
optional 은행 / 계좌번호 / 예금주 columns of the people import and export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from insa.people import accounts
from insa.people.accounts import AccountNumber, InvalidAccount
from insa.people.io import EMPLOYEE_COLUMNS, ImportRejected, export, import_files
from insa.people.models import Employee, SalaryAccount
from insa.security.crypto import DecryptionError, RRNCipher
from insa.security.models import AuditLog

from .test_import import emp_row, rrn, unit, write_csv  # noqa: F401  (unit is a fixture)


def test_an_account_number_shows_only_its_last_four_digits() -> None:
    a = AccountNumber("123-456789-01-234")
    assert a.reveal() == "12345678901234"
    assert str(a) == repr(a).split("'")[1] == f"{a}" == "**********1234"
    assert AccountNumber("110 1234 5678").masked() == "*******5678"
    assert AccountNumber("１１０－１２３４－５６７８".replace("－", "-")).reveal() == "11012345678"
    assert accounts.is_masked("**********1234") and not accounts.is_masked("1234567890")


@pytest.mark.parametrize(
    "text", ["", "12345", "1234567890123456789", "12-34-abc-5678", "0000000000", "١٢٣٤٥٦٧٨٩٠"]
)
def test_bad_account_numbers_are_refused_without_repeating_them(text: str) -> None:
    with pytest.raises(InvalidAccount) as exc:
        AccountNumber(text)
    assert (text not in str(exc.value)) or not text


@given(st.text(alphabet="0123456789", min_size=10, max_size=16))
def test_masking_keeps_four_digits_whatever_the_length(digits: str) -> None:
    if len(set(digits)) == 1:
        return
    masked = AccountNumber(digits).masked()
    assert masked.endswith(digits[-4:])
    assert sum(ch.isdigit() for ch in masked) == 4
    assert masked.count("*") == len(digits) - 4 and accounts.is_masked(masked)


def test_banks_by_code_name_or_alias() -> None:
    assert accounts.bank_code("004") == accounts.bank_code("KB국민은행") == "004"
    assert accounts.bank_code(" 국민 ") == accounts.bank_code("kb") == "004"
    assert accounts.bank_code("대구은행") == accounts.bank_code("iM뱅크") == "031"
    assert accounts.bank_name("088") == "신한은행"
    assert len(accounts.banks()) >= 20 and all(len(c) == 3 for c in accounts.banks())
    with pytest.raises(InvalidAccount, match="등록되지 않은 은행"):
        accounts.bank_code("없는은행")


def test_a_sealed_account_is_not_an_rrn_nor_readable_under_another_key(
    cipher: RRNCipher,
) -> None:
    blob = accounts.seal(cipher, AccountNumber("3333012345678"))
    assert b"3333012345678" not in blob
    assert accounts.unseal(cipher, blob) == AccountNumber("3333012345678")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob)  # the RRN purpose cannot open it
    other = RRNCipher(b"\x07" * 32, b"k")
    with pytest.raises(DecryptionError):
        accounts.unseal(other, blob)


def _stored(engine: Engine, cipher: RRNCipher, no: str) -> tuple[str, str, str] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(SalaryAccount.bank_code, SalaryAccount.number_encrypted, SalaryAccount.holder)
            .join(Employee, Employee.id == SalaryAccount.employee_id)
            .where(Employee.employee_no == no)
        ).one_or_none()
    if row is None:
        return None
    return row[0], accounts.unseal(cipher, row[1]).reveal(), row[2]


def test_import_export_and_reimport_of_salary_accounts(
    migrated: Engine,
    unit: str,  # noqa: F811
    cipher: RRNCipher,
    tmp_path: Path,
) -> None:
    f = write_csv(tmp_path / "emp.csv", EMPLOYEE_COLUMNS, [
        emp_row("A1", rrn("900101123456"), 은행="국민", 계좌번호="123-45-6789012"),
        emp_row("A2", rrn("920202234567"), 은행="088", 계좌번호="110123456789", 예금주="김예금"),
        emp_row("A3", rrn("930303134567")),
    ])  # fmt: skip
    with migrated.begin() as conn:
        rep = import_files(conn, [f], cipher)
    assert rep.accounts_written == 2
    assert _stored(migrated, cipher, "A1") == ("004", "123456789012", "홍길동")
    assert _stored(migrated, cipher, "A2") == ("088", "110123456789", "김예금")
    assert _stored(migrated, cipher, "A3") is None
    # the export masks the number; whole only on request, audited as such
    with migrated.begin() as conn:
        export(conn, cipher, tmp_path / "out.csv", kind="employees", agency_code=None,
               with_rrn=False)  # fmt: skip
        export(conn, cipher, tmp_path / "whole.csv", kind="employees", agency_code=None,
               with_rrn=False, with_account=True)  # fmt: skip
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8-sig")))
    by_no = {r["직원번호"]: r for r in rows}
    assert by_no["A1"]["은행"] == "KB국민은행" and by_no["A1"]["계좌번호"] == "********9012"
    assert by_no["A3"]["은행"] == by_no["A3"]["계좌번호"] == ""
    assert "123456789012" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "123456789012" in (tmp_path / "whole.csv").read_text(encoding="utf-8-sig")
    with migrated.connect() as conn:
        actions = list(conn.scalars(select(AuditLog.action).order_by(AuditLog.id)))
        details = " ".join(str(d) for d in conn.scalars(select(AuditLog.detail)))
    assert actions[-2:] == ["people.export", "people.export_account"]
    assert "123456789012" not in details and "110123456789" not in details
    # the masked export imports again and keeps every account; the holder may change
    rows[0]["예금주"] = "홍길순"
    again = write_csv(tmp_path / "again.csv", EMPLOYEE_COLUMNS,
                      [[r[c] for c in EMPLOYEE_COLUMNS] for r in rows])  # fmt: skip
    with migrated.begin() as conn:
        import_files(conn, [again], cipher)
    assert _stored(migrated, cipher, "A1") == ("004", "123456789012", "홍길순")
    assert _stored(migrated, cipher, "A2") == ("088", "110123456789", "김예금")


def test_bad_account_columns_name_file_row_and_column_and_write_nothing(
    migrated: Engine,
    unit: str,  # noqa: F811
    cipher: RRNCipher,
    tmp_path: Path,
) -> None:
    ok = write_csv(tmp_path / "ok.csv", EMPLOYEE_COLUMNS,
                   [emp_row("A1", rrn("900101123456"), 은행="국민", 계좌번호="123456789012")])  # fmt: skip
    with migrated.begin() as conn:
        import_files(conn, [ok], cipher)
    bad = write_csv(tmp_path / "bad.csv", EMPLOYEE_COLUMNS, [
        emp_row("B1", rrn("910101123456"), 은행="없는은행", 계좌번호="123456789012"),
        emp_row("B2", rrn("910202234567"), 계좌번호="123456789012"),
        emp_row("B3", rrn("910303134567"), 은행="신한", 계좌번호="12-34"),
        emp_row("B4", rrn("910404123456"), 예금주="누구"),
        emp_row("B5", rrn("910505234567"), 은행="신한", 계좌번호="********9012"),
        emp_row("A1", rrn("900101123456"), 은행="신한", 계좌번호="********9012"),
        emp_row("A2", rrn("920202234567"), 은행="국민", 계좌번호="998877665544"),
    ])  # fmt: skip
    with migrated.begin() as conn, pytest.raises(ImportRejected) as exc:
        import_files(conn, [bad], cipher)
    errors = [str(e) for e in exc.value.errors]
    assert "bad.csv:2:은행: 등록되지 않은 은행입니다: 없는은행" in errors
    assert "bad.csv:3:은행: 계좌번호를 적었으면 은행이 필요합니다" in errors
    assert any(e.startswith("bad.csv:4:계좌번호: 계좌번호는 10~16자리") for e in errors)
    assert "bad.csv:5:계좌번호: 은행·예금주를 적었으면 계좌번호가 필요합니다" in errors
    assert "bad.csv:6:계좌번호: 저장된 계좌가 없습니다: 계좌번호 전체를 적어 주세요" in errors
    assert "bad.csv:7:계좌번호: 은행을 바꾸려면 계좌번호 전체를 적어 주세요" in errors
    assert not any(e.startswith("bad.csv:8:") for e in errors)
    assert not any("123456789012" in e or "998877665544" in e for e in errors)
    # nothing was written: A1 keeps its account, A2 was not added
    assert _stored(migrated, cipher, "A1") == ("004", "123456789012", "홍길동")
    assert _stored(migrated, cipher, "A2") is None
