"""Bulk writers: many rows into one table fast, inside the caller's transaction.

SQLite: ``executemany`` of one prepared INSERT over row tuples. PostgreSQL: ``COPY … FROM
STDIN`` through psycopg 3. Both write on the SQLAlchemy connection's own DBAPI connection,
so the rows commit or roll back with everything else in the transaction.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, final

from sqlalchemy import Connection, Engine, text


class BulkWriter(ABC):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.rows_written = 0

    @final
    def write(self, table: str, columns: Mapping[str, Sequence[Any]]) -> int:
        names = list(columns)
        if not names:
            return 0
        n = len(columns[names[0]])
        if any(len(columns[c]) != n for c in names):
            raise ValueError(f"{table}: columns differ in length")
        if n:
            self._write(table, names, zip(*(columns[c] for c in names), strict=True))
        self.rows_written += n
        return n

    @abstractmethod
    def _write(self, table: str, names: list[str], rows: Any) -> None: ...

    def timestamp(self, at: dt.datetime) -> Any:
        """A time with its zone, as a ``DateTime(timezone=True)`` column takes it here."""
        return at

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """After explicit ids: make the next generated id follow the largest one.

        SQLite's INTEGER PRIMARY KEY already does; PostgreSQL sequences need a push.
        """
        return None


class SQLiteBulkWriter(BulkWriter):
    def timestamp(self, at: dt.datetime) -> Any:
        # SQLAlchemy keeps SQLite times as UTC text without a zone
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def _write(self, table: str, names: list[str], rows: Any) -> None:
        dbapi = self.conn.connection.driver_connection
        assert dbapi is not None
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        dbapi.executemany(sql, rows)


class PostgresBulkWriter(BulkWriter):
    def _write(self, table: str, names: list[str], rows: Any) -> None:
        dbapi = self.conn.connection.driver_connection
        assert dbapi is not None
        with (
            dbapi.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def reset_sequences(self, tables: Sequence[str]) -> None:
        for t in tables:
            self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
                )
            )


def bulk_writer(conn: Connection) -> BulkWriter:
    if conn.dialect.name == "sqlite":
        return SQLiteBulkWriter(conn)
    if conn.dialect.name == "postgresql":
        return PostgresBulkWriter(conn)
    raise NotImplementedError(f"no bulk writer for {conn.dialect.name}")


BULK_ROWS = 10_000  # a load this big changes the tables enough to refresh their statistics


def refresh_statistics(engine: Engine, tables: Sequence[str], rows: int) -> None:
    """After a load of ``rows`` rows has committed, if it was a bulk load (``BULK_ROWS``):
    fresh planner statistics, so the planner picks the search indexes, and on PostgreSQL the
    visibility map as well (``VACUUM (ANALYZE)``, outside any transaction), so counts and
    searches are answered by index-only scans at once rather than after autovacuum passes
    (경찰청's 10,001 김s counted in 29 ms from the heap, 3 ms from the index alone)."""
    if rows < BULK_ROWS or not tables:
        return
    names = [engine.dialect.identifier_preparer.quote(t) for t in tables]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM (ANALYZE) {', '.join(names)}"))
    else:
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(f"ANALYZE {name}"))
