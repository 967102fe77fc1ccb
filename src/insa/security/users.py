"""User administration: create users with one role, scope them, assign approvers."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from insa.people.models import Agency, Employee
from insa.security.audit import record
from insa.security.models import ROLES, ApproverAssignment, User, UserRole
from insa.security.passwords import hash_password
from insa.security.principal import AGENCY_ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class UserError(ValueError):
    pass


def create_user(
    db: Session,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    agency_code: str | None = None,
    employee_no: str | None = None,
    actor: str,
) -> User:
    if not USERNAME.match(username):
        raise UserError("username: 3–64 characters of a-z, 0-9, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    agency_id = None
    if agency_code:
        agency_id = db.scalar(select(Agency.id).where(Agency.code == agency_code))
        if agency_id is None:
            raise UserError(f"unknown agency code {agency_code!r}")
    if role in AGENCY_ROLES and agency_id is None:
        raise UserError(f"role {role} needs --agency")
    employee = None
    if employee_no:
        employee = db.scalar(select(Employee).where(Employee.employee_no == employee_no))
        if employee is None:
            raise UserError(f"unknown employee number {employee_no!r}")
        if agency_id is not None and employee.agency_id != agency_id:
            raise UserError("the employee belongs to another agency")
        agency_id = agency_id or employee.agency_id
    if role == "employee" and employee is None:
        raise UserError("role employee needs --employee-no")
    user = User(
        username=username,
        display_name=display_name or (employee.name if employee else username),
        password_hash=hash_password(password),
        agency_id=agency_id,
        employee_id=employee.id if employee else None,
        is_active=True,
        created_at=dt.datetime.now(dt.UTC),
    )
    db.add(user)
    db.flush()
    db.add(UserRole(user_id=user.id, role_code=role, agency_id=agency_id))
    record(
        db,
        actor=actor,
        action="security.create_user",
        target_type="user",
        target_id=user.id,
        agency_id=agency_id,
        detail={"username": username, "role": role},
    )
    return user


def assign(db: Session, *, approver: str, employee_nos: list[str], actor: str) -> int:
    user = db.scalar(select(User).where(User.username == approver))
    if user is None:
        raise UserError(f"unknown user {approver!r}")
    role = db.scalar(select(UserRole.role_code).where(UserRole.user_id == user.id))
    if role != "approver":
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
    record(
        db,
        actor=actor,
        action="security.assign_approver",
        target_type="user",
        target_id=user.id,
        detail={"added": added},
    )
    return added


def set_password(db: Session, *, username: str, password: str, actor: str) -> None:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"unknown user {username!r}")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record(db, actor=actor, action="security.set_password", target_type="user", target_id=user.id)
