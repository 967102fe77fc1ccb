"""A small seeded government with one user per role, served through FastAPI's TestClient."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from insa.db.engine import session_scope
from insa.people.models import Agency, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security import auth
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.models import User
from insa.security.passwords import hash_password
from insa.security.users import assign, create_user
from insa.web.app import create_app

PASSWORD = "test-password-123"


@dataclass
class World:
    engine: Engine
    cipher: RRNCipher
    agency_a: int
    agency_b: int
    emps_a: list[Employee]
    emps_b: list[Employee]
    admin_totp: str


_hash_once = functools.cache(
    hash_password
)  # argon2 is slow on purpose; hash the test password once


@pytest.fixture
def world(migrated: Engine, cipher: RRNCipher, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr("insa.security.users.hash_password", _hash_once)
    seed(migrated, SeedConfig(employees=400, seed=5), cipher)
    with session_scope(migrated) as db:
        a = db.scalar(select(Agency.id).where(Agency.code == "KNPA"))
        b = db.scalar(select(Agency.id).where(Agency.code == "MSIT"))
        assert a and b
        emps_a = list(
            db.scalars(select(Employee).where(Employee.agency_id == a).order_by(Employee.id))
        )
        emps_b = list(
            db.scalars(select(Employee).where(Employee.agency_id == b).order_by(Employee.id))
        )
        create_user(
            Ctx.command_line(db),
            username="hr-a",
            role="hr_officer",
            password=PASSWORD,
            agency_code="KNPA",
        )
        create_user(
            Ctx.command_line(db),
            username="hr-b",
            role="hr_officer",
            password=PASSWORD,
            agency_code="MSIT",
        )
        create_user(
            Ctx.command_line(db),
            username="fin-a",
            role="finance_officer",
            password=PASSWORD,
            agency_code="KNPA",
        )
        create_user(
            Ctx.command_line(db),
            username="appr-a",
            role="approver",
            password=PASSWORD,
            agency_code="KNPA",
        )
        assign(
            Ctx.command_line(db),
            approver="appr-a",
            employee_nos=[e.employee_no for e in emps_a[:3]],
        )
        create_user(
            Ctx.command_line(db),
            username="emp-a",
            role="employee",
            password=PASSWORD,
            employee_no=emps_a[0].employee_no,
        )
        admin = create_user(
            Ctx.command_line(db), username="admin", role="central_admin", password=PASSWORD
        )
        secret = auth.totp_begin(db, cipher, admin)
        admin.totp_enabled = True
        create_user(Ctx.command_line(db), username="sec", role="security_operator", password=PASSWORD,
                    centre_code="CYBER")  # fmt: skip
        create_user(Ctx.command_line(db), username="ops", role="ops_operator", password=PASSWORD,
                    centre_code="WATCH")  # fmt: skip
    return World(migrated, cipher, a, b, emps_a, emps_b, secret)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url="http://testserver") as c:
        yield c


def account_of(world: World, employee_id: int) -> tuple[str, str, str, str]:
    """(bank code, bank name, whole number, holder) of an employee's salary account."""
    from insa.people import accounts
    from insa.people.models import SalaryAccount

    with world.engine.connect() as conn:
        a = conn.execute(
            select(*SalaryAccount.__table__.c).where(SalaryAccount.employee_id == employee_id)
        ).one()
    number = accounts.unseal(world.cipher, a.number_encrypted).reveal()
    return a.bank_code, accounts.bank_name(a.bank_code), number, a.holder


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(
    client: TestClient, username: str, password: str = PASSWORD, totp: str | None = None
) -> object:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    if r.status_code == 303 and r.headers["location"].startswith("/login/totp") and totp:
        form = client.get(r.headers["location"])
        code = pyotp.TOTP(totp).now()
        r = client.post(
            "/login/totp",
            data={"code": code, "csrf_token": csrf_of(form.text), "next": "/"},
            follow_redirects=False,
        )
    return r


@pytest.fixture
def as_user(client: TestClient, world: World):  # type: ignore[no-untyped-def]
    def _as(username: str) -> TestClient:
        client.cookies.clear()
        if username == "admin":  # a code works once: a test logs in more often than every 30 s
            with world.engine.begin() as conn:
                conn.execute(
                    update(User).where(User.username == "admin").values(totp_last_step=None)
                )
        r = login(client, username, totp=world.admin_totp if username == "admin" else None)
        assert r.status_code == 303 and r.headers["location"] == "/", (
            username,
            r.status_code,
            r.headers.get("location"),
        )  # type: ignore[attr-defined]
        return client

    return _as
