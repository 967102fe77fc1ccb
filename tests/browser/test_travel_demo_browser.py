"""On the demo data (as `make demo` makes it): the demo traveller settles the trip whose tickets
came in from the operator's feed, the demo approver approves a request, and the demo finance
officer sees the refund to collect and pays — in the browser, at phone width."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.demo import DEMO_PASSWORD, ensure_demo_users
from insa.travel.demo import ensure_demo_trips
from insa.travel.models import TravelTrip
from insa.travel.ocr import ReceiptFields, render_receipt, valid_brn


def _login(browser: Browser, server: str, username: str, target: str) -> Page:
    page = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    page.goto(f"{server}{target}")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    return page


def test_demo_trip_from_settlement_to_payment_file(
    server: str, browser: Browser, migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    with session_scope(migrated) as db:
        ensure_demo_users(Ctx.command_line(db, cipher))
        ensure_demo_trips(Ctx.command_line(db), tmp_path / "tickets.jsonl")
    with session_scope(migrated) as db:
        trip = db.scalar(select(TravelTrip).where(TravelTrip.state == "approved"))
        assert trip is not None
        trip_id, first_night = trip.id, trip.start_at.date()

    # the traveller: the settlement is already computed from the two train tickets
    page = _login(browser, server, "demo-employee", "/travel")
    page.get_by_role("link", name="부산지방청 인사 실무 협의").click()
    expect(page.get_by_test_id("state")).to_have_text("승인")
    expect(page.get_by_role("cell", name=re.compile(r"운임 1 \(철도\)"))).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"운임 2 \(철도\)"))).to_be_visible()
    photo = tmp_path / "hotel.png"
    render_receipt(
        ReceiptFields("해운대 스테이", valid_brn(21), first_night, 79_000), seed=21, noise=0.01
    ).save(photo)
    page.get_by_label("영수증 사진 또는 PDF").set_input_files(str(photo))
    page.get_by_role("button", name="올리고 읽기").click()
    expect(page.get_by_label("합계(원)")).to_have_value("79,000", timeout=20_000)
    page.get_by_role("button", name="확인", exact=True).click()
    # 2 × 59,800 (one changed) + 2 days × 50,000 + 79,000 (under the 80,000 metro cap)
    expect(page.get_by_test_id("total")).to_have_text("298,600")
    page.get_by_role("button", name="정산 확정").click()
    expect(page.get_by_test_id("state")).to_have_text("정산 확정")

    # the approver: the waiting requests, with their checks; approve the traveller's own
    approver = _login(browser, server, "demo-approver", "/travel")
    expect(approver.get_by_text(re.compile("공휴일 출장"))).to_be_visible()
    expect(approver.get_by_text(re.compile("기간이 겹침")).first).to_be_visible()
    approver.get_by_role("link", name=re.compile("자세히")).last.click()
    approver.get_by_role("button", name="승인").click()
    expect(approver.get_by_test_id("state")).to_have_text("승인")

    # the finance officer: the refund to collect and the ticket matching no trip; pay
    finance = _login(browser, server, "demo-finance", "/travel")
    expect(finance.get_by_test_id("refunds")).to_contain_text("KORAIL")
    expect(finance.get_by_test_id("unmatched")).to_contain_text("D99999")
    box = finance.locator(f'input[name="trip_id"][value="{trip_id}"]')
    box.uncheck()
    without = finance.get_by_test_id("selection-total").inner_text()
    box.check()  # even if flagged; the count and the sum follow the selection
    expect(finance.get_by_test_id("selection-total")).not_to_have_text(without)
    n = int(re.search(r"선택 (\d+)건", without).group(1))  # type: ignore[union-attr]
    expect(finance.get_by_test_id("selection-total")).to_contain_text(f"선택 {n + 1}건")
    finance.get_by_label("지급 파일", exact=True).select_option("xlsx")
    finance.once("dialog", lambda d: d.accept())
    with finance.expect_download() as dl:
        finance.get_by_role("button", name="지급 처리하고 지급 파일 받기").click()
    assert dl.value.suggested_filename.endswith(".xlsx")
    dl.value.save_as(tmp_path / "payment.xlsx")
    ws = load_workbook(tmp_path / "payment.xlsx").active
    assert ws is not None
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    amounts = [r[6] for r in rows[:-1]]
    assert 298_600 in amounts and len(amounts) >= 2
    assert rows[-1][0] == "합계" and rows[-1][6] == sum(amounts)
    assert all(r[2] and str(r[4]).isdigit() for r in rows[:-1])  # every transfer has its account
    page.reload()
    expect(page.get_by_test_id("state")).to_have_text("지급 완료")
    with session_scope(migrated) as db:
        paid = db.scalar(select(TravelTrip.total).where(TravelTrip.id == trip_id))
    assert paid == 298_600
