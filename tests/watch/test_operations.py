"""What the operators set in the web app reaches a running checker within a second: a
silence keeps a matching monitor from opening an incident (others open); an incident
resolved by hand is told as a resolution and the still-failing monitor counts afresh; an
unacknowledged incident is escalated once and reminded while open; a monitor added in the
web app is checked, and stops being checked when removed."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from insa.db.engine import session_scope
from insa.watch.checker import run
from insa.watch.config import load_text
from insa.watch.incidents import Event
from insa.watch.models import WatchDelivery, WatchIncident, WatchMonitor, WatchResult, WatchSilence
from insa.watch.store import Store

GOOD: set[str] = set()  # paths answering 200 besides /ok… (a test repairs its paths here)


@pytest.fixture
def server() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """/ok… answers 200 (and the paths in GOOD), everything else 500; POSTs (notifications)
    are kept."""
    posted: list[dict[str, Any]] = []
    GOOD.clear()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200 if self.path.startswith("/ok") or self.path in GOOD else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posted.append({"path": self.path, **json.loads(body or b"{}")})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    yield web.server_address[1], posted
    web.shutdown()


def _background(
    config: str, engine: Engine, seconds: float
) -> tuple[threading.Thread, list[Event]]:
    found = load_text(config, "ops.yaml")
    assert found.ok, found.errors
    events: list[Event] = []
    store = Store(engine, {m.key: m.ministry for m in found.monitors})
    t = threading.Thread(
        target=run, args=(found, None, seconds), kwargs={"on_event": events.append, "store": store}
    )
    t.start()
    return t, events


def _until(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_silence_keeps_matching_monitors_from_opening(
    migrated: Engine, server: tuple[int, list[Any]]
) -> None:
    port, _ = server
    now = dt.datetime.now(dt.UTC)
    with session_scope(migrated) as db:
        db.add(WatchSilence(id="s1", kind="silence", matchers=[["group", "=", "공통"]], starts_at=now,
                            ends_at=now + dt.timedelta(hours=1), comment="작업", created_by="t", created_at=now))  # fmt: skip
    config = f"""
endpoints:
  - {{name: a, group: 공통, url: "http://127.0.0.1:{port}/bad", interval: 100ms, conditions: ["[STATUS] == 200"], failure-threshold: 2}}
  - {{name: b, url: "http://127.0.0.1:{port}/bad", interval: 100ms, conditions: ["[STATUS] == 200"], failure-threshold: 2}}
"""
    t, events = _background(config, migrated, 1.5)
    t.join(10)
    assert [(e.monitor, e.event) for e in events] == [("b", "open")]


def test_an_incident_resolved_by_hand_is_told_and_counted_afresh(
    migrated: Engine, server: tuple[int, list[Any]]
) -> None:
    port, _ = server
    config = f"""
endpoints:
  - {{name: a, url: "http://127.0.0.1:{port}/bad", interval: 100ms, conditions: ["[STATUS] == 200"], failure-threshold: 3}}
"""
    t, events = _background(config, migrated, 4.0)
    assert _until(lambda: any(e.event == "open" for e in events))
    first = events[0].incident
    with session_scope(migrated) as db:
        db.execute(update(WatchIncident).where(WatchIncident.id == first)
                   .values(resolved_at=dt.datetime.now(dt.UTC), resolved_by="운영자"))  # fmt: skip
    assert _until(lambda: len(events) >= 3)
    t.join(10)
    assert [e.event for e in events[:3]] == ["open", "resolve", "open"]
    assert events[1].incident == first and "운영자" in events[1].cause
    assert events[2].incident != first
    with session_scope(migrated) as db:
        assert db.get(WatchIncident, first).resolved_by == "운영자"  # type: ignore[union-attr]


def test_unacknowledged_incidents_escalate_once_and_remind_while_open(
    migrated: Engine, server: tuple[int, list[Any]]
) -> None:
    port, posted = server
    config = f"""
alerting:
  custom: {{url: "http://127.0.0.1:{port}/oncall"}}
  ntfy: {{url: "http://127.0.0.1:{port}", topic: lead}}
endpoints:
  - name: a
    url: "http://127.0.0.1:{port}/bad"
    interval: 100ms
    conditions: ["[STATUS] == 200"]
    alerts: [{{type: custom, failure-threshold: 2, minimum-reminder-interval: 1s, escalate-after: 1s, escalate-to: ntfy}}]
  - name: b
    url: "http://127.0.0.1:{port}/bad?b"
    interval: 100ms
    conditions: ["[STATUS] == 200"]
    alerts: [{{type: custom, failure-threshold: 2, escalate-after: 1s, escalate-to: ntfy}}]
