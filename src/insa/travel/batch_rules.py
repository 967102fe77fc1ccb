"""The rules of :func:`insa.travel.compute.compute` over the int64 columns of
:mod:`insa.travel.batch_load`, equal to it to the won, trip by trip.

The rates are gathered per trip from the dated parameter entry in force on the trip's start
date, as the scalar engine reads them. Trips the scalar engine would refuse (a malformed trip,
no rate in force) get the ``INVALID`` flag and zero amounts. Flags are a bitmask per trip plus
counts of the per-ticket and per-night flags (:func:`flag_summary` turns the scalar's flag
list into the same form).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from insa.params import ParameterSet, fraction, load
from insa.travel.batch_load import I64, MODES, REGIONS, B, TripColumns
from insa.travel.schemas import MAX_WON  # the contract's bound for one fare or one night

DAY_US = 86_400 * 1_000_000
HOUR_US = 3_600 * 1_000_000

# flag bits
INVALID = 1  # the scalar engine would refuse the trip (validation or no rate in force)
REFUNDED = 2  # ticket_{i}_refunded_excluded
FIRST_CLASS = 4  # ticket_{i}_first_class_for_band_{b}
MORE_NIGHTS = 8  # more_nights_than_the_trip_has
OVER_CAP = 16  # night_{n}_lodging_over_cap
WITHIN_IGNORED = 32  # within_station_tickets_or_nights_ignored
AMOUNTS = ("fare", "daily_allowance", "meals", "lodging", "total")
FLAG_NAMES = {
    "invalid": INVALID, "refunded_excluded": REFUNDED, "first_class": FIRST_CLASS,
    "more_nights_than_the_trip_has": MORE_NIGHTS, "lodging_over_cap": OVER_CAP,
    "within_station_tickets_or_nights_ignored": WITHIN_IGNORED,
}  # fmt: skip
_COLUMNS = ("trip_id", *AMOUNTS, "flags", "refunded", "first_class", "over_cap")


@dataclass
class BatchSettlement:
    """Amounts per trip (int64 won), the flag bitmask and the per-item flag counts."""

    trip_id: I64
    fare: I64
    daily_allowance: I64
    meals: I64
    lodging: I64
    total: I64
    flags: I64
    refunded: I64  # tickets refunded and excluded
    first_class: I64  # tickets above the entitled class
    over_cap: I64  # nights above the lodging cap
    multi_day_within: int  # within-station trips over several calendar days (vectorised too)
    rate_groups: int  # distinct combinations of rate entries applied
    load_s: float = 0.0
    compute_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.trip_id)

    @property
    def invalid(self) -> int:
        return int(np.count_nonzero(self.flags & INVALID))

    def columns(self) -> dict[str, I64]:
        return {k: getattr(self, k) for k in _COLUMNS}

    def row(self, i: int) -> dict[str, int]:
        return {k: int(v[i]) for k, v in self.columns().items()}


def flag_summary(flags: Sequence[str]) -> tuple[int, int, int, int]:
    """The scalar engine's flag list as (bitmask, refunded, first class, over cap)."""
    bits = refunded = first = over = 0
    for f in flags:
        if f.endswith("_refunded_excluded"):
            bits, refunded = bits | REFUNDED, refunded + 1
        elif "_first_class_for_band_" in f:
            bits, first = bits | FIRST_CLASS, first + 1
        elif f.endswith("_lodging_over_cap"):
            bits, over = bits | OVER_CAP, over + 1
        elif f == "more_nights_than_the_trip_has":
            bits |= MORE_NIGHTS
        elif f == "within_station_tickets_or_nights_ignored":
            bits |= WITHIN_IGNORED
        else:
            raise ValueError(f"unknown flag {f!r}")
    return bits, refunded, first, over


# ---------------------------------------------------------------- rates


@dataclass
class _Rates:
    """Every dated entry of one parameter; ``index`` maps a trip's start day to its entry."""

    effective: I64  # days since 1970 of each entry's effective date
    values: list[Any]

    def index(self, day: I64) -> tuple[I64, B]:
        i = np.searchsorted(self.effective, day, side="right") - 1
        missing = np.array([v is None for v in self.values] or [True], dtype=bool)
        i0 = np.maximum(i, 0)
        return i0, (i >= 0) & ~missing[i0]


