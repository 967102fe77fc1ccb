"""The vectorised settlement of every trip equals the scalar engine, trip by trip, to the won."""

from __future__ import annotations

import datetime as dt
import types
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from insa.params import DatedValue, Parameter, load
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.travel import receipts, service
from insa.travel.batch import (
    AMOUNTS,
    FARE_RECEIPT_KINDS,
    FIRST_CLASS,
    INVALID,
    MORE_NIGHTS,
    OVER_CAP,
    REFUNDED,
    WITHIN_IGNORED,
    BatchSettlement,
    TripColumns,
    flag_summary,
    scalar_settle,
    settle_all,
    settle_columns,
)
from insa.travel.compute import Trip, compute
from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip
from insa.travel.regions import cap_class
from insa.travel.synth import insert_trips, synth_trips, trip_employees

YEAR = 2025
T = dt.datetime


@pytest.fixture
def employees(migrated: Engine, cipher: RRNCipher) -> list[tuple[int, int, str, int]]:
    seed(migrated, SeedConfig(employees=150, seed=3, year=YEAR), cipher)
    with migrated.connect() as conn:
        emps = trip_employees(conn, dt.date(YEAR, 1, 1))
    # a few band-1 travellers (no lodging cap, first class allowed), whatever the seed drew
    return [(e[0], e[1], e[2], 1 if i % 25 == 0 else e[3]) for i, e in enumerate(emps)]


def _edge_cases(conn: Any, emp: tuple[int, int, str, int]) -> dict[str, int]:
    """Hand-made trips at the rules' edges; returns name → trip id."""
    eid, aid, eno, _ = emp
    ids: dict[str, int] = {}
    now = T(YEAR, 12, 31, 12, 0)
    serial = iter(range(1, 1000))

    def trip(name: str, kind: str, band: int, start: T, end: T, *, ov: bool = False,
             state: str = "approved", nights: Sequence[tuple[str, int, bool, bool]] = (),
             tickets: Sequence[tuple[str, str, int, str]] = (),
             receipts: Sequence[tuple[str, int | None, bool]] = ()) -> None:  # fmt: skip
        key = conn.execute(
            insert(TravelTrip).values(
                employee_id=eid, agency_id=aid, purpose=name, destination="부산광역시 연제구",
                region="metro", kind=kind, start_at=start, end_at=end, transport="rail",
                official_vehicle=ov, band=band, state=state, created_at=now, updated_at=now,
            )
        ).inserted_primary_key  # fmt: skip
        tid = int(key[0])
        ids[name] = tid
        for k, (region, lodging, relatives, unavoidable) in enumerate(nights):
            conn.execute(insert(TravelNight).values(
                trip_id=tid, night=start.date() + dt.timedelta(days=k), region=region,
                lodging=lodging, relatives=relatives, unavoidable=unavoidable,
            ))  # fmt: skip
        for k, (mode, seat, fare, status) in enumerate(tickets):
            conn.execute(insert(TravelTicket).values(
                trip_id=tid, operator="edge", ticket_id=f"E{next(serial)}", passenger_key=eno,
                mode=mode, seat_class=seat, from_station="서울", to_station="부산",
                departure=start + dt.timedelta(minutes=30 + k), arrival=start + dt.timedelta(hours=3),
                fare=fare, status=status, event_at=start - dt.timedelta(days=3),
            ))  # fmt: skip
        for kind, total, confirmed in receipts:
            conn.execute(insert(TravelReceipt).values(
                trip_id=tid, kind=kind, filename="r.jpg", content_type="image/jpeg",
                sha256=f"{next(serial):064d}", original=b"\xff\xd8\xff", ocr="{}",
                total=total, confirmed=confirmed, created_at=now,
            ))  # fmt: skip

    d = T(YEAR, 5, 13)
    h = dt.timedelta(hours=1)
    trip("within 3 days", "within", 2, d + 15 * h, d + 58 * h)
    trip("within 3 days, official vehicle", "within", 2, d + 15 * h, d + 58 * h, ov=True)
    trip("within ends at midnight", "within", 2, d + 20 * h, d + 24 * h)
    trip("within spans midnight", "within", 2, d + 22 * h, d + 27 * h)
    trip("within 4 h minus a half second", "within", 2,
         d + 9 * h + dt.timedelta(microseconds=500_000), d + 13 * h)  # fmt: skip
    trip("within exactly 4 h", "within", 2, d + 9 * h, d + 13 * h, ov=True)
    trip("within with a ticket", "within", 2, d + 9 * h, d + 12 * h,
         tickets=[("bus", "standard", 5_000, "issued")])  # fmt: skip
    trip("outside official vehicle", "outside", 2, d + 8 * h, d + 42 * h, ov=True,
         nights=[("other", 60_000, False, False)])  # fmt: skip
    trip("unavoidable overage", "outside", 2, d + 8 * h, d + 66 * h, nights=[
        ("seoul", 120_000, False, True), ("seoul", 150_000, False, True),
        ("seoul", 150_000, False, False),
    ])  # fmt: skip
    trip("refunded first class", "outside", 2, d + 8 * h, d + 20 * h, tickets=[
        ("rail", "first", 83_700, "refunded"), ("rail", "standard", 59_800, "issued"),
        ("rail", "first", 83_700, "changed"), ("ship", "first", 90_000, "issued"),
    ])  # fmt: skip
    trip("band 1 no cap", "outside", 1, d + 8 * h, d + 90 * h,
         nights=[("seoul", 250_000, False, False), ("metro", 0, True, False), ("other", 0, False, False)],
         tickets=[("rail", "first", 83_700, "issued"), ("ship", "first", 90_000, "issued")])  # fmt: skip
    trip("outside spans midnight", "outside", 2, d + 22 * h, d + 25 * h)
    trip("more nights than days", "outside", 2, d + 8 * h, d + 20 * h,
         nights=[("metro", 80_000, False, False)])  # fmt: skip
    trip("invalid: ends before it starts", "outside", 2, d + 20 * h, d + 8 * h)
    trip("invalid: band 3", "outside", 3, d + 8 * h, d + 20 * h)
    trip("invalid: fare above the contract", "outside", 2, d + 8 * h, d + 20 * h,
         tickets=[("rail", "standard", 200_000_000, "issued")])  # fmt: skip
    trip("not approved", "outside", 2, d + 8 * h, d + 20 * h, state="requested")
    trip("fare receipts", "outside", 2, d + 8 * h, d + 20 * h,
         tickets=[("rail", "standard", 59_800, "issued")],
         receipts=[("bus", 12_000, True), ("air", None, True), ("rail", 30_000, False),
                   ("taxi", 15_000, True), ("lodging", 90_000, True)])  # fmt: skip
    trip("within with a fare receipt", "within", 2, d + 9 * h, d + 15 * h,
         receipts=[("bus", 3_000, True)])  # fmt: skip
    trip("invalid: receipt above the contract", "outside", 2, d + 8 * h, d + 20 * h,
         receipts=[("rail", 150_000_000, True)])  # fmt: skip
    return ids


