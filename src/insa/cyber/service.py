"""The joint cyber safety centre's face (부처합동 사이버안전센터): scanning candidate
domains against the member ministries' protected assets, and the cases their alerts
become — scoped by the centre tenancy (:func:`restrict_centre`: the centre's operators
every member's cases, a member ministry's own security staff its own) and audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVarTuple

from sqlalchemy import Select, case, func, select

from insa.clock import to_kst
from insa.cyber import cases as casework
from insa.cyber.assets import load, load_text
from insa.cyber.contacts import Contacts, ContactsError
from insa.cyber.contacts import read as read_contacts
from insa.cyber.models import STATUSES, CyberCase, CyberCaseEvent, CyberEvidence
from insa.cyber.schemas import Assets, Finding
from insa.cyber.tower import EVENTS, SEND, TRIAGE
from insa.db.paging import Page, paginate
from insa.people.models import Agency
from insa.security.context import Ctx
from insa.security.principal import restrict_centre

SCAN = "cyber.scan_domain"
VIEW = "cyber.view_case"
HANDLE = "cyber.handle_case"  # confirm, dismiss, request takedown, verify
# the control tower's (issue 15, cyber/tower.py): see events, alerts and incidents; triage them; push events
GRANTS = {
    "security_operator": {SCAN, VIEW, HANDLE, EVENTS, TRIAGE, SEND},
    "central_admin": {VIEW, EVENTS},
}
AUDIT_LABELS = {
    "cyber.scan": "사칭 도메인 검사", "cyber_scan": "사칭 도메인 검사", "cyber.view_case": "사칭 사건 조회",
    "cyber.confirm": "사칭 확인", "cyber.dismiss": "오탐 처리", "cyber.takedown": "차단 요청",
    "cyber.verify": "차단 확인", "cyber.download_request": "차단 요청서 내려받기", "cyber_case": "사칭 사건",
    "cyber.contacts": "신고 창구 입력", "cyber.view_incident": "관제 사고 조회", "cyber.assign_incident": "관제 사고 담당 지정",
    "cyber.incident_status": "관제 사고 상태 변경", "cyber.incident_note": "관제 사고 메모", "cyber.search_events": "보안 이벤트 검색",
    "cyber.push_events": "보안 이벤트 전송", "cyber_incident": "관제 사고",
}  # fmt: skip
Ts = TypeVarTuple("Ts")


class CaseError(ValueError):
    """Refused, with the reason in Korean; nothing changed."""


def assets(path: Path) -> Assets:
    return load(path)


def score_text(assets_yaml: str, domains: list[str]) -> tuple[Assets, list[Finding]]:
    """Candidates scored against assets given as text (the API); no findings when the
    assets are wrong."""
    from insa.cyber.signals import prepare, score

    found = load_text(assets_yaml, "assets.yaml")
    if not found.ok:
        return found, []
    prep = prepare(found)
    return found, [score(d, prep) for d in domains]


def _scoped(ctx: Ctx, stmt: Select[*Ts], permission: str = VIEW) -> Select[*Ts]:
    return restrict_centre(stmt, ctx.principal, permission, CyberCase.agency_id)


def list_cases(
    ctx: Ctx, *, status: str = "", q: str = "", page: int = 1, size: int = 30
) -> Page[CyberCase]:
    filters: list[Any] = []
    if status in STATUSES:
        filters.append(CyberCase.status == status)
    if q.strip():
        filters.append(CyberCase.domain.like(f"%{q.strip().lower().replace('%', '')}%"))
    counts = dict.fromkeys(STATUSES, 0)
    for st, n in ctx.db.execute(
        _scoped(ctx, select(CyberCase.status, func.count()).group_by(CyberCase.status))
    ):
        counts[st] = int(n)
    order = case(
        {"new": 0, "confirmed": 1, "takedown_requested": 2}, value=CyberCase.status, else_=3
    )
    base = _scoped(ctx, select(CyberCase).where(*filters))
    return paginate(ctx.db, base.order_by(order, CyberCase.alerted_at.desc()), page=page, size=size, scalars=True,
                    totals=counts)  # fmt: skip


def get_case(ctx: Ctx, case_id: str, permission: str = VIEW) -> CyberCase | None:
    found: CyberCase | None = ctx.db.scalar(
        _scoped(ctx, select(CyberCase).where(CyberCase.id == case_id), permission)
    )
    return found


@dataclass(frozen=True)
class CaseView:
    case: CyberCase
    evidence: list[CyberEvidence]  # newest first
    events: list[CyberCaseEvent]
    agency: str


def case_view(ctx: Ctx, case_id: str) -> CaseView | None:
    c = get_case(ctx, case_id)
    if c is None:
        return None
    ev = list(ctx.db.scalars(select(CyberEvidence).where(CyberEvidence.case_id == c.id)
                             .order_by(CyberEvidence.at.desc(), CyberEvidence.id.desc())))  # fmt: skip
    events = list(ctx.db.scalars(select(CyberCaseEvent).where(CyberCaseEvent.case_id == c.id)
                                 .order_by(CyberCaseEvent.at, CyberCaseEvent.id)))  # fmt: skip
    agency = ctx.db.scalar(select(Agency.name_ko).where(Agency.id == c.agency_id)) or c.ministry
    ctx.audit("cyber.view_case", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id)
    return CaseView(c, ev, events, str(agency))


def _acting(ctx: Ctx, case_id: str) -> CyberCase:
    c = get_case(ctx, case_id, HANDLE)
    if c is None:
        if get_case(ctx, case_id) is not None:
            raise PermissionError("이 사건을 처리할 권한이 없습니다")
        raise LookupError(case_id)
    return c


def confirm(ctx: Ctx, case_id: str, note: str = "") -> CyberCase:
    c = _acting(ctx, case_id)
    if c.status != "new":
        raise CaseError("신규 사건만 사칭으로 확인할 수 있습니다")
    c.status, c.confirmed_at = "confirmed", dt.datetime.now(dt.UTC)
    casework.event(ctx.db, c.id, "confirmed", ctx.principal.display_name, note.strip())
    ctx.audit("cyber.confirm", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id)
    return c


def dismiss(ctx: Ctx, case_id: str, reason: str) -> CyberCase:
    c = _acting(ctx, case_id)
    if c.status not in ("new", "confirmed"):
        raise CaseError("차단 요청 전의 사건만 오탐으로 처리할 수 있습니다")
    if not reason.strip():
        raise CaseError("오탐 사유를 입력하세요")
    c.status, c.dismissed_reason = "dismissed", reason.strip()[:2000]
    casework.event(ctx.db, c.id, "dismissed", ctx.principal.display_name, reason.strip())
    ctx.audit("cyber.dismiss", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id)
    return c


def request_takedown(
    ctx: Ctx, case_id: str, registrar_abuse: str = "", host_abuse: str = ""
) -> CyberCase:
    c = _acting(ctx, case_id)
    if c.status != "confirmed":
        raise CaseError("사칭으로 확인한 사건만 차단을 요청할 수 있습니다")
    for value in (registrar_abuse, host_abuse):
        if value.strip() and "@" not in value:
            raise CaseError(f"신고 창구는 전자우편 주소입니다: {value}")
    c.registrar_abuse = registrar_abuse.strip() or c.registrar_abuse
    c.host_abuse = host_abuse.strip() or c.host_abuse
    c.status, c.takedown_at = "takedown_requested", dt.datetime.now(dt.UTC)
    to = ", ".join(x for x in (c.registrar_abuse, c.host_abuse) if x) or "신고 창구 미확인"
    casework.event(ctx.db, c.id, "takedown_requested", ctx.principal.display_name, f"받는 곳: {to}")
    ctx.audit("cyber.takedown", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id)
    return c


def set_contacts(ctx: Ctx, case_id: str, text: str) -> Contacts:
    """The registrar's and the host's names and abuse contacts from an RDAP answer or WHOIS
    text the operator pasted (what it does not name is kept)."""
    c = _acting(ctx, case_id)
    if c.status not in ("new", "confirmed", "takedown_requested"):
        raise CaseError("처리가 끝난 사건입니다")
    try:
        got = read_contacts(text)
    except ContactsError as exc:
        raise CaseError(str(exc)) from None
    c.registrar = got.registrar or c.registrar
    c.registrar_abuse = got.registrar_abuse or c.registrar_abuse
    c.hosting = got.hosting or c.hosting
    c.host_abuse = got.host_abuse or c.host_abuse
    said = ", ".join(f"{k} {v}" for k, v in (("등록기관", got.registrar), ("등록기관 신고", got.registrar_abuse),
                                               ("호스팅", got.hosting), ("호스팅 신고", got.host_abuse)) if v)  # fmt: skip
    casework.event(ctx.db, c.id, "contacts", ctx.principal.display_name, said)
    ctx.audit("cyber.contacts", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id)
    return got


def verify(ctx: Ctx, case_id: str, proxy: str | None = None) -> bool:
    """Re-check a taken-down domain now: gone → verified down."""
    from insa.cyber.pages import fetch

    c = _acting(ctx, case_id)
    if c.status != "takedown_requested":
        raise CaseError("차단을 요청한 사건만 차단을 확인할 수 있습니다")
    gone = casework.verify(ctx.db, c, fetch(c.domain, proxy), ctx.principal.display_name)
    ctx.audit("cyber.verify", target_type="cyber_case", target_id=c.id, agency_id=c.agency_id,
              detail={"down": gone})  # fmt: skip
    return gone


def takedown_documents(ctx: Ctx, case_id: str) -> tuple[Any, bytes]:
    """The request (mail text, KISA fields) and its PDF."""
    from insa.cyber import takedown

    view = case_view(ctx, case_id)
    if view is None:
        raise LookupError(case_id)
    ev = best_evidence(view.evidence)
    req = takedown.request(view.case, ev, view.agency, view.case.service or view.case.asset)
    ctx.audit("cyber.download_request", target_type="cyber_case", target_id=view.case.id,
              agency_id=view.case.agency_id)  # fmt: skip
    return req, takedown.pdf(view.case, ev, req)


def best_evidence(evidence: list[CyberEvidence]) -> CyberEvidence | None:
    """The newest fetch that got the page (a takedown request shows the site as it was),
    else the newest."""
    return next((e for e in evidence if e.html), evidence[0] if evidence else None)


def monthly(ctx: Ctx) -> list[dict[str, Any]]:
    """Per month (Korea time) of alert: cases, how many verified down, the mean hours from
    first seen to alert (time to detect) and from alert to verified down (time to takedown)."""
    rows = ctx.db.execute(_scoped(ctx, select(CyberCase.first_seen_at, CyberCase.alerted_at, CyberCase.verified_at,
                                              CyberCase.status))).all()  # fmt: skip
    months: dict[str, dict[str, Any]] = {}
    for first, alerted, verified, _status in rows:
        key = to_kst(alerted).strftime("%Y-%m")
        m = months.setdefault(
            key, {"month": key, "cases": 0, "down": 0, "detect": [], "takedown": []}
        )
        m["cases"] += 1
        m["detect"].append((to_kst(alerted) - to_kst(first)).total_seconds() / 3600)
        if verified is not None:
            m["down"] += 1
            m["takedown"].append((to_kst(verified) - to_kst(alerted)).total_seconds() / 3600)
    out = []
    for key in sorted(months, reverse=True):
        m = months[key]
        out.append({"month": key, "cases": m["cases"], "down": m["down"],
                    "detect_h": round(sum(m["detect"]) / len(m["detect"]), 1) if m["detect"] else None,
                    "takedown_h": round(sum(m["takedown"]) / len(m["takedown"]), 1) if m["takedown"] else None})  # fmt: skip
    return out


def lookalike_domains(db: Any) -> list[str]:
    """The domains of the look-alike cases not dismissed: the control tower's
    ``%lookalike_domains%`` (a ministry's user reaching one is an alert)."""
    return sorted(db.scalars(select(CyberCase.domain).where(CyberCase.status != "dismissed")))
