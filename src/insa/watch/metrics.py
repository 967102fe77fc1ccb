"""The checker's metrics in the Prometheus exposition format: per monitor up, the latency of
its checks (a histogram) and its checks by result — served by ``insa watch run`` on
``--metrics`` (127.0.0.1:9464 by default) — and the monitors' states as the database has
them, added to the web app's ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from insa.watch.schemas import Monitor

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class CheckerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["monitor", "group", "ministry"]
        self.up = Gauge("insa_watch_up", "1 when the monitor's last check passed (점검 성공)", labels,
                        registry=self.registry)  # fmt: skip
        self.latency = Histogram("insa_watch_check_duration_seconds", "Latency of a monitor's checks (응답 시간)",
                                 labels, buckets=BUCKETS, registry=self.registry)  # fmt: skip
        self.checks = Counter("insa_watch_checks", "Checks run, by result (점검 횟수)", [*labels, "result"],
                              registry=self.registry)  # fmt: skip

    def observe(self, m: Monitor, ok: bool, latency_ms: int) -> None:
        names = (m.key, m.group, m.ministry)
        self.up.labels(*names).set(1 if ok else 0)
        self.latency.labels(*names).observe(latency_ms / 1000)
        self.checks.labels(*names, "success" if ok else "failure").inc()

    def serve(self, address: str) -> Any:
        """Serve ``/metrics`` on ``host:port``; None (with the reason) when it cannot."""
        from prometheus_client import start_http_server

        host, _, port = address.rpartition(":")
        return start_http_server(int(port), addr=host or "127.0.0.1", registry=self.registry)


class StateCollector(Collector):
    """The monitors' states as stored (``insa_watch_state``: 1 for the state a monitor is
    in) and the open incidents — read from the database at each scrape of the web app."""

    def __init__(self, db: Any) -> None:
        self.db = db  # a session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from insa.watch.models import WatchIncident, WatchMonitor

        state = GaugeMetricFamily("insa_watch_state", "Monitor state as stored (점검 상태)",
                                  labels=["monitor", "group", "ministry", "state"])  # fmt: skip
        up = GaugeMetricFamily("insa_watch_monitor_up", "1 up, 0 down or inhibited (as stored)",
                               labels=["monitor", "group", "ministry"])  # fmt: skip
        db = self.db
        rows = db.execute(select(WatchMonitor.key, WatchMonitor.group, WatchMonitor.ministry, WatchMonitor.state)
                          .where(WatchMonitor.active.is_(True))).all()  # fmt: skip
        open_ = int(db.scalar(select(func.count()).select_from(WatchIncident)
                              .where(WatchIncident.resolved_at.is_(None))) or 0)  # fmt: skip
        for key, group, ministry, st in rows:
            state.add_metric([key, group or "", ministry or "", st], 1)
            if st in ("up", "down", "inhibited"):
                up.add_metric([key, group or "", ministry or ""], 1 if st == "up" else 0)
        yield state
        yield up
        incidents = GaugeMetricFamily(
            "insa_watch_open_incidents", "Open incidents (진행 중인 장애)"
        )
        incidents.add_metric([], open_)
        yield incidents
