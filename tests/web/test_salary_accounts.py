"""Salary accounts on the pages: shown masked to the employee and their HR officer, changed by
either with a message, refused beside the field; a trip whose traveller has no account is not
offered for payment and cannot be paid; the payment file goes to the account on file."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from insa.people.models import SalaryAccount
from insa.security.models import AuditLog
from insa.travel.models import TravelTrip

from .conftest import World, account_of, csrf_of
from .test_travel_receipts import make_trip


def _change(client: TestClient, emp_id: int, **form: str) -> tuple[int, str]:
    page = client.get("/")  # a token of the caller's own, whatever the employee
    r = client.post(f"/employees/{emp_id}/account", data={"csrf_token": csrf_of(page.text), **form})
    return r.status_code, r.text


def test_the_account_is_shown_masked_and_changed_by_its_owner(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    me = world.emps_a[0]
    code, bank, number, _ = account_of(world, me.id)
    emp: TestClient = as_user("emp-a")
    page = emp.get(f"/employees/{me.id}").text
    shown = re.search(r'data-testid="account">(.*?)</p>', page, re.S)
    assert shown and bank in shown.group(1) and number[-4:] in shown.group(1)
    assert number not in page and number[:-4] not in page
    status, text = _change(emp, me.id, bank="090", number="3333-01-2345678")
    assert status == 200 and "급여계좌를 카카오뱅크 *********5678(으)로 바꿨습니다." in text
    assert account_of(world, me.id) == ("090", "카카오뱅크", "3333012345678", me.name)
    # a bad number: the error beside the field, the page kept, the number never echoed
    status, text = _change(emp, me.id, bank="090", number="3333-01-23", holder="홍길동")
    assert status == 422 and 'data-testid="account-error"' in text
    assert "10~16자리" in text and "3333-01-23" not in text and 'value="홍길동"' in text
    assert account_of(world, me.id)[2] == "3333012345678"
    # someone else's account: not the employee's to see or change
    other = world.emps_a[1]
    assert emp.get(f"/employees/{other.id}").status_code == 404
    assert _change(emp, other.id, bank="004", number="1234567890")[0] == 404
    with world.engine.connect() as conn:
        audit = conn.execute(select(AuditLog.action, AuditLog.detail)
                             .where(AuditLog.action.like("people.%account%"))).all()  # fmt: skip
    assert ("people.change_account", {"bank": "090", "own": 1}) in [(a, d) for a, d in audit]
    assert "3333012345678" not in str(audit)
    del code


def test_hr_changes_the_accounts_of_its_agency_only(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    hr: TestClient = as_user("hr-a")
    emp = world.emps_a[2]
    status, _ = _change(hr, emp.id, bank="신한", number="110-123-456789", holder="")
    assert status == 200 and account_of(world, emp.id) == (
        "088",
        "신한은행",
        "110123456789",
        emp.name,
    )
    assert _change(as_user("hr-b"), emp.id, bank="004", number="1234567890")[0] == 404
    # an approver sees the employee but not the account
    page = as_user("appr-a").get(f"/employees/{emp.id}").text
    assert "급여계좌" not in page


def test_no_account_no_payment_and_the_file_goes_to_the_account(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    me = world.emps_a[0]
    trip_id, _ = make_trip(world)
    traveller: TestClient = as_user("emp-a")
    page = traveller.get(f"/travel/{trip_id}")
    traveller.post(f"/travel/{trip_id}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"})  # fmt: skip
    with world.engine.begin() as conn:
        conn.execute(delete(SalaryAccount).where(SalaryAccount.employee_id == me.id))
    fin: TestClient = as_user("fin-a")
    page = fin.get("/travel/finance").text
    assert f'data-testid="no-account-{trip_id}"' in page
    box = re.search(rf'<input type="checkbox" name="trip_id" value="{trip_id}"[^>]*>', page)
    assert box and "checked" not in box.group(0)  # not offered
    assert 'data-testid="selection-total"' in page
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page), "trip_id": str(trip_id)})
    assert (
        r.status_code == 409
        and "급여계좌가 등록되지 않은 출장자가 있어 지급하지 않았습니다" in r.text
    )
    assert me.name in r.text
    with world.engine.connect() as conn:
        assert conn.scalar(select(TravelTrip.state).where(TravelTrip.id == trip_id)) == "settled"
    # the traveller registers an account; the trip is offered, with its total, and paid to it
    assert _change(as_user("emp-a"), me.id, bank="우체국", number="012345-01-234567")[0] == 200
    fin = as_user("fin-a")
    page = fin.get("/travel/finance").text
    box = re.search(rf'<input type="checkbox" name="trip_id" value="{trip_id}"[^>]*>', page)
    assert box and "checked" in box.group(0) and 'data-amount="100000"' in box.group(0)
    assert re.search(r'data-testid="selection-total"[^>]*>선택 1건 · 합계 100,000원<', page)
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page), "trip_id": str(trip_id)})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][2:6] == ["071", "우체국", "01234501234567", me.name]
    assert rows[-1][:2] == ["합계", "1건"] and rows[-1][6] == "100000"
