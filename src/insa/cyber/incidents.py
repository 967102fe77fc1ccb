"""Alerts grouped into incidents: an alert joins the open incident that shares its source
address or its correlation group and was last touched within the window (30 minutes by
default, dated data in ``params/events.yaml``); an alert that links two incidents merges
them. An incident that touches two or more ministries is joint. Plain objects over alerts
in time order."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from insa.cyber.sigma import Alert, Ev


@dataclass
class Incident:
    id: str
    first: dt.datetime
    last: dt.datetime
    rules: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    level: str = "low"
    ministries: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    events: set[Ev] = field(default_factory=set)  # (sequence number, ministry)
    groups: set[tuple[Any, ...]] = field(default_factory=set)
    alerts: int = 0

    @property
    def joint(self) -> bool:
        return len(self.ministries) >= 2

    def as_json(self) -> dict[str, Any]:
        """The replay contract's shape."""
        return {"incident": self.id, "rules": list(self.rules), "ministries": sorted(self.ministries),
                "source.ip": sorted(self.sources), "first": _iso(self.first), "last": _iso(self.last),
                "events": len(self.events), "joint": self.joint}  # fmt: skip


LEVELS = ["informational", "low", "medium", "high", "critical"]


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Grouper:
    def __init__(self, window_seconds: int = 1800, keep_closed: bool = True) -> None:
        self.window = dt.timedelta(seconds=window_seconds)
        self.open: list[Incident] = []
        self.closed: list[Incident] = []
        self.keep_closed = (
            keep_closed  # a replay keeps them to write them out; the collector has them stored
        )
        self.merges: list[
            tuple[str, str]
        ] = []  # (merged away, into), since the caller last took them

    def _keys(self, a: Alert) -> set[tuple[str, Any]]:
        keys: set[tuple[str, Any]] = {("ip", s) for s in a.sources}
        if a.correlation and a.group:
            keys.add(("group", (a.rule, a.group)))
        return keys

    def add(self, a: Alert) -> Incident:
        """The incident the alert is now part of."""
        self._expire(a.at)
        keys = self._keys(a)
        hits = [i for i in self.open if keys & self._incident_keys(i)]
        if not hits:
            inc = Incident(self._new_id(a), a.since, a.at)
            self.open.append(inc)
        else:
            inc = hits[0]
            for other in hits[1:]:  # the alert links them: one incident
                self._merge(inc, other)
                self.open.remove(other)
                self.merges.append((other.id, inc.id))
        inc.last = max(inc.last, a.at)
        inc.first = min(inc.first, a.since)
        if a.rule not in inc.rules:
            inc.rules.append(a.rule)
            inc.titles.append(a.title)
        inc.tags |= set(a.tags)
        if LEVELS.index(a.level if a.level in LEVELS else "medium") > LEVELS.index(inc.level):
            inc.level = a.level
        inc.ministries |= a.ministries
        inc.sources |= a.sources
        inc.events |= set(a.events)
        if a.correlation and a.group:
            inc.groups.add((a.rule, a.group))
        inc.alerts += 0 if a.continued else 1
        return inc

    @staticmethod
    def _incident_keys(i: Incident) -> set[tuple[str, Any]]:
        return {("ip", s) for s in i.sources} | {("group", g) for g in i.groups}

    @staticmethod
    def _merge(into: Incident, other: Incident) -> None:
        into.first, into.last = min(into.first, other.first), max(into.last, other.last)
        for r, t in zip(other.rules, other.titles, strict=True):
            if r not in into.rules:
                into.rules.append(r)
                into.titles.append(t)
        into.tags |= other.tags
        into.ministries |= other.ministries
        into.sources |= other.sources
        into.events |= other.events
        into.groups |= other.groups
        into.alerts += other.alerts
        if LEVELS.index(other.level) > LEVELS.index(into.level):
            into.level = other.level

    def _expire(self, now: dt.datetime) -> None:
        keep: list[Incident] = []
        for i in self.open:
            if now - i.last <= self.window:
                keep.append(i)
            elif self.keep_closed:
                self.closed.append(i)
        self.open = keep

    @staticmethod
    def _new_id(a: Alert) -> str:
        seed = (
            f"{a.rule}|{a.at.isoformat()}|{min(a.events)[0] if a.events else 0}|{sorted(a.sources)}"
        )
        return "INC-" + hashlib.sha1(seed.encode()).hexdigest()[:12]  # noqa: S324 - a name, not a secret

    def all(self) -> list[Incident]:
        return sorted(self.closed + self.open, key=lambda i: (i.first, i.id))
