"""A generator of security logs for the control tower's tests, written from the formats'
own documentation (OpenSSH's messages, nginx's combined log format, RFC 5424/3164, FortiGate
key=value) and sharing nothing with insa's parsers: a password spray across three
ministries, a brute force followed by success, a web scan, and benign noise at volume."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

T0 = dt.datetime(2026, 11, 30, 23, 50, tzinfo=dt.UTC)
MINISTRIES = ["MPM", "MPVA", "MOLEG", "NAACC", "KDCA", "SDIA"]  # the joint centres' six members


def _iso(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sshd_line(at: dt.datetime, host: str, text: str, pid: int = 2211) -> str:
    return f"{at:%b} {at.day:>2} {at:%H:%M:%S} {host} sshd[{pid}]: {text}"


def nginx_line(at: dt.datetime, ip: str, method: str, target: str, status: int, size: int = 512,
               ua: str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)") -> str:  # fmt: skip
    kst = at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    return f'{ip} - - [{kst:%d/%b/%Y:%H:%M:%S %z}] "{method} {target} HTTP/1.1" {status} {size} "-" "{ua}"'


def raw(ministry: str, fmt: str, at: dt.datetime, message: str) -> dict[str, Any]:
    return {
        "organization.id": ministry,
        "log.format": fmt,
        "@timestamp": _iso(at),
        "message": message,
    }


def spray(source: str = "203.0.113.77", start: dt.datetime = T0, users: int = 24,
          ministries: tuple[str, ...] = ("MPM", "MPVA", "MOLEG")) -> list[dict[str, Any]]:  # fmt: skip
    """One address trying one password for many user names, across three ministries:
    sshd at one, insa's own log-in at another, already-normalised events at the third."""
    out = []
    for i in range(users):
        at = start + dt.timedelta(seconds=7 * i)
        m = ministries[i % len(ministries)]
        user = f"kim{i:02d}"
        if i % 3 == 0:
            out.append(
                raw(
                    m,
                    "sshd",
                    at,
                    sshd_line(
                        at,
                        "gw1",
                        f"Failed password for invalid user {user} from {source} port {40000 + i} ssh2",
                    ),
                )
            )
        elif i % 3 == 1:
            audit = {"at": _iso(at), "actor": user, "actor_role": None, "action": "auth.login_failed",
                     "target_type": "user", "target_id": None, "agency_id": None, "client_addr": source, "detail": None}  # fmt: skip
            out.append(raw(m, "insa-audit", at, json.dumps(audit)))
        else:
            out.append({"@timestamp": _iso(at), "organization.id": m, "event.category": "authentication",
                        "event.action": "login", "event.outcome": "failure", "source.ip": source, "user.name": user})  # fmt: skip
    return out


def brute_then_success(source: str = "198.51.100.23", ministry: str = "KDCA", user: str = "admin",
                       start: dt.datetime = T0 + dt.timedelta(minutes=3)) -> list[dict[str, Any]]:  # fmt: skip
    out = []
    for i in range(12):
        at = start + dt.timedelta(seconds=20 * i)
        out.append(
            raw(
                ministry,
                "sshd",
                at,
                sshd_line(
                    at, "db2", f"Failed password for {user} from {source} port {51000 + i} ssh2"
                ),
            )
        )
    at = start + dt.timedelta(seconds=20 * 12 + 5)
    out.append(
        raw(
            ministry,
            "sshd",
            at,
            sshd_line(at, "db2", f"Accepted password for {user} from {source} port 51999 ssh2"),
        )
    )
    return out


def web_scan(source: str = "192.0.2.150", ministry: str = "NAACC",
             start: dt.datetime = T0 + dt.timedelta(minutes=6)) -> list[dict[str, Any]]:  # fmt: skip
    paths = ["/.env", "/wp-login.php", "/phpmyadmin/", "/admin/config.php", "/.git/config", "/server-status",
             "/backup.zip", "/cgi-bin/test.cgi", "/actuator/env", "/solr/admin/"]  # fmt: skip
    out = []
    for i in range(45):
        at = start + dt.timedelta(seconds=i)
        target = paths[i % len(paths)] + ("" if i < 10 else f"?v={i}")
        out.append(
            raw(
                ministry,
                "nginx",
                at,
                nginx_line(at, source, "GET", target, 404, 153, "Mozilla/5.0 zgrab/0.x"),
            )
        )
    return out


def noise(n: int, seed: int = 7, start: dt.datetime = T0) -> Iterator[dict[str, Any]]:
    """Benign traffic: people logging in (a typo now and then), pages served, firewall
    accepts; spread over ministries and a few hundred addresses."""
    rnd = random.Random(seed)
    pages = [
        "/",
        "/index.do",
        "/board/list.do?page=2",
        "/static/app.js",
        "/login.do",
        "/notice/view.do?id=1201",
    ]
    for i in range(n):
        at = start + dt.timedelta(milliseconds=137 * i)
        m = rnd.choice(MINISTRIES)
        ip = f"10.{rnd.randint(0, 20)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        kind = rnd.random()
        if kind < 0.5:
            yield raw(m, "nginx", at, nginx_line(at, ip, "GET", rnd.choice(pages), rnd.choice([200, 200, 200, 304, 302]),
                                                  rnd.randint(200, 90000)))  # fmt: skip
        elif kind < 0.7:
            user = f"user{rnd.randint(1, 5000)}"
            ok = rnd.random() > 0.05
            text = f"{'Accepted publickey' if ok else 'Failed password'} for {user} from {ip} port {rnd.randint(1024, 65000)} ssh2"
            yield raw(m, "sshd", at, sshd_line(at, f"srv{rnd.randint(1, 9)}", text))
        elif kind < 0.9:
            line = (f'date={at:%Y-%m-%d} time={at:%H:%M:%S} devname="FGT-{m}" devid="FG100F" logid="0000000013" '
                    f'type="traffic" subtype="forward" level="notice" srcip={ip} srcport={rnd.randint(1024, 65000)} '
                    f'dstip=172.16.{rnd.randint(0, 9)}.{rnd.randint(1, 254)} dstport=443 proto=6 action="accept" policyid=12')  # fmt: skip
            yield raw(m, "kv", at, line)
        else:
            audit = {"at": _iso(at), "actor": f"hr{rnd.randint(1, 300)}", "actor_role": "hr_officer", "action": "auth.login",
                     "target_type": "user", "target_id": str(rnd.randint(1, 300)), "agency_id": 1, "client_addr": ip, "detail": None}  # fmt: skip
            yield raw(m, "insa-audit", at, json.dumps(audit))
