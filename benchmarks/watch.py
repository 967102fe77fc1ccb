"""Failure detection at scale (issue 13): 10,000 HTTP monitors at a 30 s interval against
loopback target servers for at least five minutes — the checker (``insa watch run``, as a
user runs it) pinned to one core, the targets to the other — and the centre's monitor list
with 10,000 monitors.

Measured: the checker's resident memory (sampled every 2 s, the peak), the lateness of its
checks (p99, as the checker reports it), missed checks (every monitor's results in the
database: none may be missing, no gap between two checks over interval + 1 s), CPU of the
checker's core; the list page's median and p95 over repeated requests (first page,
filtered by state, searched, a deep page), served by the app in this process.

    .venv/bin/python benchmarks/watch.py --monitors 10000 --seconds 330
    .venv/bin/python benchmarks/watch.py --part page --monitors 10000 \
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from machine import machine

ROOT = Path(__file__).resolve().parent.parent
PORTS = 8  # target servers (one process, one core)
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok"


# ------------------------------------------------------------------ the targets


class Target(asyncio.Protocol):
    """Answers every request 200 "ok" and closes (the checker connects afresh each check)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.seen = b""

    def data_received(self, data: bytes) -> None:
        self.seen += data
        if b"\r\n\r\n" in self.seen:
            self.transport.write(RESPONSE)  # type: ignore[attr-defined]
            self.transport.close()


async def _serve(ports: list[int]) -> None:
    loop = asyncio.get_running_loop()
    for p in ports:
        await loop.create_server(Target, "127.0.0.1", p, backlog=4096, reuse_address=True)
    print("ready", flush=True)
    await asyncio.Event().wait()


def free_ports(n: int) -> list[int]:
    import socket

    out, socks = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        out.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return out


# ------------------------------------------------------------------ the checker run


def config_text(n: int, ports: list[int], interval: str) -> str:
    lines = ["concurrency: 200", "endpoints:"]
    for i in range(n):
        port = ports[i % len(ports)]
        lines.append(f'  - {{name: "svc-{i:05d}", group: "g{i % 100:02d}", url: "http://127.0.0.1:{port}/s/{i}", '
                     f'interval: {interval}, conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 1000"]}}')  # fmt: skip
    return "\n".join(lines) + "\n"


