"""The checker against loopback servers with scripted faults (harness): each fault opens an
incident within failure-threshold × interval + timeout, each repair resolves it within
success-threshold × interval, one event each, a lone failed check opens nothing, and a shared
dependency's outage is one incident with its dependents listed."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from insa.cli import app
from insa.watch.checker import run
from insa.watch.config import load
from insa.watch.models import WatchIncident, WatchResult

INTERVAL = 0.2  # seconds: every monitor here checks five times a second


class Script:
    """What each path answers, by the time since the harness started."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.hits: dict[str, int] = {}
        self.db_down = threading.Event()

    def t(self) -> float:
        return time.monotonic() - self.t0

    def answer(self, path: str) -> tuple[int, bytes, float]:
        n = self.hits[path] = self.hits.get(path, 0) + 1
        t = self.t()
        if path == "/ok":
            return 200, b"ok", 0
        if path == "/blip":  # one bad answer among good ones
            return (500 if n == 4 else 200), b"", 0
        if path == "/5xx":  # down from 1.0 s to 2.2 s
            return (500 if 1.0 <= t < 2.2 else 200), b"", 0
        if path == "/slow":
            return 200, b"", 0.3
        if path == "/keyword":
            return 200, "<html>점검 중입니다</html>".encode(), 0
        if path == "/json":
            return 200, b'{"status": "DOWN"}', 0
        if path.startswith("/svc"):
            return (503 if self.db_down.is_set() else 200), b"", 0
        return 404, b"", 0


@pytest.fixture
def harness() -> Iterator[tuple[Script, int, int, int]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, body, delay = script.answer(self.path)
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    db = socket.socket()
    db.bind(("127.0.0.1", 0))
    db.listen(64)
    db_port = db.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:  # the "database": accepts until it goes down, then refuses
        db.settimeout(0.05)
        while not stop.is_set() and not script.db_down.is_set():
            try:
                conn, _ = db.accept()
                conn.close()
            except OSError:
                continue
        db.close()

    threading.Thread(target=accept, daemon=True).start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    try:
        yield script, web.server_address[1], db_port, closed_port
    finally:
        stop.set()
        web.shutdown()
        db.close()


def _config(tmp_path: Path, port: int, db_port: int, closed_port: int) -> Path:
    every = f"interval: {int(INTERVAL * 1000)}ms"
    base = f"http://127.0.0.1:{port}"
    text = f"""
        endpoints:
          - {{name: ok, url: "{base}/ok", {every}, conditions: ["[STATUS] == 200"], failure-threshold: 2}}
          - {{name: blip, url: "{base}/blip", {every}, conditions: ["[STATUS] == 200"], failure-threshold: 2}}
          - {{name: 5xx, url: "{base}/5xx", {every}, conditions: ["[STATUS] == 200"], failure-threshold: 2, success-threshold: 2}}
          - {{name: slow, url: "{base}/slow", {every}, conditions: ["[RESPONSE_TIME] < 150"], failure-threshold: 2}}
          - {{name: keyword, url: "{base}/keyword", {every}, conditions: ["[BODY] == pat(*정상*)"], failure-threshold: 2}}
          - {{name: json, url: "{base}/json", {every}, conditions: ["[BODY].status == UP"], failure-threshold: 2}}
          - {{name: refused, url: "http://127.0.0.1:{closed_port}/", {every}, conditions: ["[STATUS] == 200"], failure-threshold: 2}}
          - {{name: port, url: "tcp://127.0.0.1:{closed_port}", {every}, conditions: ["[CONNECTED] == true"], failure-threshold: 2}}
          - {{name: db, url: "tcp://127.0.0.1:{db_port}", {every}, conditions: ["[CONNECTED] == true"], failure-threshold: 2}}
          - {{name: svc1, url: "{base}/svc1", {every}, depends-on: [db], conditions: ["[STATUS] == 200"], failure-threshold: 2}}
          - {{name: svc2, url: "{base}/svc2", {every}, depends-on: [db], conditions: ["[STATUS] == 200"], failure-threshold: 2}}
          - {{name: svc3, url: "{base}/svc3", {every}, depends-on: [db], conditions: ["[STATUS] == 200"], failure-threshold: 2}}
        """
    path = tmp_path / "monitors.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_harness_faults_open_and_resolve_once_each(
    tmp_path: Path, harness: tuple[Script, int, int, int]
) -> None:
    script, port, db_port, closed_port = harness
    config = load(_config(tmp_path, port, db_port, closed_port), {})
    assert config.ok, [str(p) for p in config.errors]
    out = tmp_path / "events.jsonl"

    def outage() -> None:  # the shared database goes down at 1.0 s (its services with it)
        time.sleep(max(0.0, 1.0 - script.t()))
        script.db_down.set()

    threading.Thread(target=outage, daemon=True).start()
    run(config, out, 3.6)
    events = _events(out)
    by = {(e["monitor"], e["event"]) for e in events}
    for fault in ("slow", "keyword", "json", "refused", "port", "db"):
        assert (fault, "open") in by, (fault, events)
    assert ("5xx", "open") in by and ("5xx", "resolve") in by
    for quiet in ("ok", "blip", "svc1", "svc2", "svc3"):
        assert not any(e["monitor"] == quiet for e in events), (quiet, events)
    assert len(events) == len(
        {(e["monitor"], e["event"], e["incident"]) for e in events}
    )  # once each
    opened = {e["monitor"]: e for e in events if e["event"] == "open"}
    # within failure-threshold × interval + timeout of the fault (5xx: from 1.0 s)
    assert all(e["time"].endswith("+09:00") for e in events)
    five = [e for e in events if e["monitor"] == "5xx"]
    assert [e["event"] for e in five] == ["open", "resolve"] and five[0]["incident"] == five[1][
        "incident"
    ]
    assert "[STATUS] (500) == 200" in opened["5xx"]["cause"]
    assert "[RESPONSE_TIME]" in opened["slow"]["cause"]


