"""Ping (ICMP echo) without a helper program: an unprivileged ICMP datagram socket where the
system allows one (Linux's ``net.ipv4.ping_group_range``), a raw socket when running as root;
otherwise the check fails, saying which setting allows it."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time

ECHO_REQUEST, ECHO_REPLY = 8, 0


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


def _packet(ident: int, seq: int) -> bytes:
    payload = b"insa-watch" + struct.pack("!d", time.time())
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, _checksum(header + payload), ident, seq) + payload


def _socket(family: int) -> tuple[socket.socket, bool]:
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        return socket.socket(family, socket.SOCK_DGRAM, proto), False
    except PermissionError:
        try:
            return socket.socket(family, socket.SOCK_RAW, proto), True
        except PermissionError:
            raise PermissionError(
                "ICMP를 보낼 권한이 없습니다: net.ipv4.ping_group_range에 이 프로세스의 그룹을 넣으세요"
            ) from None


async def ping(host: str, timeout: float, network: str = "ip") -> tuple[str, int]:
    """The answering address and the round trip in ms (OSError or TimeoutError otherwise)."""
    family = {"ip4": socket.AF_INET, "ip6": socket.AF_INET6}.get(network, 0)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, family=family, type=socket.SOCK_DGRAM)
    fam, *_, addr = infos[0]
    if fam != socket.AF_INET:
        raise OSError("ICMPv6 핑은 아직 지원하지 않습니다")
    sock, raw = _socket(fam)
    sock.setblocking(False)
    try:
        ident, seq = os.getpid() & 0xFFFF, int(time.monotonic() * 1000) & 0xFFFF
        t0 = time.perf_counter()
        await loop.sock_sendto(sock, _packet(ident, seq), (addr[0], 0))
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            data, peer = await asyncio.wait_for(loop.sock_recvfrom(sock, 2048), left)
            if raw:  # the IP header comes first on a raw socket
                data = data[(data[0] & 0x0F) * 4 :]
            kind, _code, _sum, got_id, got_seq = struct.unpack("!BBHHH", data[:8])
            # a datagram socket's id is the kernel's own: match on the sequence
            if kind == ECHO_REPLY and got_seq == seq and (got_id == ident or not raw):
                return peer[0], int((time.perf_counter() - t0) * 1000)
    finally:
        sock.close()
