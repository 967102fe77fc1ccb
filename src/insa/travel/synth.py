"""Synthetic trips (출장) with their nights and operators' tickets, for tests and benchmarks.

Deterministic: the same ``seed``, ``year`` and employees give the same rows (vectorised with
NumPy). About 80 % are trips outside the duty station of 1–3 days to real Korean cities by
rail, bus, air or ship (first class now and then, some tickets changed or refunded; some trips
by official vehicle without tickets), 20 % trips within the duty station of 2–9 hours. Nights
cost near the lodging cap, some above it (a few for an unavoidable reason), some are spent
with relatives. Stored amounts (``fare`` … ``total``) are left empty: settling is the batch's
job. Money is integer won.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, func, select

from insa.db.bulk import bulk_writer
from insa.params import load
from insa.people.models import Employee, Grade
from insa.travel.models import TravelTrip
from insa.travel.regions import cap_class

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Dates = npt.NDArray[np.datetime64]
Columns = dict[str, list[Any]]
EmployeeRow = tuple[int, int, str, int]  # employee_id, agency_id, employee_no, band

MODES = ("rail", "bus", "air", "ship")
FIRST_SHARE = (0.08, 0.12, 0.02, 0.10)  # 특실, 우등·프리미엄, 비즈니스, 1등실
FIRST_MARKUP = (14, 13, 20, 15)  # first-class fare = standard × markup / 10
OPERATORS = (("korail", "sr"), ("kobus",), ("koreanair", "asiana", "jejuair", "tway"), ("daejeo",))


@dataclass(frozen=True)
class Place:
    """A destination: address and, per mode, (station, fare from Seoul in won, minutes)."""

    address: str
    weight: float
    rail: tuple[str, int, int] | None = None
    bus: tuple[str, int, int] | None = None
    air: tuple[str, int, int] | None = None
    ship: tuple[str, int, int] | None = None


# 시·도청 and other public buildings; fares approximate (2025, standard class, one way)
PLACES = (
    Place("서울특별시 종로구 세종대로 209", 12, ("서울", 18_500, 50), ("서울경부", 10_900, 120)),
    Place("부산광역시 연제구 중앙대로 1001", 6, ("부산", 59_800, 160), ("부산종합", 38_000, 260), ("김해", 65_000, 60)),
    Place("부산광역시 해운대구 APEC로 55", 2, ("부산", 59_800, 170), ("해운대", 38_000, 280), ("김해", 65_000, 60)),
    Place("대구광역시 중구 공평로 88", 4, ("동대구", 43_500, 110), ("동대구", 23_000, 220)),
    Place("광주광역시 서구 내방로 111", 4, ("광주송정", 46_800, 110), ("광주", 21_000, 220), ("광주", 70_000, 55)),
    Place("대전광역시 서구 둔산로 100", 4, ("대전", 23_700, 60), ("대전복합", 11_000, 120)),
    Place("울산광역시 남구 중앙로 201", 3, ("울산", 52_600, 140), ("울산", 29_000, 250), ("울산", 70_000, 60)),
    Place("인천광역시 남동구 정각로 29", 3, None, ("인천", 9_000, 80)),
    Place("세종특별자치시 한누리대로 2130", 8, ("오송", 18_500, 50), ("세종", 10_900, 120)),
    Place("경기도 수원시 영통구 도청로 30", 4, ("수원", 8_400, 40), ("수원", 8_000, 60)),
    Place("경기도 광주시 행정타운로 50", 1, None, ("경기광주", 8_000, 70)),
    Place("강원특별자치도 춘천시 중앙로 1", 2, ("춘천", 9_800, 80), ("춘천", 8_000, 90)),
    Place("강원특별자치도 강릉시 강릉대로 33", 2, ("강릉", 27_600, 120), ("강릉", 19_000, 170)),
    Place("충청북도 청주시 상당구 상당로 82", 3, ("오송", 18_500, 50), ("청주", 9_000, 100)),
    Place("충청남도 홍성군 홍북읍 충남대로 21", 2, ("홍성", 13_000, 130), ("홍성", 10_000, 140)),
    Place("전북특별자치도 전주시 완산구 효자로 225", 3, ("전주", 34_000, 110), ("전주", 15_000, 170)),
    Place("전라남도 무안군 삼향읍 오룡길 1", 2, ("목포", 52_800, 150), ("목포", 25_000, 230)),
    Place("전라남도 여수시 시청로 1", 1, ("여수엑스포", 47_200, 170), None, ("여수", 70_000, 60)),
    Place("경상북도 안동시 풍천면 도청대로 455", 2, ("안동", 25_000, 120), ("안동", 18_000, 170)),
    Place("경상북도 포항시 남구 시청로 1", 2, ("포항", 52_600, 150), ("포항", 26_000, 250), ("포항경주", 70_000, 60)),
    Place("경상남도 창원시 의창구 중앙대로 300", 3, ("창원중앙", 55_000, 170), ("창원", 27_000, 240)),
    Place("제주특별자치도 제주시 문연로 6", 3, None, None, ("제주", 75_000, 70), ("제주항", 40_000, 270)),
    Place("경상북도 울릉군 울릉읍 도동리", 1, None, None, None, ("도동항", 64_500, 200)),
)  # fmt: skip


@dataclass(frozen=True)
class Office:
    """A government complex: where a duty station is, and its nearest stations by mode."""

    city: str
    place: int  # index in PLACES of the same city (not a destination for an outside trip)
    factor: int  # fares from here = fare from Seoul × factor / 10
    stations: tuple[str, str, str, str]  # rail, bus, air, ship
    nearby: tuple[str, ...]  # destinations of trips within the duty station


OFFICES = (
    Office("세종", 8, 8, ("오송", "세종청사", "청주", "목포항"),
           ("세종특별자치시 한누리대로 2130", "세종특별자치시 갈매로 408", "세종특별자치시 조치원읍 군청로 87-16")),
    Office("서울", 0, 10, ("서울", "서울경부", "김포", "포항여객선터미널"),
           ("서울특별시 중구 세종대로 110", "서울특별시 영등포구 의사당대로 1", "서울특별시 서초구 서초대로 219")),
    Office("대전", 5, 7, ("대전", "대전복합", "청주", "목포항"),
           ("대전광역시 서구 둔산로 100", "대전광역시 유성구 대학로 291", "대전광역시 중구 중앙로 101")),
    Office("과천", -1, 10, ("광명", "과천", "김포", "포항여객선터미널"),
           ("경기도 과천시 관문로 69", "경기도 과천시 관문로 47")),
)  # fmt: skip
OFFICE_WEIGHTS = (0.55, 0.3, 0.1, 0.05)

PURPOSES_OUT = (
    "업무 협의", "현장 점검", "교육 참석", "정책 설명회", "지방자치단체 간담회", "합동 점검",
    "국정감사 자료 협의", "사업장 실태 조사", "공청회 참석", "재난 현장 지원",
)  # fmt: skip
PURPOSES_IN = ("관계기관 회의", "현장 확인", "민원 현장 방문", "업무 협의", "교육 참석")
STATES = ("approved", "settled", "paid", "requested", "rejected", "cancelled")
STATE_SHARES = (0.30, 0.30, 0.35, 0.02, 0.015, 0.015)
REASONS = {"rejected": "출장 목적이 불분명함", "cancelled": "일정 취소"}

TRIP_COLUMNS = (
    "id", "employee_id", "agency_id", "purpose", "destination", "region", "kind", "start_at",
    "end_at", "transport", "official_vehicle", "band", "state", "reason", "created_at",
    "updated_at",
)  # fmt: skip
TZ_COLUMNS = ("created_at", "updated_at")  # DateTime(timezone=True): stored as UTC


@dataclass
class TripRows:
    """Rows for ``travel_trips``, ``travel_nights`` and ``travel_tickets`` as columns.

    Trip ids are 1…n here; nights and tickets refer to them by ``trip_id``.
    :func:`insert_trips` shifts them past the trips already stored.
    """

    trips: Columns
    nights: Columns
    tickets: Columns

    @property
    def n(self) -> int:
        return len(self.trips["id"])


def _minutes(base: npt.NDArray[np.datetime64], minutes: I64) -> npt.NDArray[np.datetime64]:
    out: npt.NDArray[np.datetime64] = base.astype("datetime64[m]") + minutes.astype(
        "timedelta64[m]"
    )
    return out


def _text(at: npt.NDArray[np.datetime64]) -> list[str]:
    """``YYYY-MM-DD HH:MM:SS.ffffff``: the format SQLAlchemy itself stores on SQLite."""
    s = np.datetime_as_string(at.astype("datetime64[s]"), unit="s")
    return np.strings.add(np.strings.replace(s, "T", " "), ".000000").tolist()  # type: ignore[no-any-return]


def _pick(vocab: Sequence[str], idx: I64) -> list[str]:
    return np.asarray(vocab, dtype=object)[idx].tolist()  # type: ignore[no-any-return]


def synth_trips(
    n: int, employees: Sequence[EmployeeRow], *, seed: int | Sequence[int], year: int
) -> TripRows:
    """``n`` trips of ``employees`` (id, agency id, employee number, 여비 등급 band) in ``year``.

    The steps draw from one generator in a fixed order (who, kind and day, destination,
    transport, times, state, address, purpose, nights, tickets): the same seed gives the same
    rows.
    """
    if not employees:
        raise ValueError("no employees to send on trips")
    rng = np.random.default_rng(seed)
    emp_id = np.array([e[0] for e in employees], dtype=np.int64)
    emp_agency = np.array([e[1] for e in employees], dtype=np.int64)
    emp_no = np.array([e[2] for e in employees], dtype=object)
    emp_band = np.array([e[3] for e in employees], dtype=np.int64)
    who = rng.integers(0, len(employees), n)
    band = emp_band[who]
    office = _office(emp_agency[who])
    y0 = np.datetime64(f"{year}-01-01", "D")
    within, day, days = _kind_and_day(rng, n, y0)
    dest = _destination(rng, n, office)
    way = _transport(rng, n, within, dest, days)
    fare_t, mins_t = _by_mode(1), _by_mode(2)
    start, end = _times(rng, within, way, dest, day, mins_t)
    states, created, updated = _stamps(rng, n, year, day, start, end)
    destination, region = _address(rng, n, within, office, dest)
    state_names = np.asarray(STATES, dtype=object)[states]
    purpose = np.where(
        within,
        np.asarray(PURPOSES_IN, dtype=object)[rng.integers(0, len(PURPOSES_IN), n)],
        np.asarray(PURPOSES_OUT, dtype=object)[rng.integers(0, len(PURPOSES_OUT), n)],
    )
    ids = np.arange(1, n + 1, dtype=np.int64)
    trips: Columns = {
        "id": ids.tolist(),
        "employee_id": emp_id[who].tolist(),
        "agency_id": emp_agency[who].tolist(),
        "purpose": purpose.tolist(),
        "destination": destination.tolist(),
        "region": _pick(("seoul", "metro", "other"), region),
        "kind": np.where(within, "within", "outside").tolist(),
        "start_at": _text(start),
        "end_at": _text(end),
        "transport": _pick((*MODES, "car"), way.transport),
        "official_vehicle": way.official.tolist(),
        "band": band.tolist(),
        "state": state_names.tolist(),
        "reason": [REASONS.get(s) for s in state_names.tolist()],
        "created_at": _text(created),
        "updated_at": _text(updated),
    }
    nights = _nights(rng, ids, band, region, day, way.days, within, year)
    t = way.ticketed
    tickets = _tickets(
        rng, ids[t], emp_no[who][t], way.mode[t], dest[t], office[t], start[t], end[t],
        fare_t, mins_t, y0,
    )  # fmt: skip
    return TripRows(trips, nights, tickets)


def _office(agency: I64) -> I64:
    """An agency's duty station: a government complex chosen by a hash of the agency id."""
    office_of_agency = np.searchsorted(
        np.cumsum(OFFICE_WEIGHTS), (agency * 2654435761 % 1000) / 1000, side="right"
    ).clip(0, len(OFFICES) - 1)
    return office_of_agency.astype(np.int64)


