"""Benchmark: employee search latency and dashboard throughput at 400,000 employees.

    .venv/bin/python benchmarks/web.py [--employees 400000] [--backends sqlite,postgresql]
                                       [--queries 300] [--load-seconds 20] [--load-requests 3000]

For each backend: seed (or reuse with --sqlite-url / --pg-url), start `insa serve` in a child
process on 127.0.0.1, then over loopback only:
- search latency (p50/p95/max) of GET /api/v1/employees for realistic queries — surname
  prefixes, full names, employee numbers, org-unit filters — as the HR officer of the largest
  agency (경찰청) and as a central administrator (all agencies); baseline: GET /api/v1/me
  (authentication and one small query) measured the same way, same process;
- dashboard requests per second for the HR officer (session cookie) under a bounded load
  (4 threads, stops at --load-requests or --load-seconds), against /healthz as baseline.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

PG = os.environ.get("INSA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-2025!"
KEYS = {
    "INSA_DATA_KEY": base64.urlsafe_b64encode(b"B" * 32).decode(),
    "INSA_PSEUDONYM_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(),
}


def prepare(url: str, employees: int, reuse: bool) -> tuple[str, str]:
    """Migrate, seed unless reused, create the two users; returns their API tokens."""
    os.environ.update(KEYS)
    from insa.db.engine import make_engine, session_scope
    from insa.db.migrate import upgrade
    from insa.domains import sync_reference_data
    from insa.people.models import Employee
    from insa.people.seed import seed
    from insa.people.synth import SeedConfig
    from insa.security import auth
    from insa.security.context import Ctx
    from insa.security.crypto import RRNCipher
    from insa.security.models import User
    from insa.security.users import create_user

    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        sync_reference_data(conn)
        have = conn.scalar(select(func.count()).select_from(Employee)) or 0
    if not (reuse and have):
        cipher = RRNCipher(base64.urlsafe_b64decode(KEYS["INSA_DATA_KEY"]), b"b" * 32)
        t0 = time.perf_counter()
        seed(engine, SeedConfig(employees=employees, seed=2025), cipher, replace=True)
        print(f"  seeded {employees:,} in {time.perf_counter() - t0:.0f} s", flush=True)
    tokens = []
    with session_scope(engine) as db:
        for name, role, agency in (
            ("bench-hr", "hr_officer", "KNPA"),
            ("bench-admin", "central_admin", None),
        ):
            user = db.scalar(select(User).where(User.username == name))
            if user is None:
                user = create_user(
                    Ctx.command_line(db),
                    username=name,
                    role=role,
                    password=PASSWORD,
                    agency_code=agency,
                )
            tokens.append(auth.create_api_token(db, user, "bench"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    return tokens[0], tokens[1]


def sample_queries(url: str, n: int) -> list[dict[str, str]]:
    from insa.db.engine import make_engine
    from insa.people.models import Agency, Employee

    engine = make_engine(url)
    rnd = random.Random(7)
    with engine.connect() as conn:
        knpa = conn.scalar(select(Agency.id).where(Agency.code == "KNPA"))
        rows = conn.execute(
            select(Employee.name, Employee.employee_no, Employee.org_unit_id)
            .where(Employee.agency_id == knpa)
            .order_by(Employee.id)
            .limit(5000)
        ).all()
    engine.dispose()
    out: list[dict[str, str]] = []
    for i in range(n):
        name, no, unit = rows[rnd.randrange(len(rows))]
        kind = i % 4
        if kind == 0:
            out.append({"q": name[:1]})  # surname: the broadest, e.g. 김 matches a fifth
        elif kind == 1:
            out.append({"q": name})
        elif kind == 2:
            out.append({"q": no[: rnd.choice([6, 8, 10])]})
        else:
            out.append({"org_unit_id": str(unit)})
    return out


def start_server(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, **KEYS, "INSA_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "insa.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def timed_gets(port: int, paths: list[str], headers: dict[str, str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for p in paths:
        t0 = time.perf_counter()
        conn.request("GET", p, headers=headers)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"{p}: HTTP {r.status}")
        out.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return out


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {statistics.median(ms):.1f} ms · p95 {q[94]:.1f} ms · max {max(ms):.1f} ms"


def session_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    r = conn.getresponse()
    html = r.read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    pre = r.getheader("set-cookie", "").split(";")[0]
    body = urllib.parse.urlencode(
        {"username": "bench-hr", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": pre},
    )
    r = conn.getresponse()
    r.read()
    cookie = r.getheader("set-cookie", "")
    m = re.search(r"insa_session=([^;]+)", cookie)
    if not m:
        raise RuntimeError("log-in failed")
    return f"insa_session={m.group(1)}"


def load(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    max_requests: int,
    threads: int = 4,
) -> float:
    """Requests per second from `threads` keep-alive clients; bounded in count and time."""
    done = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal done
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                if done >= max_requests:
                    return
                done += 1
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError(f"{path}: HTTP {r.status}")
        conn.close()

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done / (time.perf_counter() - t0)


def concurrent_search(
    port: int, cookie: str, queries: list[dict[str, str]], clients: int, each: int
) -> list[float]:
    """``clients`` users searching at once on the search page (HTML, session cookie), each
    over its own keep-alive connection, ``each`` requests apiece: every latency, in ms."""
    out: list[float] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def user(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = [queries[(i * each + k) % len(queries)] for k in range(each)]
        gate.wait(30)
        for q in mine:
            t0 = time.perf_counter()
            conn.request(
                "GET", "/employees?" + urllib.parse.urlencode(q), headers={"Cookie": cookie}
            )
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            with lock:
                out.append((time.perf_counter() - t0) * 1000)
        conn.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (the server and its workers)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _database_cpu_seconds() -> float:
    """User + system CPU time of the local PostgreSQL server's processes (0 for SQLite: its
    work is inside the server's own processes)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] == "postgres" and proc.info["cpu_times"] is not None:
            total += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return total