def _rates(p: ParameterSet, name: str) -> _Rates:
    entries = p[name].values
    epoch = dt.date(1970, 1, 1)
    eff = np.array([(e.effective - epoch).days for e in entries], dtype=np.int64)
    return _Rates(eff, [e.value for e in entries])


def _frac(value: Any) -> tuple[int, int]:
    f = fraction(value)
    return f.numerator, f.denominator


@dataclass
class _Domestic:
    daily: I64
    meals: I64
    ov_num: I64
    ov_den: I64
    over_num: I64
    over_den: I64
    fare_ok: B  # [entry, band]: the band has a fare-class row
    first_ok: B  # [entry, band, mode]: first class is within the entitlement
    cap_known: B  # [entry, band]: the band has a lodging-cap row
    no_cap: B  # [entry, band]: no cap (band 1)
    cap: I64  # [entry, band, region]
    cap_ok: B  # [entry, band, region]


def _domestic(values: list[Any]) -> _Domestic:
    e = len(values)
    z = [np.zeros(e, dtype=np.int64) for _ in range(6)]
    out = _Domestic(
        daily=z[0], meals=z[1], ov_num=z[2], ov_den=z[3], over_num=z[4], over_den=z[5],
        fare_ok=np.zeros((e, 3), dtype=bool),
        first_ok=np.zeros((e, 3, len(MODES)), dtype=bool),
        cap_known=np.zeros((e, 3), dtype=bool),
        no_cap=np.zeros((e, 3), dtype=bool),
        cap=np.zeros((e, 3, len(REGIONS)), dtype=np.int64),
        cap_ok=np.zeros((e, 3, len(REGIONS)), dtype=bool),
    )  # fmt: skip
    for i, v in enumerate(values):
        if v is None:
            continue
        out.daily[i], out.meals[i] = v["daily_allowance"], v["meals"]
        out.ov_num[i], out.ov_den[i] = _frac(v["official_vehicle_daily_share"])
        out.over_num[i], out.over_den[i] = _frac(v["lodging_overage_share"])
        for b in (1, 2):
            entitled = v["fare_class"].get(b)
            if entitled is not None:
                out.fare_ok[i, b] = True
                for m, mode in enumerate(MODES):
                    out.first_ok[i, b, m] = entitled.get(mode) in ("first", "actual")
            if b in v["lodging_cap"]:
                out.cap_known[i, b] = True
                caps = v["lodging_cap"][b]
                if caps is None:
                    out.no_cap[i, b] = True
                    continue
                for r, region in enumerate(REGIONS):
                    if region in caps:
                        out.cap[i, b, r], out.cap_ok[i, b, r] = caps[region], True
    out.ov_den[out.ov_den == 0] = 1
    out.over_den[out.over_den == 0] = 1
    return out


# ---------------------------------------------------------------- computing


