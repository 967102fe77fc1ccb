"""Reference data of the security package: the shared centres and their default members."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Connection, insert, select, update

from insa.people.models import Agency
from insa.security.models import Centre, CentreMember

CENTRE_KINDS = ("watch", "cyber")


@dataclass(frozen=True)
class CentreDef:
    code: str
    name_ko: str
    kind: str
    host: str
    members: tuple[str, ...]


@cache
def default_centres() -> tuple[CentreDef, ...]:
    raw: list[dict[str, Any]] = yaml.safe_load(
        resources.files("insa.security").joinpath("data/centres.yaml").read_text("utf-8")
    )
    out = tuple(
        CentreDef(r["code"], r["name_ko"], r["kind"], r["host"], tuple(r["members"])) for r in raw
    )
    for c in out:
        if c.kind not in CENTRE_KINDS:
            raise ValueError(f"centres.yaml: {c.code}: kind must be one of {CENTRE_KINDS}")
    return out


def sync_centres(conn: Connection) -> dict[str, int]:
    """Create each default centre that does not exist yet, with its default members, and
    refresh names. A centre's membership, once created, is the operators' to change."""
    agencies = {code: aid for aid, code in conn.execute(select(Agency.id, Agency.code))}
    have = {code: cid for cid, code in conn.execute(select(Centre.id, Centre.code))}
    added = {"centres": 0, "centre_members": 0}
    for c in default_centres():
        missing = [m for m in (c.host, *c.members) if m not in agencies]
        if missing:
            raise ValueError(f"centres.yaml: {c.code}: unknown agency codes {missing}")
        values = {"name_ko": c.name_ko, "kind": c.kind, "host_agency_id": agencies[c.host]}
        if c.code in have:
            conn.execute(update(Centre).where(Centre.id == have[c.code]).values(**values))
            continue
        key = conn.execute(insert(Centre).values(code=c.code, **values)).inserted_primary_key
        assert key is not None
        added["centres"] += 1
        for m in c.members:
            conn.execute(insert(CentreMember).values(centre_id=int(key[0]), agency_id=agencies[m]))
            added["centre_members"] += 1
    return added
