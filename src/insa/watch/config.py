"""Monitors as configuration: a Gatus configuration file, or a directory of them, read as
Gatus reads it (TwiN/gatus config/config.go) — every ``*.yaml`` and ``*.yml`` under the
directory in name order, maps merged, lists appended, a plain value defined twice an error;
``$VAR`` and ``${VAR}`` replaced from the environment and ``$$`` kept as ``$`` — into
:class:`~insa.watch.schemas.Config`. Every problem names its file and line.

Sections insa does not use are reported as ignored; every URL scheme, placeholder and client
setting insa cannot run is named as unsupported, with its line. insa's additions, each
optional: ``ministry``, ``depends-on``, endpoint-level ``failure-threshold`` and
``success-threshold``, a push monitor's ``heartbeat.grace`` (docs/watch.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from insa.watch import alerting
from insa.watch.conditions import ConditionError, parse, uses
from insa.watch.durations import parse_ms
from insa.watch.schemas import (
    Alert,
    ClientTLS,
    Config,
    Heartbeat,
    Kind,
    Monitor,
    Problem,
    Severity,
    Where,
    Window,
)

IGNORED_SECTIONS = {
    "storage": "insa는 자체 데이터베이스에 기록합니다",
    "web": "웹 화면은 insa serve가 제공합니다",
    "ui": "화면은 insa의 것을 씁니다",
    "security": "로그인과 권한은 insa의 계정을 씁니다",
    "metrics": "insa는 /metrics를 늘 제공합니다",
    "announcements": "공지는 insa 화면에서 관리합니다",
    "skip-invalid-config-update": "insa는 설정을 다시 읽을 때 검증부터 합니다",
    "disable-monitoring-lock": "insa는 점검을 동시에 실행합니다(concurrency)",
    "debug": "로그 수준은 INSA_LOG_LEVEL로 정합니다",
    "remote": "다른 Gatus의 결과는 가져오지 않습니다",
    "connectivity": "연결 확인은 점검 대상마다 합니다",
}
UNSUPPORTED_SECTIONS = {
    "suites": "suites(연속 점검)는 지원하지 않습니다",
    "tunneling": "SSH 터널은 지원하지 않습니다",
}
SCHEMES: dict[str, Kind] = {"http": "http", "https": "http", "tcp": "tcp", "udp": "udp",
                            "icmp": "icmp", "tls": "tls", "ws": "websocket",
                            "wss": "websocket"}  # fmt: skip
UNSUPPORTED_SCHEMES = ("sctp", "starttls", "grpc", "grpcs", "ssh")
DNS_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT", "SOA", "CAA", "DS", "DNSKEY")
ENDPOINT_KEYS = {"enabled", "name", "group", "url", "method", "body", "graphql", "headers",
                 "interval", "conditions", "alerts", "maintenance-windows", "dns", "client",
                 "ui", "extra-labels", "ministry", "depends-on", "failure-threshold",
                 "success-threshold"}  # fmt: skip
EXTERNAL_KEYS = {"enabled", "name", "group", "token", "alerts", "heartbeat", "maintenance-windows",
                 "ministry", "depends-on", "failure-threshold", "success-threshold",
                 "extra-labels", "ui"}  # fmt: skip
CLIENT_KEYS = {"insecure", "ignore-redirect", "timeout", "dns-resolver", "proxy-url", "tls",
               "network"}  # fmt: skip
CLIENT_UNSUPPORTED = {"oauth2": "OAuth2 클라이언트 인증", "identity-aware-proxy": "Google IAP",
                      "tunnel": "SSH 터널", "store-cookies": "쿠키 보관"}  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _defaults() -> dict[str, int]:
    import datetime as dt

    from insa.params import load as load_params

    return dict(load_params("watch")["defaults"](dt.date.today()))


DEFAULTS = _defaults()
MINISTRY = re.compile(r"[A-Z][A-Z0-9_]{1,15}")


class Node:
    """A YAML mapping or list with the line of each of its entries."""


class Map(dict[str, Any], Node):
    line: int
    lines: dict[str, int]
    file: str
    files: dict[str, str]  # a key's file, when another file's merge brought it

    def where(self, key: str) -> Where:
        return Where(self.files.get(key, self.file), self.lines.get(key, self.line))


class Seq(list[Any], Node):
    line: int
    lines: list[int]
    file: str


MAX_ALIASES = 1_000  # YAML aliases a configuration may use (shared alerts, say), no bombs


def _loader(file: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise yaml.YAMLError(f"별칭(*)이 {MAX_ALIASES:,}개를 넘습니다")
            return super().compose_node(parent, index)

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Map:
        out = Map()
        out.line, out.lines, out.file, out.files = node.start_mark.line + 1, {}, file, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[str(key)] = loader.construct_object(value_node, deep=True)
            out.lines[str(key)] = key_node.start_mark.line + 1
        return out

    def sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> Seq:
        out = Seq(loader.construct_object(n, deep=True) for n in node.value)
        out.line, out.lines, out.file = (
            node.start_mark.line + 1,
            [n.start_mark.line + 1 for n in node.value],
            file,
        )
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return Loader


_VAR = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?\-]))")
_LITERAL = "\x00GATUS_LITERAL_DOLLAR_SIGN\x00"


def substitute(text: str, env: Mapping[str, str]) -> tuple[str, list[tuple[int, str]]]:
    """``$VAR`` and ``${VAR}`` from ``env`` as Go's ``os.ExpandEnv`` does (an unset one becomes
    empty), ``$$`` a literal ``$`` (Gatus); the unset names with their lines."""
    unset: list[tuple[int, str]] = []
    text = text.replace("$$", _LITERAL)

    def one(m: re.Match[str]) -> str:
        name = m.group(1) if m.group(1) is not None else m.group(2) or m.group(3)
        if name not in env:
            unset.append((text.count("\n", 0, m.start()) + 1, name))
        return env.get(name, "")

    return _VAR.sub(one, text).replace(_LITERAL, "$"), unset


def config_files(path: Path) -> list[Path]:
    """The file, or every ``*.yaml``/``*.yml`` under the directory, in Go's WalkDir order."""
    if not path.is_dir():
        return [path]
    out: list[Path] = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.is_dir():
                walk(entry)
            elif entry.suffix in (".yaml", ".yml"):
                out.append(entry)

    walk(path)
    return out