def settle_columns(
    c: TripColumns, p: ParameterSet | None = None, *, chunk: int = 250_000
) -> BatchSettlement:
    """The settlement of every loaded trip, as ``compute`` would give it.

    Trips are independent, so they are settled ``chunk`` at a time (with their nights and
    tickets): the temporaries stay small whatever the number of trips.
    """
    p = p or load("travel")
    if c.n <= chunk:
        return _settle(c, p)[0]
    nord = np.argsort(c.night_trip, kind="stable")
    tord = np.argsort(c.ticket_trip, kind="stable")
    night_trip, ticket_trip = c.night_trip[nord], c.ticket_trip[tord]
    joined = {k: np.zeros(c.n, dtype=np.int64) for k in _COLUMNS}
    counts: Counter[str] = Counter()
    multi_day = 0
    combos: set[int] = set()
    for lo in range(0, c.n, chunk):
        hi = min(lo + chunk, c.n)
        na, nb = np.searchsorted(night_trip, [lo, hi])
        ta, tb = np.searchsorted(ticket_trip, [lo, hi])
        ns, ts = nord[na:nb], tord[ta:tb]
        sub = TripColumns(
            trip_id=c.trip_id[lo:hi], band=c.band[lo:hi], kind=c.kind[lo:hi],
            official_vehicle=c.official_vehicle[lo:hi], start_us=c.start_us[lo:hi],
            end_us=c.end_us[lo:hi], night_trip=night_trip[na:nb] - lo,
            night_lodging=c.night_lodging[ns], night_region=c.night_region[ns],
            night_relatives=c.night_relatives[ns], night_unavoidable=c.night_unavoidable[ns],
            ticket_trip=ticket_trip[ta:tb] - lo, ticket_fare=c.ticket_fare[ts],
            ticket_mode=c.ticket_mode[ts], ticket_class=c.ticket_class[ts],
            ticket_status=c.ticket_status[ts],
        )  # fmt: skip
        part, keys = _settle(sub, p)
        for k in _COLUMNS:
            joined[k][lo:hi] = getattr(part, k)
        counts.update(part.counts)
        multi_day += part.multi_day_within
        combos |= keys
    return BatchSettlement(
        trip_id=joined["trip_id"], fare=joined["fare"],
        daily_allowance=joined["daily_allowance"], meals=joined["meals"],
        lodging=joined["lodging"], total=joined["total"], flags=joined["flags"],
        refunded=joined["refunded"], first_class=joined["first_class"],
        over_cap=joined["over_cap"], multi_day_within=multi_day,
        rate_groups=len(combos), counts=dict(counts),
    )  # fmt: skip


def _settle(c: TripColumns, p: ParameterSet) -> tuple[BatchSettlement, set[int]]:
    """One chunk; also the keys of the rate-entry combinations it used."""
    d = _days(c)
    rates = _in_force(c, d, p)
    out = _outside(c, d, rates)
    within_total = _within(c, d, rates)
    valid = _contract_valid(c, d) & rates.ok & out.cap_rows_ok
    return _assemble(c, d, rates, valid, out, within_total)


@dataclass
class _Days:
    """Each trip's calendar days and the fields every rule reads."""

    sday: I64  # days since 1970 of the start and end
    eday: I64
    days: I64  # calendar days, first and last included
    band: I64  # 1 or 2; 0 for a band the contract refuses
    outside: B
    within: B


def _days(c: TripColumns) -> _Days:
    sday = np.floor_divide(c.start_us, DAY_US)
    eday = np.floor_divide(c.end_us, DAY_US)
    return _Days(
        sday=sday,
        eday=eday,
        days=eday - sday + 1,
        band=np.where((c.band == 1) | (c.band == 2), c.band, 0),
        outside=c.kind == 0,
        within=c.kind == 1,
    )


def _contract_valid(c: TripColumns, d: _Days) -> B:
    """The trips the contract's validation accepts (with all their tickets and nights)."""
    n = c.n
    valid = (d.band > 0) & (c.kind >= 0) & (c.end_us > c.start_us) & (d.eday - d.sday <= 366)
    t_bad = (
        (c.ticket_mode < 0) | (c.ticket_class < 0) | (c.ticket_status < 0)
        | (c.ticket_fare < 0) | (c.ticket_fare > MAX_WON)
    )  # fmt: skip
    n_bad = (c.night_region < 0) | (c.night_lodging < 0) | (c.night_lodging > MAX_WON)
    valid &= np.bincount(c.ticket_trip[t_bad], minlength=n) == 0
    valid &= np.bincount(c.night_trip[n_bad], minlength=n) == 0
    return valid


@dataclass
class _InForce:
    """The rate entries in force on each trip's start date."""

    domestic: _Rates
    within_station: _Rates
    relatives: _Rates
    ed: I64  # per trip: index of its domestic, within-station and relatives entry
    ew: I64
    er: I64
    dom: _Domestic
    ok: B  # per trip: every rate the scalar engine reads for it is there


