"""Settle every trip in the database at once: the rules of :func:`insa.travel.compute.compute`
over NumPy int64 columns, equal to it to the won, trip by trip.

Four plain queries read the trips, their nights, their linked tickets and their confirmed fare
receipts (paid as tickets, as ``service.settlement`` does); codes and epoch microseconds are
computed in SQL, rows are taken as DBAPI tuples. The rates are gathered per trip from the dated
parameter entry in force on the trip's start date, as the scalar engine reads them. Trips the scalar engine would refuse (a malformed trip, no rate in force) get the
``INVALID`` flag and zero amounts. Flags are a bitmask per trip plus counts of the per-ticket
and per-night flags (:func:`flag_summary` turns the scalar's flag list into the same form).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    String,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from insa.params import ParameterError, ParameterSet, fraction, load
from insa.travel.compute import Trip, compute
from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

DEFAULT_STATES = ("approved", "settled", "paid")
DAY_US = 86_400 * 1_000_000
HOUR_US = 3_600 * 1_000_000
MAX_WON = 100_000_000  # the contract's upper bound for one fare or one night's lodging

MODES = ("rail", "bus", "air", "ship")
CLASSES = ("standard", "first")
STATUSES = ("issued", "changed", "refunded")
REGIONS = ("seoul", "metro", "other")
KINDS = ("outside", "within")
FARE_RECEIPT_KINDS = MODES  # receipts.FARE_KINDS: a confirmed one is paid as a ticket

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


@dataclass
class TripColumns:
    """The trips as loaded: one row per trip (sorted by id), nights and tickets by position."""

    trip_id: I64
    band: I64
    kind: I64  # index in KINDS, -1 unknown
    official_vehicle: B
    start_us: I64  # naive local date-time as microseconds since 1970-01-01
    end_us: I64
    night_trip: I64  # position of the night's trip
    night_lodging: I64
    night_region: I64  # index in REGIONS, -1 unknown
    night_relatives: B
    night_unavoidable: B
    ticket_trip: I64  # position of the ticket's trip
    ticket_fare: I64
    ticket_mode: I64  # index in MODES, -1 unknown
    ticket_class: I64  # index in CLASSES, -1 unknown
    ticket_status: I64  # index in STATUSES, -1 unknown

    @property
    def n(self) -> int:
        return len(self.trip_id)


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
        names = ("trip_id", *AMOUNTS, "flags", "refunded", "first_class", "over_cap")
        return {k: getattr(self, k) for k in names}

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


# ---------------------------------------------------------------- loading


def _code(col: Any, values: Sequence[str]) -> ColumnElement[int]:
    return case({v: i for i, v in enumerate(values)}, value=col, else_=-1)


def _epoch_us(col: Any, dialect: str) -> ColumnElement[int]:
    """Microseconds since 1970 of a naive DateTime column, exactly, in SQL."""
    if dialect == "sqlite":
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'; strftime('%s') drops the fraction
        frac = case(
            (
                func.substr(col, 20, 1) == ".",
                cast(func.substr(type_coerce(col, String).concat("000000"), 21, 6), Integer),
            ),
            else_=0,
        )
        return cast(func.strftime("%s", col), BigInteger) * 1_000_000 + frac
    if dialect == "postgresql":
        return cast(extract("epoch", col) * 1_000_000, BigInteger)
    raise NotImplementedError(f"no batch loader for {dialect}")


def _fetch_ints(conn: Connection, stmt: Any, width: int, chunk: int = 200_000) -> I64:
    """An integer query as an (n, width) int64 array, read as plain DBAPI tuples in chunks:
    building a Row object per row costs seconds at millions of rows, and holding every tuple
    at once costs a gigabyte."""
    result = conn.execute(stmt)
    parts = [np.zeros((0, width), dtype=np.int64)]
    try:
        while rows := result.cursor.fetchmany(chunk):
            parts.append(np.array(rows, dtype=np.int64).reshape(len(rows), width))
    finally:
        result.close()
    return np.concatenate(parts)


def load_trips(conn: Connection, states: Sequence[str] | None = DEFAULT_STATES) -> TripColumns:
    """Trips in ``states`` (``None``: every trip), their nights, their linked tickets and their
    confirmed fare receipts (as tickets)."""
    d = conn.dialect.name
    t, nt, tk = TravelTrip, TravelNight, TravelTicket
    stmt = select(
        t.id, t.band, _code(t.kind, KINDS), cast(t.official_vehicle, Integer),
        _epoch_us(t.start_at, d), _epoch_us(t.end_at, d),
    )  # fmt: skip
    if states is not None:
        stmt = stmt.where(t.state.in_(list(states)))
    trips = _fetch_ints(conn, stmt, 6)
    order = np.argsort(trips[:, 0], kind="stable")
    if not np.all(order == np.arange(len(order))):
        trips = trips[order]
    ids = trips[:, 0]

    # nights and tickets of every trip are read by a plain scan and kept if their trip is
    # among the loaded ones: cheaper than a join when most trips are loaded
    code_n = (
        _code(nt.region, REGIONS) * 4
        + cast(nt.relatives, Integer) * 2
        + cast(nt.unavoidable, Integer)
        + literal(4)
    )  # +4 keeps an unknown region (-1) non-negative
    nights = _fetch_ints(conn, select(nt.trip_id, nt.lodging, code_n), 3)
    # (mode + 1) * 16 + (class + 1) * 4 + (status + 1): each part -1 when unknown
    code_t = (
        _code(tk.mode, MODES) * 16 + _code(tk.seat_class, CLASSES) * 4 + _code(tk.status, STATUSES)
    ) + literal(21)
    linked = select(tk.trip_id, tk.fare, code_t).where(tk.trip_id.is_not(None))
    # a confirmed fare receipt is one more ticket: standard class, issued (service.settlement)
    rc = TravelReceipt
    bought = select(
        rc.trip_id, func.coalesce(rc.total, 0), _code(rc.kind, MODES) * 16 + literal(16 + 4 + 1)
    ).where(rc.confirmed.is_(True), rc.kind.in_(FARE_RECEIPT_KINDS))
    tickets = np.concatenate([_fetch_ints(conn, linked, 3), _fetch_ints(conn, bought, 3)])
    npos, nkeep = _positions(ids, nights[:, 0])
    tpos, tkeep = _positions(ids, tickets[:, 0])
    nights, tickets = nights[nkeep], tickets[tkeep]
    nc, tc = nights[:, 2], tickets[:, 2]
    return TripColumns(
        trip_id=ids,
        band=trips[:, 1],
        kind=trips[:, 2],
        official_vehicle=trips[:, 3] != 0,
        start_us=trips[:, 4],
        end_us=trips[:, 5],
        night_trip=npos[nkeep],
        night_lodging=nights[:, 1],
        night_region=nc // 4 - 1,
        night_relatives=(nc % 4) >= 2,
        night_unavoidable=(nc % 2) == 1,
        ticket_trip=tpos[tkeep],
        ticket_fare=tickets[:, 1],
        ticket_mode=tc // 16 - 1,
        ticket_class=tc // 4 % 4 - 1,
        ticket_status=tc % 4 - 1,
    )


def _positions(ids: I64, keys: I64) -> tuple[I64, B]:
    if len(ids) == 0:
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
    pos = np.searchsorted(ids, keys)
    hit = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == keys)
    return pos.astype(np.int64), hit


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
    cols = ("trip_id", *AMOUNTS, "flags", "refunded", "first_class", "over_cap")
    joined = {k: np.zeros(c.n, dtype=np.int64) for k in cols}
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
        for k in cols:
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
    n = c.n
    sday = np.floor_divide(c.start_us, DAY_US)
    eday = np.floor_divide(c.end_us, DAY_US)
    days = eday - sday + 1
    band = np.where((c.band == 1) | (c.band == 2), c.band, 0)
    ov = c.official_vehicle
    outside, within = c.kind == 0, c.kind == 1

    # what the contract's validation refuses
    valid = (band > 0) & (c.kind >= 0) & (c.end_us > c.start_us) & (eday - sday <= 366)
    t_bad = (
        (c.ticket_mode < 0) | (c.ticket_class < 0) | (c.ticket_status < 0)
        | (c.ticket_fare < 0) | (c.ticket_fare > MAX_WON)
    )  # fmt: skip
    n_bad = (c.night_region < 0) | (c.night_lodging < 0) | (c.night_lodging > MAX_WON)
    valid &= np.bincount(c.ticket_trip[t_bad], minlength=n) == 0
    valid &= np.bincount(c.night_trip[n_bad], minlength=n) == 0

    dom_r, wst_r, rel_r = (
        _rates(p, k) for k in ("rates.domestic", "rates.within_station", "rates.relatives")
    )
    ed, ok_d = dom_r.index(sday)
    ew, ok_w = wst_r.index(sday)
    er, ok_r = rel_r.index(sday)
    dom = _domestic(dom_r.values)
    # the scalar reads the domestic and relatives rates for an outside trip, the fare class and
    # the cap row of its band; the within-station rate for a within trip
    valid &= np.where(outside, ok_d & ok_r & dom.fare_ok[ed, band] & dom.cap_known[ed, band], ok_w)
    n_tickets = np.bincount(c.ticket_trip, minlength=n)
    n_nights = np.bincount(c.night_trip, minlength=n)

    # ---- outside: fares
    tt = c.ticket_trip
    refunded_t = c.ticket_status == 2
    paid_t = ~refunded_t
    fare = np.zeros(n, dtype=np.int64)
    np.add.at(fare, tt[paid_t], c.ticket_fare[paid_t])
    first_t = (
        paid_t & (c.ticket_class == 1)
        & ~dom.first_ok[ed[tt], band[tt], np.maximum(c.ticket_mode, 0)]
    )  # fmt: skip
    # (no standard fare in the database: a first-class fare is kept, and flagged)
    n_refunded = np.bincount(tt[refunded_t], minlength=n)
    n_first = np.bincount(tt[first_t], minlength=n)

    # ---- outside: daily allowance and meals
    per_day = np.where(ov, dom.daily[ed] * dom.ov_num[ed] // dom.ov_den[ed], dom.daily[ed])
    daily = days * per_day
    meals = days * dom.meals[ed]

    # ---- outside: lodging
    nt = c.night_trip
    nb, ne = band[nt], ed[nt]
    region = np.maximum(c.night_region, 0)
    cap = dom.cap[ne, nb, region]
    limit = np.where(c.night_unavoidable, cap + cap * dom.over_num[ne] // dom.over_den[ne], cap)
    capped = ~c.night_relatives & ~dom.no_cap[ne, nb]
    rel_amount = np.array([v if v is not None else 0 for v in rel_r.values], dtype=np.int64)
    amount = np.where(
        c.night_relatives,
        rel_amount[er[nt]],
        np.where(capped, np.minimum(c.night_lodging, limit), c.night_lodging),
    )
    over_n = capped & (c.night_lodging > cap)
    # a capped night of a region without a cap row: the scalar raises (KeyError)
    valid &= np.bincount(nt[capped & ~dom.cap_ok[ne, nb, region]], minlength=n) == 0
    lodging = np.zeros(n, dtype=np.int64)
    np.add.at(lodging, nt, amount)
    n_over = np.bincount(nt[over_n], minlength=n)

    # ---- within the duty station: per calendar day
    def w_col(key: str) -> I64:
        return np.array([0 if v is None else v[key] for v in wst_r.values], dtype=np.int64)[ew]

    w_from, w_under = w_col("from_4h"), w_col("under_4h")
    w_red, w_cap = w_col("official_vehicle_reduction"), w_col("daily_cap")
    thr = [(0, 1) if v is None else _frac(v["hours_threshold"]) for v in wst_r.values]
    t_num = np.array([a for a, _ in thr], dtype=np.int64)[ew]
    t_den = np.array([b for _, b in thr], dtype=np.int64)[ew]

    def day_amount(span_us: I64) -> I64:
        # hours >= threshold, exactly: span_us / HOUR_US >= num / den
        base = np.where(span_us * t_den >= t_num * HOUR_US, w_from, w_under)
        base = np.where(ov, np.maximum(base - w_red, 0), base)
        # a trip ending exactly at midnight spends no time on its last day
        return np.where(span_us > 0, np.minimum(base, w_cap), 0)

    one_day = days == 1
    first_span = np.where(one_day, c.end_us - c.start_us, (sday + 1) * DAY_US - c.start_us)
    last_span = c.end_us - eday * DAY_US
    within_total = day_amount(first_span) + np.where(
        one_day,
        0,
        day_amount(last_span)
        + np.maximum(days - 2, 0) * day_amount(np.full(n, DAY_US, dtype=np.int64)),
    )

    # ---- assemble
    zero = np.zeros(n, dtype=np.int64)
    out_ok = valid & outside
    in_ok = valid & within
    res_fare = np.where(out_ok, fare, zero)
    res_daily = np.where(out_ok, daily, np.where(in_ok, within_total, zero))
    res_meals = np.where(out_ok, meals, zero)
    res_lodging = np.where(out_ok, lodging, zero)
    flags = np.where(valid, 0, INVALID).astype(np.int64)
    flags |= np.where(out_ok & (n_refunded > 0), REFUNDED, 0)
    flags |= np.where(out_ok & (n_first > 0), FIRST_CLASS, 0)
    flags |= np.where(out_ok & (n_nights > days - 1), MORE_NIGHTS, 0)
    flags |= np.where(out_ok & (n_over > 0), OVER_CAP, 0)
    flags |= np.where(in_ok & ((n_tickets > 0) | (n_nights > 0)), WITHIN_IGNORED, 0)
    combo = (ed * len(wst_r.values) + ew) * len(rel_r.values) + er
    keys = set(np.flatnonzero(np.bincount(combo[valid])).tolist()) if valid.any() else set()
    out = BatchSettlement(
        trip_id=c.trip_id,
        fare=res_fare,
        daily_allowance=res_daily,
        meals=res_meals,
        lodging=res_lodging,
        total=res_fare + res_daily + res_meals + res_lodging,
        flags=flags,
        refunded=np.where(out_ok, n_refunded, 0),
        first_class=np.where(out_ok, n_first, 0),
        over_cap=np.where(out_ok, n_over, 0),
        multi_day_within=int(np.count_nonzero(in_ok & ~one_day)),
        rate_groups=len(keys),
        counts={
            "trips": n,
            "outside": int(np.count_nonzero(out_ok)),
            "within": int(np.count_nonzero(in_ok)),
            "invalid": int(np.count_nonzero(~valid)),
            "nights": len(nt),
            "tickets": len(tt),
        },
    )
    return out, keys


def settle_all(
    target: Engine | Connection,
    *,
    states: Sequence[str] | None = DEFAULT_STATES,
    chunk: int = 250_000,
) -> BatchSettlement:
    """Load the trips in ``states`` (``None``: all) from the database and settle them."""
    if isinstance(target, Engine):
        with target.connect() as conn:
            if conn.dialect.name == "postgresql":  # the four queries see one snapshot
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            return settle_all(conn, states=states, chunk=chunk)
    t0 = time.perf_counter()
    cols = load_trips(target, states)
    t1 = time.perf_counter()
    out = settle_columns(cols, chunk=chunk)
    out.load_s, out.compute_s = t1 - t0, time.perf_counter() - t1
    return out


def contract_input(
    trip: Any, nights: Iterable[Any], tickets: Iterable[Any], fare_receipts: Iterable[Any]
) -> dict[str, Any]:
    """The one definition of how a stored trip becomes the computation's input (rows or ORM
    objects, in order: nights by date, tickets by departure, then the confirmed fare receipts,
    each paid as a standard-class issued ticket)."""
    return {
        "id": trip.id, "band": trip.band, "kind": trip.kind, "start": trip.start_at,
        "end": trip.end_at, "official_vehicle": trip.official_vehicle,
        "tickets": [{"mode": t.mode, "class": t.seat_class, "fare": t.fare, "status": t.status}
                    for t in tickets]
        + [{"mode": r.kind, "class": "standard", "fare": r.total or 0, "status": "issued"}
           for r in fare_receipts],
        "nights": [{"region": n.region, "lodging": n.lodging, "relatives": n.relatives,
                    "unavoidable": n.unavoidable} for n in nights],
    }  # fmt: skip


def scalar_cases(conn: Connection, trip_ids: Sequence[int]) -> dict[int, Trip | None]:
    """The scalar engine's inputs rebuilt from the database by :func:`contract_input`;
    ``None`` where validation refuses the trip."""
    from pydantic import ValidationError

    t, nt, tk = TravelTrip.__table__, TravelNight.__table__, TravelTicket.__table__
    rc = TravelReceipt.__table__
    out: dict[int, Trip | None] = {}
    ids = sorted(set(trip_ids))
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        nights: dict[int, list[Any]] = {i: [] for i in part}
        tickets: dict[int, list[Any]] = {i: [] for i in part}
        receipts: dict[int, list[Any]] = {i: [] for i in part}
        for r in conn.execute(
            select(nt).where(nt.c.trip_id.in_(part)).order_by(nt.c.trip_id, nt.c.night)
        ):
            nights[r.trip_id].append(r)
        for r in conn.execute(
            select(tk).where(tk.c.trip_id.in_(part)).order_by(tk.c.trip_id, tk.c.departure, tk.c.id)
        ):
            tickets[r.trip_id].append(r)
        for r in conn.execute(
            select(rc.c.trip_id, rc.c.kind, rc.c.total)
            .where(rc.c.trip_id.in_(part), rc.c.confirmed.is_(True))
            .where(rc.c.kind.in_(FARE_RECEIPT_KINDS))
            .order_by(rc.c.trip_id, rc.c.id)
        ):
            receipts[r.trip_id].append(r)
        for r in conn.execute(select(t).where(t.c.id.in_(part))):
            try:
                out[r.id] = Trip.model_validate(
                    contract_input(r, nights[r.id], tickets[r.id], receipts[r.id])
                )
            except ValidationError:
                out[r.id] = None
    return out


def scalar_settle(conn: Connection, trip_ids: Sequence[int]) -> dict[int, dict[str, Any] | None]:
    """The reference: ``compute`` per trip on :func:`scalar_cases` (``None`` where the scalar
    engine refuses the trip: validation, or no rate in force)."""
    out: dict[int, dict[str, Any] | None] = {}
    for tid, case_ in scalar_cases(conn, trip_ids).items():
        try:
            out[tid] = None if case_ is None else compute(case_)
        except (ParameterError, KeyError):
            out[tid] = None
    return out
