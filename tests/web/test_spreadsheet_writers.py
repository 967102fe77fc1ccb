"""Formula injection replayed against the web app's writers: the payment file (CSV, XLSX) and
the audit export keep a formula-shaped name as text."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import insert, select, update

from insa.people.models import Employee
from insa.security.models import AuditLog

from ..test_spreadsheets import EVIL, formulas
from .conftest import csrf_of
from .test_travel_receipts import make_trip


def test_the_payment_file_and_the_audit_export_keep_text_as_text(as_user, world) -> None:  # type: ignore[no-untyped-def]
    emp = world.emps_a[0]
    with world.engine.begin() as conn:
        conn.execute(update(Employee).where(Employee.id == emp.id).values(name=EVIL))
        conn.execute(insert(AuditLog).values(
            at=dt.datetime.now(dt.UTC), actor="=cmd|' /C calc'!A0", action="travel.reject_trip",
            detail={"reason": "@SUM(1+1)"},
        ))  # fmt: skip
    trip_id, _ = make_trip(world)
    traveller = as_user("emp-a")
    page = traveller.get(f"/travel/{trip_id}")
    traveller.post(f"/travel/{trip_id}/action", data={"csrf_token": csrf_of(page.text), "action": "settle"})  # fmt: skip
    fin = as_user("fin-a")
    page = fin.get("/travel/finance").text
    r = fin.post("/travel/finance/pay", data={"csrf_token": csrf_of(page), "trip_id": str(trip_id),
                                              "format": "xlsx"})  # fmt: skip
    assert r.status_code == 200 and formulas(r.content) == []
    again = fin.get("/travel/finance/payments", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(again.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + EVIL
    admin = as_user("admin")
    xlsx = admin.get("/audit/export.xlsx")
    text = admin.get("/audit/export.csv").content.decode("utf-8-sig")
    assert xlsx.status_code == 200 and formulas(xlsx.content) == []
    assert "'=cmd" in text and ",=cmd" not in text
    with world.engine.connect() as conn:
        assert conn.scalar(select(Employee.name).where(Employee.id == emp.id)) == EVIL
