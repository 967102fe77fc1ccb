"""The finance dashboard's counters count the trips' step events; migration 0008 fills them
from the audit log (which the counters read until then), so an upgraded database keeps its
counts. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, inspect, select

from insa.db.engine import session_scope
from insa.db.migrate import downgrade, upgrade
from insa.people.models import Agency, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.auth import principal_for
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog
from insa.security.users import assign, create_user
from insa.travel import counters, finance, service
from insa.travel.models import TravelStepEvent, TravelTrip

# what the counters counted in the audit log before 0008
AUDITED_STEPS = ("travel.request_trip", "travel.approve_trip", "travel.settle_trip",
                 "travel.pay_trip", "travel.update_settlement")  # fmt: skip


def _users(db: Any) -> tuple[Ctx, Ctx, Ctx]:
    no, code = db.execute(
        select(Employee.employee_no, Agency.code)
        .join(Agency, Agency.id == Employee.agency_id)
        .where(Employee.status == "active")
        .order_by(Employee.id)
        .limit(1)
    ).one()
    op = Ctx.command_line(db)
    users = [
        create_user(op, username="t-emp", role="employee", password="pw-123456789", employee_no=no),
        create_user(op, username="t-appr", role="approver", password="pw-123456789", agency_code=code),
        create_user(op, username="t-fin", role="finance_officer", password="pw-123456789", agency_code=code),
    ]  # fmt: skip
    assign(op, approver="t-appr", employee_nos=[no])
    emp, appr, fin = (Ctx(db, principal_for(db, u, None)) for u in users)
    return emp, appr, fin


def _trip(ctx: Ctx, days_ago: int) -> TravelTrip:
    start = dt.datetime.combine(dt.date.today() - dt.timedelta(days=days_ago), dt.time(8))
    return service.request_trip(
        ctx, purpose="업무 협의", destination="부산광역시 연제구 중앙대로 1001", start=start,
        end=start + dt.timedelta(days=1, hours=10), transport="rail", official_vehicle=False,
    )  # fmt: skip


def _audited_steps(db: Any, trip_ids: list[int]) -> int:
    return int(
        db.scalar(
            select(func.count()).where(
                AuditLog.target_type == "travel_trip",
                AuditLog.target_id.in_([str(t) for t in trip_ids]),
                AuditLog.action.in_(AUDITED_STEPS),
            )
        )
    )


def test_counters_before_and_after_the_step_events_migration(
    migrated: Engine, cipher: RRNCipher
) -> None:
    seed(migrated, SeedConfig(employees=200, seed=3), cipher)
    with session_scope(migrated) as db:
        emp, appr, fin = _users(db)
        corrected, plain, rejected, cancelled = (_trip(emp, d) for d in (40, 30, 20, 10))
        service.decide(appr, [corrected.id, plain.id, cancelled.id], "approve")
        service.decide(appr, [rejected.id], "reject", "예산 부족")
        night = service.nights_of(emp, corrected.id)[0]
        service.update_nights(emp, corrected, {night.id: (95_000, False, False)})
        service.settle(emp, corrected)
        service.settle(emp, plain)
        service.cancel(emp, cancelled, "traveller", "일정 변경")
        finance.pay(fin, [corrected.id, plain.id])
        service.get_trip(fin, plain.id)  # reads are audited, not counted
    with session_scope(migrated) as db:
        fin = Ctx(db, fin.principal)
        before = counters.counters(fin)
        # request, approve, a correction, settle, pay; request, approve, settle, pay
        assert [(r["settlements"], r["steps"]) for r in before] == [(2, 9)]
        assert before[0]["steps"] == _audited_steps(db, [corrected.id, plain.id])
        events = db.execute(
            select(TravelStepEvent.trip_id, TravelStepEvent.agency_id, TravelStepEvent.step)
            .order_by(TravelStepEvent.id)
        ).all()  # fmt: skip
    assert [s for t, _, s in events if t == rejected.id] == ["request", "reject"]
    assert [s for t, _, s in events if t == cancelled.id] == ["request", "approve", "cancel"]
    assert {a for _, a, _ in events} == {corrected.agency_id}

    downgrade(migrated, "0007")  # a database from before the step events ...
    assert not inspect(migrated).has_table("travel_step_events")
    upgrade(migrated)  # ... upgraded: the events come from the audit log
    with session_scope(migrated) as db:
        assert counters.counters(Ctx(db, fin.principal)) == before
        again = db.execute(
            select(TravelStepEvent.trip_id, TravelStepEvent.agency_id, TravelStepEvent.step)
            .order_by(TravelStepEvent.id)
        ).all()  # fmt: skip
    assert again == events
