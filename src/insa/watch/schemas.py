"""The shapes of the failure-detection domain: monitors as a Gatus configuration file defines
them (with insa's additions), and what validating a configuration found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from insa.errors import Where as Where  # a place in an input file, shown file:line
from insa.watch.conditions import Condition

Kind = Literal["http", "tcp", "udp", "icmp", "tls", "websocket", "dns", "push", "database"]
Severity = Literal["error", "warning", "ignored"]
SEVERITY_LABELS = {"error": "오류", "warning": "주의", "ignored": "무시"}


@dataclass(frozen=True)
class Problem:
    where: Where
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Alert:
    """An endpoint's alert: where it goes (a Gatus provider type) and when."""

    type: str
    failure_threshold: int = 3
    success_threshold: int = 2
    send_on_resolved: bool = False
    description: str = ""
    enabled: bool = True
    delivers: bool = True  # False: its provider is not configured (or has no Apprise service)
    reminder_ms: int = 0  # Gatus's minimum-reminder-interval: told again while open (0: never)
    escalate_after_ms: int = 0  # insa: not acknowledged this long → told to escalate_to
    escalate_to: str = ""  # a provider type


@dataclass(frozen=True)
class Window:
    """A maintenance window: from ``start`` (hh:mm, in ``timezone``) for ``duration_ms``, on
    the ``every`` weekdays (every day when empty)."""

    start: str
    duration_ms: int
    every: tuple[str, ...] = ()
    timezone: str = "UTC"


@dataclass(frozen=True)
class Heartbeat:
    """A push monitor's expected calls: one every ``interval_ms``, ``grace_ms`` tolerated."""

    interval_ms: int
    grace_ms: int = 0


@dataclass(frozen=True)
class ClientTLS:
    certificate_file: str
    private_key_file: str


@dataclass(frozen=True)
class Monitor:
    """One thing to check (a Gatus endpoint or external endpoint)."""

    name: str
    kind: Kind
    where: Where
    group: str = ""
    url: str = ""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    graphql: bool = False
    interval_ms: int = 60_000
    timeout_ms: int = 10_000
    conditions: tuple[Condition, ...] = ()
    alerts: tuple[Alert, ...] = ()
    failure_threshold: int = 3
    success_threshold: int = 2
    ministry: str = ""
    depends_on: tuple[str, ...] = ()  # keys of other monitors
    maintenance: tuple[Window, ...] = ()
    dns_query_name: str = ""
    dns_query_type: str = ""
    insecure: bool = False
    follow_redirects: bool = True
    proxy_url: str = ""
    dns_resolver: str = ""
    client_tls: ClientTLS | None = None
    network: str = "ip"  # icmp: ip, ip4 or ip6
    token: str = ""  # push monitors
    heartbeat: Heartbeat | None = None
    extra_labels: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Unique across a configuration, as Gatus's: ``group/name`` (or the name alone)."""
        return f"{self.group}/{self.name}" if self.group else self.name


@dataclass(frozen=True)
class Config:
    """A loaded configuration: its monitors and everything found on the way."""

    files: tuple[str, ...]
    monitors: tuple[Monitor, ...] = ()
    maintenance: Window | None = None  # the global window (Gatus's top-level `maintenance`)
    notifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # provider → Apprise URLs
    concurrency: int | None = None
    problems: tuple[Problem, ...] = ()
    retention_results_ms: int = 86_400_000  # raw results kept (insa's `retention.results`)
    retention_hourly_ms: int = 400 * 86_400_000  # hourly roll-up kept (`retention.hourly`)
    rdap_servers: dict[str, str] = field(
        default_factory=dict
    )  # insa's `rdap.servers`: suffix → URL

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors
