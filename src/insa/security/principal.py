"""Who is acting, and the one place where tenancy is applied: ``restrict`` (people),
``restrict_agencies`` (records of agencies) and ``restrict_centre`` (records of a shared
centre's members).

The whole policy is two tables: the role table (:mod:`insa.security.roles`: whose records a
role reaches) and the grants (which permissions each role holds), which every domain declares
for its own permissions (``GRANTS`` in its ``service.py``) and :mod:`insa.domains` registers
here with :func:`grant`. Every query on agency or centre data goes through one of the three
``restrict`` functions; an object outside the actor's scope is simply not found (the web
layer answers 404). Permission names follow ``<domain>.<action>_<entity>``.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, false, or_, select

from insa.people.models import Employee
from insa.security.grants import (  # noqa: F401  (the policy's public face)
    UnknownPermission,
    declared,
    grant,
    granted,
    install_grants,
    permissions_of,
)
from insa.security.models import ApproverAssignment, Centre, CentreMember
from insa.security.roles import COMMAND_LINE, ROLES, Role, Scope

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    employee_id: int | None
    client_addr: str | None = None
    centre_id: int | None = None  # for a centre role: the centre the user operates

    @classmethod
    def command_line(cls) -> Principal:
        """The operator running an ``insa`` command on the server (audited as ``cli:<user>``)."""
        try:
            who = getpass.getuser()
        except Exception:  # no passwd entry in some containers
            who = "unknown"
        return cls(0, f"cli:{who}", f"cli:{who}", COMMAND_LINE, None, None)

    @classmethod
    def self_service(
        cls, *, employee_id: int, agency_id: int, username: str, display_name: str
    ) -> Principal:
        """An employee acting on their own records without a log-in of their own (the demo's
        colleagues; audited under ``username``)."""
        return cls(0, username, display_name, "employee", agency_id, employee_id)

    @property
    def spec(self) -> Role:
        return ROLES[self.role] if self.role in ROLES else ROLES["employee"]

    @property
    def scope(self) -> Scope:
        return self.spec.scope

    def can(self, permission: str) -> bool:
        return granted(self.role, permission)

    @property
    def sees_all(self) -> bool:
        """Every agency's records (central administrators, the command line)."""
        return self.role in ROLES and self.scope is Scope.ALL

    @property
    def is_self_service(self) -> bool:
        """An employee looking at their own records."""
        return self.scope is Scope.SELF

    @property
    def sees_assigned_only(self) -> bool:
        """An approver: the people of the agency assigned to them, no one else."""
        return self.scope is Scope.ASSIGNED

    @property
    def mfa_required(self) -> bool:
        return self.spec.mfa_required

    @property
    def is_centre_operator(self) -> bool:
        return self.scope is Scope.CENTRE and self.centre_id is not None

    def covers_agency(self, agency_id: int | None) -> bool:
        """Whether a record of ``agency_id`` is the actor's to handle as an agency's officer
        (the in-memory counterpart of :func:`restrict_agencies`)."""
        if self.sees_all:
            return True
        return self.spec.needs_agency and agency_id is not None and agency_id == self.agency_id

    def scope_agency(self, requested: int | None = None) -> int | None:
        """The agency an action covers: whoever sees all chooses (None = every agency); an
        agency's officer always acts for their own agency. PermissionError otherwise."""
        if self.sees_all:
            return requested
        if self.spec.needs_agency and self.agency_id is not None:
            return self.agency_id
        raise PermissionError("소속 기관이 없는 계정입니다.")

    @property
    def scope_key(self) -> tuple[Any, ...]:
        """Two principals with the same key see the same records (for caches of aggregates)."""
        scope = self.scope
        who = self.user_id if scope is Scope.ASSIGNED else None
        me = self.employee_id if scope is Scope.SELF else None
        return (self.role, scope.value, self.agency_id, self.centre_id, who, me)


def restrict(stmt: Select[*Ts], principal: Principal, permission: str) -> Select[*Ts]:
    """Limit a statement over :class:`Employee` (or joined to it) to the actor's scope."""
    if not principal.can(permission):
        return stmt.where(false())
    scope = principal.scope
    if scope is Scope.ALL:
        return stmt
    if scope in (Scope.AGENCY, Scope.ASSIGNED):
        if principal.agency_id is None:
            return stmt.where(false())
        stmt = stmt.where(Employee.agency_id == principal.agency_id)
        if scope is Scope.ASSIGNED:
            assigned = select(ApproverAssignment.employee_id).where(
                ApproverAssignment.user_id == principal.user_id
            )
            stmt = stmt.where(Employee.id.in_(assigned))
        return stmt
    if scope is Scope.SELF and principal.employee_id is not None:
        return stmt.where(Employee.id == principal.employee_id)
    return stmt.where(false())  # centre operators see no personal record


def restrict_agencies(
    stmt: Select[*Ts],
    principal: Principal,
    permission: str,
    *agency_columns: Any,
    shared: ColumnElement[bool] | None = None,
) -> Select[*Ts]:
    """Limit a statement over records that belong to agencies (``agency_columns``: one or
    more agency-id columns; a record is in scope when any of them is the actor's agency).
    ``shared`` marks records that belong to every agency (a government-wide run). Whoever
    sees all sees all; other roles with the permission see their agency's."""
    if not principal.can(permission):
        return stmt.where(false())
    if principal.sees_all:
        return stmt
    if principal.spec.needs_agency and principal.agency_id is not None:
        mine = [c == principal.agency_id for c in agency_columns]
        return stmt.where(or_(*mine, *([shared] if shared is not None else [])))
    return stmt.where(false())


def restrict_centre(
    stmt: Select[*Ts],
    principal: Principal,
    permission: str,
    agency_column: Any,
    centre_column: Any = None,
) -> Select[*Ts]:
    """Limit a statement over the records of a shared centre's members.

    ``agency_column`` is the member agency a record belongs to; ``centre_column`` (when the
    records say which centre they are kept by) the centre. An operator of a centre sees
    every member's records of that centre; a member agency's own staff holding the
    permission see their agency's records, while it is a member of a centre of their role's
    kind (watch staff: the failure-detection centre) — and of the record's centre when the
    records say it; the command line sees all; anyone else nothing (a central administrator
    too, unless a package grants them the permission)."""
    if not principal.can(permission):
        return stmt.where(false())
    if principal.sees_all:
        return stmt
    if principal.scope is not Scope.CENTRE:
        return stmt.where(false())
    if principal.centre_id is not None:
        members = select(CentreMember.agency_id).where(
            CentreMember.centre_id == principal.centre_id
        )
        stmt = stmt.where(agency_column.in_(members))
        if centre_column is not None:
            stmt = stmt.where(centre_column == principal.centre_id)
        return stmt
    if principal.agency_id is not None and principal.spec.centre_kind is not None:
        # the centres of the role's kind the agency is a member of, now
        centres = (
            select(CentreMember.centre_id)
            .join(Centre, Centre.id == CentreMember.centre_id)
            .where(
                CentreMember.agency_id == principal.agency_id,
                Centre.kind == principal.spec.centre_kind,
            )
        )
        stmt = stmt.where(agency_column == principal.agency_id)
        if centre_column is not None:
            return stmt.where(centre_column.in_(centres))
        return stmt.where(centres.exists())
    return stmt.where(false())
