"""The shapes security answers with in ``/api/v1``."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    agency_id: int | None
    employee_id: int | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    actor: str
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    agency_id: int | None
    client_addr: str | None


class AuditPageOut(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    size: int


class CentreOut(BaseModel):
    code: str
    name_ko: str
    kind: str
    host: str
    members: int  # member agencies in the caller's scope


class MemberOut(BaseModel):
    code: str
    name_ko: str
    joined_on: dt.date | None