def run_concurrent(name: str, url: str, args: argparse.Namespace) -> None:
    """The search page under ``--clients`` concurrent users, for each ``--workers`` count,
    ``--repeat`` times (runs vary: keep-alive connections stay with the worker that took
    them); each run's figures, the server's CPU per request, and the median run's p95."""
    import psutil

    queries = sample_queries(url, args.queries)
    for workers in (int(w) for w in args.workers.split(",")):
        port = 8610 + (name == "postgresql") * 10 + workers
        proc = start_server(url, port, workers)
        p95s: list[float] = []
        try:
            cookie = session_cookie(port)
            concurrent_search(port, cookie, queries, 4, 5)  # warm-up, every worker
            pids = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
            for run in range(1, args.repeat + 1):
                cpu0, db0, t0 = _cpu_seconds(pids), _database_cpu_seconds(), time.perf_counter()
                own0 = time.process_time()
                ms = concurrent_search(port, cookie, queries, args.clients, args.each)
                seconds, cpu = time.perf_counter() - t0, _cpu_seconds(pids) - cpu0
                own = time.process_time() - own0
                db_cpu = _database_cpu_seconds() - db0 if name == "postgresql" else 0.0
                q = statistics.quantiles(ms, n=100, method="inclusive")
                p95s.append(q[94])
                print(f"- {args.clients} concurrent users, search page, {workers} worker(s), run {run}: "
                      f"{len(ms)} requests, {len(ms) / seconds:.0f}/s, p50 {statistics.median(ms):.0f} ms · "
                      f"p95 {q[94]:.0f} ms · p99 {q[98]:.0f} ms · max {max(ms):.0f} ms; "
                      f"server CPU {cpu / len(ms) * 1000:.1f} ms a request"
                      + (f", database CPU {db_cpu / len(ms) * 1000:.1f} ms" if db_cpu else "")
                      + f", clients' CPU {own / len(ms) * 1000:.1f} ms",
                      flush=True)  # fmt: skip
            if len(p95s) > 1:
                print(f"  → {workers} worker(s): median p95 {statistics.median(p95s):.0f} ms "
                      f"(runs {min(p95s):.0f}–{max(p95s):.0f} ms)", flush=True)  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)


def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    print(f"## {name}", flush=True)
    hr_token, admin_token = prepare(url, args.employees, reuse=args.reuse)
    if args.concurrent_only:
        run_concurrent(name, url, args)
        return
    queries = sample_queries(url, args.queries)
    port = 8600 + (name == "postgresql")
    proc = start_server(url, port)
    try:
        paths = ["/api/v1/employees?" + urllib.parse.urlencode(q) for q in queries]
        for who, token in (("hr_officer 경찰청", hr_token), ("central_admin", admin_token)):
            h = {"Authorization": f"Bearer {token}"}
            timed_gets(port, paths[:20], h)  # warm-up
            base = timed_gets(port, ["/api/v1/me"] * len(paths), h)
            ms = timed_gets(port, paths, h)
            print(f"- search as {who}: {summary(ms)}; baseline /api/v1/me p50 {statistics.median(base):.1f} ms "
                  f"→ search/baseline {statistics.median(ms) / statistics.median(base):.1f}×", flush=True)  # fmt: skip
            for kind, label in (
                (0, "surname prefix"),
                (1, "full name"),
                (2, "employee number"),
                (3, "org unit"),
            ):
                sub = ms[kind::4]
                print(f"  - {label}: {summary(sub)}", flush=True)
        cookie = session_cookie(port)
        h = {"Cookie": cookie}
        base_rps = load(port, "/healthz", {}, args.load_seconds, args.load_requests)
        rps = load(port, "/", h, args.load_seconds, args.load_requests)
        print(f"- dashboard (hr_officer 경찰청, 4 clients): {rps:.0f} req/s; baseline /healthz {base_rps:.0f} req/s "
              f"→ {rps / base_rps:.2f}×", flush=True)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)
    run_concurrent(name, url, args)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=400_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--load-seconds", type=float, default=20)
    ap.add_argument("--load-requests", type=int, default=3000)
    ap.add_argument("--sqlite-url")
    ap.add_argument("--pg-url")
    ap.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    ap.add_argument("--clients", type=int, default=20, help="concurrent users of the search page")
    ap.add_argument("--each", type=int, default=50, help="searches per concurrent user")
    ap.add_argument("--workers", default="1,2", help="worker counts to serve with, compared")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the concurrent search")
    ap.add_argument("--concurrent-only", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                run_backend("sqlite", args.sqlite_url or f"sqlite:///{Path(tmp) / 'web.db'}", args)
            else:
                schema = None
                url = args.pg_url
                if url is None:
                    schema = f"bench_{uuid.uuid4().hex[:8]}"
                    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as c:
                        c.execute(text(f"CREATE SCHEMA {schema}"))
                    url = f"{PG}?options=-csearch_path%3D{schema}"
                try:
                    run_backend("postgresql", url, args)
                finally:
                    if schema:
                        with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as c:
                            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
