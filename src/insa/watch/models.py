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
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the ministry's (tenancy)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_by: Mapped[str | None] = mapped_column(String(100))  # None: the checker (recovery)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminders: Mapped[int] = mapped_column(Integer, default=0)  # reminders sent while open


class WatchDelivery(Base):
    """알림 발송 — one event told through one provider, once (the key makes it so), retried
    until delivered or given up."""

    __tablename__ = "watch_deliveries"

    incident: Mapped[str] = mapped_column(String(32), primary_key=True)
    event: Mapped[str] = mapped_column(
        String(16), primary_key=True
    )  # open resolve escalate remind-N
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


class WatchMonitor(Base):
    """점검 대상 — every monitor the checker runs (registered from its configuration files, or
    added in the web app: ``source`` says which; a file stays the source of the monitors it
    defines) with its current state, for the pages and the status pages."""

    __tablename__ = "watch_monitors"
    __table_args__ = (
        Index("ix_watch_monitors_agency_state", "agency_id", "state"),
        Index("ix_watch_monitors_state", "state"),
    )

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # group/name
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(200), default="")
    ministry: Mapped[str | None] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(Integer)  # the ministry's; else the centre host's
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500), default="")  # the URL, credentials masked
    interval_ms: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))  # a configuration file, "web" or "insa"
    definition: Mapped[dict[str, object] | None] = mapped_column(JSON)  # web: the Gatus endpoint
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # still configured
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # on the ministry's status page
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # STATES
    since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # state since
    last_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_cause: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(100))


class WatchNote(Base):
    """장애 경과 — one entry of an incident's timeline: opened, acknowledged (by whom), a note
    (internal, or public: shown on the status page), escalated, reminded, resolved."""

    __tablename__ = "watch_notes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))  # NOTE_KINDS
    actor: Mapped[str] = mapped_column(String(100))  # a username, or "점검기"
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class WatchSilence(Base):
    """알림 중지 — matchers over a monitor's labels (monitor, group, ministry; ``=``, ``!=``,
    ``=~``, ``!~`` as Alertmanager's) and a time span: a monitor they all match opens no
    incident meanwhile. ``kind`` maintenance: a planned window (shown as 점검 중)."""

    __tablename__ = "watch_silences"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="silence")  # silence | maintenance
    matchers: Mapped[list[list[str]]] = mapped_column(JSON)  # [[label, op, value], …]
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    agency_id: Mapped[int | None] = mapped_column(Integer)  # whose: a member's own, or the centre's
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expired_by: Mapped[str | None] = mapped_column(String(100))  # ended early by


STATES = ("up", "down", "inhibited", "maintenance", "unknown")
STATE_LABELS = {"up": "정상", "down": "장애", "inhibited": "영향 받음", "maintenance": "점검 중",
                "unknown": "확인 전"}  # fmt: skip
NOTE_KINDS = {"opened": "장애 발생", "acknowledged": "확인", "note": "메모", "escalated": "상위 보고",
              "reminded": "재알림", "resolved": "복구", "closed": "수동 종료", "listed": "영향 받음"}  # fmt: skip
