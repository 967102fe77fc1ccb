"""Findings as the web and API see them: scoped by ``restrict_agencies``, reads and changes
audited. An officer sees the findings where either claim is their agency's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, func, select

from insa.allowance.models import STATUSES, Finding
from insa.security.context import Ctx
from insa.security.principal import restrict_agencies

VIEW = "allowance.view_finding"
RESOLVE = "allowance.resolve_finding"
GRANTS = {
    "hr_officer": {VIEW, RESOLVE},
    "finance_officer": {VIEW},
    "central_admin": {VIEW, RESOLVE},
}
Ts = TypeVarTuple("Ts")


def _scoped(ctx: Ctx, stmt: Select[*Ts]) -> Select[*Ts]:
    return restrict_agencies(stmt, ctx.principal, VIEW, Finding.agency_a_id, Finding.agency_b_id)


@dataclass
class FindingPage:
    items: list[Finding]
    total: int
    page: int
    size: int
    totals: dict[str, dict[str, int]]  # status → {count, won, recovered}

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def list_findings(
    ctx: Ctx, *, status: str = "", kind: str = "", page: int = 1, size: int = 20
) -> FindingPage:
    filters = []
    if status in STATUSES:
        filters.append(Finding.status == status)
    if kind:
        filters.append(Finding.kind == kind)
    base = _scoped(ctx, select(Finding)).where(*filters)
    total = ctx.db.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = list(
        ctx.db.scalars(
            base.order_by(Finding.overpaid_amount.desc(), Finding.finding_id)
            .limit(size)
            .offset((max(page, 1) - 1) * size)
        )
    )
    totals: dict[str, dict[str, int]] = {
        s: {"count": 0, "won": 0, "recovered": 0} for s in STATUSES
    }
    sums = _scoped(
        ctx,
        select(
            Finding.status,
            func.count(),
            func.coalesce(func.sum(Finding.overpaid_amount), 0),
            func.coalesce(func.sum(Finding.recovered_amount), 0),
        ).group_by(Finding.status),
    )
    for st, n, won, rec in ctx.db.execute(sums):
        totals[st] = {"count": int(n), "won": int(won or 0), "recovered": int(rec or 0)}
    ctx.audit(
        "allowance.list_findings",
        target_type="allowance_finding",
        agency_id=ctx.principal.agency_id,
        detail={"status": status, "kind": kind, "page": page, "results": total},
    )
    return FindingPage(items, int(total), page, size, totals)


def by_organisation(ctx: Ctx) -> list[tuple[str, int, int]]:
    """Central view: (organisation to recover from, findings, won) over everything in scope."""
    org = Finding.recover_org
    rows = ctx.db.execute(
        _scoped(
            ctx,
            select(org, func.count(), func.sum(Finding.overpaid_amount))
            .group_by(org)
            .order_by(func.sum(Finding.overpaid_amount).desc()),
        ).limit(30)
    ).all()
    return [(str(o), int(n), int(w)) for o, n, w in rows]


def get_finding(ctx: Ctx, finding_id: str) -> Finding | None:
    f: Finding | None = ctx.db.scalar(
        _scoped(ctx, select(Finding).where(Finding.finding_id == finding_id))
    )
    if f is not None:
        ctx.audit(
            "allowance.view_finding",
            target_type="allowance_finding",
            target_id=finding_id,
            agency_id=ctx.principal.agency_id,
        )
    return f


class ResolutionError(ValueError):
    pass


def resolve(ctx: Ctx, finding: Finding, action: str, *, reason: str = "", amount: str = "") -> None:
    """확인 (confirmed), 해당 없음 (dismissed, with a reason), 환수 완료 (recovered, with the
    amount), or back to 미처리 (open)."""
    if not ctx.principal.can(RESOLVE):
        raise PermissionError("처리 권한이 없습니다.")
    reason = reason.strip()
    recovered: int | None = None
    if action == "dismissed" and not reason:
        raise ResolutionError("해당 없음으로 처리하려면 사유를 적어 주세요.")
    if action == "recovered":
        text = amount.replace(",", "").strip()
        if not (text.isascii() and text.isdigit()) or int(text) <= 0:
            raise ResolutionError("환수한 금액을 원 단위 정수로 적어 주세요.")
        recovered = int(text)
        if recovered > finding.overpaid_amount:
            raise ResolutionError(f"환수액이 과지급액({finding.overpaid_amount:,}원)보다 많습니다.")
    if action not in STATUSES:
        raise ResolutionError("알 수 없는 처리입니다.")
    recovering = (
        finding.agency_a_id if finding.recover_org == finding.org_a else finding.agency_b_id
    )
    if action == "recovered" and not ctx.principal.covers_agency(recovering):
        raise ResolutionError("환수 완료는 환수 대상 기관이 처리합니다.")
    before = finding.status
    finding.status = action
    finding.reason = reason or None
    finding.recovered_amount = recovered
    finding.updated_by = ctx.principal.username
    finding.updated_at = dt.datetime.now(dt.UTC)
    ctx.audit(
        "allowance.resolve_finding",
        target_type="allowance_finding",
        target_id=finding.finding_id,
        agency_id=ctx.principal.agency_id,
        detail={"from": before, "to": action, "recovered": recovered, "reason": reason[:200]},
    )
