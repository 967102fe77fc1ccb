"""The operators' ticket feeds over the database: importing them (each ticket's latest state,
linked to the trip it matches; confirmed settlements whose tickets changed are settled again)
and the finance officer's ticket lists — refunds to collect, tickets that match no trip, trips
without tickets. Matching itself is :mod:`insa.travel.tickets` (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from insa.clock import now_local
from insa.people.models import Employee
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.travel.batch import MODES, scalar_cases
from insa.travel.compute import compute
from insa.travel.models import TravelReceipt, TravelTicket, TravelTrip
from insa.travel.service import PAY, fix_amounts
from insa.travel.tickets import Matching, TicketEvent, TripWindow, latest, match
from insa.travel.workflow import REFUND_DUE

Key = tuple[str, str]  # (operator, ticket id)
_RANK = {"issued": 0, "changed": 1, "refunded": 2}  # ties of one event time: the later state


@dataclass
class _Stored:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    touched: set[Key] = field(default_factory=set)  # tickets stored or linked anew


def import_tickets(ctx: Ctx, events: list[TicketEvent]) -> dict[str, Any]:
    """Store the operators' ticket events (latest state per ticket) and link tickets to trips.

    Idempotent: an event no newer than the stored state changes nothing. Returns counts and the
    lists for the finance officer: tickets that match no trip, and approved trips without any.
    """
    state = latest(events)
    stored = _store(ctx, state)
    passengers = sorted({ev.passenger_key for ev in state.values()})
    tickets = {
        (t.operator, t.ticket_id): t
        for t in ctx.db.scalars(
            select(TravelTicket).where(TravelTicket.passenger_key.in_(passengers))
        )
    }
    m, linked = _link(ctx, state, passengers, tickets, stored.touched)
    resettled = _resettle(ctx, {t for k in stored.touched if (t := tickets[k].trip_id) is not None})
    without = ctx.db.scalars(
        restrict(
            select(TravelTrip.id).join(Employee, Employee.id == TravelTrip.employee_id),
            ctx.principal,
            PAY,
        )
        .where(Employee.employee_no.in_(passengers), *lacking_tickets())
        .order_by(TravelTrip.id)
    ).all()
    report = {
        "tickets": len(state), "inserted": stored.inserted, "updated": stored.updated,
        "unchanged": stored.unchanged, "linked": linked,
        # a ticket already linked to a trip that is now paid or cancelled stays linked
        "unmatched_tickets": [f"{o}:{t}" for o, t in m.unmatched_tickets
                              if tickets[(o, t)].trip_id is None],
        "trips_without_tickets": [int(t) for t in without], "resettled": resettled,
    }  # fmt: skip
    ctx.audit("travel.import_tickets",
              detail={k: v for k, v in report.items() if not isinstance(v, list)})  # fmt: skip
    return report


def _store(ctx: Ctx, state: dict[Key, TicketEvent]) -> _Stored:
    """Insert new tickets, update those whose event is newer than the stored state."""
    stored = {
        (t.operator, t.ticket_id): t
        for t in ctx.db.scalars(
            select(TravelTicket).where(TravelTicket.ticket_id.in_([k[1] for k in state]))
        )
    }
    out = _Stored()
    for key, ev in state.items():
        row = stored.get(key)
        if row is not None and (row.event_at, _RANK[row.status]) >= (
            ev.event_at.replace(tzinfo=None),
            _RANK[ev.status],
        ):
            out.unchanged += 1
            continue
        values = {
            "passenger_key": ev.passenger_key, "mode": ev.mode, "seat_class": ev.class_,
            "from_station": ev.from_station, "to_station": ev.to_station,
            "departure": ev.departure.replace(tzinfo=None), "arrival": ev.arrival.replace(tzinfo=None),
            "fare": ev.fare, "status": ev.status, "event_at": ev.event_at.replace(tzinfo=None),
        }  # fmt: skip
        out.touched.add(key)
        if row is None:
            ctx.db.add(TravelTicket(operator=key[0], ticket_id=key[1], **values))
            out.inserted += 1
        else:
            for k, v in values.items():
                setattr(row, k, v)
            out.updated += 1
    ctx.db.flush()
    return out


def _link(
    ctx: Ctx, state: dict[Key, TicketEvent], passengers: list[str],
    tickets: dict[Key, TravelTicket], touched: set[Key],
) -> tuple[Matching, int]:  # fmt: skip
    """Link the passengers' tickets to their approved or settled trips; a ticket of a trip
    whose amounts are fixed (settled, paid) stays with it. Returns the matching and the
    number of tickets linked anew (added to ``touched``)."""
    trips = ctx.db.execute(
        restrict(
            select(TravelTrip.id, Employee.employee_no, TravelTrip.start_at, TravelTrip.end_at,
                   TravelTrip.destination).join(Employee, Employee.id == TravelTrip.employee_id),
            ctx.principal, PAY,
        ).where(Employee.employee_no.in_(passengers),
                TravelTrip.state.in_(("approved", "settled")))
    ).all()  # fmt: skip
    windows = [TripWindow(str(t[0]), t[1], t[2], t[3], t[4]) for t in trips]
    m = match({k: state[k] for k in tickets if k in state}, windows)
    fixed = set(  # trips whose amounts are fixed keep their tickets (paid with them)
        ctx.db.scalars(
            select(TravelTrip.id).where(
                TravelTrip.id.in_({t.trip_id for t in tickets.values() if t.trip_id}),
                TravelTrip.state.in_(("settled", "paid")),
            )
        )
    )
    linked = 0
    for key, trip_id in m.matched.items():
        current = tickets[key].trip_id
        if current != int(trip_id) and current not in fixed:
            tickets[key].trip_id = int(trip_id)
            touched.add(key)
            linked += 1
    ctx.db.flush()
    return m, linked


def _resettle(ctx: Ctx, trip_ids: set[int]) -> list[int]:
    """Confirmed (settled, not yet paid) trips whose tickets changed: their fixed amounts are
    computed again from the tickets as they now are, and the change is audited."""
    trips = ctx.db.scalars(
        select(TravelTrip).where(TravelTrip.id.in_(trip_ids), TravelTrip.state == "settled")
    ).all()
    cases = scalar_cases(ctx.db.connection(), [t.id for t in trips])
    changed = []
    for trip in trips:
        case = cases.get(trip.id)
        if case is None:
            continue
        r = compute(case)
        if (r["total"], r["fare"]) == (trip.total, trip.fare):
            continue
        before = trip.total
        fix_amounts(trip, r)
        ctx.audit("travel.resettle_trip", target_type="travel_trip", target_id=trip.id,
                  agency_id=trip.agency_id,
                  detail={"reason": "tickets changed", "before": before, "after": r["total"]})  # fmt: skip
        changed.append(trip.id)
    return changed


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


def lacking_tickets() -> tuple[Any, ...]:
    """Approved or settled trips by rail, bus, air or ship (not by official vehicle) with no
    ticket in the operators' data and no fare receipt."""
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
    """The trips of :func:`lacking_tickets` that have started, for the finance officer."""
    stmt = select(TravelTrip, Employee.name, Employee.employee_no).join(
        Employee, Employee.id == TravelTrip.employee_id
    )
    stmt = (
        restrict(stmt, ctx.principal, PAY)
        .where(*lacking_tickets(), TravelTrip.start_at <= now_local())
        .order_by(TravelTrip.start_at.desc())
        .limit(200)
    )
    return [(r[0], r[1], r[2]) for r in ctx.db.execute(stmt).all()]
