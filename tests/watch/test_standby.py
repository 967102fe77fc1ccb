"""Two `insa watch run` processes on one PostgreSQL database: one checks, the other stands
by; when the active one is killed with SIGKILL the other takes over within two intervals of
the shortest monitor, with no incident duplicated or lost. SQLite refuses a second checker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from insa.watch.models import WatchIncident, WatchResult

INTERVAL = 0.3


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated PostgreSQL schema of its own (this test is about PostgreSQL only)."""
    from insa.db.migrate import upgrade
    from insa.settings import reset_settings
    from tests.conftest import _pg_schema_engine

    gen = _pg_schema_engine()
    engine, url = next(gen)
    monkeypatch.setenv("INSA_DATABASE_URL", url)
    reset_settings()
    upgrade(engine)
    try:
        yield engine
    finally:
        gen.close()


@pytest.fixture
def lite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite database (this test is about SQLite only)."""
    from insa.db.engine import make_engine
    from insa.db.migrate import upgrade
    from insa.settings import reset_settings

    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    monkeypatch.setenv("INSA_DATABASE_URL", url)
    reset_settings()
    upgrade(engine)
    yield engine
    engine.dispose()


def _start(config: Path, events: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "insa.cli", "watch", "run", str(config),
                             "--events-out", str(events)], env=os.environ.copy(),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip


def _wait(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _events(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_the_standby_takes_over_after_sigkill(pg: Engine, tmp_path: Path) -> None:
    migrated = pg
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens yet: the service is down
    config = tmp_path / "c.yaml"
    config.write_text(f'endpoints:\n  - {{name: svc, url: "tcp://127.0.0.1:{port}", interval: {int(INTERVAL * 1000)}ms, '
                      f'failure-threshold: 1, success-threshold: 1, conditions: ["[CONNECTED] == true"]}}\n')  # fmt: skip
    events = tmp_path / "events.jsonl"
    active = _start(config, events, tmp_path / "a.log")
    standby = None
    try:
        assert _wait(lambda: len(_events(events)) == 1, 20), (tmp_path / "a.log").read_text()
        standby = _start(config, events, tmp_path / "b.log")
        assert _wait(lambda: "standing by" in (tmp_path / "b.log").read_text(), 20)
        time.sleep(3 * INTERVAL)
        assert len(_events(events)) == 1  # the standby checks nothing while the active runs
        active.kill()  # SIGKILL
        active.wait(10)
        killed = time.monotonic()
        with migrated.connect() as conn:
            before = conn.scalar(select(func.count()).select_from(WatchResult)) or 0
        listener = socket.socket()  # the service comes back
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        threading.Thread(target=lambda: [listener.accept()[0].close() for _ in iter(int, 1)],
                         daemon=True).start()  # fmt: skip
        assert _wait(lambda: len(_events(events)) == 2, 20), (tmp_path / "b.log").read_text()
        took = time.monotonic() - killed
        got = _events(events)
        assert [e["event"] for e in got] == ["open", "resolve"]
        assert got[0]["incident"] == got[1]["incident"]  # carried on: not duplicated, not lost
        # within two intervals of the shortest monitor, plus its first check's jitter and the
        # time to connect and start (the check itself resolves on the first good answer)
        assert took < 2 * INTERVAL + 2.5, took

        def stored() -> int:
            with migrated.connect() as conn:
                return conn.scalar(select(func.count()).select_from(WatchResult)) or 0

        assert _wait(lambda: stored() > before, 10)  # the standby's results, batched each second
        with migrated.connect() as conn:
            rows = conn.execute(select(WatchIncident.id, WatchIncident.resolved_at)).all()
        assert len(rows) == 1 and rows[0][1] is not None
        listener.close()
    finally:
        for proc in (active, standby):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_sqlite_refuses_a_second_checker(lite: Engine, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text('endpoints:\n  - {name: svc, url: "tcp://127.0.0.1:9", interval: 1s, '
                      'conditions: ["[CONNECTED] == true"]}\n')  # fmt: skip
    first = _start(config, tmp_path / "e.jsonl", tmp_path / "a.log")
    try:
        assert _wait(lambda: "시작합니다" in (tmp_path / "a.log").read_text(), 20)
        second = subprocess.run([sys.executable, "-m", "insa.cli", "watch", "run", str(config), "--duration", "2"],
                                env=os.environ.copy(), capture_output=True, timeout=60)  # fmt: skip
        assert second.returncode == 1
        assert "점검기 하나만" in second.stderr.decode() + second.stdout.decode()
    finally:
        first.kill()
        first.wait(10)
