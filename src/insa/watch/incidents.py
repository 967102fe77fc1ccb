"""When an incident opens and resolves — plain state over plain data, no I/O.

A monitor's incident opens after ``failure_threshold`` consecutive failed checks and resolves
after ``success_threshold`` consecutive good ones. A monitor one of whose ``depends-on``
monitors (transitively) has an open incident opens none of its own: it is listed as affected
on that incident (inhibition, as Alertmanager's). While something it depends on is failing
but has no incident yet, has not been checked yet, or has not been checked since the
dependent began failing, a dependent waits: when the twenty
services of one shared database fail at the same moment, the database's incident opens and
the twenty are listed on it, whichever check came back first. When that incident resolves,
an affected monitor still failing opens its own. A maintenance window or a silence
(``suppressed``) keeps incidents from opening; counting goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Rule:
    """What the book needs to know of a monitor."""

    key: str
    failure_threshold: int = 3
    success_threshold: int = 2
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    time: dt.datetime
    monitor: str
    event: Literal["open", "resolve"]
    incident: str
    cause: str


@dataclass
class Track:
    """One monitor's state."""

    checked: bool = False
    failures: int = 0  # consecutive
    successes: int = 0
    cause: str = ""  # of the last failed check
    incident: str | None = None  # its own open incident
    affected_by: str | None = None  # the dependency's incident it is listed on
    last_at: dt.datetime | None = None  # its latest check (when it began)
    failing_since: dt.datetime | None = (
        None  # the first of its current failures (when that check began)
    )


@dataclass
class Incident:
    id: str
    monitor: str
    opened_at: dt.datetime
    cause: str
    affected: list[str] = field(default_factory=list)  # listed on it now (still failing)
    listed: list[str] = field(default_factory=list)  # every monitor ever listed on it (its record)

    def list_(self, key: str) -> None:
        self.affected.append(key)
        if key not in self.listed:
            self.listed.append(key)


