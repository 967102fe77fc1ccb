"""Receipts in the web app (upload → OCR → confirm), the checks on the pages, the finance
officer's lists (refunds to collect, unmatched tickets, trips without tickets) and the XLSX
payment file."""

from __future__ import annotations

import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import insert, select

from insa.security.models import AuditLog
from insa.travel import service
from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip
from insa.travel.ocr import ReceiptFields, render_receipt, valid_brn

from .conftest import World, account_of, csrf_of


def make_trip(
    world: World, *, index: int = 0, agency: str = "a", state: str = "approved",
    start: dt.datetime = dt.datetime(2025, 3, 10, 8), end: dt.datetime = dt.datetime(2025, 3, 11, 19),
    transport: str = "rail",
) -> tuple[int, list[int]]:  # fmt: skip
    emp = (world.emps_a if agency == "a" else world.emps_b)[index]
    now = dt.datetime.now(dt.UTC)
    with world.engine.begin() as conn:
        key = conn.execute(
            insert(TravelTrip).values(
                employee_id=emp.id, agency_id=emp.agency_id, purpose="현장 점검", destination="부산광역시 연제구",
                region="metro", kind="outside", start_at=start, end_at=end, transport=transport,
                official_vehicle=False, band=2, state=state, created_at=now, updated_at=now,
            )
        ).inserted_primary_key  # fmt: skip
        assert key is not None
        trip_id = int(key[0])
        nights = []
        day = start.date()
        while day < end.date():
            n = conn.execute(
                insert(TravelNight).values(trip_id=trip_id, night=day, region="metro", lodging=0,
                                           relatives=False, unavoidable=False)
            ).inserted_primary_key  # fmt: skip
            assert n is not None
            nights.append(int(n[0]))
            day += dt.timedelta(days=1)
    return trip_id, nights


def png(fields: ReceiptFields) -> bytes:
    buf = io.BytesIO()
    render_receipt(fields, seed=3).save(buf, format="PNG")
    return buf.getvalue()


BRN = valid_brn(11)


def upload(client: TestClient, trip_id: int, data: bytes, night: int | None, name: str = "r.png"):  # type: ignore[no-untyped-def]
    page = client.get(f"/travel/{trip_id}")
    form = {"csrf_token": csrf_of(page.text), "kind": "lodging"}
    if night is not None:
        form["night_id"] = str(night)
    return client.post(f"/travel/{trip_id}/receipts", data=form, files={"file": (name, data)},
                       follow_redirects=False)  # fmt: skip


