"""The checks of :mod:`insa.travel.checks` over the database, for the approver's and the
finance officer's lists and the trip page — and the computation's flags in Korean.

:func:`checks_for` runs each check in turn over the trips asked about (already visible to the
caller) and collects its messages per trip, in the order of the checks."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from insa.clock import as_utc, local_to_utc, utc_now
from insa.security.context import Ctx
from insa.travel import checks
from insa.travel.batch import MODES
from insa.travel.models import (
    TravelNight,
    TravelReceipt,
    TravelStepEvent,
    TravelTicket,
    TravelTrip,
)

FLAG_LABELS = (
    ("_lodging_over_cap", "숙박비가 상한을 넘음"),
    ("_first_class_for_band_", "상위 등급 좌석 (일반실 해당자)"),
    ("_refunded_excluded", "환불된 승차권 제외"),
    ("more_nights_than_the_trip_has", "출장 일수보다 숙박이 많음"),
    ("within_station_tickets_or_nights_ignored", "근무지 내 출장: 운임·숙박 제외"),
)
ENDED = ("rejected", "cancelled")  # trips in these states no longer count


def flag_label(flag: str) -> str:
    """A computation flag in Korean for the pages (the JSON contract keeps the codes)."""
    for code, label in FLAG_LABELS:
        if code in flag:
            n = flag.split("_")[1] if flag.startswith(("night_", "ticket_")) else ""
            return f"{label} ({n}번째)" if n.isdigit() else label
    return flag


@dataclass
class _Asked:
    """The trips asked about, their confirmed receipts, and the messages found so far."""

    rows: list[Any]  # (id, employee_id, start_at, end_at, flags)
    receipts: list[Any]  # (trip_id, receipt_key, date, kind, night_id, total), confirmed
    out: dict[int, list[str]]

    @property
    def records(self) -> list[checks.TripRecord]:
        return [checks.TripRecord(str(r[0]), str(r[1]), r[2], r[3]) for r in self.rows]

    @property
    def employees(self) -> set[int]:
        return {r[1] for r in self.rows}

    @property
    def first(self) -> dt.datetime:
        first: dt.datetime = min(r[2] for r in self.rows)
        return first

    @property
    def last(self) -> dt.datetime:
        last: dt.datetime = max(r[3] for r in self.rows)
        return last

    def add(self, trip_id: int | str, message: str) -> None:
        self.out[int(trip_id)].append(message)


def checks_for(ctx: Ctx, trip_ids: list[int]) -> dict[int, list[str]]:
    """The checks of :mod:`insa.travel.checks` for these trips (already visible to the caller):
    public holidays, overlapping trips of the same person, receipts dated outside the trip, the
    same receipt claimed on two trips (by anyone, in any agency: only the count of the other
    claims is shown), fare receipts for journeys the operators' data has, two trips within the
    duty station on one day, lodging without (enough) receipts, and lodging above the cap on
    settled trips."""
    if not trip_ids:
        return {}
    rows = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at, TravelTrip.end_at,
               TravelTrip.flags).where(TravelTrip.id.in_(trip_ids))
    ).all()  # fmt: skip
    mine = ctx.db.execute(
        select(TravelReceipt.trip_id, TravelReceipt.receipt_key, TravelReceipt.date,
               TravelReceipt.kind, TravelReceipt.night_id, TravelReceipt.total)
        .where(TravelReceipt.trip_id.in_(trip_ids), TravelReceipt.confirmed.is_(True))
    ).all()  # fmt: skip
    asked = _Asked(list(rows), list(mine), {int(r[0]): [] for r in rows})
    for f in checks.holiday_trips(asked.records):
        asked.add(f.trip_ids[0], f.message)
    _overlaps(ctx, asked)
    _receipts_outside(asked)
    _claimed_twice(ctx, asked)
    _fares_in_feed(ctx, asked)
    _within_on_one_day(ctx, asked)
    _lodging_receipts(ctx, asked, trip_ids)
    for r in asked.rows:
        for code in json.loads(r[4] or "[]"):
            if "lodging_over_cap" in code:
                asked.add(r[0], flag_label(code))
    _not_after_return(ctx, asked)
    return asked.out


def _not_after_return(ctx: Ctx, asked: _Asked) -> None:
    """Trips not yet over, and settled trips whose settlement came before the return (payment
    refuses them: the traveller settles again after the trip)."""
    now = utc_now()
    settled = dict(
        ctx.db.execute(
            select(TravelStepEvent.trip_id, func.max(TravelStepEvent.at))
            .where(TravelStepEvent.trip_id.in_(list(asked.out)), TravelStepEvent.step == "settle")
            .group_by(TravelStepEvent.trip_id)
        ).all()
    )
    states = dict(
        ctx.db.execute(
            select(TravelTrip.id, TravelTrip.state).where(TravelTrip.id.in_(list(asked.out)))
        ).all()
    )
    for r in asked.rows:
        ends = local_to_utc(r[3])
        if states.get(r[0]) in ("requested", "approved") and ends > now:
            asked.add(r[0], "아직 끝나지 않은 출장 (귀임 후 정산)")
        at = settled.get(r[0])
        if states.get(r[0]) == "settled" and (at is None or as_utc(at) < ends):
            asked.add(r[0], "귀임 전에 확정된 정산 (지급 불가: 귀임 후 다시 정산)")


def _overlaps(ctx: Ctx, asked: _Asked) -> None:
    """Overlaps with any live trip of the same people."""
    others = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at, TravelTrip.end_at).where(
            TravelTrip.employee_id.in_(asked.employees), TravelTrip.state.not_in(ENDED),
            TravelTrip.start_at < asked.last, TravelTrip.end_at > asked.first,
        )
    ).all()  # fmt: skip
    for f in checks.overlapping_trips(
        checks.TripRecord(str(r[0]), str(r[1]), r[2], r[3]) for r in others
    ):
        for tid in f.trip_ids:
            if int(tid) in asked.out:
                other = next(t for t in f.trip_ids if t != tid)
                asked.add(tid, f"같은 사람의 다른 출장(#{other})과 기간이 겹침")


def _receipts_outside(asked: _Asked) -> None:
    """Confirmed receipts dated outside their trip."""
    emp = {str(r[0]): str(r[1]) for r in asked.rows}
    for f in checks.receipts_outside_trip(
        asked.records, [checks.ReceiptRecord(str(r[0]), emp[str(r[0])], r[1] or "", r[2])
                        for r in asked.receipts if r[2]]
    ):  # fmt: skip
        asked.add(f.trip_ids[0], f.message)


def _claimed_twice(ctx: Ctx, asked: _Asked) -> None:
    """The same receipt claimed twice, on this trip or on another live trip of anyone."""
    keys = {r[1] for r in asked.receipts if r[1]}
    if not keys:
        return
    claims = ctx.db.execute(
        select(TravelReceipt.id, TravelReceipt.trip_id, TravelTrip.employee_id,
               TravelReceipt.receipt_key, TravelReceipt.date, TravelReceipt.approval_no)
        .join(TravelTrip, TravelTrip.id == TravelReceipt.trip_id)
        .where(TravelReceipt.receipt_key.in_(keys), TravelReceipt.confirmed.is_(True),
               TravelTrip.state.not_in(ENDED))
    ).all()  # fmt: skip
    for f in checks.claimed_twice(
        checks.ReceiptRecord(str(t), str(e), k or "", d or dt.date.min, a or "", str(i))
        for i, t, e, k, d, a in claims
    ):
        people = {str(e) for _, t, e, *_ in claims if str(t) in f.trip_ids}
        who = "본인의" if len(people) == 1 else "다른 사람의"
        for tid in f.trip_ids:
            if int(tid) not in asked.out:
                continue
            if len(f.trip_ids) == 1:
                asked.add(tid, "같은 영수증이 이 출장에 두 번 이상 청구됨")
            else:
                asked.add(tid, f"같은 영수증이 {who} 다른 출장 {len(f.trip_ids) - 1}건에도 청구됨")


def _fares_in_feed(ctx: Ctx, asked: _Asked) -> None:
    """A fare receipt for a journey the operators' data already has."""
    fare_receipts: list[tuple[int, str, dt.date | None, int]] = [
        (int(r[0]), str(r[3]), r[2], int(r[5] or 0))
        for r in asked.receipts if r[3] in MODES
    ]  # fmt: skip
    if not fare_receipts:
        return
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
            asked.add(
                receipt_trip,
                f"운임 영수증({day}, {fare:,}원)과 같은 날·같은 교통수단·같은 운임의 승차권이 운송사 자료에도 있음",
            )


