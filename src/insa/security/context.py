"""The request or command context: database session, actor, and the audit call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from insa.security.audit import record
from insa.security.crypto import RRNCipher, cipher_from_settings
from insa.security.principal import Principal


@dataclass
class Ctx:
    db: Session
    principal: Principal
    _cipher: RRNCipher | None = field(default=None, repr=False)

    @property
    def cipher(self) -> RRNCipher:
        if self._cipher is None:
            self._cipher = cipher_from_settings()
        return self._cipher

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
