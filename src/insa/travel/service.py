"""The three steps over the database. Every query is scoped by ``restrict``; every change goes
through the state machine of :mod:`insa.travel.workflow` and into the audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from insa.people.models import Employee, Grade
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.travel import receipts as rc
from insa.travel.batch import MODES, contract_input, scalar_cases
from insa.travel.compute import Trip, compute
from insa.travel.models import TravelNight, TravelTicket, TravelTrip
from insa.travel.regions import cap_class
from insa.travel.workflow import REFUND_DUE, TransitionError, TripState, apply, can_edit

REQUEST, APPROVE, PAY, VIEW = (
    "travel.request_trip", "travel.approve_trip", "travel.pay_trip", "travel.view_trip",
)  # fmt: skip
GRANTS = {
    "employee": {REQUEST},
    "hr_officer": {VIEW},
    "finance_officer": {PAY, VIEW},
    "approver": {APPROVE},
}
PART = {REQUEST: "traveller", APPROVE: "approver", PAY: "finance_officer"}
MAX_TRIP_DAYS = 366  # the computation refuses longer trips


def band_of(ctx: Ctx, employee: Employee) -> int:
    from insa.params import load

    bands = load("travel").get("rates.bands", dt.date.today())
    code = ctx.db.scalar(select(Grade.code).where(Grade.id == employee.grade_id))
    return 1 if code in bands["band1_grades"] else 2


def _visible(ctx: Ctx, trip_id: int, permission: str) -> TravelTrip | None:
    stmt = select(TravelTrip).join(Employee, Employee.id == TravelTrip.employee_id)
    trip: TravelTrip | None = ctx.db.scalar(
        restrict(stmt, ctx.principal, permission).where(TravelTrip.id == trip_id)
    )
    return trip


def get_trip(ctx: Ctx, trip_id: int) -> tuple[TravelTrip, str] | None:
    """The trip and the part the caller plays in it (traveller, approver, finance_officer, viewer)."""
    for permission in (REQUEST, APPROVE, PAY, VIEW):
        if ctx.principal.can(permission):
            trip = _visible(ctx, trip_id, permission)
            if trip is not None:
                ctx.audit(
                    "travel.view_trip",
                    target_type="travel_trip",
                    target_id=trip_id,
                    agency_id=trip.agency_id,
                )
                return trip, PART.get(permission, "viewer")
    return None


def request_trip(
    ctx: Ctx, *, purpose: str, destination: str, start: dt.datetime, end: dt.datetime,
    transport: str, official_vehicle: bool, kind: str = "outside",
) -> TravelTrip:  # fmt: skip
    """① The traveller files a request (their own employee record; band from the grade)."""
    p = ctx.principal
    if not p.can(REQUEST) or p.employee_id is None:
        raise PermissionError("출장을 신청할 권한이 없습니다.")
    if end <= start:
        raise ValueError("돌아오는 일시가 출발 일시보다 늦어야 합니다.")
    if (end.date() - start.date()).days > MAX_TRIP_DAYS:
        raise ValueError(f"출장 기간은 {MAX_TRIP_DAYS}일을 넘을 수 없습니다.")
    if abs((start.date() - dt.date.today()).days) > 2 * 366:
        raise ValueError("출발일이 오늘에서 2년 넘게 떨어져 있습니다. 날짜를 확인해 주세요.")
    if not purpose.strip() or not destination.strip():
        raise ValueError("출장 목적과 출장지를 적어 주세요.")
    emp = ctx.db.get(Employee, p.employee_id)
    assert emp is not None
    now = dt.datetime.now(dt.UTC)
    region = cap_class(destination)
    trip = TravelTrip(
        employee_id=emp.id, agency_id=emp.agency_id, purpose=purpose.strip()[:200],
        destination=destination.strip()[:200], region=region, kind=kind, start_at=start, end_at=end,
        transport=transport, official_vehicle=official_vehicle, band=band_of(ctx, emp),
        state="requested", created_at=now, updated_at=now,
    )  # fmt: skip
    ctx.db.add(trip)
    ctx.db.flush()
    day = start.date()
    while day < end.date() and kind == "outside":  # within the duty station: no lodging
        ctx.db.add(TravelNight(trip_id=trip.id, night=day, region=region, lodging=0))
        day += dt.timedelta(days=1)
    ctx.audit(
        "travel.request_trip", target_type="travel_trip", target_id=trip.id, agency_id=emp.agency_id
    )
    return trip


def _transition(ctx: Ctx, trip: TravelTrip, action: str, part: str, reason: str = "") -> None:
    state = TripState(trip.state)
    apply(state, action, actor=ctx.principal.username, part=part, reason=reason)
    trip.state = state.state
    if reason:
        trip.reason = reason.strip()
    trip.updated_at = dt.datetime.now(dt.UTC)
    ctx.audit(
        f"travel.{action}_trip", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"to": trip.state, "reason": reason[:200]},
    )  # fmt: skip


def list_trips(
    ctx: Ctx, permission: str, states: tuple[str, ...] = ()
) -> list[tuple[TravelTrip, str, str]]:
    """Trips the caller may act on in ``permission``'s part, with the traveller's name and number."""
    stmt = select(TravelTrip, Employee.name, Employee.employee_no).join(
        Employee, Employee.id == TravelTrip.employee_id
    )
    stmt = restrict(stmt, ctx.principal, permission)
    if states:
        stmt = stmt.where(TravelTrip.state.in_(states))
    rows = ctx.db.execute(
        stmt.order_by(TravelTrip.start_at.desc(), TravelTrip.id.desc()).limit(200)
    ).all()
    ctx.audit("travel.list_trips", target_type="travel_trip", agency_id=ctx.principal.agency_id,
              detail={"permission": permission, "results": len(rows)})  # fmt: skip
    return [(r[0], r[1], r[2]) for r in rows]


def decide(ctx: Ctx, trip_ids: list[int], action: str, reason: str = "") -> int:
    """② Approve (several at once) or reject (with a reason) as the traveller's approver."""
    done = 0
    for tid in trip_ids:
        trip = _visible(ctx, tid, APPROVE)
        if trip is None:
            raise LookupError(f"trip {tid}")
        _transition(ctx, trip, action, "approver", reason)
        done += 1
    return done


