"""The monitors' configuration checked on the centre operators' page and over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.db.engine import session_scope
from insa.security import auth
from insa.security.models import User

from .conftest import World, csrf_of

CONFIG = """\
storage:
  type: sqlite
endpoints:
  - name: 인사혁신처
    url: https://www.mpm.go.kr/
    conditions: ["[STATUS] == 200"]
  - name: 옛 서버
    url: sctp://10.0.0.9:9000
    conditions: ["[CONNECTED] == true"]
"""


def test_the_operator_checks_a_configuration_on_the_page(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("ops")
    page = client.get("/watch/validate")
    assert page.status_code == 200 and "점검 설정 검사" in page.text
    r = client.post("/watch/validate", data={"text": CONFIG, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 200
    assert "오류 1건" in r.text and "8행" in r.text and "sctp://" in r.text
    assert "1행" in r.text and "storage" in r.text  # ignored, said so
    assert "점검 1개" in r.text


def test_only_the_centre_and_central_administrators_may(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("hr-a")
    assert client.get("/watch/validate").status_code == 403


def test_the_api_answers_with_file_and_line(client: TestClient, world: World) -> None:
    with session_scope(world.engine) as db:
        ops = db.scalar(select(User).where(User.username == "ops"))
        assert ops is not None
        token = auth.create_api_token(db, ops, "ci")
    r = client.post("/api/v1/watch/validate", content=CONFIG.encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"})  # fmt: skip
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["kinds"] == {"http": 1}
    errors = [p for p in body["problems"] if p["severity"] == "error"]
    assert [(p["file"], p["line"]) for p in errors] == [("config.yaml", 8)]
    unauth = client.post("/api/v1/watch/validate", content=CONFIG.encode())
    assert unauth.status_code == 401
