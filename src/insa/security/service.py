"""Security queries for the web app, the API and the CLI: the audit trail and the shared
centres. Every query is scoped through :mod:`insa.security.principal`; reads are audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, false, func, insert, or_, select

from insa.clock import KST, to_kst, today_kst
from insa.db.paging import Page, paginate
from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.logs import redact
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
AUDIT_LABELS = {  # what the audit page shows for this package's actions and targets
    "auth.login": "로그인", "auth.login_failed": "로그인 실패", "auth.login_locked": "잠긴 계정 로그인 시도",
    "auth.login_inactive": "비활성 계정 로그인 시도", "auth.logout": "로그아웃",
    "auth.totp_ok": "2단계 인증 성공", "auth.totp_failed": "2단계 인증 실패",
    "auth.totp_enabled": "인증 앱 등록", "auth.totp_locked": "잠긴 계정 2단계 인증 시도",
    "auth.totp_replayed": "이미 쓴 인증 코드 재사용", "auth.login_throttled": "주소별 로그인 제한",
    "auth.token_created": "API 토큰 발급",
    "auth.token_revoked": "API 토큰 폐기", "auth.password_changed": "비밀번호 변경",
    "security.create_user": "사용자 생성", "security.set_password": "비밀번호 재설정",
    "security.assign_approver": "결재 대상 배정", "security.list_users": "사용자 목록 조회",
    "security.issue_token": "API 토큰 발급 (명령행)", "security.set_centre": "센터 운영 지정",
    "security.view_audit": "감사 기록 조회", "security.export_audit": "감사 기록 내보내기",
    "security.view_centre": "공동 센터 조회", "security.add_centre_member": "센터 회원 기관 추가",
    "security.remove_centre_member": "센터 회원 기관 제외", "user": "사용자",
    "api_token": "API 토큰", "audit_log": "감사 기록", "centre": "공동 센터",
}  # fmt: skip
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


class AuditQueryError(ValueError):
    """A search the audit log cannot answer as asked (a reversed date range)."""


@dataclass(frozen=True)
class AuditQuery:
    """What the central administrator searches the trail for. ``person``: an employee
    number, an employee's name, or a user name whose records were touched; dates are days in
    Korea time, inclusive."""

    actor: str = ""
    person: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _audit_statement(ctx: Ctx, q: AuditQuery) -> Any:
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise AuditQueryError("시작일이 종료일보다 늦습니다. 날짜를 바꿔 다시 검색하세요.")
    stmt = select(AuditLog)
    if q.actor.strip():
        stmt = stmt.where(AuditLog.actor == q.actor.strip())
    if q.person.strip():
        p = q.person.strip()
        emp_ids = [str(i) for i in ctx.db.scalars(
            select(Employee.id).where(or_(Employee.employee_no == p, Employee.name == p)).limit(500)
        )]  # fmt: skip
        user_ids = [str(i) for i in ctx.db.scalars(select(User.id).where(User.username == p))]
        conds = []
        if emp_ids:
            conds.append(and_(AuditLog.target_type == "employee", AuditLog.target_id.in_(emp_ids)))
        if user_ids:
            conds.append(and_(AuditLog.target_type == "user", AuditLog.target_id.in_(user_ids)))
        stmt = stmt.where(or_(*conds) if conds else false())
    if q.action.strip():
        stmt = stmt.where(AuditLog.action.like(q.action.strip().replace("%", "") + "%"))
    if q.date_from:
        # bounds in UTC, as the times are stored (SQLite compares the stored text)
        stmt = stmt.where(
            AuditLog.at >= dt.datetime.combine(q.date_from, dt.time(), KST).astimezone(dt.UTC)
        )
    if q.date_to:
        end = dt.datetime.combine(q.date_to + dt.timedelta(days=1), dt.time(), KST).astimezone(
            dt.UTC
        )
        stmt = stmt.where(AuditLog.at < end)
    return stmt


def search_audit(ctx: Ctx, q: AuditQuery, *, page: int = 1, size: int = 50) -> Page[AuditLog]:
    """Central administrators search the trail by actor, by person, by action prefix and by
    date; :class:`AuditQueryError` for a search that cannot be answered."""
    if not ctx.principal.can(VIEW_AUDIT):
        raise PermissionError(VIEW_AUDIT)
    stmt = _audit_statement(ctx, q)
    found = paginate(ctx.db, stmt.order_by(AuditLog.id.desc()), page=page, size=size,
                     count=stmt, scalars=True)  # fmt: skip
    ctx.audit(
        VIEW_AUDIT,
        target_type="audit_log",
        detail={
            "actor": q.actor[:64],
            "person": redact(q.person)[:64],
            "action": q.action[:64],
            "results": found.total,
        },
    )
    return found


def audit_targets(ctx: Ctx, entries: list[AuditLog]) -> dict[tuple[str, str], str]:
    """Readable names of the employees and users the entries name (employee number and name,
    user name) instead of their internal ids."""

    def ids(kind: str) -> set[int]:
        return {
            int(t) for e in entries if e.target_type == kind and (t := e.target_id or "").isdigit()
        }

    emp_ids, user_ids = ids("employee"), ids("user")
    out: dict[tuple[str, str], str] = {}
    if emp_ids:
        for i, no, name in ctx.db.execute(
            select(Employee.id, Employee.employee_no, Employee.name).where(Employee.id.in_(emp_ids))
        ):
            out[("employee", str(i))] = f"{name} ({no})"
    if user_ids:
        for i, username in ctx.db.execute(
            select(User.id, User.username).where(User.id.in_(user_ids))
        ):
            out[("user", str(i))] = str(username)
    return out  # fmt: skip


EXPORT_LIMIT = 100_000  # rows in one export (narrow the search for more)
EXPORT_HEADER = ("시각 (한국 시간)", "행위자", "역할", "작업", "작업 코드", "대상", "대상 번호",
                 "접속 주소")  # fmt: skip


def export_audit(
    ctx: Ctx, q: AuditQuery, labels: Mapping[str, str], roles: Mapping[str, str]
) -> list[tuple[str, ...]]:
    """The search's rows for a CSV or XLSX file (newest first, at most EXPORT_LIMIT), in
    Korean with the codes beside; the export itself is audited."""
    if not ctx.principal.can(VIEW_AUDIT):
        raise PermissionError(VIEW_AUDIT)
    entries = list(ctx.db.scalars(_audit_statement(ctx, q).order_by(AuditLog.id.desc())
                                  .limit(EXPORT_LIMIT)))  # fmt: skip
    names = audit_targets(ctx, entries)
    rows: list[tuple[str, ...]] = [
        (to_kst(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor, roles.get(e.actor_role or "", e.actor_role or ""),
         labels.get(e.action, e.action), e.action, labels.get(e.target_type or "", e.target_type or ""),
         names.get((e.target_type or "", e.target_id or ""), e.target_id or ""), e.client_addr or "")
        for e in entries
    ]  # fmt: skip
    ctx.audit("security.export_audit", target_type="audit_log",
              detail={"actor": q.actor[:64], "person": redact(q.person)[:64], "action": q.action[:64],
                      "rows": len(rows)})  # fmt: skip
    return rows


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
                                               joined_on=joined_on or today_kst()))  # fmt: skip
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