class Book:
    """Every monitor's track and the open incidents. ``new_id`` names a new incident."""

    def __init__(self, rules: Iterable[Rule], new_id: Callable[[str], str]) -> None:
        self.rules = {r.key: r for r in rules}
        self.tracks = {k: Track() for k in self.rules}
        self.open: dict[str, Incident] = {}
        self.new_id = new_id
        self._closure = {k: self._ancestors(k) for k in self.rules}
        self._dependents = self._reverse()

    def _reverse(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, closure in self._closure.items():
            for dep in closure:
                out.setdefault(dep, []).append(k)
        return out

    def _ancestors(self, key: str) -> tuple[str, ...]:
        seen: list[str] = []
        todo = list(self.rules[key].depends_on)
        while todo:
            k = todo.pop(0)
            if k not in seen and k in self.rules and k != key:
                seen.append(k)
                todo.extend(self.rules[k].depends_on)
        return tuple(seen)

    def restore(self, incidents: Iterable[Incident]) -> None:
        """Incidents still open from an earlier run (the checker's last good state)."""
        for inc in incidents:
            if inc.monitor in self.tracks:
                inc.listed = list(dict.fromkeys([*inc.listed, *inc.affected]))
                self.open[inc.id] = inc
                self.tracks[inc.monitor].incident = inc.id
                for k in inc.affected:
                    if k in self.tracks:
                        self.tracks[k].affected_by = inc.id

    def record(self, key: str, ok: bool, cause: str, at: dt.datetime, *,
               suppressed: bool = False, started: dt.datetime | None = None) -> list[Event]:  # fmt: skip
        """One check's result (``at`` when it came back, ``started`` when it began); the
        events it causes (in order). A dependency's check is fresh news for a dependent only
        if it *began* after the dependent began failing: one that began before (a slow check
        of a database that went down meanwhile) says nothing of the outage."""
        track, rule = self.tracks[key], self.rules[key]
        began = started or at
        track.checked = True
        track.last_at = began
        if ok:
            track.successes, track.failures = track.successes + 1, 0
            track.failing_since = None
        else:
            track.failures, track.successes = track.failures + 1, 0
            track.cause = cause
            if track.failing_since is None:
                track.failing_since = began
        events: list[Event] = []
        if track.incident is not None and track.successes >= rule.success_threshold:
            events += self._resolve(track.incident, at)
        elif track.affected_by is not None and ok:
            self._unlist(key)
        if not ok and track.failures >= rule.failure_threshold and not suppressed:
            events += self._maybe_open(key, at)
        if ok:  # dependents that waited for this check of what they depend on: their own now
            for other in self._dependents.get(key, ()):
                t = self.tracks[other]
                if (t.incident is None and t.affected_by is None
                        and t.failures >= self.rules[other].failure_threshold):  # fmt: skip
                    events += self._maybe_open(other, at)
        return events

    def _maybe_open(self, key: str, at: dt.datetime) -> list[Event]:
        track = self.tracks[key]
        if track.incident is not None or track.affected_by is not None:
            return []
        for dep in self._closure[key]:
            inc = self.tracks[dep].incident
            if inc is not None:  # inhibited: listed on what it depends on
                self.open[inc].list_(key)
                track.affected_by = inc
                return []
        for dep in self._closure[key]:
            d = self.tracks[dep]
            if not d.checked or d.failures > 0:  # wait on the state of what it depends on
                return []
            if (
                d.last_at is not None
                and track.failing_since is not None
                and d.last_at < track.failing_since
            ):
                return []  # … and on its first check since this one began failing
        inc_id = self.new_id(key)
        self.open[inc_id] = Incident(inc_id, key, at, track.cause)
        track.incident = inc_id
        events = [Event(at, key, "open", inc_id, track.cause)]
        # dependents that were waiting on this one: listed on it now
        for other, closure in self._closure.items():
            t = self.tracks[other]
            if (key in closure and t.incident is None and t.affected_by is None
                    and t.failures >= self.rules[other].failure_threshold):  # fmt: skip
                self.open[inc_id].list_(other)
                t.affected_by = inc_id
        return events

    def _unlist(self, key: str) -> None:
        track = self.tracks[key]
        inc = self.open.get(track.affected_by or "")
        if inc is not None and key in inc.affected:
            inc.affected.remove(key)
        track.affected_by = None

    def _resolve(self, inc_id: str, at: dt.datetime) -> list[Event]:
        inc = self.open.pop(inc_id)
        self.tracks[inc.monitor].incident = None
        events = [Event(at, inc.monitor, "resolve", inc_id, inc.cause)]
        for key in inc.affected:
            self.tracks[key].affected_by = None
        for key in inc.affected:  # still failing once the cause is gone: their own incident
            t = self.tracks[key]
            if t.failures >= self.rules[key].failure_threshold:
                events += self._maybe_open(key, at)
        # dependents that were waiting on this monitor while it was failing
        for other, closure in self._closure.items():
            t = self.tracks[other]
            if (inc.monitor in closure and t.incident is None and t.affected_by is None
                    and t.failures >= self.rules[other].failure_threshold):  # fmt: skip
                events += self._maybe_open(other, at)
        return events

    def close(self, inc_id: str, at: dt.datetime, cause: str) -> list[Event]:
        """An incident an operator resolved by hand: resolved as a recovery would resolve it,
        the monitor's count of failures started afresh (still failing, it opens a new
        incident after failure-threshold more failed checks)."""
        if inc_id not in self.open:
            return []
        monitor = self.open[inc_id].monitor
        events = self._resolve(inc_id, at)
        events[0] = Event(at, monitor, "resolve", inc_id, cause)
        self.tracks[monitor].failures = 0
        return events

    def add(self, rule: Rule) -> None:
        """A monitor added while running (or changed: its thresholds and dependencies)."""
        self.rules[rule.key] = rule
        self.tracks.setdefault(rule.key, Track())
        self._closure = {k: self._ancestors(k) for k in self.rules}
        self._dependents = self._reverse()

    def drop(self, key: str, at: dt.datetime) -> list[Event]:
        """A monitor removed while running: its open incident resolved."""
        events: list[Event] = []
        track = self.tracks.get(key)
        if track is None:
            return events
        if track.incident is not None:
            events = self.close(track.incident, at, "점검 대상에서 빠졌습니다")
        if track.affected_by is not None:
            self._unlist(key)
        del self.tracks[key], self.rules[key]
        self._closure = {k: self._ancestors(k) for k in self.rules}
        self._dependents = self._reverse()
        return events

    def state(self, key: str) -> str:
        """``down`` (own incident), ``inhibited`` (listed on a dependency's), ``up``, or
        ``unknown`` before its first check."""
        t = self.tracks[key]
        if not t.checked:
            return "unknown"
        return "down" if t.incident else "inhibited" if t.affected_by else "up"


def affected_of(book: Book) -> Mapping[str, list[str]]:
    """Every open incident's record of the monitors listed on it (recovered ones included:
    the incident's history keeps them)."""
    return {i: list(inc.listed) for i, inc in book.open.items()}
