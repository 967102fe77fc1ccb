"""The control tower's throughput (issue 15): security events received over loopback TCP
syslog and HTTP, normalised, stored in Parquet and matched against 50 Sigma rules (the 12
shipped and 38 of SigmaHQ's web server rules, unmodified) by the collector pinned to one
core (``taskset -c 0``); the senders and the web app on the other. Measured: events a second
end to end (first byte sent → the collector's counters say all stored), UDP loss at 20,000
datagrams a second, the latency from receipt to a recorded alert (p95, brute-force-then-
success attacks mixed into the stream), the collector's peak memory.

    .venv/bin/python benchmarks/cyber_events.py [--tcp 1000000] [--http 300000] [--udp-seconds 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.cyber import events_gen as gen  # noqa: E402

from machine import machine  # noqa: E402

INSA = str(ROOT / ".venv" / "bin" / "insa")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rules_dir(work: Path) -> Path:
    from insa.cyber.sigma import shipped_dir

    out = work / "rules"
    out.mkdir()
    for p in sorted(shipped_dir().glob("*.yml")):
        shutil.copy(p, out)
    for p in sorted((ROOT / "tests/cyber/data/sigmahq/webserver").glob("*.yml"))[:38]:
        shutil.copy(p, out)
    return out


def syslog_lines(n: int, start: dt.datetime, seed: int) -> list[bytes]:
    """Benign traffic as a ministry's relay sends it (RFC 5424; sshd as RFC 3164), with a
    brute force followed by success from a new address every 20,000 events."""
    out: list[bytes] = []
    attacks = 0
    for i, d in enumerate(gen.noise(n, seed=seed, start=start)):
        if i and i % 20_000 == 0:
            attacks += 1
            at = start + dt.timedelta(milliseconds=137 * i)
            for a in gen.brute_then_success(
                source=f"198.51.{attacks // 250}.{attacks % 250 + 1}", ministry="MPM", start=at
            ):
                out.append(("<38>" + a["message"]).encode())
        m, fmt = d["message"], d["log.format"]
        app = {"nginx": "nginx", "kv": "fw", "insa-audit": "insa"}.get(fmt)
        out.append(
            (
                "<38>" + m if fmt == "sshd" else f"<134>1 {d['@timestamp']} h1 {app} - - - {m}"
            ).encode()
        )
    return out[:n]


def status(env: dict[str, str]) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from insa.cyber.models import CyberCollectorStatus

    eng = create_engine(env["INSA_DATABASE_URL"])
    with eng.connect() as c:
        row = c.execute(
            select(CyberCollectorStatus.counters, CyberCollectorStatus.updated_at)
        ).first()
    eng.dispose()
    return {**(row[0] if row else {}), "_at": row[1] if row else None}


def wait_stored(env: dict[str, str], want: int, timeout: float) -> tuple[float, dict[str, Any]]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = status(env)
        if s.get("stored", 0) + s.get("dead", 0) >= want:
            return time.monotonic(), s
        time.sleep(0.25)
    raise RuntimeError(f"not stored in {timeout} s: {status(env)}")


def token(env: dict[str, str]) -> str:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from insa.security import auth
    from insa.security.context import Ctx
    from insa.security.models import User
    from insa.security.users import create_user

    eng = create_engine(env["INSA_DATABASE_URL"])
    with Session(eng) as db:
        create_user(Ctx.command_line(db), username="relay-mpm", role="security_operator", password="bench-Passw0rd!x",
                    agency_code="MPM")  # fmt: skip
        db.flush()
        user = db.scalar(select(User).where(User.username == "relay-mpm"))
        assert user is not None
        t = auth.create_api_token(db, user, "relay")
        db.commit()
    eng.dispose()
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int, default=1_000_000)
    ap.add_argument("--http", type=int, default=300_000)
    ap.add_argument("--udp-seconds", type=int, default=10)
    ap.add_argument("--udp-rate", type=int, default=20_000)
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})  # the senders: core 1 (the collector has core 0)
    work = Path(tempfile.mkdtemp(prefix="cyberbench-"))
    env = {
        **os.environ,
        "INSA_VAR_DIR": str(work),
        "INSA_DATABASE_URL": f"sqlite:///{work / 'insa.db'}",
        "INSA_DEMO": "1",
    }
    os.environ.update({k: env[k] for k in ("INSA_VAR_DIR", "INSA_DATABASE_URL", "INSA_DEMO")})
    subprocess.run([INSA, "db", "upgrade"], env=env, check=True, capture_output=True)
    tcp_port, udp_port, web_port = free_port(), free_port(), free_port()
    cfg = work / "collector.yaml"
    cfg.write_text(json.dumps({"name": "bench", "listen": {"tcp": f"127.0.0.1:{tcp_port}", "udp": f"127.0.0.1:{udp_port}"},
                               "senders": [{"ministry": "MPM", "networks": ["127.0.0.1/32"]}],
                               "rules": [str(rules_dir(work))]}), encoding="utf-8")  # fmt: skip
    collector = subprocess.Popen(["taskset", "-c", "0", INSA, "cyber", "collect", str(cfg)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert collector.stdout is not None
    for line in collector.stdout:
        if "수집 중" in line:
            break
    threading.Thread(
        target=lambda: collector.stdout.read() if collector.stdout else None, daemon=True
    ).start()
    ps = psutil.Process(collector.pid)
    peak = [0]
    phase = ["tcp"]
    phase_peak: dict[str, int] = {}

    def watch_memory() -> None:
        while collector.poll() is None:
            try:
                rss = ps.memory_info().rss
            except psutil.NoSuchProcess:
                return
            peak[0] = max(peak[0], rss)
            phase_peak[phase[0]] = max(phase_peak.get(phase[0], 0), rss)
            time.sleep(0.5)

    threading.Thread(target=watch_memory, daemon=True).start()
    now = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {"machine": machine(), "rules": 50}

    # -- TCP -------------------------------------------------------------------------------
    lines = syslog_lines(args.tcp, now - dt.timedelta(hours=2), 1)
    payload = b"".join(b"%d %s" % (len(x), x) for x in lines)  # octet counting (RFC 6587)
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", tcp_port)) as s:
        for k in range(0, len(payload), 1 << 20):
            s.sendall(payload[k : k + (1 << 20)])
    sent = time.monotonic()
    done, st = wait_stored(env, len(lines), 900)
    results["tcp"] = {"events": len(lines), "seconds": round(done - t0, 1), "per_second": int(len(lines) / (done - t0)),
                      "send_seconds": round(sent - t0, 1), "tcp_waits": st.get("tcp_waits", 0),
                      "latency_p95_ms": st.get("latency_p95_ms"), "latency_max_ms": st.get("latency_max_ms"),
                      "alerts": st.get("alerts", 0)}  # fmt: skip
    print("TCP", results["tcp"], flush=True)
    base = st.get("stored", 0) + st.get("dead", 0)

    phase[0] = "http"
    # -- HTTP (through the web app: token, spool, collector) ---------------------------------
    web = subprocess.Popen(["taskset", "-c", "1", INSA, "serve", "--port", str(web_port)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(120):
        try:
            c = http.client.HTTPConnection("127.0.0.1", web_port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.25)
    bearer = token(env)
    docs = [{"@timestamp": (now - dt.timedelta(hours=1) + dt.timedelta(milliseconds=3 * i)).isoformat(),
             "event.category": "authentication", "event.outcome": "success" if i % 20 else "failure",
             "source.ip": f"10.9.{(i // 250) % 250}.{i % 250 + 1}", "user.name": f"u{i % 5000}", "host.name": "sso1"}
            for i in range(args.http)]  # fmt: skip
    bodies = [json.dumps(docs[k : k + 2000]).encode() for k in range(0, len(docs), 2000)]
    retries = 0
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=60)
    for body in bodies:
        while True:
            conn.request("POST", "/api/v1/cyber/events", body=body, headers={"Authorization": f"Bearer {bearer}",
                                                                              "Content-Type": "application/json"})  # fmt: skip
            r = conn.getresponse()
            r.read()
            if r.status == 202:
                break
            if r.status != 503:
                raise RuntimeError(f"HTTP {r.status}")
            retries += 1
            time.sleep(float(r.getheader("Retry-After") or 1))
    sent = time.monotonic()
    done, st = wait_stored(env, base + len(docs), 900)
    results["http"] = {"events": len(docs), "seconds": round(done - t0, 1), "per_second": int(len(docs) / (done - t0)),
                       "send_seconds": round(sent - t0, 1), "batches": len(bodies), "retried_503": retries}  # fmt: skip
    print("HTTP", results["http"], flush=True)
    web.terminate()
    base = st.get("stored", 0) + st.get("dead", 0)

    phase[0] = "udp"
    # -- UDP at the rate ---------------------------------------------------------------------
    udp_lines = syslog_lines(args.udp_rate * args.udp_seconds, now - dt.timedelta(minutes=30), 2)
    before = status(env)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    slot = 0.01
    per_slot = max(1, int(args.udp_rate * slot))
    t0 = time.monotonic()
    for k in range(0, len(udp_lines), per_slot):
        for x in udp_lines[k : k + per_slot]:
            u.sendto(x, ("127.0.0.1", udp_port))
        pause = t0 + (k // per_slot + 1) * slot - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    rate = len(udp_lines) / (time.monotonic() - t0)
    time.sleep(3)
    after = status(env)
    got = after.get("received_udp", 0) - before.get("received_udp", 0)
    dropped = after.get("udp_dropped", 0) - before.get("udp_dropped", 0)
    results["udp"] = {"sent": len(udp_lines), "rate": int(rate), "received": got, "dropped_counted": dropped,
                      "lost_in_kernel": len(udp_lines) - got,
                      "loss_percent": round(100 * (len(udp_lines) - got + dropped) / len(udp_lines), 3)}  # fmt: skip
    print("UDP", results["udp"], flush=True)
    collector.terminate()
    collector.wait(60)
    results["peak_rss_mb"] = int(peak[0] / 2**20)
    results["peak_rss_mb_by_phase"] = {k: int(v / 2**20) for k, v in phase_peak.items()}
    print(json.dumps(results, ensure_ascii=False, default=str))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
