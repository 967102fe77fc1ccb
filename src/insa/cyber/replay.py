"""Replay: a file of events through the same pipeline as the live one — normalise, match,
correlate, group into incidents — as fast as it goes, the events' own timestamps the
clock. Input lines are events already normalised (ECS dotted keys) or raw lines with their
``log.format``; a line that cannot be read is a dead letter (named ``file:line`` with why),
never dropped silently."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insa.cyber.ecs import Event, ParseError, event_time, from_object
from insa.cyber.incidents import Grouper, Incident
from insa.cyber.sigma import Alert, Engine, RuleSet


@dataclass
class DeadLetter:
    where: str  # file:line
    error: str
    line: str


@dataclass
class Replayed:
    incidents: list[Incident]
    alerts: list[Alert]
    events: int
    dead: list[DeadLetter] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)


def read_events(
    path: Path, received: dt.datetime | None = None
) -> Iterator[tuple[int, Event | DeadLetter]]:
    """The file's events (or dead letters), with their line numbers."""
    now = received or dt.datetime.now(dt.UTC)
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                if not isinstance(doc, dict):
                    raise ParseError("JSON 객체가 아닙니다")
                yield n, from_object(doc, None, now)
            except json.JSONDecodeError as exc:
                yield (
                    n,
                    DeadLetter(
                        f"{path}:{n}",
                        f"JSON을 읽지 못했습니다 ({exc.msg}, {exc.colno}열)",
                        line.rstrip("\n"),
                    ),
                )
            except ParseError as exc:
                yield n, DeadLetter(f"{path}:{n}", str(exc), line.rstrip("\n"))


def run(
    events: Iterable[tuple[int, Event]], rules: RuleSet, window_seconds: int = 1800
) -> Replayed:
    """Events in time order (stable for equal times) through the rules into incidents."""
    ordered = sorted(events, key=lambda x: (event_time(x[1]), x[0]))
    engine = Engine(rules)
    grouper = Grouper(window_seconds)
    alerts: list[Alert] = []
    for seq, event in ordered:
        for a in engine.feed(seq, event):
            alerts.append(a)
            grouper.add(a)
    return Replayed(grouper.all(), alerts, len(ordered), hits=dict(engine.hits))


def replay(path: Path, rules: RuleSet, window_seconds: int = 1800) -> Replayed:
    good: list[tuple[int, Event]] = []
    dead: list[DeadLetter] = []
    for n, got in read_events(path):
        if isinstance(got, DeadLetter):
            dead.append(got)
        else:
            good.append((n, got))
    out = run(good, rules, window_seconds)
    out.dead = dead
    return out


def write_incidents(incidents: Sequence[Incident], out: Path) -> None:
    """One JSON object a line, written whole (a temporary file renamed) or not at all."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            for i in incidents:
                f.write(json.dumps(i.as_json(), ensure_ascii=False) + "\n")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def placeholders(
    lookalikes: Iterable[str] = (), indicators: Mapping[str, Iterable[str]] | None = None
) -> dict[str, list[str]]:
    """The values the shipped rules' placeholders are filled with."""
    import ipaddress

    ind = indicators or {}
    return {"lookalike_domains": sorted({d.strip().lower().rstrip(".") for d in lookalikes if d.strip()}),
            # in the form the events carry them (2001:0DB8::0001 is 2001:db8::1)
            "indicators_ip": sorted({str(ipaddress.ip_address(str(x).strip())) for x in ind.get("ip", [])}),
            "indicators_domain": sorted({str(x).lower() for x in ind.get("domain", [])}),
            "indicators_hash": sorted({str(x).lower() for x in ind.get("hash", [])})}  # fmt: skip


def read_indicators(path: Path) -> dict[str, list[str]]:
    """The centre's shared indicators: YAML or JSON ``{ip: [...], domain: [...], hash: [...]}``."""
    import ipaddress

    import yaml

    doc: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict) or set(doc) - {"ip", "domain", "hash"}:
        raise ValueError(f"{path}: 지표 파일은 ip, domain, hash 목록만 가질 수 있습니다")
    out = {k: [str(x).strip() for x in (doc.get(k) or [])] for k in ("ip", "domain", "hash")}
    for i, x in enumerate(out["ip"]):
        try:
            ipaddress.ip_address(x)
        except ValueError:
            raise ValueError(
                f"{path}: ip[{i}]는 주소 하나여야 합니다 (대역은 아직 받지 않습니다): {x}"
            ) from None
    return out
