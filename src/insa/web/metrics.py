"""insa's own web metrics in the Prometheus exposition format (prometheus-client): requests
and their latency by route (the route's template, never the raw path: no personal data in
a label, no unbounded series) and answer status. One registry per process; with several
workers (``insa serve --workers``) the values go through prometheus-client's multiprocess
files (``PROMETHEUS_MULTIPROC_DIR``, set by ``insa serve``) and ``/metrics`` adds them up."""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from insa.web.middleware import HttpMiddleware

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("insa_http_requests", "HTTP requests answered (웹 요청 수)", ["method", "route", "status"],
                   registry=REGISTRY)  # fmt: skip
LATENCY = Histogram("insa_http_request_duration_seconds", "HTTP request latency (웹 응답 시간)", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=REGISTRY)  # fmt: skip
UNMATCHED = "(없는 경로)"


class RequestMetrics(HttpMiddleware):
    """Counts every HTTP request by method, route template and status, and times it."""

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None)
            if not route:
                route = (
                    "/static" if str(scope.get("path", "")).startswith("/static/") else UNMATCHED
                )
            method = str(scope.get("method", "GET"))
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - start)


def exposition(*extra: Any) -> bytes:
    """This process's (or every worker's) web metrics, and ``extra`` collectors."""
    registry = REGISTRY
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared and os.path.isdir(shared) and any(n.endswith(".db") for n in os.listdir(shared)):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    out = generate_latest(registry)
    if extra:
        more = CollectorRegistry(auto_describe=False)
        for c in extra:
            more.register(c)
        out += generate_latest(more)
    return out