def _kind_and_day(rng: np.random.Generator, n: int, y0: np.datetime64) -> tuple[Bools, Dates, I64]:
    """Within the duty station or not, the first day, and the number of calendar days."""
    within = rng.random(n) < 0.2
    # day: a working day of the year (Saturday → Friday, Sunday → Monday)
    day = y0 + rng.integers(1, 361, n).astype("timedelta64[D]")
    weekday = (day.astype(np.int64) + 3) % 7  # 0 = Monday
    day = day + np.where(weekday == 5, -1, np.where(weekday == 6, 1, 0)).astype("timedelta64[D]")
    days = np.where(within, 1, rng.choice([1, 2, 3], n, p=[0.45, 0.35, 0.2]))
    return within, day, days


def _destination(rng: np.random.Generator, n: int, office: I64) -> I64:
    """Weighted over PLACES, never the traveller's own city."""
    w = np.array([p.weight for p in PLACES])
    dest = rng.choice(len(PLACES), n, p=w / w.sum())
    home_place = np.array([o.place for o in OFFICES])[office]
    out: I64 = np.where(
        dest == home_place, (dest + 1 + rng.integers(0, len(PLACES) - 1, n)) % len(PLACES), dest
    )
    return out


@dataclass
class _Transport:
    mode: I64  # index in MODES
    official: Bools  # by official vehicle
    ticketed: Bools  # outside, by rail, bus, air or ship
    transport: I64  # index in (*MODES, "car")
    days: I64  # at least two for a trip by ship


