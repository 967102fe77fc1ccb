"""One check of a monitor: what it saw (for its conditions) and any error on the way.
asyncio throughout: HTTP with httpx, DNS with dnspython, TCP, UDP and TLS with asyncio's
streams; every check bounded by the monitor's timeout."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx

from insa.watch.conditions import Observation, uses
from insa.watch.schemas import Monitor

USER_AGENT = "insa-watch/1.0"
MAX_BODY = 1 << 20  # bytes of a response kept for the conditions


@dataclass(frozen=True)
class Seen:
    observation: Observation
    error: str = ""


class Clients:
    """HTTP clients shared by the monitors with the same client settings."""

    def __init__(self, engine: Any = None, rdap_servers: dict[str, str] | None = None) -> None:
        from insa.watch.rdap import Lookup

        self._clients: dict[tuple[Any, ...], httpx.AsyncClient] = {}
        self.engine = engine  # insa's own database (the ``database`` check of itself)
        self.rdap = Lookup(rdap_servers)

    def get(self, m: Monitor) -> httpx.AsyncClient:
        key = (m.insecure, m.follow_redirects, m.proxy_url, m.client_tls)
        if key not in self._clients:
            verify: Any = not m.insecure
            if m.client_tls is not None:
                ctx = ssl.create_default_context()
                if m.insecure:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                ctx.load_cert_chain(m.client_tls.certificate_file, m.client_tls.private_key_file)
                verify = ctx
            self._clients[key] = httpx.AsyncClient(
                verify=verify, follow_redirects=m.follow_redirects, proxy=m.proxy_url or None,
                limits=httpx.Limits(max_keepalive_connections=0),  # each check connects afresh
            )  # fmt: skip
        return self._clients[key]

    async def close(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()


def _expiry_ms(cert: dict[str, Any] | None) -> int:
    if not cert or "notAfter" not in cert:
        return 0
    until = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
    return int((until - dt.datetime.now(dt.UTC)).total_seconds() * 1000)


async def check(m: Monitor, clients: Clients) -> Seen:
    """One check, bounded by the monitor's timeout; ``[DOMAIN_EXPIRATION]`` asked of RDAP
    besides (bounded by the same timeout), whatever the call itself found."""
    seen = await _bounded(m, clients)
    if any(uses(c, "[DOMAIN_EXPIRATION]") for c in m.conditions):
        seen = await _domain(m, clients, seen)
    return seen


async def _bounded(m: Monitor, clients: Clients) -> Seen:
    t0 = time.perf_counter()
    try:
        return await asyncio.wait_for(_check(m, clients, t0), m.timeout_ms / 1000)
    except TimeoutError:
        ms = int((time.perf_counter() - t0) * 1000)
        return Seen(Observation(response_time_ms=ms), f"시간 초과 ({m.timeout_ms / 1000:g}초)")
    except (OSError, httpx.HTTPError, ssl.SSLError, ValueError) as exc:
        ms = int((time.perf_counter() - t0) * 1000)
        return Seen(Observation(response_time_ms=ms), f"{type(exc).__name__}: {exc}"[:300])


async def _check(m: Monitor, clients: Clients, t0: float) -> Seen:
    if m.kind == "http":
        return await _http(m, clients, t0)
    if m.kind in ("tcp", "tls"):
        return await _stream(m, t0)
    if m.kind == "dns":
        return await _dns(m, t0)
    if m.kind == "udp":
        return await _udp(m, t0)
    if m.kind == "websocket":
        return await _websocket(m, t0)
    if m.kind == "database":
        return await _database(clients, t0)
    if m.kind == "icmp":
        from insa.watch.icmp import ping

        host = urlsplit(m.url).hostname or ""
        ip, ms = await ping(host, m.timeout_ms / 1000, m.network)
        return Seen(Observation(ip=ip, response_time_ms=ms, connected=True))
    raise ValueError(f"{m.kind} 점검은 아직 이 검사기가 실행하지 않습니다")


async def _domain(m: Monitor, clients: Clients, seen: Seen) -> Seen:
    """The registered domain's expiry by RDAP; its failure is the check's error (the other
    conditions still see what the check saw)."""
    from dataclasses import replace

    from insa.watch.rdap import RdapError

    host = urlsplit(m.url).hostname or m.dns_query_name
    try:
        ms = await asyncio.wait_for(
            clients.rdap.until_expiry_ms(host or "", clients.get(m), m.timeout_ms / 1000),
            m.timeout_ms / 1000,
        )
    except TimeoutError:
        return Seen(seen.observation, "; ".join(filter(None, (seen.error, "RDAP: 시간 초과"))))
    except (RdapError, httpx.HTTPError, ValueError) as exc:
        why = f"RDAP: {exc}"[:300]
        return Seen(seen.observation, "; ".join(filter(None, (seen.error, why))))
    return Seen(replace(seen.observation, domain_expiration_ms=ms), seen.error)


async def _database(clients: Clients, t0: float) -> Seen:
    """insa's own database: a connection from its pool and ``SELECT 1``."""
    if clients.engine is None:
        raise ValueError("데이터베이스 연결이 없습니다")
    from sqlalchemy import select

    def ping() -> None:
        with clients.engine.connect() as conn:
            conn.execute(select(1))

    await asyncio.to_thread(ping)
    return Seen(
        Observation(connected=True, response_time_ms=int((time.perf_counter() - t0) * 1000))
    )


