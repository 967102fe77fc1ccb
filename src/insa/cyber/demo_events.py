"""The demo's security events, sent to the running collector and web app the way members
send them: a ministry's relay over syslog (TCP, octet-counted) and two ministries' pushes
over HTTP with their own tokens — benign traffic, then a password spray from one address
across three ministries (one joint incident), a brute force that succeeds at 질병관리청 and
a web scan at 행정중심복합도시건설청. Synthetic, sent once."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import socket
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

RELAY_MINISTRY = "MPVA"  # the demo relay on this machine (examples/cyber/collector.yaml: 127.0.0.1)
PUSHERS = ("MPM", "MOLEG", "KDCA", "SDIA")  # ministries that push over HTTP in the demo
SPRAY_FROM = "203.0.113.77"


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tokens(engine: Engine, password: str) -> dict[str, str]:
    """A sending account (security_operator of the ministry) and a fresh token for each
    pushing ministry."""
    from insa.db.engine import session_scope
    from insa.security import auth
    from insa.security.context import Ctx
    from insa.security.models import User
    from insa.security.users import create_user

    out = {}
    with session_scope(engine) as db:
        for m in PUSHERS:
            name = f"demo-relay-{m.lower()}"
            user = db.scalar(select(User).where(User.username == name))
            if user is None:
                user = create_user(Ctx.command_line(db), username=name, role="security_operator", password=password,
                                   agency_code=m, display_name=f"{m} 로그 전송")  # fmt: skip
                db.flush()
            out[m] = auth.create_api_token(db, user, "demo relay")
    return out


def _wait(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def syslog_lines(now: dt.datetime, rnd: random.Random, n: int) -> list[str]:
    out = []
    for i in range(n):
        at = now - dt.timedelta(seconds=n - i)
        ip = f"10.30.{rnd.randint(0, 40)}.{rnd.randint(1, 254)}"
        if i % 3:
            out.append(f'<134>1 {_iso(at)} web1 nginx - - - {ip} - - [{at.astimezone(dt.timezone(dt.timedelta(hours=9))):%d/%b/%Y:%H:%M:%S %z}] '
                       f'"GET /board/list.do?page={rnd.randint(1, 9)} HTTP/1.1" 200 {rnd.randint(900, 9000)} "-" "Mozilla/5.0"')  # fmt: skip
        else:
            out.append(f"<38>1 {_iso(at)} sso1 sshd 4411 - - Accepted publickey for user{rnd.randint(1, 900)} from {ip} port "
                       f"{rnd.randint(2000, 60000)} ssh2")  # fmt: skip
    return out


def spray(now: dt.datetime) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """24 failed log-ins from one address in three minutes: at 국가보훈부 over syslog, at
    인사혁신처 and 법제처 pushed (insa's own log-in failures and normalised events)."""
    lines: list[str] = []
    pushes: dict[str, list[dict[str, Any]]] = {"MPM": [], "MOLEG": []}
    for i in range(24):
        at = now + dt.timedelta(seconds=7 * i)
        user = f"kim{i:02d}"
        if i % 3 == 0:
            lines.append(
                f"<38>1 {_iso(at)} gw1 sshd 811 - - Failed password for invalid user {user} from {SPRAY_FROM} port {40000 + i} ssh2"
            )
        elif i % 3 == 1:
            entry = {
                "at": _iso(at),
                "actor": user,
                "action": "auth.login_failed",
                "client_addr": SPRAY_FROM,
                "target_type": "user",
            }
            pushes["MPM"].append(
                {"log.format": "insa-audit", "message": json.dumps(entry), "@timestamp": _iso(at)}
            )
        else:
            pushes["MOLEG"].append({"@timestamp": _iso(at), "event.category": "authentication", "event.action": "login",
                                    "event.outcome": "failure", "source.ip": SPRAY_FROM, "user.name": user, "host.name": "sso"})  # fmt: skip
    return lines, pushes


def brute_force(now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for i in range(12):
        at = now + dt.timedelta(seconds=15 * i)
        out.append({"log.format": "sshd", "@timestamp": _iso(at),
                    "message": f"{at:%b} {at.day:>2} {at:%H:%M:%S} db2 sshd[77]: Failed password for admin from 198.51.100.23 port {51000 + i} ssh2"})  # fmt: skip
    at = now + dt.timedelta(seconds=185)
    out.append({"log.format": "sshd", "@timestamp": _iso(at),
                "message": f"{at:%b} {at.day:>2} {at:%H:%M:%S} db2 sshd[77]: Accepted password for admin from 198.51.100.23 port 51999 ssh2"})  # fmt: skip
    return out


def web_scan(now: dt.datetime) -> list[dict[str, Any]]:
    paths = [
        "/.env",
        "/wp-login.php",
        "/phpmyadmin/",
        "/.git/config",
        "/server-status",
        "/backup.zip",
        "/actuator/env",
    ]
    out = []
    for i in range(40):
        at = now + dt.timedelta(seconds=i)
        kst = at.astimezone(dt.timezone(dt.timedelta(hours=9)))
        out.append({"log.format": "nginx", "@timestamp": _iso(at),
                    "message": f'192.0.2.150 - - [{kst:%d/%b/%Y:%H:%M:%S %z}] "GET {paths[i % len(paths)]}?x={i} HTTP/1.1" 404 153 "-" "zgrab/0.x"'})  # fmt: skip
    return out


def send_syslog(host: str, port: int, lines: list[str]) -> None:
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(b"".join(b"%d %s" % (len(x.encode()), x.encode()) for x in lines))


def push(host: str, port: int, token: str, docs: list[dict[str, Any]]) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(30):  # a 503 says the collector lags: wait and send again
        conn.request("POST", "/api/v1/cyber/events", body=json.dumps(docs),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        r = conn.getresponse()
        r.read()
        if r.status != 503:
            return r.status
        time.sleep(float(r.getheader("Retry-After") or 2))
    return 503


def run(engine: Engine, web: tuple[str, int], syslog: tuple[str, int], password: str, wait: float = 120.0,
        say: Callable[[str], None] = print) -> dict[str, int]:  # fmt: skip
    """Wait for the web app and the collector (bounded), then send it all; counts by path."""

    def web_up() -> bool:
        c = http.client.HTTPConnection(*web, timeout=2)
        c.request("GET", "/healthz")
        return c.getresponse().status == 200

    def collector_up() -> bool:
        socket.create_connection(syslog, timeout=2).close()
        return True

    if not _wait(web_up, wait) or not _wait(collector_up, wait):
        raise RuntimeError("웹 앱이나 수집기가 뜨지 않았습니다")
    keys = tokens(engine, password)
    rnd = random.Random(15)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sent = {"syslog": 0, "http": 0}
    noise = syslog_lines(now, rnd, 600)
    send_syslog(*syslog, noise)
    sent["syslog"] += len(noise)
    for m in PUSHERS:
        docs = [{"@timestamp": _iso(now - dt.timedelta(seconds=rnd.randint(1, 600))), "event.category": "authentication",
                 "event.outcome": "success", "source.ip": f"10.40.{rnd.randint(0, 20)}.{rnd.randint(1, 254)}",
                 "user.name": f"staff{rnd.randint(1, 500)}", "host.name": "sso"} for _ in range(200)]  # fmt: skip
        if push(*web, keys[m], docs) == 202:
            sent["http"] += len(docs)
    say("배경 이벤트를 보냈습니다: 이어서 세 부처에 걸친 비밀번호 살포를 보냅니다")
    lines, pushes = spray(now + dt.timedelta(seconds=1))
    send_syslog(*syslog, lines)
    sent["syslog"] += len(lines)
    for m, docs in pushes.items():
        if push(*web, keys[m], docs) == 202:
            sent["http"] += len(docs)
    for m, docs in (
        ("KDCA", brute_force(now + dt.timedelta(seconds=30))),
        ("SDIA", web_scan(now + dt.timedelta(seconds=60))),
    ):
        if push(*web, keys[m], docs) == 202:
            sent["http"] += len(docs)
    say(
        f"데모 보안 이벤트: syslog {sent['syslog']:,}건, HTTP {sent['http']:,}건 — 통합 관제 화면에서 합동 사고를 보세요"
    )
    return sent
