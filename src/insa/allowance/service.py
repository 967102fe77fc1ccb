"""Family allowance as pages, API and commands call it: the stored findings, scoped by
``restrict_agencies`` (an officer sees the findings where either claim is their agency's),
read and resolved with an audit entry; and the batches of the commands — the entitlement,
the export of insa's claims, storing a verification's findings — audited here, computed in
:mod:`insa.allowance.exchange` (imported when a batch runs: the web app does not load it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVarTuple

from sqlalchemy import Connection, Select, func, select

from insa.allowance.models import STATUSES, Finding, FindingEvent, VerificationRun
from insa.allowance.schemas import Difference, StoreReport
from insa.db.paging import Page, paginate
from insa.files import inside
from insa.people.models import Employee
from insa.security.context import Ctx, over_connection
from insa.security.principal import Principal, restrict, restrict_agencies

if TYPE_CHECKING:
    from insa.allowance.verify import VerifyReport

VIEW = "allowance.view_finding"
RESOLVE = "allowance.resolve_finding"
GRANTS = {
    "hr_officer": {VIEW, RESOLVE},
    "finance_officer": {VIEW},
    "central_admin": {VIEW, RESOLVE},
}
AUDIT_LABELS = {  # what the audit page shows for this package's actions and targets
    "allowance.verify": "이중수급 검증", "allowance.list_findings": "검증 결과 목록 조회",
    "allowance.view_finding": "검증 결과 조회", "allowance.resolve_finding": "검증 결과 처리",
    "allowance.entitlement": "가족수당 지급 점검", "allowance.check_entitlement": "가족수당 지급 요건 점검", "allowance.export_claims": "청구 자료 내보내기",
    "allowance_finding": "이중수급 검증 결과",
}  # fmt: skip
Ts = TypeVarTuple("Ts")


def _scoped(ctx: Ctx, stmt: Select[*Ts]) -> Select[*Ts]:
    return restrict_agencies(stmt, ctx.principal, VIEW, Finding.agency_a_id, Finding.agency_b_id)


# ------------------------------------------------------------------ findings


def list_findings(
    ctx: Ctx, *, status: str = "", kind: str = "", page: int = 1, size: int = 20
) -> Page[Finding]:
    """A page of the findings in scope, largest overpayment first; ``totals``: status →
    {count, won, recovered} over every finding in scope."""
    filters = []
    if status in STATUSES:
        filters.append(Finding.status == status)
    if kind:
        filters.append(Finding.kind == kind)
    base = _scoped(ctx, select(Finding)).where(*filters)
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
    result: Page[Finding] = paginate(
        ctx.db,
        base.order_by(Finding.overpaid_amount.desc(), Finding.finding_id),
        count=base,
        page=page,
        size=size,
        scalars=True,
        totals=totals,
    )
    ctx.audit(
        "allowance.list_findings",
        target_type="allowance_finding",
        agency_id=ctx.principal.agency_id,
        detail={"status": status, "kind": kind, "page": page, "results": result.total},
    )
    return result


TO_RECOVER = ("open", "confirmed")  # findings whose money is still to be recovered


def by_organisation(ctx: Ctx) -> list[tuple[str, int, int]]:
    """Central view: (organisation to recover from, findings, won) over the findings in scope
    still to recover — a dismissed or recovered finding leaves the table."""
    org = Finding.recover_org
    rows = ctx.db.execute(
        _scoped(
            ctx,
            select(org, func.count(), func.sum(Finding.overpaid_amount))
            .where(Finding.status.in_(TO_RECOVER))
            .group_by(org)
            .order_by(func.sum(Finding.overpaid_amount).desc()),
        ).limit(30)
    ).all()
    return [(str(o), int(n), int(w)) for o, n, w in rows]


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a finding's history, as the finding page shows it."""

    at: dt.datetime
    actor: str
    role: str | None
    status_from: str | None
    status_to: str
    reason: str | None
    amount: int | None
    run_as_of: str | None  # the month the run verified up to, for a finding found by a run


def history(ctx: Ctx, finding: Finding) -> list[HistoryEntry]:
    """The finding's history, oldest first (the caller has already been allowed to see it)."""
    rows = ctx.db.execute(
        select(FindingEvent, VerificationRun.as_of)
        .outerjoin(VerificationRun, VerificationRun.id == FindingEvent.run_id)
        .where(FindingEvent.finding_id == finding.id)
        .order_by(FindingEvent.at, FindingEvent.id)
    ).all()
    return [HistoryEntry(e.at, e.actor, e.actor_role, e.status_from, e.status_to, e.reason,
                         e.amount, as_of) for e, as_of in rows]  # fmt: skip


