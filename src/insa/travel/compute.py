"""The stateless travel computation — a fixed public contract (``insa travel compute``).

Input, one trip: ``id``, ``band`` (1|2), ``kind`` ("outside"|"within"), ``start``, ``end``
(ISO local date-times), ``official_vehicle``, ``tickets[{mode, class, fare, status}]``,
``nights[{region, lodging, relatives}]``. Output: ``id, fare, daily_allowance, meals,
lodging, total, flags[], lines[{item, amount, rule, source}]``. Money is integer won.

Added to the contract (optional): a ticket's ``standard_fare`` (the entitled-class fare, paid
instead of a higher class's fare) and a night's ``unavoidable`` (lodging above the cap for an
unavoidable reason: up to 3/10 more, 공무원 여비 규정 제16조①).

The input's shapes are in :mod:`insa.travel.schemas` (importable from here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pydantic import ValidationError

from insa.params import ParameterSet, fraction, load
from insa.travel.schemas import MAX_WON, Night, Ticket, Trip, Won

__all__ = ["MAX_WON", "Night", "Ticket", "Trip", "Won", "compute", "compute_trips", "is_won"]
# the words of the explanation lines (the JSON keeps the codes in its input)
MODE_LABELS = {"rail": "철도", "bus": "버스", "air": "항공", "ship": "선박"}
REGION_LABELS = {"seoul": "서울특별시", "metro": "광역시", "other": "그 밖의 지역"}


def is_won(text: str) -> bool:
    """An amount typed in a form: digits only, at most the computation's bound."""
    return text.isascii() and text.isdigit() and len(text) <= 9 and int(text) <= MAX_WON


def _source(name: str, on: dt.date) -> str:
    e = load("travel")[name].entry(on)
    text = f"{e.reference.get('title', '')} {e.reference.get('article', '')}".strip()
    return text if e.confirmed else f"{text} (확인 필요)"


@dataclass
class _Sheet:
    """What one computation writes down: its lines (each amount with the rule and the source
    in force on ``on``) and its flags, in order."""

    on: dt.date
    flags: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)

    def line(self, item: str, amount: int, rule: str, param: str) -> int:
        self.lines.append(
            {"item": item, "amount": amount, "rule": rule, "source": _source(param, self.on)}
        )
        return amount


def compute(trip: Trip) -> dict[str, Any]:
    """One trip's travel expenses, every amount with the rule and source it comes from."""
    on = trip.start.date()
    p = load("travel")
    sheet = _Sheet(on)
    if trip.kind == "within":
        paid = _within_station(trip, p.get("rates.within_station", on), sheet)
        if trip.tickets or trip.nights:
            sheet.flags.append("within_station_tickets_or_nights_ignored")
        return _result(trip, 0, paid, 0, 0, sheet)
    days = (trip.end.date() - trip.start.date()).days + 1
    d = p.get("rates.domestic", on)
    fare = _fares(trip, d, sheet)
    daily, meals = _daily_and_meals(trip, d, days, sheet)
    lodging = _lodging(trip, d, p, days, sheet)
    return _result(trip, fare, daily, meals, lodging, sheet)