"""
    found = load_text(config, "ops.yaml")
    assert found.ok, found.errors
    t, events = _background(config, migrated, 5.0)  # room for two reminders on a loaded machine

    def ack_b() -> bool:
        with session_scope(migrated) as db:
            inc = db.scalar(select(WatchIncident).where(WatchIncident.monitor == "b"))
            if inc is None:
                return False
            inc.acknowledged_at, inc.acknowledged_by = dt.datetime.now(dt.UTC), "운영자"
            return True

    assert _until(ack_b)
    t.join(10)
    with session_scope(migrated) as db:
        rows = {
            (d.monitor, d.event, d.provider): d.delivered_at is not None
            for d in db.scalars(select(WatchDelivery))
        }
    assert rows[("a", "open", "custom")] and rows[("a", "escalate", "ntfy")]
    assert ("b", "escalate", "ntfy") not in rows  # acknowledged in time
    reminders = sorted(e for m, e, _ in rows if m == "a" and e.startswith("remind-"))
    # one a second at most while open: two at least in the run, numbered in turn
    assert 2 <= len(reminders) <= 5 and reminders == [
        f"remind-{i}" for i in range(1, len(reminders) + 1)
    ]
    assert sum(1 for p in posted if p["path"] != "/oncall") == 1  # the second target: once


def test_a_monitor_added_in_the_web_app_is_checked_until_removed(
    migrated: Engine, server: tuple[int, list[Any]]
) -> None:
    port, _ = server
    config = f"""
endpoints:
  - {{name: file, url: "http://127.0.0.1:{port}/ok", interval: 200ms, conditions: ["[STATUS] == 200"]}}
"""
    t, events = _background(config, migrated, 7.0)
    assert _until(lambda: _count(migrated, "file") > 0)
    now = dt.datetime.now(dt.UTC)
    with session_scope(migrated) as db:
        db.add(WatchMonitor(key="웹/added", name="added", group="웹", kind="http", target="", interval_ms=100,
                            source="web", active=True, state="unknown", updated_at=now,
                            definition={"name": "added", "group": "웹", "url": f"http://127.0.0.1:{port}/bad",
                                        "interval": "100ms", "conditions": ["[STATUS] == 200"],
                                        "depends-on": ["file"], "failure-threshold": 2}))  # fmt: skip
    assert _until(lambda: any(e.monitor == "웹/added" and e.event == "open" for e in events), 4)
    with session_scope(migrated) as db:
        db.execute(update(WatchMonitor).where(WatchMonitor.key == "웹/added")
                   .values(active=False, updated_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    assert _until(lambda: any(e.monitor == "웹/added" and e.event == "resolve" for e in events), 3)
    time.sleep(1.3)  # results are stored each second
    n = _count(migrated, "웹/added")
    time.sleep(1.2)
    assert _count(migrated, "웹/added") == n  # no longer checked
    t.join(10)


def _count(engine: Engine, key: str) -> int:
    with session_scope(engine) as db:
        return int(
            db.scalar(
                select(func.count()).select_from(WatchResult).where(WatchResult.monitor == key)
            )
            or 0
        )


def test_the_checker_metrics_count_checks_and_time_them() -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from insa.watch.metrics import CheckerMetrics
    from insa.watch.schemas import Monitor, Where

    gauges = CheckerMetrics()
    m = Monitor("인사 민원", "http", Where("a.yaml", 1), group="민원", ministry="MPM")
    for ok, ms in ((True, 40), (True, 60), (False, 3000)):
        gauges.observe(m, ok, ms)
    fams = {
        f.name: f for f in text_string_to_metric_families(generate_latest(gauges.registry).decode())
    }
    checks = {
        s.labels["result"]: s.value
        for s in fams["insa_watch_checks"].samples
        if s.name.endswith("_total")
    }
    assert checks == {"success": 2.0, "failure": 1.0}
    assert [s.value for s in fams["insa_watch_up"].samples] == [0.0]
    count = [
        s.value
        for s in fams["insa_watch_check_duration_seconds"].samples
        if s.name.endswith("_count")
    ]
    under = [
        s.value
        for s in fams["insa_watch_check_duration_seconds"].samples
        if s.labels.get("le") == "0.05"
    ]
    assert count == [3.0] and under == [1.0]


def test_a_dependency_incident_keeps_the_record_of_its_dependents(
    migrated: Engine, server: tuple[int, list[Any]]
) -> None:
    """The shared database fails under two services: one incident, both listed on it (a
    timeline entry says so); a service recovering before the database stays on its record."""
    from insa.watch.models import WatchNote

    port, _ = server
    every = 'interval: 100ms, conditions: ["[STATUS] == 200"], failure-threshold: 2, success-threshold: 2'
    config = f"""
endpoints:
  - {{name: db, url: "http://127.0.0.1:{port}/db", {every}}}
  - {{name: svc1, url: "http://127.0.0.1:{port}/svc1", depends-on: [db], {every}}}
  - {{name: svc2, url: "http://127.0.0.1:{port}/svc2", depends-on: [db], {every}}}
"""
    t, events = _background(config, migrated, 4.0)

    def listed() -> list[str]:
        with session_scope(migrated) as db:
            inc = db.scalar(select(WatchIncident).where(WatchIncident.monitor == "db"))
            return sorted(inc.affected) if inc is not None else []

    assert _until(lambda: listed() == ["svc1", "svc2"])
    GOOD.add("/svc1")  # one service recovers first
    time.sleep(0.6)
    GOOD.update(("/db", "/svc2"))
    assert _until(lambda: any(e.event == "resolve" for e in events))
    t.join(10)
    assert [(e.monitor, e.event) for e in events] == [("db", "open"), ("db", "resolve")]
    assert listed() == ["svc1", "svc2"]  # the record keeps both
    with session_scope(migrated) as db:
        texts = [n.text for n in db.scalars(select(WatchNote).where(WatchNote.kind == "listed"))]
    assert sorted(", ".join(texts).split(", ")) == ["svc1", "svc2"]
