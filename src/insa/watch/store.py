"""The checker's records in the database: results (batched), incidents (each change committed
before its event line is written, so a crash leaves the last good state and a restarted
checker carries on with the incidents still open), and the hourly roll-up of old results."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, case, delete, func, insert, select, update

from insa.db.engine import session_scope
from insa.watch.incidents import Event, Incident
from insa.watch.models import WatchDelivery, WatchHourly, WatchIncident, WatchPush, WatchResult

RAW_RETENTION = dt.timedelta(days=1)


def _hour(column: Any, dialect: str) -> Any:
    """The hour (UTC) a stored time falls in, computed by the database."""
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00.000000", column)  # SQLite keeps UTC text


def _aware(value: Any) -> dt.datetime:
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(
        token.encode()
    ).hexdigest()  # raw results kept; older ones become hourly rows


class Store:
    def __init__(self, engine: Engine, ministries: Mapping[str, str]) -> None:
        self.engine = engine
        self.ministries = ministries  # monitor key → agency code

    def open_incidents(self) -> list[Incident]:
        with session_scope(self.engine) as db:
            rows = db.scalars(select(WatchIncident).where(WatchIncident.resolved_at.is_(None)))
            return [Incident(r.id, r.monitor, r.opened_at, r.cause, list(r.affected or []))
                    for r in rows]  # fmt: skip

    def save_results(self, results: Iterable[tuple[dt.datetime, str, bool, int, str]]) -> int:
        rows = [{"at": at, "monitor": key, "ministry": self.ministries.get(key) or None, "ok": ok,
                 "latency_ms": ms, "failed": failed or None} for at, key, ok, ms, failed in results]  # fmt: skip
        if rows:
            with session_scope(self.engine) as db:
                db.execute(insert(WatchResult), rows)
        return len(rows)

    def save_events(self, events: Iterable[Event], affected: Mapping[str, list[str]],
                    deliveries: Iterable[WatchDelivery] = ()) -> None:  # fmt: skip
        """The incidents the events open and resolve, every open incident's list of affected
        monitors and the notifications the events call for, in one transaction."""
        with session_scope(self.engine) as db:
            for d in deliveries:
                if db.get(WatchDelivery, (d.incident, d.event, d.provider)) is None:
                    db.add(d)
            for e in events:
                if e.event == "open":
                    db.add(WatchIncident(id=e.incident, monitor=e.monitor, opened_at=e.time,
                                         ministry=self.ministries.get(e.monitor) or None,
                                         cause=e.cause, affected=[]))  # fmt: skip
                else:
                    db.execute(update(WatchIncident).where(WatchIncident.id == e.incident)
                               .values(resolved_at=e.time))  # fmt: skip
            db.flush()
            for inc_id, listed in affected.items():
                db.execute(update(WatchIncident).where(WatchIncident.id == inc_id)
                           .values(affected=sorted(listed)))  # fmt: skip

    def roll_up(self, now: dt.datetime, keep: dt.timedelta = RAW_RETENTION) -> int:
        """Results older than ``keep`` folded into hourly rows (added to an hour's row when it
        exists) and removed, in one transaction: re-running changes nothing. The database
        groups them (a day of 10,000 monitors at 30 s is 28.8 million results), so what
        comes back is a row per monitor and hour."""
        cut = now - keep
        hour = _hour(WatchResult.at, self.engine.dialect.name).label("hour")
        with session_scope(self.engine) as db:
            groups = db.execute(
                select(WatchResult.monitor, hour, func.max(WatchResult.ministry), func.count(),
                       func.sum(case((WatchResult.ok, 0), else_=1)),
                       func.sum(WatchResult.latency_ms), func.max(WatchResult.latency_ms))
                .where(WatchResult.at < cut).group_by(WatchResult.monitor, hour)
            ).all()  # fmt: skip
            if not groups:
                return 0
            folded = {(m, _aware(h)): (mi, int(n), int(bad), int(total), int(top))
                      for m, h, mi, n, bad, total, top in groups}  # fmt: skip
            hours = {h for _, h in folded}
            existing = {(r.monitor, _aware(r.hour)): r
                        for r in db.scalars(select(WatchHourly).where(WatchHourly.hour.in_(hours)))}  # fmt: skip
            for (monitor, at), (ministry, n, bad, total, top) in folded.items():
                row = existing.get((monitor, at))
                if row is None:
                    db.add(WatchHourly(monitor=monitor, hour=at, ministry=ministry, checks=n, failures=bad,
                                       latency_sum_ms=total, latency_max_ms=top))  # fmt: skip
                else:
                    row.checks += n
                    row.failures += bad
                    row.latency_sum_ms += total
                    row.latency_max_ms = max(row.latency_max_ms, top)
            db.execute(delete(WatchResult).where(WatchResult.at < cut))
            return sum(v[1] for v in folded.values())

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