@dataclass
class _Reader:
    env: Mapping[str, str]
    problems: list[Problem] = field(default_factory=list)
    outside: Mapping[str, Monitor] = field(default_factory=dict)  # the files' (for web monitors)
    providers: Mapping[str, tuple[str, ...]] | None = None  # the files' alerting (web monitors)

    def add(self, where: Where, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(where, message, severity))

    # ---------------------------------------------------------------- files and merging

    def read(self, file: Path, label: str) -> Map | None:
        try:
            raw = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.add(Where(label, 1), f"읽을 수 없는 파일입니다: {exc}")
            return None
        return self.parse(raw, label)

    def parse(self, raw: str, label: str) -> Map | None:
        """One file's text (named ``label`` in problems)."""
        text, unset = substitute(raw, self.env)
        for line, name in unset:
            self.add(
                Where(label, line),
                f"환경 변수 {name}가 설정되지 않아 빈 값으로 바꿨습니다",
                "warning",
            )
        try:
            doc = yaml.load(text, Loader=_loader(label))  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            self.add(Where(label, line), f"YAML 문법 오류: {getattr(exc, 'problem', exc)}")
            return None
        if doc is None:
            return None
        if not isinstance(doc, Map):
            self.add(Where(label, 1), "설정 파일의 맨 위는 키: 값 목록이어야 합니다")
            return None
        return doc

    def merge(self, into: Map, other: Map, path: str = "") -> None:
        """Gatus's merge of two files: maps deep, lists appended, a plain value only once."""
        for key, value in other.items():
            here = f"{path}.{key}" if path else key
            if key not in into:
                into[key] = value
                into.lines[key] = other.lines[key]
                into.files[key] = other.files.get(key, other.file)
            elif isinstance(into[key], Map) and isinstance(value, Map):
                self.merge(into[key], value, here)
            elif isinstance(into[key], Seq) and isinstance(value, Seq):
                into[key].extend(value)
                into[key].lines.extend(value.lines)
            else:
                self.add(other.where(key),
                         f"'{here}'가 {into.where(key)}에도 있습니다 (값은 한 파일에만 둘 수 있습니다)")  # fmt: skip

    # ---------------------------------------------------------------- the whole

    def config(self, doc: Map, files: tuple[str, ...]) -> Config:
        for key in doc:
            where = doc.where(key)
            if key in IGNORED_SECTIONS:
                self.add(
                    where, f"'{key}'는 쓰지 않고 넘어갑니다: {IGNORED_SECTIONS[key]}", "ignored"
                )
            elif key in UNSUPPORTED_SECTIONS:
                self.add(where, UNSUPPORTED_SECTIONS[key])
            elif key not in (
                "endpoints",
                "external-endpoints",
                "alerting",
                "maintenance",
                "concurrency",
                "retention",
                "rdap",
            ):
                self.add(where, f"알 수 없는 키 '{key}'는 넘어갑니다", "ignored")
        notifiers = (
            dict(self.providers)
            if self.providers is not None
            else self.notifiers(doc.get("alerting"), doc)
        )
        monitors: list[Monitor] = []
        for kind, key in (("endpoint", "endpoints"), ("external", "external-endpoints")):
            items = doc.get(key)
            if items is None:
                continue
            if not isinstance(items, Seq):
                self.add(doc.where(key), f"'{key}'는 목록이어야 합니다")
                continue
            for i, item in enumerate(items):
                where = Where(_file_of(item, items), items.lines[i])
                if not isinstance(item, Map):
                    self.add(where, f"'{key}'의 항목은 키: 값 목록이어야 합니다")
                    continue
                made = (
                    self.endpoint(item, notifiers)
                    if kind == "endpoint"
                    else self.external(item, notifiers)
                )
                if made is not None:
                    monitors.append(made)
        if not monitors and not any(p.severity == "error" for p in self.problems):
            self.add(
                Where(files[0] if files else "?", 1),
                "점검할 endpoints나 external-endpoints가 없습니다",
            )
        monitors = self.dependencies(monitors)
        maintenance = (
            self.window(doc["maintenance"], doc, "maintenance")
            if isinstance(doc.get("maintenance"), Map)
            else None
        )
        concurrency = doc.get("concurrency")
        if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 0):
            self.add(
                doc.where("concurrency"),
                "'concurrency'는 0 이상의 정수여야 합니다",
            )
            concurrency = None
        keep = self.retention(doc)
        rdap = self.rdap(doc, monitors)
        return Config(files, tuple(monitors), maintenance, notifiers,
                      concurrency or None, tuple(sorted(self.problems, key=lambda p: p.where)),
                      *keep, rdap)  # fmt: skip

    def rdap(self, doc: Map, monitors: list[Monitor]) -> dict[str, str]:
        """insa's ``rdap: {servers: {kr: https://…/}}``: RDAP servers by domain suffix, over
        the shipped bootstrap; a [DOMAIN_EXPIRATION] monitor whose domain has none is warned of."""
        from insa.watch import rdap

        servers: dict[str, str] = {}
        raw = doc.get("rdap")
        if raw is not None:
            got = raw.get("servers") if isinstance(raw, Map) else None
            if not isinstance(got, Map):
                self.add(doc.where("rdap"), "'rdap'에는 servers: {도메인 접미사: URL}이 필요합니다")
            else:
                for suffix, url in got.items():
                    if not isinstance(url, str) or not re.match(r"https?://", url):
                        self.add(
                            got.where(suffix), f"rdap.servers.{suffix}는 http(s):// 주소여야 합니다"
                        )
                    else:
                        servers[str(suffix).lower().lstrip(".")] = url
        for m in monitors:
            if not any(uses(c, "[DOMAIN_EXPIRATION]") for c in m.conditions):
                continue
            from urllib.parse import urlsplit

            host = urlsplit(m.url).hostname or m.dns_query_name or ""
            try:
                rdap.server_for(rdap.registered_domain(host), servers)
            except rdap.RdapError as exc:  # it runs; that condition fails until a server is named
                self.add(
                    m.where,
                    f"[DOMAIN_EXPIRATION]: {exc} (그때까지 이 조건은 실패합니다)",
                    "warning",
                )
        return servers

    def retention(self, doc: Map) -> tuple[int, int]:
        """insa's ``retention: {results: 1d, hourly: 400d}``: how long raw results and their
        hourly roll-up are kept (the roll-up at least as long as the results)."""
        results, hourly = DEFAULTS["retention_results_ms"], DEFAULTS["retention_hourly_ms"]
        raw = doc.get("retention")
        if raw is None:
            return results, hourly
        if not isinstance(raw, Map):
            self.add(
                doc.where("retention"), "'retention'은 results, hourly를 담은 키: 값이어야 합니다"
            )
            return results, hourly
        for key in raw:
            if key not in ("results", "hourly"):
                self.add(
                    raw.where(key), f"retention의 알 수 없는 키 '{key}'는 넘어갑니다", "ignored"
                )
        for key in ("results", "hourly"):  # days too (30d), beside Go's durations
            value = raw.get(key)
            if isinstance(value, str) and re.fullmatch(r"\d+d", value.strip()):
                raw[key] = f"{int(value.strip()[:-1]) * 24}h"
        results = self.duration(raw, "results", results) or results
        hourly = self.duration(raw, "hourly", hourly) or hourly
        if results < 3_600_000:
            self.add(self.at(raw, "results"), "retention.results는 1h 이상이어야 합니다")
            results = DEFAULTS["retention_results_ms"]
        if hourly < results:
            self.add(self.at(raw, "hourly"), "retention.hourly는 results보다 짧을 수 없습니다")
            hourly = max(results, DEFAULTS["retention_hourly_ms"])
        return results, hourly

    def notifiers(self, section: Any, doc: Map) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        if section is None:
            return out
        if not isinstance(section, Map):
            self.add(doc.where("alerting"), "'alerting'은 키: 값 목록이어야 합니다")
            return out
        for provider, cfg in section.items():
            where = section.where(provider)
            if provider not in alerting.GATUS_PROVIDERS:
                self.add(where, f"알 수 없는 알림 종류 '{provider}'")
                continue
            urls, why = alerting.notifier_urls(provider, cfg if isinstance(cfg, Mapping) else {})
            if why:
                self.add(where, why, "warning")
            if urls:
                out[provider] = tuple(urls)
        return out

    # ---------------------------------------------------------------- one endpoint

    def common(self, item: Map, known: set[str]) -> dict[str, Any] | None:
        where = Where(item.file, item.line)
        for key in item:
            if key not in known:
                self.add(
                    item.where(key),
                    f"알 수 없는 키 '{key}'는 넘어갑니다",
                    "ignored",
                )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self.add(where, "'name'이 필요합니다")
            return None
        group = item.get("group") or ""
        out: dict[str, Any] = {"name": name, "group": str(group), "where": where}
        ministry = item.get("ministry")
        if ministry is not None:
            if not isinstance(ministry, str) or not MINISTRY.fullmatch(ministry):
                self.add(
                    self.at(item, "ministry"),
                    f"'ministry'는 기관 코드(예: MPM)여야 합니다: {ministry!r}",
                )
            else:
                out["ministry"] = ministry
        deps = item.get("depends-on")
        if deps is not None:
            if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
                self.add(
                    self.at(item, "depends-on"), "'depends-on'은 점검 이름의 목록이어야 합니다"
                )
            else:
                out["depends_on"] = tuple(deps)
        alerts = self.alerts(item)
        out["alerts"] = alerts
        first = alerts[0] if alerts else None
        for key, attr, default in (("failure-threshold", "failure_threshold", 3),
                                   ("success-threshold", "success_threshold", 2)):  # fmt: skip
            value = item.get(key, getattr(first, attr) if first else default)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                self.add(self.at(item, key), f"'{key}'는 1 이상의 정수여야 합니다")
                value = default
            out[attr] = value
        windows = item.get("maintenance-windows")
        if isinstance(windows, Seq):
            out["maintenance"] = tuple(w for i, raw in enumerate(windows)
                                       if isinstance(raw, Map) and (w := self.window(raw, windows, i)) is not None)  # fmt: skip
        labels = item.get("extra-labels")
        if isinstance(labels, Mapping):
            out["extra_labels"] = tuple((str(k), str(v)) for k, v in labels.items())
        return out

    def endpoint(self, item: Map, notifiers: Mapping[str, tuple[str, ...]]) -> Monitor | None:
        base = self.common(item, ENDPOINT_KEYS)
        if base is None or item.get("enabled") is False:
            if base is not None:
                self.add(
                    base["where"],
                    f"'{base['name']}'은 enabled: false라 점검하지 않습니다",
                    "ignored",
                )
            return None
        where: Where = base["where"]
        url = item.get("url")
        if not isinstance(url, str) or not url:
            self.add(where, "'url'이 필요합니다")
            return None
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        dns = item.get("dns")
        kind: Kind
        if dns is not None:
            kind = "dns"
            if not isinstance(dns, Map):
                self.add(
                    self.at(item, "dns"), "'dns'는 query-name과 query-type을 가진 목록이어야 합니다"
                )
                return None
            qtype = str(dns.get("query-type") or "").upper()
            if not dns.get("query-name"):
                self.add(self.at(item, "dns"), "'dns.query-name'이 필요합니다")
            if qtype not in DNS_TYPES:
                self.add(self.at(dns, "query-type") if "query-type" in dns else self.at(item, "dns"),
                         f"지원하지 않는 DNS 질의 종류입니다: {qtype or '(없음)'} ({', '.join(DNS_TYPES)})")  # fmt: skip
            base.update(dns_query_name=str(dns.get("query-name") or ""), dns_query_type=qtype)
        elif scheme in SCHEMES:
            kind = SCHEMES[scheme]
        elif scheme in UNSUPPORTED_SCHEMES:
            self.add(self.at(item, "url"), f"지원하지 않는 URL 방식입니다: {scheme}:// "
                     "(insa는 http, https, tcp, udp, icmp, tls, ws, wss와 DNS를 점검합니다)")  # fmt: skip
            return None
        else:
            self.add(self.at(item, "url"), f"알 수 없는 점검 종류입니다(URL 방식): {url}")
            return None
        if kind in ("tcp", "udp", "tls") and not re.fullmatch(
            r"[a-z]+://[^/:]+:\d{1,5}/?", url, re.I
        ):
            self.add(self.at(item, "url"), f"{scheme}://는 호스트:포트 형식이어야 합니다: {url}")
        interval = self.duration(item, "interval", 60_000)
        timeout = 10_000
        client = item.get("client")
        if client is not None:
            timeout = self.client(client, item, base)
        conditions = []
        raw_conditions = item.get("conditions")
        if not isinstance(raw_conditions, Seq) or not raw_conditions:
            self.add(where, "'conditions'가 하나 이상 필요합니다")
        else:
            for i, text in enumerate(raw_conditions):
                at = Where(raw_conditions.file, raw_conditions.lines[i])
                if not isinstance(text, str):
                    self.add(at, '조건은 문자열이어야 합니다 (예: "[STATUS] == 200")')
                    continue
                try:
                    cond = parse(text)
                except ConditionError as exc:
                    self.add(at, f"조건을 실행할 수 없습니다: {exc}")
                    continue
                if uses(cond, "[DOMAIN_EXPIRATION]") and interval < 300_000:
                    self.add(
                        at,
                        "[DOMAIN_EXPIRATION] 조건이 있으면 interval은 5m 이상이어야 합니다 (RDAP 조회 제한)",
                    )
                conditions.append(cond)
        headers = item.get("headers") or {}
        if not isinstance(headers, Mapping):
            self.add(self.at(item, "headers"), "'headers'는 이름: 값 목록이어야 합니다")
            headers = {}
        method = str(item.get("method") or "GET").upper()
        if not re.fullmatch(r"[A-Z]+", method):
            self.add(self.at(item, "method"), f"HTTP 메서드가 아닙니다: {method}")
        self.unsent(base["alerts"], notifiers, where)
        return Monitor(kind=kind, url=url, method=method, body=str(item.get("body") or ""),
                       graphql=bool(item.get("graphql")), interval_ms=interval, timeout_ms=timeout,
                       headers=tuple((str(k), str(v)) for k, v in headers.items()),
                       conditions=tuple(conditions),
                       alerts=tuple(replace(a, delivers=a.type in notifiers) for a in base.pop("alerts")),
                       **base)  # fmt: skip

    def external(self, item: Map, notifiers: Mapping[str, tuple[str, ...]]) -> Monitor | None:
        base = self.common(item, EXTERNAL_KEYS)
        if base is None or item.get("enabled") is False:
            return None
        token = item.get("token")
        if not isinstance(token, str) or len(token) < 8:
            self.add(
                base["where"],
                "'token'(8자 이상)이 필요합니다: 배치 작업이 이 값으로 결과를 보냅니다",
            )
            return None
        heartbeat = None
        beat = item.get("heartbeat")
        if isinstance(beat, Map):
            interval = self.duration(beat, "interval", 0)
            if interval and interval < 10_000:
                self.add(self.at(beat, "interval"), "'heartbeat.interval'은 10s 이상이어야 합니다")
            grace = self.duration(beat, "grace", 0)
            if interval:
                heartbeat = Heartbeat(interval, grace)
        self.unsent(base["alerts"], notifiers, base["where"])
        return Monitor(kind="push", token=token, heartbeat=heartbeat,
                       interval_ms=heartbeat.interval_ms if heartbeat else 60_000,
                       alerts=tuple(replace(a, delivers=a.type in notifiers) for a in base.pop("alerts")),
                       **base)  # fmt: skip

    def client(self, client: Any, item: Map, base: dict[str, Any]) -> int:
        if not isinstance(client, Map):
            self.add(self.at(item, "client"), "'client'는 키: 값 목록이어야 합니다")
            return 10_000
        for key in client:
            if key in CLIENT_UNSUPPORTED:
                self.add(
                    self.at(client, key),
                    f"client.{key}({CLIENT_UNSUPPORTED[key]})는 지원하지 않습니다",
                )
            elif key not in CLIENT_KEYS:
                self.add(
                    self.at(client, key), f"알 수 없는 client 설정 '{key}'는 넘어갑니다", "ignored"
                )
        base["insecure"] = bool(client.get("insecure"))
        base["follow_redirects"] = not client.get("ignore-redirect")
        base["proxy_url"] = str(client.get("proxy-url") or "")
        base["dns_resolver"] = str(client.get("dns-resolver") or "")
        network = str(client.get("network") or "ip")
        if network not in ("ip", "ip4", "ip6"):
            self.add(
                self.at(client, "network"),
                f"client.network는 ip, ip4, ip6 중 하나여야 합니다: {network}",
            )
        base["network"] = network
        tls = client.get("tls")
        if isinstance(tls, Map):
            cert_file, key_file = tls.get("certificate-file"), tls.get("private-key-file")
            if not cert_file or not key_file:
                self.add(
                    self.at(client, "tls"),
                    "client.tls에는 certificate-file과 private-key-file이 모두 필요합니다",
                )
            else:
                base["client_tls"] = ClientTLS(str(cert_file), str(key_file))
            if "renegotiation" in tls:
                self.add(
                    self.at(tls, "renegotiation"),
                    "client.tls.renegotiation은 넘어갑니다 (TLS 재협상은 하지 않습니다)",
                    "ignored",
                )
        timeout = self.duration(client, "timeout", 10_000)
        if timeout <= 0:
            self.add(self.at(client, "timeout"), "client.timeout은 0보다 커야 합니다")
            timeout = 10_000
        return timeout

    def alerts(self, item: Map) -> list[Alert]:
        raw = item.get("alerts")
        if raw is None:
            return []
        if not isinstance(raw, Seq):
            self.add(self.at(item, "alerts"), "'alerts'는 목록이어야 합니다")
            return []
        out = []
        for i, a in enumerate(raw):
            at = Where(raw.file, raw.lines[i])
            if not isinstance(a, Map) or not isinstance(a.get("type"), str):
                self.add(at, "알림에는 'type'이 필요합니다")
                continue
            if a["type"] not in alerting.GATUS_PROVIDERS:
                self.add(at, f"알 수 없는 알림 종류 '{a['type']}'")
                continue
            thresholds = {}
            for key, default in (("failure-threshold", 3), ("success-threshold", 2)):
                value = a.get(key, default)
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    self.add(self.at(a, key), f"'{key}'는 1 이상의 정수여야 합니다")
                    value = default
                thresholds[key] = value
            remind = self.duration(a, "minimum-reminder-interval", 0)
            escalate_after = self.duration(a, "escalate-after", 0)
            escalate_to = a.get("escalate-to")
            if escalate_to is not None and (
                not isinstance(escalate_to, str) or escalate_to not in alerting.GATUS_PROVIDERS
            ):
                self.add(self.at(a, "escalate-to"), f"알 수 없는 알림 종류 '{escalate_to}'")
                escalate_to = None
            if escalate_after and not escalate_to:
                self.add(self.at(a, "escalate-after"),
                         "escalate-after에는 상위 보고 대상 escalate-to(알림 종류)가 필요합니다")  # fmt: skip
            out.append(Alert(a["type"], thresholds["failure-threshold"], thresholds["success-threshold"],
                             bool(a.get("send-on-resolved")), str(a.get("description") or ""),
                             a.get("enabled") is not False, True, remind, escalate_after,
                             str(escalate_to or "")))  # fmt: skip
        return out

    def unsent(
        self, alerts: list[Alert], notifiers: Mapping[str, tuple[str, ...]], where: Where
    ) -> None:
        for a in alerts:
            if a.escalate_to and a.escalate_to not in notifiers:
                self.add(where, f"상위 보고 대상 '{a.escalate_to}' 알림 설정이 없어 상위 보고는 보내지 않습니다",
                         "warning")  # fmt: skip
            if a.type not in notifiers:
                self.add(
                    where,
                    f"'{a.type}' 알림 설정이 없어 이 알림은 보내지 않습니다 (기준값은 지킵니다)",
                    "warning",
                )

    def window(self, raw: Map, parent: Map | Seq, key: str | int) -> Window | None:
        at = Where(raw.file, raw.line)
        if raw.get("enabled") is False:
            return None
        start = str(raw.get("start") or "")
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", start):
            self.add(at, f"점검 중단 시간의 start는 hh:mm 형식이어야 합니다: {start or '(없음)'}")
            return None
        duration = self.duration(raw, "duration", 0)
        if duration <= 0:
            self.add(at, "점검 중단 시간의 duration이 필요합니다 (예: 1h, 30m)")
            return None
        every = raw.get("every") or []
        bad = [d for d in every if d not in WEEKDAYS] if isinstance(every, list) else [every]
        if bad:
            self.add(self.at(raw, "every"), f"every에는 요일 이름(Monday…Sunday)만 씁니다: {bad}")
        zone = str(raw.get("timezone") or "UTC")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(zone)
        except (ValueError, KeyError, OSError):
            self.add(self.at(raw, "timezone"), f"알 수 없는 시간대입니다: {zone}")
        return Window(start, duration, tuple(d for d in every if d in WEEKDAYS), zone)

    def duration(self, item: Map, key: str, default: int) -> int:
        if key not in item or item[key] is None:
            return default
        value = item[key]
        ms = parse_ms(value) if isinstance(value, str) else None
        if ms is None or ms < 0:
            self.add(self.at(item, key), f"'{key}'는 30s, 5m 같은 시간이어야 합니다: {value!r}")
            return default
        return ms

    def dependencies(self, monitors: list[Monitor]) -> list[Monitor]:
        """``depends-on`` names resolved to keys (a name alone when it is unique), duplicates
        and cycles refused."""
        keys: dict[str, Monitor] = dict(self.outside)
        for m in monitors:
            if m.key in self.outside:
                self.add(
                    m.where,
                    f"점검 '{m.key}'는 설정 파일 {self.outside[m.key].where}에 있습니다: 파일에서 고치세요",
                )
                continue
            if m.key in keys:
                self.add(
                    m.where,
                    f"점검 '{m.key}'가 {keys[m.key].where}에도 있습니다 (group과 name이 같으면 안 됩니다)",
                )
            keys[m.key] = m
        by_name: dict[str, list[str]] = {}
        for m in (*self.outside.values(), *monitors):
            by_name.setdefault(m.name, []).append(m.key)
        out = []
        for m in monitors:
            resolved = []
            for dep in m.depends_on:
                found = [dep] if dep in keys else by_name.get(dep, [])
                if len(found) != 1:
                    why = (
                        "없는 점검입니다"
                        if not found
                        else f"같은 이름이 여럿입니다({', '.join(found)}): group/name으로 쓰세요"
                    )
                    self.add(m.where, f"depends-on '{dep}': {why}")
                elif found[0] == m.key:
                    self.add(m.where, "depends-on에 자기 자신을 쓸 수 없습니다")
                else:
                    resolved.append(found[0])
            out.append(replace(m, depends_on=tuple(resolved)))
        graph = {
            **{k: m.depends_on for k, m in self.outside.items()},
            **{m.key: m.depends_on for m in out},
        }
        for cycle in _cycles(graph):
            self.add(
                keys[cycle[0]].where, "depends-on이 돌고 돕니다: " + " → ".join([*cycle, cycle[0]])
            )
        return out

    @staticmethod
    def at(item: Map, key: str) -> Where:
        return item.where(key)


