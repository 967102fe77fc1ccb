"""The joint cyber safety centre's tables: a case for each look-alike domain that alerted
(new → confirmed or dismissed → takedown requested → verified down), its evidence (every
fetch of its page: the HTML and its hashes, headers, redirects, addresses, a screenshot
where Chromium is installed) and its timeline. A case belongs to the ministry owning the
asset it imitates (the centre tenancy)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base

STATUSES = ("new", "confirmed", "dismissed", "takedown_requested", "verified_down")
STATUS_LABELS = {"new": "신규", "confirmed": "사칭 확인", "dismissed": "오탐", "takedown_requested": "차단 요청",
                 "verified_down": "차단 확인"}  # fmt: skip
EVENT_LABELS = {"detected": "탐지", "seen_again": "재탐지", "confirmed": "사칭 확인", "dismissed": "오탐 처리",
                "takedown_requested": "차단 요청", "rechecked": "재확인", "verified_down": "차단 확인",
                "reopened": "다시 열림", "notified": "알림 보냄", "contacts": "신고 창구 확인"}  # fmt: skip


class CyberCase(Base):
    """사칭 사이트 사건."""

    __tablename__ = "cyber_cases"
    __table_args__ = (Index("ix_cyber_cases_agency_status", "agency_id", "status"),)

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    asset: Mapped[str] = mapped_column(String(48))
    service: Mapped[str] = mapped_column(
        String(200), default=""
    )  # the asset's first name (사이버국가고시센터)
    ministry: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="new")
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # in a feed or scan
    alerted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    takedown_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    registrar: Mapped[str | None] = mapped_column(String(200))
    registrar_abuse: Mapped[str | None] = mapped_column(String(200))  # e-mail
    host_abuse: Mapped[str | None] = mapped_column(String(200))
    hosting: Mapped[str | None] = mapped_column(String(200))  # the network's holder (RDAP/WHOIS)


class CyberEvidence(Base):
    """증거 — one fetch of a case's page."""

    __tablename__ = "cyber_evidence"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(12), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str] = mapped_column(String(2000))  # where the fetch ended
    status: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    redirects: Mapped[list[str]] = mapped_column(JSON, default=list)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    html: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    ssdeep: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    similarity: Mapped[int | None] = mapped_column(Integer)  # percent, to the closest official page
    tlsh: Mapped[str | None] = mapped_column(String(80))  # TLSH of the normalised HTML
    images: Mapped[list[str] | None] = mapped_column(JSON)  # pHash of the favicon and the logo
    screenshot: Mapped[bytes | None] = mapped_column(LargeBinary)


class CyberCaseEvent(Base):
    """사건 경과."""

    __tablename__ = "cyber_case_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(12), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


# -- the control tower (issue 15): incidents from the members' security events --------------

INCIDENT_STATUSES = ("new", "investigating", "contained", "closed_true", "closed_false")
INCIDENT_LABELS = {"new": "신규", "investigating": "조사 중", "contained": "차단·격리", "closed_true": "종결(실제 공격)",
                   "closed_false": "종결(오탐)"}  # fmt: skip
LEVEL_LABELS = {
    "informational": "정보",
    "low": "낮음",
    "medium": "보통",
    "high": "높음",
    "critical": "심각",
}
MAX_EVENT_IDS = 1000  # the events kept by id for each ministry's part (the count is exact)


class CyberIncident(Base):
    """통합 관제 사고 — alerts on one source or one correlation group, across ministries."""

    __tablename__ = "cyber_incidents"
    __table_args__ = (Index("ix_cyber_incidents_last", "last_at"),)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    level: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))  # the first rule's title
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)  # rule ids
    titles: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # MITRE ATT&CK (attack.t1110.003 …)
    ministries: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    joint: Mapped[bool] = mapped_column(Boolean, default=False)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    events: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CyberIncidentPart(Base):
    """A ministry's part of an incident: what its own staff see."""

    __tablename__ = "cyber_incident_parts"
    __table_args__ = (
        UniqueConstraint("incident_id", "ministry"),
        Index("ix_cyber_incident_parts_agency", "agency_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(16), index=True)
    ministry: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)
    event_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # the first MAX_EVENT_IDS
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CyberIncidentNote(Base):
    """사고 경과 — notes, assignments, status changes."""

    __tablename__ = "cyber_incident_notes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # opened, alert, note, assigned, status, notified
    text: Mapped[str] = mapped_column(Text, default="")


class CyberAlert(Base):
    """A rule's match (or a correlation's): the live feed."""

    __tablename__ = "cyber_alerts"
    __table_args__ = (Index("ix_cyber_alerts_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rule_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[str] = mapped_column(String(16), index=True)
    ministries: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    events: Mapped[int] = mapped_column(Integer, default=0)


class CyberRuleStat(Base):
    """A rule's hits and last match, as the collector counts them."""

    __tablename__ = "cyber_rule_stats"

    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))  # detection, event_count, value_count, temporal …
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    path: Mapped[str] = mapped_column(String(500), default="")
    hits: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    last_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CyberCollectorStatus(Base):
    """The collector's counters (one row a collector): what arrived, what was kept."""

    __tablename__ = "cyber_collector_status"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    counters: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