def _transport(rng: np.random.Generator, n: int, within: Bools, dest: I64, days: I64) -> _Transport:
    """By what the destination offers; 10 % official vehicle, 3 % own car."""
    avail = np.array(
        [[getattr(p, m) is not None and getattr(p, m)[1] > 0 for m in MODES] for p in PLACES]
    )
    pref = avail * np.array([0.65, 0.2, 0.1, 0.05])
    cum = np.cumsum(pref / pref.sum(axis=1, keepdims=True), axis=1)
    mode = (rng.random(n)[:, None] > cum[dest]).sum(axis=1).clip(0, 3)
    r = rng.random(n)
    official = np.where(within, r < 0.15, r < 0.10)
    own_car = ~within & ~official & (r > 0.97)
    ticketed = ~within & ~official & ~own_car
    days = np.where(ticketed & (mode == 3), np.maximum(days, 2), days)  # no day trips by ship
    transport = np.where(official | own_car, 4, np.where(within, 1, mode))
    return _Transport(mode, official, ticketed, transport, days)


def _by_mode(k: int) -> I64:
    """[place, mode]: the fare from Seoul (``k`` 1) or the minutes (``k`` 2); 0 if none."""
    return np.array([[getattr(p, m)[k] if getattr(p, m) else 0 for m in MODES] for p in PLACES])


