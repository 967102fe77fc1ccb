"""The control tower in the web app: the spray across three ministries, as the collector
recorded it, is one joint incident on the centre's pages with the events behind it; each
member ministry's staff see their own part of it and not the others'; triage (assign,
note, status — a closing needs its reason); event search by time, ministry, field and
text; rules with their hits; ``POST /api/v1/cyber/events`` takes a ministry's batch under
its token's ministry, never the body's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.cyber import sigma
from insa.cyber.cli import tower_paths
from insa.cyber.collector import Collector, Config
from insa.cyber.models import CyberIncident
from insa.cyber.replay import placeholders
from insa.db.engine import session_scope
from insa.security import auth
from insa.security.context import Ctx
from insa.security.models import User
from insa.security.users import create_user

from ..cyber import events_gen as gen
from .conftest import PASSWORD, World, csrf_of


@pytest.fixture
def spray(world: World) -> str:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=15)
    events, dead, spool = tower_paths()
    c = Collector(
        Config(),
        sigma.load([sigma.shipped_dir()], placeholders()),
        world.engine,
        events,
        dead,
        spool,
    )
    docs = gen.spray(start=now) + gen.brute_then_success(start=now + dt.timedelta(minutes=1))
    c.process([], docs=[(d, str(d["organization.id"])) for d in docs])
    c._save()
    with session_scope(world.engine) as db:
        for name, code in (("sec-mpm", "MPM"), ("sec-kdca", "KDCA")):
            create_user(
                Ctx.command_line(db),
                username=name,
                role="security_operator",
                password=PASSWORD,
                agency_code=code,
            )
        inc = db.scalar(select(CyberIncident).where(CyberIncident.joint.is_(True)))
        assert inc is not None
        return str(inc.id)


def test_the_centre_sees_the_joint_incident_whole(as_user, spray: str) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    soc = client.get("/cyber/soc")
    assert (
        soc.status_code == 200
        and 'data-testid="feed"' in soc.text
        and "여러 부처에서 로그인 실패" in soc.text
    )
    assert 'hx-trigger="every 5s"' in soc.text and 'data-testid="ministries"' in soc.text
    assert "여러 부처에서" in client.get("/cyber/soc/feed").text
    listing = client.get("/cyber/incidents?joint=1")
    assert spray in listing.text and "합동" in listing.text
    page = client.get(f"/cyber/incidents/{spray}")
    assert page.status_code == 200 and 'data-testid="joint"' in page.text
    assert "국가보훈부" in page.text and "법제처" in page.text and "인사혁신처" in page.text
    assert "T1110.003" in page.text and 'data-testid="parts"' in page.text
    assert "근거 이벤트 24건" in page.text and "Failed password for invalid user kim00" in page.text


def test_a_member_sees_its_own_part_only(as_user, spray: str) -> None:  # type: ignore[no-untyped-def]
    mpm: TestClient = as_user("sec-mpm")
    page = mpm.get(f"/cyber/incidents/{spray}")
    assert page.status_code == 200 and "외 2개 부처" in page.text and "근거 이벤트 8건" in page.text
    assert (
        "kim03" in page.text and "kim01" not in page.text
    )  # MPM's failures (kim00, kim03 …), not 국가보훈부's
    assert "국가보훈부" not in page.text.split('data-testid="ministries"')[1].split("</dd>")[0]
    kdca: TestClient = as_user("sec-kdca")
    assert kdca.get(f"/cyber/incidents/{spray}").status_code == 404  # no part of it is theirs
    assert (
        spray not in kdca.get("/cyber/incidents").text
        and "무차별 대입" in kdca.get("/cyber/incidents").text
    )
    search = mpm.get(
        "/cyber/events", params={"start": "2000-01-01T00:00", "ministry": "MPVA", "q": "kim"}
    )
    assert "0건" in search.text  # another ministry's events: none
    assert as_user("hr-a").get("/cyber/soc").status_code == 403


def test_triage_assign_note_status(as_user, spray: str) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    token = csrf_of(client.get(f"/cyber/incidents/{spray}").text)
    r = client.post(
        f"/cyber/incidents/{spray}",
        data={"action": "assign", "assignee": "김보안", "csrf_token": token},
    )
    assert "담당을 김보안" in r.text
    bad = client.post(
        f"/cyber/incidents/{spray}",
        data={"action": "status", "status": "closed_true", "csrf_token": token},
    )
    assert bad.status_code == 422 and "판단 근거" in bad.text
    ok = client.post(f"/cyber/incidents/{spray}", data={"action": "status", "status": "contained", "note": "출발지 차단",
                                                         "csrf_token": token})  # fmt: skip
    assert "차단·격리" in ok.text and "출발지 차단" in ok.text
    ro = as_user("sec-mpm")  # a member's staff triage their incidents too
    t2 = csrf_of(ro.get(f"/cyber/incidents/{spray}").text)
    assert "메모를 남겼습니다" in ro.post(f"/cyber/incidents/{spray}", data={"action": "note", "note": "우리 쪽 계정 잠금",
                                                                          "csrf_token": t2}).text  # fmt: skip


def test_event_search_and_rules(as_user, spray: str) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    r = client.get(
        "/cyber/events",
        params={"start": "2000-01-01T00:00", "field": "source.ip", "value": "203.0.113.77"},
    )
    assert r.status_code == 200 and "24건" in r.text
    r = client.get(
        "/cyber/events",
        params={"start": "2000-01-01T00:00", "ministry": "KDCA", "q": "accepted password"},
    )
    assert "1건" in r.text and "Accepted password for admin" in r.text
    bad = client.get("/cyber/events", params={"start": "어제"})
    assert bad.status_code == 422
    rules = client.get("/cyber/rules")
    assert "비밀번호 살포" in rules.text and "insa_failures_across_ministries" in rules.text


def test_a_ministry_pushes_events_under_its_tokens_ministry(
    world: World, client: TestClient
) -> None:
    with session_scope(world.engine) as db:
        create_user(
            Ctx.command_line(db),
            username="sec-mpm",
            role="security_operator",
            password=PASSWORD,
            agency_code="MPM",
        )
        mine = auth.create_api_token(
            db, db.scalar(select(User).where(User.username == "sec-mpm")), "relay"
        )  # type: ignore[arg-type]
        centre = auth.create_api_token(
            db, db.scalar(select(User).where(User.username == "sec")), "ct"
        )  # type: ignore[arg-type]
    batch = [{"@timestamp": "2026-12-02T01:00:00Z", "organization.id": "MOLEG", "event.category": "authentication",
              "event.outcome": "failure", "source.ip": "198.51.100.1", "user.name": "x"}] * 3  # fmt: skip
    r = client.post(
        "/api/v1/cyber/events",
        content=json.dumps(batch),
        headers={"Authorization": f"Bearer {mine}"},
    )
    assert r.status_code == 202 and r.json() == {"accepted": 3, "ministry": "MPM"}
    (spooled,) = list(tower_paths()[2].glob("*.jsonl"))
    assert "-MPM-" in spooled.name and len(spooled.read_text(encoding="utf-8").splitlines()) == 3
    lines = "\n".join(json.dumps(b) for b in batch)
    assert (
        client.post(
            "/api/v1/cyber/events", content=lines, headers={"Authorization": f"Bearer {mine}"}
        ).status_code
        == 202
    )
    assert (
        client.post(
            "/api/v1/cyber/events", content="{nope", headers={"Authorization": f"Bearer {mine}"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/cyber/events", content="[1, 2]", headers={"Authorization": f"Bearer {mine}"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/cyber/events", content=lines, headers={"Authorization": f"Bearer {centre}"}
        ).status_code
        == 403
    )
    assert client.post("/api/v1/cyber/events", content=lines).status_code in (401, 403)


def test_a_member_learns_nothing_of_the_other_ministries(as_user, spray: str) -> None:  # type: ignore[no-untyped-def]
    """The feed, the per-ministry view and the incident filter give a member's staff their
    own ministry and a count of the others, never which (the alerts' JSON is the feed's)."""
    mpm: TestClient = as_user("sec-mpm")
    soc = mpm.get("/cyber/soc").text
    table = soc.split('data-testid="ministries"')[1].split("</table>")[0]
    assert "인사혁신처" in table and "국가보훈부" not in table and "법제처" not in table
    feed = soc.split('data-testid="feed"')[1].split("</ul>")[0]
    assert "외 2개 부처" in feed and "국가보훈부" not in feed and "법제처" not in feed
    assert "이벤트 24건" not in soc  # the whole incident's count is the centre's
    filtered = mpm.get("/cyber/incidents", params={"ministry": "MOLEG", "status": ""}).text
    mine = mpm.get("/cyber/incidents", params={"status": ""}).text
    assert filtered.count("/cyber/incidents/INC-") == mine.count(
        "/cyber/incidents/INC-"
    )  # another's filter: ignored