def settlement(ctx: Ctx, trip: TravelTrip) -> dict[str, Any]:
    """③ The settlement computed from the trip, its matched tickets and its nights."""
    tickets = ctx.db.scalars(
        select(TravelTicket)
        .where(TravelTicket.trip_id == trip.id)
        .order_by(TravelTicket.departure, TravelTicket.id)
    ).all()
    nights = nights_of(ctx, trip.id)
    receipts = rc.of_trip(ctx, trip.id)
    confirmed = [r for r in receipts if r.confirmed]
    fare_receipts = [r for r in confirmed if r.kind in MODES]
    result = compute(Trip.model_validate(contract_input(trip, nights, tickets, fare_receipts)))
    for r in confirmed:
        if r.kind in ("taxi", "other"):
            result["lines"].append({
                "item": f"{rc.KINDS[r.kind]} 영수증 ({r.merchant or '상호 미상'})", "amount": 0,
                "rule": f"{r.total or 0:,}원 — 일비(출장지 교통비 등)로 충당, 따로 지급하지 않음",
                "source": "공무원 여비 규정 별표 2 (확인 필요)",
            })  # fmt: skip
    result["tickets"] = tickets
    result["night_rows"] = nights
    result["receipts"] = receipts
    result["unconfirmed"] = sum(1 for r in receipts if not r.confirmed)
    result["receipted"] = any(r.kind == "lodging" for r in confirmed)
    return result


def nights_of(ctx: Ctx, trip_id: int) -> list[TravelNight]:
    return list(
        ctx.db.scalars(
            select(TravelNight).where(TravelNight.trip_id == trip_id).order_by(TravelNight.night)
        )
    )


def update_nights(ctx: Ctx, trip: TravelTrip, lodging: dict[int, tuple[int, bool, bool]]) -> None:
    """The traveller corrects the nights (lodging paid, stayed with relatives, above the cap
    for an unavoidable reason — 제16조①) before settling."""
    if not can_edit(TripState(trip.state), "settlement"):
        raise TransitionError("정산을 고칠 수 없는 상태입니다.")
    receipted = rc.lodging_from_receipts(ctx, trip.id)  # then the receipts say what lodging is
    for night in ctx.db.scalars(select(TravelNight).where(TravelNight.trip_id == trip.id)):
        if night.id in lodging:
            typed, night.relatives, night.unavoidable = lodging[night.id]
            night.lodging = typed if receipted is None else receipted.get(night.id, 0)
    ctx.audit(
        "travel.update_settlement",
        target_type="travel_trip",
        target_id=trip.id,
        agency_id=trip.agency_id,
    )


