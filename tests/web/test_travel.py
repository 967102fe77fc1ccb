"""The three steps in the web app: request → approve → settle → pay, states enforced."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.security.models import AuditLog
from insa.travel.models import TravelTrip

from .conftest import World, account_of, csrf_of


def add_trip(
    world: World, employee_index: int = 0, agency: str = "a", state: str = "requested"
) -> int:
    from .test_travel_receipts import make_trip

    trip_id, _ = make_trip(world, index=employee_index, agency=agency, state=state,
                           start=dt.datetime(2025, 3, 10, 8), end=dt.datetime(2025, 3, 10, 20))  # fmt: skip
    return trip_id


def test_request_approve_settle_pay(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("emp-a")
    home = client.get("/travel")
    assert home.status_code == 200 and "① 출장 신청" in home.text
    r = client.post("/travel", data={
        "csrf_token": csrf_of(home.text), "purpose": "지방청 업무 협의", "destination": "부산광역시 연제구 중앙대로 1001",
        "start": "2025-03-10T08:00", "end": "2025-03-11T19:00", "transport": "rail",
    }, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    trip_url = r.headers["location"]
    trip_id = int(trip_url.rsplit("/", 1)[1])
    page = client.get(trip_url)
    assert "신청" in page.text and "정산 확정" not in page.text
    # no settling before approval: the server refuses, whatever the form says
    r = client.post(
        f"{trip_url}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"}
    )
    assert r.status_code == 409

    client = as_user("appr-a")
    pending = client.get("/travel/approvals")
    assert "지방청 업무 협의" in pending.text
    r = client.post("/travel/approvals", data={"csrf_token": csrf_of(pending.text), "trip_id": str(trip_id)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303

    client = as_user("emp-a")
    page = client.get(trip_url)
    assert "③ 정산" in page.text and "정산 확정" in page.text
    # one night in Busan (metro cap 80,000): paid 95,000 → 80,000; 2 days × (25,000 + 25,000)
    night = re.search(r'name="(lodging-\d+)"', page.text)
    assert night
    r = client.post(f"{trip_url}/nights", data={"csrf_token": csrf_of(page.text), night.group(1): "95,000"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(trip_url)
    total = re.search(r'data-testid="total">([\d,]+)<', page.text)
    assert total and int(total.group(1).replace(",", "")) == 80_000 + 2 * 50_000
    assert "숙박비가 상한을 넘음 (1번째)" in page.text
    r = client.post(f"{trip_url}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(trip_url)
    r = client.post(
        f"{trip_url}/nights", data={"csrf_token": csrf_of(page.text), night.group(1): "1"}
    )
    assert r.status_code == 409  # a confirmed settlement cannot be changed

    client = as_user("fin-a")
    fin = client.get("/travel/finance")
    assert "지방청 업무 협의" not in fin.text or str(trip_id) in fin.text
    r = client.post(
        "/travel/finance/pay", data={"csrf_token": csrf_of(fin.text), "trip_id": str(trip_id)}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    emp = world.emps_a[0]
    code, bank, number, holder = account_of(world, emp.id)
    assert rows[0] | {"적요": ""} == {
        "직원번호": emp.employee_no, "성명": emp.name, "은행코드": code, "은행": bank,
        "계좌번호": number, "예금주": holder, "지급액(원)": "180000", "적요": ""}  # fmt: skip
    assert rows[0]["적요"].startswith(f"여비 출장#{trip_id} ") and number.isdigit()
    assert (
        rows[1]["직원번호"] == "합계"
        and rows[1]["성명"] == "1건"
        and rows[1]["지급액(원)"] == "180000"
    )
    assert len(rows) == 2
    dash = client.get("/travel/finance")
    counters = re.search(
        r'data-testid="counters">.*?<tbody><tr><td>([\d-]+)</td><td>[^<]+</td><td class="num">(\d+)</td><td class="num">([\d.]+)</td>',
        dash.text,
        re.S,
    )
    assert counters and counters.group(2) == "1"
    assert float(counters.group(3)) == 5.0  # request, approve, a correction, settle, pay
    # paid: no more changes
    again = client.post(
        "/travel/finance/pay", data={"csrf_token": csrf_of(fin.text), "trip_id": str(trip_id)}
    )
    assert again.status_code == 409
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.state).where(TravelTrip.id == trip_id)) == "paid"
        actions = conn.scalars(
            select(AuditLog.action).where(AuditLog.action.like("travel.%"))
        ).all()
    for a in (
        "travel.request_trip",
        "travel.approve_trip",
        "travel.settle_trip",
        "travel.pay_trip",
    ):
        assert a in actions


def test_scope_rejection_and_cancellation(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    other = add_trip(world, employee_index=5)  # not assigned to the approver
    b_trip = add_trip(world, agency="b")
    mine = add_trip(world, employee_index=1)
    client: TestClient = as_user("appr-a")
    assert client.get(f"/travel/{other}").status_code == 404
    assert client.get(f"/travel/{b_trip}").status_code == 404
    page = client.get(f"/travel/{mine}")
    r = client.post(
        f"/travel/{mine}/action", data={"csrf_token": csrf_of(page.text), "action": "reject"}
    )
    assert r.status_code == 409 and "사유" in r.text
    r = client.post(f"/travel/{mine}/action", data={"csrf_token": csrf_of(page.text), "action": "reject",
                                                     "reason": "예산 부족"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "반려" in client.get(f"/travel/{mine}").text
    client = as_user("fin-a")
    assert client.get(f"/travel/{b_trip}").status_code == 404
    client = as_user("emp-a")
    own = add_trip(world, employee_index=0, state="approved")
    page = client.get(f"/travel/{own}")
    r = client.post(f"/travel/{own}/action", data={"csrf_token": csrf_of(page.text), "action": "cancel",
                                                    "reason": "일정 변경"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and "취소" in client.get(f"/travel/{own}").text
    assert client.get(f"/travel/{mine}").status_code == 404  # someone else's trip


def test_a_future_trip_is_settled_after_it_ends_and_not_paid_before(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """The trip of 12-15 settled and paid on 12-02: the traveller cannot settle before the
    return; a trip settled in advance (an old record) is flagged, not pre-selected, and refused
    at payment."""
    from sqlalchemy import insert, update

    from insa.travel.models import TravelStepEvent

    from .test_travel_receipts import make_trip

    start = dt.datetime.now() + dt.timedelta(days=13)
    future, _ = make_trip(world, state="approved", start=start, end=start + dt.timedelta(days=1))
    client = as_user("emp-a")
    page = client.get(f"/travel/{future}")
    r = client.post(
        f"/travel/{future}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"}
    )
    assert r.status_code == 409 and "출장이 끝난 뒤" in r.text
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.state).where(TravelTrip.id == future)) == "approved"
    # an old record: settled before the return
    with world.engine.begin() as conn:
        conn.execute(
            update(TravelTrip).where(TravelTrip.id == future).values(state="settled", total=50_000)
        )
        conn.execute(insert(TravelStepEvent).values(trip_id=future, agency_id=world.agency_a,
                                                    step="settle", at=dt.datetime.now(dt.UTC)))  # fmt: skip
    client = as_user("fin-a")
    finance = client.get("/travel/finance")
    assert "귀임 전에 확정된 정산" in finance.text
    box = re.search(rf'<input type="checkbox" name="trip_id" value="{future}"[^>]*>', finance.text)
    assert box and "checked" not in box.group(0)  # not pre-selected
    r = client.post(
        "/travel/finance/pay", data={"csrf_token": csrf_of(finance.text), "trip_id": str(future)}
    )
    assert r.status_code == 409 and "지급할 수 없습니다" in r.text
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.state).where(TravelTrip.id == future)) == "settled"


def test_a_request_with_a_mistake_keeps_what_was_typed_and_every_step_says_what_it_did(
    as_user, world: World
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("emp-a")
    home = client.get("/travel")
    typed = {"csrf_token": csrf_of(home.text), "purpose": "세종청사 회의", "destination": "세종특별자치시 도움6로 11",
             "start": "2025-04-10T09:00", "end": "2025-04-09T18:00", "transport": "bus"}  # fmt: skip
    r = client.post("/travel", data=typed)
    assert r.status_code == 422 and "① 출장 신청" in r.text  # the form again, not an error page
    assert 'value="세종청사 회의"' in r.text and 'value="2025-04-09T18:00"' in r.text
    assert 'id="end-error"' in r.text and "복귀 일시가 출발 일시보다 늦어야" in r.text
    assert re.search(r'<option value="bus" selected>', r.text)
    r = client.post("/travel", data={**typed, "end": "2025-04-10T18:00"})
    assert r.status_code == 200 and "출장을 신청했습니다" in r.text  # followed to the trip page
    assert "출장을 신청했습니다" not in client.get("/travel").text  # shown once
    trip_id = int(str(r.url).rsplit("/", 1)[1])
    approver = as_user("appr-a")
    page = approver.get("/travel/approvals")
    done = approver.post(
        "/travel/approvals", data={"csrf_token": csrf_of(page.text), "trip_id": str(trip_id)}
    )
    assert "출장 1건을 승인했습니다" in done.text


def test_hr_officers_and_central_administrators_see_the_trips_read_only(
    as_user, world: World
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from .test_travel_receipts import make_trip

    a1, _ = make_trip(world, index=0, state="approved")
    a2, _ = make_trip(
        world,
        index=1,
        state="requested",
        start=dt.datetime(2025, 4, 1, 8),
        end=dt.datetime(2025, 4, 1, 19),
    )
    b1, _ = make_trip(world, agency="b", state="approved")
    with world.engine.begin() as conn:
        conn.execute(
            update(TravelTrip).where(TravelTrip.id == a1).values(state="paid", total=150_000)
        )
    hr = as_user("hr-a")
    assert hr.get("/travel", follow_redirects=False).headers["location"] == "/travel/trips"
    page = hr.get("/travel/trips")
    assert page.status_code == 200 and "출장 현황" in page.text and "우리 기관" in page.text
    assert "2건" in page.text and "150,000원" in page.text  # agency A's two trips, the paid total
    assert world.emps_b[0].employee_no not in page.text
    march = hr.get("/travel/trips", params={"month": "2025-03", "state": "paid"})
    assert "1건" in march.text and world.emps_a[0].employee_no in march.text
    assert "YYYY-MM" in hr.get("/travel/trips", params={"month": "3월"}).text
    assert '<form method="post"' not in page.text.split("<main")[1]  # read-only
    admin = as_user("admin")
    everything = admin.get("/travel/trips")
    assert (
        everything.status_code == 200 and "전 기관" in everything.text and "3건" in everything.text
    )
    assert as_user("emp-a").get("/travel/trips").status_code == 403
    del a2, b1


def test_the_trip_page_tells_its_history_cost_and_tickets(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("emp-a")
    home = client.get("/travel")
    r = client.post("/travel", data={
        "csrf_token": csrf_of(home.text), "purpose": "부산 현장 점검", "destination": "부산광역시 연제구 중앙대로 1001",
        "start": "2025-05-12T08:00", "end": "2025-05-14T19:00", "transport": "rail",
    })  # fmt: skip
    trip_id = int(str(r.url).rsplit("/", 1)[1])
    approver = as_user("appr-a")
    page = approver.get(f"/travel/{trip_id}")
    # the approver sees what it may cost: 3 days × 25,000 daily + 3 × 25,000 meals + 2 nights × 80,000 (metro cap)
    estimate = re.search(r'data-testid="estimate">(.*?)</section>', page.text, re.S)
    assert estimate and "310,000원" in estimate.group(1) and "정산 때 실비" in estimate.group(1)
    r = approver.post(
        f"/travel/{trip_id}/action",
        data={"csrf_token": csrf_of(page.text), "action": "reject", "reason": "일정 겹침"},
    )
    history = re.search(r'data-testid="history">(.*?)</ol>', r.text, re.S)
    assert history
    steps = re.findall(r"<strong>([^<]+)</strong>", history.group(1))
    assert steps == ["신청", "반려"] and "일정 겹침" in history.group(1)
    assert world.emps_a[0].name in history.group(1)  # who asked
