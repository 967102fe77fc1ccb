"""Demo trips for ``make demo``: every step and every list of the travel pages has something in
it, made through the same service functions the web app calls (so states, amounts, checks,
counters and the audit log are real).

For 인사혁신처 (the demo agency): the demo employee has a past trip whose train tickets came in
from the operator's feed, ready to settle with a receipt; a request waiting for approval; and a
cancelled trip whose ticket is a refund to collect. Colleagues have requests (one on a public
holiday, one overlapping another trip), settled trips waiting for payment (one of a colleague
without a salary account yet, held back until one is registered), and trips paid in
earlier months for the dashboard's counters. The operator's feed is written as a JSON Lines
file (docs/travel.md) and imported by the operator; one ticket in it matches no trip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from insa.clock import today_kst
from insa.people.models import Agency, Employee, SalaryAccount
from insa.security.auth import principal_for
from insa.security.context import Ctx
from insa.security.demo import DEMO_AGENCY
from insa.security.models import User
from insa.security.principal import Principal
from insa.travel import finance, service
from insa.travel.feeds import import_tickets
from insa.travel.models import TravelNight, TravelTrip
from insa.travel.tickets import TicketEvent

PLACES = [
    ("부산광역시 연제구 중앙대로 1001", "서울", "부산", 59_800, 82_000),
    ("대전광역시 서구 청사로 189", "서울", "대전", 23_700, 64_000),
    ("광주광역시 서구 내방로 111", "용산", "광주송정", 46_800, 75_000),
    ("전북특별자치도 전주시 완산구 효자로 225", "용산", "전주", 34_300, 62_000),
    ("경상북도 안동시 풍천면 도청대로 455", "청량리", "안동", 28_600, 71_000),
    ("세종특별자치시 도움6로 11", "서울", "오송", 18_500, 0),
]


Made = tuple[Employee, TravelTrip, int]  # the traveller, the trip, its place in PLACES


def _ctx(db: Session, username: str) -> Ctx:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise RuntimeError(f"create the demo log-ins first (insa users demo): {username} missing")
    return Ctx(db, principal_for(db, user, None))


class _Demo:
    """The demo's people — the demo log-ins and their colleagues — and the ticket feed their
    trips produce."""

    def __init__(self, db: Session, emps: list[Employee]) -> None:
        self.db, self.emps = db, emps
        self.me = _ctx(db, "demo-employee")
        self.approver, self.finance = _ctx(db, "demo-approver"), _ctx(db, "demo-finance")
        self.events: list[dict[str, Any]] = []

    def person(self, emp: Employee) -> Ctx:
        """The colleague as traveller: colleagues have no log-in, so they act with the demo
        employee's principal under their own name (the audit names them ``demo:<number>``)."""
        if emp.id == self.me.principal.employee_id:
            return self.me
        return Ctx(self.db, Principal.self_service(
            employee_id=emp.id, agency_id=emp.agency_id, username=f"demo:{emp.employee_no}",
            display_name=emp.name,
        ))  # fmt: skip

    def trip(self, emp: Employee, place: int, start: dt.date, days: int, **kw: Any) -> TravelTrip:
        return service.request_trip(
            self.person(emp), purpose=kw.pop("purpose", "소속기관 인사 업무 협의"),
            destination=PLACES[place][0], start=dt.datetime.combine(start, dt.time(7, 30)),
            end=dt.datetime.combine(start + dt.timedelta(days=days - 1), dt.time(19, 0)),
            transport=kw.pop("transport", "rail"), official_vehicle=kw.pop("official", False),
        )  # fmt: skip

    def tickets(self, emp: Employee, t: TravelTrip, place: int, *, changed: bool = False) -> None:
        """The operator's events for the trip's train there and back (``changed``: the
        traveller took a later train home)."""
        _, origin, station, fare, _ = PLACES[place]
        issued = dt.datetime.combine(t.start_at.date() - dt.timedelta(days=5), dt.time(21, 10))
        legs = [(origin, station, t.start_at), (station, origin, t.end_at - dt.timedelta(hours=3))]
        for leg, (a, b, dep) in enumerate(legs, start=1):
            ev = {
                "ticket_id": f"D{t.id:05d}{leg}", "operator": "KORAIL", "passenger_key": emp.employee_no,
                "mode": "rail", "class": "standard", "from_station": a, "to_station": b,
                "departure": dep.isoformat(), "arrival": (dep + dt.timedelta(hours=2, minutes=40)).isoformat(),
                "fare": fare, "status": "issued", "issued_at": issued.isoformat(),
            }  # fmt: skip
            self.events.append(ev)
            if changed and leg == 2:
                later = dep + dt.timedelta(hours=1)
                self.events.append({**ev, "status": "changed", "departure": later.isoformat(),
                                    "arrival": (later + dt.timedelta(hours=2, minutes=40)).isoformat(),
                                    "changed_at": (dep - dt.timedelta(hours=2)).isoformat()})  # fmt: skip

    def stray_ticket(self, monday: dt.date) -> None:
        """A first-class ticket of a colleague that matches no trip."""
        stray = dt.datetime.combine(monday - dt.timedelta(days=3), dt.time(9))
        self.events.append({
            "ticket_id": "D99999", "operator": "KORAIL", "passenger_key": self.emps[2].employee_no,
            "mode": "rail", "class": "first", "from_station": "서울", "to_station": "강릉",
            "departure": stray.isoformat(), "arrival": (stray + dt.timedelta(hours=2)).isoformat(),
            "fare": 36_100, "status": "issued", "issued_at": (stray - dt.timedelta(days=1)).isoformat(),
        })  # fmt: skip

    def lodging(self, t: TravelTrip, amount: int) -> None:
        for night in self.db.scalars(select(TravelNight).where(TravelNight.trip_id == t.id)):
            night.lodging = amount