def settle(ctx: Ctx, trip: TravelTrip) -> dict[str, Any]:
    """The traveller confirms: the computed amounts are fixed on the trip."""
    result = settlement(ctx, trip)
    if result["unconfirmed"] and trip.state == "approved":
        raise TransitionError(
            f"확인하지 않은 영수증이 {result['unconfirmed']}장 있습니다. 확인하거나 지운 뒤 확정하세요."
        )
    _transition(ctx, trip, "settle", "traveller")
    _fix(trip, result)
    return result


def cancel(ctx: Ctx, trip: TravelTrip, part: str, reason: str) -> None:
    _transition(ctx, trip, "cancel", part, reason)


def pay(ctx: Ctx, trip_ids: list[int]) -> list[TravelTrip]:
    """The finance officer pays settled trips; returns them for the payment file."""
    paid = []
    for tid in trip_ids:
        trip = _visible(ctx, tid, PAY)
        if trip is None:
            raise LookupError(f"trip {tid}")
        _transition(ctx, trip, "pay", "finance_officer")
        paid.append(trip)
    return paid


def paid_on(ctx: Ctx, day: dt.date) -> list[TravelTrip]:
    """The trips paid on ``day`` (Korean time) that the caller may pay, for the payment file
    again; the read is audited."""
    start = dt.datetime.combine(day, dt.time(), KST).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    if ctx.db.get_bind().dialect.name == "sqlite":  # SQLite keeps UTC times without a zone
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    stmt = select(TravelTrip).join(Employee, Employee.id == TravelTrip.employee_id)
    stmt = restrict(stmt, ctx.principal, PAY).where(
        TravelTrip.state == "paid", TravelTrip.updated_at >= start, TravelTrip.updated_at < end
    )
    trips = list(ctx.db.scalars(stmt.order_by(TravelTrip.id)))
    ctx.audit("travel.payment_file", target_type="travel_trip", agency_id=ctx.principal.agency_id,
              detail={"day": day.isoformat(), "trips": len(trips)})  # fmt: skip
    return trips


def payment_rows(ctx: Ctx, trips: list[TravelTrip]) -> list[tuple[str, str, str, int]]:
    """(employee_no, name, account reference, amount) — the account reference is the payroll
    account on file, identified by the employee number (insa holds no bank numbers)."""
    out = []
    for t in trips:
        emp = ctx.db.get(Employee, t.employee_id)
        assert emp is not None
        out.append((emp.employee_no, emp.name, f"PAYROLL-{emp.employee_no}", int(t.total or 0)))
    return out


