"""One masker of resident numbers, whatever the separator: in text, logs (the access log of a
served app included), the append-only audit log and the command line's messages."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from insa.cli import app
from insa.db.engine import session_scope
from insa.security.audit import record
from insa.security.logs import FORMAT, RedactingFormatter, redact, redact_value
from insa.security.models import AuditLog

SEPARATORS = ["", "-", ".", " ", "+", "_", "/", "\t", "%2D", "%2d", "%20", "%2B", "%2E", "%2e",
              "%252D", "%2520", "\u2010", "\u2013", "\u2212", "\uff0d"]  # fmt: skip
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
RRN_DIGITS = st.builds(
    lambda y, m, d, s, rest: f"{y:02d}{m:02d}{d:02d}{s}{rest:06d}",
    st.integers(0, 99), st.integers(1, 12), st.integers(1, 28), st.integers(0, 9),
    st.integers(0, 999_999),
)  # fmt: skip
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20)


@given(RRN_DIGITS, st.sampled_from(SEPARATORS), TEXT, TEXT, st.booleans())
def test_every_separator_is_masked(
    digits: str, sep: str, before: str, after: str, wide: bool
) -> None:
    shape = (lambda d: d.translate(FULL_WIDTH)) if wide else (lambda d: d)
    number = f"{shape(digits[:6])}{sep}{shape(digits[6:])}"
    out = redact(f"{before}{number}{after}")
    shown = out.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    assert digits[7:] not in shown  # the six digits after the sex digit never remain
    assert f"{digits[:6]}-{digits[6]}******" in shown


def test_longer_runs_of_digits_and_short_numbers_are_left_alone() -> None:
    assert redact("계좌 12345678901234") == "계좌 12345678901234"  # fourteen digits
    assert redact("2025-12-01") == "2025-12-01" and redact("010-1234-5678") == "010-1234-5678"
    assert redact("q=730324.1260261&page=2") == "q=730324-1******&page=2"
    assert redact_value({"q": ["730324+1260261"], "n": 3}) == {"q": ["730324-1******"], "n": 3}


def test_the_log_formatter_masks_the_whole_record() -> None:
    record_ = logging.LogRecord("x", logging.INFO, __file__, 1, "q=%s", ("730324%2D1260261",),
                                None)  # fmt: skip
    assert "1260261" not in RedactingFormatter(FORMAT).format(record_)


def test_the_audit_log_stores_every_shape_masked(migrated: Engine) -> None:
    with session_scope(migrated) as db:
        for sep in SEPARATORS:
            record(db, actor="t", action="people.search_employee", target_id=f"730324{sep}1260261",
                   detail={"q": f"이름 730324{sep}1260261", "nested": [f"7303241260261{sep}"]})  # fmt: skip
    with migrated.connect() as conn:
        rows = conn.execute(select(AuditLog.target_id, AuditLog.detail)).all()
    text = json.dumps([list(r) for r in rows], ensure_ascii=False)
    assert "1260261" not in text and text.count("730324-1******") == 3 * len(SEPARATORS)


def test_the_access_log_of_a_served_app_masks_every_shape(
    migrated: Engine, capfd: pytest.CaptureFixture[str]
) -> None:
    from insa.security.logs import uvicorn_log_config
    from insa.web.app import create_app

    from .conftest import serve

    with serve(create_app(), log_config=uvicorn_log_config(), log_level="info") as url:
        with httpx.Client(base_url=url) as c:
            for sep in ("-", "+", " ", ".", "%2D", "%20", "%2B"):
                raw = f"730324{sep}1260261"
                c.get(f"/employees?q={raw if '%' in sep else quote(raw, safe='')}")
                c.get(f"/employees?q={raw.replace(' ', '+')}")
    logged = capfd.readouterr().err
    assert "/employees?q=" in logged  # the access log did write the requests
    assert "1260261" not in logged


def test_the_command_line_never_echoes_a_number(migrated: Engine, tmp_path: Path) -> None:
    doc = {"employee_no": "850101-1234567", "tax_year": 2025}
    path = tmp_path / "nts.jsonl"
    path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["yearend", "import-nts", str(path)])
    assert r.exit_code != 0 and "nts.jsonl" in r.output
    assert "1234567" not in r.output
