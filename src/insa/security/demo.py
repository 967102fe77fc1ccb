"""Demo log-ins, one per role, for `make demo` (demo mode only)."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from sqlalchemy import select

from insa.people.models import Agency, Employee
from insa.security import auth
from insa.security.context import Ctx
from insa.security.models import User
from insa.security.roles import ROLES, Scope
from insa.security.users import assign, create_user, set_centre

DEMO_PASSWORD = "insa-demo-2025!"
DEMO_AGENCY = "MPM"  # 인사혁신처


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    note: str


def ensure_demo_users(ctx: Ctx) -> list[DemoLogin]:
    """Create the demo users if missing (idempotent) and describe how to log in."""
    db, cipher = ctx.db, ctx.cipher
    agency_id = db.scalar(select(Agency.id).where(Agency.code == DEMO_AGENCY))
    emps = db.scalars(
        select(Employee).where(Employee.agency_id == agency_id).order_by(Employee.id).limit(12)
    ).all()
    if not emps:
        raise RuntimeError("seed the database first (insa seed)")
    specs = [
        ("demo-employee", "employee", {"employee_no": emps[0].employee_no}),
        ("demo-hr", "hr_officer", {"agency_code": DEMO_AGENCY}),
        ("demo-finance", "finance_officer", {"agency_code": DEMO_AGENCY}),
        ("demo-approver", "approver", {"agency_code": DEMO_AGENCY}),
        ("demo-admin", "central_admin", {}),
        ("demo-security", "security_operator", {"centre_code": "CYBER"}),
        ("demo-ops", "ops_operator", {"centre_code": "WATCH"}),
        # a member ministry's own staff at the centre: 법제처's services only
        ("demo-ops-moleg", "ops_operator", {"agency_code": "MOLEG"}),
    ]
    out: list[DemoLogin] = []
    for username, role, extra in specs:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(ctx, username=username, role=role, password=DEMO_PASSWORD, **extra)
            spec = ROLES[role]
            if spec.scope is Scope.ASSIGNED:
                assign(
                    ctx,
                    approver=username,
                    employee_nos=[e.employee_no for e in emps],  # demo-employee too: trips
                )
            if spec.mfa_required:
                secret = auth.totp_begin(db, cipher, user)
                user.totp_enabled = True
                del secret
        elif "centre_code" in extra and user.centre_id is None:
            # a demo database from before the centres: its operators get their centre
            set_centre(ctx, username=username, centre_code=str(extra["centre_code"]))
        note = ""
        spec = ROLES[role]
        if spec.mfa_required:
            secret = auth.totp_secret(cipher, user) or ""
            note = f"TOTP key {secret} (current code: {pyotp.TOTP(secret).now()}; `insa users totp-code demo-admin`)"
        elif spec.needs_employee:
            note = f"= {emps[0].name} ({emps[0].employee_no})"
        elif spec.needs_agency:
            note = "인사혁신처"
        elif spec.centre_kind and "centre_code" in extra:
            note = f"{extra['centre_code']} 센터 운영자 (회원 기관 전체)"
        elif spec.centre_kind:
            note = f"{extra['agency_code']} 담당자 (자기 기관만)"
        out.append(DemoLogin(username, role, note))
    return out
