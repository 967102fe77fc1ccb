"""The audit trail: one function writes it; nothing updates or deletes it.

Services audit through their context (``ctx.audit``, :mod:`insa.security.context`), which
names the actor; only log-in (before there is an actor) calls :func:`record` directly.
Searching the trail is :func:`insa.security.service.search_audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, event, insert
from sqlalchemy.orm import Session

from insa.security.logs import redact, redact_value
from insa.security.models import AuditLog


def record(
    db: Session | Connection,
    *,
    actor: str,
    action: str,
    actor_role: str | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    agency_id: int | None = None,
    client_addr: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry in the caller's transaction. Every text in it goes through
    :func:`insa.security.logs.redact` first: the log is append-only, so an RRN-shaped value
    typed into a search or a file name must be masked before it is written, never after.

    In a session the entry is written when the transaction commits (all of the request's
    entries in one statement, :func:`write_pending`): a read audited at the start of a request
    then holds no write lock while the page is rendered — on SQLite, one writer at a time,
    that lock was what serialised concurrent searches. A rolled-back transaction writes none,
    as before."""
    values = {
        "at": dt.datetime.now(dt.UTC),
        "actor": redact(actor)[:64],
        "actor_role": actor_role,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else redact(str(target_id))[:64],
        "agency_id": agency_id,
        "client_addr": client_addr,
        "detail": redact_value(detail),
    }
    if isinstance(db, Session):
        db.info.setdefault(PENDING, []).append(values)
        return
    db.execute(insert(AuditLog).values(**values))


PENDING = "insa.audit.pending"


@event.listens_for(Session, "before_commit")
def write_pending(session: Session) -> None:
    """Write the session's audit entries now (at its commit; or by a session that joins a
    connection's transaction and never commits, :func:`insa.security.context.over_connection`)."""
    rows = session.info.pop(PENDING, None)
    if rows:  # a Core insert on the session's connection (an ORM bulk insert cost 1 ms more)
        session.connection().execute(insert(AuditLog), rows)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)
