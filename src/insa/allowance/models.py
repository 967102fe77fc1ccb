"""Stored verification findings and their resolution (확인 / 해당없음 / 환수 완료).

A finding's id is stable across runs (a hash of its kind and its two claims): a re-run
updates the amounts and ``last_seen_run`` of the findings it sees again, keeps their status,
and adds only new ones. ``agency_a_id`` / ``agency_b_id`` link the two claims' organisations
to insa's agencies where the organisation is one (matched on the agency code); scoping uses
them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base, Money

STATUSES = ("open", "confirmed", "dismissed", "recovered")
STATUS_LABELS = {
    "open": "미처리",
    "confirmed": "확인",
    "dismissed": "해당 없음",
    "recovered": "환수 완료",
}
# the labels of the findings' codes, shared by the reports, the CLI and the web pages (kept
# here, free of the verification's DuckDB, so the web app does not load it)
KIND_LABELS = {
    "double_claim": "동일 부양가족 중복 청구",
    "open_transfer": "전출 후 미종료 청구",
    "duplicate_claim": "동일 기관 중복 청구",
    # the entitlement check (insa allowance check-entitlement)
    "age_limit": "연령 초과 (자녀 등)",
    "income": "소득 기준 초과",
    "living_apart": "별거 (주민등록 세대 밖)",
    "dependent_cap": "부양가족 4명 초과",
    "child_order": "자녀 순위 변동",
}
ENTITLEMENT_KINDS = ("age_limit", "income", "living_apart", "dependent_cap", "child_order")
MATCH_LABELS = {
    "exact": "확정(키 일치)",
    "probable": "추정(이름·생년월일)",
    "rules": "지급 요건 점검",
}
RELATION_LABELS = {
    "spouse": "배우자",
    "child": "자녀",
    "lineal_ascendant": "직계존속",
    "other": "기타",
}


class VerificationRun(Base):
    """이중수급 검증 실행 — one run of ``insa allowance verify``."""

    __tablename__ = "allowance_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[str] = mapped_column(String(7))
    files: Mapped[int] = mapped_column(Integer)
    claims: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    new_findings: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Finding(Base):
    """이중수급 의심 건."""

    __tablename__ = "allowance_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(8))
    probability: Mapped[float] = mapped_column(Float)
    claim_a: Mapped[str] = mapped_column(String(120))
    claim_b: Mapped[str] = mapped_column(String(120))
    org_a: Mapped[str] = mapped_column(String(40), index=True)
    org_b: Mapped[str] = mapped_column(String(40), index=True)
    agency_a_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    agency_b_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    dependent_key: Mapped[str] = mapped_column(String(64))
    dependent_name: Mapped[str] = mapped_column(String(50))
    claimant_a_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    claimant_b_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    relation: Mapped[str] = mapped_column(String(20))
    overlap_start: Mapped[str] = mapped_column(String(7))
    overlap_end: Mapped[str] = mapped_column(String(7))
    overlap_months: Mapped[int] = mapped_column(Integer)
    overpaid_amount: Mapped[int] = mapped_column(Money)
    recover_from: Mapped[str] = mapped_column(String(120))
    # an entitlement finding: what may still be recovered, what is past the limitation (§96①)
    recoverable_amount: Mapped[int | None] = mapped_column(Money)
    time_barred_amount: Mapped[int | None] = mapped_column(Money)
    recover_org: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    reason: Mapped[str | None] = mapped_column(Text)
    recovered_amount: Mapped[int | None] = mapped_column(Money)
    first_seen_run: Mapped[int] = mapped_column(ForeignKey("allowance_runs.id"))
    last_seen_run: Mapped[int] = mapped_column(ForeignKey("allowance_runs.id"), index=True)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class FindingEvent(Base):
    """처리 이력: the finding found by a run, then every change of its status — who, when, from
    what to what, why and how much. Written by the store and the resolution only."""

    __tablename__ = "allowance_finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("allowance_findings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    status_from: Mapped[str | None] = mapped_column(String(12))  # none: found by a run
    status_to: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(Money)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("allowance_runs.id"))
