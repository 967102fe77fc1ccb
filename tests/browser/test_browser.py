"""End to end in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

An HR officer logs in, searches an employee, opens the detail page and sees a masked
resident number; the phone-width screenshot is kept in docs/screenshots/.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from .conftest import PASSWORD, SHOTS


def test_hr_officer_finds_an_employee_on_a_phone(server: str, browser: Browser) -> None:
    page = browser.new_page(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="ko-KR"
    )
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(str(e)))
    page.goto(f"{server}/employees")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    # keyboard only: the user name field has focus, Tab moves on, Enter submits
    expect(page.get_by_label("아이디")).to_be_focused()
    page.keyboard.type("hr-police")
    page.keyboard.press("Tab")
    expect(page.get_by_label("비밀번호")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="직원 검색")).to_be_visible()
    page.get_by_label("성명 또는 직원번호").fill("김")
    page.get_by_label("성명 또는 직원번호").press("Enter")
    expect(page).to_have_url(re.compile(r"q=%EA%B9%80"))  # HTMX keeps the URL shareable
    results = page.locator("ul.results li a")
    expect(results.first).to_be_visible()
    expect(page.locator("#results")).to_contain_text("검색 결과")
    name = results.first.locator("strong").inner_text()
    assert name.startswith("김")
    results.first.click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    rrn = page.get_by_test_id("rrn").inner_text()
    assert re.fullmatch(r"\d{6}-[1-8]\*{6}", rrn), rrn
    expect(page.get_by_role("heading", name=re.compile("급여 내역"))).to_be_visible()
    assert not [m for m in messages if "Failed" in m or "Error" in m], messages
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide at a 360px viewport"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "employee-detail-phone.png"), full_page=True)
    page.go_back()
    page.screenshot(path=str(SHOTS / "employee-search-phone.png"))