def test_watch_run_command_writes_the_events_file_and_the_database(
    tmp_path: Path, harness: tuple[Script, int, int, int], migrated: Engine
) -> None:
    """Run twice on one database with the fault still there: the second run carries on with
    the incident the first opened (no duplicate); repaired, the same incident resolves."""
    _script, _port, db_port, closed_port = harness
    path = tmp_path / "one.yaml"

    def write(port: int) -> None:
        path.write_text(f'endpoints:\n  - {{name: gone, ministry: MPM, url: "tcp://127.0.0.1:{port}", '
                        f'interval: 200ms, failure-threshold: 1, success-threshold: 1, '
                        f'conditions: ["[CONNECTED] == true"]}}\n', encoding="utf-8")  # fmt: skip

    out = tmp_path / "events.jsonl"
    runner = CliRunner()
    write(closed_port)
    for _ in range(2):
        result = runner.invoke(
            app, ["watch", "run", str(path), "--events-out", str(out), "--duration", "1"]
        )
        assert result.exit_code == 0, result.output
    events = _events(out)
    assert [e["event"] for e in events] == ["open"] and events[0]["monitor"] == "gone"
    assert set(events[0]) >= {"time", "monitor", "event", "incident", "cause"}
    write(db_port)  # repaired: the port now answers
    result = runner.invoke(
        app, ["watch", "run", str(path), "--events-out", str(out), "--duration", "1"]
    )
    assert result.exit_code == 0, result.output
    events = _events(out)
    assert [e["event"] for e in events] == ["open", "resolve"]
    assert events[0]["incident"] == events[1]["incident"]
    with migrated.connect() as conn:
        incidents = conn.execute(
            select(WatchIncident.id, WatchIncident.ministry, WatchIncident.resolved_at)
        ).all()
        results = conn.scalar(select(func.count()).select_from(WatchResult))
    assert (
        len(incidents) == 1
        and incidents[0][0] == events[0]["incident"]
        and incidents[0][1] == "MPM"
    )
    assert incidents[0][2] is not None and results and results >= 10


def test_a_maintenance_window_opens_no_incident(
    tmp_path: Path, harness: tuple[Script, int, int, int]
) -> None:
    """The same fault twice: inside its maintenance window it opens nothing, outside it opens."""
    import datetime as dt

    _script, _port, _db_port, closed_port = harness
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    path = tmp_path / "m.yaml"
    path.write_text(f"""
endpoints:
  - name: in-maintenance
    url: tcp://127.0.0.1:{closed_port}
    interval: 200ms
    failure-threshold: 1
    conditions: ["[CONNECTED] == true"]
    maintenance-windows:
      - {{start: "{now:%H:%M}", duration: 1h, timezone: UTC}}
  - name: outside
    url: tcp://127.0.0.1:{closed_port}
    interval: 200ms
    failure-threshold: 1
    conditions: ["[CONNECTED] == true"]
""", encoding="utf-8")  # fmt: skip
    config = load(path, {})
    assert config.ok, [str(p) for p in config.errors]
    out = tmp_path / "events.jsonl"
    run(config, out, 1.0)
    assert [(e["monitor"], e["event"]) for e in _events(out)] == [("outside", "open")]
