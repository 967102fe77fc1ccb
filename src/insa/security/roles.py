"""The one table of roles: what each role is called and which records it reaches (its scope).

What a role may *do* is a permission (``<domain>.<action>_<entity>``), granted by the domain
that defines it (``GRANTS`` in each domain's ``service.py``, collected by ``insa.domains``);
*whose* records it reaches is its scope, here. :mod:`insa.security.principal` applies both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """Whose records a role reaches."""

    ALL = "all"  # every agency (central administrators, the command line)
    AGENCY = "agency"  # the records of the user's own agency
    ASSIGNED = "assigned"  # the people of the user's agency assigned to them (결재권자)
    SELF = "self"  # the user's own employee record (self-service)
    CENTRE = "centre"  # a shared centre: its operators every member's, a member's staff its own


@dataclass(frozen=True)
class Role:
    code: str
    label: str  # Korean, as shown
    scope: Scope
    home: str  # title of the role's home page
    mfa_required: bool = False
    assignable: bool = True  # can be given to a user account (``insa users create``)
    centre_kind: str | None = None  # for centre roles: the kind of centre they work in

    @property
    def needs_agency(self) -> bool:
        return self.scope in (Scope.AGENCY, Scope.ASSIGNED)

    @property
    def needs_employee(self) -> bool:
        return self.scope is Scope.SELF


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role("employee", "직원", Scope.SELF, "나의 인사 정보"),
        Role("hr_officer", "인사담당자", Scope.AGENCY, "인사 업무"),
        Role("finance_officer", "재무담당자", Scope.AGENCY, "급여·재무 업무"),
        Role("approver", "결재권자", Scope.ASSIGNED, "결재 대상 직원"),
        Role("central_admin", "중앙관리자", Scope.ALL, "중앙 관리", mfa_required=True),
        Role(
            "security_operator", "보안관제요원", Scope.CENTRE, "사이버안전센터", centre_kind="cyber"
        ),
        Role("ops_operator", "장애관제요원", Scope.CENTRE, "장애관제센터", centre_kind="watch"),
        # operators' commands on the server (``insa …``): every record, every permission
        Role("cli", "명령행", Scope.ALL, "insa", assignable=False),
    )
}
ROLE_LABELS = {code: r.label for code, r in ROLES.items()}
USER_ROLES = tuple(code for code, r in ROLES.items() if r.assignable)
COMMAND_LINE = "cli"
