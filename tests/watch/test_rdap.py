"""[DOMAIN_EXPIRATION] by RDAP, against a local stub registry: the registered domain by the
public suffix list tldextract ships, the server by the configuration's rdap.servers or the
shipped bootstrap, the answer kept for five minutes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from insa.watch import rdap
from insa.watch.checker import outcome
from insa.watch.conditions import parse
from insa.watch.config import load_text
from insa.watch.probes import Clients, check
from insa.watch.schemas import Monitor, Where


@pytest.fixture
def registry() -> Iterator[tuple[int, list[str]]]:
    asked: list[str] = []
    expires = {"gosi.kr": 60, "mpm.go.kr": 10}  # days from now

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            name = self.path.rsplit("/domain/", 1)[-1]
            if name not in expires:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            at = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires[name])
            body = json.dumps({"objectClassName": "domain", "ldhName": name, "events": [
                {"eventAction": "registration", "eventDate": "2001-05-01T00:00:00Z"},
                {"eventAction": "expiration", "eventDate": at.strftime("%Y-%m-%dT%H:%M:%SZ")}]}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], asked
    server.shutdown()


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.gosi.kr", "gosi.kr"),
        ("a.b.mpm.go.kr", "mpm.go.kr"),
        ("example.co.uk", "example.co.uk"),
        ("GitHub.com.", "github.com"),
    ],  # fmt: skip
)
def test_the_registered_domain_comes_from_the_public_suffix_list(host: str, domain: str) -> None:
    assert rdap.registered_domain(host) == domain


def test_the_server_is_the_configured_one_before_the_bootstrap() -> None:
    assert rdap.server_for("example.com", {}).startswith("https://rdap.verisign.com/com/")
    assert rdap.server_for("mpm.go.kr", {"kr": "http://a/", "go.kr": "http://b/"}) == "http://b/"
    with pytest.raises(rdap.RdapError, match=r"\.kr"):
        rdap.server_for("gosi.kr", {})


def _monitor(url: str, condition: str) -> Monitor:
    return Monitor(
        "도메인",
        "http",
        Where("a.yaml", 1),
        url=url,
        timeout_ms=2_000,
        conditions=(parse(condition),),
    )


def test_domain_expiration_is_asked_of_rdap_once_in_five_minutes(
    registry: tuple[int, list[str]],
) -> None:
    port, asked = registry
    clients = Clients(rdap_servers={"kr": f"http://127.0.0.1:{port}/rdap/"})

    async def go() -> tuple[Any, Any, Any]:
        long = _monitor("http://www.gosi.kr/", "[DOMAIN_EXPIRATION] > 720h")
        short = _monitor("https://www.mpm.go.kr/", "[DOMAIN_EXPIRATION] > 720h")
        first, again, near = (
            await check(long, clients),
            await check(long, clients),
            await check(short, clients),
        )
        await clients.close()
        return (long, first), (long, again), (short, near)

    (m1, s1), (_, s2), (m3, s3) = asyncio.run(go())
    days = s1.observation.domain_expiration_ms / 86_400_000
    assert 59.9 < days <= 60.0
    assert outcome(m1, s1)[0] is True  # 60 days > 720 h
    assert s2.observation.domain_expiration_ms <= s1.observation.domain_expiration_ms
    assert outcome(m3, s3)[0] is False  # 10 days: under 720 h
    assert asked == [
        "/rdap/domain/gosi.kr",
        "/rdap/domain/mpm.go.kr",
    ]  # the second gosi.kr check: kept


def test_an_unknown_domain_is_the_checks_error(registry: tuple[int, list[str]]) -> None:
    port, _ = registry
    clients = Clients(rdap_servers={"kr": f"http://127.0.0.1:{port}/"})
    seen = asyncio.run(check(_monitor("http://nope.kr/", "[DOMAIN_EXPIRATION] > 1h"), clients))
    assert "RDAP" in seen.error and seen.observation.domain_expiration_ms == 0


def test_validate_warns_of_a_domain_without_an_rdap_server() -> None:
    text = """
endpoints:
  - name: 국가고시
    url: https://www.gosi.kr/
    interval: 1h
    conditions: ["[DOMAIN_EXPIRATION] > 720h"]
"""
    found = load_text(text, "a.yaml")
    assert found.ok  # it runs: that condition fails until a server is named, and validate says so
    assert [(p.where.line, p.severity) for p in found.problems if "rdap.servers" in p.message] == [
        (3, "warning")
    ]
    fixed = load_text("rdap: {servers: {kr: 'https://rdap.example.kr/'}}\n" + text, "a.yaml")
    assert (
        fixed.ok and not fixed.problems and fixed.rdap_servers == {"kr": "https://rdap.example.kr/"}
    )
