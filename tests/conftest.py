"""Shared fixtures. Database tests run on SQLite and on PostgreSQL (127.0.0.1:5432, db `test`).

PostgreSQL is never skipped: an unreachable server fails the tests that need it. Each test
gets its own schema, so tests can run in parallel and leave nothing behind.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

import insa.domains  # noqa: F401  (the registry: every package's permissions)
from insa.db.engine import dispose_engines, make_engine
from insa.people.service import forget_kept_lists
from insa.security.crypto import RRNCipher
from insa.settings import reset_settings

DATA_KEY = base64.urlsafe_b64encode(b"D" * 32).decode()
PSEUDONYM_KEY_RAW = b"insa-test-pseudonym-key-32-bytes!!"
PSEUDONYM_KEY = base64.urlsafe_b64encode(PSEUDONYM_KEY_RAW).decode()
PG_ADMIN_URL = os.environ.get(
    "INSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for k in list(os.environ):
        if k.startswith("INSA_") and k != "INSA_TEST_PG_URL":
            monkeypatch.delenv(k)
    monkeypatch.setenv("INSA_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("INSA_PSEUDONYM_KEY", PSEUDONYM_KEY)
    monkeypatch.setenv("INSA_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    forget_kept_lists()  # each test builds its own units, often under the same database URL
    yield
    dispose_engines()
    reset_settings()


@pytest.fixture
def cipher() -> RRNCipher:
    return RRNCipher(base64.urlsafe_b64decode(DATA_KEY), PSEUDONYM_KEY_RAW)


def _pg_schema_engine() -> Iterator[tuple[Engine, str]]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An empty database of each kind; INSA_DATABASE_URL points at it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'insa.db'}"
        engine = make_engine(url)
        monkeypatch.setenv("INSA_DATABASE_URL", url)
        reset_settings()
        yield engine
        engine.dispose()
    else:
        gen = _pg_schema_engine()
        engine, url = next(gen)
        monkeypatch.setenv("INSA_DATABASE_URL", url)
        reset_settings()
        try:
            yield engine
        finally:
            gen.close()


@pytest.fixture
def migrated(db: Engine) -> Iterator[Engine]:
    """A migrated database; after the test, its audit log is scanned: not one text in it may
    be shaped like a resident number, whatever the test did."""
    from insa.db.migrate import upgrade
    from insa.domains import sync_reference_data

    upgrade(db)
    with db.begin() as conn:
        sync_reference_data(conn)
    yield db
    _scan_audit_log(db)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _scan_audit_log(engine: Engine) -> None:
    import json

    from sqlalchemy import inspect

    from insa.security.logs import RRN_SHAPE

    if not inspect(engine).has_table("audit_log"):
        return  # the test took the schema down
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, actor, target_id, detail FROM audit_log")).all()
    for row_id, actor, target, detail in rows:
        found = json.loads(detail) if isinstance(detail, str) else detail
        for value in (actor, target, *_strings(found)):
            assert not (value and RRN_SHAPE.search(value)), f"audit entry {row_id}: RRN-shaped"


@contextmanager
def serve(app: Any, **config: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free 127.0.0.1 port (bounded start-up);
    ``config``: more of uvicorn's settings (``log_config=…``)."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings: dict[str, Any] = {"log_level": "warning", **config}
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **settings))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
