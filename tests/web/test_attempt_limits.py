"""Attempt limits replayed as the attack was: bursts of concurrent log-ins against a served app
(uvicorn on 127.0.0.1, its thread pool running them in parallel), on SQLite and PostgreSQL;
TOTP codes guessed and replayed."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from insa.db.engine import session_scope
from insa.security import auth, throttle
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.models import AuditLog, User
from insa.security.users import create_user
from insa.web.app import create_app

from ..conftest import serve
from .conftest import PASSWORD, World, csrf_of, login

BURST = 40


@pytest.fixture
def served(migrated: Engine) -> Iterator[str]:
    with session_scope(migrated) as db:
        create_user(Ctx.command_line(db), username="target", role="hr_officer", password=PASSWORD,
                    agency_code="MPM")  # fmt: skip
    with serve(create_app()) as url:
        yield url


def _prepared(url: str, n: int) -> list[tuple[httpx.Client, str]]:
    """``n`` clients, each with the log-in page's CSRF cookie and token (fetched first, so
    the burst itself is only the posts)."""
    out = []
    for _ in range(n):
        c = httpx.Client(base_url=url, timeout=60)
        out.append((c, csrf_of(c.get("/login").text)))
    return out


def _burst(url: str, passwords: list[str], username: str = "target") -> list[int]:
    """Post every password at once (a barrier releases the threads together)."""
    clients = _prepared(url, len(passwords))
    gate = threading.Barrier(len(passwords))

    def one(i: int) -> int:
        c, token = clients[i]
        gate.wait(timeout=30)
        r = c.post("/login", data={"username": username, "password": passwords[i],
                                   "csrf_token": token})  # fmt: skip
        c.close()
        return r.status_code

    with ThreadPoolExecutor(len(passwords)) as pool:
        return list(pool.map(one, range(len(passwords))))


def _checked(engine: Engine) -> int:
    """How many passwords of the target were actually checked (one audit entry each)."""
    with engine.connect() as conn:
        return len(conn.scalars(select(AuditLog.id).where(
            AuditLog.actor == "target", AuditLog.action.in_(("auth.login_failed", "auth.login"))
        )).all())  # fmt: skip


def test_a_burst_of_wrong_passwords_checks_at_most_the_limit(migrated: Engine, served: str) -> None:
    codes = _burst(served, [f"wrong-{i}-password" for i in range(BURST)])
    assert codes.count(401) == throttle.LOCK_AFTER - 1  # the fifth locks and says so: 429
    assert codes.count(429) == BURST - throttle.LOCK_AFTER + 1
    assert _checked(migrated) == throttle.LOCK_AFTER
    with migrated.connect() as conn:
        failed, locked = conn.execute(
            select(User.failed_logins, User.locked_until).where(User.username == "target")
        ).one()
    assert failed == throttle.LOCK_AFTER and locked is not None
    # more bursts: not one more password is checked while the account is locked
    for _ in range(2):
        assert set(_burst(served, [f"more-{i}" for i in range(BURST)])) == {429}
    assert _checked(migrated) == throttle.LOCK_AFTER


def test_the_right_password_after_a_burst_of_wrong_ones_is_refused(
    migrated: Engine, served: str
) -> None:
    wrong = threading.Thread(target=_burst, args=(served, [f"w{i}-xxxxxxxx" for i in range(39)]))
    wrong.start()
    deadline = time.monotonic() + 30
    while _checked(migrated) < throttle.LOCK_AFTER and time.monotonic() < deadline:
        time.sleep(0.05)
    (c, token), = _prepared(served, 1)  # fmt: skip
    r = c.post("/login", data={"username": "target", "password": PASSWORD, "csrf_token": token})
    wrong.join(60)
    assert r.status_code == 429 and "잠겼습니다" in r.text
    assert _checked(migrated) == throttle.LOCK_AFTER


def test_an_address_spraying_many_accounts_is_refused(
    migrated: Engine, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "ADDRESS_LIMIT", 12)
    names = [f"nobody{i}" for i in range(BURST)]
    clients = _prepared(served, BURST)
    gate = threading.Barrier(BURST)

    def one(i: int) -> int:
        c, token = clients[i]
        gate.wait(timeout=30)
        return c.post("/login", data={"username": names[i], "password": "guess-123456",
                                      "csrf_token": token}).status_code  # fmt: skip

    with ThreadPoolExecutor(BURST) as pool:
        codes = list(pool.map(one, range(BURST)))
    assert codes.count(401) == 12 and codes.count(429) == BURST - 12
    page = clients[0][0].get("/login")
    r = clients[0][0].post("/login", data={"username": "target", "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert r.status_code == 429 and "이 주소에서" in r.text  # even a real account, for now


# ------------------------------------------------------------------ TOTP


def _pending_admin(client: TestClient, world: World) -> None:
    client.cookies.clear()
    r = login(client, "admin")  # the password step; the code is asked next
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")


def _code(client: TestClient, code: str) -> httpx.Response:
    page = client.get("/login/totp")
    return client.post("/login/totp", data={"code": code, "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)  # fmt: skip


def test_wrong_codes_lock_like_passwords(client: TestClient, world: World) -> None:
    _pending_admin(client, world)
    now = pyotp.TOTP(world.admin_totp).now()
    wrong = f"{(int(now) + 1) % 1_000_000:06d}"
    for _ in range(throttle.LOCK_AFTER - 1):
        assert _code(client, wrong).status_code == 401
    r = _code(client, wrong)
    assert r.status_code == 429 and "잠겼습니다" in r.text  # and the pending log-in ended
    assert client.get("/login/totp", follow_redirects=False).status_code in (303, 401)
    # the right code cannot open it now, nor can the password start again
    assert login(client, "admin").status_code == 429
    with session_scope(world.engine) as db:
        user = db.scalar(select(User).where(User.username == "admin"))
        assert user is not None and user.totp_failures == throttle.LOCK_AFTER
        actions = db.scalars(select(AuditLog.action).where(AuditLog.actor == "admin")).all()
    assert actions.count("auth.totp_failed") == throttle.LOCK_AFTER


def test_a_code_works_once(client: TestClient, world: World, cipher: RRNCipher) -> None:
    _pending_admin(client, world)
    code = pyotp.TOTP(world.admin_totp).now()
    assert _code(client, code).status_code == 303
    other = TestClient(client.app)
    _pending_admin(other, world)  # a second session, the same code
    r = _code(other, code)
    assert r.status_code == 401 and "이미 사용한 인증 코드" in r.text
    with session_scope(world.engine) as db:
        actions = db.scalars(select(AuditLog.action).where(AuditLog.actor == "admin")).all()
        user = db.scalar(select(User).where(User.username == "admin"))
        assert user is not None
        # an older code than the one used is refused too; the next one works
        step = pyotp.TOTP(world.admin_totp).timecode(auth.now())
        older = pyotp.TOTP(world.admin_totp).generate_otp(step - 1)
        assert auth.totp_step(cipher, user, older) == step - 1
    assert "auth.totp_replayed" in actions
    assert _code(other, older).status_code == 401
    assert re.fullmatch(r"\d{6}", code)