def _within_station(trip: Trip, w: Any, sheet: _Sheet) -> int:
    """근무지 내 출장: each calendar day by the hours that fall in it (official vehicle less),
    at most the daily cap."""
    total = 0
    day = trip.start.date()
    while day <= trip.end.date():
        begin = max(trip.start, dt.datetime.combine(day, dt.time()))
        finish = min(trip.end, dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
        if finish <= begin:  # a trip ending exactly at midnight spends no time that day
            day += dt.timedelta(days=1)
            continue
        hours = (finish - begin).total_seconds() / 3600
        amount = w["from_4h"] if hours >= w["hours_threshold"] else w["under_4h"]
        if trip.official_vehicle:
            amount = max(amount - w["official_vehicle_reduction"], 0)
        amount = min(amount, w["daily_cap"])
        total += sheet.line(
            f"근무지 내 출장 ({day.isoformat()})",
            amount,
            f"{hours:.1f}시간: {'4시간 이상' if hours >= w['hours_threshold'] else '4시간 미만'}"
            + (", 공용차량 감액" if trip.official_vehicle else ""),
            "rates.within_station",
        )
        day += dt.timedelta(days=1)
    return total


def _fares(trip: Trip, d: Any, sheet: _Sheet) -> int:
    """운임: each ticket at cost, refunded ones not at all, a higher class than the band's
    up to the entitled class's fare when known."""
    entitled = d["fare_class"][trip.band]
    fare = 0
    for i, t in enumerate(trip.tickets, start=1):
        if t.status == "refunded":
            sheet.flags.append(f"ticket_{i}_refunded_excluded")
            sheet.line(
                f"운임 {i} ({MODE_LABELS[t.mode]}, 환불)",
                0,
                "환불된 표는 지급하지 않음",
                "rates.domestic",
            )
            continue
        allowed_first = entitled.get(t.mode) == "first" or entitled.get(t.mode) == "actual"
        amount = t.fare
        rule = f"실비 ({'특실·1등' if t.class_ == 'first' else '일반실·2등'})"
        if t.class_ == "first" and not allowed_first:
            sheet.flags.append(f"ticket_{i}_first_class_for_band_{trip.band}")
            if t.standard_fare is not None:
                amount = min(t.fare, t.standard_fare)
                rule = f"{trip.band}호 해당자는 일반실·2등 운임까지 (상위 등급 차액 제외)"
            else:
                rule += " — 상위 등급: 일반실 운임 확인 필요"
        fare += sheet.line(f"운임 {i} ({MODE_LABELS[t.mode]})", amount, rule, "rates.domestic")
    return fare


def _daily_and_meals(trip: Trip, d: Any, days: int, sheet: _Sheet) -> tuple[int, int]:
    """일비 (half with an official vehicle) and 식비, per calendar day."""
    share = fraction(d["official_vehicle_daily_share"]) if trip.official_vehicle else Fraction(1)
    per_day = d["daily_allowance"] * share.numerator // share.denominator
    daily = sheet.line(
        "일비",
        days * per_day,
        f"{days}일 × {per_day:,}원"
        + (" (공용차량 이용: 2분의 1)" if trip.official_vehicle else ""),
        "rates.domestic",
    )
    meals = sheet.line("식비", days * d["meals"], f"{days}일 × {d['meals']:,}원", "rates.domestic")
    return daily, meals


def _lodging(trip: Trip, d: Any, p: ParameterSet, days: int, sheet: _Sheet) -> int:
    """숙박비: at cost up to the band's cap for the region (3/10 more for an unavoidable
    reason), a fixed amount at relatives', no cap for band 1."""
    if len(trip.nights) > days - 1:
        sheet.flags.append("more_nights_than_the_trip_has")
    lodging = 0
    caps = d["lodging_cap"][trip.band]
    overage = fraction(d["lodging_overage_share"])
    relatives = p.get("rates.relatives", sheet.on)
    for n, night in enumerate(trip.nights, start=1):
        if night.relatives:
            lodging += sheet.line(
                f"숙박 {n}박 (친지 집)",
                relatives,
                f"친지 집 숙박 1박 {relatives:,}원",
                "rates.relatives",
            )
            continue
        if caps is None:
            lodging += sheet.line(
                f"숙박 {n}박", night.lodging, "실비 (1호 해당자는 상한 없음)", "rates.domestic"
            )
            continue
        cap = caps[night.region]
        limit = cap + cap * overage.numerator // overage.denominator if night.unavoidable else cap
        amount = min(night.lodging, limit)
        rule = f"실비, 상한 {cap:,}원 ({REGION_LABELS[night.region]})"
        if night.lodging > cap:
            sheet.flags.append(f"night_{n}_lodging_over_cap")
            rule += (
                f" — 부득이한 사유로 10분의 3까지 가산, {limit:,}원 한도"
                if night.unavoidable
                else f" — 초과분 {night.lodging - cap:,}원 제외"
            )
        lodging += sheet.line(f"숙박 {n}박", amount, rule, "rates.domestic")
    return lodging


def _result(
    trip: Trip, fare: int, daily: int, meals: int, lodging: int, sheet: _Sheet
) -> dict[str, Any]:
    return {
        "id": trip.id,
        "fare": fare,
        "daily_allowance": daily,
        "meals": meals,
        "lodging": lodging,
        "total": fare + daily + meals + lodging,
        "flags": sheet.flags,
        "lines": sheet.lines,
    }


def compute_trips(raw: list[Any]) -> tuple[list[dict[str, Any]], int]:
    """Results in input order; a malformed trip becomes ``{id, errors}``; failures counted."""
    out: list[dict[str, Any]] = []
    failed = 0
    for i, item in enumerate(raw):
        trip_id = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            out.append(compute(Trip.model_validate(item)))
        except ValidationError as exc:
            failed += 1
            errors = [
                {"field": ".".join(str(x) for x in e["loc"]) or "(trip)", "message": e["msg"]}
                for e in exc.errors()
            ]
            out.append({"id": trip_id, "errors": errors})
    return out, failed
