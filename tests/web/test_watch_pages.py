"""The failure-detection pages: monitors with state, sparkline and uptime for the centre's
operators; a member ministry's own staff see only theirs; incidents acknowledged, annotated
and resolved with a timeline; silences; monitors added in the web app; the ministries'
public status pages (no log-in, no internal detail)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user
from insa.watch.incidents import Event
from insa.watch.models import WatchIncident, WatchMonitor, WatchNote, WatchSilence
from insa.watch.schemas import Monitor, Where
from insa.watch.store import Store

from .conftest import PASSWORD, World, csrf_of

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def watched(world: World) -> Store:
    """Monitors of two member ministries (and one of a non-member), a day of results, and an
    open incident of 법제처's law search with its database listed on it."""
    with session_scope(world.engine) as db:
        create_user(Ctx.command_line(db), username="ops-moleg", role="ops_operator",
                    password=PASSWORD, agency_code="MOLEG")  # fmt: skip
    store = Store(world.engine, {})
    monitors = [
        Monitor("인사 민원", "http", Where("mpm.yaml", 2), group="민원", url="https://minwon.mpm.example/", ministry="MPM"),
        Monitor("법령 검색", "http", Where("moleg.yaml", 2), url="https://law.moleg.example/search?q=1", ministry="MOLEG"),
        Monitor("법령 DB", "tcp", Where("moleg.yaml", 9), url="tcp://10.0.0.5:5432", ministry="MOLEG"),
        Monitor("경찰 누리집", "http", Where("knpa.yaml", 2), url="https://police.example/", ministry="KNPA"),
    ]  # fmt: skip
    store.register(monitors, NOW)
    results = []
    for i in range(120):
        at = NOW - dt.timedelta(minutes=12 * i)
        results += [(at, "민원/인사 민원", True, 80 + i % 7, ""),
                    (at, "법령 검색", i > 3, 150, "" if i > 3 else "[STATUS] (503) == 200"),
                    (at, "법령 DB", True, 3, ""), (at, "경찰 누리집", True, 40, "")]  # fmt: skip
    store.save_results(results, {"법령 검색": ("down", NOW), "법령 DB": ("up", NOW)})
    store.save_events([Event(NOW - dt.timedelta(minutes=40), "법령 검색", "open", "inc000000001",
                             "[STATUS] (503) == 200")], {"inc000000001": ["법령 DB"]})  # fmt: skip
    return store