def test_receipt_upload_read_confirm_and_settle(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world)
    client: TestClient = as_user("emp-a")
    data = png(ReceiptFields("해운대 비즈니스호텔", BRN, dt.date(2025, 3, 10), 88_000))
    r = upload(client, trip_id, data, nights[0])
    assert r.status_code == 303
    receipt_url = r.headers["location"]
    page = client.get(receipt_url)
    # OCR read the fields and shows them, with a confidence, for the traveller to confirm
    assert 'value="2025-03-10"' in page.text and 'value="88,000"' in page.text
    assert f'value="{BRN[:3]}-{BRN[3:5]}-{BRN[5:]}"' in page.text
    assert re.search(r'data-testid="conf-total">인식 신뢰도 \d+%', page.text)
    # the original is stored byte for byte
    original = client.get(f"{receipt_url}/original")
    assert original.content == data and original.headers["content-type"] == "image/png"
    # unconfirmed receipts block the settlement
    trip_page = client.get(f"/travel/{trip_id}")
    assert "확인 필요" in trip_page.text
    r = client.post(f"/travel/{trip_id}/action",
                    data={"csrf_token": csrf_of(trip_page.text), "action": "settle"})  # fmt: skip
    assert r.status_code == 409 and "확인하지 않은 영수증" in r.text
    # the traveller corrects the total (read 88,000; the room was 86,000) and confirms
    form = {"csrf_token": csrf_of(page.text), "kind": "lodging", "night_id": str(nights[0]),
            "date": "2025-03-10", "total": "86,000", "merchant": "해운대 비즈니스호텔",
            "brn": BRN, "approval_no": "12345678", "action": "confirm"}  # fmt: skip
    r = client.post(receipt_url, data=form, follow_redirects=False)
    assert r.status_code == 303
    trip_page = client.get(f"/travel/{trip_id}")
    total = re.search(r'data-testid="total">([\d,]+)<', trip_page.text)
    # one metro night: 80,000 cap < 86,000; 2 days × (25,000 + 25,000)
    assert total and int(total.group(1).replace(",", "")) == 80_000 + 100_000
    assert "숙박비가 상한을 넘음 (1번째)" in trip_page.text
    r = client.post(f"/travel/{trip_id}/action", follow_redirects=False,
                    data={"csrf_token": csrf_of(trip_page.text), "action": "settle"})  # fmt: skip
    assert r.status_code == 303
    # settled: no more receipts, no corrections
    assert upload(client, trip_id, data, nights[0]).status_code == 409
    assert client.post(receipt_url, data=form).status_code == 409
    with world.engine.connect() as conn:
        row = conn.execute(select(TravelReceipt.total, TravelReceipt.confirmed,
                                  TravelReceipt.receipt_key)).one()  # fmt: skip
        assert row == (86_000, True, f"{BRN}:2025-03-10:86000")
        audit = conn.execute(
            select(AuditLog.action, AuditLog.detail).where(AuditLog.action.like("travel.%receipt"))
        ).all()
    actions = [a for a, _ in audit]
    assert "travel.upload_receipt" in actions and "travel.confirm_receipt" in actions
    confirm_detail = next(str(d) for a, d in audit if a == "travel.confirm_receipt")
    assert "total" in confirm_detail and "86000" not in confirm_detail  # names, never values

    # the finance officer sees the receipt counted as never printed
    fin = as_user("fin-a")
    page = fin.get("/travel/finance")
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page.text),
                                              "trip_id": str(trip_id), "format": "xlsx"})  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    emp = world.emps_a[0]
    code, bank, number, holder = account_of(world, emp.id)
    assert rows[0] == (
        "직원번호",
        "성명",
        "은행코드",
        "은행",
        "계좌번호",
        "예금주",
        "지급액(원)",
        "적요",
    )
    assert rows[1][:7] == (emp.employee_no, emp.name, code, bank, number, holder, 180_000)
    assert rows[2] == ("합계", "1건", None, None, None, None, 180_000, None) and len(rows) == 3
    # the payment file again, for the day it was paid (Korean time)
    today = service.today_kst().isoformat()
    again = fin.get(f"/travel/finance/payments?on={today}")
    assert (
        again.status_code == 200
        and f"{emp.employee_no},{emp.name},{code},{bank},{number},{holder},180000,"
        in again.content.decode("utf-8-sig")
    )
    assert emp.employee_no not in fin.get("/travel/finance/payments?on=2020-01-01").text
    dash = fin.get("/travel/finance").text
    paperless = re.search(r'data-testid="counters">.*?<td class="num">[\d.]+</td><td class="num">(\d+)</td>',
                          dash, re.S)  # fmt: skip
    assert paperless and paperless.group(1) == "1"


