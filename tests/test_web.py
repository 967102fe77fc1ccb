from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.crypto import RRNCipher
from insa.web.app import create_app


def test_status_page_in_korean(migrated: Engine, cipher: RRNCipher) -> None:
    seed(migrated, SeedConfig(employees=120, seed=2), cipher)
    client = TestClient(create_app())
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="ko">' in r.text and "직원" in r.text and ">120<" in r.text
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/v1/openapi.json").status_code == 200
