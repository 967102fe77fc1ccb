"""Checks on trips, tickets and receipts — findings for the finance officer to look at.

Plain functions over plain records; each returns ``Flag`` values naming the trip(s) and why:
receipts dated outside their trip; lodging above the cap; the same ticket or receipt claimed
twice (by one person or by two); overlapping trips of one person; trips on public holidays
(``holidays`` for Korea, lunar holidays included).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import holidays


@dataclass(frozen=True)
class TripRecord:
    trip_id: str
    employee: str  # employee number (or pseudonym)
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class ReceiptRecord:
    trip_id: str
    employee: str
    receipt_key: str  # business registration number + date + total (or the file's hash)
    date: dt.date
    approval_no: str = ""  # the card approval number, when known
    receipt_id: str = ""  # tells two uploads of one receipt in the same trip apart


@dataclass(frozen=True)
class TicketRecord:
    trip_id: str
    employee: str
    ticket_id: str  # the operator's ticket id
    operator: str


@dataclass(frozen=True)
class Flag:
    kind: str
    trip_ids: tuple[str, ...]
    message: str


@cache
def _korea(years: tuple[int, ...]) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=list(years), language="ko")


def holiday_trips(trips: Iterable[TripRecord]) -> list[Flag]:
    """Trips that include a public holiday (weekends are ordinary work for travellers here)."""
    out = []
    for t in trips:
        days = [
            t.start.date() + dt.timedelta(days=i)
            for i in range((t.end.date() - t.start.date()).days + 1)
        ]
        cal = _korea(tuple(sorted({d.year for d in days})))
        hit = [(d, cal.get(d)) for d in days if d in cal]
        if hit:
            names = ", ".join(f"{d.isoformat()} {name}" for d, name in hit)
            out.append(Flag("holiday", (t.trip_id,), f"공휴일 출장: {names}"))
    return out


def overlapping_trips(trips: Iterable[TripRecord]) -> list[Flag]:
    """Every pair of trips of one person that overlap in time (sorted by start; each trip is
    compared with the trips still running when it starts)."""
    by_person: dict[str, list[TripRecord]] = defaultdict(list)
    for t in trips:
        by_person[t.employee].append(t)
    out = []
    for person_trips in by_person.values():
        person_trips.sort(key=lambda t: (t.start, t.trip_id))
        running: list[TripRecord] = []
        for t in person_trips:
            running = [r for r in running if r.end > t.start]
            for r in running:
                out.append(
                    Flag(
                        "overlap",
                        (r.trip_id, t.trip_id),
                        f"같은 사람의 출장 기간이 겹침 ({r.trip_id}, {t.trip_id})",
                    )
                )
            running.append(t)
    return out


def receipts_outside_trip(
    trips: Iterable[TripRecord], receipts: Iterable[ReceiptRecord]
) -> list[Flag]:
    span = {t.trip_id: (t.start.date(), t.end.date()) for t in trips}
    out = []
    for r in receipts:
        if r.trip_id in span:
            first, last = span[r.trip_id]
            if not first <= r.date <= last:
                out.append(
                    Flag(
                        "receipt_outside_trip",
                        (r.trip_id,),
                        f"영수증 날짜 {r.date.isoformat()}가 출장 기간({first} ~ {last}) 밖",
                    )
                )
    return out


def _same(a: ReceiptRecord | TicketRecord, b: ReceiptRecord | TicketRecord) -> bool:
    """Two claims of one key are one receipt unless both carry different approval numbers
    (two colleagues paying the same price at one hotel on one day)."""
    if isinstance(a, ReceiptRecord) and isinstance(b, ReceiptRecord):
        return not a.approval_no or not b.approval_no or a.approval_no == b.approval_no
    return True


def claimed_twice(
    items: Iterable[ReceiptRecord | TicketRecord],
) -> list[Flag]:
    """The same receipt or ticket claimed more than once — in one trip, in two trips of one
    person, or by two people."""
    seen: dict[tuple[str, str], list[ReceiptRecord | TicketRecord]] = defaultdict(list)
    for it in items:
        ident = (
            ("ticket", f"{it.operator}:{it.ticket_id}")
            if isinstance(it, TicketRecord)
            else ("receipt", it.receipt_key)
        )
        seen[ident].append(it)
    out = []
    for (what, key), claims in seen.items():
        unique = list(
            {(c.trip_id, getattr(c, "receipt_id", "") or id(c)): c for c in claims}.values()
        )
        same = [c for c in unique if any(d is not c and _same(c, d) for d in unique)]
        if len(same) < 2:
            continue
        trips = tuple(sorted({c.trip_id for c in same}))
        people = {c.employee for c in same}
        who = "한 사람이" if len(people) == 1 else f"{len(people)}명이"
        label = "승차권" if what == "ticket" else "영수증"
        where = "한 출장에" if len(trips) == 1 else f"{len(trips)}건의 출장에"
        out.append(
            Flag(
                f"{what}_claimed_twice",
                trips,
                f"같은 {label}({key})을 {who} {where} {len(same)}번 청구",
            )
        )
    return out
