"""The audit trail: one function writes it; nothing updates or deletes it.

Services audit through their context (``ctx.audit``, :mod:`insa.security.context`), which
names the actor; only log-in (before there is an actor) calls :func:`record` directly.
Searching the trail is :func:`insa.security.service.search_audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

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
    """Append one audit entry in the caller's transaction. ``detail`` must hold no RRN."""
    db.execute(
        insert(AuditLog).values(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            actor_role=actor_role,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            agency_id=agency_id,
            client_addr=client_addr,
            detail=detail,
        )
    )
