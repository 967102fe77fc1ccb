"""Travel expenses by the regulation (공무원 여비 규정 별표 2), computed by hand in each test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from insa.cli import app
from insa.travel.compute import Trip, compute
from insa.travel.regions import cap_class


def trip(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "t", "band": 2, "start": "2025-03-10T08:00", "end": "2025-03-10T20:00",
    }  # fmt: skip
    base.update(over)
    return compute(Trip.model_validate(base))


def test_a_day_trip_pays_fares_daily_allowance_and_meals() -> None:
    # one day: 일비 25,000 + 식비 25,000; rail both ways 59,800 × 2 = 119,600
    r = trip(tickets=[{"mode": "rail", "class": "standard", "fare": 59_800}] * 2)
    assert (r["fare"], r["daily_allowance"], r["meals"], r["lodging"]) == (
        119_600,
        25_000,
        25_000,
        0,
    )
    assert r["total"] == 169_600 and r["flags"] == []
    assert all(line["source"].startswith("공무원 여비 규정") for line in r["lines"])


def test_official_vehicle_halves_the_daily_allowance() -> None:
    # 3 days (10th–12th): 일비 3 × 12,500 = 37,500; 식비 3 × 25,000 = 75,000 (not reduced)
    r = trip(end="2025-03-12T18:00", official_vehicle=True)
    assert (r["daily_allowance"], r["meals"]) == (37_500, 75_000)


@pytest.mark.parametrize(
    ("region", "paid", "cap"),
    [("seoul", 130_000, 100_000), ("metro", 95_000, 80_000), ("other", 69_000, 70_000)],
)
def test_band_2_lodging_is_capped_by_region(region: str, paid: int, cap: int) -> None:
    r = trip(end="2025-03-11T18:00", nights=[{"region": region, "lodging": paid}])
    assert r["lodging"] == min(paid, cap)
    assert ("night_1_lodging_over_cap" in r["flags"]) == (paid > cap)


def test_unavoidable_overage_up_to_three_tenths_of_the_cap() -> None:
    # Seoul cap 100,000 + 3/10 = 130,000: 125,000 paid in full; 150,000 → 130,000
    r = trip(end="2025-03-12T18:00", nights=[
        {"region": "seoul", "lodging": 125_000, "unavoidable": True},
        {"region": "seoul", "lodging": 150_000, "unavoidable": True},
    ])  # fmt: skip
    assert r["lodging"] == 125_000 + 130_000


def test_band_1_lodging_has_no_cap_and_rail_first_class_is_allowed() -> None:
    r = trip(band=1, end="2025-03-11T18:00", nights=[{"region": "seoul", "lodging": 250_000}],
             tickets=[{"mode": "rail", "class": "first", "fare": 83_700}])  # fmt: skip
    assert (r["lodging"], r["fare"], r["flags"]) == (250_000, 83_700, [])


def test_relatives_pay_a_flat_night_and_refunds_are_excluded() -> None:
    # 2 nights with relatives: 2 × 20,000; a refunded bus ticket is not paid and is flagged
    r = trip(end="2025-03-12T18:00", nights=[{"region": "seoul", "relatives": True}] * 2,
             tickets=[{"mode": "bus", "class": "standard", "fare": 23_000, "status": "refunded"},
                      {"mode": "bus", "class": "standard", "fare": 23_000, "status": "changed"}])  # fmt: skip
    assert (r["lodging"], r["fare"]) == (40_000, 23_000)
    assert "ticket_1_refunded_excluded" in r["flags"]
    assert any("확인 필요" in line["source"] for line in r["lines"])  # the unconfirmed 20,000


def test_band_2_first_class_rail_pays_the_standard_fare_and_is_flagged() -> None:
    r = trip(tickets=[{"mode": "rail", "class": "first", "fare": 83_700, "standard_fare": 59_800},
                      {"mode": "ship", "class": "first", "fare": 40_000}])  # fmt: skip
    assert r["fare"] == 59_800 + 40_000  # the ship's 2nd-class fare is unknown: paid, flagged
    assert r["flags"] == ["ticket_1_first_class_for_band_2", "ticket_2_first_class_for_band_2"]


@pytest.mark.parametrize(
    ("start", "end", "vehicle", "expected"),
    [
        ("2025-03-10T09:00", "2025-03-10T12:59", False, 10_000),  # under 4 hours
        ("2025-03-10T09:00", "2025-03-10T13:00", False, 20_000),  # exactly 4 hours
        ("2025-03-10T09:00", "2025-03-10T18:00", True, 10_000),  # 4h+, official vehicle −10,000
        ("2025-03-10T09:00", "2025-03-10T11:00", True, 0),  # under 4h with vehicle
        # over midnight: 4h on the 10th (20,000) + 2h on the 11th (10,000); the cap is per day
        ("2025-03-10T20:00", "2025-03-11T02:00", False, 30_000),
    ],
)
def test_within_the_duty_station_by_hours(
    start: str, end: str, vehicle: bool, expected: int
) -> None:
    r = trip(kind="within", start=start, end=end, official_vehicle=vehicle)
    assert r["total"] == r["daily_allowance"] == expected


def test_regions_map_to_cap_classes() -> None:
    assert cap_class("서울특별시 종로구 세종대로 209") == "seoul"
    assert cap_class("부산광역시 연제구") == "metro" and cap_class("대전 서구") == "metro"
    assert cap_class("세종특별자치시 도움6로") == "other" and cap_class("경기도 광주시") == "other"
    assert (
        cap_class("11110") == "seoul"
        and cap_class("26") == "metro"
        and cap_class("36110") == "other"
    )
    with pytest.raises(ValueError):
        cap_class("99")


@given(
    st.integers(0, 300_000), st.integers(0, 300_000), st.sampled_from(["seoul", "metro", "other"]),
    st.booleans(),
)  # fmt: skip
def test_paying_more_for_lodging_never_lowers_the_refund(
    a: int, b: int, region: str, unavoidable: bool
) -> None:
    lo, hi = sorted((a, b))
    night = {"region": region, "unavoidable": unavoidable}
    r_lo = trip(end="2025-03-11T10:00", nights=[{**night, "lodging": lo}])
    r_hi = trip(end="2025-03-11T10:00", nights=[{**night, "lodging": hi}])
    assert r_lo["lodging"] <= r_hi["lodging"] <= hi
    assert r_hi["total"] == sum(r_hi[k] for k in ("fare", "daily_allowance", "meals", "lodging"))


def test_cli_contract_keeps_order_and_reports_bad_trips(tmp_path: Path) -> None:
    trips = [
        {"id": "a", "band": 2, "start": "2025-03-10T08:00", "end": "2025-03-10T20:00"},
        {"id": "b", "band": 3, "start": "2025-03-10T08:00", "end": "2025-03-10T20:00"},
        {"id": "c", "band": 1, "start": "2025-03-10T08:00", "end": "2025-03-09T20:00"},
    ]
    src = tmp_path / "trips.json"
    src.write_text(json.dumps(trips), encoding="utf-8")
    out = tmp_path / "out.json"
    r = CliRunner().invoke(app, ["travel", "compute", str(src), "-o", str(out)])
    assert r.exit_code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [d["id"] for d in data] == ["a", "b", "c"]
    assert set(data[0]) >= {
        "id",
        "fare",
        "daily_allowance",
        "meals",
        "lodging",
        "total",
        "flags",
        "lines",
    }
    assert "trips.json: trip b: band:" in r.output and "trips.json: trip c:" in r.output


def test_within_station_trip_ending_at_midnight_pays_one_day() -> None:
    # 20:00 to 24:00: 4 hours on the first day (20,000 from 4 hours), none on the next
    r = compute(Trip.model_validate({"id": 1, "band": 2, "kind": "within",
                                     "start": "2025-03-10T20:00", "end": "2025-03-11T00:00"}))  # fmt: skip
    assert r["daily_allowance"] == 20_000 and len(r["lines"]) == 1
