"""The centre's pages in a phone's browser (360 px): the operator sees the monitors with
their states and sparklines, opens the incident, acknowledges it and leaves a public note;
the ministry's public status page, with no log-in, shows the 90-day bars and that note."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user
from insa.watch.demo import seed_history
from insa.watch.incidents import Event
from insa.watch.schemas import Monitor, Where
from insa.watch.store import Store

from .conftest import PASSWORD, SHOTS
from .test_every_role_phone import LAYOUT


def _watched(engine: Engine) -> None:
    with session_scope(engine) as db:
        create_user(Ctx.command_line(db), username="ops-phone", role="ops_operator", password=PASSWORD,
                    centre_code="WATCH")  # fmt: skip
    monitors = [Monitor(f"서비스 {i}", "http", Where("demo.yaml", i + 2), group="민원" if i % 2 else "누리집",
                        url=f"http://127.0.0.1:9/{i}", ministry=("MOLEG", "MPM", "KDCA")[i % 3]) for i in range(9)]  # fmt: skip
    monitors.append(
        Monitor(
            "법령 DB",
            "tcp",
            Where("demo.yaml", 30),
            group="법령",
            url="tcp://127.0.0.1:9",
            ministry="MOLEG",
        )
    )
    seed_history(engine, monitors, days=90)
    store = Store(engine, {m.key: m.ministry for m in monitors})
    store.register(monitors, dt.datetime.now(dt.UTC))
    now = dt.datetime.now(dt.UTC)
    results = [
        (now - dt.timedelta(seconds=30 * k), m.key, k % 11 != 3, 40 + (k * 7) % 50, "")
        for m in monitors
        for k in range(30)
    ]
    store.save_results(
        results, {"법령/법령 DB": ("down", now), "누리집/서비스 0": ("inhibited", now)}
    )
    store.save_events([Event(now - dt.timedelta(minutes=3), "법령/법령 DB", "open", "phone0000001",
                             "[CONNECTED] (false) == true")], {"phone0000001": ["누리집/서비스 0"]})  # fmt: skip


def test_the_operator_works_an_incident_on_a_phone(
    server: str, browser: Browser, migrated: Engine
) -> None:
    _watched(migrated)
    page = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    page.goto(f"{server}/login")
    page.get_by_label("아이디").fill("ops-phone")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.goto(f"{server}/watch")
    expect(page.get_by_test_id("monitors")).to_contain_text("법령 DB")
    assert page.locator("svg.spark").count() >= 9
    layout = page.evaluate(LAYOUT)
    assert layout["page"] <= layout["vw"] + 1, layout
    page.screenshot(path=str(SHOTS / "watch-monitors-360.png"), full_page=True)
    page.get_by_role("link", name="법령/법령 DB").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("법령/법령 DB")
    page.get_by_role("button", name="확인 (담당합니다)").click()
    expect(page.get_by_test_id("flash")).to_contain_text("확인했습니다")
    page.get_by_label("메모").fill("법령 DB 서버를 다시 시작하고 있습니다")
    page.get_by_label("공개 (기관 상태 페이지에 보입니다)").check()
    page.get_by_role("button", name="메모 남기기").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("법령 DB 서버를 다시 시작하고 있습니다")
    assert page.evaluate(LAYOUT)["page"] <= 361

    public = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    public.goto(f"{server}/status/MOLEG")
    expect(public.get_by_test_id("summary")).to_contain_text("장애")
    expect(public.get_by_test_id("history")).to_contain_text(
        "법령 DB 서버를 다시 시작하고 있습니다"
    )
    assert public.locator(".bars").first.locator("span").count() == 90
    assert public.evaluate(LAYOUT)["page"] <= 361
    assert "[CONNECTED]" not in public.content() and "127.0.0.1" not in public.content()
    public.screenshot(path=str(SHOTS / "watch-status-360.png"), full_page=True)
