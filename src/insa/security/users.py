"""User administration: create users with one role, scope them (an agency, a centre), assign
approvers."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from insa.codes import EMPLOYEE_NO_HELP, is_employee_no
from insa.people.models import Agency, Employee
from insa.security.context import Ctx
from insa.security.models import ApproverAssignment, Centre, CentreMember, User, UserRole
from insa.security.passwords import hash_password
from insa.security.roles import ROLES, USER_ROLES, Scope

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class UserError(ValueError):
    pass


def create_user(
    ctx: Ctx,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    agency_code: str | None = None,
    employee_no: str | None = None,
    centre_code: str | None = None,
) -> User:
    """A user with one role. Agency roles need an agency, self-service an employee; a
    centre role is either an operator of a centre (``centre_code``: every member's records)
    or the staff of a member agency (``agency_code``: that agency's records)."""
    db = ctx.db
    if not USERNAME.match(username):
        raise UserError("username: 3–64 characters of a-z, 0-9, '.', '_' or '-'")
    if role not in USER_ROLES:
        raise UserError(f"role must be one of {', '.join(USER_ROLES)}")
    spec = ROLES[role]
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    agency_id = None
    if agency_code:
        agency_id = db.scalar(select(Agency.id).where(Agency.code == agency_code))
        if agency_id is None:
            raise UserError(f"unknown agency code {agency_code!r}")
    if spec.needs_agency and agency_id is None:
        raise UserError(f"role {role} needs --agency")
    centre_id = _centre_for(db, spec.code, spec.centre_kind, centre_code, agency_id)
    employee = None
    if employee_no and not is_employee_no(employee_no):
        raise UserError(f"{EMPLOYEE_NO_HELP} / employee numbers are 1-16 letters, digits or '-'")
    if employee_no:
        employee = db.scalar(select(Employee).where(Employee.employee_no == employee_no))
        if employee is None:
            raise UserError(f"unknown employee number {employee_no!r}")
        if agency_id is not None and employee.agency_id != agency_id:
            raise UserError("the employee belongs to another agency")
        agency_id = agency_id or employee.agency_id
    if spec.needs_employee and employee is None:
        raise UserError("role employee needs --employee-no")
    user = User(
        username=username,
        display_name=display_name or (employee.name if employee else username),
        password_hash=hash_password(password),
        agency_id=agency_id,
        employee_id=employee.id if employee else None,
        centre_id=centre_id,
        is_active=True,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(user)
    db.flush()
    db.add(UserRole(user_id=user.id, role_code=role, agency_id=agency_id))
    ctx.audit(
        "security.create_user",
        target_type="user",
        target_id=user.id,
        agency_id=agency_id,
        detail={"username": username, "role": role, "centre": centre_code},
    )
    return user


def _centre_for(
    db: Session, role: str, kind: str | None, centre_code: str | None, agency_id: int | None
) -> int | None:
    """The centre a centre role operates (None for a member agency's staff)."""
    if kind is None:
        if centre_code:
            raise UserError(f"role {role} is not a centre role; --centre is for centre roles")
        return None
    if centre_code:
        centre = db.scalar(select(Centre).where(Centre.code == centre_code.upper()))
        if centre is None:
            raise UserError(f"unknown centre code {centre_code!r}")
        if centre.kind != kind:
            raise UserError(
                f"centre {centre.code} is a {centre.kind} centre; role {role} works in {kind} centres"
            )
        return centre.id
    if agency_id is None:
        raise UserError(f"role {role} needs --centre (an operator) or --agency (a member's staff)")
    member = db.scalar(
        select(CentreMember.id)
        .join(Centre, Centre.id == CentreMember.centre_id)
        .where(CentreMember.agency_id == agency_id, Centre.kind == kind)
    )
    if member is None:
        raise UserError(f"the agency is not a member of any {kind} centre")
    return None


def set_centre(ctx: Ctx, *, username: str, centre_code: str | None) -> None:
    """Make a centre-role account an operator of a centre (``centre_code``), or a member
    agency's own staff (None: its agency's records only). Audited."""
    user = ctx.db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"unknown user {username!r}")
    role = ctx.db.scalar(select(UserRole.role_code).where(UserRole.user_id == user.id))
    spec = ROLES[role or "employee"]
    centre_id = _centre_for(ctx.db, spec.code, spec.centre_kind, centre_code, user.agency_id)
    user.centre_id = centre_id
    ctx.audit("security.set_centre", target_type="user", target_id=user.id,
              detail={"centre": centre_code.upper() if centre_code else None})  # fmt: skip


def assign(ctx: Ctx, *, approver: str, employee_nos: list[str]) -> int:
    db = ctx.db
    user = db.scalar(select(User).where(User.username == approver))
    if user is None:
        raise UserError(f"unknown user {approver!r}")
    role = db.scalar(select(UserRole.role_code).where(UserRole.user_id == user.id))
    if role is None or ROLES[role].scope is not Scope.ASSIGNED:
        raise UserError(f"{approver} is not an approver")
    added = 0
    for no in employee_nos:
        emp = db.scalar(select(Employee).where(Employee.employee_no == no))
        if emp is None:
            raise UserError(f"unknown employee number {no!r}")
        if emp.agency_id != user.agency_id:
            raise UserError(f"employee {no} belongs to another agency")
        exists = db.scalar(
            select(ApproverAssignment.id).where(
                ApproverAssignment.user_id == user.id, ApproverAssignment.employee_id == emp.id
            )
        )
        if exists is None:
            db.add(ApproverAssignment(user_id=user.id, employee_id=emp.id))
            added += 1
    ctx.audit(
        "security.assign_approver",
        target_type="user",
        target_id=user.id,
        detail={"added": added},
    )
    return added


def set_password(ctx: Ctx, *, username: str, password: str) -> None:
    user = ctx.db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"unknown user {username!r}")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.totp_failures = 0
    user.locked_until = None
    ctx.audit("security.set_password", target_type="user", target_id=user.id)


def user_rows(ctx: Ctx) -> list[dict[str, object]]:
    """Every account with its role, scope and state (no secret), by user name."""
    from insa.security.auth import role_of

    db = ctx.db
    agencies = {a.id: a.code for a in db.scalars(select(Agency))}
    centres = {c.id: c.code for c in db.scalars(select(Centre))}
    rows = []
    for u in db.scalars(select(User).order_by(User.username)):
        rows.append({
            "username": u.username, "display_name": u.display_name, "role": role_of(db, u),
            "agency": agencies.get(u.agency_id or 0, ""), "centre": centres.get(u.centre_id or 0, ""),
            "totp": u.totp_enabled, "locked_until": u.locked_until,
        })  # fmt: skip
    ctx.audit("security.list_users", target_type="user", detail={"results": len(rows)})
    return rows


def issue_token(ctx: Ctx, *, username: str, name: str) -> str:
    """A new API token for ``username`` (the text, shown once; only its digest is kept)."""
    from insa.security.auth import create_api_token

    user = ctx.db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"unknown user {username!r}")
    token = create_api_token(ctx.db, user, name)
    ctx.audit(
        "security.issue_token", target_type="user", target_id=user.id, detail={"name": name[:64]}
    )
    return token


def current_totp(ctx: Ctx, *, username: str) -> str:
    """The user's current TOTP code (for demo mode: the printed log-ins)."""
    import pyotp

    from insa.security.auth import totp_secret

    user = ctx.db.scalar(select(User).where(User.username == username))
    secret = totp_secret(ctx.cipher, user) if user else None
    if not secret:
        raise UserError(f"{username} has no TOTP key")
    return str(pyotp.TOTP(secret).now())
