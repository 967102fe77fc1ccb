"""The trips of the database as NumPy int64 columns, for :mod:`insa.travel.batch`.

Four plain queries read the trips, their nights, their linked tickets and their confirmed fare
receipts (paid as tickets, as ``service.settlement`` does); codes and epoch microseconds are
computed in SQL, rows are taken as DBAPI tuples. Text fields become their index in the code
tuples below (-1 when unknown), so the rules never see a string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Connection,
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

from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

DEFAULT_STATES = ("approved", "settled", "paid")

MODES = ("rail", "bus", "air", "ship")
CLASSES = ("standard", "first")
STATUSES = ("issued", "changed", "refunded")
REGIONS = ("seoul", "metro", "other")
KINDS = ("outside", "within")
FARE_RECEIPT_KINDS = MODES  # receipts.FARE_KINDS: a confirmed one is paid as a ticket


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
