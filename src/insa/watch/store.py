"""The checker's records in the database: the monitors it runs (registered with their
state, for the pages), results (batched, each batch added to its monitors' hourly rows in
the same transaction, so the uptime of 24 hours or 90 days is a sum over a few rows),
incidents with their timeline (each change committed before its event line is written, so
a crash leaves the last good state and a restarted checker carries on with the incidents
still open) and what the operators set in the web app (silences, acknowledgements,
incidents closed by hand, monitors added there)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from insa.db.engine import session_scope
from insa.people.models import Agency
from insa.security.models import Centre
from insa.watch import silences as sil
from insa.watch.incidents import Event, Incident
from insa.watch.models import (
    WatchDelivery,
    WatchHourly,
    WatchIncident,
    WatchMonitor,
    WatchNote,
    WatchPush,
    WatchResult,
    WatchSilence,
)
from insa.watch.schemas import Monitor

CHECKER = "점검기"  # the actor of the timeline entries the checker writes

Result = tuple[dt.datetime, str, bool, int, str]  # at, monitor key, ok, latency ms, failed


def _aware(value: Any) -> dt.datetime:
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def hour_of(at: dt.datetime) -> dt.datetime:
    return _aware(at).replace(minute=0, second=0, microsecond=0)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def shown_target(m: Monitor) -> str:
    """What the pages show of a monitor's target: its URL without credentials or query."""
    from urllib.parse import urlsplit

    if m.kind == "push":
        return "푸시 (배치 작업이 호출)"
    if m.kind == "database":
        return "insa 데이터베이스"
    try:
        parts = urlsplit(m.url)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}" if parts.scheme else m.url
    if m.kind == "dns":
        shown = f"DNS {m.dns_query_type} {m.dns_query_name} @ {host or m.url}"
    return shown[:500]


def agency_ids(db: Session, codes: Iterable[str]) -> tuple[dict[str, int], int | None]:
    """Agency code → id, and the failure-detection centre's host agency (the owner of
    monitors that name no ministry)."""
    wanted = sorted({c for c in codes if c})
    found: dict[str, int] = {}
    if wanted:
        rows = db.execute(select(Agency.code, Agency.id).where(Agency.code.in_(wanted)))
        found = {str(c): int(i) for c, i in rows}
    host = db.scalar(
        select(Centre.host_agency_id).where(Centre.kind == "watch").order_by(Centre.id).limit(1)
    )
    return found, host


@dataclass(frozen=True)
class Sync:
    """What the operators changed, read by the checker every second."""

    silences: tuple[sil.Silence, ...]
    acknowledged: frozenset[str]  # open incidents someone acknowledged
    closed: frozenset[str]  # open incidents an operator resolved by hand
    web_version: tuple[tuple[str, str], ...]  # the web monitors (key, updated) — changed: reload


