"""Trips, their nights, the operators' tickets, the receipts and the steps taken."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base, Money


class TravelTrip(Base):
    """출장 — one official trip through its three steps (state in ``travel.workflow``)."""

    __tablename__ = "travel_trips"
    __table_args__ = (Index("ix_travel_trips_agency_state", "agency_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(8))  # seoul | metro | other
    kind: Mapped[str] = mapped_column(String(8))  # outside | within
    start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    end_at: Mapped[dt.datetime] = mapped_column(DateTime)
    transport: Mapped[str] = mapped_column(String(16))  # rail | bus | air | ship | car
    official_vehicle: Mapped[bool] = mapped_column(Boolean, default=False)
    band: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(12), default="requested")
    reason: Mapped[str | None] = mapped_column(Text)  # rejection or cancellation
    fare: Mapped[int | None] = mapped_column(Money)
    daily_allowance: Mapped[int | None] = mapped_column(Money)
    meals: Mapped[int | None] = mapped_column(Money)
    lodging: Mapped[int | None] = mapped_column(Money)
    total: Mapped[int | None] = mapped_column(Money)
    flags: Mapped[str | None] = mapped_column(Text)
    recovered: Mapped[int | None] = mapped_column(Money)  # recovered after payment (환수)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TravelNight(Base):
    __tablename__ = "travel_nights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("travel_trips.id", ondelete="CASCADE"), index=True
    )
    night: Mapped[dt.date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(8))
    lodging: Mapped[int] = mapped_column(Money, default=0)
    relatives: Mapped[bool] = mapped_column(Boolean, default=False)
    unavoidable: Mapped[bool] = mapped_column(Boolean, default=False)


class TravelTicket(Base):
    """An operator's ticket (latest event), linked to the trip it matched, if any."""

    __tablename__ = "travel_tickets"
    __table_args__ = (UniqueConstraint("operator", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int | None] = mapped_column(
        ForeignKey("travel_trips.id", ondelete="SET NULL"), index=True
    )
    operator: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str] = mapped_column(String(64))
    passenger_key: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    seat_class: Mapped[str] = mapped_column(String(8))
    from_station: Mapped[str] = mapped_column(String(64))
    to_station: Mapped[str] = mapped_column(String(64))
    departure: Mapped[dt.datetime] = mapped_column(DateTime)
    arrival: Mapped[dt.datetime] = mapped_column(DateTime)
    fare: Mapped[int] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10))
    event_at: Mapped[dt.datetime] = mapped_column(DateTime)


class TravelReceipt(Base):
    """A receipt the traveller photographed or uploaded (never printed): the original file, what
    OCR read (with per-field confidence) and the fields as the traveller confirmed them."""

    __tablename__ = "travel_receipts"
    __table_args__ = (Index("ix_travel_receipts_key", "receipt_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("travel_trips.id", ondelete="CASCADE"), index=True
    )
    night_id: Mapped[int | None] = mapped_column(
        ForeignKey("travel_nights.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(8))  # lodging | fare | taxi | other
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original: Mapped[bytes] = mapped_column(LargeBinary)
    ocr: Mapped[str] = mapped_column(Text)  # JSON: field → {value, confidence}
    date: Mapped[dt.date | None] = mapped_column(Date)
    total: Mapped[int | None] = mapped_column(Money)
    merchant: Mapped[str | None] = mapped_column(String(100))
    brn: Mapped[str | None] = mapped_column(String(10))
    approval_no: Mapped[str | None] = mapped_column(String(20))
    receipt_key: Mapped[str | None] = mapped_column(String(80))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TravelStepEvent(Base):
    """A step taken on a trip: a state change (``request``, ``approve``, ``reject``, ``settle``,
    ``cancel``, ``pay``) or a correction of its settlement (``update_settlement``) — what the
    finance dashboard counts per settlement."""

    __tablename__ = "travel_step_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(
        ForeignKey("travel_trips.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    step: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(100))  # who, by name (the trip's history)
    part: Mapped[str | None] = mapped_column(String(24))  # traveller | approver | finance_officer
    note: Mapped[str | None] = mapped_column(String(200))  # the reason of a rejection or cancel
