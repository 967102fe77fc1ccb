"""Trips and their three steps over the database: request → approve → settle (payment follows
in :mod:`insa.travel.finance`). Every query is scoped by ``restrict``; every change goes through
the state machine of :mod:`insa.travel.workflow`, into the audit log and into the trip's step
events (what the finance dashboard counts).

The pages and commands also call the package's other services: :mod:`~insa.travel.finance`
(payment, the payment file, money to recover), :mod:`~insa.travel.feeds` (the operators'
ticket feeds and the finance officer's ticket lists), :mod:`~insa.travel.counters` (the
dashboard), :mod:`~insa.travel.checks_db` (the checks on trips) and
:mod:`~insa.travel.receipts` (receipts).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from insa.clock import as_utc, local_to_utc, now_local
from insa.db.paging import Page, paginate
from insa.params import load
from insa.people.models import Employee, Grade, OrgUnit
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.travel import receipts as rc
from insa.travel.batch import MODES, contract_input
from insa.travel.compute import Trip, compute
from insa.travel.models import TravelNight, TravelStepEvent, TravelTicket, TravelTrip
from insa.travel.regions import cap_class
from insa.travel.workflow import TransitionError, TripState, apply, can_edit

REQUEST, APPROVE, PAY, VIEW = (
    "travel.request_trip", "travel.approve_trip", "travel.pay_trip", "travel.view_trip",
)  # fmt: skip
GRANTS = {
    "employee": {REQUEST},
    "hr_officer": {VIEW},
    "finance_officer": {PAY, VIEW},
    "approver": {APPROVE},
    "central_admin": {VIEW},  # every agency's trips, read-only
}
AUDIT_LABELS = {  # what the audit page shows for this package's actions and targets
    "travel.request_trip": "출장 신청", "travel.approve_trip": "출장 승인",
    "travel.reject_trip": "출장 반려", "travel.settle_trip": "출장 정산 확정",
    "travel.pay_trip": "출장비 지급", "travel.cancel_trip": "출장 취소",
    "travel.view_trip": "출장 조회", "travel.list_trips": "출장 목록 조회",
    "travel.update_settlement": "정산 수정", "travel.upload_receipt": "영수증 올리기",
    "travel.confirm_receipt": "영수증 확인", "travel.remove_receipt": "영수증 삭제",
    "travel.view_receipt": "영수증 조회", "travel.import_tickets": "승차권 자료 가져오기",
    "travel.resettle_trip": "정산 다시 계산", "travel.settle_all": "전체 출장 정산 대조",
    "travel.payment_file": "지급 파일 생성", "travel.record_recovery": "환수 기록",
    "travel_trip": "출장", "travel_receipt": "영수증",
}  # fmt: skip
PART = {REQUEST: "traveller", APPROVE: "approver", PAY: "finance_officer"}
MAX_TRIP_DAYS = 366  # the computation refuses longer trips
KST = dt.timezone(dt.timedelta(hours=9), "KST")  # no daylight saving in Korea


def in_kst(at: dt.datetime) -> dt.datetime:
    """A stored UTC time (naive from SQLite) in Korean time, for months and dates."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(KST)


def today_kst() -> dt.date:
    return dt.datetime.now(KST).date()


def band_of(ctx: Ctx, employee: Employee) -> int:
    bands = load("travel").get("rates.bands", today_kst())
    code = ctx.db.scalar(select(Grade.code).where(Grade.id == employee.grade_id))
    return 1 if code in bands["band1_grades"] else 2


def scoped_trip(ctx: Ctx, trip_id: int, permission: str) -> TravelTrip | None:
    """The trip, if the caller reaches it with ``permission`` (not audited: the caller is
    about to act on it)."""
    stmt = select(TravelTrip).join(Employee, Employee.id == TravelTrip.employee_id)
    trip: TravelTrip | None = ctx.db.scalar(
        restrict(stmt, ctx.principal, permission).where(TravelTrip.id == trip_id)
    )
    return trip


def get_trip(ctx: Ctx, trip_id: int) -> tuple[TravelTrip, str] | None:
    """The trip and the part the caller plays in it (traveller, approver, finance_officer, viewer)."""
    for permission in (REQUEST, APPROVE, PAY, VIEW):
        if ctx.principal.can(permission):
            trip = scoped_trip(ctx, trip_id, permission)
            if trip is not None:
                ctx.audit(
                    "travel.view_trip",
                    target_type="travel_trip",
                    target_id=trip_id,
                    agency_id=trip.agency_id,
                )
                return trip, PART.get(permission, "viewer")
    return None


def _step(ctx: Ctx, trip: TravelTrip, step: str, part: str | None = None, note: str = "") -> None:
    """One step taken on the trip: the trip's history and the dashboard's counters (audited
    by the caller)."""
    ctx.db.add(
        TravelStepEvent(
            trip_id=trip.id, agency_id=trip.agency_id, step=step, at=dt.datetime.now(dt.UTC),
            actor=ctx.principal.display_name[:100], part=part, note=note.strip()[:200] or None,
        )
    )  # fmt: skip


