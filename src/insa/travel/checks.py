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
    receipt_key: str  # business registration number + date + total + approval number
    date: dt.date


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
    """Two trips of one person that overlap in time (sorted sweep per person)."""
    by_person: dict[str, list[TripRecord]] = defaultdict(list)
    for t in trips:
        by_person[t.employee].append(t)
    out = []
    for person_trips in by_person.values():
        person_trips.sort(key=lambda t: (t.start, t.trip_id))
        latest: TripRecord | None = None
        for t in person_trips:
            if latest is not None and t.start < latest.end:
                out.append(
                    Flag(
                        "overlap",
                        (latest.trip_id, t.trip_id),
                        f"같은 사람의 출장 기간이 겹침 ({latest.trip_id}, {t.trip_id})",
                    )
                )
            if latest is None or t.end > latest.end:
                latest = t
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


def claimed_twice(
    items: Iterable[ReceiptRecord | TicketRecord],
) -> list[Flag]:
    """The same receipt or ticket in two trips — by one person or by two."""
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
        trips = tuple(sorted({c.trip_id for c in claims}))
        if len(trips) > 1:
            people = {c.employee for c in claims}
            who = "한 사람이" if len(people) == 1 else f"{len(people)}명이"
            label = "승차권" if what == "ticket" else "영수증"
            out.append(
                Flag(
                    f"{what}_claimed_twice",
                    trips,
                    f"같은 {label}({key})을 {who} {len(trips)}건에 청구",
                )
            )
    return out
