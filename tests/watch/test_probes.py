"""DNS answers (a small local responder) and TLS certificates (self-signed, made here)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from insa.watch.checker import run
from insa.watch.config import load

ANSWERS = {"gosi.kr.": "10.0.0.1", "wrong.kr.": "10.9.9.9"}


@pytest.fixture
def resolver() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, addr = sock.recvfrom(4096)
            except OSError:
                continue
            query = dns.message.from_wire(wire)
            reply = dns.message.make_response(query)
            name = query.question[0].name.to_text()
            if name in ANSWERS:
                reply.answer.append(dns.rrset.from_text(name, 60, "IN", "A", ANSWERS[name]))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), addr)

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1]
    stop.set()
    sock.close()


def _tls_server(tmp_path: Path, days: int) -> tuple[int, threading.Event]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days)).sign(key, hashes.SHA256()))  # fmt: skip
    cert_file, key_file = tmp_path / f"c{days}.pem", tmp_path / f"k{days}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], stop


def test_dns_answers_and_certificates(tmp_path: Path, resolver: int) -> None:
    soon, stop_soon = _tls_server(tmp_path, 1)
    later, stop_later = _tls_server(tmp_path, 30)
    every = "interval: 200ms, failure-threshold: 2"
    text = f"""
        endpoints:
          - {{name: dns-ok, url: "127.0.0.1:{resolver}", {every}, dns: {{query-name: gosi.kr, query-type: A}},
              conditions: ["[DNS_RCODE] == NOERROR", "[BODY] == 10.0.0.1"]}}
          - {{name: dns-wrong, url: "127.0.0.1:{resolver}", {every}, dns: {{query-name: wrong.kr, query-type: A}},
              conditions: ["[BODY] == 10.0.0.1"]}}
          - {{name: dns-nx, url: "127.0.0.1:{resolver}", {every}, dns: {{query-name: nx.kr, query-type: A}},
              conditions: ["[DNS_RCODE] == NOERROR"]}}
          - {{name: cert-soon, url: "tls://127.0.0.1:{soon}", {every}, client: {{insecure: true}},
              conditions: ["[CONNECTED] == true", "[CERTIFICATE_EXPIRATION] > 48h"]}}
          - {{name: cert-later, url: "tls://127.0.0.1:{later}", {every}, client: {{insecure: true}},
              conditions: ["[CONNECTED] == true", "[CERTIFICATE_EXPIRATION] > 48h"]}}
        """
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    config = load(path, {})
    assert config.ok, [str(p) for p in config.errors]
    out = tmp_path / "events.jsonl"
    try:
        run(config, out, 2.0)
    finally:
        stop_soon.set()
        stop_later.set()
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    opened = {e["monitor"]: e["cause"] for e in events if e["event"] == "open"}
    assert set(opened) == {"dns-wrong", "dns-nx", "cert-soon"}, events
    assert "NXDOMAIN" in opened["dns-nx"] and "10.9.9.9" in opened["dns-wrong"]
    assert (
        "[CERTIFICATE_EXPIRATION] (23h59m" in opened["cert-soon"] and "> 48h" in opened["cert-soon"]
    )


def test_ping_on_loopback(tmp_path: Path) -> None:
    """ICMP echo to 127.0.0.1 (a datagram socket where allowed, raw as root): up, its IP."""
    import asyncio

    from insa.watch.icmp import ping
    from insa.watch.probes import Clients, check

    ip, ms = asyncio.run(ping("127.0.0.1", 2.0))
    assert ip == "127.0.0.1" and 0 <= ms < 1000
    path = tmp_path / "p.yaml"
    path.write_text('endpoints:\n  - {name: ping, url: "icmp://127.0.0.1", '
                    'conditions: ["[CONNECTED] == true", "[IP] == 127.0.0.1"]}\n')  # fmt: skip
    monitor = load(path, {}).monitors[0]
    seen = asyncio.run(check(monitor, Clients()))
    assert seen.error == "" and seen.observation.connected and seen.observation.ip == "127.0.0.1"


def test_ping_without_an_answer_fails_within_its_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No echo reply (an obsolete ICMP information request sent instead of the echo request:
    nothing answers it, and a datagram socket refuses to send it — both a failed check; this
    sandbox's network answers pings to any address, so an unreachable one would not do): a
    failed check, bounded by the monitor's timeout, [CONNECTED] false; an unknown host too."""
    import asyncio
    import time

    from insa.watch import icmp
    from insa.watch.checker import outcome
    from insa.watch.probes import Clients, check

    monkeypatch.setattr(icmp, "ECHO_REQUEST", 15)
    path = tmp_path / "p.yaml"
    path.write_text('endpoints:\n  - {name: ping, url: "icmp://127.0.0.1", client: {timeout: 1s}, '
                    'conditions: ["[CONNECTED] == true"]}\n'
                    '  - {name: nowhere, url: "icmp://no-such-host.invalid", client: {timeout: 1s}, '
                    'conditions: ["[CONNECTED] == true"]}\n')  # fmt: skip
    for monitor in load(path, {}).monitors:
        t0 = time.monotonic()
        seen = asyncio.run(check(monitor, Clients()))
        assert time.monotonic() - t0 < 3
        assert seen.error and not seen.observation.connected, (monitor.name, seen)
        ok, failed = outcome(monitor, seen)
        assert not ok and "[CONNECTED] (false) == true" in failed


def test_websocket_echo(tmp_path: Path) -> None:
    import asyncio

    from websockets.asyncio.server import serve

    from insa.watch.probes import Clients, check

    async def main() -> tuple[object, object]:
        async def echo(ws) -> None:  # type: ignore[no-untyped-def]
            async for message in ws:
                await ws.send(f"pong:{message}")

        async with serve(echo, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            path = tmp_path / "w.yaml"
            path.write_text(f'endpoints:\n  - {{name: ws, url: "ws://127.0.0.1:{port}/", body: ping, '
                            'conditions: ["[CONNECTED] == true", "[BODY] == pong:ping"]}\n')  # fmt: skip
            monitor = load(path, {}).monitors[0]
            good = await check(monitor, Clients())
        gone = await check(monitor, Clients())  # the server has stopped
        return good, gone

    good, gone = asyncio.run(main())
    assert good.error == "" and good.observation.body == b"pong:ping"  # type: ignore[attr-defined]
    assert gone.error and not gone.observation.connected  # type: ignore[attr-defined]