def _times(
    rng: np.random.Generator, within: Bools, way: _Transport, dest: I64, day: Dates, mins_t: I64
) -> tuple[Dates, Dates]:
    """Start and end, on ten-minute steps (a day trip leaves time for the ride back)."""
    n, days = len(within), way.days
    ride = np.where(way.ticketed, mins_t[dest, way.mode], 0)
    start_min = np.where(within, rng.integers(48, 85, n) * 10, rng.integers(36, 66, n) * 10)
    length = rng.integers(12, 55, n) * 10  # within: 2–9 h
    end_min = np.where(
        within,
        start_min + length,
        np.where(
            days == 1,
            np.minimum(np.maximum(rng.integers(90, 132, n) * 10, start_min + 2 * ride + 180), 1430),
            rng.integers(90, 132, n) * 10,
        ),
    )
    start = _minutes(day, start_min)
    end = _minutes(day + (days - 1).astype("timedelta64[D]"), end_min)
    return start, end


def _stamps(
    rng: np.random.Generator, n: int, year: int, day: Dates, start: Dates, end: Dates
) -> tuple[I64, Dates, Dates]:
    """The state (index in STATES), when the trip was requested and when it last changed."""
    y0 = np.datetime64(f"{year}-01-01", "D")
    states = rng.choice(len(STATES), n, p=STATE_SHARES)
    created = np.maximum(
        _minutes(
            day - rng.integers(1, 21, n).astype("timedelta64[D]"), rng.integers(54, 108, n) * 10
        ),
        y0.astype("datetime64[m]"),
    )
    after = _minutes(end.astype("datetime64[D]") + rng.integers(1, 11, n).astype("timedelta64[D]"),
                     rng.integers(54, 108, n) * 10)  # fmt: skip
    before = np.minimum(created + np.timedelta64(1, "D"), start - np.timedelta64(1, "h"))
    updated = np.where(np.isin(states, [1, 2]), after, np.where(states == 3, created, before))
    updated = np.minimum(np.maximum(updated, created), np.datetime64(f"{year}-12-31T23:59", "m"))
    return states, created, updated


