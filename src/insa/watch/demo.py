"""The demo's failure detection: a loopback target with a scripted outage (법제처's law
database goes down a minute after the start for three minutes, then every fifteen; the
law search that depends on it fails with it) and ninety days of synthetic history for the
demo's monitors (hourly results, a few past incidents with the operators' public notes),
so that the ministries' status pages look as they would after months of running."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Iterable

from sqlalchemy import Engine, func, insert, select

from insa.watch.schemas import Monitor

OUTAGE_AFTER = 60.0  # seconds from the target's start to the first outage
OUTAGE_FOR = 180.0
OUTAGE_EVERY = 900.0


def outage(started: float, now: float | None = None) -> bool:
    """Whether the scripted outage is on."""
    t = (now if now is not None else time.monotonic()) - started - OUTAGE_AFTER
    return t >= 0 and (t % OUTAGE_EVERY) < OUTAGE_FOR


async def serve_target(host: str, port: int, db_port: int) -> None:
    """HTTP on ``port``: ``/law-search`` 503 during the outage, ``/slow`` 1.2 s, ``/hooks/*``
    takes notifications, everything else 200 ``{"status": "ok"}``; TCP on ``db_port``: the
    law database, refusing connections during the outage."""
    started = time.monotonic()
    received: list[dict[str, object]] = []

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path = line[1] if len(line) > 1 else "/"
            length = 0
            for h in head.split(b"\r\n")[1:]:
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            status, out = 200, b'{"status": "ok"}'
            if path.startswith("/hooks/"):
                received.append({"path": path, "bytes": len(body)})
            elif path.startswith("/law-search") and outage(started):
                status, out = 503, b'{"status": "down", "reason": "database"}'
            elif path.startswith("/slow"):
                await asyncio.sleep(1.2)
            word = {200: "OK", 503: "Service Unavailable"}[status]
            writer.write(f"HTTP/1.1 {status} {word}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(out)}\r\nConnection: close\r\n\r\n".encode() + out)  # fmt: skip
            await writer.drain()
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ConnectionError,
        ):
            pass
        finally:
            writer.close()

    async def db(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    db_server: asyncio.Server | None = None

    async def keep_db() -> None:  # the law database: listening except during the outage
        nonlocal db_server
        while True:
            down = outage(started)
            if down and db_server is not None:
                db_server.close()
                await db_server.wait_closed()
                db_server = None
            elif not down and db_server is None:
                db_server = await asyncio.start_server(db, host, db_port, reuse_address=True)
            await asyncio.sleep(0.5)

    server = await asyncio.start_server(http, host, port, reuse_address=True)
    async with server:
        await asyncio.gather(server.serve_forever(), keep_db())


def seed_history(
    engine: Engine, monitors: Iterable[Monitor], days: int = 90, seed: int = 13
) -> int:
    """Hourly rows for ``days`` before the current hour and a few past incidents with public
    notes; nothing when the monitors already have history (re-running changes nothing).
    Returns the hourly rows written."""
    from insa.db.engine import session_scope
    from insa.watch.models import WatchHourly, WatchIncident, WatchNote
    from insa.watch.store import Store

    monitors = [m for m in monitors if m.kind != "push"]
    now = dt.datetime.now(dt.UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with session_scope(engine) as db:
        if db.scalar(select(func.count()).select_from(WatchHourly)
                     .where(WatchHourly.monitor.in_([m.key for m in monitors]))):  # fmt: skip
            return 0
    store = Store(engine, {m.key: m.ministry for m in monitors})
    store.register(monitors, now)
    rnd = random.Random(seed)
    rows = []
    past: list[tuple[Monitor, dt.datetime, int]] = []
    for m in monitors:
        per_hour = max(1, 3_600_000 // max(1, m.interval_ms))
        bad_hours: set[int] = set()
        for _ in range(rnd.randint(0, 3)):  # a few past outages of 1-3 hours
            start = rnd.randint(24, days * 24 - 1)
            span = rnd.randint(1, 3)
            bad_hours.update(range(start, start + span))
            past.append((m, hour - dt.timedelta(hours=start + span - 1), span))
        for h in range(1, days * 24):
            failures = per_hour // 3 if h in bad_hours else (1 if rnd.random() < 0.01 else 0)
            base = 40 + rnd.randint(0, 60)
            rows.append({"monitor": m.key, "hour": hour - dt.timedelta(hours=h), "ministry": m.ministry or None,
                         "checks": per_hour, "failures": failures, "latency_sum_ms": base * per_hour,
                         "latency_max_ms": base * 3})  # fmt: skip
    with engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(WatchHourly), rows[i : i + 20_000])
    notes = ["서비스 접속이 원활하지 않아 확인하고 있습니다.", "원인을 찾아 조치하고 있습니다.",
             "복구되었습니다. 이용에 불편을 드려 죄송합니다."]  # fmt: skip
    with session_scope(engine) as db:
        for n, (m, opened, span) in enumerate(past):
            inc = f"demo{n:08d}"
            resolved = opened + dt.timedelta(hours=span, minutes=-rnd.randint(5, 40))
            db.add(WatchIncident(id=inc, monitor=m.key, ministry=m.ministry or None,
                                 agency_id=store.agencies.get(m.key), opened_at=opened, resolved_at=resolved,
                                 cause="[STATUS] (503) == 200", affected=[], reminders=0,
                                 acknowledged_at=opened + dt.timedelta(minutes=4),
                                 acknowledged_by="장애관제요원"))  # fmt: skip
            for at, kind, text, public in [
                (opened, "opened", "[STATUS] (503) == 200", False),
                (opened + dt.timedelta(minutes=4), "acknowledged", "", False),
                (opened + dt.timedelta(minutes=6), "note", notes[0], True),
                (opened + dt.timedelta(minutes=30), "note", notes[1], True),
                (resolved, "resolved", "점검이 다시 성공했습니다", False),
                (resolved + dt.timedelta(minutes=2), "note", notes[2], True),
            ]:  # fmt: skip
                db.add(WatchNote(incident=inc, at=at, kind=kind, actor="점검기" if kind in ("opened", "resolved") else "장애관제요원",
                                 text=text, public=public))  # fmt: skip
    return len(rows)