def _scalar_by_service(engine: Engine, trip_ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """``service.settlement`` itself (it needs only the session of its context)."""
    out: dict[int, dict[str, Any] | None] = {}
    with Session(engine) as db:
        ctx: Any = types.SimpleNamespace(db=db)
        for tid in trip_ids:
            trip = db.get(TravelTrip, tid)
            assert trip is not None
            try:
                out[tid] = service.settlement(ctx, trip)
            except Exception:  # validation or parameter errors: the trip is refused
                out[tid] = None
    return out


def _assert_equal(batch: BatchSettlement, scalar: dict[int, dict[str, Any] | None]) -> None:
    pos = {int(t): i for i, t in enumerate(batch.trip_id)}
    assert set(scalar) <= set(pos)
    for tid, res in scalar.items():
        row = batch.row(pos[tid])
        if res is None:
            assert row["flags"] == INVALID and row["total"] == 0, tid
            continue
        assert {k: row[k] for k in AMOUNTS} == {k: res[k] for k in AMOUNTS}, (tid, res["lines"])
        assert (row["flags"], row["refunded"], row["first_class"], row["over_cap"]) == (
            flag_summary(res["flags"])
        ), (tid, res["flags"])


def test_every_trip_equals_the_scalar_engine(
    migrated: Engine, employees: list[tuple[int, int, str, int]]
) -> None:
    with migrated.begin() as conn:
        edge = _edge_cases(conn, employees[0])
    rows = synth_trips(2_000, employees, seed=7, year=YEAR)
    new = insert_trips(migrated, rows)
    assert new == range(max(edge.values()) + 1, max(edge.values()) + 2_001)

    everything = settle_all(migrated, states=None)
    assert everything.n == 2_000 + len(edge)
    chunked = settle_all(migrated, states=None, chunk=333)  # nights and tickets split by trip
    assert all((chunked.columns()[k] == v).all() for k, v in everything.columns().items())
    assert chunked.counts == everything.counts and chunked.rate_groups == everything.rate_groups
    with migrated.connect() as conn:
        reference = scalar_settle(conn, everything.trip_id.tolist())
    _assert_equal(everything, reference)
    # the reference helper is service.settlement's rebuild: check it on the edges and a sample
    by_service = _scalar_by_service(migrated, [*edge.values(), *list(new)[::40]])
    for tid, res in by_service.items():
        ref = reference[tid]
        assert (res is None) == (ref is None), tid
        if res is not None and ref is not None:
            assert [res[k] for k in (*AMOUNTS, "flags")] == [ref[k] for k in (*AMOUNTS, "flags")]
    _assert_equal(everything, by_service)

    pos = {int(t): i for i, t in enumerate(everything.trip_id)}

    def row(name: str) -> dict[str, int]:
        return everything.row(pos[edge[name]])

    # the edges, by hand (rates of 2023-03-02: 25,000 a day each, within 10,000 / 20,000)
    assert row("within 3 days")["daily_allowance"] == 20_000 * 3  # 9 h, 24 h, 10 h
    assert row("within 3 days, official vehicle")["daily_allowance"] == 10_000 * 3
    assert row("within ends at midnight")["daily_allowance"] == 20_000  # 4 h; nothing for 0 h
    assert row("within spans midnight")["daily_allowance"] == 10_000 * 2  # 2 h + 3 h
    assert row("within 4 h minus a half second")["daily_allowance"] == 10_000
    assert row("within exactly 4 h")["daily_allowance"] == 10_000  # 20,000 − 10,000
    assert row("within with a ticket")["flags"] == WITHIN_IGNORED
    assert row("within with a ticket")["fare"] == 0
    ov = row("outside official vehicle")
    assert (ov["daily_allowance"], ov["meals"], ov["lodging"]) == (2 * 12_500, 50_000, 60_000)
    un = row("unavoidable overage")
    assert un["lodging"] == 120_000 + 130_000 + 100_000 and un["over_cap"] == 3
    rf = row("refunded first class")
    assert rf["fare"] == 59_800 + 83_700 + 90_000
    assert (rf["refunded"], rf["first_class"]) == (1, 2)
    assert rf["flags"] == REFUNDED | FIRST_CLASS
    b1 = row("band 1 no cap")
    assert (b1["lodging"], b1["flags"]) == (250_000 + 20_000 + 0, 0)
    assert b1["fare"] == 83_700 + 90_000
    sm = row("outside spans midnight")
    assert (sm["daily_allowance"], sm["meals"], sm["flags"]) == (50_000, 50_000, 0)
    assert row("more nights than days")["flags"] == MORE_NIGHTS
    invalid = [name for name in edge if name.startswith("invalid")]
    for name in invalid:
        assert row(name)["flags"] == INVALID and row(name)["total"] == 0
    assert everything.multi_day_within >= 4
    assert everything.counts["invalid"] == len(invalid) == 4
    # confirmed fare receipts are tickets (a missing total pays 0); others are not
    assert row("fare receipts")["fare"] == 59_800 + 12_000
    assert row("fare receipts")["flags"] == 0
    assert row("within with a fare receipt")["flags"] == WITHIN_IGNORED
    assert row("within with a fare receipt")["daily_allowance"] == 20_000
    assert FARE_RECEIPT_KINDS == receipts.FARE_KINDS

    # the default states leave out requested, rejected and cancelled trips
    settled = settle_all(migrated)
    with migrated.connect() as conn:
        wanted = set(
            conn.scalars(
                select(TravelTrip.id).where(TravelTrip.state.in_(("approved", "settled", "paid")))
            )
        )
    assert set(settled.trip_id.tolist()) == wanted and edge["not approved"] not in wanted
    assert settled.n < everything.n

    # the synthetic mix exercises every rule
    synth = np.isin(everything.trip_id, np.array(list(new)))
    flags = everything.flags[synth]
    for bit in (REFUNDED, FIRST_CLASS, OVER_CAP):
        assert np.count_nonzero(flags & bit) > 5, bit
    assert np.count_nonzero(flags & INVALID) == 0
    assert everything.counts["within"] > 300 and everything.counts["outside"] > 1_300
    assert (everything.lodging[synth] > 0).sum() > 300


def test_rates_in_force_on_each_trips_start_date(
    migrated: Engine, employees: list[tuple[int, int, str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mid-year amendment: trips starting from 1 July use it, earlier ones the old rates."""
    p = load("travel")
    for name, change in (
        ("rates.domestic", {"daily_allowance": 30_000, "meals": 27_000,
                            "official_vehicle_daily_share": "2/3", "lodging_overage_share": "1/4",
                            "lodging_cap": {1: None, 2: {"seoul": 110_000, "metro": 85_000, "other": 75_000}}}),
        ("rates.within_station", {"under_4h": 12_000, "from_4h": 24_000, "hours_threshold": 3,
                                  "official_vehicle_reduction": 5_000, "daily_cap": 23_000}),
        ("rates.relatives", None),
    ):  # fmt: skip
        old = p[name]
        last = old.values[-1]
        value = last.value if change is None else {**last.value, **change}
        if name == "rates.relatives":
            value = 25_000
        new = DatedValue(dt.date(YEAR, 7, 1), value, last.reference, False, "test amendment")
        monkeypatch.setitem(
            p.parameters, name, Parameter(old.name, old.description, old.unit, (*old.values, new))
        )
    rows = synth_trips(1_000, employees, seed=11, year=YEAR)
    insert_trips(migrated, rows)
    out = settle_all(migrated, states=None)
    assert out.rate_groups == 2
    with migrated.connect() as conn:
        _assert_equal(out, scalar_settle(conn, out.trip_id.tolist()))
    starts = np.array(rows.trips["start_at"], dtype="datetime64[us]")
    later = starts >= np.datetime64(f"{YEAR}-07-01")
    outside = np.array(rows.trips["kind"]) == "outside"
    one_day = np.array(rows.trips["end_at"], dtype="datetime64[D]") == starts.astype(
        "datetime64[D]"
    )
    ov = np.array(rows.trips["official_vehicle"])
    plain = outside & one_day & ~ov
    assert set(out.meals[plain & later].tolist()) == {27_000}
    assert set(out.meals[plain & ~later].tolist()) == {25_000}


def test_synthetic_trips_are_deterministic_and_plausible() -> None:
    employees = [(i, 1 + i % 40, f"2020{i:06d}", 1 if i % 30 == 0 else 2) for i in range(1, 500)]
    a = synth_trips(3_000, employees, seed=1, year=YEAR)
    b = synth_trips(3_000, employees, seed=1, year=YEAR)
    c = synth_trips(3_000, employees, seed=2, year=YEAR)
    assert a.trips == b.trips and a.nights == b.nights and a.tickets == b.tickets
    assert a.trips["start_at"] != c.trips["start_at"]
    t = a.trips
    assert all(cap_class(d) == r for d, r in zip(t["destination"], t["region"], strict=True))
    kinds = Counter(t["kind"])
    assert 0.15 < kinds["within"] / 3_000 < 0.25
    assert Counter(t["state"]).most_common(3)[-1][1] > 600  # approved, settled, paid dominate
    start = np.array(t["start_at"], dtype="datetime64[us]")
    end = np.array(t["end_at"], dtype="datetime64[us]")
    assert (end > start).all()
    for col in ("start_at", "end_at", "created_at", "updated_at"):
        years = np.array(t[col], dtype="datetime64[Y]").astype(int) + 1970
        assert (years == YEAR).all(), col
    hours = (end - start).astype("timedelta64[m]").astype(int) / 60
    within = np.array(t["kind"]) == "within"
    assert hours[within].min() >= 2 and hours[within].max() <= 9
    days = (end.astype("datetime64[D]") - start.astype("datetime64[D]")).astype(int) + 1
    assert set(days[~within].tolist()) == {1, 2, 3}
    # every outside trip has a night per night away; tickets lie within their trip
    nights = Counter(a.nights["trip_id"])
    assert all(nights.get(i, 0) == (days[i - 1] - 1) * (not within[i - 1]) for i in t["id"])
    k = a.tickets
    ti = np.array(k["trip_id"]) - 1
    dep = np.array(k["departure"], dtype="datetime64[us]")
    arr = np.array(k["arrival"], dtype="datetime64[us]")
    assert ((dep >= start[ti]) & (arr <= end[ti]) & (dep < arr)).all()
    emp_no = {e[0]: e[2] for e in employees}
    assert all(
        emp_no[t["employee_id"][i]] == p for i, p in zip(ti, k["passenger_key"], strict=True)
    )
    assert all(isinstance(f, int) and f > 0 for f in k["fare"])
    assert all(isinstance(x, int) for x in a.nights["lodging"])
    assert len(set(zip(k["operator"], k["ticket_id"], strict=True))) == len(k["ticket_id"])
    assert {"first", "standard"} == set(k["seat_class"])
    assert {"issued", "changed", "refunded"} == set(k["status"])
    assert {"rail", "bus", "air", "ship", "car"} <= set(t["transport"])
    assert any(a.nights["relatives"]) and any(a.nights["unavoidable"])


# ---------------------------------------------------------------- property: any trip at all

_REGIONS = ("seoul", "metro", "other")
_t0 = T(2025, 1, 1)
moments = st.integers(0, 400 * 24 * 3600 * 10).map(
    lambda ds: _t0 + dt.timedelta(microseconds=ds * 100_000)
)
tickets = st.lists(
    st.fixed_dictionaries({
        "mode": st.sampled_from(("rail", "bus", "air", "ship")),
        "class": st.sampled_from(("standard", "first")),
        "fare": st.integers(0, 300_000),
        "status": st.sampled_from(("issued", "changed", "refunded")),
    }),
    max_size=4,
)  # fmt: skip
nights = st.lists(
    st.fixed_dictionaries({
        "region": st.sampled_from(_REGIONS),
        "lodging": st.integers(0, 300_000),
        "relatives": st.booleans(),
        "unavoidable": st.booleans(),
    }),
    max_size=4,
)  # fmt: skip
trips = st.builds(
    lambda i, band, kind, start, length, ov, tk, nt: {
        "id": i, "band": band, "kind": kind, "start": start,
        "end": start + dt.timedelta(microseconds=length), "official_vehicle": ov,
        "tickets": tk, "nights": nt,
    },
    st.integers(1, 10**9), st.sampled_from((1, 2)), st.sampled_from(("outside", "within")),
    moments, st.integers(1, 4 * 24 * 3600 * 10**6), st.booleans(), tickets, nights,
)  # fmt: skip


def _columns(cases: list[Trip]) -> TripColumns:
    epoch = T(1970, 1, 1)

    def us(x: T) -> int:
        return (x - epoch) // dt.timedelta(microseconds=1)

    def arr(v: list[Any], dtype: Any = np.int64) -> Any:
        return np.array(v, dtype=dtype)

    nt = [(i, n) for i, c in enumerate(cases) for n in c.nights]
    tk = [(i, k) for i, c in enumerate(cases) for k in c.tickets]
    return TripColumns(
        trip_id=arr(list(range(len(cases)))),
        band=arr([c.band for c in cases]),
        kind=arr([("outside", "within").index(c.kind) for c in cases]),
        official_vehicle=arr([c.official_vehicle for c in cases], bool),
        start_us=arr([us(c.start) for c in cases]),
        end_us=arr([us(c.end) for c in cases]),
        night_trip=arr([i for i, _ in nt]),
        night_lodging=arr([n.lodging for _, n in nt]),
        night_region=arr([_REGIONS.index(n.region) for _, n in nt]),
        night_relatives=arr([n.relatives for _, n in nt], bool),
        night_unavoidable=arr([n.unavoidable for _, n in nt], bool),
        ticket_trip=arr([i for i, _ in tk]),
        ticket_fare=arr([k.fare for _, k in tk]),
        ticket_mode=arr([("rail", "bus", "air", "ship").index(k.mode) for _, k in tk]),
        ticket_class=arr([("standard", "first").index(k.class_) for _, k in tk]),
        ticket_status=arr([("issued", "changed", "refunded").index(k.status) for _, k in tk]),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trips, min_size=1, max_size=25), st.integers(1, 30))
def test_property_the_columns_settle_as_compute_does(raw: list[dict[str, Any]], chunk: int) -> None:
    cases = [Trip.model_validate(r) for r in raw]
    out = settle_columns(_columns(cases), chunk=chunk)
    for i, case in enumerate(cases):
        want = compute(case)
        row = out.row(i)
        assert {k: row[k] for k in AMOUNTS} == {k: want[k] for k in AMOUNTS}, raw[i]
        assert (row["flags"], row["refunded"], row["first_class"], row["over_cap"]) == (
            flag_summary(want["flags"])
        )