def _address(
    rng: np.random.Generator, n: int, within: Bools, office: I64, dest: I64
) -> tuple[npt.NDArray[np.object_], I64]:
    """The destination's address and its lodging-cap region (index in seoul, metro, other)."""
    place_addr = [p.address for p in PLACES]
    region_of_place = np.array(
        [("seoul", "metro", "other").index(cap_class(a)) for a in place_addr]
    )
    near = rng.integers(0, 3, n)
    nearby = [[o.nearby[i % len(o.nearby)] for i in range(3)] for o in OFFICES]
    within_addr = np.array(nearby, dtype=object)[office, near]
    destination = np.where(within, within_addr, np.asarray(place_addr, dtype=object)[dest])
    near_region = np.array(
        [[("seoul", "metro", "other").index(cap_class(a)) for a in row] for row in nearby]
    )
    region = np.where(within, near_region[office, near], region_of_place[dest])
    return destination, region


def _nights(
    rng: np.random.Generator,
    ids: I64,
    band: I64,
    region: I64,
    day: npt.NDArray[np.datetime64],
    days: I64,
    within: npt.NDArray[np.bool_],
    year: int,
) -> Columns:
    count = np.where(within, 0, days - 1)
    trip = np.repeat(np.arange(len(ids)), count)
    k = np.arange(len(trip)) - np.repeat(np.cumsum(count) - count, count)
    m = len(trip)
    caps = load("travel").get("rates.domestic", dt.date(year, 7, 1))["lodging_cap"][2]
    cap = np.array([caps[r] for r in ("seoul", "metro", "other")], dtype=np.int64)[region[trip]]
    u = rng.random(m)
    relatives = u < 0.05
    over = (u >= 0.05) & (u < 0.20)
    unavoidable = over & (rng.random(m) < 0.3)
    share = np.where(over, rng.uniform(1.0, 1.45, m), rng.uniform(0.55, 1.0, m))
    share = np.where(band[trip] == 1, rng.uniform(0.8, 1.8, m), share)
    lodging = np.where(relatives, 0, (cap * share / 1000).round().astype(np.int64) * 1000)
    return {
        "trip_id": ids[trip].tolist(),
        "night": np.datetime_as_string(day[trip] + k.astype("timedelta64[D]")).tolist(),
        "region": _pick(("seoul", "metro", "other"), region[trip]),
        "lodging": lodging.tolist(),
        "relatives": relatives.tolist(),
        "unavoidable": unavoidable.tolist(),
    }