def _in_force(c: TripColumns, d: _Days, p: ParameterSet) -> _InForce:
    dom_r, wst_r, rel_r = (
        _rates(p, k) for k in ("rates.domestic", "rates.within_station", "rates.relatives")
    )
    ed, ok_d = dom_r.index(d.sday)
    ew, ok_w = wst_r.index(d.sday)
    er, ok_r = rel_r.index(d.sday)
    dom = _domestic(dom_r.values)
    # the scalar reads the domestic and relatives rates for an outside trip, the fare class and
    # the cap row of its band; the within-station rate for a within trip
    band = d.band
    ok = np.where(d.outside, ok_d & ok_r & dom.fare_ok[ed, band] & dom.cap_known[ed, band], ok_w)
    return _InForce(dom_r, wst_r, rel_r, ed, ew, er, dom, ok)


@dataclass
class _Outside:
    """The amounts of a trip outside the duty station and its per-item flag counts."""

    fare: I64
    daily: I64
    meals: I64
    lodging: I64
    n_refunded: I64
    n_first: I64
    n_over: I64
    cap_rows_ok: B  # no capped night of a region without a cap row (the scalar raises)


def _outside(c: TripColumns, d: _Days, r: _InForce) -> _Outside:
    fare, n_refunded, n_first = _fares(c, d, r)
    # daily allowance and meals
    ed, dom = r.ed, r.dom
    per_day = np.where(
        c.official_vehicle, dom.daily[ed] * dom.ov_num[ed] // dom.ov_den[ed], dom.daily[ed]
    )
    lodging, n_over, cap_rows_ok = _lodging(c, d, r)
    return _Outside(
        fare=fare,
        daily=d.days * per_day,
        meals=d.days * dom.meals[ed],
        lodging=lodging,
        n_refunded=n_refunded,
        n_first=n_first,
        n_over=n_over,
        cap_rows_ok=cap_rows_ok,
    )


def _fares(c: TripColumns, d: _Days, r: _InForce) -> tuple[I64, I64, I64]:
    """Fares of the tickets not refunded; the counts of refunded and first-class tickets."""
    n, tt, band = c.n, c.ticket_trip, d.band
    refunded_t = c.ticket_status == 2
    paid_t = ~refunded_t
    fare = np.zeros(n, dtype=np.int64)
    np.add.at(fare, tt[paid_t], c.ticket_fare[paid_t])
    first_t = (
        paid_t & (c.ticket_class == 1)
        & ~r.dom.first_ok[r.ed[tt], band[tt], np.maximum(c.ticket_mode, 0)]
    )  # fmt: skip
    # (no standard fare in the database: a first-class fare is kept, and flagged)
    n_refunded = np.bincount(tt[refunded_t], minlength=n)
    n_first = np.bincount(tt[first_t], minlength=n)
    return fare, n_refunded, n_first