def test_bad_uploads_are_refused_with_a_reason(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world)
    client: TestClient = as_user("emp-a")
    r = upload(client, trip_id, b"hello, not an image", nights[0], name="note.txt")
    assert r.status_code == 422 and "JPEG, PNG 또는 PDF" in r.text
    r = upload(client, trip_id, b"%PDF-1.4\n%%EOF\n", nights[0], name="scan.pdf")
    assert r.status_code == 422 and "사진으로" in r.text
    # a night of another trip
    other, other_nights = make_trip(world, start=dt.datetime(2025, 4, 1, 8),
                                    end=dt.datetime(2025, 4, 2, 19))  # fmt: skip
    data = png(ReceiptFields("호텔", BRN, dt.date(2025, 3, 10), 70_000))
    r = upload(client, trip_id, data, other_nights[0])
    assert r.status_code == 422 and "숙박일" in r.text
    # htmx: the error is returned as a fragment beside the form
    page = client.get(f"/travel/{trip_id}")
    r = client.post(f"/travel/{trip_id}/receipts", headers={"HX-Request": "true"},
                    data={"csrf_token": csrf_of(page.text), "kind": "lodging"},
                    files={"file": ("x.txt", b"plain")})  # fmt: skip
    assert r.status_code == 200 and r.text.startswith('<p class="alert"')
    r = client.post(f"/travel/{trip_id}/receipts", headers={"HX-Request": "true"},
                    data={"csrf_token": csrf_of(page.text), "kind": "lodging", "night_id": str(nights[0])},
                    files={"file": ("r.png", data)})  # fmt: skip
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith(
        f"/travel/{trip_id}/receipts/"
    )
    receipt_url = r.headers["HX-Redirect"]
    page = client.get(receipt_url)
    bad = {"csrf_token": csrf_of(page.text), "kind": "lodging", "night_id": str(nights[0]),
           "date": "2025-03-10", "total": "7만원", "brn": BRN, "action": "confirm"}  # fmt: skip
    r = client.post(receipt_url, data=bad)
    assert r.status_code == 422 and "합계" in r.text
    r = client.post(receipt_url, data={**bad, "total": "70000", "brn": "000-00-00000"})
    assert r.status_code == 422 and "사업자등록번호" in r.text
    r = client.post(receipt_url, data={**bad, "total": "70000", "date": "2025-13-01"})
    assert r.status_code == 422 and "날짜" in r.text
    # nobody else sees the original: another agency's officer, or the approver of another trip
    assert as_user("hr-b").get(f"{receipt_url}/original").status_code == 404
    # delete
    client = as_user("emp-a")
    page = client.get(receipt_url)
    r = client.post(receipt_url, data={"csrf_token": csrf_of(page.text), "action": "delete"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and client.get(receipt_url).status_code == 404


def _receipt(world: World, trip_id: int, key: str, day: dt.date, total: int = 70_000) -> None:
    with world.engine.begin() as conn:
        conn.execute(insert(TravelReceipt).values(
            trip_id=trip_id, kind="lodging", filename="r.png", content_type="image/png",
            sha256=key[-64:].rjust(64, "0"), original=b"\x89PNG\r\n\x1a\n", ocr="{}", date=day,
            total=total, merchant="호텔", brn=BRN, approval_no="1", receipt_key=key, confirmed=True,
            created_at=dt.datetime.now(dt.UTC),
        ))  # fmt: skip


def test_checks_on_the_approver_and_finance_pages(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    # on 2025-03-03 (대체공휴일 for 삼일절), overlapping another trip of the same person
    holiday, _ = make_trip(world, state="requested", start=dt.datetime(2025, 3, 3, 8),
                           end=dt.datetime(2025, 3, 3, 18))  # fmt: skip
    overlapping, _ = make_trip(world, state="approved", start=dt.datetime(2025, 3, 3, 15),
                               end=dt.datetime(2025, 3, 4, 18))  # fmt: skip
    approver: TestClient = as_user("appr-a")
    page = approver.get("/travel/approvals").text
    checks = re.search(rf'data-testid="checks-{holiday}">(.*?)</ul>', page, re.S)
    assert checks and "공휴일" in checks.group(1) and f"#{overlapping}" in checks.group(1)
    # flagged for a look: not pre-selected for bulk approval
    box = re.search(rf'<input type="checkbox" name="trip_id" value="{holiday}"([^>]*)>', page)
    assert box and "checked" not in box.group(1)

    # the same receipt claimed on two trips by two people, and a receipt outside its trip
    mine, _ = make_trip(world, state="settled", start=dt.datetime(2025, 5, 12, 8),
                        end=dt.datetime(2025, 5, 13, 18))  # fmt: skip
    theirs, _ = make_trip(world, index=1, state="settled", start=dt.datetime(2025, 5, 12, 8),
                          end=dt.datetime(2025, 5, 13, 18))  # fmt: skip
    key = f"{BRN}:2025-05-12:70000:99"
    _receipt(world, mine, key, dt.date(2025, 5, 12))
    _receipt(world, theirs, key, dt.date(2025, 5, 12))
    _receipt(world, mine, f"{BRN}:2025-05-20:50000:7", dt.date(2025, 5, 20))
    fin: TestClient = as_user("fin-a")
    page = fin.get("/travel/finance").text
    mine_checks = re.search(rf'data-testid="checks-{mine}">(.*?)</ul>', page, re.S)
    assert mine_checks
    assert "다른 사람의 다른 출장 1건" in mine_checks.group(1)
    assert "2025-05-20" in mine_checks.group(1) and "출장 기간" in mine_checks.group(1)
    theirs_checks = re.search(rf'data-testid="checks-{theirs}">(.*?)</ul>', page, re.S)
    assert theirs_checks and "2025-05-20" not in theirs_checks.group(1)
    # a cancelled trip no longer counts: the other claim disappears
    with world.engine.begin() as conn:
        conn.execute(TravelTrip.__table__.update().where(TravelTrip.id == theirs)
                     .values(state="cancelled"))  # fmt: skip
    page = fin.get("/travel/finance").text
    mine_checks = re.search(rf'data-testid="checks-{mine}">(.*?)</ul>', page, re.S)
    assert mine_checks and "다른 사람" not in mine_checks.group(1)


def _ticket(world: World, ticket_id: str, employee_no: str, trip_id: int | None,
            status: str = "issued") -> None:  # fmt: skip
    with world.engine.begin() as conn:
        conn.execute(insert(TravelTicket).values(
            trip_id=trip_id, operator="KORAIL", ticket_id=ticket_id, passenger_key=employee_no,
            mode="rail", seat_class="standard", from_station="서울", to_station="부산",
            departure=dt.datetime(2025, 6, 2, 8), arrival=dt.datetime(2025, 6, 2, 11), fare=59_800,
            status=status, event_at=dt.datetime(2025, 5, 30, 9),
        ))  # fmt: skip


def test_finance_lists_refunds_unmatched_and_missing_tickets(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    no_a, no_b = world.emps_a[0].employee_no, world.emps_b[0].employee_no
    cancelled, _ = make_trip(world, state="cancelled", start=dt.datetime(2025, 6, 2, 7),
                             end=dt.datetime(2025, 6, 2, 20))  # fmt: skip
    _ticket(world, "T-CANCEL-1", no_a, cancelled)
    _ticket(world, "T-CANCEL-2", no_a, cancelled, status="refunded")  # already refunded
    _ticket(world, "T-LOOSE", no_a, None)
    _ticket(world, "T-OTHER-AGENCY", no_b, None)
    no_ticket, _ = make_trip(world, state="approved", start=dt.datetime(2025, 6, 9, 7),
                             end=dt.datetime(2025, 6, 9, 20))  # fmt: skip
    by_car, _ = make_trip(world, state="approved", transport="car",
                          start=dt.datetime(2025, 6, 10, 7), end=dt.datetime(2025, 6, 10, 20))  # fmt: skip
    page = as_user("fin-a").get("/travel/finance").text
    refunds = re.search(r'data-testid="refunds">(.*?)</table>', page, re.S)
    assert refunds and "T-CANCEL-1" in refunds.group(1) and "T-CANCEL-2" not in refunds.group(1)
    unmatched = re.search(r'data-testid="unmatched">(.*?)</table>', page, re.S)
    assert unmatched and "T-LOOSE" in unmatched.group(1)
    assert "T-OTHER-AGENCY" not in page  # another agency's traveller
    missing = re.search(r'data-testid="missing">(.*?)</ul>', page, re.S)
    assert missing and f"/travel/{no_ticket}" in missing.group(1)
    assert f"/travel/{by_car}" not in missing.group(1)
    assert "T-LOOSE" not in as_user("hr-b").get("/travel/finance").text


def test_request_form_is_prefilled_from_the_profile(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("emp-a")
    page = client.get("/travel").text
    profile = re.search(r'data-testid="profile">([^<]+)<', page)
    assert profile and world.emps_a[0].name in profile.group(1) and "여비 제" in profile.group(1)
    client.post("/travel", data={
        "csrf_token": csrf_of(page), "purpose": "협의", "destination": "대전광역시 서구 청사로 189",
        "start": "2025-07-01T09:30", "end": "2025-07-01T17:00", "transport": "bus",
    })  # fmt: skip
    page = client.get("/travel").text
    assert 'value="대전광역시 서구 청사로 189"' in page
    assert '<option value="bus" selected>' in page
    assert re.search(r'id="start"[^>]*value="[\d-]+T09:30"', page)


def test_unavoidable_overage_is_paid_up_to_three_tenths(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    trip_id, nights = make_trip(world)  # one night in a metropolitan city, band 2
    client: TestClient = as_user("emp-a")
    page = client.get(f"/travel/{trip_id}")
    form = {"csrf_token": csrf_of(page.text), f"lodging-{nights[0]}": "110,000"}
    client.post(f"/travel/{trip_id}/nights", data=form)
    total = re.search(r'data-testid="total">([\d,]+)<', client.get(f"/travel/{trip_id}").text)
    assert total and total.group(1) == "180,000"  # 80,000 cap + 2 × 50,000
    client.post(f"/travel/{trip_id}/nights", data={**form, f"unavoidable-{nights[0]}": "1"})
    page = client.get(f"/travel/{trip_id}")
    total = re.search(r'data-testid="total">([\d,]+)<', page.text)
    # cap 80,000 + 3/10 × 80,000 = 104,000 < 110,000 paid
    assert total and total.group(1) == "204,000"
    assert f'name="unavoidable-{nights[0]}" value="1" checked' in page.text
