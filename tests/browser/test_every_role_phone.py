"""Every role's landing page and the pages of its menu, at phone width (360 px), on the demo
log-ins: no English message of a list of known ones appears, the page never scrolls sideways,
every table fits or sits in a box that scrolls, and every number fits its tile."""

from __future__ import annotations

from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, select

from insa.db.engine import session_scope
from insa.security.auth import totp_secret
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.demo import DEMO_PASSWORD, ensure_demo_users
from insa.security.models import User
from insa.travel.demo import ensure_demo_trips
from insa.yearend.settlement import run_settlement

from .conftest import SHOTS

# messages that used to reach the pages in English (issue 11) and must not come back
KNOWN_ENGLISH = (
    "/ storing", "/ loading", "/ computing", "/ committing", "nothing to settle",
    "a rejection needs", "cannot pay", "cannot settle", "cannot approve", "cannot cancel",
    "(rail)", "(metro)", "(other)", "(seoul)", "no stored", "run the settlement",
    "auth.totp_ok", "people.view_payroll_totals", "employee_no", "account_reference",
    "the data changed", "unknown ", "Traceback", "Internal Server Error",
)  # fmt: skip
ROLES = ("demo-employee", "demo-hr", "demo-finance", "demo-approver", "demo-admin",
         "demo-ops", "demo-security", "demo-ops-moleg")  # fmt: skip

LAYOUT = """() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => { for (let e = el.parentElement; e; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if ((o === 'auto' || o === 'scroll') && e.getBoundingClientRect().width <= vw + 1) return true; }
    return false; };
  const tables = [...document.querySelectorAll('main table')]
    .filter(t => t.getBoundingClientRect().width > vw + 1 && !scrolls(t))
    .map(t => (t.querySelector('th') || t).innerText.slice(0, 30));
  const tiles = [...document.querySelectorAll('.stat, .card.stat')]
    .filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.innerText.slice(0, 30));
  return {page: document.documentElement.scrollWidth, vw, tables, tiles};
}"""


def _login(browser: Browser, server: str, username: str, totp: str | None) -> Page:
    page = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    page.goto(f"{server}/login")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.wait_for_load_state()
    if totp:
        page.get_by_label("인증 코드").fill(pyotp.TOTP(totp).now())
        page.get_by_label("인증 코드").press("Enter")
        page.wait_for_load_state()
    return page


def _check(page: Page, who: str, path: str) -> list[str]:
    problems = []
    text = page.locator("body").inner_text()
    problems += [f"{who} {path}: English '{m}'" for m in KNOWN_ENGLISH if m in text]
    layout = page.evaluate(LAYOUT)
    if layout["page"] > layout["vw"]:
        problems.append(f"{who} {path}: the page is {layout['page']}px wide")
    problems += [f"{who} {path}: table cut off: {t!r}" for t in layout["tables"]]
    problems += [f"{who} {path}: number overflows its tile: {t!r}" for t in layout["tiles"]]
    return problems


def test_every_role_at_phone_width(
    server: str, browser: Browser, migrated: Engine, cipher: RRNCipher, tmp_path: Path
) -> None:
    with session_scope(migrated) as db:
        ensure_demo_users(Ctx.command_line(db, cipher))
        ensure_demo_trips(Ctx.command_line(db), tmp_path / "tickets.jsonl")
        admin = db.scalar(select(User).where(User.username == "demo-admin"))
        assert admin is not None
        secret = totp_secret(cipher, admin)
    run_settlement(migrated, 2025, agency_id=None)  # the year-end pages with results
    problems: list[str] = []
    for who in ROLES:
        page = _login(browser, server, who, secret if who == "demo-admin" else None)
        assert "/login" not in page.url, (who, page.url)
        links = page.locator("nav[aria-label='주 메뉴'] a").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        )
        assert links, who
        for path in ["/", *[h for h in links if h != "/"]]:
            page.goto(f"{server}{path}")
            page.wait_for_load_state("networkidle")
            problems += _check(page, who, path)
        page.goto(f"{server}/")
        page.screenshot(path=str(SHOTS / f"home-{who}-phone.png"), full_page=True)
        page.close()
    assert not problems, "\n".join(problems)
