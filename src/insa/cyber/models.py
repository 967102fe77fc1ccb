"""The joint cyber safety centre's tables: a case for each look-alike domain that alerted
(new → confirmed or dismissed → takedown requested → verified down), its evidence (every
fetch of its page: the HTML and its hashes, headers, redirects, addresses, a screenshot
where Chromium is installed) and its timeline. A case belongs to the ministry owning the
asset it imitates (the centre tenancy)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, LargeBinary, String, Text
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