def checker_run(n: int, seconds: int, db_url: str) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="watchbench-"))
    ports = free_ports(PORTS)
    env = {**os.environ, "INSA_DATABASE_URL": db_url, "INSA_DEMO": "1", "INSA_VAR_DIR": str(work)}
    targets = subprocess.Popen(["taskset", "-c", "1", sys.executable, __file__, "--part", "targets",
                                "--ports", ",".join(map(str, ports))], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert targets.stdout is not None and targets.stdout.readline().strip() == "ready"
    cfg = work / "monitors.yaml"
    cfg.write_text(config_text(n, ports, "30s"), encoding="utf-8")
    insa = str(ROOT / ".venv" / "bin" / "insa")
    subprocess.run([insa, "db", "upgrade"], env=env, check=True, capture_output=True)
    started = dt.datetime.now(dt.UTC)
    proc = subprocess.Popen(["taskset", "-c", "0", insa, "watch", "run", str(cfg), "--duration", str(seconds),
                             "--no-self", "--metrics", f"127.0.0.1:{free_ports(1)[0]}"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu0 = ps.cpu_times()
    t0 = time.monotonic()
    last_cpu = cpu0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
            last_cpu = ps.cpu_times()
        except psutil.NoSuchProcess:
            break
        time.sleep(2)
    wall = time.monotonic() - t0
    out = proc.stdout.read() if proc.stdout else ""
    targets.terminate()
    summary = [line for line in out.splitlines() if "지연 p99" in line]
    p99 = int(summary[-1].rsplit("p99", 1)[1].split("ms")[0]) if summary else -1
    checks = (
        int(summary[-1].split("점검 ", 1)[1].split("회")[0].replace(",", "")) if summary else -1
    )
    missed, worst_gap, fewest = missed_checks(db_url, n, seconds, started)
    cpu_s = (last_cpu.user + last_cpu.system) - (cpu0.user + cpu0.system)
    return {"monitors": n, "seconds": seconds, "wall": wall, "peak_rss_mb": peak / 2**20, "p99_late_ms": p99,
            "checks": checks, "missed": missed, "worst_gap_s": worst_gap, "fewest": fewest,
            "cpu_share": cpu_s / wall, "db": db_url.split(":")[0], "log_tail": out.splitlines()[-3:]}  # fmt: skip


def missed_checks(
    db_url: str, n: int, seconds: int, started: dt.datetime
) -> tuple[int, float, int]:
    """Missed checks, from every result in the database: a monitor misses one when its first
    check came more than interval + 1 s after the run's first, its last more than interval +
    1 s before the run's last, or two of its checks are further apart than that (or it was
    never checked). Returns the monitors that missed one, the longest gap and the fewest
    checks of a monitor."""
    from sqlalchemy import create_engine, func, select

    from insa.watch.models import WatchResult

    engine = create_engine(db_url)
    bound = 31.0  # interval + 1 s
    with engine.connect() as conn:
        lag = func.lag(WatchResult.at).over(
            partition_by=WatchResult.monitor, order_by=WatchResult.at
        )
        inner = select(
            WatchResult.monitor.label("m"), WatchResult.at.label("at"), lag.label("prev")
        ).subquery()
        rows = conn.execute(select(inner.c.m, inner.c.at, inner.c.prev)).all()

    def t(v: object) -> dt.datetime:
        return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))

    first: dict[str, dt.datetime] = {}
    last: dict[str, dt.datetime] = {}
    counts: dict[str, int] = {}
    worst = 0.0
    bad: set[str] = set()
    for m, at, prev in rows:
        a = t(at)
        counts[m] = counts.get(m, 0) + 1
        first[m] = min(first.get(m, a), a)
        last[m] = max(last.get(m, a), a)
        if prev is not None:
            gap = (a - t(prev)).total_seconds()
            worst = max(worst, gap)
            if gap > bound:
                bad.add(m)
    if first:
        begin, end = min(first.values()), max(last.values())
        bad |= {m for m in first if (first[m] - begin).total_seconds() > bound
                or (end - last[m]).total_seconds() > bound}  # fmt: skip
    bad |= {f"g{i % 100:02d}/svc-{i:05d}" for i in range(n)} - set(counts)
    return len(bad), worst, min(counts.values()) if counts else 0


# ------------------------------------------------------------------ the list page


def fresh_schema(url: str, schema: str) -> str:
    """A PostgreSQL URL whose tables live in ``schema``, emptied first."""
    from sqlalchemy import create_engine, text

    with create_engine(url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def page_run(n: int, repeat: int, pg_url: str = "") -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="watchpage-"))
    db_url = fresh_schema(pg_url, "watchbench") if pg_url else f"sqlite:///{work / 'insa.db'}"
    os.environ.update({"INSA_DATABASE_URL": db_url, "INSA_DEMO": "1", "INSA_VAR_DIR": str(work)})
    from insa.settings import reset_settings

    reset_settings()
    from fastapi.testclient import TestClient
    from sqlalchemy import insert

    from insa.db.engine import get_engine, session_scope
    from insa.security.context import Ctx
    from insa.security.users import create_user
    from insa.watch.models import WatchHourly, WatchMonitor, WatchResult
    from insa.web.app import create_app

    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "insa"), "db", "upgrade"],
        env=dict(os.environ),
        check=True,
        capture_output=True,
    )  # the schema and the reference data (agencies, centres)
    engine = get_engine()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    hour = now.replace(minute=0, second=0)
    ministries = ["MPM", "MPVA", "MOLEG", "NAACC", "KDCA", "SDIA"]
    from insa.watch.store import agency_ids

    t = time.perf_counter()
    with session_scope(engine) as db:
        codes, _ = agency_ids(db, ministries)
        create_user(Ctx.command_line(db), username="bench-ops", role="ops_operator", password="bench-pass-1234",
                    centre_code="WATCH")  # fmt: skip
    mons, hours, raws = [], [], []
    for i in range(n):
        mi = ministries[i % 6]
        key = f"g{i % 100:02d}/svc-{i:05d}"
        state = "down" if i % 97 == 0 else "up"
        mons.append({"key": key, "name": f"svc-{i:05d}", "group": f"g{i % 100:02d}", "ministry": mi,
                     "agency_id": codes[mi], "kind": "http", "target": f"http://10.0.{i // 250}.{i % 250}/",
                     "interval_ms": 30_000, "source": "bench.yaml", "active": True, "public": True,
                     "state": state, "since": now, "last_at": now, "last_ok": state == "up", "last_latency_ms": 40})  # fmt: skip
        for h in range(720):  # 30 days of hours
            hours.append({"monitor": key, "hour": hour - dt.timedelta(hours=h), "ministry": mi, "checks": 120,
                          "failures": 1 if h % 50 == 0 else 0, "latency_sum_ms": 4800, "latency_max_ms": 90})  # fmt: skip
        for k in range(30):
            raws.append({"monitor": key, "ministry": mi, "at": now - dt.timedelta(seconds=30 * k), "ok": k != 7,
                         "latency_ms": 30 + k, "failed": None})  # fmt: skip
        if len(hours) >= 200_000:
            with engine.begin() as conn:
                conn.execute(insert(WatchHourly), hours)
            hours = []
    with engine.begin() as conn:
        conn.execute(insert(WatchMonitor), mons)
        if hours:
            conn.execute(insert(WatchHourly), hours)
        conn.execute(insert(WatchResult), raws)
    seeded = time.perf_counter() - t
    client = TestClient(create_app())
    login = client.get("/login")
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": "bench-ops", "password": "bench-pass-1234", "csrf_token": token[1]},
    )
    assert r.status_code == 200, r.status_code
    timings: dict[str, list[float]] = {}
    for label, path in (("첫 쪽", "/watch"), ("장애만", "/watch?state=down"), ("검색", "/watch?q=svc-0123"),
                        ("기관", "/watch?ministry=MOLEG"), ("100쪽", "/watch?page=100"), ("API", "/api/v1/watch/monitors")):  # fmt: skip
        client.get(path)  # warm
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            resp = client.get(path)
            samples.append(time.perf_counter() - t)
            assert resp.status_code == 200, (path, resp.status_code)
        timings[label] = samples
    return {"monitors": n, "hourly_rows": n * 720, "seeded_s": seeded,
            "pages": {k: (statistics.median(v) * 1000, sorted(v)[int(len(v) * 0.95) - 1] * 1000) for k, v in timings.items()}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("checker", "page", "targets"), default="checker")
    ap.add_argument("--monitors", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=330)
    ap.add_argument("--db", default="")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--ports", default="")
    args = ap.parse_args()
    if args.part == "targets":
        asyncio.run(_serve([int(p) for p in args.ports.split(",")]))
        return
    print(f"machine: {machine()}")
    if args.part == "page":
        res = page_run(args.monitors, args.repeat)
        print(
            f"monitors {res['monitors']:,}, hourly rows {res['hourly_rows']:,} (seeded in {res['seeded_s']:.0f} s)"
        )
        print("| 요청 | median | p95 |\n|---|---:|---:|")
        for k, (med, p95) in res["pages"].items():  # type: ignore[attr-defined]
            print(f"| {k} | {med:.0f} ms | {p95:.0f} ms |")
        return
    db = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='watchdb-')}/insa.db"
    res = checker_run(args.monitors, args.seconds, db)
    for k, v in res.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
