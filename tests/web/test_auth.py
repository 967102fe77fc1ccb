"""Log-in, sessions, lock-out, CSRF, TOTP and API tokens."""

from __future__ import annotations

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.models import AuditLog, User, WebSession
from insa.security.users import set_password
from insa.web.app import create_app

from .conftest import PASSWORD, World, csrf_of, login


def test_login_sets_a_hardened_session_cookie(client: TestClient) -> None:
    r = login(client, "hr-a")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "insa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests
    assert client.get("/").status_code == 200


def test_cookie_is_secure_behind_https(world: World) -> None:
    with TestClient(create_app(), base_url="https://testserver") as c:
        r = login(c, "hr-a")
        assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_is_one_plain_message(client: TestClient) -> None:
    r = login(client, "hr-a", "nope-nope-nope")
    assert r.status_code == 401 and "아이디 또는 비밀번호가 맞지 않습니다" in r.text
    r = login(client, "nobody", "nope-nope-nope")
    assert r.status_code == 401 and "아이디 또는 비밀번호가 맞지 않습니다" in r.text


def test_lock_out_after_repeated_failures_and_unlock(client: TestClient, world: World) -> None:
    for _ in range(4):
        assert login(client, "hr-a", "wrong-password-1").status_code == 401
    r = login(client, "hr-a", "wrong-password-1")  # the fifth locks, and says so
    assert r.status_code == 429 and "잠겼습니다" in r.text
    r = login(client, "hr-a")  # even the right password is refused while locked
    assert r.status_code == 429 and "잠겼습니다" in r.text
    with session_scope(world.engine) as db:
        user = db.scalar(select(User).where(User.username == "hr-a"))
        assert user is not None and user.locked_until is not None and user.failed_logins == 5
        actions = db.scalars(select(AuditLog.action).where(AuditLog.actor == "hr-a")).all()
        assert actions.count("auth.login_failed") == 5 and "auth.login_locked" in actions
        set_password(Ctx.command_line(db), username="hr-a", password=PASSWORD)
    assert login(client, "hr-a").status_code == 303


def test_csrf_is_required_on_every_state_change(client: TestClient) -> None:
    page = client.get("/login")
    r = client.post(
        "/login", data={"username": "hr-a", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403 and "보안 토큰" in r.text
    client.cookies.clear()
    r = client.post(
        "/login", data={"username": "hr-a", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 403  # token without its cookie
    login(client, "hr-a")
    home = client.get("/")
    assert client.post("/logout", data={}).status_code == 403
    assert (
        client.post("/account/tokens", data={"name": "x", "csrf_token": "bad"}).status_code == 403
    )
    r = client.post(
        "/account/tokens", data={"name": "x"}, headers={"X-CSRF-Token": csrf_of(home.text)}
    )
    assert r.status_code == 200 and "새 토큰" in r.text  # the HTMX header form works too
    r = client.post("/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_pages_redirect_to_login_and_api_says_401(client: TestClient) -> None:
    r = client.get("/employees?q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/employees%3Fq%3Dx"
    r = client.get("/api/v1/employees")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_central_admin_must_pass_totp(client: TestClient, world: World) -> None:
    r = login(client, "admin")
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login/totp")
    assert client.get("/api/v1/me").status_code == 401
    form = client.get("/login/totp")
    r = client.post("/login/totp", data={"code": "000000", "csrf_token": csrf_of(form.text)})
    assert r.status_code == 401 and "인증 코드가 맞지 않습니다" in r.text
    r = client.post(
        "/login/totp",
        data={
            "code": pyotp.TOTP(world.admin_totp).now(),
            "csrf_token": csrf_of(form.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and client.get("/").status_code == 200


def test_central_admin_without_totp_enrols_first(client: TestClient, world: World) -> None:
    from insa.security.users import create_user

    with session_scope(world.engine) as db:
        create_user(
            Ctx.command_line(db), username="admin2", role="central_admin", password=PASSWORD
        )
    r = login(client, "admin2")
    assert r.headers["location"].startswith("/login/totp/setup")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "<svg" in page.text
    secret = page.text.split('class="secret">')[1].split("<")[0]
    r = client.post(
        "/login/totp/setup",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and client.get("/").status_code == 200
    with session_scope(world.engine) as db:
        user = db.scalar(select(User).where(User.username == "admin2"))
        assert (
            user is not None
            and user.totp_enabled
            and secret.encode() not in (user.totp_secret_encrypted or b"")
        )


def test_api_tokens_are_hashed_usable_and_revocable(client: TestClient, world: World) -> None:
    login(client, "hr-a")
    page = client.get("/account")
    r = client.post("/account/tokens", data={"name": "연계", "csrf_token": csrf_of(page.text)})
    token = r.text.split('<code class="secret">')[1].split("<")[0]
    assert token.startswith("insa_")
    api = TestClient(create_app())
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "hr_officer"
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer insa_forged"}).status_code == 401
    with session_scope(world.engine) as db:
        from insa.security.models import ApiToken

        row = db.scalar(select(ApiToken).where(ApiToken.name == "연계"))
        assert row is not None and token not in row.token_hash and row.last_used_at is not None
        token_id = row.id
    r = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_sessions_are_server_side_and_end_at_logout(client: TestClient, world: World) -> None:
    login(client, "hr-a")
    token = client.cookies.get("insa_session")
    with session_scope(world.engine) as db:
        assert db.scalar(select(WebSession.id)) is not None
        assert (
            db.scalar(select(WebSession).where(WebSession.id == token)) is None
        )  # only the digest is stored
    home = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    with session_scope(world.engine) as db:
        assert db.scalar(select(WebSession.id)) is None


def test_a_user_changes_their_own_password(client, world) -> None:  # type: ignore[no-untyped-def]
    assert login(client, "hr-a").status_code == 303
    page = client.get("/account")
    assert "비밀번호 바꾸기" in page.text and "API 토큰 (다른 프로그램에서 접속할 때)" in page.text
    token = csrf_of(page.text)
    new = "a-new-password-2026"
    wrong = client.post(
        "/account/password",
        data={"csrf_token": token, "current": "nope", "new": new, "confirm": new},
    )
    assert wrong.status_code == 422 and "현재 비밀번호가 맞지 않습니다" in wrong.text
    weak = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": "short", "confirm": "short"},
    )
    assert weak.status_code == 422 and "10자 이상" in weak.text
    differ = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new + "x"},
    )
    assert differ.status_code == 422 and "서로 다릅니다" in differ.text
    ok = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new},
    )
    assert ok.status_code == 200 and "비밀번호를 바꿨습니다" in ok.text  # still logged in here
    client.cookies.clear()
    assert login(client, "hr-a").status_code == 401  # the old one no longer works
    assert login(client, "hr-a", password=new).status_code == 303
