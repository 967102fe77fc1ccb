"""Done-when of issue 15, in the browser: events sent over syslog (a ministry's relay, TCP)
and over HTTP (two ministries' own tokens) to a running insa are stored, matched by the
shipped Sigma rules, and the password spray across three ministries appears as one joint
incident; an operator of the centre takes it in hand on a phone (360 px)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from urllib.parse import urlsplit

from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from insa.cyber import demo_events, sigma
from insa.cyber.cli import tower_paths
from insa.cyber.collector import Collector, Config, Sender
from insa.cyber.models import CyberIncident
from insa.cyber.replay import placeholders
from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user

from .conftest import PASSWORD, SHOTS
from .test_every_role_phone import LAYOUT


def test_the_spray_across_three_ministries_is_one_joint_incident(
    server: str, browser: Browser, migrated: Engine
) -> None:
    events, dead, spool = tower_paths()
    cfg = Config(
        tcp=("127.0.0.1", 0), senders=[Sender("MPVA", [ipaddress.ip_network("127.0.0.1/32")])]
    )
    c = Collector(
        cfg, sigma.load([sigma.shipped_dir()], placeholders()), migrated, events, dead, spool
    )
    ready = threading.Event()
    t = threading.Thread(target=lambda: asyncio.run(c.run(None, ready)), daemon=True)
    t.start()
    assert ready.wait(10)
    with session_scope(migrated) as db:
        create_user(
            Ctx.command_line(db),
            username="sec-soc",
            role="security_operator",
            password=PASSWORD,
            centre_code="CYBER",
        )
    web = urlsplit(server)
    sent = demo_events.run(migrated, (web.hostname or "127.0.0.1", web.port or 80), ("127.0.0.1", c.tcp_port or 0), PASSWORD,
                           wait=20, say=lambda m: None)  # fmt: skip
    assert sent["syslog"] > 600 and sent["http"] > 800
    deadline = time.monotonic() + 30
    joint = None
    while time.monotonic() < deadline and joint is None:
        with session_scope(migrated) as db:
            joint = db.scalar(select(CyberIncident.id).where(CyberIncident.joint.is_(True)))
        time.sleep(0.2)
    c.stop.set()
    t.join(10)
    assert joint is not None, c.counters
    assert c.counters["dead"] == 0 and c.counters["received_tcp"] == sent["syslog"]

    page = browser.new_page(viewport={"width": 360, "height": 780}, locale="ko-KR")
    page.goto(f"{server}/login")
    page.get_by_label("아이디").fill("sec-soc")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.get_by_role("link", name="통합 관제").first.click()
    feed = page.get_by_test_id("feed")
    expect(feed).to_contain_text("여러 부처에서 로그인 실패")
    expect(feed).to_contain_text("무차별 대입 뒤 로그인 성공")  # 질병관리청's guessed password
    feed.get_by_role("link", name="여러 부처에서 로그인 실패").first.click()
    expect(page.get_by_test_id("joint")).to_be_visible()
    expect(page.get_by_test_id("ministries")).to_contain_text("국가보훈부")
    expect(page.get_by_test_id("ministries")).to_contain_text("법제처")
    expect(page.get_by_test_id("ministries")).to_contain_text("인사혁신처")
    expect(page.get_by_test_id("events")).to_contain_text("203.0.113.77")
    page.get_by_label("담당자").fill("김관제")
    page.get_by_role("button", name="담당 지정").click()
    expect(page.get_by_test_id("flash")).to_contain_text("담당을 김관제")
    page.get_by_label("상태").select_option("contained")
    page.get_by_label("메모 (종결할 때는 판단 근거)").fill("출발지 203.0.113.77 차단")
    page.get_by_role("button", name="상태 바꾸기").click()
    expect(page.get_by_test_id("status")).to_have_text("차단·격리")
    layout = page.evaluate(LAYOUT)
    assert layout["page"] <= layout["vw"] + 1, layout
    page.screenshot(path=str(SHOTS / "cyber-incident-360.png"), full_page=True)