@dataclasses.dataclass
class _Trips:
    """The demo's trips that go through the steps (all approved, then each its own way)."""

    mine: Made  # the demo employee's, two weeks ago: tickets in the feed, settle it with a receipt
    cancelled: Made  # the demo employee's, cancelled: its tickets are refunds to collect
    settled: list[Made]  # colleagues', settled and waiting for payment
    paid: list[Made]  # colleagues', paid in the past months (the dashboard's counters)

    @property
    def made(self) -> list[Made]:
        return [self.mine, self.cancelled, *self.settled, *self.paid]


def ensure_demo_trips(ctx: Ctx, feed: Path, today: dt.date | None = None) -> dict[str, Any]:
    """Create the demo trips once (nothing happens when the demo agency already has trips).
    ``ctx`` is the operator's, who imports the ticket feed; the demo's people act as
    themselves."""
    today = today or today_kst()
    db = ctx.db
    agency = db.scalar(select(Agency.id).where(Agency.code == DEMO_AGENCY))
    if db.scalar(select(TravelTrip.id).where(TravelTrip.agency_id == agency).limit(1)):
        return {"created": 0}
    emps = list(
        db.scalars(
            select(Employee).where(Employee.agency_id == agency).order_by(Employee.id).limit(12)
        )
    )
    demo = _Demo(db, emps)
    monday = today - dt.timedelta(days=today.weekday())
    trips = _request(demo, monday)
    service.decide(demo.approver, [t.id for _, t, _ in trips.made], "approve")
    for emp, t, place in trips.made:
        demo.tickets(emp, t, place, changed=t.id == trips.mine[1].id)
    demo.stray_ticket(monday)
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in demo.events), encoding="utf-8"
    )
    report = import_tickets(ctx, [TicketEvent.model_validate(e) for e in demo.events])
    for emp, t, place in trips.settled + trips.paid:
        if t.end_at.date() > t.start_at.date():
            demo.lodging(t, PLACES[place][4])
        service.settle(demo.person(emp), t)
    finance.pay(demo.finance, [t.id for _, t, _ in trips.paid])
    # one colleague has no salary account yet: the finance page holds the trip back until
    # the colleague or the HR officer registers one
    db.execute(delete(SalaryAccount).where(SalaryAccount.employee_id == trips.settled[-1][0].id))
    service.cancel(demo.me, trips.cancelled[1], "traveller", "교육 일정 연기")
    _waiting(demo, monday, today)
    db.flush()
    return {"created": len(trips.made) + 4, "tickets": report["tickets"],
            "unmatched": len(report["unmatched_tickets"])}  # fmt: skip


def _request(demo: _Demo, monday: dt.date) -> _Trips:
    """The trips that will be approved: the demo employee's two, colleagues' six to settle and
    nine paid in earlier months."""
    emps = demo.emps
    mine = demo.trip(
        emps[0], 0, monday - dt.timedelta(days=14), 2, purpose="부산지방청 인사 실무 협의"
    )
    cancelled = demo.trip(
        emps[0], 1, monday + dt.timedelta(days=10), 1, purpose="대전청사 교육 (취소)"
    )
    settled: list[Made] = []
    for i, emp in enumerate(emps[1:7]):
        place = i % 5
        settled.append(
            (emp, demo.trip(emp, place, monday - dt.timedelta(days=7 + 3 * i), 1 + i % 2), place)
        )
    paid: list[Made] = []
    for i, emp in enumerate(emps[1:10]):
        place = (i + 2) % 5
        start = monday - dt.timedelta(days=35 + 11 * i)
        paid.append(
            (emp, demo.trip(emp, place, start, 1 + (i % 3 == 0), purpose="현장 실태 점검"), place)
        )
    return _Trips((emps[0], mine, 0), (emps[0], cancelled, 1), settled, paid)  # fmt: skip


def _waiting(demo: _Demo, monday: dt.date, today: dt.date) -> None:
    """Requests waiting for the approver: the demo employee's, one on a public holiday and two
    of one colleague that overlap."""
    emps = demo.emps
    demo.trip(emps[0], 2, monday + dt.timedelta(days=7), 2, purpose="광주청 채용 면접 지원")
    christmas = dt.date(today.year, 12, 25)
    demo.trip(emps[3], 3, christmas if christmas > today else christmas.replace(year=today.year + 1),
              1, purpose="연말 현장 점검")  # fmt: skip
    demo.trip(emps[4], 4, monday + dt.timedelta(days=8), 2, purpose="경북도청 협업 회의")
    demo.trip(
        emps[4], 5, monday + dt.timedelta(days=9), 1, purpose="세종청사 보고", transport="bus"
    )