def _tickets(
    rng: np.random.Generator,
    ids: I64,
    passenger: npt.NDArray[np.object_],
    mode: I64,
    dest: I64,
    office: I64,
    start: npt.NDArray[np.datetime64],
    end: npt.NDArray[np.datetime64],
    fare_t: I64,
    mins_t: I64,
    y0: np.datetime64,
) -> Columns:
    """An outbound and a return ticket (one in ten goes back another way)."""
    count = np.where(rng.random(len(ids)) < 0.1, 1, 2)
    trip = np.repeat(np.arange(len(ids)), count)
    back = (np.arange(len(trip)) - np.repeat(np.cumsum(count) - count, count)) == 1
    m = len(trip)
    md, ds, of = mode[trip], dest[trip], office[trip]
    ride = mins_t[ds, md]
    factor = np.array([o.factor for o in OFFICES])[of]
    factor = np.where(ds == 0, 10, factor)  # to Seoul: the fare is already from 오송
    standard = (fare_t[ds, md] * factor // 10 + 50) // 100 * 100
    first = rng.random(m) < np.array(FIRST_SHARE)[md]
    fare = np.where(first, standard * np.array(FIRST_MARKUP)[md] // 10 // 100 * 100, standard)
    u = rng.random(m)
    status = np.where(u < 0.03, 2, np.where(u < 0.08, 1, 0))
    depart = np.where(
        back,
        _minutes(end[trip], -(ride + rng.integers(2, 6, m) * 10)),
        _minutes(start[trip], rng.integers(2, 6, m) * 10),
    )
    arrive = depart + ride.astype("timedelta64[m]")
    booked = np.where(
        status == 2,
        depart - rng.integers(1, 24 * 6, m).astype("timedelta64[m]") * 10,
        depart - rng.integers(1, 11, m).astype("timedelta64[D]"),
    )
    booked = np.maximum(booked, y0.astype("datetime64[m]"))
    home = np.array([list(o.stations) for o in OFFICES], dtype=object)[of, md]
    there = np.array(
        [[(getattr(p, x) or ("", 0, 0))[0] for x in MODES] for p in PLACES], dtype=object
    )[ds, md]
    ops = np.array([OPERATORS[x][0] for x in md.tolist()], dtype=object)
    several = np.isin(md, [0, 2])
    pick = rng.integers(0, 4, m)
    ops[several] = [
        OPERATORS[x][p % len(OPERATORS[x])]
        for x, p in zip(md[several].tolist(), pick[several].tolist(), strict=True)
    ]
    serial = rng.integers(0, 2**62, m, dtype=np.int64)
    return {
        "trip_id": ids[trip].tolist(),
        "operator": ops.tolist(),
        "ticket_id": [f"{s:016X}" for s in serial.tolist()],
        "passenger_key": passenger[trip].tolist(),
        "mode": _pick(MODES, md),
        "seat_class": np.where(first, "first", "standard").tolist(),
        "from_station": np.where(back, there, home).tolist(),
        "to_station": np.where(back, home, there).tolist(),
        "departure": _text(depart),
        "arrival": _text(arrive),
        "fare": fare.tolist(),
        "status": _pick(("issued", "changed", "refunded"), status),
        "event_at": _text(booked),
    }


def trip_employees(conn: Connection, on: dt.date) -> list[EmployeeRow]:
    """Active employees with their 여비 등급 band (from the grade, as ``service.band_of``)."""
    band1 = set(load("travel").get("rates.bands", on)["band1_grades"])
    rows = conn.execute(
        select(Employee.id, Employee.agency_id, Employee.employee_no, Grade.code)
        .join(Grade, Grade.id == Employee.grade_id)
        .where(Employee.status == "active")
        .order_by(Employee.id)
    ).all()
    return [(r[0], r[1], r[2], 1 if r[3] in band1 else 2) for r in rows]


def insert_trips(
    target: Engine | Connection,
    rows: TripRows,
    *,
    chunk: int = 50_000,
    progress: Callable[[int, int], None] | None = None,
) -> range:
    """Store ``rows`` after the trips already there; returns the new trip ids.

    Uses the project's bulk writer (``executemany`` on SQLite, ``COPY`` on PostgreSQL) in
    chunks of ``chunk`` trips with their nights and tickets, in the caller's transaction when
    given a connection (one transaction of its own when given an engine).
    """
    if isinstance(target, Engine):
        with target.begin() as conn:
            return insert_trips(conn, rows, chunk=chunk, progress=progress)
    conn = target
    base = int(conn.scalar(select(func.coalesce(func.max(TravelTrip.id), 0))) or 0)
    pg = conn.dialect.name == "postgresql"
    writer = bulk_writer(conn)
    n = rows.n
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        part = {k: rows.trips[k][lo:hi] for k in TRIP_COLUMNS}
        part["id"] = [i + base for i in part["id"]]
        if pg:
            for k in TZ_COLUMNS:
                part[k] = [f"{v}+00:00" for v in part[k]]
        writer.write("travel_trips", part)
        for table, cols in (("travel_nights", rows.nights), ("travel_tickets", rows.tickets)):
            a = bisect.bisect_left(cols["trip_id"], lo + 1)
            b = bisect.bisect_left(cols["trip_id"], hi + 1)
            sub = {k: v[a:b] for k, v in cols.items()}
            sub["trip_id"] = [i + base for i in sub["trip_id"]]
            writer.write(table, sub)
        if progress:
            progress(hi, n)
    writer.reset_sequences(["travel_trips"])
    return range(base + 1, base + n + 1)
