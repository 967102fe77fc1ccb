"""Year-end in a real browser: an HR officer settles the agency with one click and opens a
receipt; an employee on a phone reads 내 연말정산 and tries a what-if."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .conftest import PASSWORD, SHOTS


def _login(page: Page, server: str, username: str, target: str) -> None:
    page.goto(f"{server}{target}")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")


def test_hr_officer_settles_the_agency_and_an_employee_reads_the_result(
    server: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, server, "hr-police", "/yearend")
    expect(page.get_by_role("heading", name=re.compile("귀속 연말정산"))).to_be_visible()
    page.get_by_test_id("run").click()
    # the progress bar shows while the batch runs; when it ends the page shows the results,
    # saying what the run did
    expect(page.get_by_test_id("job")).to_be_visible()
    expect(page.get_by_test_id("flash")).to_contain_text("정산을 마쳤습니다", timeout=60_000)
    expect(page.get_by_text("아직 실행하지 않았습니다")).to_have_count(0)
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 20  # a full first page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "yearend-agency-desktop.png"), full_page=True)
    # any employee's receipt opens as a PDF
    href = rows.first.get_by_role("link", name="PDF").get_attribute("href")
    assert href
    pdf = page.request.get(f"{server}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    rows.first.locator("a").first.click()
    expect(page.get_by_role("heading", name="왜 이 금액인가요?")).to_be_visible()
    expect(page.get_by_text("기관 정산 결과(v1)와 같습니다")).to_be_visible()
    assert not errors, errors

    phone = browser.new_page(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="ko-KR"
    )
    _login(phone, server, "police-employee", "/yearend/me")
    expect(phone.get_by_role("heading", name=re.compile("내 연말정산"))).to_be_visible()
    expect(phone.get_by_test_id("why")).to_contain_text("선택")
    phone.get_by_label("퇴직연금(IRP) 납입액").fill("9000000")
    phone.get_by_role("button", name="다시 계산").click()
    table = phone.get_by_test_id("what-if")
    expect(table).to_be_visible()
    expect(phone.locator("#what-if-result")).to_contain_text("9,000,000원")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide at a 360px viewport"
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(SHOTS / "yearend-me-phone.png"))
