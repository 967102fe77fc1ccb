"""File names from data that may hold anything: safe names, paths that stay in their folder,
download headers (RFC 6266), and employee numbers refused on the way in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from insa.files import UnsafePath, content_disposition, inside, safe_name
from insa.people.io import EMPLOYEE_COLUMNS, ImportRejected, import_files
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.users import UserError, create_user

from .test_import import emp_row, rrn, unit, write_csv  # noqa: F401  (unit is a fixture)

ATTACKS = ["가나다라마바", 'XQ"; x=y', "../../pwn", "..", "/etc/passwd", "a\\b", "a\nb", "", "."]


@given(st.text(max_size=200))
def test_a_safe_name_is_one_plain_file_name(value: str) -> None:
    name = safe_name(value)
    assert name and len(name) <= 120 and not name.startswith(".")
    assert not any(ch in name for ch in "/\\\"'\n\r\t\0;") and name not in (".", "..")


@pytest.mark.parametrize("value", ATTACKS)
def test_a_path_built_from_data_stays_in_its_folder(value: str, tmp_path: Path) -> None:
    out = tmp_path / "out2"
    out.mkdir()
    path = inside(out, f"receipt-2025-{value}.pdf")
    assert path.parent == out.resolve()
    path.write_bytes(b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["out2"]


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "evil").symlink_to(tmp_path)
    with pytest.raises(UnsafePath):
        inside(out, "evil")


@pytest.mark.parametrize("value", ATTACKS)
def test_a_download_header_is_ascii_with_the_real_name_encoded(value: str) -> None:
    header = content_disposition(f"receipt-{value}.pdf", inline=True)
    header.encode("latin-1")  # what a header must be; the UnicodeEncodeError of the attack
    assert header.startswith('inline; filename="') and header.count('"') == 2
    assert "\n" not in header and "; x=" not in header


def test_employee_numbers_are_refused_on_import_and_creation(
    migrated: Engine,
    unit: str,  # noqa: F811
    cipher: RRNCipher,
    tmp_path: Path,
) -> None:
    bad = ["가나다라마바", 'XQ"; x=y', "../../pwn", "-A1", "A" * 17]
    f = write_csv(tmp_path / "e.csv", EMPLOYEE_COLUMNS,
                  [emp_row(no, rrn(f"9001{i:02d}12345{i}")) for i, no in enumerate(bad, 1)])  # fmt: skip
    with migrated.begin() as conn, pytest.raises(ImportRejected) as exc:
        import_files(conn, [f], cipher)
    errors = [str(e) for e in exc.value.errors if e.column == "직원번호"]
    assert len({e.split(":")[1] for e in errors}) == len(bad)
    assert all("영문·숫자·'-'" in e or "16자 이하" in e for e in errors)
    from insa.db.engine import session_scope

    with session_scope(migrated) as db, pytest.raises(UserError, match="직원번호"):
        create_user(Ctx.command_line(db), username="someone", role="employee",
                    password="long-enough-pass-1", employee_no="../../pwn")  # fmt: skip