def _file_of(value: Any, parent: Map | Seq) -> str:
    return value.file if isinstance(value, (Map, Seq)) else parent.file


def _cycles(graph: Mapping[str, tuple[str, ...]]) -> Iterator[list[str]]:
    """Each dependency cycle once (from the first of its monitors met)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(key: str) -> Iterator[list[str]]:
        state[key] = 1
        stack.append(key)
        for dep in graph.get(key, ()):
            if state.get(dep) == 1:
                yield stack[stack.index(dep) :]
            elif dep not in state:
                yield from visit(dep)
        stack.pop()
        state[key] = 2

    for key in graph:
        if key not in state:
            yield from visit(key)


def load_text(text: str, name: str = "config.yaml", env: Mapping[str, str] | None = None) -> Config:
    """A configuration given as text (a page, the API); problems name it ``name``."""
    reader = _Reader(dict(os.environ) if env is None else env)
    doc = reader.parse(text, name)
    if doc is None:
        if not reader.problems:
            reader.add(Where(name, 1), "점검할 endpoints나 external-endpoints가 없습니다")
        return Config((name,), problems=tuple(reader.problems))
    return reader.config(doc, (name,))


def load(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """The configuration at ``path`` (a file or a directory of them)."""
    reader = _Reader(dict(os.environ) if env is None else env)
    if not path.exists():
        return Config(
            (str(path),), problems=(Problem(Where(str(path), 1), "설정 파일이 없습니다"),)
        )
    files = config_files(path)
    merged: Map | None = None
    for file in files:
        doc = reader.read(file, str(file))
        if doc is None:
            continue
        if merged is None:
            merged = doc
        else:
            reader.merge(merged, doc)
    labels = tuple(str(f) for f in files)
    if merged is None:
        if not reader.problems:
            reader.add(
                Where(labels[0] if labels else str(path), 1),
                "점검할 endpoints나 external-endpoints가 없습니다",
            )
        return Config(labels, problems=tuple(reader.problems))
    return reader.config(merged, labels)


def load_web(definitions: Sequence[Mapping[str, Any]], base: Config) -> Config:
    """Monitors added in the web app (each a Gatus endpoint mapping) beside the files'
    configuration ``base``: their ``depends-on`` may name the files' monitors, their alerts
    go through the files' providers, and a key the files define is refused (a file stays
    the source of its monitors). Problems name them ``web`` with the monitor's place."""
    text = yaml.safe_dump({"endpoints": [dict(d) for d in definitions]}, allow_unicode=True,
                           sort_keys=False)  # fmt: skip
    reader = _Reader({}, outside={m.key: m for m in base.monitors}, providers=base.notifiers)
    doc = reader.parse(text, "web")
    if doc is None:
        return Config(("web",), problems=tuple(reader.problems))
    found = reader.config(doc, ("web",))
    return replace(found, monitors=tuple(m for m in found.monitors if m.key not in reader.outside))
