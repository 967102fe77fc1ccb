"""Security queries for the web app, the API and the CLI: the audit trail and the shared
centres. Every query is scoped through :mod:`insa.security.principal`; reads are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select

from insa.people.models import Employee
from insa.security.context import Ctx
from insa.security.models import ApiToken, AuditLog, User

VIEW_AUDIT = "security.view_audit"
VIEW_CENTRE = "security.view_centre"
GRANTS = {
    "central_admin": {VIEW_AUDIT, VIEW_CENTRE},
    "security_operator": {VIEW_CENTRE},
    "ops_operator": {VIEW_CENTRE},
}


def api_tokens(ctx: Ctx) -> list[ApiToken]:
    """The caller's own API tokens, newest first (only their prefixes are kept)."""
    return list(
        ctx.db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == ctx.principal.user_id)
            .order_by(ApiToken.created_at.desc())
        )
    )


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditLog]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def search_audit(
    ctx: Ctx,
    *,
    actor: str = "",
    person: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 1,
    size: int = 50,
) -> AuditPage:
    """Central administrators search the trail by actor, by person (an employee number or a
    user name whose records were touched), by action prefix and by date (inclusive)."""
    if not ctx.principal.can(VIEW_AUDIT):
        raise PermissionError(VIEW_AUDIT)
    page = max(1, page)
    stmt = select(AuditLog)
    if actor.strip():
        stmt = stmt.where(AuditLog.actor == actor.strip())
    if person.strip():
        p = person.strip()
        emp_id = ctx.db.scalar(select(Employee.id).where(Employee.employee_no == p))
        user_id = ctx.db.scalar(select(User.id).where(User.username == p))
        conds = []
        if emp_id is not None:
            conds.append(
                and_(AuditLog.target_type == "employee", AuditLog.target_id == str(emp_id))
            )
        if user_id is not None:
            conds.append(and_(AuditLog.target_type == "user", AuditLog.target_id == str(user_id)))
        stmt = stmt.where(or_(*conds) if conds else false())
    if action.strip():
        stmt = stmt.where(AuditLog.action.like(action.strip().replace("%", "") + "%"))
    if date_from:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(date_from, dt.time(), dt.UTC))
    if date_to:
        stmt = stmt.where(
            AuditLog.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        )
    total = ctx.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = ctx.db.scalars(
        stmt.order_by(AuditLog.id.desc()).limit(size).offset((page - 1) * size)
    ).all()
    ctx.audit(
        VIEW_AUDIT,
        target_type="audit_log",
        detail={
            "actor": actor[:64],
            "person": person[:64],
            "action": action[:64],
            "results": total,
        },
    )
    return AuditPage(list(rows), total, page, size)