def _within_on_one_day(ctx: Ctx, asked: _Asked) -> None:
    """Within the duty station the 20,000 a day is a cap per person and day, not per trip."""
    within = ctx.db.execute(
        select(TravelTrip.id, TravelTrip.employee_id, TravelTrip.start_at).where(
            TravelTrip.employee_id.in_(asked.employees), TravelTrip.kind == "within",
            TravelTrip.state.not_in(ENDED),
            TravelTrip.start_at < asked.last, TravelTrip.end_at > asked.first - dt.timedelta(days=1),
        )
    ).all()  # fmt: skip
    same_day: dict[tuple[int, dt.date], list[int]] = {}
    for w_id, emp_id, start in within:
        same_day.setdefault((emp_id, start.date()), []).append(int(w_id))
    for (_, day), ids in same_day.items():
        for w_id in ids if len(ids) > 1 else []:
            if w_id in asked.out:
                asked.add(w_id, f"{day} 근무지 내 출장 {len(ids)}건: 하루 상한을 합산해 확인")


def _lodging_receipts(ctx: Ctx, asked: _Asked, trip_ids: list[int]) -> None:
    """Lodging claimed without a receipt, or above what its receipts add up to."""
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
            asked.add(n.trip_id, f"{n.night} 숙박비 {n.lodging:,}원에 영수증이 없음")
        elif n.lodging > receipted[n.id]:
            asked.add(
                n.trip_id,
                f"{n.night} 숙박비 {n.lodging:,}원이 영수증 합계 {receipted[n.id]:,}원보다 많음",
            )
