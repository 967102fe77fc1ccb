"""Database-level locks for batches that replace results, across processes and machines.

``with batch_lock(engine, "yearend.run:2025", "2025년 연말정산 실행"):`` — a second run of the
same scope, from another process, another worker or another machine, refuses at once with
:class:`BatchBusy` (a Korean message naming what runs, since when and where) instead of
interleaving with the first; with ``wait=`` seconds it waits that long for the first to end.

* **PostgreSQL**: session-level advisory locks on a connection of their own, keyed by the
  first 8 bytes of the scope's SHA-256 (a part takes its whole's key shared and its own
  exclusive; the whole takes its key exclusive); the server drops them when the holder's
  connection ends, so a killed process holds nothing.
* **SQLite**: a row in ``batch_locks`` inserted in a write transaction of its own (the
  primary key makes the insert the test, and the same transaction looks for a conflicting
  whole or part); the row names the host and process, and rows left by a process that no
  longer runs on this host are removed first (a ``kill -9`` leaves no lock).

The lock is taken before the batch opens its own transaction, so the batch's writes never
wait on it, and released after that transaction has ended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.exc import IntegrityError

from insa.db.models import BatchLock

POLL = 0.2  # seconds between attempts while waiting


class BatchBusy(RuntimeError):
    """Another run holds the scope's lock (the message says which, for the user)."""


def _key(scope: str) -> int:
    return int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(holder: str) -> bool:
    """Whether the holder (``host:pid``) still runs; a holder on another host is assumed to."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def batch_lock(
    engine: Engine, scope: str, what: str, *, within: str | None = None, wait: float = 0.0
) -> Iterator[None]:
    """Hold the lock of ``scope`` for the block (``what``: the run, in Korean, for messages).

    ``within``: a wider scope this one is part of (an agency's run within the year's): runs
    of different parts go on side by side, a run of the whole excludes every part, and a
    part waits for the whole."""
    deadline = time.monotonic() + wait
    busy = f"{what}과(와) 겹치는 실행이 이미 진행 중입니다. 끝난 뒤에 다시 실행하세요."
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            held = _pg_take(conn, scope, within)
            while not held:
                if time.monotonic() >= deadline:
                    raise BatchBusy(busy)
                time.sleep(POLL)
                held = _pg_take(conn, scope, within)
            try:
                yield
            finally:
                for sql, k in reversed(held):
                    conn.execute(text(sql.replace("try_advisory_lock", "advisory_unlock")),
                                 {"k": k})  # fmt: skip
                conn.commit()
        return
    me = _me()
    while not _take_row(engine, scope, within, me):
        if time.monotonic() >= deadline:
            raise BatchBusy(busy + _holders(engine, scope, within))
        time.sleep(POLL)
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(delete(BatchLock).where(BatchLock.scope == scope, BatchLock.holder == me))


def _pg_take(conn: Connection, scope: str, within: str | None) -> list[tuple[str, int]]:
    """The advisory locks taken (none if any was refused: those taken are let go)."""
    # advisory locks are the database's: the schema is part of the key, so two installations
    # (or two test runs) in one database do not lock each other out
    schema = conn.execute(text("SELECT current_schema()")).scalar() or ""
    wanted = (
        [("SELECT pg_try_advisory_lock_shared(:k)", _key(f"{schema}:{within}"))] if within else []
    )
    wanted.append(("SELECT pg_try_advisory_lock(:k)", _key(f"{schema}:{scope}")))
    held: list[tuple[str, int]] = []
    for sql, k in wanted:
        if not conn.execute(text(sql), {"k": k}).scalar():
            for done_sql, done_k in reversed(held):
                conn.execute(text(done_sql.replace("try_advisory_lock", "advisory_unlock")),
                             {"k": done_k})  # fmt: skip
            conn.commit()
            return []
        held.append((sql, k))
    conn.commit()
    return held


def _sweep(engine: Engine) -> None:
    """Drop the lock rows of processes of this host that no longer run (a ``kill -9``)."""
    with engine.connect() as conn:
        rows = conn.execute(select(BatchLock.scope, BatchLock.holder)).all()
    dead = [(s, h) for s, h in rows if not _alive(h)]
    if dead:
        with engine.begin() as conn:
            for s, h in dead:
                conn.execute(delete(BatchLock).where(BatchLock.scope == s, BatchLock.holder == h))


def _take_row(engine: Engine, scope: str, within: str | None, me: str) -> bool:
    """Insert the scope's row and, in the same write transaction, look for a conflicting one
    (the whole's row for a part; any part's row for the whole)."""
    _sweep(engine)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            conn.execute(insert(BatchLock).values(scope=scope, holder=me, acquired_at=now))
            clash = (
                select(BatchLock.scope).where(BatchLock.scope == within)
                if within
                else select(BatchLock.scope).where(BatchLock.scope.like(f"{scope}:%"))
            )
            if conn.execute(clash.limit(1)).first() is not None:
                raise _Clash
    except (IntegrityError, _Clash):
        return False
    return True


class _Clash(Exception):
    pass


def _holders(engine: Engine, scope: str, within: str | None) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            select(BatchLock.holder, BatchLock.acquired_at).where(
                (BatchLock.scope == scope) | (BatchLock.scope == (within or scope))
                | BatchLock.scope.like(f"{scope}:%")
            ).limit(1)
        ).all()  # fmt: skip
    return "".join(f" ({h}, {at:%Y-%m-%d %H:%M} UTC부터)" for h, at in rows)
