"""The collector live: syslog over TCP (octet-counted and newline-framed) and UDP on
loopback, pushed batches from the spool; the events stored in Parquet, matched, and the
spray across three ministries recorded as one joint incident. A restart loses no pushed
batch and stores none twice; a sender the centre does not know is a dead letter; a frame
that cannot be framed is one too."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, select

from insa.cyber import sigma, store
from insa.cyber.collector import Collector, Config, Sender, split_frames, spool_batch
from insa.cyber.models import (
    CyberAlert,
    CyberCollectorStatus,
    CyberIncident,
    CyberIncidentPart,
    CyberRuleStat,
)
from insa.cyber.replay import placeholders
from insa.db.engine import session_scope

SOURCE = "203.0.113.77"


def _start(c: Collector) -> threading.Thread:
    ready = threading.Event()
    t = threading.Thread(target=lambda: asyncio.run(c.run(None, ready)), daemon=True)
    t.start()
    assert ready.wait(10)
    return t


def _wait(cond: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("시간 안에 끝나지 않았습니다")


def _line(at: dt.datetime, i: int) -> str:
    return (f"<38>1 {at.isoformat().replace('+00:00', 'Z')} gw1 sshd 811 - - Failed password for invalid user kim{i:02d} "
            f"from {SOURCE} port {40000 + i} ssh2")  # fmt: skip


def _collector(tmp: Path, db: Engine | None) -> Collector:
    cfg = Config(
        udp=("127.0.0.1", 0),
        tcp=("127.0.0.1", 0),
        senders=[Sender("MPVA", [__import__("ipaddress").ip_network("127.0.0.1/32")])],
    )
    rules = sigma.load([sigma.shipped_dir()], placeholders())
    return Collector(cfg, rules, db, tmp / "events", tmp / "dead", tmp / "spool")


def test_syslog_and_pushes_become_one_joint_incident(tmp_path: Path, migrated: Engine) -> None:
    c = _collector(tmp_path, migrated)
    t = _start(c)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    lines = [_line(now + dt.timedelta(seconds=i), i) for i in range(8)]
    with socket.create_connection(("127.0.0.1", c.tcp_port or 0)) as s:
        for ln in lines[:4]:  # octet counting
            data = ln.encode()
            s.sendall(f"{len(data)} ".encode() + data)
        s.sendall("".join(ln + "\n" for ln in lines[4:]).encode())  # one message a line
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(_line(now + dt.timedelta(seconds=9), 9).encode(), ("127.0.0.1", c.udp_port or 0))
    for k, ministry in enumerate(("MPM", "MOLEG")):
        docs = [
            {
                "@timestamp": (now + dt.timedelta(seconds=10 + i)).isoformat(),
                "event.category": "authentication",
                "event.outcome": "failure",
                "source.ip": SOURCE,
                "user.name": f"lee{k}{i:02d}",
                "organization.id": "MPVA",
            }
            for i in range(8)
        ]  # fmt: skip  (the body's ministry is not believed)
        spool_batch(tmp_path / "spool", ministry, docs, limit=100)
    _wait(lambda: c.counters["stored"] >= 25)
    c.stop.set()
    t.join(10)
    assert (
        c.counters["received_tcp"] == 8
        and c.counters["received_udp"] == 1
        and c.counters["received_http"] == 16
    )
    assert c.counters["dead"] == 0 and c.counters["udp_dropped"] == 0
    assert not list(
        (tmp_path / "spool").glob("*.jsonl")
    )  # each pushed batch left the spool once stored
    span = (now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert store.search(tmp_path / "events", *span).total == 25
    assert store.search(tmp_path / "events", *span, ministries=["MOLEG"]).total == 8
    with session_scope(migrated) as db:
        (inc,) = db.scalars(select(CyberIncident))
        parts = {p.ministry: p for p in db.scalars(select(CyberIncidentPart))}
        alerts = list(db.scalars(select(CyberAlert)))
        stats = {r.name: r for r in db.scalars(select(CyberRuleStat))}
        status = db.get(CyberCollectorStatus, "collector")
    assert (
        inc.joint
        and inc.ministries == ["MOLEG", "MPM", "MPVA"]
        and inc.sources == [SOURCE]
        and inc.events == 25
    )
    assert (
        set(parts) == {"MOLEG", "MPM", "MPVA"}
        and parts["MPVA"].events == 9
        and len(parts["MPM"].event_ids) == 8
    )
    assert parts["MPM"].agency_id is not None
    assert {a.incident_id for a in alerts} == {inc.id} and any(
        "여러 부처" in a.title for a in alerts
    )
    assert (
        stats["insa_auth_failure"].hits == 25
        and stats["insa_failures_across_ministries"].last_at is not None
    )
    assert status is not None and status.counters["stored"] == 25
    # the events behind a ministry's part, one click away: by their ids
    got = store.search(tmp_path / "events", *span, ids=parts["MPM"].event_ids)
    assert got.total == 8 and {r["organization.id"] for r in got.rows} == {"MPM"}


def test_a_restart_loses_no_pushed_batch_and_stores_none_twice(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    docs = [
        {
            "@timestamp": now.isoformat(),
            "event.category": "web",
            "url.domain": "x.example",
            "source.ip": "10.0.0.1",
        }
    ] * 5
    batch = spool_batch(
        tmp_path / "spool", "MPM", docs, limit=100
    )  # acknowledged while no collector ran
    kept = tmp_path / "kept.jsonl"
    shutil.copy(batch, kept)
    c = _collector(tmp_path, None)
    assert c._spooled() == 1 and c.counters["stored"] == 5
    shutil.copy(kept, batch)  # as if it had crashed after storing, before removing the batch
    c2 = _collector(tmp_path, None)
    assert c2._spooled() == 1
    assert (
        store.search(
            tmp_path / "events", now - dt.timedelta(minutes=1), now + dt.timedelta(minutes=1)
        ).total
        == 5
    )


def test_an_unknown_sender_and_an_unframable_stream_are_dead_letters(tmp_path: Path) -> None:
    c = _collector(tmp_path, None)
    c.cfg.senders = []  # 127.0.0.1 is nobody's now
    t = _start(c)
    with socket.create_connection(("127.0.0.1", c.tcp_port or 0)) as s:
        s.sendall(
            b"<38>Dec  2 01:00:00 gw sshd[1]: Accepted publickey for a from 10.0.0.1 port 2 ssh2\n"
        )
    _wait(lambda: c.counters["dead"] >= 1)
    c.stop.set()
    t.join(10)
    now = dt.datetime.now(dt.UTC)
    (letter,) = store.dead_letters(
        tmp_path / "dead", now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    )
    assert "어느 부처" in letter["error"] and letter["input"] == "tcp"
    assert split_frames(b"5 hello3 abc\nline two\npart")[0] == [b"hello", b"abc", b"line two"]
    assert split_frames(b"12 <38>1 - - -") == (
        [],
        b"12 <38>1 - - -",
    )  # the rest of the frame is still to come
    try:
        split_frames(b"9999999 " + b"x" * 10)
        raise AssertionError("a frame over the limit must be refused")
    except ValueError as exc:
        assert "최대" in str(exc)


def test_dropped_files_and_a_new_incident_told_once(tmp_path: Path, migrated: Engine) -> None:
    """A ministry's JSON lines files dropped into its folder are read (the folder's ministry,
    not the lines'), moved to done/; each new incident is told once through the notification
    path (a local webhook here)."""
    import http.server
    import json

    got: list[dict[str, object]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    inbox = tmp_path / "inbox-mpm"
    inbox.mkdir()
    c = _collector(tmp_path, migrated)
    c.cfg.files = [("MPM", inbox)]
    c.cfg.notify = [f"json://127.0.0.1:{hook.server_address[1]}/hook"]
    t = _start(c)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = [{"@timestamp": (now + dt.timedelta(seconds=i)).isoformat(), "organization.id": "MOLEG", "event.category": "authentication",
             "event.outcome": "failure", "source.ip": "198.51.100.9", "user.name": f"u{i:02d}"} for i in range(25)]  # fmt: skip
    (inbox / ".part").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n[1]\n", encoding="utf-8"
    )
    (inbox / ".part").rename(inbox / "2026-12-02.jsonl")  # written elsewhere, moved in whole
    _wait(lambda: c.counters["stored"] >= 25 and got)
    time.sleep(0.5)
    c.stop.set()
    t.join(10)
    hook.shutdown()
    assert (inbox / "done" / "2026-12-02.jsonl").exists() and not list(inbox.glob("*.jsonl"))
    assert (
        c.counters["received_file"] == 26 and c.counters["dead"] == 1
    )  # the line that is no object
    span = (now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert store.search(tmp_path / "events", *span, ministries=["MPM"]).total == 25
    (told,) = got
    assert (
        "비밀번호 살포" in str(told["title"])
        and "198.51.100.9" in str(told["message"])
        and c.counters["notified"] == 1
    )


def test_a_poisoned_event_does_not_stop_the_collector(tmp_path: Path) -> None:
    """An event no parser can read (an epoch time past the year 9999, a port past 65535, an
    address that is a number) is a dead letter; the events before and after it are stored."""
    c = _collector(tmp_path, None)
    t = _start(c)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    spool_batch(tmp_path / "spool", "MPM", [{"@timestamp": 1e20}, {"@timestamp": now.isoformat(), "source.port": 99999999},
                                            {"@timestamp": now.isoformat(), "source.ip": 5},
                                            {"@timestamp": now.isoformat(), "event.category": "web"}], limit=10)  # fmt: skip
    with socket.create_connection(("127.0.0.1", c.tcp_port or 0)) as s:
        s.sendall(_line(now, 1).encode() + b"\n")
    _wait(lambda: c.counters["stored"] >= 2 and c.counters["dead"] >= 3)
    c.stop.set()
    t.join(10)
    assert c.counters["stored"] == 2 and c.counters["dead"] == 3 and not c.counters["batch_errors"]
    assert not list((tmp_path / "spool").glob("*.jsonl"))
