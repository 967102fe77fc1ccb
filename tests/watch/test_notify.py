"""Notifications through Apprise: each event told once per provider, a failing provider
retried — against a local HTTP sink and a local SMTP server (aiosmtpd), loopback only."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from insa.cli import app
from insa.watch.models import WatchDelivery


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[int, dict[str, Any]]] = []  # (status answered, JSON body)
        self.fail_first = 1


@pytest.fixture
def http_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            status = 500 if sink.fail_first > 0 else 200
            sink.fail_first -= 1
            sink.received.append((status, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield sink, server.server_address[1]
    server.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_each_event_is_told_once_per_provider_and_retried(
    tmp_path: Path, migrated: Engine, http_sink: tuple[Sink, int], smtp: tuple[Mailbox, int]
) -> None:
    sink, hook = http_sink
    box, smtp_port = smtp
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    open_port = listener.getsockname()[1]
    config = tmp_path / "c.yaml"

    def write(port: int) -> None:
        config.write_text(f"""
alerting:
  custom: {{url: "http://127.0.0.1:{hook}/hook"}}
  email: {{host: 127.0.0.1, port: {smtp_port}, from: watch@insa.go.kr, to: ops@insa.go.kr}}
endpoints:
  - name: 급여 서버
    ministry: MPM
    url: tcp://127.0.0.1:{port}
    interval: 200ms
    failure-threshold: 1
    success-threshold: 1
    conditions: ["[CONNECTED] == true"]
    alerts:
      - {{type: custom, send-on-resolved: true, description: 급여 서버 점검}}
      - {{type: email, send-on-resolved: true}}
""", encoding="utf-8")  # fmt: skip

    runner = CliRunner()
    write(closed)
    r = runner.invoke(app, ["watch", "run", str(config), "--duration", "2.5"])
    assert r.exit_code == 0, r.output
    write(open_port)
    threading.Thread(
        target=lambda: [listener.accept()[0].close() for _ in range(100)], daemon=True
    ).start()
    r = runner.invoke(app, ["watch", "run", str(config), "--duration", "1.5"])
    assert r.exit_code == 0, r.output
    listener.close()
    accepted = [b for status, b in sink.received if status == 200]
    assert [b["title"] for b in accepted] == ["[장애 발생] 급여 서버", "[복구] 급여 서버"]
    assert len(sink.received) == 3  # the first attempt failed (500) and was retried once
    assert "급여 서버 점검" in accepted[0]["message"] and "원인:" in accepted[0]["message"]
    assert len(box.messages) == 2 and "ops@insa.go.kr" in box.messages[0]
    with migrated.connect() as conn:
        rows = conn.execute(select(WatchDelivery.provider, WatchDelivery.event, WatchDelivery.attempts,
                                   WatchDelivery.delivered_at)).all()  # fmt: skip
    assert sorted((p, e, a) for p, e, a, _ in rows) == [
        ("custom", "open", 2), ("custom", "resolve", 1), ("email", "open", 1), ("email", "resolve", 1)]  # fmt: skip
    assert all(d is not None for *_, d in rows)
