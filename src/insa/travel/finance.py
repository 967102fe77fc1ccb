"""Paying settled trips and what follows: the payment file (again, for a day already paid) and
the money to recover when tickets were refunded or changed after payment (환수). Scoped to the
trips the finance officer may pay; every read and change audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from insa.people import salary
from insa.people.models import Employee
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.travel.batch import MODES, scalar_cases
from insa.travel.compute import compute
from insa.travel.models import TravelReceipt, TravelTicket, TravelTrip
from insa.travel.service import KST, PAY, scoped_trip, transition
from insa.travel.workflow import TransitionError


def pay(ctx: Ctx, trip_ids: list[int]) -> list[TravelTrip]:
    """The finance officer pays settled trips; returns them for the payment file. A trip
    whose traveller has no salary account on file cannot be paid (the bank file needs one)."""
    trips = []
    for tid in trip_ids:
        trip = scoped_trip(ctx, tid, PAY)
        if trip is None:
            raise LookupError(f"trip {tid}")
        trips.append(trip)
    with_account = salary.with_accounts(ctx, [t.employee_id for t in trips])
    missing = [t for t in trips if t.employee_id not in with_account]
    if missing:
        names = ", ".join(sorted({_name(ctx, t) for t in missing}))
        raise TransitionError(
            f"급여계좌가 등록되지 않은 출장자가 있어 지급하지 않았습니다: {names}. "
            "인사 담당자나 본인이 계좌를 등록한 뒤 지급합니다."
        )
    for trip in trips:
        transition(ctx, trip, "pay", "finance_officer")
    return trips


def _name(ctx: Ctx, trip: TravelTrip) -> str:
    emp = ctx.db.get(Employee, trip.employee_id)
    return emp.name if emp else str(trip.employee_id)


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


@dataclass(frozen=True)
class PaymentRow:
    """One transfer of the bank file: who, to which account, how much, and why."""

    employee_no: str
    name: str
    bank_code: str
    bank_name: str
    account: str  # whole: the bank needs it (the file is the finance officer's, audited)
    holder: str
    amount: int
    memo: str

    def cells(self) -> tuple[str, str, str, str, str, str, int, str]:
        return (self.employee_no, self.name, self.bank_code, self.bank_name, self.account,
                self.holder, self.amount, self.memo)  # fmt: skip


def payment_rows(ctx: Ctx, trips: list[TravelTrip]) -> list[PaymentRow]:
    """The transfers of the trips paid, to each traveller's salary account on file (a trip
    paid before its traveller's account was removed shows an empty account)."""
    emps = {e.id: e for e in ctx.db.scalars(
        select(Employee).where(Employee.id.in_({t.employee_id for t in trips})))}  # fmt: skip
    accounts = salary.payee_accounts(ctx, list(emps))
    out = []
    for t in trips:
        emp, acc = emps[t.employee_id], accounts.get(t.employee_id)
        out.append(PaymentRow(
            emp.employee_no, emp.name, acc.bank_code if acc else "", acc.bank_name if acc else "",
            acc.number if acc else "", acc.holder if acc else emp.name, int(t.total or 0),
            f"여비 출장#{t.id} {t.start_at:%m%d}",
        ))  # fmt: skip
    return out


def overpaid(ctx: Ctx) -> list[tuple[TravelTrip, str, int]]:
    """Paid trips whose tickets were refunded or changed after payment so that the rules now
    give less than was paid: the difference is to be recovered from the traveller (환수)."""
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
    trip = scoped_trip(ctx, trip_id, PAY)
    if trip is None:
        raise LookupError(f"trip {trip_id}")
    owed = {t.id: left for t, _, left in overpaid(ctx)}.get(trip.id, 0)
    if not 0 < amount <= owed:
        raise ValueError(f"환수액은 1원 이상 {owed:,}원 이하여야 합니다.")
    trip.recovered = (trip.recovered or 0) + amount
    ctx.audit("travel.record_recovery", target_type="travel_trip", target_id=trip.id,
              agency_id=trip.agency_id, detail={"amount": amount, "owed": owed})  # fmt: skip
    return trip
