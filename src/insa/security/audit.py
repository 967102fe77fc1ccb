"""The audit trail: one function writes it; nothing updates or deletes it."""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, false, func, insert, or_, select
from sqlalchemy.orm import Session

from insa.security.models import AuditLog

if TYPE_CHECKING:
    from insa.security.context import Ctx


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "cli:unknown"


def record(
    db: Session | Connection,
    *,
    actor: str,
    action: str,
    actor_role: str | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    agency_id: int | None = None,
    client_addr: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the caller's transaction. ``detail`` must hold no RRN."""
    db.execute(
        insert(AuditLog).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            actor_role=actor_role,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            agency_id=agency_id,
            client_addr=client_addr,
            detail=detail,
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
    from insa.people.models import Employee
    from insa.security.models import User

    if not ctx.principal.can("security.view_audit"):
        raise PermissionError("security.view_audit")
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
        "security.view_audit",
        target_type="audit_log",
        detail={
            "actor": actor[:64],
            "person": person[:64],
            "action": action[:64],
            "results": total,
        },
    )
    return AuditPage(list(rows), total, page, size)
