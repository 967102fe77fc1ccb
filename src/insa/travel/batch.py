"""Settle every trip in the database at once, equal to :func:`insa.travel.compute.compute` to
the won, trip by trip.

:func:`settle_all` reads the trips as columns (:mod:`insa.travel.batch_load`: four plain
queries, codes and epoch microseconds computed in SQL) and applies the rules over them
(:mod:`insa.travel.batch_rules`: NumPy int64 columns, the rates in force on each trip's start
date, flags as a bitmask per trip). :func:`contract_input` is the one definition of how a
stored trip becomes the scalar engine's input; :func:`scalar_cases` and :func:`scalar_settle`
rebuild it from the database, the reference the batch is checked against. :func:`reconcile`
holds the confirmed settlements against the rules (``insa travel settle-all``).

The names of both modules that others use are importable from here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select

from insa.params import ParameterError
from insa.security.context import Ctx
from insa.travel.batch_load import (
    CLASSES,
    DEFAULT_STATES,
    FARE_RECEIPT_KINDS,
    I64,
    KINDS,
    MODES,
    REGIONS,
    STATUSES,
    B,
    TripColumns,
    load_trips,
)
from insa.travel.batch_rules import (
    AMOUNTS,
    DAY_US,
    FIRST_CLASS,
    FLAG_NAMES,
    HOUR_US,
    INVALID,
    MORE_NIGHTS,
    OVER_CAP,
    REFUNDED,
    WITHIN_IGNORED,
    BatchSettlement,
    flag_summary,
    settle_columns,
)
from insa.travel.compute import MAX_WON, Trip, compute
from insa.travel.models import TravelNight, TravelReceipt, TravelTicket, TravelTrip

__all__ = [
    "AMOUNTS", "CLASSES", "DAY_US", "DEFAULT_STATES", "FARE_RECEIPT_KINDS", "FIRST_CLASS",
    "FLAG_NAMES", "HOUR_US", "I64", "INVALID", "KINDS", "MAX_WON", "MODES", "MORE_NIGHTS",
    "OVER_CAP", "REFUNDED", "REGIONS", "STATUSES", "WITHIN_IGNORED", "B", "BatchSettlement",
    "Reconciliation", "TripColumns", "audit_reconciliation", "contract_input", "flag_summary",
    "load_trips", "reconcile", "scalar_cases", "scalar_settle", "settle_all", "settle_columns",
]  # fmt: skip


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


@dataclass(frozen=True)
class Reconciliation:
    """Every trip settled by the rules, held against the confirmed settlements as stored."""

    result: BatchSettlement
    differ: I64  # rows of (trip id, stored total): confirmed settlements the rules disagree with
    compared: int  # confirmed settlements found among the trips settled


def reconcile(engine: Engine, *, states: Sequence[str] | None = DEFAULT_STATES) -> Reconciliation:
    """Settle the trips in ``states`` (``None``: all) and compare the confirmed settlements
    (settled, paid) with the rules; nothing is changed."""
    result = settle_all(engine, states=states)
    with engine.connect() as conn:
        stored = np.array(
            conn.execute(
                select(TravelTrip.id, TravelTrip.total).where(
                    TravelTrip.state.in_(("settled", "paid")), TravelTrip.total.is_not(None)
                )
            ).all(),
            dtype=np.int64,
        ).reshape(-1, 2)
    pos = np.searchsorted(result.trip_id, stored[:, 0])
    found = pos < result.n
    found[found] = result.trip_id[pos[found]] == stored[found, 0]
    differ = stored[found][result.total[pos[found]] != stored[found, 1]]
    return Reconciliation(result, differ, int(found.sum()))


def audit_reconciliation(ctx: Ctx, rec: Reconciliation) -> None:
    """The run in the audit log: how many trips were settled, how many differ."""
    ctx.audit("travel.settle_all", detail={"trips": rec.result.n, "differ": len(rec.differ)})
