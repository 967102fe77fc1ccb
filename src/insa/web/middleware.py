"""Request plumbing every response passes: the body-size limit and the security headers."""

from __future__ import annotations

from typing import Any

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


MAX_BODY = 12 * 2**20  # a 10 MB receipt and the form around it


class BodyTooLarge(Exception):
    pass


class HttpMiddleware:
    """A plain ASGI middleware that handles HTTP requests (``http``) and passes everything
    else (lifespan, websockets) through unchanged."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Refuse request bodies over MAX_BODY (413): at once when Content-Length says so, and by
    counting the bytes as they arrive otherwise (chunked bodies included), before any form
    parser or upload spool sees more than the limit."""

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY:
            await _too_large(send)
            return
        seen = 0
        started = exceeded = False

        async def counted() -> Any:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def tracked(message: Any) -> None:
            nonlocal started
            if exceeded:  # whatever the app made of the cut-off body (a 400), the answer is 413
                if not started:
                    started = True
                    await _too_large(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


async def _too_large(send: Any) -> None:
    body = f"요청이 너무 큽니다: 한 번에 {MAX_BODY // 2**20}MB까지 보낼 수 있습니다.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders(HttpMiddleware):
    """No sniffing, no framing, same-origin referrers, a strict CSP (but on the API docs) and
    no caching of anything but static files; a header the route set itself is kept.

    A plain ASGI middleware: ``@app.middleware("http")`` (Starlette's BaseHTTPMiddleware)
    runs every request through an extra task and memory stream, which cost more per search
    than the query did."""

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        path: str = scope.get("path", "")
        extra = list(_HEADERS)
        if not path.startswith("/api/docs"):
            extra.append((b"content-security-policy", CSP.encode()))
        if not path.startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