def import_tickets(db: Any, events: list[Any], *, actor: str) -> dict[str, Any]:
    """Store the operators' ticket events (latest state per ticket) and link tickets to trips.

    Idempotent: an event no newer than the stored state changes nothing. Returns counts and the
    lists for the finance officer: tickets that match no trip, and approved trips without any.
    """
    from insa.security.audit import record
    from insa.travel.tickets import TripWindow, latest, match

    rank = {"issued": 0, "changed": 1, "refunded": 2}
    state = latest(events)
    stored = {
        (t.operator, t.ticket_id): t
        for t in db.scalars(
            select(TravelTicket).where(TravelTicket.ticket_id.in_([k[1] for k in state]))
        )
    }
    inserted = updated = unchanged = 0
    touched: set[tuple[str, str]] = set()
    for key, ev in state.items():
        row = stored.get(key)
        if row is not None and (row.event_at, rank[row.status]) >= (
            ev.event_at.replace(tzinfo=None),
            rank[ev.status],
        ):
            unchanged += 1
            continue
        values = {
            "passenger_key": ev.passenger_key, "mode": ev.mode, "seat_class": ev.class_,
            "from_station": ev.from_station, "to_station": ev.to_station,
            "departure": ev.departure.replace(tzinfo=None), "arrival": ev.arrival.replace(tzinfo=None),
            "fare": ev.fare, "status": ev.status, "event_at": ev.event_at.replace(tzinfo=None),
        }  # fmt: skip
        touched.add(key)
        if row is None:
            db.add(TravelTicket(operator=key[0], ticket_id=key[1], **values))
            inserted += 1
        else:
            for k, v in values.items():
                setattr(row, k, v)
            updated += 1
    db.flush()
    passengers = {ev.passenger_key for ev in state.values()}
    trips = db.execute(
        select(
            TravelTrip.id,
            Employee.employee_no,
            TravelTrip.start_at,
            TravelTrip.end_at,
            TravelTrip.destination,
        )
        .join(Employee, Employee.id == TravelTrip.employee_id)
        .where(
            Employee.employee_no.in_(sorted(passengers)),
            TravelTrip.state.in_(("approved", "settled")),
        )
    ).all()
    windows = [TripWindow(str(t[0]), t[1], t[2], t[3], t[4]) for t in trips]
    tickets = {
        (t.operator, t.ticket_id): t
        for t in db.scalars(
            select(TravelTicket).where(TravelTicket.passenger_key.in_(sorted(passengers)))
        )
    }
    as_events = {k: state.get(k) for k in tickets if k in state}
    m = match({k: v for k, v in as_events.items() if v is not None}, windows)
    linked = 0
    fixed = set(  # trips whose amounts are fixed keep their tickets (paid with them)
        db.scalars(
            select(TravelTrip.id).where(
                TravelTrip.id.in_({t.trip_id for t in tickets.values() if t.trip_id}),
                TravelTrip.state.in_(("settled", "paid")),
            )
        )
    )
    for key, trip_id in m.matched.items():
        current = tickets[key].trip_id
        if current != int(trip_id) and current not in fixed:
            tickets[key].trip_id = int(trip_id)
            touched.add(key)
            linked += 1
    db.flush()
    resettled = _resettle(db, {t for k in touched if (t := tickets[k].trip_id) is not None}, actor)
    without = db.scalars(
        select(TravelTrip.id)
        .join(Employee, Employee.id == TravelTrip.employee_id)
        .where(Employee.employee_no.in_(sorted(passengers)), *_lacking_tickets())
        .order_by(TravelTrip.id)
    ).all()
    report = {
        "tickets": len(state), "inserted": inserted, "updated": updated, "unchanged": unchanged,
        "linked": linked,
        # a ticket already linked to a trip that is now paid or cancelled stays linked
        "unmatched_tickets": [f"{o}:{t}" for o, t in m.unmatched_tickets
                              if tickets[(o, t)].trip_id is None],
        "trips_without_tickets": [int(t) for t in without], "resettled": resettled,
    }  # fmt: skip
    record(db, actor=actor, actor_role="cli", action="travel.import_tickets",
           detail={k: v for k, v in report.items() if not isinstance(v, list)})  # fmt: skip
    return report


def _resettle(db: Any, trip_ids: set[int], actor: str) -> list[int]:
    """Confirmed (settled, not yet paid) trips whose tickets changed: their fixed amounts are
    computed again from the tickets as they now are, and the change is audited."""
    from insa.security.audit import record

    trips = db.scalars(
        select(TravelTrip).where(TravelTrip.id.in_(trip_ids), TravelTrip.state == "settled")
    ).all()
    cases = scalar_cases(db.connection(), [t.id for t in trips])
    changed = []
    for trip in trips:
        case = cases.get(trip.id)
        if case is None:
            continue
        r = compute(case)
        if (r["total"], r["fare"]) == (trip.total, trip.fare):
            continue
        before = trip.total
        _fix(trip, r)
        record(db, actor=actor, actor_role="cli", action="travel.resettle_trip",
               target_type="travel_trip", target_id=trip.id, agency_id=trip.agency_id,
               detail={"reason": "tickets changed", "before": before, "after": r["total"]})  # fmt: skip
        changed.append(trip.id)
    return changed


def _fix(trip: TravelTrip, r: dict[str, Any]) -> None:
    """The settlement's amounts, fixed on the trip."""
    trip.fare, trip.daily_allowance, trip.meals = r["fare"], r["daily_allowance"], r["meals"]
    trip.lodging, trip.total = r["lodging"], r["total"]
    trip.flags = json.dumps(r["flags"], ensure_ascii=False)
    trip.updated_at = dt.datetime.now(dt.UTC)


