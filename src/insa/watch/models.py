"""The failure-detection tables: every check's result (rolled up per monitor and hour once
older than the retention of raw results) and the incidents with the monitors listed on them.
Monitors are named by their key (``group/name``) and carry their ministry (the agency code
owning the service) for the centre tenancy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base


class WatchResult(Base):
    """점검 결과 — one check."""

    __tablename__ = "watch_results"
    __table_args__ = (Index("ix_watch_results_monitor_at", "monitor", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    monitor: Mapped[str] = mapped_column(String(300))
    ministry: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[int] = mapped_column(Integer)
    failed: Mapped[str | None] = mapped_column(Text)  # the error and failed conditions, shown


class WatchHourly(Base):
    """시간별 점검 요약 — checks of one monitor in one hour (UTC), once the raw ones are gone."""

    __tablename__ = "watch_hourly"

    monitor: Mapped[str] = mapped_column(String(300), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    ministry: Mapped[str | None] = mapped_column(String(16))
    checks: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    latency_sum_ms: Mapped[int] = mapped_column(BigInteger)
    latency_max_ms: Mapped[int] = mapped_column(Integer)


class WatchIncident(Base):
    """장애 — opened by a monitor's failures, resolved by its recovery."""

    __tablename__ = "watch_incidents"
    __table_args__ = (Index("ix_watch_incidents_monitor_open", "monitor", "resolved_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    monitor: Mapped[str] = mapped_column(String(300))
    ministry: Mapped[str | None] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cause: Mapped[str] = mapped_column(Text)
    affected: Mapped[list[str]] = mapped_column(JSON, default=list)  # monitors listed (inhibited)


class WatchDelivery(Base):
    """알림 발송 — one event told through one provider, once (the key makes it so), retried
    until delivered or given up."""

    __tablename__ = "watch_deliveries"

    incident: Mapped[str] = mapped_column(String(32), primary_key=True)
    event: Mapped[str] = mapped_column(String(8), primary_key=True)  # open | resolve
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    monitor: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # None: settled
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class WatchPush(Base):
    """푸시 점검 — a batch job's calls to ``POST /api/v1/watch/push/{token}``. The checker
    registers its push monitors' tokens (by their SHA-256: the token itself is not kept);
    the API takes calls for registered tokens only."""

    __tablename__ = "watch_pushes"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    monitor: Mapped[str] = mapped_column(String(300))
    last_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
