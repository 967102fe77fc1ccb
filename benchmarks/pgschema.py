"""A throw-away PostgreSQL schema per benchmark run (INSA_BENCH_PG_URL, default the local `test`)."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

PG = os.environ.get("INSA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def create_schema() -> tuple[str, str]:
    """A new schema and a URL whose search_path points at it."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    return schema, f"{PG}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    with create_engine(PG, isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
