"""Who is acting, and the one place where agency scoping is applied (``restrict``).

Every query on agency data goes through :func:`restrict`; an object outside the actor's
scope is simply not found (the web layer answers 404). Permission names follow
``<domain>.<action>_<entity>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select, false, or_, select

from insa.people.models import Employee
from insa.security.models import ApproverAssignment

Ts = TypeVarTuple("Ts")

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "employee": frozenset(
        {
            "people.view_employee",
            "people.view_dependents",
            "people.view_payroll",
            "yearend.view_result",
            "travel.request_trip",
        }
    ),
    "hr_officer": frozenset(
        {
            "people.search_employee",
            "people.view_employee",
            "people.view_dependents",
            "people.view_payroll",
            "yearend.view_result",
            "yearend.run_settlement",
            "allowance.view_finding",
            "allowance.resolve_finding",
            "travel.view_trip",
        }
    ),
    "finance_officer": frozenset(
        {
            "people.search_employee",
            "people.view_employee",
            "people.view_dependents",
            "people.view_payroll",
            "yearend.view_result",
            "allowance.view_finding",
            "travel.pay_trip",
            "travel.view_trip",
        }
    ),
    "approver": frozenset(
        {"people.search_employee", "people.view_employee", "travel.approve_trip"}
    ),
    "central_admin": frozenset(
        {
            "people.search_employee",
            "people.view_employee",
            "people.view_dependents",
            "people.view_payroll",
            "security.view_audit",
            "yearend.view_result",
            "yearend.run_settlement",
            "allowance.view_finding",
            "allowance.resolve_finding",
        }
    ),
    "security_operator": frozenset({"cyber.view_center"}),
    "ops_operator": frozenset({"watch.view_center"}),
}
AGENCY_ROLES = frozenset({"hr_officer", "finance_officer", "approver"})
MFA_REQUIRED_ROLES = frozenset({"central_admin"})


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    employee_id: int | None
    client_addr: str | None = None

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


def restrict(stmt: Select[*Ts], principal: Principal, permission: str) -> Select[*Ts]:
    """Limit a statement over :class:`Employee` (or joined to it) to the actor's scope."""
    if not principal.can(permission):
        return stmt.where(false())
    role = principal.role
    if role == "central_admin":
        return stmt
    if role in AGENCY_ROLES:
        if principal.agency_id is None:
            return stmt.where(false())
        stmt = stmt.where(Employee.agency_id == principal.agency_id)
        if role == "approver":
            assigned = select(ApproverAssignment.employee_id).where(
                ApproverAssignment.user_id == principal.user_id
            )
            stmt = stmt.where(Employee.id.in_(assigned))
        return stmt
    if role == "employee" and principal.employee_id is not None:
        return stmt.where(Employee.id == principal.employee_id)
    return stmt.where(false())


def restrict_agencies(
    stmt: Select[*Ts], principal: Principal, permission: str, *agency_columns: Any
) -> Select[*Ts]:
    """Limit a statement over records that belong to agencies (``agency_columns``: one or
    more agency-id columns; a record is in scope when any of them is the actor's agency).
    Central administrators see all; other roles with the permission see their agency's."""
    if not principal.can(permission):
        return stmt.where(false())
    if principal.role == "central_admin":
        return stmt
    if principal.role in AGENCY_ROLES and principal.agency_id is not None:
        return stmt.where(or_(*(c == principal.agency_id for c in agency_columns)))
    return stmt.where(false())
