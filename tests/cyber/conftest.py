"""The loopback HTTP proxy of the page-evidence tests: it refuses every CONNECT (so each
fetch falls back from https to http) and serves the fixture sites (sites.py) by host name;
an unknown host is a 502."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from .sites import SITES


@pytest.fixture
def proxy() -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    port = server.getsockname()[1]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":  # no tunnels: https falls back to http
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            key = target.split("://", 1)[1]
            status, location, body = SITES.get(key, (502, "", ""))
            raw = body.encode() if isinstance(body, str) else body
            kind = (
                "text/html; charset=utf-8" if isinstance(body, str) else "application/octet-stream"
            )
            head = f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(raw)}\r\nConnection: close\r\n"
            if location:
                head += f"Location: {location}\r\n"
            conn.sendall(head.encode() + b"\r\n" + raw)

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed at the end of the test
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    stop.set()
    server.close()