def overpaid(ctx: Ctx) -> list[tuple[TravelTrip, str, int]]:
    """Paid trips whose tickets were refunded or changed after payment so that the rules now
    give less than was paid: the difference is to be recovered from the traveller (환수)."""
    from insa.travel.models import TravelReceipt

    # only a trip whose paid fare is no longer what its tickets add up to can owe anything:
    # the fare paid is the sum of the tickets not refunded and the confirmed fare receipts
    tickets_now = (
        select(func.coalesce(func.sum(TravelTicket.fare), 0))
        .where(TravelTicket.trip_id == TravelTrip.id, TravelTicket.status != "refunded")
        .scalar_subquery()
    )
    receipts_now = (
        select(func.coalesce(func.sum(TravelReceipt.total), 0))
        .where(TravelReceipt.trip_id == TravelTrip.id, TravelReceipt.confirmed.is_(True),
               TravelReceipt.kind.in_(MODES))
        .scalar_subquery()
    )  # fmt: skip
    stmt = (
        select(TravelTrip, Employee.name)
        .join(Employee, Employee.id == TravelTrip.employee_id)
        .where(
            TravelTrip.state == "paid",
            func.coalesce(TravelTrip.fare, 0) != tickets_now + receipts_now,
        )
    )
    rows = ctx.db.execute(
        restrict(stmt, ctx.principal, PAY).order_by(TravelTrip.updated_at.desc()).limit(5000)
    ).all()
    cases = scalar_cases(ctx.db.connection(), [t.id for t, _ in rows])
    out = []
    for trip, name in rows:
        case = cases.get(trip.id)
        if case is None:
            continue
        left = (trip.total or 0) - compute(case)["total"] - (trip.recovered or 0)
        if left > 0:
            out.append((trip, name, left))
    return out


def record_recovery(ctx: Ctx, trip_id: int, amount: int) -> TravelTrip:
    """The finance officer records money recovered from the traveller (up to what is owed)."""
    trip = _visible(ctx, trip_id, PAY)
    if trip is None:
        raise LookupError(f"trip {trip_id}")
    owed = {t.id: left for t, _, left in overpaid(ctx)}.get(trip.id, 0)
    if not 0 < amount <= owed:
        raise ValueError(f"환수액은 1원 이상 {owed:,}원 이하여야 합니다.")
    trip.recovered = (trip.recovered or 0) + amount
    ctx.audit("travel.record_recovery", target_type="travel_trip", target_id=trip.id,
              agency_id=trip.agency_id, detail={"amount": amount, "owed": owed})  # fmt: skip
    return trip


STEP_ACTIONS = (
    "travel.request_trip",
    "travel.approve_trip",
    "travel.settle_trip",
    "travel.pay_trip",
)


KST = dt.timezone(dt.timedelta(hours=9), "KST")  # no daylight saving in Korea