STEP_LABELS = {
    "request": "신청", "approve": "승인", "reject": "반려", "settle": "정산 확정", "pay": "지급",
    "cancel": "취소", "update_settlement": "정산 수정",
}  # fmt: skip


def history(ctx: Ctx, trip: TravelTrip) -> list[dict[str, Any]]:
    """Who did what to the trip, when (Korea time on the page), and why — for a trip the
    caller may already see."""
    rows = ctx.db.scalars(
        select(TravelStepEvent).where(TravelStepEvent.trip_id == trip.id).order_by(TravelStepEvent.at, TravelStepEvent.id)
    )  # fmt: skip
    return [{"step": STEP_LABELS.get(e.step, e.step), "at": e.at, "actor": e.actor or "",
             "note": e.note or ""} for e in rows]  # fmt: skip


def tickets_of(ctx: Ctx, trip: TravelTrip) -> list[TravelTicket]:
    """The operators' tickets linked to the trip (a trip the caller may already see)."""
    return list(ctx.db.scalars(
        select(TravelTicket).where(TravelTicket.trip_id == trip.id).order_by(TravelTicket.departure)
    ))  # fmt: skip


def estimate(ctx: Ctx, trip: TravelTrip) -> dict[str, Any]:
    """What a requested trip may cost at most, for the approver: the rules on its days and
    nights with each night at the lodging cap, and the fares of its tickets already in the
    operators' feed (other fares are added at settlement)."""
    tickets = ctx.db.scalars(
        select(TravelTicket).where(TravelTicket.trip_id == trip.id).order_by(TravelTicket.departure)
    ).all()
    caps = load("travel").get("rates.domestic", trip.start_at.date())["lodging_cap"].get(trip.band)
    nights = [{"region": n.region, "lodging": (caps or {}).get(n.region, 0) if caps else 0,
               "relatives": False, "unavoidable": False} for n in nights_of(ctx, trip.id)]  # fmt: skip
    data = contract_input(trip, [], tickets, [])
    data["nights"] = nights
    result = compute(Trip.model_validate(data))
    result["fares_known"] = len(tickets)
    return result


class RequestError(ValueError):
    """A request the form must correct: ``field`` is the input to show the message beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _check_request(purpose: str, destination: str, start: dt.datetime, end: dt.datetime) -> None:
    """What a request must say (:class:`RequestError`, in Korean, beside the field)."""
    if not purpose.strip():
        raise RequestError("purpose", "출장 목적을 적어 주세요.")
    if not destination.strip():
        raise RequestError("destination", "출장지를 적어 주세요.")
    if end <= start:
        raise RequestError("end", "복귀 일시가 출발 일시보다 늦어야 합니다.")
    if (end.date() - start.date()).days > MAX_TRIP_DAYS:
        raise RequestError("end", f"출장 기간은 {MAX_TRIP_DAYS}일을 넘을 수 없습니다.")
    if abs((start.date() - today_kst()).days) > 2 * 366:
        raise RequestError(
            "start", "출발일이 오늘에서 2년 넘게 떨어져 있습니다. 날짜를 확인해 주세요."
        )


def request_trip(
    ctx: Ctx, *, purpose: str, destination: str, start: dt.datetime, end: dt.datetime,
    transport: str, official_vehicle: bool, kind: str = "outside",
) -> TravelTrip:  # fmt: skip
    """① The traveller files a request (their own employee record; band from the grade)."""
    p = ctx.principal
    if not p.can(REQUEST) or p.employee_id is None:
        raise PermissionError("출장을 신청할 권한이 없습니다.")
    _check_request(purpose, destination, start, end)
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
    _step(ctx, trip, "request", "traveller")
    return trip


def trip_state(ctx: Ctx, trip: TravelTrip) -> TripState:
    """The trip as the state machine sees it: its state, when it ends (times are entered in
    Korea time), and when it was last settled (its step record)."""
    settled = ctx.db.scalar(
        select(func.max(TravelStepEvent.at)).where(
            TravelStepEvent.trip_id == trip.id, TravelStepEvent.step == "settle"
        )
    )
    return TripState(trip.state, ends_at=local_to_utc(trip.end_at),
                     settled_at=as_utc(settled) if settled is not None else None)  # fmt: skip


def transition(ctx: Ctx, trip: TravelTrip, action: str, part: str, reason: str = "") -> None:
    """Move the trip through the state machine as ``part``; audited, and counted as a step."""
    state = trip_state(ctx, trip)
    apply(state, action, actor=ctx.principal.username, part=part, reason=reason)
    trip.state = state.state
    if reason:
        trip.reason = reason.strip()
    trip.updated_at = dt.datetime.now(dt.UTC)
    ctx.audit(
        f"travel.{action}_trip", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"to": trip.state, "reason": reason[:200]},
    )  # fmt: skip
    _step(ctx, trip, action, part, reason)


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
        trip = scoped_trip(ctx, tid, APPROVE)
        if trip is None:
            raise LookupError(f"trip {tid}")
        transition(ctx, trip, action, "approver", reason)
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
    _step(ctx, trip, "update_settlement", "traveller")


def settle(ctx: Ctx, trip: TravelTrip) -> dict[str, Any]:
    """The traveller confirms: the computed amounts are fixed on the trip."""
    result = settlement(ctx, trip)
    if result["unconfirmed"] and trip.state == "approved":
        raise TransitionError(
            f"확인하지 않은 영수증이 {result['unconfirmed']}장 있습니다. 확인하거나 지운 뒤 확정하세요."
        )
    transition(ctx, trip, "settle", "traveller")
    fix_amounts(trip, result)
    return result


def cancel(ctx: Ctx, trip: TravelTrip, part: str, reason: str) -> None:
    transition(ctx, trip, "cancel", part, reason)


def fix_amounts(trip: TravelTrip, r: dict[str, Any]) -> None:
    """The settlement's amounts, fixed on the trip."""
    trip.fare, trip.daily_allowance, trip.meals = r["fare"], r["daily_allowance"], r["meals"]
    trip.lodging, trip.total = r["lodging"], r["total"]
    trip.flags = json.dumps(r["flags"], ensure_ascii=False)
    trip.updated_at = dt.datetime.now(dt.UTC)