class Store:
    def __init__(self, engine: Engine, ministries: Mapping[str, str]) -> None:
        self.engine = engine
        self.ministries = dict(ministries)  # monitor key → agency code
        self.agencies: dict[str, int | None] = {}  # monitor key → agency id (tenancy)

    # ------------------------------------------------------------------ monitors

    def register(
        self,
        monitors: Iterable[Monitor],
        now: dt.datetime,
        source_of: Mapping[str, str] | None = None,
        retire: bool = True,
    ) -> None:
        """The monitors of this run, written to the registry (the file that defines each one
        is its source); monitors a file defined that are gone from it are marked inactive
        (their history stays)."""
        monitors = list(monitors)
        source_of = source_of or {}
        with session_scope(self.engine) as db:
            codes, host = agency_ids(db, (m.ministry for m in monitors))
            existing = {r.key: r for r in db.scalars(select(WatchMonitor))}
            for m in monitors:
                self.ministries[m.key] = m.ministry
                agency = codes.get(m.ministry, host) if m.ministry else host
                self.agencies[m.key] = agency
                row = existing.get(m.key)
                source = source_of.get(m.key, m.where.file)
                values = {"name": m.name, "group": m.group, "ministry": m.ministry or None,
                          "agency_id": agency, "kind": m.kind, "target": shown_target(m),
                          "interval_ms": m.heartbeat.interval_ms if m.heartbeat else m.interval_ms,
                          "source": source, "active": True}  # fmt: skip
                if row is None:
                    db.add(WatchMonitor(key=m.key, state="unknown", since=now, updated_at=now,
                                        updated_by=CHECKER, **values))  # fmt: skip
                else:
                    if row.source == "web" and source != "web":
                        row.definition = None  # a file defines it now: the file is its source
                    for k, v in values.items():
                        setattr(row, k, v)
            keys = {m.key for m in monitors}
            for key, row in existing.items() if retire else ():
                if key not in keys and row.active and row.source != "web":
                    row.active = False

    def web_definitions(self) -> list[tuple[str, dict[str, Any], str]]:
        """The monitors added in the web app: (key, Gatus endpoint mapping, updated)."""
        with session_scope(self.engine) as db:
            rows = db.execute(select(WatchMonitor.key, WatchMonitor.definition, WatchMonitor.updated_at)
                              .where(WatchMonitor.source == "web", WatchMonitor.active.is_(True))
                              .order_by(WatchMonitor.key)).all()  # fmt: skip
            return [(k, dict(d or {}), str(u)) for k, d, u in rows]

    # ------------------------------------------------------------------ results

    def save_results(
        self, results: Iterable[Result], states: Mapping[str, tuple[str, dt.datetime]] | None = None
    ) -> int:
        """A batch of results: stored raw, added to their hourly rows, and each monitor's
        latest result and state written to the registry — one transaction."""
        batch = list(results)
        if not batch and not states:
            return 0
        rows = [{"at": at, "monitor": key, "ministry": self.ministries.get(key) or None, "ok": ok,
                 "latency_ms": ms, "failed": failed or None} for at, key, ok, ms, failed in batch]  # fmt: skip
        hours: dict[tuple[str, dt.datetime], list[int]] = {}
        latest: dict[str, Result] = {}
        for r in batch:
            at, key, ok, ms, _ = r
            h = hours.setdefault((key, hour_of(at)), [0, 0, 0, 0])
            h[0] += 1
            h[1] += 0 if ok else 1
            h[2] += ms
            h[3] = max(h[3], ms)
            if key not in latest or latest[key][0] <= at:
                latest[key] = r
        with session_scope(self.engine) as db:
            if rows:
                db.execute(insert(WatchResult), rows)
                self._add_hours(db, hours)
            changes: dict[str, dict[str, Any]] = {}
            for key, (at, _, ok, ms, failed) in latest.items():
                changes[key] = {"key": key, "last_at": at, "last_ok": ok, "last_latency_ms": ms,
                                "last_cause": (failed or None) if not ok else None}  # fmt: skip
            for key, (state, since) in (states or {}).items():
                changes.setdefault(key, {"key": key}).update(state=state, since=since)
            if changes:
                # the registered monitors only (register() knows them: no query a second)
                updates = [c for k, c in changes.items() if k in self.agencies]
                if updates:
                    db.execute(update(WatchMonitor), updates)
        return len(rows)

    def _add_hours(self, db: Session, hours: Mapping[tuple[str, dt.datetime], list[int]]) -> None:
        dialect = self.engine.dialect.name
        from sqlalchemy.dialects import postgresql, sqlite

        stmt: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(WatchHourly)
        bigger = func.greatest if dialect == "postgresql" else func.max
        stmt = stmt.on_conflict_do_update(
            index_elements=["monitor", "hour"],
            set_={
                "checks": WatchHourly.checks + stmt.excluded.checks,
                "failures": WatchHourly.failures + stmt.excluded.failures,
                "latency_sum_ms": WatchHourly.latency_sum_ms + stmt.excluded.latency_sum_ms,
                "latency_max_ms": bigger(WatchHourly.latency_max_ms, stmt.excluded.latency_max_ms),
            },
        )
        db.execute(stmt, [{"monitor": k, "hour": h, "ministry": self.ministries.get(k) or None,
                           "checks": v[0], "failures": v[1], "latency_sum_ms": v[2],
                           "latency_max_ms": v[3]} for (k, h), v in sorted(hours.items())])  # fmt: skip

    def prune(
        self, now: dt.datetime, keep_results: dt.timedelta, keep_hourly: dt.timedelta
    ) -> tuple[int, int]:
        """Raw results older than ``keep_results`` and hourly rows older than ``keep_hourly``
        removed (their hours are already counted: every batch adds to its hourly rows as it
        is stored); returns how many of each."""
        with session_scope(self.engine) as db:
            raw = db.execute(
                delete(WatchResult).where(WatchResult.at < now - keep_results)
            ).rowcount  # type: ignore[attr-defined]
            hourly = db.execute(
                delete(WatchHourly).where(WatchHourly.hour < hour_of(now - keep_hourly))
            ).rowcount  # type: ignore[attr-defined]
            return int(raw or 0), int(hourly or 0)

    # ------------------------------------------------------------------ incidents

    def open_incidents(self) -> list[Incident]:
        with session_scope(self.engine) as db:
            rows = db.scalars(select(WatchIncident).where(WatchIncident.resolved_at.is_(None)))
            return [Incident(r.id, r.monitor, _aware(r.opened_at), r.cause, list(r.affected or []))
                    for r in rows]  # fmt: skip

    def save_events(self, events: Iterable[Event], affected: Mapping[str, list[str]],
                    deliveries: Iterable[WatchDelivery] = (), notes: Iterable[WatchNote] = ()) -> None:  # fmt: skip
        """The incidents the events open and resolve (with their timeline entries), every
        open incident's list of affected monitors and the notifications the events call
        for, in one transaction."""
        with session_scope(self.engine) as db:
            for d in deliveries:
                if db.get(WatchDelivery, (d.incident, d.event, d.provider)) is None:
                    db.add(d)
            for e in events:
                if e.event == "open":
                    db.add(WatchIncident(id=e.incident, monitor=e.monitor, opened_at=e.time,
                                         ministry=self.ministries.get(e.monitor) or None,
                                         agency_id=self.agencies.get(e.monitor),
                                         cause=e.cause, affected=[], reminders=0))  # fmt: skip
                    db.add(WatchNote(incident=e.incident, at=e.time, kind="opened", actor=CHECKER,
                                     text=e.cause, public=False))  # fmt: skip
                else:
                    db.execute(update(WatchIncident)
                               .where(WatchIncident.id == e.incident, WatchIncident.resolved_at.is_(None))
                               .values(resolved_at=e.time))  # fmt: skip
                    db.add(WatchNote(incident=e.incident, at=e.time, kind="resolved", actor=CHECKER,
                                     text="점검이 다시 성공했습니다", public=False))  # fmt: skip
            for n in notes:
                db.add(n)
            db.flush()
            for inc_id, listed in affected.items():
                db.execute(update(WatchIncident).where(WatchIncident.id == inc_id)
                           .values(affected=sorted(listed)))  # fmt: skip

    def mark(self, incident: str, *, escalated_at: dt.datetime | None = None,
             reminders: int | None = None, deliveries: Iterable[WatchDelivery] = (),
             note: WatchNote | None = None) -> None:  # fmt: skip
        """An escalation or a reminder: the incident marked, the notifications queued and the
        timeline entry written, together."""
        values: dict[str, Any] = {}
        if escalated_at is not None:
            values["escalated_at"] = escalated_at
        if reminders is not None:
            values["reminders"] = reminders
        with session_scope(self.engine) as db:
            if values:
                db.execute(
                    update(WatchIncident).where(WatchIncident.id == incident).values(**values)
                )
            for d in deliveries:
                if db.get(WatchDelivery, (d.incident, d.event, d.provider)) is None:
                    db.add(d)
            if note is not None:
                db.add(note)

    def sync(self, open_ids: Iterable[str], now: dt.datetime) -> Sync:
        ids = list(open_ids)
        with session_scope(self.engine) as db:
            rows = db.scalars(select(WatchSilence).where(WatchSilence.ends_at > now)).all()
            silences = []
            for r in rows:
                try:
                    matchers = sil.of_lists(r.matchers)
                except sil.MatcherError:
                    continue
                silences.append(
                    sil.Silence(r.id, matchers, _aware(r.starts_at), _aware(r.ends_at), r.kind)
                )
            acked: set[str] = set()
            closed: set[str] = set()
            if ids:
                for i, ack, res in db.execute(select(WatchIncident.id, WatchIncident.acknowledged_at,
                                                     WatchIncident.resolved_at)
                                              .where(WatchIncident.id.in_(ids))):  # fmt: skip
                    if res is not None:
                        closed.add(i)
                    elif ack is not None:
                        acked.add(i)
            version = tuple((k, str(u)) for k, u in db.execute(
                select(WatchMonitor.key, WatchMonitor.updated_at)
                .where(WatchMonitor.source == "web", WatchMonitor.active.is_(True))
                .order_by(WatchMonitor.key)))  # fmt: skip
        return Sync(tuple(silences), frozenset(acked), frozenset(closed), version)

    def incident_times(
        self, ids: Iterable[str]
    ) -> dict[str, tuple[dt.datetime, dt.datetime | None, int]]:
        """Open incident → (opened, escalated, reminders sent)."""
        ids = list(ids)
        if not ids:
            return {}
        with session_scope(self.engine) as db:
            return {i: (_aware(o), _aware(e) if e is not None else None, int(n or 0))
                    for i, o, e, n in db.execute(select(WatchIncident.id, WatchIncident.opened_at,
                                                        WatchIncident.escalated_at, WatchIncident.reminders)
                                                 .where(WatchIncident.id.in_(ids)))}  # fmt: skip

    # ------------------------------------------------------------------ notifications, pushes

    def deliver(self, notifiers: Mapping[str, tuple[str, ...]], now: dt.datetime) -> int:
        from insa.watch.notify import deliver_due

        return deliver_due(self.engine, notifiers, now)

    def register_pushes(self, tokens: Mapping[str, str]) -> None:
        """The push monitors' tokens (token → monitor key), kept by their SHA-256."""
        with session_scope(self.engine) as db:
            for token, key in tokens.items():
                row = db.get(WatchPush, token_digest(token))
                if row is None:
                    db.add(WatchPush(token_hash=token_digest(token), monitor=key))
                else:
                    row.monitor = key

    def pushes(self) -> dict[str, tuple[dt.datetime | None, bool | None, str | None]]:
        """Monitor key → its last call (time, success, error)."""
        with session_scope(self.engine) as db:
            return {
                r.monitor: (r.last_at, r.last_ok, r.last_error)
                for r in db.scalars(select(WatchPush))
            }

    def count_results(self) -> int:
        with session_scope(self.engine) as db:
            return int(db.scalar(select(func.count()).select_from(WatchResult)) or 0)
