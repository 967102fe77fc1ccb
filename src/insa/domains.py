"""The one registry of insa's packages: the core packages with pages and commands (people,
security) and the domain packages (year-end settlement, family allowance, travel …).

Explicit imports, no discovery: the import picture stays readable, and adding a domain is
one line here (see docs/architecture.md, "How to add a domain"). The web app factory, the
CLI, the model registry (migrations) and the permission table iterate over :data:`PACKAGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy import Connection, MetaData

from insa.allowance import models as allowance_models
from insa.allowance import scoped as allowance_service
from insa.db.base import Base
from insa.people import models as people_models
from insa.people import reference as people_reference
from insa.people import service as people_service
from insa.security import models as security_models
from insa.security import principal
from insa.security import service as security_service
from insa.security.reference import sync_centres
from insa.travel import models as travel_models
from insa.travel import service as travel_service
from insa.yearend import models as yearend_models
from insa.yearend import scoped as yearend_service


@dataclass(frozen=True)
class Package:
    name: str  # the package under insa/, and the prefix of its permissions
    label: str  # Korean, as shown
    models: ModuleType  # its tables (SQLAlchemy models on insa.db.base.Base)
    grants: Mapping[str, set[str]]  # role → the permissions of this package that role holds
    # reference data every database carries, synced by `insa db upgrade` (idempotent)
    reference: Callable[[Connection], Mapping[str, int]] | None = None


CORE = (
    Package("people", "인사 기록", people_models, people_service.GRANTS, people_reference.sync),
    Package("security", "보안·계정", security_models, security_service.GRANTS, sync_centres),
)
DOMAINS = (
    Package("yearend", "연말정산", yearend_models, yearend_service.GRANTS),
    Package("allowance", "가족수당 이중수급 검증", allowance_models, allowance_service.GRANTS),
    Package("travel", "출장 정산", travel_models, travel_service.GRANTS),
)
PACKAGES = CORE + DOMAINS

for _package in PACKAGES:
    principal.grant(_package.name, _package.grants)


def sync_reference_data(conn: Connection) -> dict[str, int]:
    """Every package's reference data, in the order of :data:`PACKAGES` (agencies before the
    centres that name them). Returns the rows added, by table."""
    added: dict[str, int] = {}
    for package in PACKAGES:
        if package.reference is not None:
            added.update(package.reference(conn))
    return added


def metadata() -> MetaData:
    """Every package's tables (their models modules are imported above)."""
    return Base.metadata