def abandon(ctx: Ctx) -> None:
    """Keep nothing of what the request did (a refused bulk action is all or nothing)."""
    ctx.db.rollback()


def profile(ctx: Ctx) -> dict[str, Any]:
    """What the request form is pre-filled with: the traveller's unit, grade and band, and
    the transport, destination and hours of their last trip."""
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


def pending_work(ctx: Ctx) -> list[dict[str, Any]]:
    """What waits for the caller in travel (for the home page): trips to approve, to pay (and
    their total), to settle now that they are over."""
    p = ctx.principal
    out: list[dict[str, Any]] = []

    def trips(permission: str, *where: Any) -> tuple[int, int]:
        stmt = select(func.count(), func.coalesce(func.sum(TravelTrip.total), 0)).join(
            Employee, Employee.id == TravelTrip.employee_id
        )
        n, total = ctx.db.execute(restrict(stmt, p, permission).where(*where)).one()
        return int(n), int(total or 0)

    if p.can(APPROVE):
        n, _ = trips(APPROVE, TravelTrip.state == "requested")
        out.append({"label": "승인을 기다리는 출장", "count": n, "href": "/travel/approvals"})
    if p.can(PAY):
        n, total = trips(PAY, TravelTrip.state == "settled")
        out.append({"label": "지급할 출장", "count": n, "amount": total, "href": "/travel/finance"})
    if p.can(REQUEST):
        n, _ = trips(REQUEST, TravelTrip.state == "approved", TravelTrip.end_at <= now_local())
        out.append({"label": "다녀와서 정산할 출장", "count": n, "href": "/travel"})
    return out


def trips_overview(
    ctx: Ctx, *, state: str = "", month: str = "", q: str = "", agency_id: int | None = None,
    page: int = 1, size: int = 50,
) -> Page[Any]:  # fmt: skip
    """The trips in the caller's scope, read-only (HR officers: their agency's; central
    administrators: every agency's), filtered by state, month of departure (YYYY-MM) and the
    traveller's name or number; ``totals``: the count and the amount settled over all that
    match. Raises ValueError for a malformed month."""
    stmt = select(TravelTrip, Employee.name, Employee.employee_no).join(
        Employee, Employee.id == TravelTrip.employee_id
    )
    stmt = restrict(stmt, ctx.principal, VIEW)
    filters: list[Any] = []
    if state:
        filters.append(TravelTrip.state == state)
    if month:
        try:
            first = dt.datetime.strptime(month, "%Y-%m")
        except ValueError:
            raise ValueError("월은 YYYY-MM 형식으로 적어 주세요.") from None
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        filters += [TravelTrip.start_at >= first, TravelTrip.start_at < nxt]
    if q.strip():
        text = q.strip()
        filters.append(Employee.employee_no == text if text.isdigit() else Employee.name == text)
    if agency_id is not None and ctx.principal.sees_all:
        filters.append(TravelTrip.agency_id == agency_id)
    stmt = stmt.where(*filters)
    sums = restrict(
        select(func.count(), func.coalesce(func.sum(TravelTrip.total), 0)).join(
            Employee, Employee.id == TravelTrip.employee_id
        ), ctx.principal, VIEW,
    ).where(*filters)  # fmt: skip
    n, total = ctx.db.execute(sums).one()
    found = paginate(ctx.db, stmt.order_by(TravelTrip.start_at.desc(), TravelTrip.id.desc()),
                     page=page, size=size, total=int(n),
                     totals={"trips": int(n), "amount": int(total or 0)})  # fmt: skip
    ctx.audit("travel.list_trips", target_type="travel_trip", agency_id=ctx.principal.agency_id,
              detail={"permission": VIEW, "state": state, "month": month, "results": int(n)})  # fmt: skip
    return found