def _lodging(c: TripColumns, d: _Days, r: _InForce) -> tuple[I64, I64, B]:
    """Lodging per trip, the nights over the cap, and whether every capped night has a cap."""
    n, nt, dom = c.n, c.night_trip, r.dom
    nb, ne = d.band[nt], r.ed[nt]
    region = np.maximum(c.night_region, 0)
    cap = dom.cap[ne, nb, region]
    limit = np.where(c.night_unavoidable, cap + cap * dom.over_num[ne] // dom.over_den[ne], cap)
    capped = ~c.night_relatives & ~dom.no_cap[ne, nb]
    rel_amount = np.array([v if v is not None else 0 for v in r.relatives.values], dtype=np.int64)
    amount = np.where(
        c.night_relatives,
        rel_amount[r.er[nt]],
        np.where(capped, np.minimum(c.night_lodging, limit), c.night_lodging),
    )
    over_n = capped & (c.night_lodging > cap)
    # a capped night of a region without a cap row: the scalar raises (KeyError)
    cap_rows_ok = np.bincount(nt[capped & ~dom.cap_ok[ne, nb, region]], minlength=n) == 0
    lodging = np.zeros(n, dtype=np.int64)
    np.add.at(lodging, nt, amount)
    n_over = np.bincount(nt[over_n], minlength=n)
    return lodging, n_over, cap_rows_ok


def _within(c: TripColumns, d: _Days, r: _InForce) -> I64:
    """The daily allowance of a trip within the duty station: per calendar day."""
    values, ew, ov = r.within_station.values, r.ew, c.official_vehicle

    def w_col(key: str) -> I64:
        return np.array([0 if v is None else v[key] for v in values], dtype=np.int64)[ew]

    w_from, w_under = w_col("from_4h"), w_col("under_4h")
    w_red, w_cap = w_col("official_vehicle_reduction"), w_col("daily_cap")
    thr = [(0, 1) if v is None else _frac(v["hours_threshold"]) for v in values]
    t_num = np.array([a for a, _ in thr], dtype=np.int64)[ew]
    t_den = np.array([b for _, b in thr], dtype=np.int64)[ew]

    def day_amount(span_us: I64) -> I64:
        # hours >= threshold, exactly: span_us / HOUR_US >= num / den
        base = np.where(span_us * t_den >= t_num * HOUR_US, w_from, w_under)
        base = np.where(ov, np.maximum(base - w_red, 0), base)
        # a trip ending exactly at midnight spends no time on its last day
        return np.where(span_us > 0, np.minimum(base, w_cap), 0)

    one_day = d.days == 1
    first_span = np.where(one_day, c.end_us - c.start_us, (d.sday + 1) * DAY_US - c.start_us)
    last_span = c.end_us - d.eday * DAY_US
    within_total: I64 = day_amount(first_span) + np.where(
        one_day,
        0,
        day_amount(last_span)
        + np.maximum(d.days - 2, 0) * day_amount(np.full(c.n, DAY_US, dtype=np.int64)),
    )
    return within_total


def _assemble(
    c: TripColumns, d: _Days, r: _InForce, valid: B, o: _Outside, within_total: I64
) -> tuple[BatchSettlement, set[int]]:
    """Each trip's amounts by its kind (zero when refused), its flags and the rate keys."""
    n = c.n
    zero = np.zeros(n, dtype=np.int64)
    out_ok = valid & d.outside
    in_ok = valid & d.within
    res_fare = np.where(out_ok, o.fare, zero)
    res_daily = np.where(out_ok, o.daily, np.where(in_ok, within_total, zero))
    res_meals = np.where(out_ok, o.meals, zero)
    res_lodging = np.where(out_ok, o.lodging, zero)
    n_tickets = np.bincount(c.ticket_trip, minlength=n)
    n_nights = np.bincount(c.night_trip, minlength=n)
    flags = np.where(valid, 0, INVALID).astype(np.int64)
    flags |= np.where(out_ok & (o.n_refunded > 0), REFUNDED, 0)
    flags |= np.where(out_ok & (o.n_first > 0), FIRST_CLASS, 0)
    flags |= np.where(out_ok & (n_nights > d.days - 1), MORE_NIGHTS, 0)
    flags |= np.where(out_ok & (o.n_over > 0), OVER_CAP, 0)
    flags |= np.where(in_ok & ((n_tickets > 0) | (n_nights > 0)), WITHIN_IGNORED, 0)
    combo = (r.ed * len(r.within_station.values) + r.ew) * len(r.relatives.values) + r.er
    keys = set(np.flatnonzero(np.bincount(combo[valid])).tolist()) if valid.any() else set()
    out = BatchSettlement(
        trip_id=c.trip_id,
        fare=res_fare,
        daily_allowance=res_daily,
        meals=res_meals,
        lodging=res_lodging,
        total=res_fare + res_daily + res_meals + res_lodging,
        flags=flags,
        refunded=np.where(out_ok, o.n_refunded, 0),
        first_class=np.where(out_ok, o.n_first, 0),
        over_cap=np.where(out_ok, o.n_over, 0),
        multi_day_within=int(np.count_nonzero(in_ok & (d.days != 1))),
        rate_groups=len(keys),
        counts={
            "trips": n,
            "outside": int(np.count_nonzero(out_ok)),
            "within": int(np.count_nonzero(in_ok)),
            "invalid": int(np.count_nonzero(~valid)),
            "nights": len(c.night_trip),
            "tickets": len(c.ticket_trip),
        },
    )
    return out, keys
