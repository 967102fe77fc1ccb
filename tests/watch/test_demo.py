"""The demo's failure detection: the loopback target's scripted outage (HTTP 503 on the law
search and the law database's port closed, on schedule), ninety days of history written
once, and the demo configuration valid as make demo runs it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from insa.db.engine import session_scope
from insa.watch import demo
from insa.watch.config import load
from insa.watch.models import WatchHourly, WatchIncident, WatchNote
from insa.watch.service import public_status

ROOT = Path(__file__).resolve().parents[2]
ENV = {"INSA_WATCH_BATCH_TOKEN": "demo-batch-token", "INSA_WEB_URL": "http://127.0.0.1:8000",
       "INSA_DEMO_TARGET": "127.0.0.1:8091", "INSA_DEMO_DB": "127.0.0.1:8092"}  # fmt: skip


def test_the_outage_is_on_a_minute_after_the_start_for_three_minutes_then_every_fifteen() -> None:
    on = [t for t in range(0, 1900, 10) if demo.outage(0.0, float(t))]
    assert (
        on[0] == 60 and 230 in on and 240 not in on and 960 in on and 1130 in on and 1140 not in on
    )


def test_the_demo_configuration_is_valid() -> None:
    found = load(ROOT / "examples/watch/demo.yaml", ENV)
    assert found.ok, found.errors
    keys = {m.key for m in found.monitors}
    assert {"법령/법령 DB", "법령/법령 검색"} <= keys
    search = next(m for m in found.monitors if m.key == "법령/법령 검색")
    assert search.depends_on == ("법령/법령 DB",) and {m.ministry for m in found.monitors} >= {
        "MPM",
        "MOLEG",
        "MPVA",
        "NAACC",
        "KDCA",
        "SDIA",
    }


def _free() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_target_scripts_the_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "OUTAGE_AFTER", 1.0)
    monkeypatch.setattr(demo, "OUTAGE_FOR", 1.5)
    port, db_port = _free(), _free()
    loop = asyncio.new_event_loop()
    task = loop.create_task(demo.serve_target("127.0.0.1", port, db_port))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def db_open() -> bool:
        try:
            socket.create_connection(("127.0.0.1", db_port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        time.sleep(0.6)
        assert status("/law-search") == 200 and status("/kdca/report") == 200 and db_open()
        time.sleep(1.4)  # 2.0 s: in the outage
        assert status("/law-search") == 503 and status("/kdca/report") == 200 and not db_open()
        time.sleep(1.6)  # 3.6 s: over
        assert status("/law-search") == 200 and db_open()
    finally:
        loop.call_soon_threadsafe(task.cancel)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def test_history_is_written_once_and_shows_on_the_status_page(migrated: Engine) -> None:
    found = load(ROOT / "examples/watch/demo.yaml", ENV)
    n = demo.seed_history(migrated, found.monitors, days=90)
    checked = [m for m in found.monitors if m.kind != "push"]
    assert n == len(checked) * (90 * 24 - 1)
    assert demo.seed_history(migrated, found.monitors, days=90) == 0  # re-running changes nothing
    with session_scope(migrated) as db:
        assert db.scalar(select(func.count()).select_from(WatchHourly)) == n
        incidents = db.scalar(select(func.count()).select_from(WatchIncident)) or 0
        public = (
            db.scalar(select(func.count()).select_from(WatchNote).where(WatchNote.public.is_(True)))
            or 0
        )
        assert public == 3 * incidents
        page = public_status(db, "MOLEG")
    assert page is not None and [s.name for s in page.services] == ["법령 DB", "법령 검색"]
    days = page.services[0].days
    assert len(days) == 90 and all(p is not None for _, p in days[:-1])