def _kst(at: dt.datetime) -> dt.datetime:
    """A stored UTC time (naive from SQLite) in Korean time, for months and dates."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(KST)


def today_kst() -> dt.date:
    return dt.datetime.now(KST).date()


def counters(ctx: Ctx) -> list[dict[str, Any]]:
    """Per agency and month of payment: settlements completed, steps taken per settlement
    (state changes in the audit log, corrections included), and paper never printed (tickets
    that came in as data and receipts uploaded as files, instead of printed and attached)."""

    from insa.people.models import Agency
    from insa.security.models import AuditLog

    stmt = (
        select(TravelTrip.id, TravelTrip.agency_id, Agency.name_ko, TravelTrip.updated_at)
        .join(Employee, Employee.id == TravelTrip.employee_id)
        .join(Agency, Agency.id == TravelTrip.agency_id)
        .where(TravelTrip.state == "paid")
    )
    trips = ctx.db.execute(
        restrict(stmt, ctx.principal, PAY if ctx.principal.can(PAY) else VIEW)
    ).all()
    if not trips:
        return []
    ids = [str(t[0]) for t in trips]
    steps = dict(
        ctx.db.execute(
            select(AuditLog.target_id, func.count())
            .where(AuditLog.target_type == "travel_trip", AuditLog.target_id.in_(ids),
                   AuditLog.action.in_((*STEP_ACTIONS, "travel.update_settlement")))
            .group_by(AuditLog.target_id)
        ).all()
    )  # fmt: skip
    from insa.travel.models import TravelReceipt

    paperless: dict[int, int] = {}
    for model in (TravelTicket, TravelReceipt):
        for tid, n in ctx.db.execute(
            select(model.trip_id, func.count())
            .where(model.trip_id.in_([t[0] for t in trips]))
            .group_by(model.trip_id)
        ).all():
            if tid is not None:
                paperless[tid] = paperless.get(tid, 0) + int(n)
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for tid, _aid, name, at in trips:
        key = (name, _kst(at).strftime("%Y-%m"))
        row = acc.setdefault(
            key, {"agency": name, "month": key[1], "settlements": 0, "steps": 0, "paperless": 0}
        )
        row["settlements"] += 1
        row["steps"] += int(steps.get(str(tid), 0))
        row["paperless"] += int(paperless.get(tid, 0))
    out = sorted(acc.values(), key=lambda r: (r["month"], r["agency"]), reverse=True)
    for r in out:
        r["steps_per_settlement"] = round(r["steps"] / r["settlements"], 1)
    return out


FLAG_LABELS = (
    ("_lodging_over_cap", "숙박비가 상한을 넘음"),
    ("_first_class_for_band_", "상위 등급 좌석 (일반실 해당자)"),
    ("_refunded_excluded", "환불된 승차권 제외"),
    ("more_nights_than_the_trip_has", "출장 일수보다 숙박이 많음"),
    ("within_station_tickets_or_nights_ignored", "근무지 내 출장: 운임·숙박 제외"),
)


def flag_label(flag: str) -> str:
    """A computation flag in Korean for the pages (the JSON contract keeps the codes)."""
    for code, label in FLAG_LABELS:
        if code in flag:
            n = flag.split("_")[1] if flag.startswith(("night_", "ticket_")) else ""
            return f"{label} ({n}번째)" if n.isdigit() else label
    return flag


def checks_for(ctx: Ctx, trip_ids: list[int]) -> dict[int, list[str]]:
    """The checks of :mod:`insa.travel.checks` for these trips (already visible to the caller):
    public holidays, overlapping trips of the same person, receipts dated outside the trip, the
    same receipt claimed on two trips (by anyone, in any agency: only the count of the other
    claims is shown), and lodging above the cap on settled trips."""
    from insa.travel import checks
    from insa.travel.models import TravelReceipt

    if not trip_ids:
        return {}
    rows = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at, TravelTrip.end_at,
               TravelTrip.flags).where(TravelTrip.id.in_(trip_ids))
    ).all()  # fmt: skip
    out: dict[int, list[str]] = {int(r[0]): [] for r in rows}
    records = [checks.TripRecord(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]
    for f in checks.holiday_trips(records):
        out[int(f.trip_ids[0])].append(f.message)
    # overlaps with any live trip of the same people
    first, last = min(r[2] for r in rows), max(r[3] for r in rows)
    others = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at, TravelTrip.end_at).where(
            TravelTrip.employee_id.in_({r[1] for r in rows}),
            TravelTrip.state.not_in(("rejected", "cancelled")),
            TravelTrip.start_at < last, TravelTrip.end_at > first,
        )
    ).all()  # fmt: skip
    for f in checks.overlapping_trips(
        checks.TripRecord(str(r[0]), str(r[1]), r[2], r[3]) for r in others
    ):
        for tid in f.trip_ids:
            if int(tid) in out:
                other = next(t for t in f.trip_ids if t != tid)
                out[int(tid)].append(f"같은 사람의 다른 출장(#{other})과 기간이 겹침")
    mine = ctx.db.execute(
        select(TravelReceipt.trip_id, TravelReceipt.receipt_key, TravelReceipt.date,
               TravelReceipt.kind, TravelReceipt.night_id, TravelReceipt.total)
        .where(TravelReceipt.trip_id.in_(trip_ids), TravelReceipt.confirmed.is_(True))
    ).all()  # fmt: skip
    emp = {str(r[0]): str(r[1]) for r in rows}
    for f in checks.receipts_outside_trip(
        records, [checks.ReceiptRecord(str(r[0]), emp[str(r[0])], r[1] or "", r[2])
                  for r in mine if r[2]]
    ):  # fmt: skip
        out[int(f.trip_ids[0])].append(f.message)
    keys = {r[1] for r in mine if r[1]}
    if keys:
        claims = ctx.db.execute(
            select(TravelReceipt.id, TravelReceipt.trip_id, TravelTrip.employee_id,
                   TravelReceipt.receipt_key, TravelReceipt.date, TravelReceipt.approval_no)
            .join(TravelTrip, TravelTrip.id == TravelReceipt.trip_id)
            .where(TravelReceipt.receipt_key.in_(keys), TravelReceipt.confirmed.is_(True),
                   TravelTrip.state.not_in(("rejected", "cancelled")))
        ).all()  # fmt: skip
        for f in checks.claimed_twice(
            checks.ReceiptRecord(str(t), str(e), k or "", d or dt.date.min, a or "", str(i))
            for i, t, e, k, d, a in claims
        ):
            people = {str(e) for _, t, e, *_ in claims if str(t) in f.trip_ids}
            who = "본인의" if len(people) == 1 else "다른 사람의"
            for tid in f.trip_ids:
                if int(tid) not in out:
                    continue
                if len(f.trip_ids) == 1:
                    out[int(tid)].append("같은 영수증이 이 출장에 두 번 이상 청구됨")
                else:
                    out[int(tid)].append(
                        f"같은 영수증이 {who} 다른 출장 {len(f.trip_ids) - 1}건에도 청구됨"
                    )
    # a fare receipt for a journey the operators' data already has
    fare_receipts: list[tuple[int, str, dt.date | None, int]] = [
        (int(r[0]), str(r[3]), r[2], int(r[5] or 0))
        for r in mine if r[3] in MODES
    ]  # fmt: skip
    if fare_receipts:
        fed: set[tuple[int | None, str, dt.date | None, int]] = {
            (t.trip_id, t.mode, t.departure.date(), t.fare)
            for t in ctx.db.scalars(
                select(TravelTicket).where(
                    TravelTicket.trip_id.in_({r[0] for r in fare_receipts}),
                    TravelTicket.status != "refunded",
                )
            )
        }
        for receipt_trip, mode, day, fare in fare_receipts:
            if (receipt_trip, mode, day, fare) in fed:
                out[receipt_trip].append(
                    f"운임 영수증({day}, {fare:,}원)과 같은 날·같은 교통수단·같은 운임의 승차권이 운송사 자료에도 있음"
                )
    # within the duty station the 20,000 a day is a cap per person and day, not per trip
    within = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at).where(
            TravelTrip.employee_id.in_({r[1] for r in rows}), TravelTrip.kind == "within",
            TravelTrip.state.not_in(("rejected", "cancelled")),
            TravelTrip.start_at < last, TravelTrip.end_at > first - dt.timedelta(days=1),
        )
    ).all()  # fmt: skip
    same_day: dict[tuple[int, dt.date], list[int]] = {}
    for w_id, emp_id, start in within:
        same_day.setdefault((emp_id, start.date()), []).append(int(w_id))
    for (_, day), ids in same_day.items():
        for w_id in ids if len(ids) > 1 else []:
            if w_id in out:
                out[w_id].append(f"{day} 근무지 내 출장 {len(ids)}건: 하루 상한을 합산해 확인")
    # lodging claimed without a receipt, or above what its receipts add up to
    receipted: dict[int, int] = {}
    whole_trip: set[int] = set()  # trips with a receipt for every night (shared out)
    for r_trip, r_night, r_total in ctx.db.execute(
        select(TravelReceipt.trip_id, TravelReceipt.night_id, TravelReceipt.total).where(
            TravelReceipt.trip_id.in_(trip_ids), TravelReceipt.confirmed.is_(True),
            TravelReceipt.kind == "lodging",
        )
    ).all():  # fmt: skip
        if r_night is None:
            whole_trip.add(int(r_trip))
        else:
            receipted[int(r_night)] = receipted.get(int(r_night), 0) + int(r_total or 0)
    for n in ctx.db.scalars(
        select(TravelNight).where(
            TravelNight.trip_id.in_(trip_ids), TravelNight.lodging > 0,
            TravelNight.relatives.is_(False),
        )
    ):  # fmt: skip
        if n.trip_id in whole_trip:
            continue
        if n.id not in receipted:
            out[n.trip_id].append(f"{n.night} 숙박비 {n.lodging:,}원에 영수증이 없음")
        elif n.lodging > receipted[n.id]:
            out[n.trip_id].append(
                f"{n.night} 숙박비 {n.lodging:,}원이 영수증 합계 {receipted[n.id]:,}원보다 많음"
            )
    for r in rows:
        for code in json.loads(r[4] or "[]"):
            if "lodging_over_cap" in code:
                out[int(r[0])].append(flag_label(code))
    return out


def profile(ctx: Ctx) -> dict[str, Any]:
    """What the request form is pre-filled with: the traveller's unit, grade and band, and
    the transport, destination and hours of their last trip."""
    from insa.people.models import OrgUnit

    p = ctx.principal
    if p.employee_id is None:
        return {}
    emp = ctx.db.get(Employee, p.employee_id)
    assert emp is not None
    grade = ctx.db.scalar(select(Grade.name_ko).where(Grade.id == emp.grade_id))
    unit = ctx.db.scalar(select(OrgUnit.name).where(OrgUnit.id == emp.org_unit_id))
    last = ctx.db.scalar(
        select(TravelTrip).where(TravelTrip.employee_id == emp.id)
        .order_by(TravelTrip.created_at.desc(), TravelTrip.id.desc()).limit(1)
    )  # fmt: skip
    return {
        "name": emp.name, "unit": unit, "grade": grade, "band": band_of(ctx, emp),
        "transport": last.transport if last else "rail",
        "official_vehicle": bool(last and last.official_vehicle),
        "destination": last.destination if last else "",
        "hours": (last.start_at.strftime("%H:%M"), last.end_at.strftime("%H:%M")) if last else ("08:00", "19:00"),
    }  # fmt: skip


def _scoped_tickets(ctx: Ctx) -> Any:
    """Tickets of travellers the caller may pay (tickets carry the employee number)."""
    stmt = select(TravelTicket, Employee.name).join(
        Employee, Employee.employee_no == TravelTicket.passenger_key
    )
    return restrict(stmt, ctx.principal, PAY)


def refunds_to_collect(ctx: Ctx) -> list[tuple[TravelTicket, str, TravelTrip]]:
    """Tickets of cancelled trips that are still issued or changed: refunds to collect."""
    stmt = (
        _scoped_tickets(ctx)
        .add_columns(TravelTrip)
        .join(TravelTrip, TravelTrip.id == TravelTicket.trip_id)
        .where(TravelTrip.state == "cancelled", TravelTicket.status.in_(REFUND_DUE))
        .order_by(TravelTicket.departure.desc())
        .limit(200)
    )
    return [(r[0], r[1], r[2]) for r in ctx.db.execute(stmt).all()]


def unmatched_tickets(ctx: Ctx) -> list[tuple[TravelTicket, str]]:
    """Tickets (not refunded) that matched no trip: a trip not yet requested, or a private one."""
    stmt = (
        _scoped_tickets(ctx)
        .where(TravelTicket.trip_id.is_(None), TravelTicket.status != "refunded")
        .order_by(TravelTicket.departure.desc())
        .limit(200)
    )
    return [(r[0], r[1]) for r in ctx.db.execute(stmt).all()]


def _lacking_tickets() -> tuple[Any, ...]:
    """Approved or settled trips by rail, bus, air or ship (not by official vehicle) with no
    ticket in the operators' data and no fare receipt."""
    from insa.travel.models import TravelReceipt

    has_ticket = select(TravelTicket.id).where(TravelTicket.trip_id == TravelTrip.id).exists()
    has_receipt = (
        select(TravelReceipt.id)
        .where(TravelReceipt.trip_id == TravelTrip.id, TravelReceipt.kind.in_(MODES))
        .exists()
    )
    return (
        TravelTrip.state.in_(("approved", "settled")),
        TravelTrip.kind == "outside",
        TravelTrip.transport.in_(MODES),
        TravelTrip.official_vehicle.is_(False),
        ~has_ticket,
        ~has_receipt,
    )


def trips_without_tickets(ctx: Ctx) -> list[tuple[TravelTrip, str, str]]:
    """The trips of :func:`_lacking_tickets` that have started, for the finance officer."""
    stmt = select(TravelTrip, Employee.name, Employee.employee_no).join(
        Employee, Employee.id == TravelTrip.employee_id
    )
    stmt = (
        restrict(stmt, ctx.principal, PAY)
        .where(*_lacking_tickets(), TravelTrip.start_at <= dt.datetime.now())
        .order_by(TravelTrip.start_at.desc())
        .limit(200)
    )
    return [(r[0], r[1], r[2]) for r in ctx.db.execute(stmt).all()]
