"""Money stays right when things go wrong: bulk actions are all or nothing, receipts moved or
removed take their lodging with them, tickets changed after settlement or payment are followed,
duplicates are found, and bad input is refused with a reason."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import insert, select

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.travel import feeds, service
from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip
from insa.travel.tickets import TicketEvent

from .conftest import World, csrf_of
from .test_travel_receipts import BRN, _ticket, make_trip


def _total(client: TestClient, trip_id: int) -> int:
    m = re.search(r'data-testid="total">([\d,]+)<', client.get(f"/travel/{trip_id}").text)
    assert m
    return int(m.group(1).replace(",", ""))


def _receipt(world: World, trip_id: int, night: int | None, *, kind: str = "lodging",
             total: int = 70_000, day: dt.date = dt.date(2025, 3, 10), approval: str = "",
             confirmed: bool = False) -> int:  # fmt: skip
    with world.engine.begin() as conn:
        key = conn.execute(insert(TravelReceipt).values(
            trip_id=trip_id, night_id=night, kind=kind, filename="r.png", content_type="image/png",
            sha256="a" * 64, original=b"\x89PNG\r\n\x1a\n", ocr="{}", date=day, total=total,
            brn=BRN, approval_no=approval or None, receipt_key=f"{BRN}:{day}:{total}",
            confirmed=confirmed, created_at=dt.datetime.now(dt.UTC),
        )).inserted_primary_key  # fmt: skip
    assert key is not None
    return int(key[0])


def _confirm(client: TestClient, trip_id: int, rid: int, **over: str) -> int:
    page = client.get(f"/travel/{trip_id}/receipts/{rid}")
    form = {"csrf_token": csrf_of(page.text), "kind": "lodging", "date": "2025-03-10",
            "total": "70000", "merchant": "호텔", "brn": BRN, "action": "confirm", **over}  # fmt: skip
    return client.post(
        f"/travel/{trip_id}/receipts/{rid}", data=form, follow_redirects=False
    ).status_code


def test_a_refused_bulk_payment_changes_nothing(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    a, _ = make_trip(world, state="settled")
    b, _ = make_trip(world, state="paid", start=dt.datetime(2025, 4, 1, 8), end=dt.datetime(2025, 4, 2, 19))  # fmt: skip
    fin: TestClient = as_user("fin-a")
    page = fin.get("/travel/finance")
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page.text), "trip_id": [str(a), str(b)]})  # fmt: skip
    assert r.status_code == 409
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.state).where(TravelTrip.id == a)) == "settled"


def test_moving_or_removing_a_lodging_receipt_takes_its_amount_along(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world, end=dt.datetime(2025, 3, 12, 19))  # two metro nights
    client: TestClient = as_user("emp-a")
    rid = _receipt(world, trip_id, nights[0])
    assert _confirm(client, trip_id, rid, night_id=str(nights[0])) == 303
    assert _total(client, trip_id) == 3 * 50_000 + 70_000
    assert _confirm(client, trip_id, rid, night_id=str(nights[1]), date="2025-03-11") == 303
    with world.engine.connect() as conn:
        lodging = conn.scalars(select(TravelNight.lodging).where(TravelNight.trip_id == trip_id)
                               .order_by(TravelNight.night)).all()  # fmt: skip
    assert lodging == [0, 70_000]
    assert _confirm(client, trip_id, rid, kind="taxi", date="2025-03-11") == 303
    assert _total(client, trip_id) == 3 * 50_000
    rid2 = _receipt(world, trip_id, nights[0])
    assert _confirm(client, trip_id, rid2, night_id=str(nights[0])) == 303
    page = client.get(f"/travel/{trip_id}/receipts/{rid2}")
    client.post(f"/travel/{trip_id}/receipts/{rid2}", data={"csrf_token": csrf_of(page.text), "action": "delete"})  # fmt: skip
    assert _total(client, trip_id) == 3 * 50_000
    # a lodging or fare receipt needs the merchant's registration number
    rid3 = _receipt(world, trip_id, nights[0])
    assert _confirm(client, trip_id, rid3, night_id=str(nights[0]), brn="") == 422


def test_duplicates_and_unsupported_lodging_are_checked(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world, end=dt.datetime(2025, 3, 12, 19))
    client: TestClient = as_user("emp-a")
    # one receipt uploaded twice for both nights; the approval number left blank on one
    r1, r2 = (
        _receipt(world, trip_id, nights[0], approval="555"),
        _receipt(world, trip_id, nights[1]),
    )
    assert _confirm(client, trip_id, r1, night_id=str(nights[0]), approval_no="555") == 303
    assert _confirm(client, trip_id, r2, night_id=str(nights[1])) == 303
    # a bus fare receipt for the journey the operator's feed already has
    _ticket(world, "T-BUS", world.emps_a[0].employee_no, trip_id)
    with world.engine.begin() as conn:
        conn.execute(TravelTicket.__table__.update().where(TravelTicket.ticket_id == "T-BUS")
                     .values(mode="bus", fare=23_000, departure=dt.datetime(2025, 3, 10, 8)))  # fmt: skip
    r3 = _receipt(world, trip_id, None, kind="bus", total=23_000)
    assert _confirm(client, trip_id, r3, kind="bus", total="23000") == 303
    page = client.get(f"/travel/{trip_id}").text
    checks = re.search(r'data-testid="checks">(.*?)</ul>', page, re.S)
    assert checks
    assert "이 출장에 두 번 이상 청구됨" in checks.group(1)
    assert "운송사 자료에도 있음" in checks.group(1)
    # lodging typed in without a receipt
    other, other_nights = make_trip(world, start=dt.datetime(2025, 5, 1, 8), end=dt.datetime(2025, 5, 2, 19))  # fmt: skip
    page = client.get(f"/travel/{other}").text
    client.post(f"/travel/{other}/nights", data={"csrf_token": csrf_of(page), f"lodging-{other_nights[0]}": "60000"})  # fmt: skip
    assert "숙박비 60,000원에 영수증이 없음" in client.get(f"/travel/{other}").text
    # once a trip has lodging receipts, a typed amount does not replace them
    before = _total(client, trip_id)
    page = client.get(f"/travel/{trip_id}").text
    assert "숙박비는 확인한 숙박 영수증에서 옵니다" in page
    client.post(f"/travel/{trip_id}/nights", data={"csrf_token": csrf_of(page), f"lodging-{nights[0]}": "90000"})  # fmt: skip
    assert _total(client, trip_id) == before


def _event(world: World, tid: str, status: str, at: str) -> TicketEvent:
    return TicketEvent.model_validate({
        "ticket_id": tid, "operator": "KORAIL", "passenger_key": world.emps_a[0].employee_no,
        "mode": "rail", "class": "standard", "from_station": "서울", "to_station": "부산",
        "departure": "2025-03-10T08:00", "arrival": "2025-03-10T10:40", "fare": 59_800,
        "status": status, "issued_at": "2025-03-01T09:00",
        **({"refunded_at": at} if status == "refunded" else {}),
    })  # fmt: skip


def test_tickets_refunded_after_settlement_or_payment(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, _ = make_trip(world)
    with session_scope(world.engine) as db:
        report = feeds.import_tickets(Ctx.command_line(db), [_event(world, "K1", "issued", "")])
    assert report["linked"] == 1
    client: TestClient = as_user("emp-a")
    assert _total(client, trip_id) == 59_800 + 100_000
    page = client.get(f"/travel/{trip_id}")
    client.post(f"/travel/{trip_id}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"})  # fmt: skip
    # refunded after settlement, before payment: the fixed amounts follow
    with session_scope(world.engine) as db:
        report = feeds.import_tickets(Ctx.command_line(db), [_event(world, "K1", "refunded", "2025-03-09T10:00")])  # fmt: skip
    assert report["resettled"] == [trip_id]
    fin: TestClient = as_user("fin-a")
    page = fin.get("/travel/finance")
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page.text), "trip_id": str(trip_id)})  # fmt: skip
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs read the Korean
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0]["지급액(원)"] == "100000"

    # a second trip paid with its ticket, then the ticket refunded: money to recover
    paid_id, _ = make_trip(world, start=dt.datetime(2025, 6, 2, 7), end=dt.datetime(2025, 6, 2, 20))
    ev = _event(world, "K2", "issued", "").model_copy(update={
        "departure": dt.datetime(2025, 6, 2, 8), "arrival": dt.datetime(2025, 6, 2, 10, 40)})  # fmt: skip
    with session_scope(world.engine) as db:
        feeds.import_tickets(Ctx.command_line(db), [ev])
    client = as_user("emp-a")  # one test client: logging in switches the user
    page = client.get(f"/travel/{paid_id}")
    client.post(f"/travel/{paid_id}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"})  # fmt: skip
    fin = as_user("fin-a")
    page = fin.get("/travel/finance")
    fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page.text), "trip_id": str(paid_id)})  # fmt: skip
    refund = ev.model_copy(update={"status": "refunded", "refunded_at": dt.datetime(2025, 6, 1, 9)})
    with session_scope(world.engine) as db:
        feeds.import_tickets(Ctx.command_line(db), [refund])
    page = fin.get("/travel/finance").text
    overpaid = re.search(r'data-testid="overpaid">(.*?)</table>', page, re.S)
    assert overpaid and f"/travel/{paid_id}" in overpaid.group(1) and "59,800" in overpaid.group(1)
    assert "59,800원 환수 필요" in fin.get(f"/travel/{paid_id}").text
    # the finance officer records the money recovered: no more than is owed, then it is settled
    form = {"csrf_token": csrf_of(page), "trip_id": str(paid_id)}
    r = fin.post("/travel/finance/recover", data={**form, "amount": "60000"})
    assert r.status_code == 422 and "59,800원 이하" in r.text
    r = fin.post(
        "/travel/finance/recover", data={**form, "amount": "50,000"}, follow_redirects=False
    )
    assert r.status_code == 303
    overpaid = re.search(
        r'data-testid="overpaid">(.*?)</table>', fin.get("/travel/finance").text, re.S
    )
    assert overpaid and "9,800" in overpaid.group(1)
    fin.post("/travel/finance/recover", data={**form, "amount": "9800"})
    assert 'data-testid="overpaid"' not in fin.get("/travel/finance").text
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.recovered).where(TravelTrip.id == paid_id)) == 59_800
    other = as_user("hr-b")  # another agency, and no payment permission: refused
    token = csrf_of(other.get("/").text)
    r = other.post("/travel/finance/recover", data={"csrf_token": token, "trip_id": str(paid_id), "amount": "1"})  # fmt: skip
    assert r.status_code == 403


def test_bad_input_is_refused_with_a_reason(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("emp-a")
    home = client.get("/travel").text
    base = {"csrf_token": csrf_of(home), "purpose": "장기 파견", "destination": "부산광역시"}
    r = client.post(
        "/travel", data={**base, "start": "2025-03-10T08:00", "end": "2035-03-10T08:00"}
    )
    assert r.status_code == 422 and "366일" in r.text
    r = client.post(
        "/travel", data={**base, "start": "9000-03-10T08:00", "end": "9000-03-11T08:00"}
    )
    assert r.status_code == 422 and "2년" in r.text
    # a trip within the duty station has no nights
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = client.post("/travel", data={**base, "kind": "within", "start": f"{day}T09:00",
                                     "end": f"{day}T15:00"}, follow_redirects=False)  # fmt: skip
    within = int(r.headers["location"].rsplit("/", 1)[1])
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.kind).where(TravelTrip.id == within)) == "within"
        assert conn.scalars(select(TravelNight.id).where(TravelNight.trip_id == within)).all() == []
    # amounts beyond the computation's bound, and a malformed field name
    trip_id, nights = make_trip(world)
    page = client.get(f"/travel/{trip_id}").text
    r = client.post(f"/travel/{trip_id}/nights", data={"csrf_token": csrf_of(page), f"lodging-{nights[0]}": "999999999"})  # fmt: skip
    assert r.status_code == 422 and "100,000,000원 이하" in r.text
    r = client.post(f"/travel/{trip_id}/nights", data={"csrf_token": csrf_of(page), "lodging-x": "1"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    # a decompression bomb: a small file of a huge image
    buf = io.BytesIO()
    Image.new("L", (9000, 9000), 255).save(buf, format="PNG")
    r = client.post(f"/travel/{trip_id}/receipts", data={"csrf_token": csrf_of(page), "kind": "lodging",
                    "night_id": str(nights[0])}, files={"file": ("big.png", buf.getvalue())})  # fmt: skip
    assert r.status_code == 422 and "너무 큽니다" in r.text
    # a body over the limit is refused before it is read
    r = client.post(f"/travel/{trip_id}/receipts", data={"csrf_token": csrf_of(page), "kind": "lodging"},
                    files={"file": ("huge.jpg", b"\xff\xd8\xff" + b"0" * (13 * 2**20))})  # fmt: skip
    assert r.status_code == 413
    # …and when it comes in chunks without a declared length, counted as it arrives

    def chunks():  # type: ignore[no-untyped-def]
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n'
        for _ in range(13):
            yield b"0" * 2**20
        yield b"\r\n--B--\r\n"

    r = client.post(f"/travel/{trip_id}/receipts", content=chunks(),
                    headers={"content-type": "multipart/form-data; boundary=B"})  # fmt: skip
    assert r.status_code == 413


def test_payment_month_is_korean_time() -> None:
    # paid at 23:30 UTC on 31 March = 08:30 on 1 April in Seoul
    assert service.in_kst(dt.datetime(2025, 3, 31, 23, 30)).strftime("%Y-%m") == "2025-04"


def test_two_within_station_trips_on_one_day_are_checked(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for hours in ((9, 12), (14, 18)):
        trip_id, _ = make_trip(world, state="requested", start=dt.datetime(2025, 3, 12, hours[0]),
                               end=dt.datetime(2025, 3, 12, hours[1]))  # fmt: skip
        with world.engine.begin() as conn:
            conn.execute(
                TravelTrip.__table__.update().where(TravelTrip.id == trip_id).values(kind="within")
            )
        ids.append(trip_id)
    page = as_user("appr-a").get("/travel/approvals").text
    for trip_id in ids:
        checks = re.search(rf'data-testid="checks-{trip_id}">(.*?)</ul>', page, re.S)
        assert checks and "근무지 내 출장 2건" in checks.group(1)


def test_one_hotel_bill_for_every_night_and_round_trip_fares(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world, end=dt.datetime(2025, 3, 12, 19))  # two metro nights
    client: TestClient = as_user("emp-a")
    rid = _receipt(world, trip_id, None, total=150_001)
    assert _confirm(client, trip_id, rid, night_id="all", total="150001") == 303
    with world.engine.connect() as conn:
        lodging = conn.scalars(select(TravelNight.lodging).where(TravelNight.trip_id == trip_id)
                               .order_by(TravelNight.night)).all()  # fmt: skip
    assert lodging == [75_001, 75_000]  # shared equally, the odd won to the first night
    # caps 80,000 a night: both nights paid in full
    assert _total(client, trip_id) == 3 * 50_000 + 75_001 + 75_000
    # there and back by bus on one day, same fare, paid in cash: two tickets, not a duplicate
    a = _receipt(world, trip_id, None, kind="bus", total=23_000, day=dt.date(2025, 3, 10))
    with world.engine.begin() as conn:
        conn.execute(
            TravelReceipt.__table__.update().where(TravelReceipt.id == a).values(sha256="c" * 64)
        )
    b = _receipt(world, trip_id, None, kind="bus", total=23_000, day=dt.date(2025, 3, 10))
    for r in (a, b):
        assert _confirm(client, trip_id, r, kind="bus", total="23000") == 303
    page = client.get(f"/travel/{trip_id}").text
    assert "두 번 이상 청구" not in page and "영수증이 없음" not in page
    assert _total(client, trip_id) == 3 * 50_000 + 150_001 + 2 * 23_000


def test_a_ticket_stays_with_the_trip_it_was_paid_with(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    a, _ = make_trip(world, start=dt.datetime(2025, 3, 10, 7), end=dt.datetime(2025, 3, 10, 20))
    with session_scope(world.engine) as db:
        feeds.import_tickets(Ctx.command_line(db), [_event(world, "K3", "issued", "")])
    with world.engine.begin() as conn:
        conn.execute(TravelTrip.__table__.update().where(TravelTrip.id == a)
                     .values(state="paid", total=109_800, fare=59_800))  # fmt: skip
    b, _ = make_trip(world, start=dt.datetime(2025, 3, 20, 7), end=dt.datetime(2025, 3, 20, 20))
    moved = _event(world, "K3", "changed", "").model_copy(update={
        "departure": dt.datetime(2025, 3, 20, 8), "arrival": dt.datetime(2025, 3, 20, 10, 40),
        "changed_at": dt.datetime(2025, 3, 15, 9)})  # fmt: skip
    with session_scope(world.engine) as db:
        report = feeds.import_tickets(Ctx.command_line(db), [moved])
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTicket.trip_id).where(TravelTicket.ticket_id == "K3")) == a
    assert b in report["trips_without_tickets"]  # B's fare is not paid from A's ticket
