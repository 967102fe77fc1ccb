"""The request or command context: database session, actor, and the audit call.

The web builds one per request from the session cookie or API token (``insa.web.deps``);
a command run on the server builds one with :meth:`Ctx.command_line` (the operating-system
user is the actor, audited as ``cli:<user>``); a batch that works on a Core connection gets
one over that connection with :func:`over_connection`. Services take a ``Ctx``, scope their
queries with its principal and audit through :meth:`Ctx.audit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from insa.security.audit import record, write_pending
from insa.security.crypto import RRNCipher, cipher_from_settings
from insa.security.principal import Principal


@dataclass
class Ctx:
    db: Session
    principal: Principal
    _cipher: RRNCipher | None = field(default=None, repr=False)

    @classmethod
    def command_line(cls, db: Session, cipher: RRNCipher | None = None) -> Ctx:
        """The context of an ``insa`` command: every record, audited as ``cli:<user>``."""
        return cls(db, Principal.command_line(), cipher)

    @property
    def cipher(self) -> RRNCipher:
        if self._cipher is None:
            self._cipher = cipher_from_settings()
        return self._cipher

    @property
    def connection(self) -> Connection:
        """The session's connection, in its transaction (for Core statements and bulk writes)."""
        return self.db.connection()

    def audit(
        self,
        action: str,
        *,
        target_type: str | None = None,
        target_id: str | int | None = None,
        agency_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        p = self.principal
        record(
            self.db,
            actor=p.username,
            actor_role=p.role,
            action=action,
            target_type=target_type,
            target_id=target_id,
            agency_id=agency_id,
            client_addr=p.client_addr,
            detail=detail,
        )


@contextmanager
def over_connection(
    conn: Connection, principal: Principal | None = None, cipher: RRNCipher | None = None
) -> Iterator[Ctx]:
    """A context whose session works in ``conn``'s transaction (the caller commits it). The
    connection must be in a transaction (``engine.begin()``): otherwise the session would
    open one of its own and drop what it wrote when it closes."""
    if not conn.in_transaction():
        raise RuntimeError("over_connection needs a connection in a transaction (engine.begin())")
    with Session(bind=conn) as session:  # joins the transaction; never commits it
        yield Ctx(session, principal or Principal.command_line(), cipher)
        write_pending(session)  # the audit entries wait for a commit this session never makes
        session.flush()
