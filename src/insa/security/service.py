"""Security queries for the web app, the API and the CLI: the audit trail and the shared
centres. Every query is scoped through :mod:`insa.security.principal`; reads are audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, false, func, insert, or_, select

from insa.db.paging import Page, paginate
from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.models import ApiToken, AuditLog, Centre, CentreMember, User
from insa.security.principal import restrict_centre

VIEW_AUDIT = "security.view_audit"
VIEW_CENTRE = "security.view_centre"  # a centre and (the scope's part of) its membership
MANAGE_CENTRE = "security.manage_centre"  # add and remove member agencies
GRANTS = {
    # the centres are their operators' and members' business: central administrators of HR
    # hold no centre permission; membership is changed from the command line
    "central_admin": {VIEW_AUDIT},
    "security_operator": {VIEW_CENTRE},
    "ops_operator": {VIEW_CENTRE},
    "cli": {MANAGE_CENTRE},  # the server's operators, from the command line
}
CENTRE_KIND_LABELS = {"watch": "장애 탐지", "cyber": "사이버 보안"}


def api_tokens(ctx: Ctx) -> list[ApiToken]:
    """The caller's own API tokens, newest first (only their prefixes are kept)."""
    return list(
        ctx.db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == ctx.principal.user_id)
            .order_by(ApiToken.created_at.desc())
        )
    )


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
) -> Page[AuditLog]:
    """Central administrators search the trail by actor, by person (an employee number or a
    user name whose records were touched), by action prefix and by date (inclusive)."""
    if not ctx.principal.can(VIEW_AUDIT):
        raise PermissionError(VIEW_AUDIT)
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
    found = paginate(ctx.db, stmt.order_by(AuditLog.id.desc()), page=page, size=size,
                     count=stmt, scalars=True)  # fmt: skip
    ctx.audit(
        VIEW_AUDIT,
        target_type="audit_log",
        detail={
            "actor": actor[:64],
            "person": person[:64],
            "action": action[:64],
            "results": found.total,
        },
    )
    return found


# ------------------------------------------------------------------ shared centres


@dataclass(frozen=True)
class CentreView:
    id: int
    code: str
    name_ko: str
    kind: str
    kind_label: str
    host: str  # the host agency's name
    members: int  # member agencies the caller sees (an operator: all; a member's staff: 1)


@dataclass(frozen=True)
class MemberView:
    agency_id: int
    code: str
    name_ko: str
    joined_on: dt.date | None


class CentreError(ValueError):
    pass


def _members_in_scope(ctx: Ctx) -> Any:
    """Membership rows the caller may see: restrict_centre over the centre–member table (an
    operator: every member of their centre; a member agency's staff: their own membership)."""
    stmt = select(CentreMember.id)
    return restrict_centre(stmt, ctx.principal, VIEW_CENTRE, CentreMember.agency_id,
                           CentreMember.centre_id)  # fmt: skip


def _kind_filter(ctx: Ctx) -> Any:
    kind = ctx.principal.spec.centre_kind
    return Centre.kind == kind if kind else None


def centres(ctx: Ctx) -> list[CentreView]:
    """The centres the caller works in, with the number of member agencies they see."""
    visible = _members_in_scope(ctx).subquery()
    host = Agency.name_ko.label("host")
    stmt = (
        select(Centre, host, func.count(CentreMember.id))
        .outerjoin(Agency, Agency.id == Centre.host_agency_id)
        .join(CentreMember, CentreMember.centre_id == Centre.id)
        .where(CentreMember.id.in_(select(visible.c.id)))
        .group_by(Centre.id, host)
        .order_by(Centre.code)
    )
    kind = _kind_filter(ctx)
    if kind is not None:
        stmt = stmt.where(kind)
    out = [
        CentreView(
            c.id, c.code, c.name_ko, c.kind, CENTRE_KIND_LABELS.get(c.kind, c.kind), h or "", int(n)
        )  # fmt: skip
        for c, h, n in ctx.db.execute(stmt)
    ]
    return out


def centre_members(ctx: Ctx, code: str) -> tuple[CentreView, list[MemberView]] | None:
    """One centre and its member agencies in the caller's scope; None when the caller sees
    none of it (the page answers 404)."""
    found = [c for c in centres(ctx) if c.code == code.upper()]
    if not found:
        return None
    centre = found[0]
    visible = _members_in_scope(ctx).subquery()
    rows = ctx.db.execute(
        select(Agency.id, Agency.code, Agency.name_ko, CentreMember.joined_on)
        .join(CentreMember, CentreMember.agency_id == Agency.id)
        .where(CentreMember.centre_id == centre.id, CentreMember.id.in_(select(visible.c.id)))
        .order_by(Agency.id)
    ).all()
    ctx.audit("security.view_centre", target_type="centre", target_id=centre.id,
              detail={"centre": centre.code, "members": len(rows)})  # fmt: skip
    return centre, [MemberView(int(a), str(c), str(n), j) for a, c, n, j in rows]


def _centre_and_agency(ctx: Ctx, code: str, agency_code: str) -> tuple[Centre, int]:
    if not ctx.principal.can(MANAGE_CENTRE):
        raise PermissionError("센터 회원 기관을 바꿀 권한이 없습니다.")
    centre = ctx.db.scalar(select(Centre).where(Centre.code == code.upper()))
    if centre is None:
        raise CentreError(f"unknown centre code {code!r}")
    aid = ctx.db.scalar(select(Agency.id).where(Agency.code == agency_code.upper()))
    if aid is None:
        raise CentreError(f"unknown agency code {agency_code!r}")
    return centre, int(aid)


def add_member(ctx: Ctx, code: str, agency_code: str, joined_on: dt.date | None = None) -> bool:
    """Make an agency a member of a centre (False when it already is). Audited."""
    centre, aid = _centre_and_agency(ctx, code, agency_code)
    exists = ctx.db.scalar(
        select(CentreMember.id).where(CentreMember.centre_id == centre.id,
                                      CentreMember.agency_id == aid)
    )  # fmt: skip
    if exists is not None:
        return False
    ctx.db.execute(insert(CentreMember).values(centre_id=centre.id, agency_id=aid,
                                               joined_on=joined_on or dt.date.today()))  # fmt: skip
    ctx.audit("security.add_centre_member", target_type="centre", target_id=centre.id,
              agency_id=aid, detail={"centre": centre.code, "agency": agency_code.upper()})  # fmt: skip
    return True


def remove_member(ctx: Ctx, code: str, agency_code: str) -> bool:
    """End an agency's membership of a centre (False when it was not a member). Its staff
    then see none of the centre's records. Audited."""
    centre, aid = _centre_and_agency(ctx, code, agency_code)
    res = ctx.db.execute(
        delete(CentreMember).where(CentreMember.centre_id == centre.id,
                                   CentreMember.agency_id == aid)
    )  # fmt: skip
    if not res.rowcount:  # type: ignore[attr-defined]
        return False
    ctx.audit("security.remove_centre_member", target_type="centre", target_id=centre.id,
              agency_id=aid, detail={"centre": centre.code, "agency": agency_code.upper()})  # fmt: skip
    return True
