"""The three travel steps on a phone-width page: request, approval, settlement, then payment."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from insa.db.engine import session_scope
from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.users import assign, create_user
from insa.travel.ocr import ReceiptFields, render_receipt, valid_brn

from .conftest import PASSWORD, SHOTS


def _login(browser: Browser, server: str, username: str, target: str) -> Page:
    page = browser.new_page(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="ko-KR"
    )
    page.goto(f"{server}{target}")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    return page


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide at a 360px viewport"


def test_three_steps_on_a_phone(
    server: str, browser: Browser, migrated: Engine, tmp_path: Path
) -> None:
    with session_scope(migrated) as db:
        police = db.scalar(select(Agency.id).where(Agency.code == "KNPA"))
        first = db.scalar(
            select(Employee.employee_no).where(Employee.agency_id == police).order_by(Employee.id)
        )
        assert first
        create_user(
            Ctx.command_line(db),
            username="police-approver",
            role="approver",
            password=PASSWORD,
            agency_code="KNPA",
        )
        assign(Ctx.command_line(db), approver="police-approver", employee_nos=[first])
        create_user(
            Ctx.command_line(db),
            username="police-finance",
            role="finance_officer",
            password=PASSWORD,
            agency_code="KNPA",
        )
    SHOTS.mkdir(parents=True, exist_ok=True)

    # ① request
    page = _login(browser, server, "police-employee", "/travel")
    expect(page.get_by_role("heading", name="① 출장 신청")).to_be_visible()
    page.get_by_label("출장 목적").fill("부산청 합동 점검")
    page.get_by_label("출장지 (주소)").fill("부산광역시 연제구 중앙대로 1001")
    page.get_by_label("출발").fill("2025-03-10T08:00")
    page.get_by_label("복귀").fill("2025-03-11T19:00")
    _fits(page)
    page.screenshot(path=str(SHOTS / "travel-1-request-phone.png"))
    page.get_by_role("button", name="신청").click()
    expect(page.get_by_test_id("state")).to_have_text("신청")
    trip_url = page.url

    # ② approval
    approver = _login(browser, server, "police-approver", "/travel")
    expect(approver.get_by_role("heading", name="② 출장 결재")).to_be_visible()
    expect(approver.get_by_text("부산청 합동 점검")).to_be_visible()
    _fits(approver)
    approver.screenshot(path=str(SHOTS / "travel-2-approve-phone.png"))
    approver.get_by_role("button", name="선택한 출장 일괄 승인").click()
    expect(approver.get_by_text("결재할 출장이 없습니다.")).to_be_visible()

    # ③ settlement: computed; the traveller photographs the hotel receipt, checks what OCR
    # read, and confirms
    page.goto(trip_url)
    expect(page.get_by_role("heading", name=re.compile("③ 정산"))).to_be_visible()
    photo = tmp_path / "hotel.jpg"
    render_receipt(
        ReceiptFields("광안리 스테이호텔", valid_brn(4), dt.date(2025, 3, 10), 75_000),
        seed=4,
        rotate=2.0,
        photo=True,
    ).convert("RGB").save(photo, quality=88)
    page.get_by_label("영수증 사진 또는 PDF").set_input_files(str(photo))
    page.get_by_role("button", name="올리고 읽기").click()
    expect(page.get_by_role("heading", name=re.compile("영수증"))).to_be_visible(timeout=20_000)
    expect(page.get_by_label("합계(원)")).to_have_value("75,000")
    expect(page.get_by_label("날짜")).to_have_value("2025-03-10")
    _fits(page)
    page.screenshot(path=str(SHOTS / "travel-3-receipt-phone.png"), full_page=True)
    page.get_by_role("button", name="확인", exact=True).click()
    expect(page.get_by_test_id("total")).to_have_text("175,000")  # 2 × (25,000 + 25,000) + 75,000
    expect(page.get_by_test_id("receipts")).to_contain_text("확인함")
    _fits(page)
    page.screenshot(path=str(SHOTS / "travel-4-settle-phone.png"), full_page=True)
    page.get_by_role("button", name="정산 확정").click()
    expect(page.get_by_test_id("state")).to_have_text("정산 확정")

    # payment by the finance officer, with the payment file
    finance = _login(browser, server, "police-finance", "/travel")
    expect(finance.get_by_role("heading", name="여비 지급", exact=True)).to_be_visible()
    expect(finance.get_by_test_id("selection-total")).to_have_text("선택 1건 · 합계 175,000원")
    asked: list[str] = []
    finance.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    with finance.expect_download() as dl:
        finance.get_by_role("button", name="지급 처리하고 지급 파일 받기").click()
    assert asked == ["출장 1건, 합계 175,000원을 지급합니다. 지급 파일을 받습니다."]
    lines = open(dl.value.path(), encoding="utf-8-sig").read().strip().splitlines()
    assert lines[1].startswith(f"{first},") and ",175000," in lines[1]
    assert lines[-1].startswith("합계,1건,") and ",175000," in lines[-1]
    page.goto(trip_url)
    expect(page.get_by_test_id("state")).to_have_text("지급 완료")