def own_employees(ctx: Ctx, finding: Finding) -> dict[str, int]:
    """The claims of the finding made by employees the caller may look up (insa's own claims
    are ``AGENCY:employee_no-dependent``), claim → employee id, to link to their records."""
    wanted = {}
    for ref in (finding.claim_a, finding.claim_b):
        _, _, claim = ref.partition(":")
        wanted[ref] = claim.rsplit("-", 1)[0]
    stmt = restrict(select(Employee.employee_no, Employee.id)
                    .where(Employee.employee_no.in_(set(wanted.values()))),
                    ctx.principal, "people.view_employee")  # fmt: skip
    ids: dict[str, int] = dict(ctx.db.execute(stmt).all())
    return {ref: ids[no] for ref, no in wanted.items() if no in ids}


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
    amount), or back to 미처리 (open). Checked before anything changes: PermissionError
    without the permission, ResolutionError (the message to show) for a refused action."""
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
        if finding.recoverable_amount is not None and recovered > finding.recoverable_amount:
            raise ResolutionError(f"환수액이 환수할 수 있는 금액({finding.recoverable_amount:,}원)보다 많습니다: "
                                  f"나머지 {finding.time_barred_amount or 0:,}원은 소멸시효(국가재정법 제96조)가 지났습니다.")  # fmt: skip
    if action not in STATUSES:
        raise ResolutionError("알 수 없는 처리입니다.")
    recovering = (
        finding.agency_a_id if finding.recover_org == finding.org_a else finding.agency_b_id
    )
    if action == "recovered" and not ctx.principal.covers_agency(recovering):
        raise ResolutionError("환수 완료는 환수 대상 기관이 처리합니다.")
    before = finding.status
    now = dt.datetime.now(dt.UTC)
    finding.status = action
    finding.reason = reason or None
    finding.recovered_amount = recovered
    finding.updated_by = ctx.principal.username
    finding.updated_at = now
    ctx.db.add(FindingEvent(finding_id=finding.id, at=now, actor=ctx.principal.username,
                            actor_role=ctx.principal.role, status_from=before, status_to=action,
                            reason=reason or None, amount=recovered))  # fmt: skip
    ctx.audit(
        "allowance.resolve_finding",
        target_type="allowance_finding",
        target_id=finding.finding_id,
        agency_id=ctx.principal.agency_id,
        detail={"from": before, "to": action, "recovered": recovered, "reason": reason[:200]},
    )


# ------------------------------------------------------------------ batches of the commands


def entitlement(ctx: Ctx, year: int, agency_id: int | None = None) -> list[Difference]:
    """Each employee's due allowance by month (the rules, eligibility enforced) against what
    payroll paid, for ``agency_id`` (None: every agency, for whoever sees all); one row per
    employee and month where they differ."""
    from insa.allowance import exchange

    aid = ctx.principal.scope_agency(agency_id)
    diffs = exchange.differences(ctx.connection, year, aid)
    ctx.audit(
        "allowance.entitlement", agency_id=aid, detail={"year": year, "differences": len(diffs)}
    )
    return diffs


def check_entitlement(ctx: Ctx, as_of: str, agency_id: int | None = None, *, store: bool = True,
                      checked_on: dt.date | None = None) -> tuple[VerifyReport, StoreReport | None]:  # fmt: skip
    """The entitlement check of ``agency_id`` (None: every agency, for whoever sees all) up
    to ``as_of``: findings in the double claims' workflow, stored unless ``store`` is False."""
    from insa.allowance import exchange

    aid = ctx.principal.scope_agency(agency_id)
    report = exchange.entitlement_findings(
        ctx.connection, as_of, aid, checked_on or dt.date.today()
    )
    stored = exchange.store(ctx.connection, report, files=0, actor=ctx.principal.username,
                            actor_role=ctx.principal.role) if store else None  # fmt: skip
    ctx.audit("allowance.check_entitlement", agency_id=aid, detail={"as_of": as_of, "findings": len(report.findings),
                                                                    "new": stored.new if stored else None})  # fmt: skip
    return report, stored


def export_claims(
    ctx: Ctx, key: bytes, as_of: str, agency_id: int | None, out_dir: Path
) -> tuple[int, int]:
    """insa's agencies' claims in the exchange format as of ``as_of`` (``YYYY-MM``), one CSV
    per agency code in ``out_dir``, keyed with the shared exchange ``key`` (the resident
    numbers are decrypted in this process only). Returns (agencies, claims written)."""
    from insa.allowance import exchange
    from insa.allowance.claims import write_claims_csv

    aid = ctx.principal.scope_agency(agency_id)
    per_agency = exchange.claims_by_agency(ctx.connection, ctx.cipher, key, as_of, aid)
    total = 0
    for code, rows in sorted(per_agency.items()):
        total += write_claims_csv(inside(out_dir, f"{code}.csv"), rows)
    ctx.audit(
        "allowance.export_claims",
        agency_id=aid,
        detail={"as_of": as_of, "agencies": len(per_agency), "claims": total},
    )
    return len(per_agency), total


def store_findings(
    conn: Connection, report: VerifyReport, *, files: int, principal: Principal | None = None
) -> StoreReport:
    """Keep a verification run and its findings in ``conn``'s transaction (known ids keep
    their status, new ones start open), by ``principal`` (default: the operator)."""
    from insa.allowance import exchange

    with over_connection(conn, principal) as ctx:
        stored = exchange.store(conn, report, files=files, actor=ctx.principal.username,
                                actor_role=ctx.principal.role)  # fmt: skip
        ctx.audit(
            "allowance.verify",
            target_type="allowance_run",
            target_id=stored.run_id,
            detail={"as_of": report.as_of, "claims": report.claims,
                    "findings": len(report.findings), "new": stored.new},
        )  # fmt: skip
    return stored


def pending_work(ctx: Ctx) -> list[dict[str, object]]:
    """What waits for the caller in the verification (for the home page): findings not yet
    worked through, and their amount."""
    if not ctx.principal.can(RESOLVE):
        return []
    n, won = ctx.db.execute(
        _scoped(
            ctx, select(func.count(), func.coalesce(func.sum(Finding.overpaid_amount), 0))
        ).where(Finding.status == "open")
    ).one()
    return [{"label": "처리할 이중수급 의심 건", "count": int(n), "amount": int(won),
             "href": "/allowance/findings?status=open"}]  # fmt: skip
