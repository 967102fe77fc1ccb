"""End to end in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

An HR officer logs in, searches an employee, opens the detail page and sees a masked
resident number; the phone-width screenshot is kept in docs/screenshots/.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import Engine

from insa.db.engine import session_scope
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.security.users import create_user
from insa.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "browser-test-2025!"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The browser walk runs on the embedded database (the API and page tests cover both)."""
    from insa.db.engine import make_engine
    from insa.settings import reset_settings

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    monkeypatch.setenv("INSA_DATABASE_URL", url)
    reset_settings()
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def server(migrated: Engine, cipher: RRNCipher) -> Iterator[str]:
    seed(migrated, SeedConfig(employees=3000, seed=9), cipher)
    with session_scope(migrated) as db:
        create_user(
            db,
            username="hr-police",
            role="hr_officer",
            password=PASSWORD,
            agency_code="KNPA",
            actor="t",
        )
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


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
