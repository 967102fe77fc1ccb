"""``insa cyber watch``: a directory where a day's newly registered domains arrive and a
certificate-transparency stream over a TCP socket (certstream's JSON lines), read at once;
each alert a case, each new case told once through the notifications (a local HTTP sink,
its first answer a failure: retried); restarted, nothing is read or told twice."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from insa.cyber.assets import load
from insa.cyber.models import CyberCase, CyberCaseEvent
from insa.cyber.watching import Watcher
from insa.db.engine import session_scope

DATA = Path(__file__).parent / "data"


@pytest.fixture
def sink() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []
    state = {"fail": 1}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            status = 500 if state["fail"] > 0 else 200
            state["fail"] -= 1
            if status == 200:
                got.append(body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], got
    server.shutdown()


@pytest.fixture
def stream() -> Iterator[tuple[int, list[bytes]]]:
    """A CT stream: every client gets what is queued, a line at a time."""
    lines: list[bytes] = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            sent = 0
            with conn:
                while not stop.is_set():
                    while sent < len(lines):
                        conn.sendall(lines[sent])
                        sent += 1
                    time.sleep(0.05)

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1], lines
    stop.set()
    srv.close()


def _ct(*names: str) -> bytes:
    return (
        json.dumps(
            {
                "message_type": "certificate_update",
                "data": {"leaf_cert": {"all_domains": list(names)}},
            }
        )
        + "\n"
    ).encode()


def test_feeds_become_cases_told_once(tmp_path: Path, migrated: Engine, sink: tuple[int, list[Any]],
                                      stream: tuple[int, list[bytes]]) -> None:  # fmt: skip
    port, told = sink
    ct_port, lines = stream
    feed = tmp_path / "nrd"
    feed.mkdir()
    assets = load(DATA / "assets.yaml")
    state = tmp_path / "state.json"
    w = Watcher(
        assets, migrated, notify=[f"json://127.0.0.1:{port}/hook"], state=state, say=lambda s: None
    )
    lines.append(_ct("hometax-refund.com", "*.hometax-refund.com", "naver.com"))

    def later() -> None:
        time.sleep(1.0)
        (feed / "2026-12-02.txt").write_text(
            "gosi-kr.com\nkakao.com\ngosiwon-seoul.com\n", encoding="utf-8"
        )
        lines.append(_ct("gosi-exam.net"))

    threading.Thread(target=later, daemon=True).start()
    stats = w.run([str(feed), f"tcp://127.0.0.1:{ct_port}"], duration=6.0)
    with session_scope(migrated) as db:
        domains = sorted(db.scalars(select(CyberCase.domain)))
        notified = db.scalar(
            select(func.count())
            .select_from(CyberCaseEvent)
            .where(CyberCaseEvent.action == "notified")
        )
    assert domains == ["gosi-exam.net", "gosi-kr.com", "hometax-refund.com"]
    assert stats.opened == 3 and notified == 3
    assert (
        sorted(t["title"].split("] ")[1].split(" ")[0] for t in told) == domains
    )  # once each, after a retry
    # restarted: the file is not read again, nothing told again
    again = Watcher(
        assets, migrated, notify=[f"json://127.0.0.1:{port}/hook"], state=state, say=lambda s: None
    )
    stats2 = again.run([str(feed)], duration=2.5)
    assert stats2.read == 0 and stats2.notified == 0 and len(told) == 3


def test_a_parked_lookalike_is_rechecked_until_it_clones(tmp_path: Path, migrated: Engine, monkeypatch: pytest.MonkeyPatch,
                                                        proxy: str) -> None:  # fmt: skip
    """With --fetch the watcher judges pages too: gosi.net is parked (watch) when it first
    appears; re-checked, it has become a clone of the official page: a case."""
    from typer.testing import CliRunner

    from insa.cli import app

    from . import sites

    prints = tmp_path / "fingerprints.json"
    CliRunner().invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                             "--fingerprints", str(prints)])  # fmt: skip
    feed = tmp_path / "nrd"
    feed.mkdir()
    (feed / "day.txt").write_text("gosi.net\n", encoding="utf-8")
    w = Watcher(load(DATA / "assets.yaml"), migrated, state=tmp_path / "s.json", say=lambda s: None, fetch=True,
                proxy=proxy, fingerprints=prints, recheck_every=1.5)  # fmt: skip

    def clone_later() -> None:  # once a re-check has found it parked again (and rescheduled it)
        deadline = time.monotonic() + 8
        first = None
        while time.monotonic() < deadline:
            due = w.state.doc.get("rechecks", {}).get("gosi.net")
            if due and first is None:
                first = due[0]
            elif due and due[0] != first:
                break
            time.sleep(0.05)
        monkeypatch.setitem(sites.SITES, "gosi.net/", (200, "", sites.OFFICIAL))

    threading.Thread(target=clone_later, daemon=True).start()
    stats = w.run([str(feed)], duration=11.0)  # room for two re-checks on a loaded machine
    with session_scope(migrated) as db:
        case = db.scalar(select(CyberCase).where(CyberCase.domain == "gosi.net"))
    assert stats.rechecked >= 2 and case is not None
    assert "page-clone:1.00" in case.reasons or case.score >= 95


def test_a_requested_takedown_is_rechecked_until_the_page_is_gone(tmp_path: Path, migrated: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:  # fmt: skip
    from insa.cyber import cases
    from insa.cyber.pages import fetch
    from insa.cyber.signals import prepare, score

    from . import sites

    found = load(DATA / "assets.yaml")
    with session_scope(migrated) as db:
        cases.record(
            db,
            [score("gosi-kr.com", prepare(found))],
            found,
            pages={"gosi-kr.com": fetch("gosi-kr.com", proxy)},
        )
        c = db.scalar(select(CyberCase))
        assert c is not None
        c.status = "takedown_requested"
    w = Watcher(found, migrated, state=tmp_path / "s.json", say=lambda s: None, fetch=True, proxy=proxy,
                recheck_every=1.0)  # fmt: skip

    def taken_down() -> None:
        time.sleep(2.5)
        monkeypatch.delitem(sites.SITES, "gosi-kr.com/")  # the proxy now answers 502: gone

    threading.Thread(target=taken_down, daemon=True).start()
    w.run([str(tmp_path / "empty")], duration=6.0)
    with session_scope(migrated) as db:
        c = db.scalar(select(CyberCase))
        events = [e.action for e in db.scalars(select(CyberCaseEvent).order_by(CyberCaseEvent.id))]
    assert c is not None and c.status == "verified_down" and c.verified_at is not None
    assert "rechecked" in events and events[-1] == "verified_down"
