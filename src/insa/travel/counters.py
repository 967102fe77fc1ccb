"""The finance dashboard's counters: per agency and month of payment, the settlements
completed, the steps taken per settlement (the trips' step events, corrections included) and
the paper never printed (tickets that came in as data, receipts uploaded as files)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.travel.models import TravelReceipt, TravelStepEvent, TravelTicket, TravelTrip
from insa.travel.service import PAY, VIEW, in_kst

# the steps a settlement takes: the three steps, payment and each correction of the settlement
STEPS = ("request", "approve", "settle", "pay", "update_settlement")


def counters(ctx: Ctx) -> list[dict[str, Any]]:
    """Per agency and month of payment (Korean time), newest first: settlements completed,
    steps taken per settlement and paper never printed, over the paid trips the caller sees."""
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
    ids = [t[0] for t in trips]
    steps = _per_trip(ctx, select(TravelStepEvent.trip_id, func.count())
                      .where(TravelStepEvent.trip_id.in_(ids), TravelStepEvent.step.in_(STEPS))
                      .group_by(TravelStepEvent.trip_id))  # fmt: skip
    paperless: dict[int, int] = {}
    for model in (TravelTicket, TravelReceipt):
        counted = select(model.trip_id, func.count()).where(model.trip_id.in_(ids))
        for tid, n in _per_trip(ctx, counted.group_by(model.trip_id)).items():
            paperless[tid] = paperless.get(tid, 0) + n
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for tid, _aid, name, at in trips:
        key = (name, in_kst(at).strftime("%Y-%m"))
        row = acc.setdefault(
            key, {"agency": name, "month": key[1], "settlements": 0, "steps": 0, "paperless": 0}
        )
        row["settlements"] += 1
        row["steps"] += steps.get(tid, 0)
        row["paperless"] += paperless.get(tid, 0)
    out = sorted(acc.values(), key=lambda r: (r["month"], r["agency"]), reverse=True)
    for r in out:
        r["steps_per_settlement"] = round(r["steps"] / r["settlements"], 1)
    return out


def _per_trip(ctx: Ctx, stmt: Any) -> dict[int, int]:
    """A count per trip (rows of trip id, count; rows without a trip left out)."""
    return {int(tid): int(n) for tid, n in ctx.db.execute(stmt).all() if tid is not None}