async def _http(m: Monitor, clients: Clients, t0: float) -> Seen:
    headers = {"User-Agent": USER_AGENT, **dict(m.headers)}
    content = m.body.encode() if m.body else None
    if m.graphql:
        import json

        headers.setdefault("Content-Type", "application/json")
        content = json.dumps({"query": m.body}).encode()
    async with clients.get(m).stream(m.method, m.url, headers=headers, content=content,
                                     timeout=m.timeout_ms / 1000) as r:  # fmt: skip
        body = b""
        async for chunk in r.aiter_bytes():
            body += chunk
            if len(body) >= MAX_BODY:
                break
        ms = int((time.perf_counter() - t0) * 1000)
        stream = r.extensions.get("network_stream")
        ip, cert = "", None
        if stream is not None:
            addr = stream.get_extra_info("server_addr")
            ip = addr[0] if addr else ""
            ssl_object = stream.get_extra_info("ssl_object")
            cert = ssl_object.getpeercert() if ssl_object is not None else None
        return Seen(Observation(status=r.status_code, ip=ip, response_time_ms=ms, connected=True,
                                certificate_expiration_ms=_expiry_ms(cert), body=body[:MAX_BODY]))  # fmt: skip


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"호스트:포트가 없습니다: {url}")
    return parts.hostname, parts.port


async def _stream(m: Monitor, t0: float) -> Seen:
    host, port = _host_port(m.url)
    context = None
    if m.kind == "tls":
        context = ssl.create_default_context()
        if m.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(host, port, ssl=context,
                                                   server_hostname=host if context else None)  # fmt: skip
    try:
        ms = int((time.perf_counter() - t0) * 1000)
        peer = writer.get_extra_info("peername")
        cert = None
        if context is not None:
            obj = writer.get_extra_info("ssl_object")
            cert = obj.getpeercert() if obj is not None else None
            if m.insecure and obj is not None and not cert:  # unverified: read the raw one
                from cryptography import x509

                der = obj.getpeercert(binary_form=True)
                if der:
                    until = x509.load_der_x509_certificate(der).not_valid_after_utc
                    cert = {"notAfter": until.strftime("%b %d %H:%M:%S %Y GMT")}
        body = b""
        if m.body:
            writer.write(m.body.encode())
            await writer.drain()
            body = await reader.read(MAX_BODY)
        return Seen(Observation(ip=peer[0] if peer else "", response_time_ms=ms, connected=True,
                                certificate_expiration_ms=_expiry_ms(cert), body=body))  # fmt: skip
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass


async def _dns(m: Monitor, t0: float) -> Seen:
    import dns.asyncquery
    import dns.message
    import dns.rcode

    target = m.url if "://" in m.url else f"udp://{m.url}"
    parts = urlsplit(target)
    host, port = parts.hostname or "", parts.port or 53
    query = dns.message.make_query(m.dns_query_name, m.dns_query_type)
    answer = await dns.asyncquery.udp(query, host, timeout=m.timeout_ms / 1000, port=port)
    ms = int((time.perf_counter() - t0) * 1000)
    first = ""
    for rrset in answer.answer:
        for rr in rrset:
            first = rr.to_text()
            break
        if first:
            break
    return Seen(Observation(dns_rcode=dns.rcode.to_text(answer.rcode()), response_time_ms=ms,
                            connected=True, body=first.encode()))  # fmt: skip


async def _udp(m: Monitor, t0: float) -> Seen:
    host, port = _host_port(m.url)
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()

    class Proto(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            if not got.done():
                got.set_result(data)

        def error_received(self, exc: Exception) -> None:
            if not got.done():
                got.set_exception(exc)

    transport, _ = await loop.create_datagram_endpoint(Proto, remote_addr=(host, port))
    try:
        transport.sendto(m.body.encode() if m.body else b"")
        body = await got
        ms = int((time.perf_counter() - t0) * 1000)
        return Seen(Observation(response_time_ms=ms, connected=True, body=body))
    finally:
        transport.close()


async def _websocket(m: Monitor, t0: float) -> Seen:
    """Connect, send the body (when there is one) and read one message, as Gatus does."""
    from websockets.asyncio.client import connect

    context = None
    if m.url.startswith("wss://"):
        context = ssl.create_default_context()
        if m.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    async with connect(m.url, ssl=context, additional_headers=dict(m.headers),
                       user_agent_header=USER_AGENT, open_timeout=m.timeout_ms / 1000) as ws:  # fmt: skip
        body = b""
        if m.body:
            await ws.send(m.body)
            got = await ws.recv()
            body = got.encode() if isinstance(got, str) else bytes(got)
        ms = int((time.perf_counter() - t0) * 1000)
        return Seen(Observation(response_time_ms=ms, connected=True, body=body[:MAX_BODY]))
