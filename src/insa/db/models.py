"""The database layer's own table: the lock rows of batches on SQLite (``insa.db.locks``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base


class BatchLock(Base):
    """A batch holding its scope (SQLite; PostgreSQL uses advisory locks instead)."""

    __tablename__ = "batch_locks"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