def test_the_operator_sees_every_member_monitor_with_state_and_uptime(
    as_user, watched: Store
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops")
    page = client.get("/watch")
    assert page.status_code == 200
    assert "인사 민원" in page.text and "법령 검색" in page.text
    assert "경찰 누리집" not in page.text  # not a member of the centre
    assert page.text.index("법령 검색") < page.text.index("인사 민원")  # down first
    assert '<svg class="spark"' in page.text and "24시간 100.00%" in page.text
    assert "진행 중인 장애 1건" in page.text
    down = client.get("/watch?state=down")
    assert "법령 검색" in down.text and "인사 민원" not in down.text
    found = client.get("/watch?q=인사")
    assert "인사 민원" in found.text and "법령 검색" not in found.text.split("점검 대상 1개")[-1]
    detail = client.get("/watch/monitor", params={"key": "민원/인사 민원"})
    assert detail.status_code == 200 and "mpm.yaml" in detail.text and "최근 48시간" in detail.text
    assert (
        "https://law.moleg.example/search"
        in client.get("/watch/monitor", params={"key": "법령 검색"}).text
    )


def test_member_staff_see_only_their_ministry(as_user, watched: Store) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops-moleg")
    page = client.get("/watch")
    assert "법령 검색" in page.text and "인사 민원" not in page.text
    assert client.get("/watch/monitor", params={"key": "민원/인사 민원"}).status_code == 404
    api = client.get("/api/v1/watch/monitors").json()
    assert {i["key"] for i in api["items"]} == {"법령 검색", "법령 DB"}


def test_others_do_not_see_the_centre(as_user, watched: Store) -> None:  # type: ignore[no-untyped-def]
    assert as_user("hr-a").get("/watch").status_code == 403


def test_an_incident_is_acknowledged_annotated_and_resolved(
    as_user, watched: Store, world: World
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops-moleg")
    page = client.get("/watch/incidents/inc000000001")
    assert page.status_code == 200 and "법령 DB" in page.text and "미확인" in page.text
    token = csrf_of(page.text)
    r = client.post(
        "/watch/incidents/inc000000001", data={"action": "acknowledge", "csrf_token": token}
    )
    assert r.status_code == 200 and "확인했습니다" in r.text
    again = client.post(
        "/watch/incidents/inc000000001", data={"action": "acknowledge", "csrf_token": token}
    )
    assert again.status_code == 422 and "이미" in again.text
    client.post("/watch/incidents/inc000000001",
                data={"action": "note", "text": "DB 서버 재시작 중", "csrf_token": token})  # fmt: skip
    client.post("/watch/incidents/inc000000001",
                data={"action": "note", "text": "검색이 느릴 수 있습니다", "public": "1", "csrf_token": token})  # fmt: skip
    done = client.post("/watch/incidents/inc000000001",
                       data={"action": "resolve", "text": "복구했습니다", "public": "1", "csrf_token": token})  # fmt: skip
    assert "장애를 종료했습니다" in done.text
    with session_scope(world.engine) as db:
        inc = db.get(WatchIncident, "inc000000001")
        assert (
            inc is not None
            and inc.resolved_at is not None
            and inc.acknowledged_by
            and inc.resolved_by
        )
        kinds = [
            n.kind
            for n in db.scalars(
                select(WatchNote).where(WatchNote.incident == inc.id).order_by(WatchNote.id)
            )
        ]
    assert kinds == ["opened", "acknowledged", "note", "note", "closed"]
    # another ministry's staff cannot reach it
    with session_scope(world.engine) as db:
        create_user(Ctx.command_line(db), username="ops-mpva", role="ops_operator",
                    password=PASSWORD, agency_code="MPVA")  # fmt: skip
    assert as_user("ops-mpva").get("/watch/incidents/inc000000001").status_code == 404


def test_the_public_status_page_shows_state_history_and_public_notes_only(
    client: TestClient, as_user, watched: Store
) -> None:  # type: ignore[no-untyped-def]
    ops: TestClient = as_user("ops")
    page = ops.get("/watch/incidents/inc000000001")
    token = csrf_of(page.text)
    ops.post(
        "/watch/incidents/inc000000001",
        data={"action": "note", "text": "내부: 10.0.0.5 재기동", "csrf_token": token},
    )
    ops.post("/watch/incidents/inc000000001",
             data={"action": "note", "text": "법령 검색 서비스 복구 작업 중입니다", "public": "1", "csrf_token": token})  # fmt: skip
    ops.post("/logout", data={"csrf_token": token})
    anon = TestClient(client.app)
    index = anon.get("/status")
    assert index.status_code == 200 and "법제처" in index.text and "장애 1" in index.text
    status = anon.get("/status/MOLEG")
    assert status.status_code == 200
    text = status.text
    assert "법령 검색" in text and "법령 DB" in text and "일부 서비스에 장애가 있습니다" in text
    assert (
        text.count('<span class="ok"')
        + text.count('<span class="some"')
        + text.count('<span class="bad"')
        + text.count('<span class=""')
        == 180
    )
    assert "법령 검색 서비스 복구 작업 중입니다" in text
    assert (
        "내부" not in text
        and "10.0.0.5" not in text
        and "[STATUS]" not in text
        and "law.moleg.example" not in text
    )
    assert "로그아웃" not in text
    assert anon.get("/status/KNPA").status_code == 200  # a ministry's page shows what it has
    assert anon.get("/status/NOPE").status_code == 404


def test_silences_are_set_with_matchers_and_member_staff_silence_their_own(
    as_user, watched: Store, world: World
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops-moleg")
    page = client.get("/watch/silences")
    token = csrf_of(page.text)
    bad = client.post(
        "/watch/silences",
        data={"matchers": 'nope="x"', "hours": "2", "comment": "작업", "csrf_token": token},
    )
    assert bad.status_code == 422 and "알 수 없는 항목" in bad.text
    ok = client.post(
        "/watch/silences",
        data={"matchers": 'monitor=~".*"', "hours": "2", "comment": "DB 이전", "csrf_token": token},
    )
    assert ok.status_code == 200 and "점검 2개" in ok.text  # only 법제처's
    with session_scope(world.engine) as db:
        s = db.scalars(select(WatchSilence)).one()
        assert ["ministry", "=", "MOLEG"] in s.matchers
        sid = s.id
    r = client.post(f"/watch/silences/{sid}/expire", data={"csrf_token": token})
    assert "해제했습니다" in r.text


def test_a_monitor_is_added_in_the_web_app_and_a_file_monitor_is_not_edited_there(
    as_user, watched: Store, world: World
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops")
    page = client.get("/watch/monitor/new")
    token = csrf_of(page.text)
    form = {"name": "보훈 민원", "group": "민원", "ministry": "MPVA", "url": "https://minwon.mpva.example/",
            "interval": "30s", "conditions": "[STATUS] == 200\n[RESPONSE_TIME] < 900", "depends_on": "법령 DB",
            "public": "1", "csrf_token": token}  # fmt: skip
    wrong = client.post("/watch/monitor/save", data={**form, "conditions": "[STATUS] === 200"})
    assert wrong.status_code == 422 and "조건" in wrong.text
    saved = client.post("/watch/monitor/save", data=form)
    assert saved.status_code == 200 and "저장했습니다" in saved.text
    with session_scope(world.engine) as db:
        row = db.get(WatchMonitor, "민원/보훈 민원")
        assert row is not None and row.source == "web" and row.interval_ms == 30_000
        assert row.definition and row.definition["depends-on"] == ["법령 DB"]
    clash = client.post("/watch/monitor/save", data={**form, "name": "인사 민원"})
    assert clash.status_code == 422 and "설정 파일" in clash.text
    edit = client.get("/watch/monitor/edit", params={"key": "법령 검색"})
    assert "설정 파일 moleg.yaml에서 고칩니다" in edit.text


def test_metrics_are_prometheus_text_with_routes_and_monitor_states(
    client: TestClient, as_user, watched: Store
) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client.parser import text_string_to_metric_families

    from insa.security import auth
    from insa.security.models import User

    as_user("ops").get("/watch")
    anon = TestClient(client.app)
    assert anon.get("/metrics").status_code == 401  # not from this server, no token
    with session_scope(watched.engine) as db:
        ops = db.scalar(select(User).where(User.username == "ops"))
        hr = db.scalar(select(User).where(User.username == "hr-a"))
        assert ops is not None and hr is not None
        token, other = (
            auth.create_api_token(db, ops, "prometheus"),
            auth.create_api_token(db, hr, "x"),
        )
    assert anon.get("/metrics", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    body = anon.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.text)}
    routes = {s.labels.get("route") for s in families["insa_http_requests"].samples}
    assert "/watch" in routes  # the route's template, not the raw path
    states = {
        (s.labels["monitor"], s.labels["state"]) for s in families["insa_watch_state"].samples
    }
    assert ("법령 검색", "down") in states and ("민원/인사 민원", "unknown") in states
    assert families["insa_watch_open_incidents"].samples[0].value == 1
    assert "insa_http_request_duration_seconds" in families
