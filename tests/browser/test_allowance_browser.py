"""An HR officer works through the agency's double-claim findings in a real browser."""

from __future__ import annotations

import re

import duckdb
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from insa.allowance.claims import load_claims, month_index, write_claims_csv
from insa.allowance.exchange import claims_by_agency
from insa.allowance.service import store_findings
from insa.allowance.verify import verify
from insa.db.engine import session_scope
from insa.people.models import Agency
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.users import create_user

from .conftest import PASSWORD, SHOTS


def test_hr_officer_confirms_and_dismisses_findings(
    server: str, browser: Browser, migrated: Engine, cipher: RRNCipher, tmp_path: object
) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "claims"
    out.mkdir()
    with migrated.begin() as conn:
        for code, rows in claims_by_agency(conn, cipher, b"e" * 32, "2025-12", None).items():
            write_claims_csv(out / f"{code}.csv", rows)
    con = duckdb.connect()
    load_claims(con, out)
    report = verify(con, month_index("2025-12"), probabilistic=False)
    assert report.findings
    with migrated.begin() as conn:
        store_findings(conn, report, files=1)
    org = report.findings[0].recover_org
    with session_scope(migrated) as db:
        assert db.scalar(select(Agency.id).where(Agency.code == org))
        create_user(
            Ctx.command_line(db),
            username="hr-verify",
            role="hr_officer",
            password=PASSWORD,
            agency_code=org,
        )

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page.goto(f"{server}/allowance/findings")
    page.get_by_label("아이디").fill("hr-verify")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    expect(page.get_by_role("heading", name="가족수당 이중수급 검증 결과")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "allowance-findings-desktop.png"), full_page=True)
    rows.first.locator("a").first.click()
    expect(page.get_by_test_id("status")).to_contain_text("미처리")
    page.get_by_label("해당 없음 (사유 필수)").check()
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_role("alert")).to_contain_text("사유를 적어")
    page.get_by_label("해당 없음 (사유 필수)").check()
    page.get_by_label("사유", exact=True).fill("배우자 기관에서 이미 중지함")
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_test_id("status")).to_contain_text(
        re.compile("해당 없음 — 배우자 기관에서 이미 중지함")
    )
    page.get_by_role("link", name="목록으로").click()
    expect(page.locator(".cards")).to_contain_text("해당 없음")


def test_hr_officer_recovers_an_entitlement_finding_within_the_limitation(
    server: str, browser: Browser, migrated: Engine
) -> None:
    """Done-when of issue 16's second point: an HR officer sees an entitlement finding (a
    child past the age limit) with the month the payment should have stopped and the
    recoverable amount (part of it past the limitation), and records the recovery — refused
    above the recoverable part."""
    import datetime as dt

    from insa.allowance.models import Finding
    from insa.allowance.service import check_entitlement

    with session_scope(migrated) as db:
        ctx = Ctx.command_line(db)
        report, _ = check_entitlement(ctx, "2025-12", checked_on=dt.date(2026, 12, 2))
        assert report.findings
    with session_scope(migrated) as db:
        f = db.scalar(
            select(Finding)
            .where(
                Finding.match == "rules",
                Finding.recoverable_amount > 0,
                Finding.time_barred_amount > 0,
            )
            .order_by(Finding.finding_id)
        )
        assert f is not None
        fid, org, recoverable = f.finding_id, f.org_a, int(f.recoverable_amount or 0)
        create_user(
            Ctx.command_line(db),
            username="hr-entitle",
            role="hr_officer",
            password=PASSWORD,
            agency_code=org,
        )
    page = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    page.goto(f"{server}/allowance/findings/{fid}")
    page.get_by_label("아이디").fill("hr-entitle")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.goto(f"{server}/allowance/findings/{fid}")
    expect(page.get_by_test_id("stop-month")).to_be_visible()
    expect(page.get_by_test_id("recoverable")).to_contain_text(f"{recoverable:,}원")
    page.get_by_label("환수 완료 (금액 필수)").check()
    page.locator("#amount").fill(
        f"{recoverable + 1:,}"
    )  # a won past the recoverable part (not past the overpayment)
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_role("alert")).to_contain_text("소멸시효")
    page.get_by_label("환수 완료 (금액 필수)").check()
    page.locator("#amount").fill(f"{recoverable:,}")
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_test_id("status")).to_contain_text(f"환수 {recoverable:,}원")
    page.screenshot(path=str(SHOTS / "allowance-entitlement-360.png"), full_page=True)
