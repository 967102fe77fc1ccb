"""Engine and session factory for the configured database (SQLite embedded, PostgreSQL production)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":  # a file: the pool PostgreSQL has (below)
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 10)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        return engine
    # no server-side prepared statements: a prepared (generic) plan cannot use the prefix
    # indexes for `name LIKE $1`, and a search that takes 3 ms turned into 55 ms after the
    # fifth execution on one connection
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    # ten kept connections a process (SQLAlchemy's default is five): a connection beyond the
    # kept ones is closed when returned, so ten concurrent requests in one web worker opened
    # a new server connection for every other request — the 1–3 s stalls of the search
    # benchmark. Ten more on demand; four workers stay under PostgreSQL's 100 connections.
    # A web worker's database slots (INSA_WEB_THREADS, at most 16) stay below these 20.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 10.0  # seconds a kept connection may rest before it is checked on checkout


def _ping_when_idle(engine: Engine) -> None:
    """Check a kept connection before handing it out when it rested PING_AFTER_IDLE or more
    (the server may have ended it: a restart, an idle timeout, a failover); a dead one is
    replaced before the caller sees it. SQLAlchemy's ``pool_pre_ping`` checks on every
    checkout: one more round trip a request, and a web worker under load returns and takes
    back the same connections within milliseconds."""

    @event.listens_for(engine, "connect")
    def _made(_dbapi_conn: Any, record: Any) -> None:
        record.info["rested_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["rested_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("rested_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:  # any failure: the pool discards it and connects afresh
            raise exc.DisconnectionError() from e


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_engines: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    if url is None:
        from insa.settings import get_settings

        url = get_settings().effective_database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    for e in _engines.values():
        e.dispose()
    _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    A plain ``Session``: a ``sessionmaker`` made here would define a new Session subclass on
    every call, and SQLAlchemy sets up the event dispatch of each new class (a tenth of a web
    worker's interpreter time under load)."""
    session = Session(bind=engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
