"""Transport operators' booking exports: our JSON Lines format, validation, and matching.

One JSON object per line, one per ticket event (docs/travel.md):
``ticket_id, operator, passenger_key, mode, class, from_station, to_station, departure,
arrival, fare, status, issued_at, changed_at, refunded_at``. ``passenger_key`` is the
employee's key (insa's employee number, or the pseudonym agreed with the operator). The same
ticket may appear several times (issued, then changed, then refunded): the latest event
wins, so importing the same file twice — or an older file after a newer one — changes nothing.

Matching: a ticket belongs to the approved trip of the same employee whose time window holds
the departure (from six hours before the trip starts to its end); among several, the trip
whose destination names a station of the ticket wins, then the earliest. A ticket already
linked to a settled or paid trip stays with it (its fare was fixed with that trip); a change or
refund then re-settles the trip, or shows as money to recover once paid. Tickets that match no
trip, and approved trips without tickets, are listed for the finance officer.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from insa.errors import RowErrors

EARLY = dt.timedelta(hours=6)  # a ticket may depart before the trip's official start


class TicketEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ticket_id: Annotated[str, Field(min_length=1, max_length=64)]
    operator: Annotated[str, Field(min_length=1, max_length=32)]
    passenger_key: Annotated[str, Field(min_length=1, max_length=64)]
    mode: Literal["rail", "bus", "air", "ship"]
    class_: Literal["standard", "first"] = Field("standard", alias="class")
    from_station: Annotated[str, Field(min_length=1)]
    to_station: Annotated[str, Field(min_length=1)]
    departure: dt.datetime
    arrival: dt.datetime
    fare: Annotated[int, Field(ge=0, le=10_000_000, strict=True)]
    status: Literal["issued", "changed", "refunded"]
    issued_at: dt.datetime
    changed_at: dt.datetime | None = None
    refunded_at: dt.datetime | None = None

    @property
    def event_at(self) -> dt.datetime:
        return self.refunded_at or self.changed_at or self.issued_at

    @property
    def key(self) -> tuple[str, str]:
        return (self.operator, self.ticket_id)


class TicketFileError(RowErrors):
    pass


def read_events(path: Path) -> list[TicketEvent]:
    """Every event of a JSON Lines file, validated; any bad line rejects the whole file."""
    errors: list[str] = []
    events: list[TicketEvent] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TicketFileError([f"{path.name}: cannot be read ({exc})"]) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{n}: invalid JSON ({exc.msg})")
            continue
        try:
            ev = TicketEvent.model_validate(obj)
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"]) or "(ticket)"
                errors.append(f"{path.name}:{n}:{field}: {e['msg']}")
            continue
        if ev.arrival < ev.departure:
            errors.append(f"{path.name}:{n}:arrival: before the departure")
        events.append(ev)
    if errors:
        raise TicketFileError(errors)
    return events


def latest(events: list[TicketEvent]) -> dict[tuple[str, str], TicketEvent]:
    """The state of each ticket: its latest event (ties: refunded > changed > issued)."""
    rank = {"issued": 0, "changed": 1, "refunded": 2}
    out: dict[tuple[str, str], TicketEvent] = {}
    for ev in events:
        cur = out.get(ev.key)
        if cur is None or (ev.event_at, rank[ev.status]) >= (cur.event_at, rank[cur.status]):
            out[ev.key] = ev
    return out


@dataclass(frozen=True)
class TripWindow:
    trip_id: str
    employee_key: str
    start: dt.datetime
    end: dt.datetime
    destination: str


@dataclass
class Matching:
    matched: dict[tuple[str, str], str]  # ticket key → trip id
    unmatched_tickets: list[tuple[str, str]]
    trips_without_tickets: list[str]


def _score(t: TripWindow, station_names: set[str]) -> tuple[int, dt.datetime, str]:
    """Trips whose destination names one of the ticket's stations first, then the earliest."""
    place = any(n and n in t.destination for n in station_names)
    return (0 if place else 1, t.start, t.trip_id)


def match(tickets: dict[tuple[str, str], TicketEvent], trips: list[TripWindow]) -> Matching:
    by_person: dict[str, list[TripWindow]] = {}
    for t in trips:
        by_person.setdefault(t.employee_key, []).append(t)
    matched: dict[tuple[str, str], str] = {}
    unmatched: list[tuple[str, str]] = []
    for key, ev in sorted(tickets.items()):
        fits = [
            t
            for t in by_person.get(ev.passenger_key, [])
            if t.start - EARLY <= ev.departure <= t.end
        ]
        if not fits:
            unmatched.append(key)
            continue
        names = {ev.from_station.removesuffix("역"), ev.to_station.removesuffix("역")}
        matched[key] = min((_score(t, names), t.trip_id) for t in fits)[1]
    with_tickets = set(matched.values())
    return Matching(
        matched, unmatched, sorted(t.trip_id for t in trips if t.trip_id not in with_tickets)
    )
